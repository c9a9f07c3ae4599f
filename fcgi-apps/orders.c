/*
 * orders: place and read orders, move them through the kitchen, and
 * list a table's orders (SPEC §6 Orders, table orders).
 */
#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>

#include "rop_app.h"
#include "rop_auth.h"
#include "rop_order.h"
#include "rop_table.h"

static int	order_place(struct rop_ctx *, struct rop_req *);
static int	table_orders(struct rop_ctx *, struct rop_req *);
static int	order_get(struct rop_ctx *, struct rop_req *);
static int	order_accept(struct rop_ctx *, struct rop_req *);
static int	order_ready(struct rop_ctx *, struct rop_req *);
static int	order_cancel(struct rop_ctx *, struct rop_req *);
static int	order_move(struct rop_ctx *, struct rop_req *,
		    enum rop_order_action);

static const struct rop_route routes[] = {
	{ "table.orders",	"POST",	order_place },
	{ "table.orders",	"GET",	table_orders },
	{ "order.get",		"GET",	order_get },
	{ "order.accept",	"POST",	order_accept },
	{ "order.ready",	"POST",	order_ready },
	{ "order.cancel",	"POST",	order_cancel },
	{ NULL, NULL, NULL }
};

static int
order_place(struct rop_ctx *ctx, struct rop_req *req)
{
	struct rop_principal	 p;
	struct json_object	*body = NULL;
	const char		*rid, *tid, *key;
	char			*json = NULL;
	int			 replayed = 0, rc = -1;

	if ((rid = rop_req_id(req, &ctx->err, "ROP_RESTAURANT_ID")) == NULL ||
	    (tid = rop_req_id(req, &ctx->err, "ROP_TABLE_ID")) == NULL)
		return -1;
	req->log_rid = rid;
	req->log_tid = tid;
	if (rop_auth_caller(ctx, req, 0, &p) == -1 ||
	    rop_auth_tenant(ctx, &p, rid, NULL) == -1)
		return -1;
	if (rop_req_idem_key(req, &ctx->err, 0, &key) == -1)
		return -1;
	if (rop_req_json(req, &ctx->err, 0, &body) == -1)
		goto out;
	if (rop_auth_allow(ctx, &p, ROP_RS_FLOOR | ROP_RS_GUEST, tid) == -1)
		goto out;
	if (rop_order_place(ctx, rid, tid, body, key, &json, &replayed) == -1)
		goto out;
	if (replayed)
		rop_reply_header(req, "Idempotent-Replayed", "true");
	rc = rop_reply_json_take(req, 201, json);
out:
	json_object_put(body);
	return rc;
}

static int
table_orders(struct rop_ctx *ctx, struct rop_req *req)
{
	struct rop_principal	 p;
	const char		*rid, *tid, *status;
	char			 cursor[129], sid[65], *json = NULL;
	int			 limit;

	if ((rid = rop_req_id(req, &ctx->err, "ROP_RESTAURANT_ID")) == NULL ||
	    (tid = rop_req_id(req, &ctx->err, "ROP_TABLE_ID")) == NULL)
		return -1;
	req->log_rid = rid;
	req->log_tid = tid;
	if (rop_auth_caller(ctx, req, 0, &p) == -1 ||
	    rop_auth_tenant(ctx, &p, rid, NULL) == -1 ||
	    rop_order_paging(ctx, NULL, &status, &limit, cursor) == -1 ||
	    rop_auth_allow(ctx, &p, ROP_RS_FLOOR, NULL) == -1 ||
	    rop_table_session(ctx, rid, tid, sid) == -1)
		return -1;
	if (sid[0] == '\0') {
		/* Never opened: no session, no orders (SPEC §9.23). */
		static const char empty[] = "{\"orders\":[],\"nextCursor\":null}";

		return rop_reply_json_text(req, 200, empty, sizeof(empty) - 1);
	}
	if (rop_order_list(ctx, rid, sid, status, limit, cursor, &json) == -1)
		return -1;
	return rop_reply_json_take(req, 200, json);
}

static int
order_get(struct rop_ctx *ctx, struct rop_req *req)
{
	struct rop_principal	 p;
	const char		*oid;
	char			 tid[65], *json = NULL;

	if ((oid = rop_req_id(req, &ctx->err, "ROP_ORDER_ID")) == NULL)
		return -1;
	req->log_oid = oid;
	if (rop_auth_caller(ctx, req, 0, &p) == -1)
		return -1;
	/* p dies with this call; the log line is written after it. */
	snprintf(req->log_rid_buf, sizeof(req->log_rid_buf), "%s", p.rid);
	req->log_rid = req->log_rid_buf;
	/* The token's restaurant is the tenant: others' orders are 404. */
	if (rop_order_get(ctx, p.rid, oid, &json, tid) == -1)
		return -1;
	if (rop_auth_allow(ctx, &p, ROP_RS_STAFF | ROP_RS_GUEST, tid) == -1) {
		free(json);
		return -1;
	}
	return rop_reply_json_take(req, 200, json);
}

static int
order_move(struct rop_ctx *ctx, struct rop_req *req, enum rop_order_action act)
{
	struct rop_principal	 p;
	const char		*oid;
	char			*json = NULL;

	if ((oid = rop_req_id(req, &ctx->err, "ROP_ORDER_ID")) == NULL)
		return -1;
	req->log_oid = oid;
	if (rop_auth_caller(ctx, req, 0, &p) == -1)
		return -1;
	/* p dies with this call; the log line is written after it. */
	snprintf(req->log_rid_buf, sizeof(req->log_rid_buf), "%s", p.rid);
	req->log_rid = req->log_rid_buf;
	if (rop_order_transition(ctx, &p, oid, act, &json) == -1)
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
	static const struct rop_app app = { "orders", routes,
	    ROP_CONFIG_SECRETS };

	return rop_app_run(&app) == 0 ? 0 : 1;
}
