/*
 * regress_log_rid: found by valgrind memcheck over one rop-orders worker
 * (issue 8).  GET /v1/orders/{oid} and the transitions pointed the
 * request's log field restaurant_id at the handler's local principal;
 * the runner writes the log line after the handler has returned, so it
 * read a dead stack frame ("conditional jump depends on uninitialised
 * value" in rop_log_write; garbage or a crash in the JSON log line).
 *
 * The order routes run here through the runner's checks
 * (rop_app_handle) into the order area (lib/rop_order.h), with the rows
 * of the orders app (fcgi-apps/orders.c, which no test includes: apps
 * are leaves), against a database that cannot be reached (they fail
 * after authenticating); the stack is scribbled over, and the log
 * field must still read the token's restaurant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_auth.h"
#include "rop_db.h"
#include "rop_order.h"
#include "../tap.h"

static int	order_get(struct rop_ctx *, struct rop_req *);
static int	order_accept(struct rop_ctx *, struct rop_req *);
static int	order_ready(struct rop_ctx *, struct rop_req *);
static int	order_cancel(struct rop_ctx *, struct rop_req *);
static int	order_move(struct rop_ctx *, struct rop_req *,
		    enum rop_order_action);
static void	scribble(int);

/* Overwrite the stack below the caller with a pattern. */
static void
scribble(int depth)
{
	volatile char	 junk[4096];

	memset((char *)junk, 'X', sizeof(junk));
	if (depth > 0)
		scribble(depth - 1);
}

/* The rows of fcgi-apps/orders.c for /v1/orders/{oid}. */
static const struct rop_route routes[] = {
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
	static const char *const names[] = { "get", "accept", "ready",
	    "cancel", NULL };
	static const char *const routes_env[] = { "ROP_ROUTE=order.get",
	    "ROP_ROUTE=order.accept", "ROP_ROUTE=order.ready",
	    "ROP_ROUTE=order.cancel" };
	static const char *const methods_env[] = { "REQUEST_METHOD=GET",
	    "REQUEST_METHOD=POST", "REQUEST_METHOD=POST",
	    "REQUEST_METHOD=POST" };
	static char auth[1200], *envp[5];
	struct rop_ctx	 ctx;
	struct rop_req	 req;
	char		 tok[1024];
	int64_t		 exp;
	int		 i, rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.app = "orders";
	snprintf(ctx.cfg.jwt_secret, sizeof(ctx.cfg.jwt_secret),
	    "regress-secret-0123456789abcdef0123456789");
	ctx.cfg.token_ttl = 3600;
	ctx.db = rop_db_new("postgresql:///rop?host=/nonexistent&"
	    "connect_timeout=1", "orders");
	ok(rop_auth_issue_jwt(&ctx, "usr_1", "rst_042", ROP_ROLE_MANAGER,
	    tok, sizeof(tok), &exp) == 0, "a staff token");
	snprintf(auth, sizeof(auth), "HTTP_AUTHORIZATION=Bearer %s", tok);
	envp[1] = (char *)"ROP_ORDER_ID=ord_1";
	envp[2] = auth;
	envp[4] = NULL;

	for (i = 0; names[i] != NULL; i++) {
		envp[0] = (char *)methods_env[i];
		envp[3] = (char *)routes_env[i];
		memset(&ctx.err, 0, sizeof(ctx.err));
		ok(rop_req_init(&req, &ctx.err, NULL, NULL, envp) == 0,
		    "%s: request", names[i]);
		ctx.req = &req;
		/* Cancel's reason is read before the order is looked up. */
		if (i == 3) {
			req.body = strdup("{\"reason\":\"gone\"}");
			req.body_len = req.body != NULL ? strlen(req.body) : 0;
		}
		rc = rop_app_handle(&ctx, &app, &req);
		ok(rc == -1, "%s: fails without a database", names[i]);
		scribble(8);
		ok(req.log_rid != NULL &&
		    strcmp(req.log_rid, "rst_042") == 0,
		    "%s: the log's restaurant outlives the handler", names[i]);
		rop_req_release(&req);
	}
	rop_db_free(ctx.db);
	return tap_done();
}
