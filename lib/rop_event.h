/*
 * rop_event: the transactional outbox and its after-commit publish.
 *
 * Inside a state change's transaction, rop_event_append() takes the
 * restaurant's next gapless seq (locking its event_counters row, always
 * the last lock taken), builds the SPEC §7 envelope and inserts it into
 * `events`.  After the commit, rop_event_flush() does exactly one
 * PUBLISH events:{rid} per appended event (best effort: a failure is
 * counted and logged, the relay's outbox catch-up delivers it).  A
 * rolled-back transaction calls rop_event_discard().
 */
#ifndef ROP_EVENT_H
#define ROP_EVENT_H

#include <stdint.h>

struct json_object;
struct rop_ctx;

#define ROP_EVENT_PENDING_MAX	4

/*
 * Append an event of "type" ("order.placed") for restaurant "rid",
 * concerning table "tid" (NULL for none), with "payload" (consumed,
 * even on failure).  Must run inside a transaction.  On success *seq
 * (if not NULL) is the event's seq.  Returns 0 or -1.
 */
int	 rop_event_append(struct rop_ctx *, const char *rid, const char *type,
	    const char *tid, struct json_object *payload, int64_t *seq);
/* After COMMIT: publish every appended event, then forget them. */
void	 rop_event_flush(struct rop_ctx *);
/* After ROLLBACK: forget appended events unpublished. */
void	 rop_event_discard(struct rop_ctx *);

#endif /* ROP_EVENT_H */
