/*
 * rop_event: the outbox of a transaction, any number of events, written
 * in one round trip per restaurant just before COMMIT, and published
 * after it (the seq only: a wake-up for the relay, which reads the
 * outbox).
 */
#include <json-c/json.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_cache.h"
#include "rop_db.h"
#include "rop_err.h"
#include "rop_event.h"
#include "rop_id.h"
#include "rop_json.h"
#include "rop_log.h"
#include "rop_metrics.h"
#include "rop_time.h"

void	*(*rop_event_realloc)(void *, size_t) = realloc;

struct rop_outbox_ev {
	char		 rid[65];
	char		 tid[65];
	int		 has_tid;
	char		 id[ROP_UUID_LEN + 1];
	char		 type[48];
	/*
	 * The envelope is written as two objects whose texts are glued
	 * around the seq: head = {"event_id",..,"seq":  and
	 * tail = ,"occurred_at",..}.
	 */
	char		*head;
	char		*tail;
	int64_t		 seq;		/* 0 until written */
};

/*
 * The counter row is locked by the UPDATE (the last lock of every
 * state change) and advanced once by the number of events; each event
 * gets base + its position, and its envelope is completed in SQL with
 * that seq, so taking the seqs and writing all the events of one
 * restaurant is one statement and one round trip.  The arrays are
 * parallel: event_id, event_type, table_id, head, tail.
 */
static const struct rop_stmt ev_insert = {
	"event_insert_n",
	"WITH c AS (UPDATE event_counters"
	" SET last_seq = last_seq + cardinality($2::uuid[])"
	" WHERE restaurant_id = $1"
	" RETURNING last_seq - cardinality($2::uuid[]) AS base)"
	" INSERT INTO events (restaurant_id, seq, event_id, event_type,"
	" table_id, envelope, created_at)"
	" SELECT $1, c.base + e.n, e.id, e.type, e.tid,"
	" e.head || (c.base + e.n)::text || e.tail, now()"
	" FROM c, unnest($2::uuid[], $3::text[], $4::text[], $5::text[],"
	" $6::text[]) WITH ORDINALITY AS e(id, type, tid, head, tail, n)"
	" RETURNING seq", 6, 0
};

/*
 * One event (every route today: a placement, a transition, a capture,
 * a table or menu change) goes without arrays, the statement it has
 * always had: on the dev VM (pgbench, BEGIN + the statement + ROLLBACK,
 * Postgres CPU per transaction, 7 alternating pairs of 20,000) the
 * unnest() form with one-element arrays took a median 15 us more
 * (133 vs 118 us; noisy, pair differences -20..+39 us).
 */
static const struct rop_stmt ev_insert1 = {
	"event_insert",
	"WITH c AS (UPDATE event_counters SET last_seq = last_seq + 1"
	" WHERE restaurant_id = $1 RETURNING last_seq)"
	" INSERT INTO events (restaurant_id, seq, event_id, event_type,"
	" table_id, envelope, created_at)"
	" SELECT $1, c.last_seq, $2::uuid, $3, $4,"
	" $5 || c.last_seq::text || $6, now() FROM c"
	" RETURNING seq", 6, 0
};

static void
ev_clear(struct rop_outbox_ev *e)
{
	free(e->head);
	free(e->tail);
	e->head = e->tail = NULL;
}

