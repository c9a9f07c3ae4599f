/*
 * rop_app: the FastCGI / CGI request loop.
 */
#include <fcgiapp.h>

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_cache.h"
#include "rop_db.h"
#include "rop_event.h"
#include "rop_log.h"
#include "rop_metrics.h"
#include "rop_time.h"
#include "domain/rop_text.h"

extern char **environ;

static void	app_serve(struct rop_ctx *, const struct rop_app *,
		    FCGX_Stream *, FCGX_Stream *, char **);
static int	app_path_ids(struct rop_ctx *, const struct rop_route *,
		    struct rop_req *);
static int	app_locate(struct rop_ctx *, const struct rop_app *,
		    struct rop_req *);
static int	app_fail(struct rop_ctx *, const struct rop_app *,
		    struct rop_req *, int);
static int	app_checks(struct rop_ctx *, const struct rop_app *,
		    const struct rop_route *, struct rop_req *);
static void	app_account(struct rop_ctx *, struct rop_req *, int64_t);

int
rop_ctx_init(struct rop_ctx *ctx, const char *name, unsigned flags)
{
	char	 why[256];

	memset(ctx, 0, sizeof(*ctx));
	ctx->app = name;
	if (rop_config_load(&ctx->cfg, flags, why, sizeof(why)) == -1) {
		rop_log("error", name, getenv("ROP_ENV"),
		    "configuration: %s", why);
		return -1;
	}
	ctx->db = rop_db_new(ctx->cfg.database_url, name);
	ctx->cache = rop_cache_new(ctx->cfg.redis_url,
	    ctx->cfg.redis_timeout_ms);
	if (ctx->db == NULL || ctx->cache == NULL) {
		rop_log("error", name, ctx->cfg.env, "out of memory");
		rop_ctx_release(ctx);
		return -1;
	}
	ctx->metrics = rop_metrics_open(ctx->cfg.metrics_path);
	if (ctx->metrics == NULL)
		rop_log("warn", name, ctx->cfg.env,
		    "metrics segment %s unavailable; metrics are off",
		    ctx->cfg.metrics_path);
	return 0;
}

void
rop_ctx_release(struct rop_ctx *ctx)
{
	rop_db_free(ctx->db);
	rop_cache_free(ctx->cache);
	rop_metrics_close(ctx->metrics);
	rop_event_free(&ctx->outbox);
	ctx->db = NULL;
	ctx->cache = NULL;
	ctx->metrics = NULL;
}

int
rop_app_event(struct rop_ctx *ctx, const char *rid, const char *type,
    const char *tid, struct json_object *payload)
{
	struct rop_event_origin	 from = { NULL, NULL };

	if (ctx->req != NULL) {
		from.trace_id = ctx->req->trace_id;
		from.request_id = ctx->req->request_id;
	}
	if (rop_event_append(&ctx->outbox, &ctx->err, &from, rid, type, tid,
	    payload) == -1)
		return -1;
	if (ctx->req != NULL)
		ctx->req->log_event = type;
	return 0;
}

int
rop_app_commit(struct rop_ctx *ctx)
{
	if (rop_event_write(&ctx->outbox, ctx->db, &ctx->err) == -1) {
		rop_db_rollback(ctx->db);
		return -1;
	}
	return rop_db_commit(ctx->db, &ctx->err);
}

void
rop_app_publish(struct rop_ctx *ctx)
{
	rop_event_publish(&ctx->outbox, ctx->cache, ctx->db, ctx->metrics,
	    ctx->app, ctx->cfg.env);
}

/*
 * The path ids nginx passed: each one present must be an id (nginx's
 * location regexes let no other through; CGI callers are not nginx).
 */
static int
app_path_ids(struct rop_ctx *ctx, const struct rop_route *r,
    struct rop_req *req)
{
	static const struct {
		const char	*param;
		size_t		 off;
	} ids[] = {
		{ "ROP_RESTAURANT_ID",	offsetof(struct rop_req, rid) },
		{ "ROP_TABLE_ID",	offsetof(struct rop_req, tid) },
		{ "ROP_ORDER_ID",	offsetof(struct rop_req, oid) },
		{ "ROP_ITEM_ID",	offsetof(struct rop_req, iid) },
	};
	const char	*v, **slot;
	size_t		 i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		slot = (const char **)((char *)req + ids[i].off);
		*slot = NULL;
		if ((v = rop_req_param(req, ids[i].param)) == NULL)
			continue;
		if (!rop_text_is_id(v))
			return rop_err_set(&ctx->err, ROP_ENOTFOUND,
			    i == 0 && r->tenant == ROP_TENANT_PATH_RNF ?
			    "RESTAURANT_NOT_FOUND" : NULL, "no such resource");
		*slot = v;
	}
	if (((r->tenant == ROP_TENANT_PATH ||
	    r->tenant == ROP_TENANT_PATH_RNF) && req->rid == NULL) ||
	    (r->tenant == ROP_TENANT_ORDER && req->oid == NULL))
		return rop_err_set(&ctx->err, ROP_ENOTFOUND,
		    r->tenant == ROP_TENANT_PATH_RNF ? "RESTAURANT_NOT_FOUND" :
		    NULL, "no such resource");
	req->log_rid = req->rid;
	req->log_tid = req->tid;
	req->log_oid = req->oid;
	return 0;
}

