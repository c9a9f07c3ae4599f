/*
 * rop_app: the FastCGI / CGI request loop.
 */
#include <fcgiapp.h>

#include <signal.h>
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

extern char **environ;

static void	app_serve(struct rop_ctx *, const struct rop_app *,
		    FCGX_Stream *, FCGX_Stream *, char **);
static int	app_dispatch(struct rop_ctx *, const struct rop_app *,
		    struct rop_req *);
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
	ctx->db = NULL;
	ctx->cache = NULL;
	ctx->metrics = NULL;
}

static int
app_dispatch(struct rop_ctx *ctx, const struct rop_app *app,
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
		if (strcmp(r->method, method) == 0)
			return r->handler(ctx, req);
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
	ctx->req = &req;
	rc = rop_req_init(&req, &ctx->err, in, out, envp);
	if (rc == 0)
		rc = app_dispatch(ctx, app, &req);
	/* A handler must not leave a transaction open. */
	if (rop_db_in_tx(ctx->db))
		rop_db_rollback(ctx->db);
	rop_event_discard(ctx);
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
