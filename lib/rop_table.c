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
#include "rop_view.h"

static struct json_object *table_json(const PGresult *, int);
static struct json_object *summary_json(const PGresult *);
static int	one_json(struct rop_ctx *, const struct rop_stmt *,
		    const char **, char **, const char *, const char *);
static int64_t	time_at(const PGresult *, int, int);
static int	table_event(struct rop_ctx *, const char *, const char *,
		    const char *, const char *, int64_t);

/* The current session if open, else the most recent one. */
#define LAST_SESSION \
	"(SELECT s FROM table_sessions s WHERE s.restaurant_id = t.restaurant_id" \
	" AND s.table_id = t.table_id ORDER BY (s.status = 'OPEN') DESC," \
	" s.opened_at DESC LIMIT 1)"

/* A TableResponse's columns, in the order table_json() reads them. */
#define TABLE_COLS(tid, rid) \
	tid ", " rid ", s.status, s.session_id, " ROP_VIEW_MS("s.opened_at") \
	", " ROP_VIEW_MS("s.closed_at")
#define TABLES \
	" FROM dining_tables t LEFT JOIN LATERAL (SELECT s.* FROM" \
	" table_sessions s WHERE s.restaurant_id = t.restaurant_id" \
	" AND s.table_id = t.table_id ORDER BY (s.status = 'OPEN') DESC," \
	" s.opened_at DESC LIMIT 1) s ON true"

static const struct rop_stmt st_list = {
	"table_list",
	"SELECT " TABLE_COLS("t.table_id", "t.restaurant_id") TABLES
	" WHERE t.restaurant_id = $1 ORDER BY t.table_id", 1, 1
};
static const struct rop_stmt st_get = {
	"table_get",
	"SELECT " TABLE_COLS("t.table_id", "t.restaurant_id") TABLES
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
	"INSERT INTO table_sessions AS s (restaurant_id, session_id,"
	" table_id, status, opened_at) VALUES ($1, $3, $2, 'OPEN',"
	" date_trunc('milliseconds', clock_timestamp()))"
	" RETURNING " TABLE_COLS("$2::text", "$1::text"), 3, 0
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
	"UPDATE table_sessions s SET status = 'CLOSED',"
	" closed_at = greatest(opened_at,"
	"  date_trunc('milliseconds', clock_timestamp()))"
	" WHERE restaurant_id = $1 AND session_id = $2"
	" RETURNING " TABLE_COLS("table_id", "$1::text"), 2, 0
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
	" SELECT " TABLE_COLS("t.table_id", "t.restaurant_id") ","
	" r.currency::text, a.totals, p.paid, p.tips, a.n, a.placed,"
	" a.accepted, a.ready, a.paid, a.cancelled, " ROP_VIEW_MS("a.last")
	" FROM t CROSS JOIN a CROSS JOIN p"
	" JOIN restaurants r ON r.restaurant_id = t.restaurant_id"
	" LEFT JOIN s ON true", 2, 1
};
static const struct rop_stmt st_session = {
	"table_session",
	"SELECT (" LAST_SESSION ").session_id FROM dining_tables t"
	" WHERE t.restaurant_id = $1 AND t.table_id = $2", 2, 1
};

static int64_t
time_at(const PGresult *res, int row, int col)
{
	return rop_db_isnull(res, row, col) ? ROP_VIEW_NO_TIME :
	    rop_db_int(res, row, col);
}

static const char *
str_or_null(const PGresult *res, int row, int col)
{
	return rop_db_isnull(res, row, col) ? NULL : rop_db_str(res, row, col);
}

/* The TableResponse of TABLE_COLS at "row" (owned), or NULL. */
static struct json_object *
table_json(const PGresult *res, int row)
{
	struct rop_view_table	 v;

	v.table_id = rop_db_str(res, row, 0);
	v.restaurant_id = rop_db_str(res, row, 1);
	v.status = str_or_null(res, row, 2);
	v.session_id = str_or_null(res, row, 3);
	v.opened = time_at(res, row, 4);
	v.closed = time_at(res, row, 5);
	return rop_view_table(&v);
}

/* The TableSummary of st_summary's row (owned), or NULL. */
static struct json_object *
summary_json(const PGresult *res)
{
	struct rop_view_summary	 v;

	v.table_id = rop_db_str(res, 0, 0);
	v.restaurant_id = rop_db_str(res, 0, 1);
	v.status = str_or_null(res, 0, 2);
	v.session_id = str_or_null(res, 0, 3);
	v.opened = time_at(res, 0, 4);
	v.closed = time_at(res, 0, 5);
	v.currency = rop_db_str(res, 0, 6);
	v.totals = rop_db_int(res, 0, 7);
	v.paid = rop_db_int(res, 0, 8);
	v.tips = rop_db_int(res, 0, 9);
	v.n = rop_db_int(res, 0, 10);
	v.n_placed = rop_db_int(res, 0, 11);
	v.n_accepted = rop_db_int(res, 0, 12);
	v.n_ready = rop_db_int(res, 0, 13);
	v.n_paid = rop_db_int(res, 0, 14);
	v.n_cancelled = rop_db_int(res, 0, 15);
	v.last_order = time_at(res, 0, 16);
	return rop_view_summary(&v);
}