int
rop_event_append(struct rop_outbox *ob, struct rop_err *err,
    const struct rop_event_origin *from, const char *rid, const char *type,
    const char *tid, struct json_object *payload)
{
	struct json_object	*head = NULL, *tail = NULL;
	struct rop_outbox_ev	*e;
	char			 ts[ROP_TIME_BUFSZ];
	const char		*h, *t;
	size_t			 hl, tl;
	int			 rc = -1;

	if (ob->n == ob->cap) {
		size_t	 cap = ob->cap ? ob->cap * 2 : 4;
		void	*p;

		if (cap > SIZE_MAX / sizeof(*ob->ev) ||
		    (p = rop_event_realloc(ob->ev, cap * sizeof(*ob->ev))) ==
		    NULL) {
			json_object_put(payload);
			return rop_err_set(err, ROP_ENOMEM, NULL, "event");
		}
		ob->ev = p;
		ob->cap = cap;
	}
	e = &ob->ev[ob->n];
	memset(e, 0, sizeof(*e));
	if ((size_t)snprintf(e->rid, sizeof(e->rid), "%s", rid) >=
	    sizeof(e->rid) ||
	    (size_t)snprintf(e->type, sizeof(e->type), "%s", type) >=
	    sizeof(e->type) || (tid != NULL &&
	    (size_t)snprintf(e->tid, sizeof(e->tid), "%s", tid) >=
	    sizeof(e->tid))) {
		json_object_put(payload);
		return rop_err_set(err, ROP_EINTERNAL, NULL,
		    "event: id or type too long");
	}
	e->has_tid = tid != NULL;
	if (rop_id_uuid(e->id) == -1) {
		json_object_put(payload);
		return rop_err_set(err, ROP_EINTERNAL, NULL, "uuid");
	}
	rop_time_format(rop_time_now_ms(), ts);
	if ((head = json_object_new_object()) == NULL ||
	    (tail = json_object_new_object()) == NULL) {
		json_object_put(payload);
		rop_err_set(err, ROP_ENOMEM, NULL, "event");
		goto out;
	}
	rop_json_add(head, "event_id", json_object_new_string(e->id));
	rop_json_add(head, "event_type", json_object_new_string(type));
	rop_json_add(tail, "occurred_at", json_object_new_string(ts));
	rop_json_add(tail, "trace_id", rop_json_new_str_or_null(
	    from != NULL && from->trace_id != NULL && from->trace_id[0] ?
	    from->trace_id : NULL));
	rop_json_add(tail, "request_id", rop_json_new_str_or_null(
	    from != NULL ? from->request_id : NULL));
	rop_json_add(tail, "restaurant_id", json_object_new_string(rid));
	rop_json_add(tail, "payload", payload);
	h = rop_json_text(head, &hl);
	t = rop_json_text(tail, &tl);
	/* h = {...}  ->  {...,"seq":      t = {...}  ->  ,...} */
	if ((e->head = rop_event_realloc(NULL, hl + 8)) == NULL ||
	    (e->tail = rop_event_realloc(NULL, tl + 2)) == NULL) {
		rop_err_set(err, ROP_ENOMEM, NULL, "event");
		ev_clear(e);
		goto out;
	}
	memcpy(e->head, h, hl - 1);
	memcpy(e->head + hl - 1, ",\"seq\":", 8);
	e->tail[0] = ',';
	memcpy(e->tail + 1, t + 1, tl);	/* with the closing brace, NUL */
	ob->n++;
	rc = 0;
out:
	json_object_put(head);
	json_object_put(tail);
	return rc;
}

/*
 * A text[] literal of "n" values (NULL: SQL NULL): {"a","b\"c",NULL}.
 * Every value is quoted, '"' and '\' escaped.  A string the caller
 * frees, or NULL.
 */
static char *
ev_array(const char *const *v, size_t n)
{
	const char	*s;
	char		*buf, *o;
	size_t		 i, len = 3;

	for (i = 0; i < n; i++) {
		if (v[i] == NULL) {
			len += 5;
			continue;
		}
		len += 3;
		for (s = v[i]; *s != '\0'; s++)
			len += (*s == '"' || *s == '\\') ? 2 : 1;
	}
	if ((buf = rop_event_realloc(NULL, len)) == NULL)
		return NULL;
	o = buf;
	*o++ = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*o++ = ',';
		if (v[i] == NULL) {
			memcpy(o, "NULL", 4);
			o += 4;
			continue;
		}
		*o++ = '"';
		for (s = v[i]; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				*o++ = '\\';
			*o++ = *s;
		}
		*o++ = '"';
	}
	*o++ = '}';
	*o = '\0';
	return buf;
}

