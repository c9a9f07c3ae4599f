/*
 * rop_order: the order transactions.
 *
 * Lock order, the same in every transaction (SPEC §2): table session,
 * then order, then the restaurant's event counter (inside
 * rop_event_write, at the commit), so concurrent requests cannot deadlock.
 */
#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_auth.h"
#include "rop_cursor.h"
#include "rop_db.h"
#include "rop_event.h"
#include "rop_id.h"
#include "rop_json.h"
#include "rop_metrics.h"
#include "rop_order.h"
#include "rop_time.h"
#include "rop_view.h"
#include "domain/rop_money.h"
#include "domain/rop_text.h"

static int	draft_parse(struct rop_ctx *, struct json_object *,
		    struct rop_order_draft *);
static int	draft_hash(struct rop_ctx *, struct rop_order_draft *);
static int	place_tx(struct rop_ctx *, const char *, const char *,
		    struct rop_order_draft *, const char *, char **, int *);
static int	idem_replay(struct rop_ctx *, const char *, const char *,
		    const char *, const char *, char **, int *);
static struct json_object *placed_payload(struct json_object *);
static struct json_object *order_at(struct rop_ctx *, const PGresult *,
		    int *, struct rop_view_order *);
static char	*order_text(struct rop_ctx *, const PGresult *, int);
static int64_t	 time_at(const PGresult *, int, int);
static int	transition_body(struct rop_ctx *, enum rop_order_action,
		    char *, size_t);
static void	count_transition(struct rop_ctx *, const char *, const char *,
		    double);

/*
 * An order as order_at() reads it: its columns, then one line per row
 * (the order's columns repeated), lines in order; anything the
 * statement needs besides comes after (O_EXTRA).
 */
#define ORDER_COLS(o) \
	o ".order_id, " o ".restaurant_id, " o ".table_id, " o ".session_id," \
	" " o ".status, " o ".note, " o ".total_cents, " o ".currency::text," \
	" " o ".version, " ROP_VIEW_MS(o ".created_at") "," \
	" " ROP_VIEW_MS(o ".accepted_at") ", " ROP_VIEW_MS(o ".ready_at") "," \
	" " ROP_VIEW_MS(o ".paid_at") ", " ROP_VIEW_MS(o ".cancelled_at") "," \
	" l.line_id, l.item_id, l.name, l.quantity, l.unit_price_cents," \
	" l.line_total_cents, l.notes"
#define ORDER_LINES(o) \
	" LEFT JOIN order_lines l ON l.restaurant_id = " o ".restaurant_id" \
	" AND l.order_id = " o ".order_id"
enum { O_ID, O_RID, O_TID, O_SID, O_STATUS, O_NOTE, O_TOTAL, O_CUR,
    O_VERSION, O_CREATED, O_ACCEPTED, O_READY, O_PAID, O_CANCELLED,
    O_LID, O_ITEM, O_NAME, O_QTY, O_UNIT, O_LTOTAL, O_NOTES, O_EXTRA };

static const struct rop_stmt st_idem = {
	"order_idem",
	"SELECT " ORDER_COLS("o") ", o.idem_hash FROM orders o" ORDER_LINES("o")
	" WHERE o.restaurant_id = $1 AND o.table_id = $2 AND o.idem_key = $3"
	" ORDER BY l.line_no", 3, 0
};
/*
 * Lock the open session and price the lines in one round trip: no row
 * means no open session; otherwise one row per item found (or one row
 * of NULL items when none is).
 */