/*
 * Run a one-row statement and answer its table (st_get) or summary
 * (st_summary) as JSON text in *json; no row is 404 "code".
 */
static int
one_json(struct rop_ctx *ctx, const struct rop_stmt *st, const char **p,
    char **json, const char *code, const char *what)
{
	struct json_object	*o = NULL;
	PGresult		*res;
	size_t			 len;
	int			 rc = -1;

	*json = NULL;
	if ((res = rop_db_exec(ctx->db, &ctx->err, st, p)) == NULL)
		return -1;
	if (PQntuples(res) == 0)
		rop_err_set(&ctx->err, ROP_ENOTFOUND, code, "no %s", what);
	else if ((o = st == &st_summary ? summary_json(res) :
	    table_json(res, 0)) == NULL)
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, what);
	else if ((*json = rop_json_copy(&ctx->err,
	    rop_json_text(o, &len))) != NULL)
		rc = 0;
	json_object_put(o);
	PQclear(res);
	return rc;
}

int
rop_table_list(struct rop_ctx *ctx, const char *rid, char **json)
{
	const char		*p[1] = { rid };
	struct json_object	*top = NULL, *arr, *t;
	PGresult		*res;
	size_t			 len;
	int			 i, rc = -1;

	*json = NULL;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_list, p)) == NULL)
		return -1;
	if ((top = json_object_new_object()) == NULL ||
	    rop_json_add(top, "tables", arr = json_object_new_array()) ||
	    arr == NULL)
		goto nomem;
	for (i = 0; i < PQntuples(res); i++) {
		if ((t = table_json(res, i)) == NULL)
			goto nomem;
		if (json_object_array_add(arr, t) != 0) {
			json_object_put(t);
			goto nomem;
		}
	}
	if ((*json = rop_json_copy(&ctx->err,
	    rop_json_text(top, &len))) != NULL)
		rc = 0;
	goto out;
nomem:
	rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "tables");
out:
	json_object_put(top);
	PQclear(res);
	return rc;
}

int
rop_table_get(struct rop_ctx *ctx, const char *rid, const char *tid,
    char **json)
{
	const char	*p[2] = { rid, tid };

	return one_json(ctx, &st_get, p, json, "TABLE_NOT_FOUND", "table");
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
    const char *sid, const char *status, int64_t at)
{
	struct json_object	*p;
	int			 open = strcmp(status, "OPEN") == 0;

	if ((p = json_object_new_object()) == NULL)
		return rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "event");
	rop_json_add(p, "tableId", json_object_new_string(tid));
	rop_json_add(p, "sessionId", json_object_new_string(sid));
	rop_json_add(p, "status", json_object_new_string(status));
	rop_json_add(p, open ? "openedAt" : "closedAt", rop_view_time(at));
	return rop_app_event(ctx, rid, open ? "table.opened" :
	    "table.closed", tid, p);
}

int
rop_table_open(struct rop_ctx *ctx, const char *rid, const char *tid,
    char **json)
{
	PGresult		*res = NULL;
	struct json_object	*t = NULL;
	char			 sid[ROP_ID_BUFSZ];
	const char		*pp[3] = { rid, tid, sid };
	size_t			 len;
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
	if (table_event(ctx, rid, tid, sid, "OPEN", time_at(res, 0, 4)) == -1)
		goto out;
	if ((t = table_json(res, 0)) == NULL ||
	    (*json = rop_json_copy(&ctx->err, rop_json_text(t, &len))) == NULL) {
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
	json_object_put(t);
	PQclear(res);
	return rc;
}

int
rop_table_close(struct rop_ctx *ctx, const char *rid, const char *tid,
    char **json)
{
	PGresult		*res = NULL, *cl = NULL;
	struct json_object	*t = NULL;
	char			 sid[65], *summary = NULL;
	const char		*pp[2] = { rid, tid }, *text;
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
	if (table_event(ctx, rid, tid, sid, "CLOSED", time_at(cl, 0, 5)) == -1)
		goto out;
	if (rop_table_summary(ctx, rid, tid, &summary) == -1)
		goto out;
	if ((t = table_json(cl, 0)) == NULL) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "close");
		goto out;
	}
	text = rop_json_text(t, &n);
	n += strlen(summary) + 32;
	if ((*json = malloc(n)) == NULL) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "close");
		goto out;
	}
	snprintf(*json, n, "{\"table\":%s,\"summary\":%s}", text, summary);
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
	json_object_put(t);
	PQclear(res);
	PQclear(cl);
	return rc;
}

int
rop_table_summary(struct rop_ctx *ctx, const char *rid, const char *tid,
    char **json)
{
	const char	*p[2] = { rid, tid };

	return one_json(ctx, &st_summary, p, json, "TABLE_NOT_FOUND", "table");
}