/* Write the first "k" unwritten events of restaurant "rid". */
static int
ev_write_rid(struct rop_outbox *ob, struct rop_db *db, struct rop_err *err,
    const char *rid, size_t k)
{
	const char	**col = NULL, *params[6];
	char		 *arr[5] = { NULL, NULL, NULL, NULL, NULL };
	PGresult	 *res = NULL;
	int64_t		  base = 0, s;
	size_t		  i, j, c;
	int		  rc = -1;

	if (k > SIZE_MAX / (5 * sizeof(*col)) ||
	    (col = rop_event_realloc(NULL, 5 * k * sizeof(*col))) == NULL)
		return rop_err_set(err, ROP_ENOMEM, NULL, "event");
	for (i = 0, j = 0; i < ob->n && j < k; i++) {
		struct rop_outbox_ev *e = &ob->ev[i];

		if (e->seq != 0 || strcmp(e->rid, rid) != 0)
			continue;
		col[0 * k + j] = e->id;
		col[1 * k + j] = e->type;
		col[2 * k + j] = e->has_tid ? e->tid : NULL;
		col[3 * k + j] = e->head;
		col[4 * k + j] = e->tail;
		j++;
	}
	params[0] = rid;
	if (k == 1) {
		for (c = 0; c < 5; c++)
			params[c + 1] = col[c];
	} else {
		for (c = 0; c < 5; c++) {
			if ((arr[c] = ev_array(col + c * k, k)) == NULL) {
				rop_err_set(err, ROP_ENOMEM, NULL, "event");
				goto out;
			}
			params[c + 1] = arr[c];
		}
	}
	if ((res = rop_db_exec(db, err, k == 1 ? &ev_insert1 : &ev_insert,
	    params)) == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		rop_err_set(err, ROP_ENOTFOUND, "RESTAURANT_NOT_FOUND",
		    "no event counter for restaurant");
		goto out;
	}
	if ((size_t)PQntuples(res) != k) {
		rop_err_set(err, ROP_EINTERNAL, NULL,
		    "events written: %d of %zu", PQntuples(res), k);
		goto out;
	}
	/* The seqs are base+1 .. base+k, in append order. */
	for (i = 0; i < k; i++) {
		s = rop_db_int(res, (int)i, 0);
		if (i == 0 || s < base)
			base = s;
	}
	for (i = 0, j = 0; i < ob->n && j < k; i++) {
		struct rop_outbox_ev *e = &ob->ev[i];

		if (e->seq == 0 && strcmp(e->rid, rid) == 0)
			e->seq = base + (int64_t)j++;
	}
	rc = 0;
out:
	PQclear(res);
	for (c = 0; c < 5; c++)
		free(arr[c]);
	free(col);
	return rc;
}

int
rop_event_write(struct rop_outbox *ob, struct rop_db *db, struct rop_err *err)
{
	const char	*rid;
	size_t		 i, k;

	/*
	 * Restaurants in id order, so two transactions that both write
	 * events of the same two restaurants lock their counters in the
	 * same order.  In practice a transaction has one restaurant.
	 */
	for (;;) {
		rid = NULL;
		k = 0;
		for (i = 0; i < ob->n; i++) {
			if (ob->ev[i].seq != 0)
				continue;
			if (rid == NULL || strcmp(ob->ev[i].rid, rid) < 0) {
				rid = ob->ev[i].rid;
				k = 1;
			} else if (strcmp(ob->ev[i].rid, rid) == 0)
				k++;
		}
		if (rid == NULL)
			return 0;
		if (ev_write_rid(ob, db, err, rid, k) == -1)
			return -1;
	}
}

