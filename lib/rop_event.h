/*
 * rop_event: the transactional outbox and its after-commit publish.
 *
 * A struct rop_outbox, owned by its caller (the app's context), holds
 * the events of the open transaction; it knows nothing of requests.
 *
 *	rop_event_append()	builds the SPEC §7 envelope in memory (no
 *				round trip), any number of times;
 *	rop_event_write()	just before COMMIT, writes every pending
 *				event in ONE statement per restaurant: it
 *				takes the restaurant's event_counters row
 *				lock once (always the last lock, SPEC §2),
 *				hands out the next gapless seqs in append
 *				order and inserts the envelopes into
 *				`events`;
 *	rop_event_publish()	after the commit, exactly one PUBLISH
 *				events:{rid} of the seq per written event
 *				(best effort: a failure is counted, logged
 *				and followed by one NOTIFY rop_events per
 *				restaurant; the relay's outbox catch-up
 *				delivers it), then forgets them;
 *	rop_event_discard()	after a ROLLBACK: forgets them unpublished.
 */
#ifndef ROP_EVENT_H
#define ROP_EVENT_H
/* layer: adapter */

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct rop_cache;
struct rop_db;
struct rop_err;
struct rop_metrics;
struct rop_outbox_ev;

struct rop_outbox {
	struct rop_outbox_ev	*ev;		/* ev[0..n-1] pending */
	size_t			 n;
	size_t			 cap;
};

/*
 * Where an event comes from, copied into its envelope (NULL: null).
 */
struct rop_event_origin {
	const char	*trace_id;
	const char	*request_id;
};

/*
 * Append an event of "type" ("order.placed") for restaurant "rid",
 * concerning table "tid" (NULL for none), with "payload" (consumed,
 * even on failure).  Nothing is sent to the database.  Returns 0, or
 * -1 with the error set (the outbox is then unchanged).
 */
int	 rop_event_append(struct rop_outbox *, struct rop_err *,
	    const struct rop_event_origin *, const char *rid,
	    const char *type, const char *tid, struct json_object *payload);
/*
 * Inside the transaction, right before its COMMIT: write the pending
 * events (one statement per restaurant, restaurants in id order).
 * Nothing pending: nothing sent.  Returns 0, or -1 with the error set
 * (404 RESTAURANT_NOT_FOUND without a counter row); the caller then
 * rolls back.
 */
int	 rop_event_write(struct rop_outbox *, struct rop_db *,
	    struct rop_err *);
/*
 * After COMMIT: publish every written event of the outbox, then
 * forget them all.  "db" carries the NOTIFY after a failed PUBLISH;
 * "app" and "env" label metrics and logs.
 */
void	 rop_event_publish(struct rop_outbox *, struct rop_cache *,
	    struct rop_db *, struct rop_metrics *, const char *app,
	    const char *env);
/* After ROLLBACK: forget every event (the memory is kept for reuse). */
void	 rop_event_discard(struct rop_outbox *);
/* Release the outbox's memory (it is empty and reusable afterwards). */
void	 rop_event_free(struct rop_outbox *);

/* How many events are pending; the seq of event i once written (0). */
size_t	 rop_event_pending(const struct rop_outbox *);
int64_t	 rop_event_seq(const struct rop_outbox *, size_t i);
/*
 * The envelope event i has (or will have) with "seq": a string the
 * caller frees, or NULL (no memory, no such event).  For tests.
 */
char	*rop_event_envelope(const struct rop_outbox *, size_t i,
	    int64_t seq);

/* The allocator of the outbox's own memory; tests make it fail. */
extern void	*(*rop_event_realloc)(void *, size_t);

#endif /* ROP_EVENT_H */
