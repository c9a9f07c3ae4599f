/*
 * rop_table: table and session transactions.
 *
 * Lock order (SPEC §2): the dining table row serialises opens and
 * closes of one table, then its session row (which a placement locks
 * too, so a close and a placement never interleave), then the event
 * counter.
 */
#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_db.h"
#include "rop_event.h"
#include "rop_id.h"
#include "rop_json.h"
#include "rop_table.h"
#include "rop_time.h"

static int	one_text(struct rop_ctx *, const struct rop_stmt *,
		    const char **, char **, const char *, const char *);
static int	table_event(struct rop_ctx *, const char *, const char *,
		    const char *, const char *, const char *);

/* The current session if open, else the most recent one. */
#define LAST_SESSION \
	"(SELECT s FROM table_sessions s WHERE s.restaurant_id = t.restaurant_id" \
	" AND s.table_id = t.table_id ORDER BY (s.status = 'OPEN') DESC," \
	" s.opened_at DESC LIMIT 1)"

static const struct rop_stmt st_list = {
	"table_list",
	"SELECT json_build_object('tables', coalesce(json_agg("
	" rop_table_json(t.restaurant_id, t.table_id, " LAST_SESSION ")"
	" ORDER BY t.table_id), '[]'::json))::text"
	" FROM dining_tables t WHERE t.restaurant_id = $1", 1, 1
};
static const struct rop_stmt st_get = {
	"table_get",
	"SELECT rop_table_json(t.restaurant_id, t.table_id, " LAST_SESSION
	")::text FROM dining_tables t"
	" WHERE t.restaurant_id = $1 AND t.table_id = $2", 2, 1
};
static const struct rop_stmt st_lock_table = {
	"table_lock",
	"SELECT 1 FROM dining_tables WHERE restaurant_id = $1 AND table_id = $2"
	" FOR UPDATE", 2, 0
};
static const struct rop_stmt st_open_session = {
	"table_open_session",
	"SELECT session_id FROM table_sessions WHERE restaurant_id = $1"
	" AND table_id = $2 AND status = 'OPEN' FOR UPDATE", 2, 0
};
static const struct rop_stmt st_insert_session = {
	"table_insert_session",
	"INSERT INTO table_sessions (restaurant_id, session_id, table_id,"
	" status, opened_at) VALUES ($1, $3, $2, 'OPEN',"
	" date_trunc('milliseconds', clock_timestamp()))"
	" RETURNING rop_table_json($1, $2, table_sessions)::text,"
	" rop_ts(opened_at)", 3, 0
};
static const struct rop_stmt st_blockers = {
	"table_blockers",
	"SELECT count(*) FILTER (WHERE status = 'PLACED'),"
	" count(*) FILTER (WHERE status = 'ACCEPTED')"
	" FROM orders WHERE restaurant_id = $1 AND session_id = $2"
	" AND status IN ('PLACED', 'ACCEPTED')", 2, 0
};
static const struct rop_stmt st_close_session = {
	"table_close_session",
	"UPDATE table_sessions SET status = 'CLOSED',"
	" closed_at = greatest(opened_at,"
	"  date_trunc('milliseconds', clock_timestamp()))"
	" WHERE restaurant_id = $1 AND session_id = $2"
	" RETURNING rop_table_json($1, table_id, table_sessions)::text,"
	" rop_ts(closed_at)", 2, 0
};
static const struct rop_stmt st_summary = {
	"table_summary",
	"WITH t AS (SELECT restaurant_id, table_id FROM dining_tables"
	"  WHERE restaurant_id = $1 AND table_id = $2),"
	" s AS (SELECT (" LAST_SESSION ").* FROM t),"
	" o AS (SELECT o.* FROM orders o, s WHERE o.restaurant_id = $1"
	"  AND o.session_id = s.session_id),"
	" p AS (SELECT coalesce(sum(p.amount_cents), 0)::bigint AS paid,"
	"  coalesce(sum(p.tip_cents), 0)::bigint AS tips FROM payments p, o"
	"  WHERE p.restaurant_id = $1 AND p.order_id = o.order_id"
	"  AND p.status = 'CAPTURED'),"
	" a AS (SELECT coalesce(sum(total_cents) FILTER"
	"  (WHERE status <> 'CANCELLED'), 0)::bigint AS totals,"
	"  count(*) AS n,"
	"  count(*) FILTER (WHERE status = 'PLACED') AS placed,"
	"  count(*) FILTER (WHERE status = 'ACCEPTED') AS accepted,"
	"  count(*) FILTER (WHERE status = 'READY') AS ready,"
	"  count(*) FILTER (WHERE status = 'PAID') AS paid,"
	"  count(*) FILTER (WHERE status = 'CANCELLED') AS cancelled,"
	"  max(created_at) AS last FROM o)"
	" SELECT json_build_object('tableId', t.table_id, 'restaurantId',"
	" t.restaurant_id, 'sessionId', s.session_id, 'status',"
	" coalesce(s.status, 'CLOSED'), 'openedAt', rop_ts(s.opened_at),"
	" 'closedAt', rop_ts(s.closed_at),"
	" 'totals', rop_money(a.totals, r.currency),"
	" 'paid', rop_money(p.paid, r.currency),"
	" 'tips', rop_money(p.tips, r.currency),"
	" 'due', rop_money(a.totals - p.paid, r.currency),"
	" 'counts', json_build_object('ordersTotal', a.n, 'placed', a.placed,"
	"  'accepted', a.accepted, 'ready', a.ready, 'paid', a.paid,"
	"  'cancelled', a.cancelled),"
	" 'lastOrderAt', rop_ts(a.last))::text"
	" FROM t CROSS JOIN a CROSS JOIN p"
	" JOIN restaurants r ON r.restaurant_id = t.restaurant_id"
	" LEFT JOIN s ON true", 2, 1
};
static const struct rop_stmt st_session = {
	"table_session",
	"SELECT (" LAST_SESSION ").session_id FROM dining_tables t"
	" WHERE t.restaurant_id = $1 AND t.table_id = $2", 2, 1
};

