/*
 * rop_payment: capturing payment for a READY order, listing an order's
 * payments, and settling payments a crash left PENDING (SPEC §6
 * Payments, §9.7, §9.10, §9.19).
 *
 * A capture is two transactions around the provider call (rop_provider.h):
 *
 *   tx1  lock the order row, answer a replay of the key, check state
 *        and amount, insert the payment PENDING, commit;
 *   ...  ask the provider (outside any transaction) with the key;
 *   tx2  lock the order row again, settle the payment: CAPTURED with
 *        the order READY -> PAID and the payment.captured event, or
 *        FAILED (402, the order stays READY); commit, publish.
 *
 * Captures of one order are serialised for their whole length by a
 * session advisory lock on the order, so a second key waits while a
 * first one is PENDING and then sees the order PAID (409
 * ORDER_ALREADY_PAID) or the first one FAILED (and captures itself).
 * A PENDING payment nobody holds that lock for was left by a crash: it
 * is settled by asking the provider again with its own key, by the
 * client's retry, by the next capture of that order, or by
 * rop-reconcile.  Replies are finished JSON texts the caller frees.
 */
#ifndef ROP_PAYMENT_H
#define ROP_PAYMENT_H
/* layer: area */

#include <stdint.h>

struct json_object;
struct rop_ctx;

/* A parsed capture body. */
struct rop_payment_draft {
	char		 method[5];	/* "CARD" or "CASH" */
	int		 has_amount;
	int64_t		 amount_cents;
	char		 amount_currency[4];
	int		 has_tip;
	int64_t		 tip_cents;
	char		 tip_currency[4];
	const char	*card_token;	/* borrowed from the body, or NULL */
	char		 hash[65];	/* of the normalised body */
};

/*
 * Check a capture body strictly and hash its normalised form (nulls
 * dropped, keys sorted).  Returns 0, or -1 with 400 VALIDATION_ERROR
 * (details.field).  "d" borrows from "body".
 */
int	 rop_payment_parse(struct rop_ctx *, struct json_object *body,
	    struct rop_payment_draft *d);

/*
 * Capture payment for order "oid" of restaurant "rid" under the
 * Idempotency-Key "key".  On success *json is the CAPTURED payment and
 * *replayed tells whether it is the replay of an earlier capture.
 * Returns 0, or -1 with the error in ctx: 400 AMOUNT_MISMATCH,
 * VALIDATION_ERROR; 402 PAYMENT_DECLINED (details.paymentId, also on a
 * replay); 404 ORDER_NOT_FOUND; 409 INVALID_ORDER_TRANSITION,
 * ORDER_ALREADY_PAID, IDEMPOTENCY_KEY_REPLAY_DIFFERENT_PAYLOAD; 503
 * when the database or the provider could not be reached (a PENDING
 * payment is then finished by a retry with the same key).
 */
int	 rop_payment_capture(struct rop_ctx *, const char *rid,
	    const char *oid, const struct rop_payment_draft *d,
	    const char *key, char **json, int *replayed);

/*
 * {"payments":[...]} of order "oid", oldest first.  Returns 0, or -1
 * (404 ORDER_NOT_FOUND).
 */
int	 rop_payment_list(struct rop_ctx *, const char *rid, const char *oid,
	    char **json);

/*
 * Settle up to "limit" payments PENDING for more than "older_than"
 * seconds, each as its capture would have: the provider is asked again
 * with the same key.  Payments whose capture is still running (their
 * order's lock is held) are skipped.  Counts go to *settled, *skipped
 * and *failed (could not be settled now).  Returns 0, or -1 when the
 * scan itself failed.
 */
int	 rop_payment_reconcile(struct rop_ctx *, int older_than, int limit,
	    int *settled, int *skipped, int *failed);

#endif /* ROP_PAYMENT_H */
