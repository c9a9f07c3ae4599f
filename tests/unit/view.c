/*
 * view: the response shapes of rop_view byte for byte as the SQL
 * functions of migrations 005/007 wrote them (key order, nulls, money,
 * RFC 3339 milliseconds; a time before 1970 is a time, not null).
 */
#include <json-c/json.h>

#include <string.h>

#include "rop_json.h"
#include "rop_view.h"
#include "../tap.h"

static void
is_json(struct json_object *o, const char *want, const char *name)
{
	size_t	 len;

	ok(o != NULL, "%s: built", name);
	is_str(o != NULL ? rop_json_text(o, &len) : "", want, name);
	json_object_put(o);
}

int
main(void)
{
	static const struct rop_view_line lines[] = {
		{ "oln_1", "itm_001", "Margherita \"Pizza\"", NULL, 2, 1250,
		    2500 },
		{ "oln_2", "itm_004", "Soup", "no salt/\x01", 1, 650, 650 },
	};
	struct rop_view_order	 o = {
		"ord_1", "rst_001", "tbl_001", "ses_1", "ACCEPTED", NULL,
		"USD", 3150, 2, 1771193400123LL, 1771193401000LL,
		ROP_VIEW_NO_TIME, ROP_VIEW_NO_TIME, ROP_VIEW_NO_TIME,
		lines, 2
	};
	struct rop_view_payment	 p = {
		"pay_1", "ord_1", "CAPTURED", "CARD", "EUR", NULL, 3150, 0,
		-1
	};
	struct rop_view_table	 t = {
		"tbl_002", "rst_001", NULL, NULL, ROP_VIEW_NO_TIME,
		ROP_VIEW_NO_TIME
	};
	struct rop_view_summary	 s = {
		"tbl_001", "rst_001", "OPEN", "ses_1", "USD", 0,
		ROP_VIEW_NO_TIME, 1771193400123LL, 6300, 1900, 100,
		3, 1, 0, 0, 1, 1
	};

	is_json(rop_view_order(&o),
	    "{\"orderId\":\"ord_1\",\"restaurantId\":\"rst_001\","
	    "\"tableId\":\"tbl_001\",\"sessionId\":\"ses_1\","
	    "\"status\":\"ACCEPTED\",\"lines\":[{\"lineId\":\"oln_1\","
	    "\"itemId\":\"itm_001\",\"name\":\"Margherita \\\"Pizza\\\"\","
	    "\"quantity\":2,\"unitPrice\":{\"amountCents\":1250,"
	    "\"currency\":\"USD\"},\"lineTotal\":{\"amountCents\":2500,"
	    "\"currency\":\"USD\"},\"notes\":null},{\"lineId\":\"oln_2\","
	    "\"itemId\":\"itm_004\",\"name\":\"Soup\",\"quantity\":1,"
	    "\"unitPrice\":{\"amountCents\":650,\"currency\":\"USD\"},"
	    "\"lineTotal\":{\"amountCents\":650,\"currency\":\"USD\"},"
	    "\"notes\":\"no salt/\\u0001\"}],\"note\":null,"
	    "\"total\":{\"amountCents\":3150,\"currency\":\"USD\"},"
	    "\"createdAt\":\"2026-02-15T22:10:00.123Z\","
	    "\"acceptedAt\":\"2026-02-15T22:10:01.000Z\",\"readyAt\":null,"
	    "\"paidAt\":null,\"cancelledAt\":null,\"version\":2}",
	    "OrderResponse: key order, nulls, money, times, escapes");
	o.nlines = 0;
	o.note = "birthday";
	is_json(rop_view_order(&o),
	    "{\"orderId\":\"ord_1\",\"restaurantId\":\"rst_001\","
	    "\"tableId\":\"tbl_001\",\"sessionId\":\"ses_1\","
	    "\"status\":\"ACCEPTED\",\"lines\":[],\"note\":\"birthday\","
	    "\"total\":{\"amountCents\":3150,\"currency\":\"USD\"},"
	    "\"createdAt\":\"2026-02-15T22:10:00.123Z\","
	    "\"acceptedAt\":\"2026-02-15T22:10:01.000Z\",\"readyAt\":null,"
	    "\"paidAt\":null,\"cancelledAt\":null,\"version\":2}",
	    "OrderResponse: no lines is [], a note is a string");
	is_json(rop_view_payment(&p),
	    "{\"paymentId\":\"pay_1\",\"orderId\":\"ord_1\","
	    "\"status\":\"CAPTURED\",\"method\":\"CARD\","
	    "\"amount\":{\"amountCents\":3150,\"currency\":\"EUR\"},"
	    "\"tip\":{\"amountCents\":0,\"currency\":\"EUR\"},"
	    "\"providerRef\":null,"
	    "\"capturedAt\":\"1969-12-31T23:59:59.999Z\"}",
	    "Payment: null providerRef; a time before 1970 is not null");
	is_json(rop_view_table(&t),
	    "{\"tableId\":\"tbl_002\",\"restaurantId\":\"rst_001\","
	    "\"status\":\"CLOSED\",\"sessionId\":null,\"openedAt\":null,"
	    "\"closedAt\":null}",
	    "TableResponse: a table never opened is CLOSED with nulls");
	is_json(rop_view_summary(&s),
	    "{\"tableId\":\"tbl_001\",\"restaurantId\":\"rst_001\","
	    "\"sessionId\":\"ses_1\",\"status\":\"OPEN\","
	    "\"openedAt\":\"1970-01-01T00:00:00.000Z\",\"closedAt\":null,"
	    "\"totals\":{\"amountCents\":6300,\"currency\":\"USD\"},"
	    "\"paid\":{\"amountCents\":1900,\"currency\":\"USD\"},"
	    "\"tips\":{\"amountCents\":100,\"currency\":\"USD\"},"
	    "\"due\":{\"amountCents\":4400,\"currency\":\"USD\"},"
	    "\"counts\":{\"ordersTotal\":3,\"placed\":1,\"accepted\":0,"
	    "\"ready\":0,\"paid\":1,\"cancelled\":1},"
	    "\"lastOrderAt\":\"2026-02-15T22:10:00.123Z\"}",
	    "TableSummary: due = totals - paid, counts, epoch 0 is a time");
	ok(rop_view_time(ROP_VIEW_NO_TIME) == NULL, "no time is a JSON null");
	return tap_done();
}