/* Run a one-row, one-text-column statement; no row is 404 "code". */
static int
one_text(struct rop_ctx *ctx, const struct rop_stmt *st, const char **p,
    char **json, const char *code, const char *what)
{
	PGresult	*res;
	int		 rc = -1;

	*json = NULL;
	if ((res = rop_db_exec(ctx->db, &ctx->err, st, p)) == NULL)
		return -1;
	if (PQntuples(res) == 0 || rop_db_isnull(res, 0, 0))
		rop_err_set(&ctx->err, ROP_ENOTFOUND, code, "no %s", what);
	else if ((*json = rop_json_dup_compact(rop_db_str(res, 0, 0))) == NULL)
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "copy");
	else
		rc = 0;
	PQclear(res);
	return rc;
}

int
rop_table_list(struct rop_ctx *ctx, const char *rid, char **json)
{
	const char	*p[1] = { rid };

	return one_text(ctx, &st_list, p, json, "RESTAURANT_NOT_FOUND",
	    "restaurant");
}

int
rop_table_get(struct rop_ctx *ctx, const char *rid, const char *tid,
    char **json)
{
	const char	*p[2] = { rid, tid };

	return one_text(ctx, &st_get, p, json, "TABLE_NOT_FOUND", "table");
}

int
rop_table_session(struct rop_ctx *ctx, const char *rid, const char *tid,
    char *sid)
{
	const char	*p[2] = { rid, tid };
	PGresult	*res;
	int		 rc = -1;

	sid[0] = '\0';
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_session, p)) == NULL)
		return -1;
	if (PQntuples(res) == 0)
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "TABLE_NOT_FOUND",
		    "no table %s", tid);
	else {
		if (!rop_db_isnull(res, 0, 0))
			snprintf(sid, 65, "%s", rop_db_str(res, 0, 0));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

/* table.opened / table.closed: {tableId, sessionId, status, openedAt|closedAt}. */
static int
table_event(struct rop_ctx *ctx, const char *rid, const char *tid,
    const char *sid, const char *status, const char *at)
{
	struct json_object	*p;
	int			 open = strcmp(status, "OPEN") == 0;

	if ((p = json_object_new_object()) == NULL)
		return rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "event");
	rop_json_add(p, "tableId", json_object_new_string(tid));
	rop_json_add(p, "sessionId", json_object_new_string(sid));
	rop_json_add(p, "status", json_object_new_string(status));
	rop_json_add(p, open ? "openedAt" : "closedAt",
	    json_object_new_string(at));
	return rop_app_event(ctx, rid, open ? "table.opened" :
	    "table.closed", tid, p);
}

