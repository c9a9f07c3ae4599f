/*
 * event: the growable outbox of rop_event.h without a database.  Any
 * number of events (0, 1, 5, 100) stay pending in append order with
 * their SPEC §7 envelopes; discard forgets them and the outbox is
 * reused; a failed allocation or a bad id leaves the outbox as it was;
 * writing an empty outbox sends nothing; publishing events that were
 * never written publishes nothing.  The statement that writes them is
 * proved against Postgres by tests/integration/78-outbox.t.
 */
#include <json-c/json.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_err.h"
#include "rop_event.h"
#include "../tap.h"

/* Fail allocation number fail_at (0: the next one); -1: none. */
static int	fail_at = -1;

static void *
failing_realloc(void *p, size_t n)
{
	if (fail_at >= 0 && fail_at-- == 0)
		return NULL;
	return realloc(p, n);
}

static struct json_object *
payload(int i)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "i", json_object_new_int(i));
	json_object_object_add(o, "note",
	    json_object_new_string("quote \" backslash \\ brace }"));
	return o;
}

static int
append(struct rop_outbox *ob, struct rop_err *err, int i)
{
	struct rop_event_origin	 from = {
		"0123456789abcdef0123456789abcdef", "req-1" };
	char			 type[32];

	snprintf(type, sizeof(type), "test.e%d", i);
	return rop_event_append(ob, err, &from, "rst_001", type,
	    i % 2 ? "tbl_1" : NULL, payload(i));
}

/* Event i's envelope with seq: parsed, checked field by field. */
static int
envelope_ok(const struct rop_outbox *ob, size_t i, int64_t seq)
{
	struct json_object	*o, *v, *p;
	char			*s, want[32];
	const char		*keys[] = { "event_id", "event_type", "seq",
	    "occurred_at", "trace_id", "request_id", "restaurant_id",
	    "payload" };
	size_t			 k = 0;
	int			 good = 1;

	if ((s = rop_event_envelope(ob, i, seq)) == NULL)
		return 0;
	if ((o = json_tokener_parse(s)) == NULL) {
		diag("not JSON: %s", s);
		free(s);
		return 0;
	}
	/* The keys, in SPEC §7's order. */
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (k >= 8 || strcmp(key, keys[k++]) != 0)
			good = 0;
	}
	good = good && k == 8;
	snprintf(want, sizeof(want), "test.e%zu", i);
	good = good && json_object_object_get_ex(o, "event_type", &v) &&
	    strcmp(json_object_get_string(v), want) == 0;
	good = good && json_object_object_get_ex(o, "seq", &v) &&
	    json_object_get_int64(v) == seq;
	good = good && json_object_object_get_ex(o, "event_id", &v) &&
	    strlen(json_object_get_string(v)) == 36;
	good = good && json_object_object_get_ex(o, "request_id", &v) &&
	    strcmp(json_object_get_string(v), "req-1") == 0;
	good = good && json_object_object_get_ex(o, "payload", &p) &&
	    json_object_object_get_ex(p, "i", &v) &&
	    json_object_get_int(v) == (int)i &&
	    json_object_object_get_ex(p, "note", &v) &&
	    strcmp(json_object_get_string(v),
	    "quote \" backslash \\ brace }") == 0;
	if (!good)
		diag("envelope %zu: %s", i, s);
	json_object_put(o);
	free(s);
	return good;
}

static void
fill(size_t n)
{
	struct rop_outbox	 ob = { NULL, 0, 0 };
	struct rop_err		 err;
	size_t			 i, all = 1, ids = 1;

	memset(&err, 0, sizeof(err));
	for (i = 0; i < n; i++)
		if (append(&ob, &err, (int)i) == -1)
			all = 0;
	ok(all, "%zu events: every append succeeds", n);
	ok(rop_event_pending(&ob) == n, "%zu events pending", n);
	for (i = 0; i < n; i++) {
		if (!envelope_ok(&ob, i, 1000 + (int64_t)i))
			all = 0;
		if (rop_event_seq(&ob, i) != 0)
			ids = 0;
	}
	ok(all, "%zu events: each envelope in append order, payload intact",
	    n);
	ok(ids, "%zu events: none has a seq before it is written", n);
	rop_event_free(&ob);
	ok(ob.ev == NULL && ob.n == 0 && ob.cap == 0, "%zu events: freed", n);
}