/*
 * For ROP_TENANT_ORDER: find the order of the tenant, its table into
 * req->tid.  Returns 0 or -1 (404, 503).
 */
static int
app_locate(struct rop_ctx *ctx, const struct rop_app *app,
    struct rop_req *req)
{
	if (app->locate == NULL)
		return rop_err_set(&ctx->err, ROP_EINTERNAL, NULL,
		    "app %s has order routes but no locate", app->name);
	if (app->locate(ctx, req->rid, req->oid, req->log_tid_buf) == -1)
		return -1;
	req->tid = req->log_tid = req->log_tid_buf;
	return 0;
}

/*
 * A later check failed on a route whose tenant check was deferred: the
 * order's 404 comes first, as if it had been checked first.
 */
static int
app_fail(struct rop_ctx *ctx, const struct rop_app *app,
    struct rop_req *req, int deferred)
{
	struct rop_err	 later;

	if (!deferred)
		return -1;
	later = ctx->err;
	rop_err_clear(&ctx->err);
	if (app_locate(ctx, app, req) == -1)
		return -1;
	ctx->err = later;
	return -1;
}

/*
 * SPEC §9.16, from the route's row: authentication (401), tenant
 * (404), syntax (400), role (403).  Size and content type (413, 415)
 * were checked when the request was read.  Returns 0 or -1.
 */
static int
app_checks(struct rop_ctx *ctx, const struct rop_app *app,
    const struct rop_route *r, struct rop_req *req)
{
	struct rop_principal	*p = &ctx->caller;
	unsigned		 roles = r->who & ROP_ROLES_MASK;
	int			 token, deferred = 0;

	memset(p, 0, sizeof(*p));
	if (app_path_ids(ctx, r, req) == -1)
		return -1;
	token = (r->who & (ROP_PUBLIC | ROP_SELF)) == 0;
	if (token) {
		if (rop_auth_caller(ctx, req, (r->who & ROP_QUERY_TOKEN) != 0,
		    p) == -1)
			return -1;
		switch (r->tenant) {
		case ROP_TENANT_NONE:
			break;
		case ROP_TENANT_PATH:
		case ROP_TENANT_PATH_RNF:
			if (rop_auth_tenant(ctx, p, req->rid,
			    r->tenant == ROP_TENANT_PATH_RNF ?
			    "RESTAURANT_NOT_FOUND" : NULL) == -1)
				return -1;
			break;
		case ROP_TENANT_ORDER:
			req->rid = req->log_rid = p->rid;
			deferred = 1;
			/* A table token's role check needs the order's table. */
			if (p->role == ROP_ROLE_TABLE &&
			    (roles & ROP_RS_GUEST) != 0) {
				if (app_locate(ctx, app, req) == -1)
					return -1;
				deferred = 0;
			}
			break;
		}
	}
	if (r->check != NULL && r->check(ctx, req) == -1)
		return app_fail(ctx, app, req, deferred);
	if (token && rop_auth_allow(ctx, p, roles, req->tid) == -1)
		return app_fail(ctx, app, req, deferred);
	return 0;
}

int
rop_app_handle(struct rop_ctx *ctx, const struct rop_app *app,
    struct rop_req *req)
{
	const struct rop_route	*r;
	const char		*method = req->method;
	size_t			 alen = 0;
	int			 known = 0;

	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	if (req->route == NULL)
		return rop_err_set(&ctx->err, ROP_ENOTFOUND, NULL,
		    "no such resource");
	for (r = app->routes; r->name != NULL; r++) {
		if (strcmp(r->name, req->route) != 0)
			continue;
		known = 1;
		if (strcmp(r->method, method) == 0) {
			if (app_checks(ctx, app, r, req) == -1)
				return -1;
			return r->handler(ctx, req);
		}
		alen += (size_t)snprintf(ctx->err.allow + alen,
		    alen < sizeof(ctx->err.allow) ?
		    sizeof(ctx->err.allow) - alen : 0, "%s%s",
		    alen ? ", " : "", r->method);
	}
	if (!known)
		return rop_err_set(&ctx->err, ROP_ENOTFOUND, NULL,
		    "no such resource");
	{
		char allow[64];

		snprintf(allow, sizeof(allow), "%s", ctx->err.allow);
		rop_err_set(&ctx->err, ROP_EMETHOD, NULL,
		    "method %s not allowed here", req->method);
		snprintf(ctx->err.allow, sizeof(ctx->err.allow), "%s", allow);
	}
	return -1;
}

