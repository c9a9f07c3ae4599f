/*
 * rop_payment: the two-phase capture, the payment list and the
 * reconciliation of PENDING payments.
 *
 * Locks, in order: the order's session advisory lock (held across the
 * provider call, never inside a transaction), then in each transaction
 * the order row, the payment row, and last the restaurant's event
 * counter (rop_event_write, at the commit).  Order transitions and
 * table closes take row locks only, so they never wait on the advisory
 * lock and no cycle can form.
 */
#include <json-c/json.h>
#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_db.h"
#include "rop_event.h"
#include "rop_id.h"
#include "rop_json.h"
#include "rop_log.h"
#include "rop_metrics.h"
#include "rop_order.h"
#include "rop_payment.h"
#include "rop_provider.h"
#include "rop_time.h"
#include "rop_view.h"
#include "domain/rop_money.h"

/* Far beyond any bill, far below overflow of amount + tip. */
#define MONEY_MAX		100000000000LL
/* How long a capture waits for another capture of the same order. */
#define CAPTURE_WAIT		"15s"
#define CAPTURE_ATTEMPTS	8

/* A payment between its two transactions, copied out of its row. */
struct pay {
	char	 rid[65], oid[65], id[ROP_ID_BUFSZ];
	char	 key[129];
	char	 method[5], currency[4];
	char	 token[257];
	int	 has_token;
	int64_t	 amount, tip;
	int	 resume;	/* an existing PENDING row, not a new one */
};

/* What the first transaction found to do. */
enum step {
	STEP_DONE = 0,		/* answered (a replay) */
	STEP_SETTLE,		/* settle "pay": ours, new or resumed */
	STEP_ORPHAN		/* settle "pay" of another key first */
};

static void	lock_name(char *, size_t, const char *, const char *);
static int	order_lock(struct rop_ctx *, const char *, const char *);
static void	order_unlock(struct rop_ctx *, const char *);
static void	pay_from_row(struct pay *, const PGresult *, int,
		    const char *, const char *);
static int	open_tx(struct rop_ctx *, const char *, const char *,
		    const struct rop_payment_draft *, const char *,
		    struct pay *, char **, int *, enum step *);
static int	ask_provider(struct rop_ctx *, const struct pay *,
		    struct rop_provider_res *);
static int	settle_tx(struct rop_ctx *, const struct pay *,
		    const struct rop_provider_res *, char **, int *);
static void	refund(struct rop_ctx *, const struct pay *);
static int	settle_pay(struct rop_ctx *, const struct pay *, char **);
static int	declined(struct rop_ctx *, const char *, const char *);
static struct json_object *pay_json(const PGresult *, int, int);
static char	*pay_text(struct rop_ctx *, const PGresult *, int, int);

/* The columns pay_json() reads: a Payment's, in rop_view_payment order. */
#define VIEW_COLS(p) \
	p ".payment_id, " p ".order_id, " p ".status, " p ".method," \
	" " p ".currency::text, " p ".provider_ref, " p ".amount_cents," \
	" " p ".tip_cents, " ROP_VIEW_MS(p ".captured_at")
enum { V_ID, V_OID, V_STATUS, V_METHOD, V_CUR, V_REF, V_AMOUNT, V_TIP,
    V_CAPTURED, V_NCOLS };

/* The columns pay_from_row() reads, then the Payment's. */
#define PAY_COLS \
	"p.payment_id, p.status, p.idem_hash, p.method, p.amount_cents," \
	" p.tip_cents, p.currency, p.card_token, p.idem_key," \
	" p.decline_code, " VIEW_COLS("p")
enum { C_ID, C_STATUS, C_HASH, C_METHOD, C_AMOUNT, C_TIP, C_CUR, C_TOKEN,
    C_KEY, C_DECLINE, C_VIEW, C_END = C_VIEW + V_NCOLS };

