/*
 * rop_event: outbox append in one round trip, publish after commit
 * (the seq only: a wake-up for the relay, which reads the outbox).
 */
#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_cache.h"
#include "rop_db.h"
#include "rop_event.h"
#include "rop_id.h"
#include "rop_json.h"
#include "rop_log.h"
#include "rop_metrics.h"
#include "rop_time.h"

/*
 * The counter row is locked by the UPDATE (the last lock of every
 * state change), and the envelope is completed in SQL with the seq it
 * got, so taking a seq and writing the event is one round trip.
 */
static const struct rop_stmt ev_insert = {
	"event_insert",
	"WITH c AS (UPDATE event_counters SET last_seq = last_seq + 1"
	" WHERE restaurant_id = $1 RETURNING last_seq)"
	" INSERT INTO events (restaurant_id, seq, event_id, event_type,"
	" table_id, envelope, created_at)"
	" SELECT $1, c.last_seq, $2::uuid, $3, $4,"
	" $5 || c.last_seq::text || $6, now() FROM c"
	" RETURNING seq", 6, 0
};

int
rop_event_append(struct rop_ctx *ctx, const char *rid, const char *type,
    const char *tid, struct json_object *payload, int64_t *seq)
{
	struct json_object	*head = NULL, *tail = NULL;
	char			 uuid[ROP_UUID_LEN + 1], ts[ROP_TIME_BUFSZ];
	char			*prefix = NULL, *suffix = NULL;
	const char		*h, *t, *params[6];
	size_t			 hl, tl;
	PGresult		*res = NULL;
	int64_t			 s;
	int			 rc = -1;
	struct rop_req		*req = ctx->req;

	if (ctx->ev_n >= ROP_EVENT_PENDING_MAX) {
		json_object_put(payload);
		return rop_err_set(&ctx->err, ROP_EINTERNAL, NULL,
		    "too many events in one transaction");
	}
	if (rop_id_uuid(uuid) == -1) {
		json_object_put(payload);
		return rop_err_set(&ctx->err, ROP_EINTERNAL, NULL, "uuid");
	}
	rop_time_format(rop_time_now_ms(), ts);
	/*
	 * The envelope is written as two objects whose texts are glued
	 * around the seq: {"event_id",..,"seq": N ,"occurred_at",..}.
	 */
	if ((head = json_object_new_object()) == NULL ||
	    (tail = json_object_new_object()) == NULL) {
		json_object_put(payload);
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "event");
		goto out;
	}
	rop_json_add(head, "event_id", json_object_new_string(uuid));
	rop_json_add(head, "event_type", json_object_new_string(type));
	rop_json_add(tail, "occurred_at", json_object_new_string(ts));
	rop_json_add(tail, "trace_id", rop_json_new_str_or_null(
	    req != NULL && req->trace_id[0] ? req->trace_id : NULL));
	rop_json_add(tail, "request_id", rop_json_new_str_or_null(
	    req != NULL ? req->request_id : NULL));
	rop_json_add(tail, "restaurant_id", json_object_new_string(rid));
	rop_json_add(tail, "payload", payload);
	h = rop_json_text(head, &hl);
	t = rop_json_text(tail, &tl);
	/* h = {...}  ->  {...,"seq":      t = {...}  ->  ,...} */
	if ((prefix = malloc(hl + 8)) == NULL ||
	    (suffix = malloc(tl + 2)) == NULL) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "event");
		goto out;
	}
	memcpy(prefix, h, hl - 1);
	memcpy(prefix + hl - 1, ",\"seq\":", 8);
	suffix[0] = ',';
	memcpy(suffix + 1, t + 1, tl);	/* includes the closing brace + NUL */

	params[0] = rid;
	params[1] = uuid;
	params[2] = type;
	params[3] = tid;
	params[4] = prefix;
	params[5] = suffix;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &ev_insert, params)) == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "RESTAURANT_NOT_FOUND",
		    "no event counter for restaurant");
		goto out;
	}
	s = rop_db_int(res, 0, 0);
	{
		/*
		 * What is published is only a wake-up carrying the seq: the
		 * relay reads the event itself from the outbox (SPEC §15),
		 * so a forged message on events:{rid} delivers nothing.
		 */
		char	 num[24];
		int	 nl;

		nl = snprintf(num, sizeof(num), "%lld", (long long)s);
		if ((ctx->ev_text[ctx->ev_n] = strdup(num)) == NULL) {
			rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "event");
			goto out;
		}
		snprintf(ctx->ev_rid[ctx->ev_n], sizeof(ctx->ev_rid[0]), "%s",
		    rid);
		ctx->ev_len[ctx->ev_n] = (size_t)nl;
		ctx->ev_n++;
	}
	if (seq != NULL)
		*seq = s;
	if (req != NULL)
		req->log_event = type;
	rc = 0;
out:
	PQclear(res);
	free(prefix);
	free(suffix);
	json_object_put(head);
	json_object_put(tail);
	return rc;
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
rop_event_flush(struct rop_ctx *ctx)
{
	char		 channel[96], labels[64];
	const char	*p[1];
	struct rop_err	 err;
	PGresult	*res;
	int		 i;

	for (i = 0; i < ctx->ev_n; i++) {
		snprintf(channel, sizeof(channel), "events:%s", ctx->ev_rid[i]);
		snprintf(labels, sizeof(labels), "app=\"%s\"", ctx->app);
		if (rop_cache_publish(ctx->cache, channel, ctx->ev_text[i],
		    ctx->ev_len[i]) == 0)
			rop_metrics_add(ctx->metrics,
			    "rop_events_published_total", labels, 1);
		else {
			rop_metrics_add(ctx->metrics,
			    "rop_events_publish_failures_total", labels, 1);
			rop_log("warn", ctx->app, ctx->cfg.env,
			    "event publish failed (the relay is woken by "
			    "NOTIFY instead): %s",
			    rop_cache_errstr(ctx->cache));
			/* One per restaurant; the relay reads every new seq. */
			if (rop_db_in_tx(ctx->db) || (i > 0 && strcmp(ctx->ev_rid[i],
			    ctx->ev_rid[i - 1]) == 0))
				continue;
			memset(&err, 0, sizeof(err));
			p[0] = ctx->ev_rid[i];
			/* Failing too, the relay's timer catches up. */
			if ((res = rop_db_exec(ctx->db, &err, &ev_notify,
			    p)) != NULL)
				PQclear(res);
		}
	}
	rop_event_discard(ctx);
}

void
rop_event_discard(struct rop_ctx *ctx)
{
	int	 i;

	for (i = 0; i < ctx->ev_n; i++) {
		free(ctx->ev_text[i]);
		ctx->ev_text[i] = NULL;
	}
	ctx->ev_n = 0;
}