int
rop_table_open(struct rop_ctx *ctx, const char *rid, const char *tid,
    char **json)
{
	PGresult		*res = NULL;
	char			 sid[ROP_ID_BUFSZ];
	const char		*pp[3] = { rid, tid, sid };
	int			 rc = -1;

	*json = NULL;
	if (rop_db_begin(ctx->db, &ctx->err) == -1)
		return -1;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_lock_table, pp)) == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "TABLE_NOT_FOUND",
		    "no table %s", tid);
		goto out;
	}
	PQclear(res);
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_open_session,
	    pp)) == NULL)
		goto out;
	if (PQntuples(res) > 0) {
		/* Already open: the same session, no event. */
		PQclear(res);
		res = NULL;
		rop_db_rollback(ctx->db);
		return rop_table_get(ctx, rid, tid, json);
	}
	PQclear(res);
	if (rop_id_new(sid, "ses_", rop_time_now_ms()) == -1) {
		res = NULL;
		rop_err_set(&ctx->err, ROP_EINTERNAL, NULL, "id");
		goto out;
	}
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_insert_session,
	    pp)) == NULL)
		goto out;
	if (table_event(ctx, rid, tid, sid, "OPEN", rop_db_str(res, 0, 1)) == -1)
		goto out;
	if ((*json = rop_json_dup_compact(rop_db_str(res, 0, 0))) == NULL) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "copy");
		goto out;
	}
	if (rop_app_commit(ctx) == -1)
		goto out;
	rop_app_publish(ctx);
	rc = 0;
out:
	if (rc == -1) {
		rop_db_rollback(ctx->db);
		free(*json);
		*json = NULL;
	}
	PQclear(res);
	return rc;
}

int
rop_table_close(struct rop_ctx *ctx, const char *rid, const char *tid,
    char **json)
{
	PGresult		*res = NULL, *cl = NULL;
	char			 sid[65], *summary = NULL;
	const char		*pp[2] = { rid, tid };
	int			 rc = -1;
	size_t			 n;

	*json = NULL;
	if (rop_db_begin(ctx->db, &ctx->err) == -1)
		return -1;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_lock_table, pp)) == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "TABLE_NOT_FOUND",
		    "no table %s", tid);
		goto out;
	}
	PQclear(res);
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_open_session,
	    pp)) == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		rop_err_set(&ctx->err, ROP_ECONFLICT, "TABLE_NOT_OPEN",
		    "table %s is not open", tid);
		goto out;
	}
	snprintf(sid, sizeof(sid), "%s", rop_db_str(res, 0, 0));
	PQclear(res);
	pp[1] = sid;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_blockers, pp)) == NULL)
		goto out;
	if (rop_db_int(res, 0, 0) + rop_db_int(res, 0, 1) > 0) {
		rop_err_set(&ctx->err, ROP_ECONFLICT, "TABLE_CLOSE_BLOCKED",
		    "table %s has orders the kitchen has not finished", tid);
		rop_err_detail(&ctx->err, "reason", "HAS_NON_READY_ORDERS");
		ctx->err.have_counts = 1;
		ctx->err.counts_placed = rop_db_int(res, 0, 0);
		ctx->err.counts_accepted = rop_db_int(res, 0, 1);
		goto out;
	}
	if ((cl = rop_db_exec(ctx->db, &ctx->err, &st_close_session,
	    pp)) == NULL)
		goto out;
	if (table_event(ctx, rid, tid, sid, "CLOSED", rop_db_str(cl, 0, 1)) == -1)
		goto out;
	if (rop_table_summary(ctx, rid, tid, &summary) == -1)
		goto out;
	n = strlen(rop_db_str(cl, 0, 0)) + strlen(summary) + 32;
	if ((*json = malloc(n)) == NULL) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "close");
		goto out;
	}
	snprintf(*json, n, "{\"table\":%s,\"summary\":%s}",
	    rop_db_str(cl, 0, 0), summary);
	rop_json_compact(*json, strlen(*json));
	if (rop_app_commit(ctx) == -1)
		goto out;
	rop_app_publish(ctx);
	rc = 0;
out:
	if (rc == -1) {
		rop_db_rollback(ctx->db);
		free(*json);
		*json = NULL;
	}
	free(summary);
	PQclear(res);
	PQclear(cl);
	return rc;
}

int
rop_table_summary(struct rop_ctx *ctx, const char *rid, const char *tid,
    char **json)
{
	const char	*p[2] = { rid, tid };

	return one_text(ctx, &st_summary, p, json, "TABLE_NOT_FOUND", "table");
}
