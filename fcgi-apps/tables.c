/*
 * tables: list, read, open, close and summarise tables (SPEC §6).
 * Floor staff only: WAITER, MANAGER, ADMIN.
 */
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_table.h"

static int	tables_list(struct rop_ctx *, struct rop_req *);
static int	table_get(struct rop_ctx *, struct rop_req *);
static int	table_open(struct rop_ctx *, struct rop_req *);
static int	table_close(struct rop_ctx *, struct rop_req *);
static int	table_summary(struct rop_ctx *, struct rop_req *);
static int	table_reply(struct rop_ctx *, struct rop_req *, int, char *);

static const struct rop_route routes[] = {
	/* route		method	who		tenant
	 *	check		handler */
	{ "tables.list",	"GET",	ROP_RS_FLOOR,	ROP_TENANT_PATH,
		NULL,		tables_list },
	{ "table.get",		"GET",	ROP_RS_FLOOR,	ROP_TENANT_PATH,
		NULL,		table_get },
	{ "table.open",		"POST",	ROP_RS_FLOOR,	ROP_TENANT_PATH,
		rop_check_no_payload, table_open },
	{ "table.close",	"POST",	ROP_RS_FLOOR,	ROP_TENANT_PATH,
		rop_check_no_payload, table_close },
	{ "table.summary",	"GET",	ROP_RS_FLOOR,	ROP_TENANT_PATH,
		NULL,		table_summary },
	{ NULL, NULL, 0, ROP_TENANT_NONE, NULL, NULL }
};

/* Send the JSON text a table call made, or pass its error on. */
static int
table_reply(struct rop_ctx *ctx, struct rop_req *req, int rc, char *json)
{
	if (rc == 0)
		return rop_reply_json_take(req, 200, json);
	(void)ctx;
	free(json);
	return rc;
}

static int
tables_list(struct rop_ctx *ctx, struct rop_req *req)
{
	char	*json = NULL;
	int	 rc;

	rc = rop_table_list(ctx, req->rid, &json);
	return table_reply(ctx, req, rc, json);
}

/* Every other route names a table (nginx passes ROP_TABLE_ID). */
#define NEED_TABLE(ctx, req) do {					\
	if ((req)->tid == NULL)						\
		return rop_err_set(&(ctx)->err, ROP_ENOTFOUND, NULL,	\
		    "no such resource");				\
} while (0)

static int
table_get(struct rop_ctx *ctx, struct rop_req *req)
{
	char	*json = NULL;
	int	 rc;

	NEED_TABLE(ctx, req);
	rc = rop_table_get(ctx, req->rid, req->tid, &json);
	return table_reply(ctx, req, rc, json);
}

static int
table_open(struct rop_ctx *ctx, struct rop_req *req)
{
	char	*json = NULL;
	int	 rc;

	NEED_TABLE(ctx, req);
	rc = rop_table_open(ctx, req->rid, req->tid, &json);
	return table_reply(ctx, req, rc, json);
}

static int
table_close(struct rop_ctx *ctx, struct rop_req *req)
{
	char	*json = NULL;
	int	 rc;

	NEED_TABLE(ctx, req);
	rc = rop_table_close(ctx, req->rid, req->tid, &json);
	return table_reply(ctx, req, rc, json);
}

static int
table_summary(struct rop_ctx *ctx, struct rop_req *req)
{
	char	*json = NULL;
	int	 rc;

	NEED_TABLE(ctx, req);
	rc = rop_table_summary(ctx, req->rid, req->tid, &json);
	return table_reply(ctx, req, rc, json);
}

int
main(void)
{
	static const struct rop_app app = { "tables", routes,
	    ROP_CONFIG_SECRETS, NULL };

	return rop_app_run(&app) == 0 ? 0 : 1;
}