static const struct rop_stmt st_order_lock = {
	"pay_order_lock",
	"SELECT status, total_cents, currency, table_id FROM orders"
	" WHERE restaurant_id = $1 AND order_id = $2 FOR UPDATE", 2, 0
};
static const struct rop_stmt st_by_key = {
	"pay_by_key",
	"SELECT " PAY_COLS " FROM payments p WHERE p.restaurant_id = $1"
	" AND p.order_id = $2 AND p.idem_key = $3", 3, 0
};
static const struct rop_stmt st_pending = {
	"pay_pending",
	"SELECT " PAY_COLS " FROM payments p WHERE p.restaurant_id = $1"
	" AND p.order_id = $2 AND p.status = 'PENDING'"
	" ORDER BY p.created_at, p.payment_id LIMIT 1", 2, 0
};
static const struct rop_stmt st_by_id = {
	"pay_by_id",
	"SELECT " PAY_COLS ", p.order_id FROM payments p"
	" WHERE p.restaurant_id = $1 AND p.payment_id = $2", 2, 1
};
static const struct rop_stmt st_insert = {
	"pay_insert",
	"INSERT INTO payments (restaurant_id, payment_id, order_id, status,"
	" method, amount_cents, tip_cents, currency, provider, card_token,"
	" idem_key, idem_hash, created_at) VALUES ($1, $2, $3, 'PENDING',"
	" $4, $5, $6, $7, $8, $9, $10, $11,"
	" date_trunc('milliseconds', clock_timestamp()))", 11, 0
};
static const struct rop_stmt st_pay_lock = {
	"pay_lock",
	"SELECT p.status, p.decline_code, " VIEW_COLS("p")
	" FROM payments p WHERE p.restaurant_id = $1 AND p.payment_id = $2"
	" FOR UPDATE", 2, 0
};
/*
 * The payment CAPTURED; the order's move to PAID is the order area's
 * (rop_order_pay), at the capture's moment (the column after the view's).
 */
static const struct rop_stmt st_capture = {
	"pay_capture",
	"WITH p AS (UPDATE payments SET status = 'CAPTURED',"
	"  provider_ref = $3, captured_at = date_trunc('milliseconds',"
	"  clock_timestamp())"
	"  WHERE restaurant_id = $1 AND payment_id = $2"
	"  RETURNING *)"
	" SELECT " VIEW_COLS("p") ", p.captured_at::text FROM p", 3, 0
};
static const struct rop_stmt st_fail = {
	"pay_fail",
	"UPDATE payments SET status = 'FAILED', decline_code = $3"
	" WHERE restaurant_id = $1 AND payment_id = $2"
	" RETURNING payment_id", 3, 0
};
/* One row per payment, oldest first; one row of NULLs for none. */
static const struct rop_stmt st_list = {
	"pay_list",
	"SELECT " VIEW_COLS("p") " FROM orders o LEFT JOIN payments p"
	" ON p.restaurant_id = o.restaurant_id AND p.order_id = o.order_id"
	" WHERE o.restaurant_id = $1 AND o.order_id = $2"
	" ORDER BY p.created_at, p.payment_id", 2, 1
};
/*
 * The order's advisory lock.  lock_timeout is set for this statement
 * only (outside a transaction block each statement is its own), in a
 * fenced subquery so that it is in force before the lock is asked for.
 */
static const struct rop_stmt st_adv_lock = {
	"pay_adv_lock",
	"SELECT pg_advisory_lock(hashtextextended($1, 0)) FROM"
	" (SELECT set_config('lock_timeout', $2, true) OFFSET 0) s", 2, 0
};
static const struct rop_stmt st_adv_try = {
	"pay_adv_try",
	"SELECT pg_try_advisory_lock(hashtextextended($1, 0))", 1, 0
};
static const struct rop_stmt st_adv_unlock = {
	"pay_adv_unlock",
	"SELECT pg_advisory_unlock(hashtextextended($1, 0))", 1, 0
};
static const struct rop_stmt st_stale = {
	"pay_stale",
	"SELECT restaurant_id, payment_id FROM payments"
	" WHERE status = 'PENDING'"
	" AND created_at <= clock_timestamp() - $1::int * interval '1 second'"
	" ORDER BY created_at LIMIT $2", 2, 1
};

static void
lock_name(char *buf, size_t bufsz, const char *rid, const char *oid)
{
	snprintf(buf, bufsz, "rop.payment:%s/%s", rid, oid);
}

