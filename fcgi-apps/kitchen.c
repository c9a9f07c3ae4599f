/*
 * kitchen: the kitchen queue (SPEC §6 Kitchen): newest first, keyset
 * paged, for any staff.
 */
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_order.h"

static int	kitchen_orders(struct rop_ctx *, struct rop_req *);
static int	kitchen_check(struct rop_ctx *, struct rop_req *);

static const struct rop_route routes[] = {
	/* route		method	who		tenant
	 *	check		handler */
	{ "kitchen.orders",	"GET",	ROP_RS_STAFF,	ROP_TENANT_PATH,
		kitchen_check,	kitchen_orders },
	{ NULL, NULL, 0, ROP_TENANT_NONE, NULL, NULL }
};

/*
 * The kitchen's filters are PLACED, ACCEPTED, READY and ALL (SPEC §6
 * Kitchen, docs/openapi.yaml KitchenStatus); the shared paging accepts
 * the table list's PAID and CANCELLED too, which are 400 here.  The
 * status defaults to PLACED.
 */
static int
kitchen_check(struct rop_ctx *ctx, struct rop_req *req)
{
	char	 buf[32];

	if (rop_req_query(req, "status", buf, sizeof(buf)) != 1 ||
	    (strcmp(buf, "PAID") != 0 && strcmp(buf, "CANCELLED") != 0))
		return rop_order_page_check(ctx, req, "PLACED");
	rop_err_set(&ctx->err, ROP_EINVAL, "INVALID_STATUS",
	    "status must be one of PLACED, ACCEPTED, READY, ALL");
	rop_err_detail(&ctx->err, "field", "status");
	return -1;
}

static int
kitchen_orders(struct rop_ctx *ctx, struct rop_req *req)
{
	const struct rop_order_page	*pg = req->args;
	char				*json = NULL;

	if (rop_order_list(ctx, req->rid, NULL, pg->status, pg->limit,
	    pg->cursor, &json) == -1)
		return -1;
	return rop_reply_json_take(req, 200, json);
}

int
main(void)
{
	static const struct rop_app app = { "kitchen", routes,
	    ROP_CONFIG_SECRETS, NULL };

	return rop_app_run(&app) == 0 ? 0 : 1;
}