void *
rop_req_args(struct rop_ctx *ctx, struct rop_req *req, size_t size)
{
	if (req->args != NULL && req->args_free != NULL)
		req->args_free(req->args);
	req->args_free = free;
	if ((req->args = calloc(1, size)) == NULL)
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "request values");
	return req->args;
}

int
rop_check_no_payload(struct rop_ctx *ctx, struct rop_req *req)
{
	return rop_req_no_payload(req, &ctx->err);
}

static void
app_account(struct rop_ctx *ctx, struct rop_req *req, int64_t start_us)
{
	struct rop_log_line	 l;
	char			 labels[256], route[96];
	double			 secs;

	secs = (double)(rop_time_mono_us() - start_us) / 1e6;
	rop_metrics_label(route, sizeof(route),
	    req->route != NULL ? req->route : "none");
	snprintf(labels, sizeof(labels), "app=\"%s\",route=\"%s\",status=\"%d\"",
	    ctx->app, route, req->status);
	rop_metrics_add(ctx->metrics, "rop_http_requests_total", labels, 1);
	snprintf(labels, sizeof(labels), "app=\"%s\",route=\"%s\"", ctx->app,
	    route);
	rop_metrics_observe(ctx->metrics, "rop_http_request_duration_seconds",
	    labels, secs);

	memset(&l, 0, sizeof(l));
	l.level = req->status >= 500 ? "error" :
	    req->status >= 400 ? "warn" : "info";
	l.service = ctx->app;
	l.env = ctx->cfg.env;
	l.request_id = req->request_id;
	l.trace_id = req->trace_id[0] ? req->trace_id : NULL;
	l.method = req->method;
	l.route = req->route;
	l.status = req->status;
	l.duration_ms = secs * 1000;
	l.restaurant_id = req->log_rid;
	l.table_id = req->log_tid;
	l.order_id = req->log_oid;
	l.event = req->log_event;
	l.message = req->status >= 400 ? ctx->err.msg : NULL;
	rop_log_write(&l);
}

static void
app_serve(struct rop_ctx *ctx, const struct rop_app *app, FCGX_Stream *in,
    FCGX_Stream *out, char **envp)
{
	struct rop_req	 req;
	int64_t		 start = rop_time_mono_us();
	int		 rc;

	rop_err_clear(&ctx->err);
	memset(&ctx->caller, 0, sizeof(ctx->caller));
	ctx->req = &req;
	rc = rop_req_init(&req, &ctx->err, in, out, envp);
	if (rc == 0)
		rc = rop_app_handle(ctx, app, &req);
	/* A handler must not leave a transaction open. */
	if (rop_db_in_tx(ctx->db))
		rop_db_rollback(ctx->db);
	rop_event_discard(&ctx->outbox);
	if (rc == -1 || !req.replied) {
		if (rc == 0)
			rop_err_set(&ctx->err, ROP_EINTERNAL, NULL,
			    "handler for %s gave no answer",
			    req.route ? req.route : "?");
		req.hdrs_len = 0;
		req.hdrs[0] = '\0';
		rop_reply_error(&req, &ctx->err);
	}
	app_account(ctx, &req, start);
	rop_req_release(&req);
	ctx->req = NULL;
}

int
rop_app_run(const struct rop_app *app)
{
	struct rop_ctx	 ctx;
	FCGX_Request	 r;

	/* A client that hangs up must not kill the worker. */
	signal(SIGPIPE, SIG_IGN);
	if (rop_ctx_init(&ctx, app->name, app->config_flags) == -1)
		return -1;
	if (FCGX_IsCGI()) {
		app_serve(&ctx, app, NULL, NULL, environ);
		rop_ctx_release(&ctx);
		return 0;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0) {
		rop_log("error", app->name, ctx.cfg.env,
		    "FastCGI initialisation failed");
		rop_ctx_release(&ctx);
		return -1;
	}
	rop_log("info", app->name, ctx.cfg.env, "serving FastCGI on fd 0");
	while (FCGX_Accept_r(&r) >= 0) {
		app_serve(&ctx, app, r.in, r.out, r.envp);
		/*
		 * libfcgi ends a connection with shutdown(), then waits for
		 * nginx to close its side, reading what is left, so request
		 * bytes never read cannot become a reset that loses the
		 * answer.  A request read to its end has nothing left: close
		 * at once (three system calls and a wakeup less a request).
		 */
		if (FCGX_GetChar(r.in) == EOF)
			FCGX_Detach(&r);
		FCGX_Finish_r(&r);
	}
	FCGX_Free(&r, 1);
	rop_ctx_release(&ctx);
	return 0;
}
