/*
 * app_checks: the runner's order of checks (lib/rop_app.c, SPEC §9.16)
 * on a made-up app, without a socket or a database: authentication
 * (401), tenant (404), syntax (400), role (403), then the handler.
 * For an order route the tenant (the order exists in the token's
 * restaurant) is looked up only when a later check fails or a table
 * token needs the order's table, and its 404 still comes first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_auth.h"
#include "../tap.h"

static int	check_bad(struct rop_ctx *, struct rop_req *);
static int	handler(struct rop_ctx *, struct rop_req *);
static int	locate(struct rop_ctx *, const char *, const char *, char *);
static int	run(const char *, const char *, const char *, const char *,
		    const char *);

static const struct rop_route routes[] = {
	{ "r.path",	"POST",	ROP_RS_FLOOR | ROP_RS_GUEST, ROP_TENANT_PATH,
		check_bad,	handler },
	{ "r.rnf",	"GET",	ROP_RS_MANAGE,	ROP_TENANT_PATH_RNF,
		NULL,		handler },
	{ "r.order",	"POST",	ROP_RS_KITCHEN,	ROP_TENANT_ORDER,
		check_bad,	handler },
	{ "r.oget",	"GET",	ROP_RS_STAFF | ROP_RS_GUEST, ROP_TENANT_ORDER,
		NULL,		handler },
	{ "r.public",	"GET",	ROP_PUBLIC,	ROP_TENANT_NONE,
		NULL,		handler },
	{ "r.self",	"POST",	ROP_SELF,	ROP_TENANT_NONE,
		check_bad,	handler },
	{ NULL, NULL, 0, ROP_TENANT_NONE, NULL, NULL }
};
static const struct rop_app app = { "test", routes, 0, locate };

static struct rop_ctx	 ctx;
static int		 handled, located;

/* The syntax check: a body "bad" is 400 naming the field "x". */
static int
check_bad(struct rop_ctx *c, struct rop_req *req)
{
	if (req->body_len > 0 && strcmp(req->body, "bad") == 0) {
		rop_err_set(&c->err, ROP_EINVAL, NULL, "x is bad");
		rop_err_detail(&c->err, "field", "x");
		return -1;
	}
	return 0;
}

static int
handler(struct rop_ctx *c, struct rop_req *req)
{
	(void)c;
	handled++;
	req->status = 299;
	return 0;
}

/* Orders of rst_001: ord_1 at tbl_001. */
static int
locate(struct rop_ctx *c, const char *rid, const char *oid, char *tid)
{
	located++;
	if (strcmp(rid, "rst_001") == 0 && strcmp(oid, "ord_1") == 0) {
		snprintf(tid, 65, "tbl_001");
		return 0;
	}
	return rop_err_set(&c->err, ROP_ENOTFOUND, "ORDER_NOT_FOUND",
	    "no order %s", oid);
}

/*
 * One request: route, method, the token ("" none), the path param
 * "NAME=value" (or NULL) and the body.  Returns the HTTP status the
 * runner decided (299 for the handler).
 */
static int
run(const char *route, const char *method, const char *tok,
    const char *param, const char *body)
{
	static char	 r[64], m[64], a[1200], p2[128];
	char		*envp[6];
	struct rop_req	 req;
	int		 n = 0, status;

	snprintf(r, sizeof(r), "ROP_ROUTE=%s", route);
	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	envp[n++] = r;
	envp[n++] = m;
	if (tok[0] != '\0') {
		snprintf(a, sizeof(a), "HTTP_AUTHORIZATION=Bearer %s", tok);
		envp[n++] = a;
	}
	if (param != NULL) {
		snprintf(p2, sizeof(p2), "%s", param);
		envp[n++] = p2;
	}
	envp[n] = NULL;
	rop_err_clear(&ctx.err);
	if (rop_req_init(&req, &ctx.err, NULL, NULL, envp) == -1)
		return -1;
	if (body != NULL) {
		req.body = strdup(body);
		req.body_len = strlen(body);
	}
	ctx.req = &req;
	status = rop_app_handle(&ctx, &app, &req) == 0 ? req.status :
	    rop_status_http(ctx.err.status);
	rop_req_release(&req);
	return status;
}

