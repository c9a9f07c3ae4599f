/*
 * rop_view: the response shapes of SPEC §6 (OrderResponse, Payment,
 * TableResponse, TableSummary) built in C from the columns the areas
 * read, so that a field change is a C change, not a migration, and
 * Postgres spends no CPU on JSON.  One encoder per resource, shared by
 * the HTTP answers and the event payloads built from them.
 *
 * Every struct borrows its strings (usually from a PGresult); a NULL
 * string is a JSON null.  Times are milliseconds since the epoch,
 * ROP_VIEW_NO_TIME for null, written as RFC 3339 UTC with milliseconds
 * ("2026-02-15T22:10:00.123Z").  Each encoder returns a new object the
 * caller owns (json_object_put), or NULL when out of memory.
 */
#ifndef ROP_VIEW_H
#define ROP_VIEW_H
/* layer: adapter */

#include <stddef.h>
#include <stdint.h>

struct json_object;

#define ROP_VIEW_NO_TIME	INT64_MIN

/*
 * The SQL expression giving a timestamptz as the milliseconds these
 * structs hold: floor, as to_char's MS truncates.
 */
#define ROP_VIEW_MS(col) \
	"floor(extract(epoch FROM " col ") * 1000)::bigint"

struct rop_view_line {
	const char	*line_id, *item_id, *name, *notes;
	int64_t		 qty, unit, total;
};

struct rop_view_order {
	const char	*order_id, *restaurant_id, *table_id, *session_id;
	const char	*status, *note, *currency;
	int64_t		 total, version;
	int64_t		 created, accepted, ready, paid, cancelled;
	const struct rop_view_line *lines;
	size_t		 nlines;
};

struct rop_view_payment {
	const char	*payment_id, *order_id, *status, *method;
	const char	*currency, *provider_ref;
	int64_t		 amount, tip, captured;
};

struct rop_view_table {
	const char	*table_id, *restaurant_id, *status, *session_id;
	int64_t		 opened, closed;
};

struct rop_view_summary {
	const char	*table_id, *restaurant_id, *status, *session_id;
	const char	*currency;
	int64_t		 opened, closed, last_order;
	int64_t		 totals, paid, tips;	/* cents; due = totals - paid */
	int64_t		 n, n_placed, n_accepted, n_ready, n_paid, n_cancelled;
};

struct json_object *rop_view_order(const struct rop_view_order *);
struct json_object *rop_view_payment(const struct rop_view_payment *);
struct json_object *rop_view_table(const struct rop_view_table *);
struct json_object *rop_view_summary(const struct rop_view_summary *);

/* A new time string, or a JSON null (NULL) for ROP_VIEW_NO_TIME. */
struct json_object *rop_view_time(int64_t ms);

#endif /* ROP_VIEW_H */
