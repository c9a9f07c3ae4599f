/*
 * rop_db: the process's one PostgreSQL connection (libpq).
 *
 * Statements are declared once as static struct rop_stmt and prepared
 * lazily on each connection the first time they run, so a request pays
 * only PQexecPrepared.  Every value is sent as a parameter; SQL text is
 * never built from input.  A lost connection is re-established on the
 * next call (never inside a transaction) and reported as ROP_EUNAVAIL,
 * which the HTTP layer answers with 503 SERVICE_UNAVAILABLE.
 */
#ifndef ROP_DB_H
#define ROP_DB_H
/* layer: adapter */

#include <stdint.h>

#include <libpq-fe.h>

struct rop_err;
struct rop_db;

struct rop_stmt {
	const char	*name;		/* unique, e.g. "menu_items" */
	const char	*sql;		/* with $1..$n placeholders */
	int		 nparams;
	int		 retry;		/* read-only: safe to resend once */
};

/* A new handle (not yet connected) the caller frees with rop_db_free. */
struct rop_db	*rop_db_new(const char *url, const char *app);
void		 rop_db_free(struct rop_db *);

/*
 * Run a prepared statement with text parameters (NULL for SQL NULL).
 * Returns a result the caller PQclear()s, or NULL with the error set:
 * ROP_EUNAVAIL when the server is unreachable, ROP_EDB otherwise (the
 * SQLSTATE is then in rop_db_sqlstate()).
 */
PGresult	*rop_db_exec(struct rop_db *, struct rop_err *,
		    const struct rop_stmt *, const char *const *params);

/*
 * Transactions: each returns 0 or -1 with the error set.  BEGIN is sent
 * with the transaction's first rop_db_exec (one round trip for both),
 * which may therefore still replace a dead connection and resend; a
 * commit or rollback before any statement sends nothing.
 */
int		 rop_db_begin(struct rop_db *, struct rop_err *);
int		 rop_db_commit(struct rop_db *, struct rop_err *);
/* Roll back if a transaction is open; never fails the caller. */
void		 rop_db_rollback(struct rop_db *);
int		 rop_db_in_tx(const struct rop_db *);

/* 0 if the server answers, else -1 with ROP_EUNAVAIL. */
int		 rop_db_ping(struct rop_db *, struct rop_err *);

/* The SQLSTATE of the last failed statement ("" if none). */
const char	*rop_db_sqlstate(const struct rop_db *);

/*
 * Write a libpq notice ("FATAL:  terminating connection ...\n") as one
 * JSON log line of "service"; every connection's notice processor.
 */
void		 rop_db_log_notice(const char *service, const char *env,
		    const char *msg);

/* Field helpers: NULL / 0 for SQL NULL.  Borrowed from the result. */
const char	*rop_db_str(const PGresult *, int row, int col);
int64_t		 rop_db_int(const PGresult *, int row, int col);
int		 rop_db_isnull(const PGresult *, int row, int col);

#endif /* ROP_DB_H */