static const struct rop_stmt st_session_lock = {
	"order_session_lock",
	"WITH s AS (SELECT s.session_id, r.currency FROM table_sessions s"
	" JOIN restaurants r ON r.restaurant_id = s.restaurant_id"
	" WHERE s.restaurant_id = $1 AND s.table_id = $2 AND s.status = 'OPEN'"
	" FOR UPDATE OF s)"
	" SELECT s.session_id, s.currency::text, i.item_id, i.name,"
	" i.price_cents, i.is_available FROM s LEFT JOIN menu_items i"
	" ON i.restaurant_id = $1 AND i.item_id = ANY($3::text[])", 3, 0
};
static const struct rop_stmt st_table_exists = {
	"order_table_exists",
	"SELECT 1 FROM dining_tables WHERE restaurant_id = $1 AND table_id = $2",
	2, 0
};
static const struct rop_stmt st_insert = {
	"order_insert",
	"WITH o AS (INSERT INTO orders (restaurant_id, order_id, table_id,"
	" session_id, status, note, total_cents, currency, created_at,"
	" idem_key, idem_hash) VALUES ($1, $2, $3, $4, 'PLACED', $5, $6, $7,"
	" date_trunc('milliseconds', clock_timestamp()), $8, $9)"
	" RETURNING *),"
	" l AS (INSERT INTO order_lines (restaurant_id, order_id, line_no,"
	" line_id, item_id, name, quantity, unit_price_cents,"
	" line_total_cents, notes) SELECT $1, $2, x.no, x.id, x.item, x.name,"
	" x.qty, x.unit, x.total, x.notes FROM json_to_recordset($10::json)"
	" AS x(no int, id text, item text, name text, qty int, unit bigint,"
	" total bigint, notes text))"
	" SELECT " ROP_VIEW_MS("o.created_at") ", o.version FROM o", 10, 0
};
static const struct rop_stmt st_locate = {
	"order_locate",
	"SELECT table_id FROM orders WHERE restaurant_id = $1"
	" AND order_id = $2", 2, 1
};
static const struct rop_stmt st_get = {
	"order_get",
	"SELECT " ORDER_COLS("o") " FROM orders o" ORDER_LINES("o")
	" WHERE o.restaurant_id = $1 AND o.order_id = $2 ORDER BY l.line_no",
	2, 1
};
static const struct rop_stmt st_lock = {
	"order_lock",
	"SELECT status, table_id FROM orders"
	" WHERE restaurant_id = $1 AND order_id = $2 FOR UPDATE", 2, 0
};
static const struct rop_stmt st_move = {
	"order_move",
	"WITH o AS (UPDATE orders SET status = $3, version = version + 1,"
	" accepted_at = CASE WHEN $3 = 'ACCEPTED'"
	"  THEN date_trunc('milliseconds', clock_timestamp()) ELSE accepted_at END,"
	" ready_at = CASE WHEN $3 = 'READY'"
	"  THEN date_trunc('milliseconds', clock_timestamp()) ELSE ready_at END,"
	" cancelled_at = CASE WHEN $3 = 'CANCELLED'"
	"  THEN date_trunc('milliseconds', clock_timestamp()) ELSE cancelled_at END,"
	" cancel_reason = coalesce($4, cancel_reason)"
	" WHERE restaurant_id = $1 AND order_id = $2 RETURNING *,"
	" extract(epoch FROM clock_timestamp() - created_at)::float8 AS since)"
	" SELECT " ORDER_COLS("o") ", o.since FROM o" ORDER_LINES("o")
	" ORDER BY l.line_no", 4, 0
};
/* A capture's move READY/SERVED -> PAID (rop_order_pay). */
static const struct rop_stmt st_pay = {
	"order_pay",
	"UPDATE orders SET status = 'PAID', paid_at = $3::timestamptz,"
	" version = version + 1 WHERE restaurant_id = $1 AND order_id = $2",
	3, 0
};
static const struct rop_stmt st_list_status = {
	"order_list_status",
	"WITH o AS (SELECT * FROM orders o WHERE o.restaurant_id = $1"
	" AND o.status = $2"
	" AND (o.created_at, o.order_id) < ('epoch'::timestamptz"
	"  + $3::bigint * interval '1 millisecond', $4::text)"
	" ORDER BY o.created_at DESC, o.order_id DESC LIMIT $5)"
	" SELECT " ORDER_COLS("o") ","
	" (extract(epoch FROM o.created_at) * 1000)::bigint FROM o"
	ORDER_LINES("o")
	" ORDER BY o.created_at DESC, o.order_id DESC, l.line_no", 5, 1
};
static const struct rop_stmt st_list_all = {
	"order_list_all",
	"WITH o AS (SELECT * FROM orders o WHERE o.restaurant_id = $1"
	" AND (o.created_at, o.order_id) < ('epoch'::timestamptz"
	"  + $3::bigint * interval '1 millisecond', $4::text)"
	/* $2 (the status, NULL here) keeps the parameter list of the
	 * sibling statements; PREPARE needs every parameter typed. */
	" AND ($2::text IS NULL OR true)"
	" ORDER BY o.created_at DESC, o.order_id DESC LIMIT $5)"
	" SELECT " ORDER_COLS("o") ","
	" (extract(epoch FROM o.created_at) * 1000)::bigint FROM o"
	ORDER_LINES("o")
	" ORDER BY o.created_at DESC, o.order_id DESC, l.line_no", 5, 1
};
static const struct rop_stmt st_list_session = {
	"order_list_session",
	"WITH o AS (SELECT * FROM orders o WHERE o.restaurant_id = $1"
	" AND o.session_id = $6"
	" AND ($2::text IS NULL OR o.status = $2)"
	" AND (o.created_at, o.order_id) < ('epoch'::timestamptz"
	"  + $3::bigint * interval '1 millisecond', $4::text)"
	" ORDER BY o.created_at DESC, o.order_id DESC LIMIT $5)"
	" SELECT " ORDER_COLS("o") ","
	" (extract(epoch FROM o.created_at) * 1000)::bigint FROM o"
	ORDER_LINES("o")
	" ORDER BY o.created_at DESC, o.order_id DESC, l.line_no", 6, 1
};