int
main(void)
{
	struct rop_outbox	 ob = { NULL, 0, 0 };
	struct rop_err		 err;
	char			*s, rid[80];
	size_t			 i;
	int			 rc;

	memset(&err, 0, sizeof(err));

	/* 0 events: nothing pending, and writing sends nothing (no db). */
	is_int((long long)rop_event_pending(&ob), 0, "empty outbox");
	is_int(rop_event_write(&ob, NULL, &err), 0,
	    "writing an empty outbox succeeds without a database");
	ok(rop_event_envelope(&ob, 0, 1) == NULL, "no envelope 0 when empty");
	rop_event_publish(&ob, NULL, NULL, NULL, "test", "test");
	ok(1, "publishing an empty outbox touches neither Redis nor Postgres");

	fill(1);
	fill(5);
	fill(100);

	/* A null trace id (none sent) is null in the envelope. */
	{
		struct rop_event_origin	 from = { "", NULL };
		struct json_object	*o, *v;

		rc = rop_event_append(&ob, &err, &from, "rst_001", "test.e0",
		    NULL, payload(0));
		s = rop_event_envelope(&ob, 0, 1);
		o = s != NULL ? json_tokener_parse(s) : NULL;
		ok(rc == 0 && o != NULL &&
		    json_object_object_get_ex(o, "trace_id", &v) && v == NULL &&
		    json_object_object_get_ex(o, "request_id", &v) && v == NULL,
		    "no trace or request id: both null");
		json_object_put(o);
		free(s);
	}

	/* Discard forgets the events; the outbox is reused. */
	for (i = 1; i < 7; i++)
		append(&ob, &err, (int)i);
	is_int((long long)rop_event_pending(&ob), 7,
	    "7 pending before discard");
	rop_event_discard(&ob);
	is_int((long long)rop_event_pending(&ob), 0, "discard: none pending");
	ok(ob.cap >= 7, "discard keeps the memory for the next transaction");
	ok(append(&ob, &err, 0) == 0 && rop_event_pending(&ob) == 1 &&
	    envelope_ok(&ob, 0, 3), "an append after discard starts afresh");
	rop_event_discard(&ob);

	/* Unwritten events are never published (Redis would be NULL). */
	append(&ob, &err, 0);
	append(&ob, &err, 1);
	rop_event_publish(&ob, NULL, NULL, NULL, "test", "test");
	is_int((long long)rop_event_pending(&ob), 0,
	    "publishing events never written: none published, all forgotten");
	rop_event_free(&ob);

	/* Allocation failures leave the outbox as it was. */
	rop_event_realloc = failing_realloc;
	for (i = 0; i < 4; i++)
		append(&ob, &err, (int)i);
	fail_at = 0;			/* the growth from 4 to 8 */
	memset(&err, 0, sizeof(err));
	rc = append(&ob, &err, 4);
	ok(rc == -1 && err.status == ROP_ENOMEM,
	    "growth fails: -1, out of memory");
	is_int((long long)rop_event_pending(&ob), 4, "growth fails: still 4");
	fail_at = 1;		/* grows, then the head's copy fails */
	memset(&err, 0, sizeof(err));
	rc = append(&ob, &err, 4);
	ok(rc == -1 && err.status == ROP_ENOMEM && rop_event_pending(&ob) == 4,
	    "the envelope's copy fails: -1, out of memory, still 4");
	fail_at = 1;		/* the head is copied, the tail not */
	rc = append(&ob, &err, 4);
	ok(rc == -1 && rop_event_pending(&ob) == 4,
	    "the tail's copy fails: -1, still 4");
	fail_at = -1;
	ok(append(&ob, &err, 4) == 0 && rop_event_pending(&ob) == 5 &&
	    envelope_ok(&ob, 4, 9) && envelope_ok(&ob, 0, 5),
	    "after the failures the next append works, earlier ones intact");
	rop_event_realloc = realloc;

	/* An id longer than the outbox keeps: refused, nothing appended. */
	memset(rid, 'r', sizeof(rid) - 1);
	rid[sizeof(rid) - 1] = '\0';
	memset(&err, 0, sizeof(err));
	rc = rop_event_append(&ob, &err, NULL, rid, "test.e5", NULL,
	    payload(5));
	ok(rc == -1 && err.status == ROP_EINTERNAL &&
	    rop_event_pending(&ob) == 5, "an over-long restaurant id: refused");
	rop_event_free(&ob);
	return tap_done();
}
