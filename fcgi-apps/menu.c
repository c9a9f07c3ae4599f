/*
 * menu: the public menu and its one change (SPEC §6).
 *
 *	menu.get	GET   /v1/restaurants/{rid}/menu
 *	menu.item.patch	PATCH /v1/restaurants/{rid}/menu/items/{iid}
 *
 * Reads come from the versioned Redis cache of rop_menu; a warm read
 * runs no SQL at all.  The ETag is the menu version.
 */
#include <json-c/json.h>

#include <stdlib.h>

#include "rop_app.h"
#include "rop_json.h"
#include "rop_menu.h"

static int	menu_get(struct rop_ctx *, struct rop_req *);
static int	menu_patch_check(struct rop_ctx *, struct rop_req *);
static int	menu_item_patch(struct rop_ctx *, struct rop_req *);

static const struct rop_route routes[] = {
	/* route		method	who		tenant
	 *	check		handler */
	{ "menu.get",		"GET",	ROP_PUBLIC,	ROP_TENANT_PATH_RNF,
		NULL,		menu_get },
	{ "menu.item.patch",	"PATCH", ROP_RS_MANAGE,	ROP_TENANT_PATH,
		menu_patch_check, menu_item_patch },
	{ NULL, NULL, 0, ROP_TENANT_NONE, NULL, NULL }
};

static int
menu_get(struct rop_ctx *ctx, struct rop_req *req)
{
	const char	*rid = req->rid;
	char		*body = NULL, etag[ROP_MENU_ETAG_BUFSZ];
	size_t		 len;
	int64_t		 version;
	int		 rc = -1;

	if (rop_menu_get(ctx, rid, &body, &len, &version) == -1)
		goto out;
	rop_menu_etag(etag, sizeof(etag), version);
	rop_reply_header(req, "ETag", etag);
	/* Public and versioned: clients revalidate with If-None-Match. */
	rop_reply_header(req, "Cache-Control", "no-cache");
	if (rop_menu_etag_match(rop_req_header(req, "If-None-Match"),
	    version))
		rc = rop_reply_raw(req, 304, NULL, NULL, 0);
	else
		rc = rop_reply_raw(req, 200,
		    "application/json; charset=utf-8", body, len);
out:
	free(body);
	return rc;
}

/* The body: {"isAvailable"?, "price"?}, strictly. */
static int
menu_patch_check(struct rop_ctx *ctx, struct rop_req *req)
{
	struct rop_menu_patch	*pt;

	if (rop_req_json(req, &ctx->err, 0, &req->json) == -1 ||
	    (pt = rop_req_args(ctx, req, sizeof(*pt))) == NULL)
		return -1;
	return rop_menu_patch_parse(ctx, req->json, pt);
}

static int
menu_item_patch(struct rop_ctx *ctx, struct rop_req *req)
{
	struct json_object	*item = NULL;
	int64_t			 version;
	int			 rc = -1;

	if (req->iid == NULL)
		return rop_err_set(&ctx->err, ROP_ENOTFOUND, NULL,
		    "no such resource");
	if (rop_menu_patch_apply(ctx, req->rid, req->iid, req->args, &item,
	    &version) == -1)
		goto out;
	rc = rop_reply_json(req, 200, item);
out:
	json_object_put(item);
	return rc;
}

int
main(void)
{
	static const struct rop_app app = { "menu", routes,
	    ROP_CONFIG_SECRETS, NULL };

	return rop_app_run(&app) == 0 ? 0 : 1;
}