/* Take the order's capture lock, waiting at most CAPTURE_WAIT. */
static int
order_lock(struct rop_ctx *ctx, const char *rid, const char *oid)
{
	char		 name[160];
	const char	*p[2] = { name, CAPTURE_WAIT };
	PGresult	*res;

	lock_name(name, sizeof(name), rid, oid);
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_adv_lock, p)) == NULL) {
		if (strcmp(rop_db_sqlstate(ctx->db), "55P03") == 0)
			rop_err_set(&ctx->err, ROP_EUNAVAIL, NULL,
			    "another capture of order %s is still running; "
			    "retry with the same Idempotency-Key", oid);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* Release it; a lost connection has released it already. */
static void
order_unlock(struct rop_ctx *ctx, const char *name)
{
	struct rop_err	 e;
	const char	*p[1] = { name };

	rop_err_clear(&e);
	PQclear(rop_db_exec(ctx->db, &e, &st_adv_unlock, p));
}

static void
pay_from_row(struct pay *pay, const PGresult *res, int row, const char *rid,
    const char *oid)
{
	memset(pay, 0, sizeof(*pay));
	snprintf(pay->rid, sizeof(pay->rid), "%s", rid);
	snprintf(pay->oid, sizeof(pay->oid), "%s", oid);
	snprintf(pay->id, sizeof(pay->id), "%s", rop_db_str(res, row, C_ID));
	snprintf(pay->key, sizeof(pay->key), "%s",
	    rop_db_str(res, row, C_KEY));
	snprintf(pay->method, sizeof(pay->method), "%s",
	    rop_db_str(res, row, C_METHOD));
	snprintf(pay->currency, sizeof(pay->currency), "%s",
	    rop_db_str(res, row, C_CUR));
	if (!rop_db_isnull(res, row, C_TOKEN)) {
		pay->has_token = 1;
		snprintf(pay->token, sizeof(pay->token), "%s",
		    rop_db_str(res, row, C_TOKEN));
	}
	pay->amount = rop_db_int(res, row, C_AMOUNT);
	pay->tip = rop_db_int(res, row, C_TIP);
	pay->resume = 1;
}

/* The Payment of row "row" whose VIEW_COLS start at "col" (owned). */
static struct json_object *
pay_json(const PGresult *res, int row, int col)
{
	struct rop_view_payment	 v;

	v.payment_id = rop_db_str(res, row, col + V_ID);
	v.order_id = rop_db_str(res, row, col + V_OID);
	v.status = rop_db_str(res, row, col + V_STATUS);
	v.method = rop_db_str(res, row, col + V_METHOD);
	v.currency = rop_db_str(res, row, col + V_CUR);
	v.provider_ref = rop_db_isnull(res, row, col + V_REF) ? NULL :
	    rop_db_str(res, row, col + V_REF);
	v.amount = rop_db_int(res, row, col + V_AMOUNT);
	v.tip = rop_db_int(res, row, col + V_TIP);
	v.captured = rop_db_isnull(res, row, col + V_CAPTURED) ?
	    ROP_VIEW_NO_TIME : rop_db_int(res, row, col + V_CAPTURED);
	return rop_view_payment(&v);
}

/* Its JSON text (malloc'd), or NULL with the error set. */
static char *
pay_text(struct rop_ctx *ctx, const PGresult *res, int row, int col)
{
	struct json_object	*o;
	char			*text;
	size_t			 len;

	if ((o = pay_json(res, row, col)) == NULL) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "payment");
		return NULL;
	}
	text = rop_json_copy(&ctx->err, rop_json_text(o, &len));
	json_object_put(o);
	return text;
}

/* 402 PAYMENT_DECLINED for payment "pid" (SPEC §9.19). */
static int
declined(struct rop_ctx *ctx, const char *pid, const char *code)
{
	rop_err_set(&ctx->err, ROP_EPAYMENT, "PAYMENT_DECLINED",
	    "the payment was declined%s%s", code != NULL ? ": " : "",
	    code != NULL ? code : "");
	rop_err_detail(&ctx->err, "paymentId", pid);
	if (code != NULL)
		rop_err_detail(&ctx->err, "declineCode", code);
	return -1;
}

int
rop_payment_parse(struct rop_ctx *ctx, struct json_object *body,
    struct rop_payment_draft *d)
{
	static const char *const keys[] = { "method", "amount", "tip",
	    "cardToken", NULL };
	struct json_object	*o = NULL;
	const char		*m;
	int			 rc = -1;

