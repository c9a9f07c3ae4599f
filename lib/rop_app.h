/*
 * rop_app: the shape every fcgi-app shares.  main() declares a table
 * of routes and calls rop_app_run(), which reads the configuration
 * once, builds the per-process context, then serves requests: over
 * FastCGI (a listening socket on fd 0, from spawn-fcgi or systemd) in
 * a loop, or exactly one as plain CGI when fd 0 is not a socket.
 *
 * Per request the runner checks the method (405 with Allow), reads the
 * body (413, 415), then runs the checks of SPEC §9.16 from the route's
 * row, always in this order:
 *
 *	authentication	401	the bearer token ("who")
 *	tenant		404	a token of another restaurant ("tenant")
 *	syntax		400	body and query ("check")
 *	role		403	the token's role in "who" (a table token
 *				also for its own table only)
 *
 * and only then calls the handler, which keeps what is its own: the
 * state of what it changes (404 of a missing table or order, 409, and
 * the role rules that depend on state, e.g. a WAITER cancels only a
 * PLACED order).  It answers the error a failing handler left in the
 * context, rolls back a forgotten transaction, counts the request in
 * the shared metrics and logs one JSON line.
 *
 * A route is one row and one handler:
 *
 *	{ "order.cancel", "POST", ROP_RS_FLOOR, ROP_TENANT_ORDER,
 *	    cancel_check, order_cancel },
 */
#ifndef ROP_APP_H
#define ROP_APP_H
/* layer: runner */

#include "rop_auth.h"
#include "rop_config.h"
#include "rop_err.h"
#include "rop_event.h"
#include "rop_http.h"

struct rop_db;
struct rop_cache;
struct rop_metrics;

/* The per-process state, passed to every handler. */
struct rop_ctx {
	const char		*app;		/* short name: "menu" */
	struct rop_config	 cfg;
	struct rop_db		*db;
	struct rop_cache	*cache;
	struct rop_metrics	*metrics;
	struct rop_err		 err;
	struct rop_req		*req;		/* the current request */
	/* Its caller, as the runner authenticated it (role NONE: none). */
	struct rop_principal	 caller;
	/* Events appended in the open transaction (rop_event.h). */
	struct rop_outbox	 outbox;
};

/* A handler answers with rop_reply_*() and returns 0, or returns -1. */
typedef int (*rop_handler_pt)(struct rop_ctx *, struct rop_req *);
/*
 * A syntax check: the body's JSON and shape, query parameters and
 * headers such as Idempotency-Key.  It leaves what it parsed on the
 * request (req->json, req->idem_key, req->args) for the handler and
 * returns 0, or -1 with a 400 in ctx->err.  It must not read the
 * database: it runs before the role check.
 */
typedef int (*rop_check_pt)(struct rop_ctx *, struct rop_req *);
/*
 * The order "oid" of restaurant "rid" exists: its table into tid (size
 * >= 65).  Returns 0, or -1 with 404 ORDER_NOT_FOUND (or 503).
 */
typedef int (*rop_locate_pt)(struct rop_ctx *, const char *rid,
    const char *oid, char *tid);

/*
 * "who" may call a route: a role set of rop_auth.h (ROP_RS_FLOOR |
 * ROP_RS_GUEST: a bearer token with one of those roles), optionally
 * with ROP_QUERY_TOKEN; or ROP_PUBLIC (no token is read); or ROP_SELF
 * (the handler authenticates: login, the /ws authorizer).
 */
#define ROP_PUBLIC		0x100u
#define ROP_SELF		0x200u
#define ROP_QUERY_TOKEN		0x400u	/* ?access_token= as well */
#define ROP_ROLES_MASK		0x0ffu

/* Where the tenant comes from (404 for another restaurant's token). */
enum rop_tenant {
	ROP_TENANT_NONE = 0,	/* no restaurant involved */
	ROP_TENANT_PATH,	/* ROP_RESTAURANT_ID: 404 NOT_FOUND */
	ROP_TENANT_PATH_RNF,	/* the same, 404 RESTAURANT_NOT_FOUND */
	/*
	 * The token's restaurant; ROP_ORDER_ID must be one of its orders
	 * (404 ORDER_NOT_FOUND before syntax and role, as for a path).
	 * The handler's own read of the order answers that 404 when every
	 * check passes, so the runner looks the order up (rop_app.locate)
	 * only when a later check fails or a table token needs its table.
	 */
	ROP_TENANT_ORDER
};

struct rop_route {
	const char	*name;		/* ROP_ROUTE set by nginx */
	const char	*method;	/* "GET", "POST", "PATCH" */
	unsigned	 who;		/* roles, ROP_PUBLIC or ROP_SELF */
	enum rop_tenant	 tenant;
	rop_check_pt	 check;		/* syntax, or NULL */
	rop_handler_pt	 handler;
};

struct rop_app {
	const char		*name;
	const struct rop_route	*routes;	/* ends with a NULL name */
	unsigned		 config_flags;	/* ROP_CONFIG_* */
	rop_locate_pt		 locate;	/* for ROP_TENANT_ORDER */
};

/*
 * Answer-free part of one request: find the route of "req" (404, 405),
 * run its checks and its handler.  Returns what the handler returned,
 * or -1 with the error in ctx->err.  rop_app_run() calls it per
 * request; tests call it to drive an app without a socket.
 */
int	 rop_app_handle(struct rop_ctx *, const struct rop_app *,
	    struct rop_req *);

/*
 * For checks: a zeroed block of "size" bytes left on the request as
 * req->args (freed with it), or NULL with 500 in ctx->err.
 */
void	*rop_req_args(struct rop_ctx *, struct rop_req *, size_t size);
/* The check of POSTs without a payload (SPEC §9.4): none or {}. */
int	 rop_check_no_payload(struct rop_ctx *, struct rop_req *);

/* Serve until the socket closes.  Returns 0, or -1 on a startup error. */
int	 rop_app_run(const struct rop_app *);

/*
 * Set up "ctx" for app "name" without serving (for daemons and tests).
 * Returns 0 or -1 (the reason is logged).
 */
int	 rop_ctx_init(struct rop_ctx *, const char *name, unsigned flags);
void	 rop_ctx_release(struct rop_ctx *);

/*
 * The transaction's outbox through the context (rop_event.h): append
 * an event with the current request's trace and request ids (payload
 * consumed), and name it in the request's log line; write the outbox
 * and COMMIT (a failed write rolls back); publish after the commit.
 * Each returns 0 or -1 with ctx->err set.
 */
int	 rop_app_event(struct rop_ctx *, const char *rid, const char *type,
	    const char *tid, struct json_object *payload);
int	 rop_app_commit(struct rop_ctx *);
void	 rop_app_publish(struct rop_ctx *);

#endif /* ROP_APP_H */