static int
draft_parse(struct rop_ctx *ctx, struct json_object *body, struct rop_order_draft *d)
{
	static const char *const top[] = { "lines", "note", NULL };
	static const char *const lk[] = { "itemId", "quantity", "notes", NULL };
	struct json_object	*lines, *l;
	char			 path[32];
	size_t			 i, n;

	memset(d, 0, sizeof(*d));
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		rop_err_set(&ctx->err, ROP_EINVAL, NULL,
		    "the body must be a JSON object");
		rop_err_detail(&ctx->err, "field", "body");
		return -1;
	}
	if (rop_json_only(&ctx->err, body, "", top) == -1)
		return -1;
	if (!json_object_object_get_ex(body, "lines", &lines) ||
	    !json_object_is_type(lines, json_type_array) ||
	    (n = json_object_array_length(lines)) < 1 ||
	    n > ROP_ORDER_MAX_LINES) {
		rop_err_set(&ctx->err, ROP_EINVAL, NULL,
		    "lines must be an array of 1 to %d lines",
		    ROP_ORDER_MAX_LINES);
		rop_err_detail(&ctx->err, "field", "lines");
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct rop_order_line *ln = &d->lines[i];

		snprintf(path, sizeof(path), "lines[%zu]", i);
		l = json_object_array_get_idx(lines, i);
		if (l == NULL || !json_object_is_type(l, json_type_object)) {
			rop_err_set(&ctx->err, ROP_EINVAL, NULL,
			    "%s must be an object", path);
			rop_err_detail(&ctx->err, "field", path);
			return -1;
		}
		if (rop_json_only(&ctx->err, l, path, lk) == -1 ||
		    rop_json_string(&ctx->err, l, path, "itemId", 1, 1, 64,
		    &ln->item_id) == -1 ||
		    rop_json_int(&ctx->err, l, path, "quantity", 1, 1, 99,
		    &ln->qty, NULL) == -1 ||
		    rop_json_string(&ctx->err, l, path, "notes", 0, 0, 200,
		    &ln->notes) == -1)
			return -1;
		if (!rop_text_is_id(ln->item_id)) {
			snprintf(path, sizeof(path), "lines[%zu].itemId", i);
			rop_err_set(&ctx->err, ROP_EINVAL, NULL,
			    "%s is not a valid id", path);
			rop_err_detail(&ctx->err, "field", path);
			return -1;
		}
	}
	d->nlines = n;
	return rop_json_string(&ctx->err, body, "", "note", 0, 0, 200,
	    &d->note);
}

/*
 * SHA-256 of the normalised body: keys sorted, nulls dropped, no
 * whitespace, so "the same JSON value" hashes the same (SPEC §9.7).
 */
static int
draft_hash(struct rop_ctx *ctx, struct rop_order_draft *d)
{
	struct json_object	*o = NULL, *arr, *l;
	size_t			 i;
	int			 rc = -1;

	if ((o = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL)
		goto out;
	rop_json_add(o, "lines", arr);
	for (i = 0; i < d->nlines; i++) {
		if ((l = json_object_new_object()) == NULL)
			goto out;
		rop_json_add(l, "itemId",
		    json_object_new_string(d->lines[i].item_id));
		if (d->lines[i].notes != NULL)
			rop_json_add(l, "notes",
			    json_object_new_string(d->lines[i].notes));
		rop_json_add(l, "quantity",
		    json_object_new_int64(d->lines[i].qty));
		json_object_array_add(arr, l);
	}
	if (d->note != NULL)
		rop_json_add(o, "note", json_object_new_string(d->note));
	rc = rop_json_hash(&ctx->err, o, d->hash);
out:
	json_object_put(o);
	if (rc == -1 && ctx->err.status == ROP_OK)
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "idempotency hash");
	return rc;
}

/* Inside a transaction: answer from an earlier placement with this key. */
static int
idem_replay(struct rop_ctx *ctx, const char *rid, const char *tid,
    const char *key, const char *hash, char **json, int *found)
{
	const char	*p[3] = { rid, tid, key };
	PGresult	*res;
	int		 rc = -1;

	*found = 0;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_idem, p)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		rc = 0;
		goto out;
	}
	*found = 1;
	if (strcmp(rop_db_str(res, 0, O_EXTRA), hash) != 0) {
		rop_err_set(&ctx->err, ROP_ECONFLICT,
		    "IDEMPOTENCY_KEY_REPLAY_DIFFERENT_PAYLOAD",
		    "this Idempotency-Key was used with a different body");
		goto out;
	}
	if ((*json = order_text(ctx, res, 0)) == NULL)
		goto out;
	rc = 0;
out:
	PQclear(res);
	return rc;
}

/*
 * Read the order at row *row of "res" (ORDER_COLS) and its lines into
 * "v", advance *row past them, and return the order's JSON (owned), or
 * NULL with the error set.  v's strings are borrowed from res.
 */
static struct json_object *
order_at(struct rop_ctx *ctx, const PGresult *res, int *row,
    struct rop_view_order *v)
{
	struct rop_view_line	*ls;
	struct json_object	*o;
	const char		*id;
	int			 r = *row, n = PQntuples(res), k = 0, end;

