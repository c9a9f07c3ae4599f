/*
 * health: liveness and readiness (SPEC §6).
 *
 * Ready means PostgreSQL answers and its schema is at least the
 * version this build expects; Redis down only degrades (the menu falls
 * back to PostgreSQL and events to the outbox).
 */
#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>

#include "rop_app.h"
#include "rop_cache.h"
#include "rop_db.h"
#include "rop_json.h"
#include "rop_schema.h"

static int	health_live(struct rop_ctx *, struct rop_req *);
static int	health_ready(struct rop_ctx *, struct rop_req *);

static const struct rop_stmt schema_version = {
	"health_schema_version",
	"SELECT coalesce(max(version), 0) FROM schema_migrations", 0, 1
};

static const struct rop_route routes[] = {
	/* route		method	who		tenant
	 *	check		handler */
	{ "health.live",	"GET",	ROP_PUBLIC,	ROP_TENANT_NONE,
		NULL,		health_live },
	{ "health.ready",	"GET",	ROP_PUBLIC,	ROP_TENANT_NONE,
		NULL,		health_ready },
	{ NULL, NULL, 0, ROP_TENANT_NONE, NULL, NULL }
};

static int
health_live(struct rop_ctx *ctx, struct rop_req *req)
{
	struct json_object	*o;
	int			 rc;

	if ((o = json_object_new_object()) == NULL)
		return rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "reply");
	rop_json_add(o, "status", json_object_new_string("ok"));
	rc = rop_reply_json(req, 200, o);
	json_object_put(o);
	return rc;
}

static int
health_ready(struct rop_ctx *ctx, struct rop_req *req)
{
	struct json_object	*o = NULL, *checks = NULL;
	const char		*pg = "ok", *redis = "ok", *mig = "ok";
	PGresult		*res;
	int			 rc = -1;

	if (rop_db_ping(ctx->db, &ctx->err) == -1) {
		pg = "down";
		mig = "unknown";
	} else if ((res = rop_db_exec(ctx->db, &ctx->err, &schema_version,
	    NULL)) == NULL)
		mig = "behind";		/* no schema_migrations table yet */
	else {
		if (rop_db_int(res, 0, 0) < ROP_SCHEMA_VERSION)
			mig = "behind";
		PQclear(res);
	}
	if (rop_cache_ping(ctx->cache) == -1)
		redis = "down";

	if (pg[0] != 'o' || mig[0] != 'o') {
		rop_err_set(&ctx->err, ROP_EUNAVAIL, NULL,
		    "not ready: postgres %s, migrations %s", pg, mig);
		rop_err_detail(&ctx->err, "postgres", pg);
		rop_err_detail(&ctx->err, "redis", redis);
		rop_err_detail(&ctx->err, "migrations", mig);
		return -1;
	}
	if ((o = json_object_new_object()) == NULL ||
	    (checks = json_object_new_object()) == NULL) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "reply");
		goto out;
	}
	rop_json_add(checks, "postgres", json_object_new_string(pg));
	rop_json_add(checks, "redis", json_object_new_string(redis));
	rop_json_add(checks, "migrations", json_object_new_string(mig));
	rop_json_add(o, "status", json_object_new_string(
	    redis[0] == 'o' ? "ok" : "degraded"));
	rop_json_add(o, "checks", checks);
	checks = NULL;
	rc = rop_reply_json(req, 200, o);
out:
	json_object_put(checks);
	json_object_put(o);
	return rc;
}

int
main(void)
{
	static const struct rop_app app = { "health", routes, 0, NULL };

	return rop_app_run(&app) == 0 ? 0 : 1;
}
