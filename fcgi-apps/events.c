/*
 * events: catch-up over REST (SPEC §6 Events, §9.12): the outbox of a
 * restaurant after a seq, for clients that missed live events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_db.h"

/* The query, checked: ?after=SEQ&limit=N. */
struct events_args {
	long long	 after, limit;
};

static int	events_check(struct rop_ctx *, struct rop_req *);
static int	events_list(struct rop_ctx *, struct rop_req *);

static const struct rop_route routes[] = {
	/* route		method	who		tenant
	 *	check		handler */
	{ "events.list",	"GET",	ROP_RS_STAFF,	ROP_TENANT_PATH,
		events_check,	events_list },
	{ NULL, NULL, 0, ROP_TENANT_NONE, NULL, NULL }
};

static const struct rop_stmt st_events = {
	"events_after",
	"SELECT e.envelope, e.seq, c.last_seq FROM event_counters c"
	" LEFT JOIN LATERAL (SELECT envelope, seq FROM events"
	"  WHERE restaurant_id = c.restaurant_id AND seq > $2::bigint"
	"  ORDER BY seq LIMIT $3) e ON true"
	" WHERE c.restaurant_id = $1 ORDER BY e.seq", 3, 1
};

/*
 * after: a seq, 0 to 2^63 - 1 (a bigint; anything larger is 400, never
 * a database error); limit 1..500.
 */
static int
events_check(struct rop_ctx *ctx, struct rop_req *req)
{
	struct events_args	*a;

	if ((a = rop_req_args(ctx, req, sizeof(*a))) == NULL)
		return -1;
	if (rop_req_query_int(req, &ctx->err, "after", 0, 0, INT64_MAX, NULL,
	    &a->after) == -1 ||
	    rop_req_query_int(req, &ctx->err, "limit", 100, 1, 500,
	    "INVALID_LIMIT", &a->limit) == -1)
		return -1;
	return 0;
}

static int
events_list(struct rop_ctx *ctx, struct rop_req *req)
{
	const struct events_args *a = req->args;
	const char		*rid = req->rid, *pp[3];
	char			 after_s[24], limit_s[16], *out = NULL;
	long long		 after = a->after, limit = a->limit, last;
	PGresult		*res = NULL;
	size_t			 cap, len;
	int			 i, n, rc = -1;

	snprintf(after_s, sizeof(after_s), "%lld", after);
	snprintf(limit_s, sizeof(limit_s), "%lld", limit);
	pp[0] = rid;
	pp[1] = after_s;
	pp[2] = limit_s;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_events, pp)) == NULL)
		return -1;
	if ((n = PQntuples(res)) == 0) {
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "RESTAURANT_NOT_FOUND",
		    "no restaurant %s", rid);
		goto out;
	}
	cap = 96;
	for (i = 0; i < n; i++)
		cap += (size_t)PQgetlength(res, i, 0) + 1;
	if ((out = malloc(cap)) == NULL) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "events");
		goto out;
	}
	len = (size_t)sprintf(out, "{\"events\":[");
	last = after;
	for (i = 0; i < n; i++) {
		size_t	 l;

		if (rop_db_isnull(res, i, 0))
			continue;	/* the LEFT JOIN's empty row */
		l = (size_t)PQgetlength(res, i, 0);
		if (len > 11)
			out[len++] = ',';
		memcpy(out + len, PQgetvalue(res, i, 0), l);
		len += l;
		last = rop_db_int(res, i, 1);
	}
	len += (size_t)sprintf(out + len, "],\"lastSeq\":%lld,\"headSeq\":%lld}",
	    last, (long long)rop_db_int(res, 0, 2));
	rc = rop_reply_json_text(req, 200, out, len);
out:
	free(out);
	PQclear(res);
	return rc;
}

int
main(void)
{
	static const struct rop_app app = { "events", routes,
	    ROP_CONFIG_SECRETS, NULL };

	return rop_app_run(&app) == 0 ? 0 : 1;
}
