/*
 * metrics: the Prometheus endpoint.  Every worker of every app counts
 * into one shared segment; this program renders the sums (SPEC §9.15).
 * nginx allows it from loopback only.
 */
#include <stdlib.h>

#include "rop_app.h"
#include "rop_metrics.h"

static int	metrics_get(struct rop_ctx *, struct rop_req *);

static const struct rop_route routes[] = {
	/* route		method	who		tenant
	 *	check		handler */
	{ "metrics.get",	"GET",	ROP_PUBLIC,	ROP_TENANT_NONE,
		NULL,		metrics_get },
	{ NULL, NULL, 0, ROP_TENANT_NONE, NULL, NULL }
};

static int
metrics_get(struct rop_ctx *ctx, struct rop_req *req)
{
	char	*text;
	size_t	 len;
	int	 rc;

	if (ctx->metrics == NULL)
		return rop_err_set(&ctx->err, ROP_EINTERNAL, NULL,
		    "metrics segment unavailable");
	if ((text = rop_metrics_render(ctx->metrics, &len)) == NULL)
		return rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "render");
	rc = rop_reply_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8",
	    text, len);
	free(text);
	return rc;
}

int
main(void)
{
	static const struct rop_app app = { "metrics", routes, 0, NULL };

	return rop_app_run(&app) == 0 ? 0 : 1;
}