int
main(void)
{
	char		 w1[1024], k1[1024], m2[1024], g1[512], g2[512];
	int64_t		 exp;
	const char	*rp = "ROP_RESTAURANT_ID=rst_001";
	const char	*op = "ROP_ORDER_ID=ord_1", *nop = "ROP_ORDER_ID=ord_9";

	memset(&ctx, 0, sizeof(ctx));
	ctx.app = "test";
	snprintf(ctx.cfg.jwt_secret, sizeof(ctx.cfg.jwt_secret),
	    "unit-jwt-secret-0123456789abcdef0123456789");
	snprintf(ctx.cfg.table_secret, sizeof(ctx.cfg.table_secret),
	    "unit-table-secret-0123456789abcdef012345678");
	ctx.cfg.token_ttl = 3600;
	if (rop_auth_issue_jwt(&ctx, "usr_1", "rst_001", ROP_ROLE_WAITER, w1,
	    sizeof(w1), &exp) == -1 ||
	    rop_auth_issue_jwt(&ctx, "usr_2", "rst_001", ROP_ROLE_KITCHEN, k1,
	    sizeof(k1), &exp) == -1 ||
	    rop_auth_issue_jwt(&ctx, "usr_3", "rst_002", ROP_ROLE_MANAGER, m2,
	    sizeof(m2), &exp) == -1 ||
	    rop_auth_issue_table(&ctx, "rst_001", "tbl_001", 0, g1,
	    sizeof(g1)) == -1 ||
	    rop_auth_issue_table(&ctx, "rst_001", "tbl_002", 0, g2,
	    sizeof(g2)) == -1) {
		diag("tokens: %s", ctx.err.msg);
		return 1;
	}

	/* A path tenant. */
	is_int(run("r.path", "POST", "", rp, "bad"), 401, "no token: 401");
	is_int(run("r.path", "POST", "x.y.z", rp, "bad"), 401,
	    "forged token: 401");
	is_int(run("r.path", "POST", m2, rp, "bad"), 404,
	    "another restaurant's token, bad body: 404");
	is_int(run("r.path", "POST", k1, rp, "bad"), 400,
	    "a refused role, bad body: 400 (syntax before role)");
	is_str(ctx.err.details[0].str, "x", "  naming the field");
	is_int(run("r.path", "POST", k1, rp, "{}"), 403,
	    "a refused role, good body: 403");
	handled = 0;
	is_int(run("r.path", "POST", w1, rp, "{}"), 299,
	    "an allowed role, good body: the handler");
	is_int(handled, 1, "  ran once");
	is_int(run("r.path", "POST", w1, "ROP_RESTAURANT_ID=a/b", "{}"), 404,
	    "a path id that is no id: 404");
	is_int(run("r.path", "POST", g1,
	    "ROP_TABLE_ID=tbl_001", "{}"), 404,
	    "a path route without its restaurant: 404");
	is_int(run("r.rnf", "GET", m2, rp, NULL), 404,
	    "RESTAURANT_NOT_FOUND route: 404");
	is_str(ctx.err.code, "RESTAURANT_NOT_FOUND", "  its code");
	is_int(run("r.path", "POST", g2, rp, "{}"), 299,
	    "a table token, no table in the path: the handler");

	/* An order tenant: looked up only when it decides the answer. */
	located = 0;
	is_int(run("r.order", "POST", k1, op, "{}"), 299,
	    "order route, all checks pass: the handler");
	is_int(located, 0, "  without a lookup (the handler's read decides)");
	is_int(run("r.order", "POST", k1, nop, "bad"), 404,
	    "unknown order, bad body: 404 before 400");
	is_str(ctx.err.code, "ORDER_NOT_FOUND", "  ORDER_NOT_FOUND");
	is_int(run("r.order", "POST", w1, nop, "{}"), 404,
	    "unknown order, refused role: 404 before 403");
	is_int(run("r.order", "POST", w1, op, "bad"), 400,
	    "known order, refused role, bad body: 400");
	is_int(run("r.order", "POST", w1, op, "{}"), 403,
	    "known order, refused role: 403");
	located = 0;
	is_int(run("r.order", "POST", m2, op, "bad"), 404,
	    "another restaurant's token, bad body: 404 (rst_002 has no ord_1)");
	is_int(located, 1, "  looked up in the token's restaurant");
	is_int(run("r.order", "POST", m2, op, "{}"), 299,
	    "another restaurant's token, all checks pass: the handler, whose "
	    "read in rst_002 answers 404");
	is_int(run("r.order", "POST", "", op, "bad"), 401,
	    "order route, no token: 401");
	located = 0;
	is_int(run("r.oget", "GET", g1, op, NULL), 299,
	    "a guest of the order's table: the handler");
	is_int(located, 1, "  after looking the order's table up");
	is_int(run("r.oget", "GET", g2, op, NULL), 403,
	    "a guest of another table: 403");
	is_int(run("r.oget", "GET", g2, nop, NULL), 404,
	    "a guest, unknown order: 404");

	/* Public and self-authenticating routes. */
	is_int(run("r.public", "GET", "", NULL, NULL), 299,
	    "public: no token needed");
	is_int(run("r.public", "GET", "x.y.z", NULL, NULL), 299,
	    "public: a token is not even read");
	is_int(run("r.self", "POST", "", NULL, "bad"), 400,
	    "self: the syntax check still runs");
	is_int(run("r.self", "POST", "", NULL, "{}"), 299,
	    "self: then the handler, which authenticates");

	/* Routing. */
	is_int(run("r.path", "GET", w1, rp, NULL), 405, "wrong method: 405");
	is_str(ctx.err.allow, "POST", "  Allow: POST");
	is_int(run("r.none", "GET", w1, rp, NULL), 404, "unknown route: 404");
	return tap_done();
}
