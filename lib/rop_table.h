/*
 * rop_table: tables and their sessions (SPEC §6 Tables).
 *
 * Opening a table starts a session; orders belong to it; closing ends
 * it once nothing is waiting on the kitchen.  Replies are finished JSON
 * texts the caller frees.
 */
#ifndef ROP_TABLE_H
#define ROP_TABLE_H
/* layer: area */

struct rop_ctx;

/* {"tables":[TableResponse...]} of restaurant "rid". */
int	 rop_table_list(struct rop_ctx *, const char *rid, char **json);
/* TableResponse, or -1 with 404 TABLE_NOT_FOUND. */
int	 rop_table_get(struct rop_ctx *, const char *rid, const char *tid,
	    char **json);
/* Open (idempotently: an open table keeps its session); emits table.opened. */
int	 rop_table_open(struct rop_ctx *, const char *rid, const char *tid,
	    char **json);
/*
 * Close: 409 TABLE_NOT_OPEN, 409 TABLE_CLOSE_BLOCKED while orders are
 * PLACED or ACCEPTED.  *json = {"table":...,"summary":...}; emits
 * table.closed.
 */
int	 rop_table_close(struct rop_ctx *, const char *rid, const char *tid,
	    char **json);
/* The summary of the current or last session (SPEC §9.9, §9.23). */
int	 rop_table_summary(struct rop_ctx *, const char *rid, const char *tid,
	    char **json);
/*
 * The current or last session of a table into sid (size >= 65; "" for
 * a table never opened).  Returns 0, or -1 (404 TABLE_NOT_FOUND).
 */
int	 rop_table_session(struct rop_ctx *, const char *rid, const char *tid,
	    char *sid);

#endif /* ROP_TABLE_H */