	memset(d, 0, sizeof(*d));
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		rop_err_set(&ctx->err, ROP_EINVAL, NULL,
		    "the body must be a JSON object");
		rop_err_detail(&ctx->err, "field", "body");
		return -1;
	}
	if (rop_json_only(&ctx->err, body, "", keys) == -1 ||
	    rop_json_string(&ctx->err, body, "", "method", 1, 1, 16,
	    &m) == -1)
		return -1;
	if (strcmp(m, "CARD") != 0 && strcmp(m, "CASH") != 0) {
		rop_err_set(&ctx->err, ROP_EINVAL, NULL,
		    "method must be CARD or CASH");
		rop_err_detail(&ctx->err, "field", "method");
		return -1;
	}
	snprintf(d->method, sizeof(d->method), "%s", m);
	if (rop_json_money(&ctx->err, body, "", "amount", MONEY_MAX,
	    &d->amount_cents, d->amount_currency, &d->has_amount) == -1 ||
	    rop_json_money(&ctx->err, body, "", "tip", MONEY_MAX,
	    &d->tip_cents, d->tip_currency, &d->has_tip) == -1 ||
	    rop_json_string(&ctx->err, body, "", "cardToken", 0, 1, 256,
	    &d->card_token) == -1)
		return -1;

	/*
	 * The normalised body: keys sorted, nulls dropped, no whitespace,
	 * so "the same JSON value" hashes the same (SPEC §9.7, §9.18).
	 */
	if ((o = json_object_new_object()) == NULL)
		goto out;
	if (d->has_amount)
		rop_json_add(o, "amount", rop_json_new_money(d->amount_cents,
		    d->amount_currency));
	if (d->card_token != NULL)
		rop_json_add(o, "cardToken",
		    json_object_new_string(d->card_token));
	rop_json_add(o, "method", json_object_new_string(d->method));
	if (d->has_tip)
		rop_json_add(o, "tip", rop_json_new_money(d->tip_cents,
		    d->tip_currency));
	rc = rop_json_hash(&ctx->err, o, d->hash);
out:
	json_object_put(o);
	if (rc == -1 && ctx->err.status == ROP_OK)
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "idempotency hash");
	return rc;
}

/*
 * The first transaction: under the order's row lock, replay the key or
 * check the order and write the payment PENDING.  *step tells the
 * caller what is left to do.
 */
static int
open_tx(struct rop_ctx *ctx, const char *rid, const char *oid,
    const struct rop_payment_draft *d, const char *key, struct pay *pay,
    char **json, int *replayed, enum step *step)
{
	PGresult	*ord = NULL, *res = NULL;
	const char	*p[11], *status, *cur, *st;
	char		 amount_s[24], tip_s[24];
	int64_t		 total;
	int		 rc = -1;

	*step = STEP_DONE;
	if (rop_db_begin(ctx->db, &ctx->err) == -1)
		return -1;
	p[0] = rid;
	p[1] = oid;
	p[2] = key;
	if ((ord = rop_db_exec(ctx->db, &ctx->err, &st_order_lock, p)) == NULL)
		goto out;
	if (PQntuples(ord) == 0) {
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "ORDER_NOT_FOUND",
		    "no order %s", oid);
		goto out;
	}
	status = rop_db_str(ord, 0, 0);
	total = rop_db_int(ord, 0, 1);
	cur = rop_db_str(ord, 0, 2);

	/* A replay answers with the payment in its current state. */
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_by_key, p)) == NULL)
		goto out;
	if (PQntuples(res) > 0) {
		if (strcmp(rop_db_str(res, 0, C_HASH), d->hash) != 0) {
			rop_err_set(&ctx->err, ROP_ECONFLICT,
			    "IDEMPOTENCY_KEY_REPLAY_DIFFERENT_PAYLOAD",
			    "this Idempotency-Key was used with a different "
			    "body");
			goto out;
		}
		st = rop_db_str(res, 0, C_STATUS);
		if (strcmp(st, "FAILED") == 0) {
			declined(ctx, rop_db_str(res, 0, C_ID),
			    rop_db_str(res, 0, C_DECLINE));
			ctx->err.replayed = 1;
			goto out;
		}
		if (strcmp(st, "PENDING") == 0) {
			/* Our own earlier attempt, cut short: finish it. */
			pay_from_row(pay, res, 0, rid, oid);
			*step = STEP_SETTLE;
		} else {
			if ((*json = pay_text(ctx, res, 0, C_VIEW)) == NULL)
				goto out;
			*replayed = 1;
		}
		rc = 0;
		goto out;
	}
	PQclear(res);
	res = NULL;

	/* The order's state machine says whether it can be paid. */
	if (rop_order_pay_check(&ctx->err, oid, status,
	    rop_order_actor(ctx->caller.role)) == -1)
		goto out;

	/*
	 * A PENDING payment of another key while we hold the order's
	 * capture lock was left by a crash: settle it first.
	 */
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_pending, p)) == NULL)
		goto out;
	if (PQntuples(res) > 0) {
		pay_from_row(pay, res, 0, rid, oid);
		*step = STEP_ORPHAN;
		rc = 0;
		goto out;
	}

	if (d->has_amount && (d->amount_cents != total ||
	    strcmp(d->amount_currency, cur) != 0)) {
		rop_err_set(&ctx->err, ROP_EINVAL, "AMOUNT_MISMATCH",
		    "amount must equal the order total, %lld %s",
		    (long long)total, cur);
		rop_err_detail(&ctx->err, "field", "amount");
		rop_err_detail_int(&ctx->err, "expectedAmountCents", total);
		rop_err_detail(&ctx->err, "currency", cur);
		goto out;
	}
	if (d->has_tip && strcmp(d->tip_currency, cur) != 0) {
		rop_err_set(&ctx->err, ROP_EINVAL, NULL,
		    "tip must be in the order's currency, %s", cur);
		rop_err_detail(&ctx->err, "field", "tip.currency");
		goto out;
	}
	/*
	 * SPEC §16.28: a tip of at most 10x the amount (exactly 10x is
	 * allowed): ceil(tip / 10) <= amount, which cannot overflow.
	 */
	if (d->has_tip && d->tip_cents / 10 + (d->tip_cents % 10 != 0) >
	    total) {
		rop_err_set(&ctx->err, ROP_EINVAL, NULL,
		    "tip must be at most 10 times the amount (%lld %s)",
		    (long long)total, cur);
		rop_err_detail(&ctx->err, "field", "tip.amountCents");
		goto out;
	}

	memset(pay, 0, sizeof(*pay));
	snprintf(pay->rid, sizeof(pay->rid), "%s", rid);
	snprintf(pay->oid, sizeof(pay->oid), "%s", oid);
	snprintf(pay->key, sizeof(pay->key), "%s", key);
	snprintf(pay->method, sizeof(pay->method), "%s", d->method);
	snprintf(pay->currency, sizeof(pay->currency), "%s", cur);
	pay->amount = total;
	pay->tip = d->has_tip ? d->tip_cents : 0;
	/* cardToken is only read by the CARD method (SPEC §9.10). */
	if (strcmp(d->method, "CARD") == 0 && d->card_token != NULL) {
		pay->has_token = 1;
		snprintf(pay->token, sizeof(pay->token), "%s", d->card_token);
	}
	if (rop_id_new(pay->id, "pay_", rop_time_now_ms()) == -1) {
		rop_err_set(&ctx->err, ROP_EINTERNAL, NULL, "payment id");
		goto out;
	}
	snprintf(amount_s, sizeof(amount_s), "%lld", (long long)pay->amount);
	snprintf(tip_s, sizeof(tip_s), "%lld", (long long)pay->tip);
	PQclear(res);
	p[0] = rid;
	p[1] = pay->id;
	p[2] = oid;
	p[3] = pay->method;
	p[4] = amount_s;
	p[5] = tip_s;
	p[6] = cur;
	p[7] = strcmp(pay->method, "CASH") == 0 ? "cash" :
	    ctx->cfg.payment_provider;
	p[8] = pay->has_token ? pay->token : NULL;
	p[9] = key;
	p[10] = d->hash;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_insert, p)) == NULL) {
		if (strcmp(rop_db_sqlstate(ctx->db), "23505") == 0)
			rop_err_set(&ctx->err, ROP_ECONFLICT,
			    "IDEMPOTENCY_RACE",
			    "a concurrent capture used this key");
		goto out;
	}
	*step = STEP_SETTLE;
	rc = 0;
