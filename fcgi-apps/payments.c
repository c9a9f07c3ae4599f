/*
 * payments: capture payment for an order and list its payments (SPEC §6
 * Payments).  Floor staff only: WAITER, MANAGER, ADMIN.  The restaurant
 * is the caller's token's, so another restaurant's order is 404.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rop_app.h"
#include "rop_order.h"
#include "rop_payment.h"

static int	capture_check(struct rop_ctx *, struct rop_req *);
static int	payment_capture(struct rop_ctx *, struct rop_req *);
static int	payment_list(struct rop_ctx *, struct rop_req *);

static const struct rop_route routes[] = {
	/* route		method	who		tenant
	 *	check		handler */
	{ "payment.capture",	"POST",	ROP_RS_FLOOR,	ROP_TENANT_ORDER,
		capture_check,	payment_capture },
	{ "payment.list",	"GET",	ROP_RS_FLOOR,	ROP_TENANT_ORDER,
		NULL,		payment_list },
	{ NULL, NULL, 0, ROP_TENANT_NONE, NULL, NULL }
};

/* The Idempotency-Key (required), then the capture body. */
static int
capture_check(struct rop_ctx *ctx, struct rop_req *req)
{
	struct rop_payment_draft	*d;

	if (rop_req_idem_key(req, &ctx->err, 1, &req->idem_key) == -1 ||
	    rop_req_json(req, &ctx->err, 0, &req->json) == -1 ||
	    (d = rop_req_args(ctx, req, sizeof(*d))) == NULL)
		return -1;
	return rop_payment_parse(ctx, req->json, d);
}

/* State and amount are checked inside the capture. */
static int
payment_capture(struct rop_ctx *ctx, struct rop_req *req)
{
	char	*json = NULL;
	int	 replayed = 0;

	if (rop_payment_capture(ctx, req->rid, req->oid, req->args,
	    req->idem_key, &json, &replayed) == -1)
		return -1;
	if (replayed)
		rop_reply_header(req, "Idempotent-Replayed", "true");
	return rop_reply_json_take(req, 201, json);
}

static int
payment_list(struct rop_ctx *ctx, struct rop_req *req)
{
	char	*json = NULL;

	if (rop_payment_list(ctx, req->rid, req->oid, &json) == -1)
		return -1;
	return rop_reply_json_take(req, 200, json);
}

int
main(void)
{
	static const struct rop_app app = { "payments", routes,
	    ROP_CONFIG_SECRETS | ROP_CONFIG_PAYMENTS, rop_order_locate };

	return rop_app_run(&app) == 0 ? 0 : 1;
}
