/*
 * orders: place and read orders, move them through the kitchen, and
 * list a table's orders (SPEC §6 Orders, table orders).
 */
#include <stdio.h>
#include <stdlib.h>

#include "rop_app.h"
#include "rop_order.h"
#include "rop_table.h"

static int	place_check(struct rop_ctx *, struct rop_req *);
static int	list_check(struct rop_ctx *, struct rop_req *);
static int	order_place(struct rop_ctx *, struct rop_req *);
static int	table_orders(struct rop_ctx *, struct rop_req *);
static int	order_get(struct rop_ctx *, struct rop_req *);
static int	order_accept(struct rop_ctx *, struct rop_req *);
static int	order_ready(struct rop_ctx *, struct rop_req *);
static int	order_cancel(struct rop_ctx *, struct rop_req *);
static int	order_move(struct rop_ctx *, struct rop_req *,
		    enum rop_order_action);

/*
 * Placing takes a guest of that table (a table token for another table
 * is 403) or floor staff; reading an order, a guest of its table or any
 * staff.  Who may move an order also depends on its state (a WAITER
 * cancels a PLACED order only): the state machine decides that part.
 */
static const struct rop_route routes[] = {
	/* route		method	who		tenant
	 *	check		handler */
	{ "table.orders",	"POST",	ROP_RS_FLOOR | ROP_RS_GUEST,
					ROP_TENANT_PATH,
		place_check,	order_place },
	{ "table.orders",	"GET",	ROP_RS_FLOOR,	ROP_TENANT_PATH,
		list_check,	table_orders },
	{ "order.get",		"GET",	ROP_RS_STAFF | ROP_RS_GUEST,
					ROP_TENANT_ORDER,
		NULL,		order_get },
	{ "order.accept",	"POST",	ROP_RS_KITCHEN,	ROP_TENANT_ORDER,
		rop_check_no_payload, order_accept },
	{ "order.ready",	"POST",	ROP_RS_KITCHEN,	ROP_TENANT_ORDER,
		rop_check_no_payload, order_ready },
	{ "order.cancel",	"POST",	ROP_RS_FLOOR,	ROP_TENANT_ORDER,
		rop_order_cancel_check, order_cancel },
	{ NULL, NULL, 0, ROP_TENANT_NONE, NULL, NULL }
};

static const struct rop_app app = { "orders", routes, ROP_CONFIG_SECRETS,
    rop_order_locate };

/* An optional Idempotency-Key, then the order body. */
static int
place_check(struct rop_ctx *ctx, struct rop_req *req)
{
	if (rop_req_idem_key(req, &ctx->err, 0, &req->idem_key) == -1)
		return -1;
	return rop_order_draft_check(ctx, req);
}

/* The table's orders: status defaults to ALL. */
static int
list_check(struct rop_ctx *ctx, struct rop_req *req)
{
	return rop_order_page_check(ctx, req, NULL);
}

static int
order_place(struct rop_ctx *ctx, struct rop_req *req)
{
	char	*json = NULL;
	int	 replayed = 0;

	if (req->tid == NULL)
		return rop_err_set(&ctx->err, ROP_ENOTFOUND, NULL,
		    "no such resource");
	if (rop_order_place(ctx, req->rid, req->tid, req->args, req->idem_key,
	    &json, &replayed) == -1)
		return -1;
	if (replayed)
		rop_reply_header(req, "Idempotent-Replayed", "true");
	return rop_reply_json_take(req, 201, json);
}

static int
table_orders(struct rop_ctx *ctx, struct rop_req *req)
{
	const struct rop_order_page	*pg = req->args;
	char				 sid[65], *json = NULL;

	if (req->tid == NULL)
		return rop_err_set(&ctx->err, ROP_ENOTFOUND, NULL,
		    "no such resource");
	if (rop_table_session(ctx, req->rid, req->tid, sid) == -1)
		return -1;
	if (sid[0] == '\0') {
		/* Never opened: no session, no orders (SPEC §9.23). */
		static const char empty[] = "{\"orders\":[],\"nextCursor\":null}";

		return rop_reply_json_text(req, 200, empty, sizeof(empty) - 1);
	}
	if (rop_order_list(ctx, req->rid, sid, pg->status, pg->limit,
	    pg->cursor, &json) == -1)
		return -1;
	return rop_reply_json_take(req, 200, json);
}

/* The token's restaurant is the tenant: others' orders are 404. */
static int
order_get(struct rop_ctx *ctx, struct rop_req *req)
{
	char	 tid[65], *json = NULL;

	if (rop_order_get(ctx, req->rid, req->oid, &json, tid) == -1)
		return -1;
	return rop_reply_json_take(req, 200, json);
}

static int
order_move(struct rop_ctx *ctx, struct rop_req *req, enum rop_order_action act)
{
	char	*json = NULL;

	if (rop_order_transition(ctx, &ctx->caller, req->oid, act,
	    act == ROP_ACT_CANCEL ? req->args : NULL, &json) == -1)
		return -1;
	return rop_reply_json_take(req, 200, json);
}

static int
order_accept(struct rop_ctx *ctx, struct rop_req *req)
{
	return order_move(ctx, req, ROP_ACT_ACCEPT);
}

static int
order_ready(struct rop_ctx *ctx, struct rop_req *req)
{
	return order_move(ctx, req, ROP_ACT_READY);
}

static int
order_cancel(struct rop_ctx *ctx, struct rop_req *req)
{
	return order_move(ctx, req, ROP_ACT_CANCEL);
}

int
main(void)
{
	return rop_app_run(&app) == 0 ? 0 : 1;
}