out:
	if (rc == 0 && rop_db_commit(ctx->db, &ctx->err) == -1) {
		free(*json);
		*json = NULL;
		*replayed = 0;
		rc = -1;
	}
	if (rc == -1) {
		rop_db_rollback(ctx->db);
		*step = STEP_DONE;
	}
	PQclear(ord);
	PQclear(res);
	return rc;
}

/*
 * Ask the provider to capture "pay" (outside any transaction).  CASH
 * never reaches the card path: it is approved here, with no reference.
 */
static int
ask_provider(struct rop_ctx *ctx, const struct pay *pay,
    struct rop_provider_res *res)
{
	const struct rop_provider	*prov;
	struct rop_provider_req		 req;
	char				 scoped[300];
	int64_t				 charge;

	memset(res, 0, sizeof(*res));
	if (strcmp(pay->method, "CASH") == 0) {
		res->outcome = ROP_PROVIDER_APPROVED;
		return 0;
	}
	if ((prov = rop_provider_find(ctx->cfg.payment_provider)) == NULL)
		return rop_err_set(&ctx->err, ROP_EINTERNAL, NULL,
		    "unknown payment provider \"%s\"",
		    ctx->cfg.payment_provider);
	if (rop_money_add(pay->amount, pay->tip, &charge) == -1)
		return rop_err_set(&ctx->err, ROP_EINVAL, NULL,
		    "amount and tip out of range");
	/* Keys are scoped to the order (SPEC §9.7); the provider's are not. */
	snprintf(scoped, sizeof(scoped), "%s:%s:%s", pay->rid, pay->oid,
	    pay->key);
	memset(&req, 0, sizeof(req));
	req.idem_key = scoped;
	req.restaurant_id = pay->rid;
	req.payment_id = pay->id;
	req.amount_cents = charge;
	req.currency = pay->currency;
	req.card_token = pay->has_token ? pay->token : NULL;
	req.resume = pay->resume;
	return prov->capture(&req, res, &ctx->err);
}