/*
 * The relay's second wake-up (SPEC §15), for when Redis did not take
 * the first: NOTIFY rop_events with the restaurant id.  It is sent
 * after the commit, in a transaction of its own that writes nothing
 * (no WAL flush), and only when the PUBLISH failed.  A NOTIFY inside
 * the state change's transaction would wake the relay as well, but
 * Postgres serialises the commits of every transaction that notifies
 * (one cluster-wide lock held through the commit's WAL flush): on the
 * dev VM a placement-shaped pgbench fell from 1590-1920 to 490-630
 * TPS with 8 clients, a cap on placements for every restaurant.
 */
static const struct rop_stmt ev_notify = {
	"event_notify", "SELECT pg_notify('rop_events', $1)", 1, 0
};

void
rop_event_publish(struct rop_outbox *ob, struct rop_cache *cache,
    struct rop_db *db, struct rop_metrics *metrics, const char *app,
    const char *env)
{
	char		 channel[96], labels[64], num[24];
	const char	*p[1];
	struct rop_err	 err;
	PGresult	*res;
	size_t		 i;
	int		 nl;

	snprintf(labels, sizeof(labels), "app=\"%s\"", app);
	for (i = 0; i < ob->n; i++) {
		struct rop_outbox_ev *e = &ob->ev[i];

		if (e->seq == 0) {
			/* A caller committed without rop_event_write(). */
			rop_log("error", app, env, "event %s of %s was never "
			    "written to the outbox: not published", e->type,
			    e->rid);
			continue;
		}
		/*
		 * What is published is only a wake-up carrying the seq: the
		 * relay reads the event itself from the outbox (SPEC §15),
		 * so a forged message on events:{rid} delivers nothing.
		 */
		snprintf(channel, sizeof(channel), "events:%s", e->rid);
		nl = snprintf(num, sizeof(num), "%" PRId64, e->seq);
		if (rop_cache_publish(cache, channel, num, (size_t)nl) == 0)
			rop_metrics_add(metrics,
			    "rop_events_published_total", labels, 1);
		else {
			rop_metrics_add(metrics,
			    "rop_events_publish_failures_total", labels, 1);
			rop_log("warn", app, env,
			    "event publish failed (the relay is woken by "
			    "NOTIFY instead): %s", rop_cache_errstr(cache));
			/* One per restaurant; the relay reads every new seq. */
			if (rop_db_in_tx(db) || (i > 0 &&
			    strcmp(e->rid, ob->ev[i - 1].rid) == 0))
				continue;
			memset(&err, 0, sizeof(err));
			p[0] = e->rid;
			/* Failing too, the relay's timer catches up. */
			if ((res = rop_db_exec(db, &err, &ev_notify,
			    p)) != NULL)
				PQclear(res);
		}
	}
	rop_event_discard(ob);
}

void
rop_event_discard(struct rop_outbox *ob)
{
	size_t	 i;

	for (i = 0; i < ob->n; i++)
		ev_clear(&ob->ev[i]);
	ob->n = 0;
}

void
rop_event_free(struct rop_outbox *ob)
{
	rop_event_discard(ob);
	free(ob->ev);
	ob->ev = NULL;
	ob->cap = 0;
}

size_t
rop_event_pending(const struct rop_outbox *ob)
{
	return ob->n;
}

int64_t
rop_event_seq(const struct rop_outbox *ob, size_t i)
{
	return i < ob->n ? ob->ev[i].seq : 0;
}

char *
rop_event_envelope(const struct rop_outbox *ob, size_t i, int64_t seq)
{
	char	*s;
	size_t	 len;

	if (i >= ob->n)
		return NULL;
	len = strlen(ob->ev[i].head) + strlen(ob->ev[i].tail) + 24;
	if ((s = malloc(len)) == NULL)
		return NULL;
	snprintf(s, len, "%s%" PRId64 "%s", ob->ev[i].head, seq,
	    ob->ev[i].tail);
	return s;
}
