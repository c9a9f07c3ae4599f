/*
 * payments: capture payment for an order and list its payments (SPEC §6
 * Payments).  Floor staff only: WAITER, MANAGER, ADMIN.  The restaurant
 * is the caller's token's, so another restaurant's order is 404.
 */
#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>

#include "rop_app.h"
#include "rop_auth.h"
#include "rop_payment.h"

static int	payment_capture(struct rop_ctx *, struct rop_req *);
static int	payment_list(struct rop_ctx *, struct rop_req *);

static const struct rop_route routes[] = {
	{ "payment.capture",	"POST",	payment_capture },
	{ "payment.list",	"GET",	payment_list },
	{ NULL, NULL, NULL }
};

/*
 * Checks in SPEC §9.16 order: token (401), the order in the token's
 * restaurant (404), Idempotency-Key and body (400), role (403), then
 * state and amount inside the capture.
 */
static int
payment_capture(struct rop_ctx *ctx, struct rop_req *req)
{
	struct rop_principal		 p;
	struct rop_payment_draft	 d;
	struct json_object		*body = NULL;
	const char			*oid, *key;
	char				 tid[65], *json = NULL;
	int				 replayed = 0, rc = -1;

	if ((oid = rop_req_id(req, &ctx->err, "ROP_ORDER_ID")) == NULL)
		return -1;
	req->log_oid = oid;
	if (rop_auth_caller(ctx, req, 0, &p) == -1)
		return -1;
	snprintf(req->log_rid_buf, sizeof(req->log_rid_buf), "%s", p.rid);
	req->log_rid = req->log_rid_buf;
	if (rop_payment_order(ctx, p.rid, oid, tid) == -1)
		return -1;
	/* The log line is written after we return: not "tid" itself. */
	snprintf(req->log_tid_buf, sizeof(req->log_tid_buf), "%s", tid);
	req->log_tid = req->log_tid_buf;
	if (rop_req_idem_key(req, &ctx->err, 1, &key) == -1)
		return -1;
	if (rop_req_json(req, &ctx->err, 0, &body) == -1 ||
	    rop_payment_parse(ctx, body, &d) == -1 ||
	    rop_auth_allow(ctx, &p, ROP_RS_FLOOR, NULL) == -1 ||
	    rop_payment_capture(ctx, p.rid, oid, &d, key, &json,
	    &replayed) == -1)
		goto out;
	if (replayed)
		rop_reply_header(req, "Idempotent-Replayed", "true");
	rc = rop_reply_json_take(req, 201, json);
out:
	json_object_put(body);
	return rc;
}

static int
payment_list(struct rop_ctx *ctx, struct rop_req *req)
{
	struct rop_principal	 p;
	const char		*oid;
	char			*json = NULL;

	if ((oid = rop_req_id(req, &ctx->err, "ROP_ORDER_ID")) == NULL)
		return -1;
	req->log_oid = oid;
	if (rop_auth_caller(ctx, req, 0, &p) == -1)
		return -1;
	snprintf(req->log_rid_buf, sizeof(req->log_rid_buf), "%s", p.rid);
	req->log_rid = req->log_rid_buf;
	if (rop_payment_list(ctx, p.rid, oid, &json) == -1)
		return -1;
	if (rop_auth_allow(ctx, &p, ROP_RS_FLOOR, NULL) == -1) {
		free(json);
		return -1;
	}
	return rop_reply_json_take(req, 200, json);
}

int
main(void)
{
	static const struct rop_app app = { "payments", routes,
	    ROP_CONFIG_SECRETS };

	return rop_app_run(&app) == 0 ? 0 : 1;
}
