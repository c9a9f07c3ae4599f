/*
 * rop_view: the response shapes of SPEC §6, built with json-c.
 *
 * Key order, number and time formats and nulls are those the SQL
 * functions of migrations 005 and 007 produced, byte for byte (json-c
 * keeps insertion order; rop_json_text writes it compact).
 */
#include <json-c/json.h>

#include "rop_json.h"
#include "rop_time.h"
#include "rop_view.h"

static struct json_object *order_line(const struct rop_view_line *,
		    const char *);

struct json_object *
rop_view_time(int64_t ms)
{
	char	 buf[ROP_TIME_BUFSZ];

	if (ms == ROP_VIEW_NO_TIME)
		return NULL;
	return json_object_new_string(rop_time_format(ms, buf));
}

static struct json_object *
order_line(const struct rop_view_line *l, const char *currency)
{
	struct json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (rop_json_add(o, "lineId", json_object_new_string(l->line_id)) ||
	    rop_json_add(o, "itemId", json_object_new_string(l->item_id)) ||
	    rop_json_add(o, "name", json_object_new_string(l->name)) ||
	    rop_json_add(o, "quantity", json_object_new_int64(l->qty)) ||
	    rop_json_add(o, "unitPrice", rop_json_new_money(l->unit,
	    currency)) ||
	    rop_json_add(o, "lineTotal", rop_json_new_money(l->total,
	    currency)) ||
	    rop_json_add(o, "notes", rop_json_new_str_or_null(l->notes))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *
rop_view_order(const struct rop_view_order *v)
{
	struct json_object	*o, *lines, *l;
	size_t			 i;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (rop_json_add(o, "orderId", json_object_new_string(v->order_id)) ||
	    rop_json_add(o, "restaurantId",
	    json_object_new_string(v->restaurant_id)) ||
	    rop_json_add(o, "tableId", json_object_new_string(v->table_id)) ||
	    rop_json_add(o, "sessionId",
	    rop_json_new_str_or_null(v->session_id)) ||
	    rop_json_add(o, "status", json_object_new_string(v->status)) ||
	    rop_json_add(o, "lines", lines = json_object_new_array()))
		goto fail;
	if (lines == NULL)
		goto fail;
	for (i = 0; i < v->nlines; i++) {
		if ((l = order_line(&v->lines[i], v->currency)) == NULL)
			goto fail;
		if (json_object_array_add(lines, l) != 0) {
			json_object_put(l);
			goto fail;
		}
	}
	if (rop_json_add(o, "note", rop_json_new_str_or_null(v->note)) ||
	    rop_json_add(o, "total", rop_json_new_money(v->total,
	    v->currency)) ||
	    rop_json_add(o, "createdAt", rop_view_time(v->created)) ||
	    rop_json_add(o, "acceptedAt", rop_view_time(v->accepted)) ||
	    rop_json_add(o, "readyAt", rop_view_time(v->ready)) ||
	    rop_json_add(o, "paidAt", rop_view_time(v->paid)) ||
	    rop_json_add(o, "cancelledAt", rop_view_time(v->cancelled)) ||
	    rop_json_add(o, "version", json_object_new_int64(v->version)))
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

struct json_object *
rop_view_payment(const struct rop_view_payment *v)
{
	struct json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (rop_json_add(o, "paymentId",
	    json_object_new_string(v->payment_id)) ||
	    rop_json_add(o, "orderId", json_object_new_string(v->order_id)) ||
	    rop_json_add(o, "status", json_object_new_string(v->status)) ||
	    rop_json_add(o, "method", json_object_new_string(v->method)) ||
	    rop_json_add(o, "amount", rop_json_new_money(v->amount,
	    v->currency)) ||
	    rop_json_add(o, "tip", rop_json_new_money(v->tip, v->currency)) ||
	    rop_json_add(o, "providerRef",
	    rop_json_new_str_or_null(v->provider_ref)) ||
	    rop_json_add(o, "capturedAt", rop_view_time(v->captured))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *
rop_view_table(const struct rop_view_table *v)
{
	struct json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (rop_json_add(o, "tableId", json_object_new_string(v->table_id)) ||
	    rop_json_add(o, "restaurantId",
	    json_object_new_string(v->restaurant_id)) ||
	    rop_json_add(o, "status", json_object_new_string(
	    v->status != NULL ? v->status : "CLOSED")) ||
	    rop_json_add(o, "sessionId",
	    rop_json_new_str_or_null(v->session_id)) ||
	    rop_json_add(o, "openedAt", rop_view_time(v->opened)) ||
	    rop_json_add(o, "closedAt", rop_view_time(v->closed))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *
rop_view_summary(const struct rop_view_summary *v)
{
	struct json_object	*o, *c;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (rop_json_add(o, "tableId", json_object_new_string(v->table_id)) ||
	    rop_json_add(o, "restaurantId",
	    json_object_new_string(v->restaurant_id)) ||
	    rop_json_add(o, "sessionId",
	    rop_json_new_str_or_null(v->session_id)) ||
	    rop_json_add(o, "status", json_object_new_string(
	    v->status != NULL ? v->status : "CLOSED")) ||
	    rop_json_add(o, "openedAt", rop_view_time(v->opened)) ||
	    rop_json_add(o, "closedAt", rop_view_time(v->closed)) ||
	    rop_json_add(o, "totals", rop_json_new_money(v->totals,
	    v->currency)) ||
	    rop_json_add(o, "paid", rop_json_new_money(v->paid,
	    v->currency)) ||
	    rop_json_add(o, "tips", rop_json_new_money(v->tips,
	    v->currency)) ||
	    rop_json_add(o, "due", rop_json_new_money(v->totals - v->paid,
	    v->currency)) ||
	    rop_json_add(o, "counts", c = json_object_new_object()) ||
	    c == NULL ||
	    rop_json_add(c, "ordersTotal", json_object_new_int64(v->n)) ||
	    rop_json_add(c, "placed", json_object_new_int64(v->n_placed)) ||
	    rop_json_add(c, "accepted",
	    json_object_new_int64(v->n_accepted)) ||
	    rop_json_add(c, "ready", json_object_new_int64(v->n_ready)) ||
	    rop_json_add(c, "paid", json_object_new_int64(v->n_paid)) ||
	    rop_json_add(c, "cancelled",
	    json_object_new_int64(v->n_cancelled)) ||
	    rop_json_add(o, "lastOrderAt", rop_view_time(v->last_order))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}