	id = rop_db_str(res, r, O_ID);
	for (end = r; end < n && strcmp(rop_db_str(res, end, O_ID), id) == 0;
	    end++)
		;
	if ((ls = calloc((size_t)(end - r), sizeof(*ls))) == NULL) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "order");
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	v->order_id = id;
	v->restaurant_id = rop_db_str(res, r, O_RID);
	v->table_id = rop_db_str(res, r, O_TID);
	v->session_id = rop_db_isnull(res, r, O_SID) ? NULL :
	    rop_db_str(res, r, O_SID);
	v->status = rop_db_str(res, r, O_STATUS);
	v->note = rop_db_isnull(res, r, O_NOTE) ? NULL :
	    rop_db_str(res, r, O_NOTE);
	v->total = rop_db_int(res, r, O_TOTAL);
	v->currency = rop_db_str(res, r, O_CUR);
	v->version = rop_db_int(res, r, O_VERSION);
	v->created = time_at(res, r, O_CREATED);
	v->accepted = time_at(res, r, O_ACCEPTED);
	v->ready = time_at(res, r, O_READY);
	v->paid = time_at(res, r, O_PAID);
	v->cancelled = time_at(res, r, O_CANCELLED);
	for (; r < end; r++) {
		if (rop_db_isnull(res, r, O_LID))
			continue;
		ls[k].line_id = rop_db_str(res, r, O_LID);
		ls[k].item_id = rop_db_str(res, r, O_ITEM);
		ls[k].name = rop_db_str(res, r, O_NAME);
		ls[k].qty = rop_db_int(res, r, O_QTY);
		ls[k].unit = rop_db_int(res, r, O_UNIT);
		ls[k].total = rop_db_int(res, r, O_LTOTAL);
		ls[k].notes = rop_db_isnull(res, r, O_NOTES) ? NULL :
		    rop_db_str(res, r, O_NOTES);
		k++;
	}
	v->lines = ls;
	v->nlines = (size_t)k;
	o = rop_view_order(v);
	v->lines = NULL;
	v->nlines = 0;
	free(ls);
	if (o == NULL)
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "order");
	*row = end;
	return o;
}

/* The JSON text (malloc'd) of the order at "row", or NULL. */
static char *
order_text(struct rop_ctx *ctx, const PGresult *res, int row)
{
	struct rop_view_order	 v;
	struct json_object	*o;
	char			*text;
	size_t			 len;

	if ((o = order_at(ctx, res, &row, &v)) == NULL)
		return NULL;
	text = rop_json_copy(&ctx->err, rop_json_text(o, &len));
	json_object_put(o);
	return text;
}

static int64_t
time_at(const PGresult *res, int row, int col)
{
	return rop_db_isnull(res, row, col) ? ROP_VIEW_NO_TIME :
	    rop_db_int(res, row, col);
}

static struct json_object *
placed_payload(struct json_object *order)
{
	static const char *const keys[] = { "orderId", "tableId", "sessionId",
	    "lines", "total", "note", "createdAt", NULL };
	struct json_object	*p, *v;
	size_t			 i;

	if ((p = json_object_new_object()) == NULL)
		return NULL;
	for (i = 0; keys[i] != NULL; i++) {
		json_object_object_get_ex(order, keys[i], &v);
		rop_json_add(p, keys[i], json_object_get(v));
	}
	return p;
}

static int
place_tx(struct rop_ctx *ctx, const char *rid, const char *tid,
    struct rop_order_draft *d, const char *key, char **json, int *replayed)
{
	PGresult		*sess = NULL, *ins = NULL;
	struct json_object	*lines = NULL, *order = NULL;
	char			 oid[ROP_ID_BUFSZ], total_s[24];
	char			 ids[ROP_ORDER_MAX_LINES * 66 + 3];
	char			 lids[ROP_ORDER_MAX_LINES][ROP_ID_BUFSZ];
	struct rop_view_line	 vl[ROP_ORDER_MAX_LINES];
	struct rop_view_order	 v;
	const char		*p[10], *currency, *text;
	int64_t			 total = 0, ms = rop_time_now_ms();
	size_t			 i, off, tl;
	int			 r, found, rc = -1;

	if (rop_db_begin(ctx->db, &ctx->err) == -1)
		return -1;
	if (key != NULL) {
		if (idem_replay(ctx, rid, tid, key, d->hash, json, &found) == -1)
			goto out;
		if (found) {
			*replayed = 1;
			rc = 0;
			goto out;
		}
	}
	/* Ids are [A-Za-z0-9_-], so the array literal needs no quoting. */
	off = 0;
	ids[off++] = '{';
	for (i = 0; i < d->nlines; i++)
		off += (size_t)snprintf(ids + off, sizeof(ids) - off, "%s%s",
		    i ? "," : "", d->lines[i].item_id);
	ids[off++] = '}';
	ids[off] = '\0';
	p[0] = rid;
	p[1] = tid;
	p[2] = ids;
	if ((sess = rop_db_exec(ctx->db, &ctx->err, &st_session_lock,
	    p)) == NULL)
		goto out;
	if (PQntuples(sess) == 0) {
		PGresult *t = rop_db_exec(ctx->db, &ctx->err, &st_table_exists,
		    p);

		if (t == NULL)
			goto out;
		if (PQntuples(t) == 0)
			rop_err_set(&ctx->err, ROP_ENOTFOUND, "TABLE_NOT_FOUND",
			    "no table %s", tid);
		else
			rop_err_set(&ctx->err, ROP_ECONFLICT, "TABLE_NOT_OPEN",
			    "table %s is not open", tid);
		PQclear(t);
		goto out;
	}
	currency = rop_db_str(sess, 0, 1);
	for (i = 0; i < d->nlines; i++) {
		struct rop_order_line	*ln = &d->lines[i];

		for (r = 0; r < PQntuples(sess); r++)
			if (!rop_db_isnull(sess, r, 2) &&
			    strcmp(rop_db_str(sess, r, 2), ln->item_id) == 0)
				break;
		if (r == PQntuples(sess)) {
			rop_err_set(&ctx->err, ROP_EINVAL, "ITEM_NOT_FOUND",
			    "no menu item %s", ln->item_id);
			rop_err_detail(&ctx->err, "itemId", ln->item_id);
			goto out;
		}
		if (strcmp(rop_db_str(sess, r, 5), "t") != 0) {
			rop_err_set(&ctx->err, ROP_EINVAL, "ITEM_UNAVAILABLE",
			    "menu item %s is not available", ln->item_id);
			rop_err_detail(&ctx->err, "itemId", ln->item_id);
			goto out;
		}
		ln->name = rop_db_str(sess, r, 3);
		ln->unit = rop_db_int(sess, r, 4);
		if (rop_money_mul(ln->unit, ln->qty, &ln->total) == -1 ||
		    rop_money_add(total, ln->total, &total) == -1) {
			rop_err_set(&ctx->err, ROP_EINVAL, NULL,
			    "order total out of range");
			rop_err_detail(&ctx->err, "field", "lines");
			goto out;
		}
	}