/*
 * The second transaction: under the order's row lock, settle "pay"
 * with the provider's answer.  *need_refund is set when the provider
 * charged but the order could no longer be paid.
 */
static int
settle_tx(struct rop_ctx *ctx, const struct pay *pay,
    const struct rop_provider_res *pr, char **json, int *need_refund)
{
	PGresult		*ord = NULL, *pl = NULL, *res = NULL;
	struct json_object	*ev = NULL;
	struct rop_err		 unpayable;
	const char		*p[3];
	char			 ostatus[16] = "", tid[65];
	enum { S_CAPTURED, S_DECLINED, S_UNPAYABLE, S_DONE } s = S_DONE;
	int			 rc = -1, committed = 0, payable;

	*json = NULL;
	*need_refund = 0;
	if (rop_db_begin(ctx->db, &ctx->err) == -1)
		return -1;
	p[0] = pay->rid;
	p[1] = pay->oid;
	if ((ord = rop_db_exec(ctx->db, &ctx->err, &st_order_lock, p)) == NULL)
		goto out;
	if (PQntuples(ord) == 0) {
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "ORDER_NOT_FOUND",
		    "no order %s", pay->oid);
		goto out;
	}
	snprintf(ostatus, sizeof(ostatus), "%s", rop_db_str(ord, 0, 0));
	snprintf(tid, sizeof(tid), "%s", rop_db_str(ord, 0, 3));
	p[1] = pay->id;
	if ((pl = rop_db_exec(ctx->db, &ctx->err, &st_pay_lock, p)) == NULL)
		goto out;
	if (PQntuples(pl) == 0) {
		rop_err_set(&ctx->err, ROP_EINTERNAL, NULL,
		    "payment %s vanished", pay->id);
		goto out;
	}
	if (strcmp(rop_db_str(pl, 0, 0), "PENDING") != 0) {
		/* Settled meanwhile (by a reconciler): answer that. */
		if (strcmp(rop_db_str(pl, 0, 0), "FAILED") == 0)
			s = S_DECLINED;
		else if ((*json = pay_text(ctx, pl, 0, 2)) == NULL)
			goto out;
		if (s == S_DECLINED)
			declined(ctx, pay->id, rop_db_str(pl, 0, 1));
		rc = s == S_DECLINED ? -1 : 0;
		goto out;
	}
	/* The money is the customer's; the system records it. */
	rop_err_clear(&unpayable);
	payable = rop_order_pay_check(&unpayable, pay->oid, ostatus,
	    ROP_ACTOR_SYSTEM) == 0;
	if (pr->outcome == ROP_PROVIDER_APPROVED && payable) {
		p[2] = pr->ref[0] != '\0' ? pr->ref : NULL;
		if ((res = rop_db_exec(ctx->db, &ctx->err, &st_capture,
		    p)) == NULL)
			goto out;
		if (rop_order_pay(ctx, pay->rid, pay->oid, ostatus,
		    ROP_ACTOR_SYSTEM, rop_db_str(res, 0, V_NCOLS)) == -1)
			goto out;
		if ((ev = json_object_new_object()) == NULL) {
			rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "event");
			goto out;
		}
		rop_json_add(ev, "orderId", json_object_new_string(pay->oid));
		rop_json_add(ev, "tableId", json_object_new_string(tid));
		rop_json_add(ev, "paymentId", json_object_new_string(pay->id));
		rop_json_add(ev, "amount", rop_json_new_money(pay->amount,
		    pay->currency));
		rop_json_add(ev, "capturedAt", rop_view_time(rop_db_isnull(res,
		    0, V_CAPTURED) ? ROP_VIEW_NO_TIME :
		    rop_db_int(res, 0, V_CAPTURED)));
		if (rop_app_event(ctx, pay->rid, "payment.captured", tid,
		    ev) == -1)
			goto out;
		if ((*json = pay_text(ctx, res, 0, 0)) == NULL)
			goto out;
		s = S_CAPTURED;
	} else {
		const char *why = pr->outcome == ROP_PROVIDER_APPROVED ?
		    "order_not_payable" : pr->code[0] != '\0' ? pr->code :
		    "declined";

		p[2] = why;
		if ((res = rop_db_exec(ctx->db, &ctx->err, &st_fail,
		    p)) == NULL)
			goto out;
		s = pr->outcome == ROP_PROVIDER_APPROVED ? S_UNPAYABLE :
		    S_DECLINED;
		*need_refund = s == S_UNPAYABLE && pr->ref[0] != '\0';
	}
	if (rop_app_commit(ctx) == -1) {
		*need_refund = 0;
		goto out;
	}
	committed = 1;
	rop_app_publish(ctx);
	switch (s) {
	case S_CAPTURED:
		rop_metrics_add(ctx->metrics, "rop_payments_captured_total",
		    NULL, 1);
		rc = 0;
		break;
	case S_DECLINED:
		rop_metrics_add(ctx->metrics, "rop_payments_declined_total",
		    NULL, 1);
		declined(ctx, pay->id, pr->code[0] != '\0' ? pr->code : NULL);
		break;
	case S_UNPAYABLE:
		/* Only a lost advisory lock gets here: never two captures. */
		ctx->err = unpayable;
		break;
	case S_DONE:
		break;
	}
