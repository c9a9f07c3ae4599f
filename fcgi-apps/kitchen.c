/*
 * kitchen: the kitchen queue (SPEC §6 Kitchen): newest first, keyset
 * paged, for any staff.
 */
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_auth.h"
#include "rop_order.h"

static int	kitchen_orders(struct rop_ctx *, struct rop_req *);
static int	kitchen_status(struct rop_ctx *, struct rop_req *);

static const struct rop_route routes[] = {
	{ "kitchen.orders",	"GET",	kitchen_orders },
	{ NULL, NULL, NULL }
};

/*
 * The kitchen's filters are PLACED, ACCEPTED, READY and ALL (SPEC §6
 * Kitchen, docs/openapi.yaml KitchenStatus); the shared paging accepts
 * the table list's PAID and CANCELLED too, which are 400 here.
 */
static int
kitchen_status(struct rop_ctx *ctx, struct rop_req *req)
{
	char	 buf[32];

	if (rop_req_query(req, "status", buf, sizeof(buf)) != 1 ||
	    (strcmp(buf, "PAID") != 0 && strcmp(buf, "CANCELLED") != 0))
		return 0;	/* absent, or for rop_order_paging to judge */
	rop_err_set(&ctx->err, ROP_EINVAL, "INVALID_STATUS",
	    "status must be one of PLACED, ACCEPTED, READY, ALL");
	rop_err_detail(&ctx->err, "field", "status");
	return -1;
}

static int
kitchen_orders(struct rop_ctx *ctx, struct rop_req *req)
{
	struct rop_principal	 p;
	const char		*rid, *status;
	char			 cursor[129], *json = NULL;
	int			 limit;

	if ((rid = rop_req_id(req, &ctx->err, "ROP_RESTAURANT_ID")) == NULL)
		return -1;
	req->log_rid = rid;
	if (rop_auth_caller(ctx, req, 0, &p) == -1 ||
	    rop_auth_tenant(ctx, &p, rid, NULL) == -1 ||
	    kitchen_status(ctx, req) == -1 ||
	    rop_order_paging(ctx, "PLACED", &status, &limit, cursor) == -1 ||
	    rop_auth_allow(ctx, &p, ROP_RS_STAFF, NULL) == -1 ||
	    rop_order_list(ctx, rid, NULL, status, limit, cursor, &json) == -1)
		return -1;
	return rop_reply_json_take(req, 200, json);
}

int
main(void)
{
	static const struct rop_app app = { "kitchen", routes,
	    ROP_CONFIG_SECRETS };

	return rop_app_run(&app) == 0 ? 0 : 1;
}