	/* The lines to store, as json_to_recordset reads them. */
	if ((lines = json_object_new_array()) == NULL)
		goto nomem;
	for (i = 0; i < d->nlines; i++) {
		struct rop_order_line	*ln = &d->lines[i];
		struct json_object	*l;

		if ((l = json_object_new_object()) == NULL ||
		    rop_id_new(lids[i], "oln_", ms) == -1) {
			json_object_put(l);
			goto nomem;
		}
		rop_json_add(l, "no", json_object_new_int64((int64_t)i + 1));
		rop_json_add(l, "id", json_object_new_string(lids[i]));
		rop_json_add(l, "item", json_object_new_string(ln->item_id));
		rop_json_add(l, "name", json_object_new_string(ln->name));
		rop_json_add(l, "qty", json_object_new_int64(ln->qty));
		rop_json_add(l, "unit", json_object_new_int64(ln->unit));
		rop_json_add(l, "total", json_object_new_int64(ln->total));
		rop_json_add(l, "notes", rop_json_new_str_or_null(ln->notes));
		if (json_object_array_add(lines, l) != 0) {
			json_object_put(l);
			goto nomem;
		}
		vl[i].line_id = lids[i];
		vl[i].item_id = ln->item_id;
		vl[i].name = ln->name;
		vl[i].qty = ln->qty;
		vl[i].unit = ln->unit;
		vl[i].total = ln->total;
		vl[i].notes = ln->notes;
	}
	if (rop_id_new(oid, "ord_", ms) == -1)
		goto nomem;
	snprintf(total_s, sizeof(total_s), "%lld", (long long)total);
	p[0] = rid;
	p[1] = oid;
	p[2] = tid;
	p[3] = rop_db_str(sess, 0, 0);
	p[4] = d->note;
	p[5] = total_s;
	p[6] = currency;
	p[7] = key;
	p[8] = key != NULL ? d->hash : NULL;
	p[9] = rop_json_text(lines, &tl);
	if ((ins = rop_db_exec(ctx->db, &ctx->err, &st_insert, p)) == NULL) {
		if (strcmp(rop_db_sqlstate(ctx->db), "23505") == 0)
			rop_err_set(&ctx->err, ROP_ECONFLICT, "IDEMPOTENCY_RACE",
			    "a concurrent placement used this key");
		goto out;
	}
	memset(&v, 0, sizeof(v));
	v.order_id = oid;
	v.restaurant_id = rid;
	v.table_id = tid;
	v.session_id = rop_db_str(sess, 0, 0);
	v.status = "PLACED";
	v.note = d->note;
	v.total = total;
	v.currency = currency;
	v.created = rop_db_int(ins, 0, 0);
	v.version = rop_db_int(ins, 0, 1);
	v.accepted = v.ready = v.paid = v.cancelled = ROP_VIEW_NO_TIME;
	v.lines = vl;
	v.nlines = d->nlines;
	if ((order = rop_view_order(&v)) == NULL)
		goto nomem;
	if (rop_app_event(ctx, rid, "order.placed", tid,
	    placed_payload(order)) == -1)
		goto out;
	text = rop_json_text(order, &tl);
	if ((*json = rop_json_copy(&ctx->err, text)) == NULL)
		goto out;
	rc = 0;
	goto out;
nomem:
	rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "order");
out:
	if (rc == 0) {
		if (rop_app_commit(ctx) == -1) {
			free(*json);
			*json = NULL;
			rc = -1;
		} else if (!*replayed) {
			rop_app_publish(ctx);
			rop_metrics_add(ctx->metrics,
			    "rop_orders_placed_total", NULL, 1);
		}
	} else
		rop_db_rollback(ctx->db);
	json_object_put(lines);
	json_object_put(order);
	PQclear(sess);
	PQclear(ins);
	return rc;
}

int
rop_order_draft_check(struct rop_ctx *ctx, struct rop_req *req)
{
	struct rop_order_draft	*d;

	if (rop_req_json(req, &ctx->err, 0, &req->json) == -1 ||
	    (d = rop_req_args(ctx, req, sizeof(*d))) == NULL)
		return -1;
	if (draft_parse(ctx, req->json, d) == -1 || draft_hash(ctx, d) == -1)
		return -1;
	return 0;
}

int
rop_order_place(struct rop_ctx *ctx, const char *rid, const char *tid,
    struct rop_order_draft *d, const char *key, char **json, int *replayed)
{
	int	 rc = -1, attempt;

