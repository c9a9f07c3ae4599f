/*
 * rop_order: placing, reading, moving and listing orders (SPEC §6).
 *
 * Every change is one transaction: the row lock of what it changes
 * (the table session for a placement, the order for a transition), the
 * decision of the pure state machine (domain/rop_order_state.h), the
 * write, the outbox event, commit, then the event's PUBLISH.  Replies
 * are finished JSON texts built in C from plain rows (rop_view), owned
 * by the caller (free()).
 */
#ifndef ROP_ORDER_H
#define ROP_ORDER_H
/* layer: area */

#include <stddef.h>
#include <stdint.h>

#include "domain/rop_order_state.h"

struct json_object;
struct rop_ctx;
struct rop_err;
struct rop_principal;
struct rop_req;

#define ROP_ORDER_MAX_LINES	50
#define ROP_ORDER_REASON_BUFSZ	1024	/* 200 code points, NUL */

/*
 * A checked order body, as rop_order_draft_check() leaves it in
 * req->args: 1..50 lines of an item id and a quantity 1..99, notes of
 * at most 200 characters, and the hash of the normalised body for
 * Idempotency-Key replays.  It borrows from req->json; name, unit and
 * total are filled while placing.
 */
struct rop_order_line {
	const char	*item_id;
	int64_t		 qty;
	const char	*notes;		/* NULL when absent */
	const char	*name;
	int64_t		 unit, total;
};

struct rop_order_draft {
	struct rop_order_line	 lines[ROP_ORDER_MAX_LINES];
	size_t			 nlines;
	const char		*note;		/* NULL when absent */
	char			 hash[65];	/* hex SHA-256 */
};

/* The paging query of the order lists, as rop_order_paging() reads it. */
struct rop_order_page {
	const char	*status;	/* NULL: ALL */
	int		 limit;
	char		 cursor[129];	/* "" when absent */
};

/*
 * The syntax check of a placement (rop_app.h): the body into req->json
 * and a checked, hashed draft into req->args.  Returns 0, or -1 with
 * 400 VALIDATION_ERROR (details.field) or MALFORMED_JSON.
 */
int	 rop_order_draft_check(struct rop_ctx *, struct rop_req *);
/*
 * The syntax check of a cancel: {"reason"} of 1..200 characters, the
 * reason (a string) into req->args.  Returns 0 or -1 (400).
 */
int	 rop_order_cancel_check(struct rop_ctx *, struct rop_req *);
/*
 * The syntax check of the order lists: the paging query with default
 * status "def_status" into req->args (struct rop_order_page).
 */
int	 rop_order_page_check(struct rop_ctx *, struct rop_req *,
	    const char *def_status);
/*
 * The order "oid" of restaurant "rid" exists: its table into tid (size
 * >= 65).  Returns 0, or -1 (404 ORDER_NOT_FOUND).  The tenant check
 * of the /v1/orders/{oid} routes (rop_app.h rop_locate_pt).
 */
int	 rop_order_locate(struct rop_ctx *, const char *rid, const char *oid,
	    char *tid);

/*
 * Place the checked order "d" at table (rid, tid) with an optional
 * Idempotency-Key.  On success *json is the OrderResponse and
 * *replayed tells whether it is the replay of an earlier placement.
 * Returns 0, or -1 with the error in ctx (400 VALIDATION_ERROR,
 * ITEM_NOT_FOUND, ITEM_UNAVAILABLE; 404 TABLE_NOT_FOUND; 409
 * TABLE_NOT_OPEN, IDEMPOTENCY_KEY_REPLAY_DIFFERENT_PAYLOAD; 503).
 */
int	 rop_order_place(struct rop_ctx *, const char *rid, const char *tid,
	    struct rop_order_draft *d, const char *idem_key, char **json,
	    int *replayed);

/*
 * Read order "oid" of restaurant "rid".  Its table goes to tid (size
 * >= 65) when not NULL.  Returns 0, or -1 (404 ORDER_NOT_FOUND).
 */
int	 rop_order_get(struct rop_ctx *, const char *rid, const char *oid,
	    char **json, char *tid);

/*
 * Apply "act" to order "oid" for principal "p" (whose restaurant is
 * the tenant), with the cancel "reason" (NULL for accept/ready; the
 * route's check has read the body).  The state decides what remains:
 * 403 for a role the state forbids (a WAITER cancelling an ACCEPTED
 * order), 409.  Returns 0, or -1 (404, 403, 409).
 */
int	 rop_order_transition(struct rop_ctx *, const struct rop_principal *p,
	    const char *oid, enum rop_order_action act, const char *reason,
	    char **json);

/*
 * A page of orders of restaurant "rid", newest first by (createdAt,
 * orderId): all of them, or those of "session_id" when not NULL.
 * "status" NULL means ALL.  Returns 0 with *json =
 * {"orders":[...],"nextCursor":...}, or -1 (400 INVALID_CURSOR).
 */
int	 rop_order_list(struct rop_ctx *, const char *rid,
	    const char *session_id, const char *status, int limit,
	    const char *cursor, char **json);

/*
 * Parse the paging query of the order lists (status, limit, cursor)
 * with the given default status.  *status is NULL for ALL; "cursor"
 * (size >= 129) is "" when absent.  Returns 0 or -1 (400
 * INVALID_STATUS, INVALID_LIMIT, INVALID_CURSOR).
 */
int	 rop_order_paging(struct rop_ctx *, const char *def_status,
	    const char **status, int *limit, char *cursor);

/*
 * The state machine's actor for a caller's role (int: enum rop_role of
 * rop_auth.h): ADMIN and MANAGER are MANAGER, no role is the SYSTEM,
 * and a guest is no actor at all (every move is 403).
 */
enum rop_order_actor rop_order_actor(int role);

/*
 * May "actor" pay order "oid", found in status "from" (SPEC §6, §12:
 * READY or SERVED)?  Returns 0, or -1 with the error in "err": 409
 * ORDER_ALREADY_PAID when PAID, 409 INVALID_ORDER_TRANSITION (details
 * from, to), 403.  Payments ask it before taking money.
 */
int	 rop_order_pay_check(struct rop_err *err, const char *oid,
	    const char *from, enum rop_order_actor actor);
/*
 * Move order "oid" of restaurant "rid", found in status "from", to
 * PAID at "paid_at" (a timestamptz text) for "actor" (the payments:
 * a capture), inside the caller's open transaction, which took the
 * order's row lock first (SPEC §2: table session, order, counter).
 * rop_order_pay_check() decides; only the order area writes orders.
 * Returns 0 when paid, or -1 without writing (its errors, or a
 * database error); the caller rolls back.
 */
int	 rop_order_pay(struct rop_ctx *, const char *rid, const char *oid,
	    const char *from, enum rop_order_actor actor,
	    const char *paid_at);

#endif /* ROP_ORDER_H */
