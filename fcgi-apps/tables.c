/*
 * tables: list, read, open, close and summarise tables (SPEC §6).
 * Floor staff only: WAITER, MANAGER, ADMIN.
 */
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_auth.h"
#include "rop_table.h"

static int	tables_list(struct rop_ctx *, struct rop_req *);
static int	table_get(struct rop_ctx *, struct rop_req *);
static int	table_open(struct rop_ctx *, struct rop_req *);
static int	table_close(struct rop_ctx *, struct rop_req *);
static int	table_summary(struct rop_ctx *, struct rop_req *);
static int	table_reply(struct rop_ctx *, struct rop_req *, int, char *);
static int	floor_staff(struct rop_ctx *, struct rop_req *, int,
		    const char **, const char **);

static const struct rop_route routes[] = {
	{ "tables.list",	"GET",	tables_list },
	{ "table.get",		"GET",	table_get },
	{ "table.open",		"POST",	table_open },
	{ "table.close",	"POST",	table_close },
	{ "table.summary",	"GET",	table_summary },
	{ NULL, NULL, NULL }
};

/*
 * The checks every route shares, in SPEC §9.16 order: token (401),
 * tenant (404), body (400), role (403).
 */
static int
floor_staff(struct rop_ctx *ctx, struct rop_req *req, int post,
    const char **rid, const char **tid)
{
	struct rop_principal	 p;

	if ((*rid = rop_req_id(req, &ctx->err, "ROP_RESTAURANT_ID")) == NULL)
		return -1;
	req->log_rid = *rid;
	if (tid != NULL) {
		if ((*tid = rop_req_id(req, &ctx->err, "ROP_TABLE_ID")) == NULL)
			return -1;
		req->log_tid = *tid;
	}
	if (rop_auth_caller(ctx, req, 0, &p) == -1 ||
	    rop_auth_tenant(ctx, &p, *rid, NULL) == -1)
		return -1;
	if (post && rop_req_no_payload(req, &ctx->err) == -1)
		return -1;
	return rop_auth_allow(ctx, &p, ROP_RS_FLOOR, NULL);
}

static int
table_reply(struct rop_ctx *ctx, struct rop_req *req, int rc, char *json)
{
	(void)ctx;
	if (rc == 0)
		return rop_reply_json_take(req, 200, json);
	free(json);
	return rc;
}

static int
tables_list(struct rop_ctx *ctx, struct rop_req *req)
{
	const char	*rid;
	char		*json = NULL;
	int		 rc;

	if (floor_staff(ctx, req, 0, &rid, NULL) == -1)
		return -1;
	rc = rop_table_list(ctx, rid, &json);
	return table_reply(ctx, req, rc, json);
}

static int
table_get(struct rop_ctx *ctx, struct rop_req *req)
{
	const char	*rid, *tid;
	char		*json = NULL;
	int		 rc;

	if (floor_staff(ctx, req, 0, &rid, &tid) == -1)
		return -1;
	rc = rop_table_get(ctx, rid, tid, &json);
	return table_reply(ctx, req, rc, json);
}

static int
table_open(struct rop_ctx *ctx, struct rop_req *req)
{
	const char	*rid, *tid;
	char		*json = NULL;
	int		 rc;

	if (floor_staff(ctx, req, 1, &rid, &tid) == -1)
		return -1;
	rc = rop_table_open(ctx, rid, tid, &json);
	return table_reply(ctx, req, rc, json);
}

static int
table_close(struct rop_ctx *ctx, struct rop_req *req)
{
	const char	*rid, *tid;
	char		*json = NULL;
	int		 rc;

	if (floor_staff(ctx, req, 1, &rid, &tid) == -1)
		return -1;
	rc = rop_table_close(ctx, rid, tid, &json);
	return table_reply(ctx, req, rc, json);
}

static int
table_summary(struct rop_ctx *ctx, struct rop_req *req)
{
	const char	*rid, *tid;
	char		*json = NULL;
	int		 rc;

	if (floor_staff(ctx, req, 0, &rid, &tid) == -1)
		return -1;
	rc = rop_table_summary(ctx, rid, tid, &json);
	return table_reply(ctx, req, rc, json);
}

int
main(void)
{
	static const struct rop_app app = { "tables", routes,
	    ROP_CONFIG_SECRETS };

	return rop_app_run(&app) == 0 ? 0 : 1;
}