	*json = NULL;
	*replayed = 0;
	/*
	 * Two placements racing with one key: the loser's insert hits the
	 * unique key, and its second attempt replays the winner's order.
	 */
	for (attempt = 0; attempt < 2; attempt++) {
		rc = place_tx(ctx, rid, tid, d, key, json, replayed);
		if (rc == 0 || ctx->err.code == NULL ||
		    strcmp(ctx->err.code, "IDEMPOTENCY_RACE") != 0)
			break;
		rop_err_clear(&ctx->err);
	}
	return rc;
}

int
rop_order_locate(struct rop_ctx *ctx, const char *rid, const char *oid,
    char *tid)
{
	const char	*p[2] = { rid, oid };
	PGresult	*res;
	int		 rc = -1;

	tid[0] = '\0';
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_locate, p)) == NULL)
		return -1;
	if (PQntuples(res) == 0)
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "ORDER_NOT_FOUND",
		    "no order %s", oid);
	else {
		snprintf(tid, 65, "%s", rop_db_str(res, 0, 0));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

int
rop_order_get(struct rop_ctx *ctx, const char *rid, const char *oid,
    char **json, char *tid)
{
	const char	*p[2] = { rid, oid };
	PGresult	*res;
	int		 rc = -1;

	*json = NULL;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_get, p)) == NULL)
		return -1;
	if (PQntuples(res) == 0)
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "ORDER_NOT_FOUND",
		    "no order %s", oid);
	else if ((*json = order_text(ctx, res, 0)) != NULL) {
		if (tid != NULL)
			snprintf(tid, 65, "%s", rop_db_str(res, 0, O_TID));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

static void
count_transition(struct rop_ctx *ctx, const char *from, const char *to,
    double since_placed)
{
	char	 labels[96];

	snprintf(labels, sizeof(labels), "from=\"%s\",to=\"%s\"", from, to);
	rop_metrics_add(ctx->metrics, "rop_order_transition_total", labels, 1);
	if (strcmp(to, "ACCEPTED") == 0)
		rop_metrics_observe(ctx->metrics,
		    "rop_order_time_to_accept_seconds", NULL, since_placed);
	else if (strcmp(to, "READY") == 0)
		rop_metrics_observe(ctx->metrics,
		    "rop_order_time_to_ready_seconds", NULL, since_placed);
}

/*
 * The body of a transition: none or {} ; cancel needs {"reason"}
 * (copied into reason).
 */
static int
transition_body(struct rop_ctx *ctx, enum rop_order_action act,
    char *reason, size_t reasonsz)
{
	static const char *const keys[] = { "reason", NULL };
	struct json_object	*body = NULL;
	const char		*r;
	int			 rc = -1;

	if (act != ROP_ACT_CANCEL)
		return rop_req_no_payload(ctx->req, &ctx->err);
	if (rop_req_json(ctx->req, &ctx->err, 0, &body) == -1)
		return -1;
	if (!json_object_is_type(body, json_type_object)) {
		rop_err_set(&ctx->err, ROP_EINVAL, NULL,
		    "the body must be a JSON object");
		rop_err_detail(&ctx->err, "field", "body");
		goto out;
	}
	if (rop_json_only(&ctx->err, body, "", keys) == -1 ||
	    rop_json_string(&ctx->err, body, "", "reason", 1, 1, 200, &r) == -1)
		goto out;
	snprintf(reason, reasonsz, "%s", r);
	rc = 0;
out:
	json_object_put(body);
	return rc;
}

int
rop_order_cancel_check(struct rop_ctx *ctx, struct rop_req *req)
{
	char	*reason;

	if ((reason = rop_req_args(ctx, req, ROP_ORDER_REASON_BUFSZ)) == NULL)
		return -1;
	return transition_body(ctx, ROP_ACT_CANCEL, reason,
	    ROP_ORDER_REASON_BUFSZ);
}

int
rop_order_transition(struct rop_ctx *ctx, const struct rop_principal *pr,
    const char *oid, enum rop_order_action act, const char *reason,
    char **json)
{
	PGresult		*lock = NULL, *res = NULL;
	struct json_object	*payload = NULL;
	enum rop_order_status	 from, to = rop_order_target(act);
	enum rop_order_actor	 actor;
	char			 tid[65];
	const char		*p[4], *fromname;
	int			 rc = -1, applied = 0;
	double			 since = 0;

	*json = NULL;
	actor = rop_order_actor(pr->role);
	if (rop_db_begin(ctx->db, &ctx->err) == -1)
		return -1;
	p[0] = pr->rid;
	p[1] = oid;
	if ((lock = rop_db_exec(ctx->db, &ctx->err, &st_lock, p)) == NULL)
		goto out;
	if (PQntuples(lock) == 0) {
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "ORDER_NOT_FOUND",
		    "no order %s", oid);
		goto out;
	}
	snprintf(tid, sizeof(tid), "%s", rop_db_str(lock, 0, 1));
	if (act == ROP_ACT_CANCEL && reason == NULL)
		reason = "";	/* never: the route's check requires one */
	from = rop_order_status_parse(rop_db_str(lock, 0, 0));
	fromname = rop_order_status_name(from);
	switch (rop_order_decide(from, act, actor)) {
	case ROP_DECIDE_FORBIDDEN:
		rop_err_set(&ctx->err, ROP_EFORBIDDEN, NULL,
		    "%s may not move an order %s to %s",
		    rop_role_name(pr->role) ? rop_role_name(pr->role) : "guest",
		    fromname ? fromname : "?", rop_order_status_name(to));
		goto out;
	case ROP_DECIDE_CONFLICT:
		rop_err_set(&ctx->err, ROP_ECONFLICT,
		    "INVALID_ORDER_TRANSITION", "order %s is %s, not %s",
		    oid, fromname ? fromname : "?",
		    act == ROP_ACT_CANCEL ? "PLACED or ACCEPTED" :
		    rop_order_status_name(act == ROP_ACT_ACCEPT ?
		    ROP_ORDER_PLACED : ROP_ORDER_ACCEPTED));
		rop_err_detail(&ctx->err, "from", fromname ? fromname : "?");
		rop_err_detail(&ctx->err, "to", rop_order_status_name(to));
		goto out;
	case ROP_DECIDE_REPEAT:
		if ((res = rop_db_exec(ctx->db, &ctx->err, &st_get, p)) == NULL)
			goto out;
		break;
	case ROP_DECIDE_APPLY:
		p[2] = rop_order_status_name(to);
		p[3] = act == ROP_ACT_CANCEL ? reason : NULL;
		if ((res = rop_db_exec(ctx->db, &ctx->err, &st_move, p)) == NULL)
			goto out;
		since = strtod(rop_db_str(res, 0, O_EXTRA), NULL);
		if ((payload = json_object_new_object()) == NULL) {
			rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "event");
			goto out;
		}
		rop_json_add(payload, "orderId", json_object_new_string(oid));
		rop_json_add(payload, "tableId", json_object_new_string(tid));
		if (act == ROP_ACT_CANCEL)
			rop_json_add(payload, "reason",
			    json_object_new_string(reason));
		/* The moment just stamped, as the order JSON has it. */
		rop_json_add(payload, act == ROP_ACT_ACCEPT ? "acceptedAt" :
		    act == ROP_ACT_READY ? "readyAt" : "cancelledAt",
		    rop_view_time(time_at(res, 0, act == ROP_ACT_ACCEPT ?
		    O_ACCEPTED : act == ROP_ACT_READY ? O_READY :
		    O_CANCELLED)));
		if (rop_app_event(ctx, pr->rid, rop_order_event(act), tid,
		    payload) == -1) {
			payload = NULL;
			goto out;
		}
		payload = NULL;
		applied = 1;
		break;
	}
	if ((*json = order_text(ctx, res, 0)) == NULL)
		goto out;
	if (rop_app_commit(ctx) == -1) {
		free(*json);
		*json = NULL;
		goto out;
	}
	if (applied) {
		rop_app_publish(ctx);
		count_transition(ctx, fromname, rop_order_status_name(to),
		    since);
	}
	rc = 0;
