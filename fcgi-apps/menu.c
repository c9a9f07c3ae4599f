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
#include "rop_auth.h"
#include "rop_json.h"
#include "rop_menu.h"
#include "domain/rop_text.h"

static int	menu_get(struct rop_ctx *, struct rop_req *);
static int	menu_item_patch(struct rop_ctx *, struct rop_req *);

static const struct rop_route routes[] = {
	{ "menu.get",		"GET",		menu_get },
	{ "menu.item.patch",	"PATCH",	menu_item_patch },
	{ NULL, NULL, NULL }
};

static int
menu_get(struct rop_ctx *ctx, struct rop_req *req)
{
	const char	*rid = rop_req_param(req, "ROP_RESTAURANT_ID");
	char		*body = NULL, etag[ROP_MENU_ETAG_BUFSZ];
	size_t		 len;
	int64_t		 version;
	int		 rc = -1;

	if (rid == NULL || !rop_text_is_id(rid))
		return rop_err_set(&ctx->err, ROP_ENOTFOUND,
		    "RESTAURANT_NOT_FOUND", "no such restaurant");
	req->log_rid = rid;
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

static int
menu_item_patch(struct rop_ctx *ctx, struct rop_req *req)
{
	struct rop_principal	 p;
	struct rop_menu_patch	 pt;
	struct json_object	*body = NULL, *item = NULL;
	const char		*rid, *iid;
	int64_t			 version;
	int			 rc = -1;

	rid = rop_req_param(req, "ROP_RESTAURANT_ID");
	iid = rop_req_param(req, "ROP_ITEM_ID");
	if (rid == NULL || iid == NULL || !rop_text_is_id(rid) ||
	    !rop_text_is_id(iid))
		return rop_err_set(&ctx->err, ROP_ENOTFOUND, NULL,
		    "no such resource");
	req->log_rid = rid;
	/* SPEC §9.16: 401, then tenant 404, then 400, then 403. */
	if (rop_auth_caller(ctx, req, 0, &p) == -1 ||
	    rop_auth_tenant(ctx, &p, rid, NULL) == -1 ||
	    rop_req_json(req, &ctx->err, 0, &body) == -1 ||
	    rop_menu_patch_parse(ctx, body, &pt) == -1 ||
	    rop_auth_allow(ctx, &p, ROP_RS_MANAGE, NULL) == -1)
		goto out;
	if (rop_menu_patch_apply(ctx, rid, iid, &pt, &item, &version) == -1)
		goto out;
	rc = rop_reply_json(req, 200, item);
out:
	json_object_put(item);
	json_object_put(body);
	return rc;
}

int
main(void)
{
	static const struct rop_app app = { "menu", routes,
	    ROP_CONFIG_SECRETS };

	return rop_app_run(&app) == 0 ? 0 : 1;
}