out:
	if (!committed) {
		/* Nothing written, or a settled payment only read. */
		rop_db_rollback(ctx->db);
		rop_event_discard(&ctx->outbox);
	}
	if (rc == -1) {
		free(*json);
		*json = NULL;
	}
	PQclear(ord);
	PQclear(pl);
	PQclear(res);
	return rc;
}

/* Give back a capture that could not be recorded (best effort, logged). */
static void
refund(struct rop_ctx *ctx, const struct pay *pay)
{
	const struct rop_provider	*prov;
	struct rop_provider_req		 req;
	struct rop_provider_res		 res;
	struct rop_err			 e;
	char				 scoped[300];

	if ((prov = rop_provider_find(ctx->cfg.payment_provider)) == NULL)
		return;
	snprintf(scoped, sizeof(scoped), "%s:%s:%s", pay->rid, pay->oid,
	    pay->key);
	memset(&req, 0, sizeof(req));
	req.idem_key = scoped;
	req.restaurant_id = pay->rid;
	req.payment_id = pay->id;
	req.amount_cents = pay->amount + pay->tip;
	req.currency = pay->currency;
	req.resume = 1;
	rop_err_clear(&e);
	if (prov->refund(&req, &res, &e) == -1 ||
	    res.outcome != ROP_PROVIDER_APPROVED)
		rop_log("error", ctx->app, ctx->cfg.env,
		    "payment %s of order %s: refund of an unrecordable "
		    "capture failed (%s); refund it by hand", pay->id,
		    pay->oid, e.msg);
	else
		rop_log("warn", ctx->app, ctx->cfg.env,
		    "payment %s of order %s: the order could not be paid "
		    "any more, capture refunded (%s)", pay->id, pay->oid,
		    res.ref);
}

/* Provider call and second transaction for "pay". */
static int
settle_pay(struct rop_ctx *ctx, const struct pay *pay, char **json)
{
	struct rop_provider_res	 pr;
	int			 need_refund = 0, rc;

	*json = NULL;
	if (ask_provider(ctx, pay, &pr) == -1)
		return -1;
	rc = settle_tx(ctx, pay, &pr, json, &need_refund);
	if (need_refund)
		refund(ctx, pay);
	return rc;
}

int
rop_payment_capture(struct rop_ctx *ctx, const char *rid, const char *oid,
    const struct rop_payment_draft *d, const char *key, char **json,
    int *replayed)
{
	struct pay	 pay;
	enum step	 step;
	char		 name[160], *other;
	int		 attempt, rc = -1;

	*json = NULL;
	*replayed = 0;
	lock_name(name, sizeof(name), rid, oid);
	if (order_lock(ctx, rid, oid) == -1)
		return -1;
	for (attempt = 0; attempt < CAPTURE_ATTEMPTS; attempt++) {
		rc = open_tx(ctx, rid, oid, d, key, &pay, json, replayed,
		    &step);
		if (rc == -1) {
			if (ctx->err.code == NULL ||
			    strcmp(ctx->err.code, "IDEMPOTENCY_RACE") != 0)
				break;
			rop_err_clear(&ctx->err);
			continue;
		}
		if (step == STEP_DONE)
			break;
		if (step == STEP_SETTLE) {
			rc = settle_pay(ctx, &pay, json);
			/* A resumed payment is this key's original one. */
			if (rc == 0 && pay.resume)
				*replayed = 1;
			break;
		}
		/* STEP_ORPHAN: its outcome is not ours to answer. */
		rc = settle_pay(ctx, &pay, &other);
		free(other);
		if (rc == -1 && ctx->err.status != ROP_EPAYMENT &&
		    ctx->err.status != ROP_ECONFLICT)
			break;
		rop_err_clear(&ctx->err);
		rc = -1;
	}
	if (rc == -1 && ctx->err.status == ROP_OK)
		rop_err_set(&ctx->err, ROP_EUNAVAIL, NULL,
		    "order %s has unsettled payments; retry", oid);
	order_unlock(ctx, name);
	return rc;
}