out:
	if (rc == -1)
		rop_db_rollback(ctx->db);
	json_object_put(payload);
	PQclear(lock);
	PQclear(res);
	return rc;
}

int
rop_order_page_check(struct rop_ctx *ctx, struct rop_req *req,
    const char *def_status)
{
	struct rop_order_page	*pg;

	if ((pg = rop_req_args(ctx, req, sizeof(*pg))) == NULL)
		return -1;
	return rop_order_paging(ctx, def_status, &pg->status, &pg->limit,
	    pg->cursor);
}

int
rop_order_paging(struct rop_ctx *ctx, const char *def_status,
    const char **status, int *limit, char *cursor)
{
	static const char *const names[] = { "PLACED", "ACCEPTED", "READY",
	    "PAID", "CANCELLED", "ALL", NULL };
	char		 buf[160], *end;
	long		 l;
	int		 i, r;
	int64_t		 ms;
	char		 oid[65];

	*status = def_status;
	*limit = 50;
	cursor[0] = '\0';
	if ((r = rop_req_query(ctx->req, "status", buf, sizeof(buf))) == -1)
		goto badstatus;
	if (r == 1) {
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(names[i], buf) == 0)
				break;
		if (names[i] == NULL)
			goto badstatus;
		*status = names[i];
	}
	if (*status != NULL && strcmp(*status, "ALL") == 0)
		*status = NULL;
	if ((r = rop_req_query(ctx->req, "limit", buf, sizeof(buf))) != 0) {
		l = r == 1 ? strtol(buf, &end, 10) : 0;
		if (r == -1 || buf[0] == '\0' || *end != '\0' ||
		    buf[0] == '+' || buf[0] == ' ' || l < 1 || l > 200) {
			rop_err_set(&ctx->err, ROP_EINVAL, "INVALID_LIMIT",
			    "limit must be an integer from 1 to 200");
			rop_err_detail(&ctx->err, "field", "limit");
			return -1;
		}
		*limit = (int)l;
	}
	if ((r = rop_req_query(ctx->req, "cursor", buf, sizeof(buf))) != 0) {
		if (r == -1 || strlen(buf) >= 129 ||
		    rop_cursor_decode(buf, &ms, oid) == -1 ||
		    !rop_cursor_time_ok(ms)) {
			rop_err_set(&ctx->err, ROP_EINVAL, "INVALID_CURSOR",
			    "cursor is not one this server issued");
			rop_err_detail(&ctx->err, "field", "cursor");
			return -1;
		}
		memcpy(cursor, buf, strlen(buf) + 1);
	}
	return 0;
badstatus:
	rop_err_set(&ctx->err, ROP_EINVAL, "INVALID_STATUS",
	    "status must be one of PLACED, ACCEPTED, READY, PAID, CANCELLED, ALL");
	rop_err_detail(&ctx->err, "field", "status");
	return -1;
}

int
rop_order_list(struct rop_ctx *ctx, const char *rid, const char *session_id,
    const char *status, int limit, const char *cursor, char **json)
{
	const struct rop_stmt	*st;
	const char		*p[6];
	char			 ms_s[24], lim_s[16], oid[65] = "";
	char			 next[ROP_CURSOR_BUFSZ];
	int64_t			 ms = 253402300799999LL;  /* 9999-12-31 */
	PGresult		*res = NULL;
	struct json_object	*top = NULL, *arr, *o;
	struct rop_view_order	 v;
	size_t			 len;
	int			 i, k, n, last = 0, more = 0, rc = -1;

	*json = NULL;
	if (cursor != NULL && cursor[0] != '\0' &&
	    (rop_cursor_decode(cursor, &ms, oid) == -1 ||
	    !rop_cursor_time_ok(ms)))
		return rop_err_set(&ctx->err, ROP_EINVAL, "INVALID_CURSOR",
		    "bad cursor");
	snprintf(ms_s, sizeof(ms_s), "%lld", (long long)ms);
	snprintf(lim_s, sizeof(lim_s), "%d", limit + 1);
	p[0] = rid;
	p[1] = status;
	p[2] = ms_s;
	p[3] = oid;
	p[4] = lim_s;
	p[5] = session_id;
	st = session_id != NULL ? &st_list_session :
	    status != NULL ? &st_list_status : &st_list_all;
	if ((res = rop_db_exec(ctx->db, &ctx->err, st, p)) == NULL)
		return -1;
	if ((top = json_object_new_object()) == NULL ||
	    rop_json_add(top, "orders", arr = json_object_new_array()) == -1 ||
	    arr == NULL)
		goto nomem;
	/* limit + 1 orders at most: the last one only says there is more. */
	for (i = 0, k = 0, n = PQntuples(res); i < n; k++) {
		if (k == limit) {
			if (rop_cursor_encode(next, rop_db_int(res, last,
			    O_EXTRA), rop_db_str(res, last, O_ID)) == 0)
				more = 1;
			break;
		}
		last = i;
		if ((o = order_at(ctx, res, &i, &v)) == NULL)
			goto out;
		if (json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			goto nomem;
		}
	}
	if (rop_json_add(top, "nextCursor", more ?
	    json_object_new_string(next) : NULL) == -1)
		goto nomem;
	if ((*json = rop_json_copy(&ctx->err,
	    rop_json_text(top, &len))) == NULL)
		goto out;
	rc = 0;
	goto out;
nomem:
	rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "list");
out:
	json_object_put(top);
	PQclear(res);
	return rc;
}

enum rop_order_actor
rop_order_actor(int role)
{
	switch ((enum rop_role)role) {
	case ROP_ROLE_ADMIN:
	case ROP_ROLE_MANAGER:
		return ROP_ACTOR_MANAGER;
	case ROP_ROLE_WAITER:
		return ROP_ACTOR_WAITER;
	case ROP_ROLE_KITCHEN:
		return ROP_ACTOR_KITCHEN;
	case ROP_ROLE_NONE:
		return ROP_ACTOR_SYSTEM;
	default:
		return ROP_ACTOR__MAX;	/* a guest: refused */
	}
}

int
rop_order_pay_check(struct rop_err *err, const char *oid, const char *from,
    enum rop_order_actor actor)
{
	switch (rop_order_decide(rop_order_status_parse(from), ROP_ACT_PAY,
	    actor)) {
	case ROP_DECIDE_APPLY:
		return 0;
	case ROP_DECIDE_REPEAT:
		return rop_err_set(err, ROP_ECONFLICT, "ORDER_ALREADY_PAID",
		    "order %s is paid already", oid);
	case ROP_DECIDE_FORBIDDEN:
		return rop_err_set(err, ROP_EFORBIDDEN, NULL,
		    "this caller may not take a payment");
	case ROP_DECIDE_CONFLICT:
	default:
		rop_err_set(err, ROP_ECONFLICT, "INVALID_ORDER_TRANSITION",
		    "order %s is %s, not READY", oid, from);
		rop_err_detail(err, "from", from);
		rop_err_detail(err, "to", "PAID");
		return -1;
	}
}

int
rop_order_pay(struct rop_ctx *ctx, const char *rid, const char *oid,
    const char *from, enum rop_order_actor actor, const char *paid_at)
{
	const char	*p[3] = { rid, oid, paid_at };
	PGresult	*res;
	int		 n;

	if (rop_order_pay_check(&ctx->err, oid, from, actor) == -1)
		return -1;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_pay, p)) == NULL)
		return -1;
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	if (n != 1)
		return rop_err_set(&ctx->err, ROP_EINTERNAL, NULL,
		    "order %s vanished while paid", oid);
	return 0;
}