int
rop_payment_list(struct rop_ctx *ctx, const char *rid, const char *oid,
    char **json)
{
	const char		*p[2] = { rid, oid };
	PGresult		*res;
	struct json_object	*top = NULL, *arr, *o;
	const char		*text;
	size_t			 len;
	int			 i, rc = -1;

	*json = NULL;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_list, p)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "ORDER_NOT_FOUND",
		    "no order %s", oid);
		goto out;
	}
	if ((top = json_object_new_object()) == NULL ||
	    rop_json_add(top, "payments", arr = json_object_new_array()) ||
	    arr == NULL)
		goto nomem;
	for (i = 0; i < PQntuples(res); i++) {
		if (rop_db_isnull(res, i, V_ID))
			continue;
		if ((o = pay_json(res, i, 0)) == NULL)
			goto nomem;
		if (json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			goto nomem;
		}
	}
	text = rop_json_text(top, &len);
	if ((*json = rop_json_copy(&ctx->err, text)) != NULL)
		rc = 0;
	goto out;
nomem:
	rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "payments");
out:
	json_object_put(top);
	PQclear(res);
	return rc;
}

int
rop_payment_reconcile(struct rop_ctx *ctx, int older_than, int limit,
    int *settled, int *skipped, int *failed)
{
	PGresult	*stale, *res = NULL;
	struct pay	 pay;
	char		 older_s[16], limit_s[16], name[160], *json;
	const char	*p[2];
	int		 i, n, rc;

	*settled = *skipped = *failed = 0;
	snprintf(older_s, sizeof(older_s), "%d", older_than);
	snprintf(limit_s, sizeof(limit_s), "%d", limit);
	p[0] = older_s;
	p[1] = limit_s;
	if ((stale = rop_db_exec(ctx->db, &ctx->err, &st_stale, p)) == NULL)
		return -1;
	n = PQntuples(stale);
	for (i = 0; i < n; i++) {
		const char *rid = rop_db_str(stale, i, 0);
		const char *pid = rop_db_str(stale, i, 1);
		char oid[65];

		rop_err_clear(&ctx->err);
		p[0] = rid;
		p[1] = pid;
		if ((res = rop_db_exec(ctx->db, &ctx->err, &st_by_id,
		    p)) == NULL) {
			(*failed)++;
			continue;
		}
		if (PQntuples(res) == 0) {
			PQclear(res);
			(*skipped)++;
			continue;
		}
		snprintf(oid, sizeof(oid), "%s", rop_db_str(res, 0,
		    C_END));
		if (strcmp(rop_db_str(res, 0, C_STATUS), "PENDING") != 0) {
			PQclear(res);
			(*skipped)++;
			continue;
		}
		pay_from_row(&pay, res, 0, rid, oid);
		PQclear(res);
		/* A capture still running holds the lock: leave it be. */
		lock_name(name, sizeof(name), rid, oid);
		p[0] = name;
		if ((res = rop_db_exec(ctx->db, &ctx->err, &st_adv_try,
		    p)) == NULL) {
			(*failed)++;
			continue;
		}
		rc = strcmp(rop_db_str(res, 0, 0), "t") == 0;
		PQclear(res);
		if (!rc) {
			(*skipped)++;
			continue;
		}
		rc = settle_pay(ctx, &pay, &json);
		free(json);
		if (rc == 0 || ctx->err.status == ROP_EPAYMENT ||
		    ctx->err.status == ROP_ECONFLICT) {
			(*settled)++;
			rop_log("info", ctx->app, ctx->cfg.env,
			    "payment %s of order %s (%s) settled: %s",
			    pay.id, oid, rid, rc == 0 ? "CAPTURED" :
			    "FAILED");
		} else {
			(*failed)++;
			rop_log("warn", ctx->app, ctx->cfg.env,
			    "payment %s of order %s (%s) left PENDING: %s",
			    pay.id, oid, rid, ctx->err.msg);
		}
		order_unlock(ctx, name);
	}
	rop_err_clear(&ctx->err);
	PQclear(stale);
	return 0;
}
