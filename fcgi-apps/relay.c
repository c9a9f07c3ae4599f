/*
 * relay: carry committed events from the outbox to the local nchan
 * (SPEC §2, §7, §15).  One per nginx host.
 *
 * The relay trusts only the outbox.  Per restaurant it remembers the
 * last seq it delivered, and what it publishes is always read from
 * `events` (one SELECT for a run of seqs), never taken from a message.
 * Three things wake it: a Redis message on events:{rid} (the fast
 * path: apps PUBLISH the seq after commit; the relay PSUBSCRIBEs
 * events:*), a Postgres NOTIFY rop_events with the restaurant id that
 * an app sends when its PUBLISH failed (rop_event.c says why not from
 * inside the committing transaction; the relay LISTENs on a connection
 * of its own), so a Redis outage changes nothing a subscriber sees,
 * and a one-second timer that compares every restaurant's counter with
 * what was delivered, the last fallback.  A
 * wake-up is only a hint: a forged message on events:* at most costs a
 * SELECT that finds nothing new.
 *
 * A delivery is an HTTP POST to the loopback nchan publisher, on the
 * restaurant channel and, for events about a table, the table channel;
 * the seq only advances once nchan took it, so nothing committed is
 * lost while nginx, Redis or Postgres is down.  Progress is saved in
 * relay_progress after every published batch (asynchronously
 * committed; at most every SAVE_MIN_MS per restaurant), so a restarted
 * relay re-sends at most the batch that was in flight and the few
 * milliseconds before it.  It never exits on a dependency's failure: it retries
 * with backoff.
 */
#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <json-c/json.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "rop_app.h"
#include "rop_cache.h"
#include "rop_db.h"
#include "rop_log.h"
#include "rop_metrics.h"
#include "rop_time.h"

#define TICK_MS		1000		/* the fallback: every counter checked */
#define BATCH		100		/* events read per query; at most this
					   many re-sent after a SIGKILL */
#define SAVE_MIN_MS	10		/* progress saved at most this often
					   per restaurant (see save_soon) */
#define HEADS_MIN_MS	100		/* counters re-read at most this often
					   on a wake-up for an unknown restaurant */
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000		/* nchan publish */
#define RECONNECT_MAX_MS 500		/* Redis and the LISTEN connection */
#define LISTEN_CHANNEL	"rop_events"

struct rst {
	char		 rid[65];
	int64_t		 delivered;	/* last seq nchan took */
	int64_t		 saved;		/* last seq in relay_progress */
	int64_t		 saved_at;	/* when (mono ms) */
	int		 woken;		/* a wake-up named it: read the outbox */
};

struct relay {
	struct rop_ctx	 ctx;
	char		 id[128];
	redisContext	*redis;
	int64_t		 redis_retry_at;	/* mono ms */
	int		 redis_backoff;
	PGconn		*listen;		/* LISTEN rop_events */
	int64_t		 listen_retry_at;
	int		 listen_backoff;
	CURL		*curl;
	int64_t		 publish_retry_at;
	int		 publish_backoff;
	struct rst	*rsts;
	size_t		 nrsts, caprsts;
	int		 loaded;	/* progress read from Postgres */
	int		 woken_any;	/* some rst is woken */
	int64_t		 save_at;	/* a deferred save is due (0: none) */
	int		 heads_wanted;	/* re-read the counters soon */
	int64_t		 heads_at;	/* when they were last read */
};

static volatile sig_atomic_t stopping;

static void	 on_signal(int);
static int64_t	 now_ms(void);
static struct rst *rst_find(struct relay *, const char *, int);
static int	 load_progress(struct relay *);
static int	 save_one(struct relay *, struct rst *);
static void	 save_soon(struct relay *, struct rst *);
static void	 save_progress(struct relay *);
static int	 publish(struct relay *, const char *, const char *, size_t);
static int	 deliver(struct relay *, struct rst *, int64_t, const char *,
		    const char *, size_t);
static int	 catch_up(struct relay *, struct rst *, int64_t);
static void	 tick(struct relay *);
static void	 wake(struct relay *, const char *, size_t, int64_t);
static void	 run_woken(struct relay *);
static int64_t	 backoff(int *, int);
static void	 redis_connect(struct relay *);
static void	 redis_drop(struct relay *, const char *);
static void	 redis_read(struct relay *, int);
static void	 listen_connect(struct relay *);
static void	 listen_drop(struct relay *, const char *);
static void	 listen_read(struct relay *);
static void	 on_notice(void *, const char *);
static void	 lag(struct relay *, const char *);

static const struct rop_stmt st_progress = {
	"relay_progress",
	"SELECT c.restaurant_id, coalesce(p.last_seq, c.last_seq)"
	" FROM event_counters c LEFT JOIN relay_progress p"
	" ON p.restaurant_id = c.restaurant_id AND p.relay_id = $1", 1, 1
};
/*
 * Saved after every published batch, so asynchronously committed (the
 * set_config is local to this statement's transaction and read when it
 * commits): the relay does not wait for a WAL flush per batch, and
 * what a Postgres crash loses of it is only re-sent, never skipped.
 */
static const struct rop_stmt st_save = {
	"relay_save",
	"INSERT INTO relay_progress (relay_id, restaurant_id, last_seq)"
	" SELECT $1, $2, $3::bigint FROM (SELECT set_config("
	"'synchronous_commit', 'off', true) AS v) s WHERE s.v = 'off'"
	" ON CONFLICT (relay_id, restaurant_id)"
	" DO UPDATE SET last_seq = excluded.last_seq, updated_at = now()",
	3, 1
};
static const struct rop_stmt st_heads = {
	"relay_heads",
	"SELECT restaurant_id, last_seq FROM event_counters", 0, 1
};
static const struct rop_stmt st_missing = {
	"relay_missing",
	"SELECT seq, table_id, envelope FROM events WHERE restaurant_id = $1"
	" AND seq > $2::bigint ORDER BY seq LIMIT $3", 3, 1
};

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int64_t
now_ms(void)
{
	return rop_time_mono_us() / 1000;
}

static struct rst *
rst_find(struct relay *r, const char *rid, int create)
{
	struct rst	*n;
	size_t		 i;

	for (i = 0; i < r->nrsts; i++)
		if (strcmp(r->rsts[i].rid, rid) == 0)
			return &r->rsts[i];
	if (!create || strlen(rid) > 64)
		return NULL;
	if (r->nrsts == r->caprsts) {
		r->caprsts = r->caprsts ? r->caprsts * 2 : 64;
		if ((n = realloc(r->rsts, r->caprsts * sizeof(*n))) == NULL)
			return NULL;
		r->rsts = n;
	}
	n = &r->rsts[r->nrsts++];
	memset(n, 0, sizeof(*n));
	snprintf(n->rid, sizeof(n->rid), "%s", rid);
	/* A restaurant born after we started: deliver from its first event. */
	return n;
}

/* Where each restaurant stands: saved progress, else its head now. */
static int
load_progress(struct relay *r)
{
	const char	*p[1] = { r->id };
	PGresult	*res;
	int		 i;

	if ((res = rop_db_exec(r->ctx.db, &r->ctx.err, &st_progress,
	    p)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		struct rst *s = rst_find(r, rop_db_str(res, i, 0), 1);

		if (s == NULL)
			continue;
		s->delivered = rop_db_int(res, i, 1);
		s->saved = -1;		/* save once, so the row exists */
	}
	PQclear(res);
	r->loaded = 1;
	rop_log("info", "relay", r->ctx.cfg.env, "relay %s resumes %zu "
	    "restaurants", r->id, r->nrsts);
	return 0;
}

static int
save_one(struct relay *r, struct rst *s)
{
	char		 seq[24];
	const char	*p[3];
	PGresult	*res;

	if (s->saved == s->delivered)
		return 0;
	snprintf(seq, sizeof(seq), "%lld", (long long)s->delivered);
	p[0] = r->id;
	p[1] = s->rid;
	p[2] = seq;
	if ((res = rop_db_exec(r->ctx.db, &r->ctx.err, &st_save, p)) == NULL)
		return -1;
	PQclear(res);
	s->saved = s->delivered;
	s->saved_at = now_ms();
	return 0;
}

/*
 * After a published batch: save now, or, when this restaurant was
 * saved less than SAVE_MIN_MS ago, at that mark.  Under load a batch
 * is often one event, and an UPDATE per event was a quarter of the
 * placement throughput on a 2-core host; so a SIGKILL re-sends the
 * batch in flight and at most SAVE_MIN_MS of events before it.
 */
static void
save_soon(struct relay *r, struct rst *s)
{
	int64_t	 due = s->saved_at + SAVE_MIN_MS;

	if (s->saved == s->delivered)
		return;
	if (now_ms() >= due) {
		save_one(r, s);
		return;
	}
	if (r->save_at == 0 || due < r->save_at)
		r->save_at = due;
}

static void
save_progress(struct relay *r)
{
	size_t		 i;

	for (i = 0; i < r->nrsts; i++)
		if (save_one(r, &r->rsts[i]) == -1)
			return;
}

static size_t
discard(void *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

/* POST one message to one nchan channel.  Returns 0 or -1. */
static int
publish(struct relay *r, const char *channel, const char *msg, size_t len)
{
	struct curl_slist	*h = NULL;
	char			 url[512];
	long			 code = 0;
	CURLcode		 cc;

	if (now_ms() < r->publish_retry_at)
		return -1;
	/*
	 * nginx hands $arg_channel to nchan undecoded, so the channel id
	 * goes into the query as is ("r:rst_001", not "r%3Arst_001", which
	 * would be another channel no one subscribes to).  Ids are
	 * [A-Za-z0-9_-] and the separator ':', which need no escaping.
	 */
	if (strspn(channel, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-:") != strlen(channel)) {
		rop_log("error", "relay", r->ctx.cfg.env,
		    "refusing to publish on channel with odd characters");
		return 0;	/* skip it: retrying cannot help */
	}
	if (r->curl == NULL && (r->curl = curl_easy_init()) == NULL)
		return -1;
	snprintf(url, sizeof(url), "%s?channel=%s", r->ctx.cfg.nchan_publish,
	    channel);
	h = curl_slist_append(h, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip before bodies over 1 KiB. */
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(r->curl, CURLOPT_URL, url);
	curl_easy_setopt(r->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, msg);
	curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(r->curl);
	curl_slist_free_all(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &code);
	if (cc != CURLE_OK || code < 200 || code > 299) {
		rop_metrics_add(r->ctx.metrics,
		    "rop_relay_publish_failures_total", NULL, 1);
		if (r->publish_backoff == 0)
			rop_log("warn", "relay", r->ctx.cfg.env,
			    "nchan publish to %s failed: %s (HTTP %ld); "
			    "retrying", channel, cc != CURLE_OK ?
			    curl_easy_strerror(cc) : "refused", code);
		r->publish_backoff = r->publish_backoff ?
		    r->publish_backoff * 2 : BACKOFF_MIN_MS;
		if (r->publish_backoff > BACKOFF_MAX_MS)
			r->publish_backoff = BACKOFF_MAX_MS;
		r->publish_retry_at = now_ms() + r->publish_backoff;
		return -1;
	}
	r->publish_backoff = 0;
	return 0;
}

/* Hand event "seq" to nchan; advances s->delivered on success. */
static int
deliver(struct relay *r, struct rst *s, int64_t seq, const char *tid,
    const char *msg, size_t len)
{
	char	 ch[160];

	snprintf(ch, sizeof(ch), "r:%s", s->rid);
	if (publish(r, ch, msg, len) == -1)
		return -1;
	if (tid != NULL && *tid != '\0') {
		snprintf(ch, sizeof(ch), "t:%s:%s", s->rid, tid);
		/*
		 * The restaurant channel has it; a failed table publish is
		 * retried with the event, so table subscribers may see a
		 * duplicate seq, never a hole.
		 */
		if (publish(r, ch, msg, len) == -1)
			return -1;
	}
	s->delivered = seq;
	rop_metrics_add(r->ctx.metrics, "rop_relay_delivered_total", NULL, 1);
	lag(r, msg);
	return 0;
}

/* The time from commit to delivery, from the envelope's occurred_at. */
static void
lag(struct relay *r, const char *msg)
{
	const char	*p = strstr(msg, "\"occurred_at\":\"");
	struct tm	 tm;
	int		 ms = 0;
	int64_t		 t;

	if (p == NULL)
		return;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(p + 15, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &ms) != 7)
		return;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = (int64_t)timegm(&tm) * 1000 + ms;
	rop_metrics_observe(r->ctx.metrics, "rop_relay_lag_seconds", NULL,
	    (double)(rop_time_now_ms() - t) / 1000.0);
}

/*
 * Deliver everything of s after s->delivered up to "upto" (or all that
 * is there), read from the outbox BATCH events per query.
 */
static int
catch_up(struct relay *r, struct rst *s, int64_t upto)
{
	char		 after[24], lim[16];
	const char	*p[3];
	PGresult	*res;
	int		 i, n;

	snprintf(lim, sizeof(lim), "%d", BATCH);
	while (upto < 0 || s->delivered < upto) {
		snprintf(after, sizeof(after), "%lld",
		    (long long)s->delivered);
		p[0] = s->rid;
		p[1] = after;
		p[2] = lim;
		if ((res = rop_db_exec(r->ctx.db, &r->ctx.err, &st_missing,
		    p)) == NULL)
			return -1;
		n = PQntuples(res);
		for (i = 0; i < n; i++) {
			int64_t seq = rop_db_int(res, i, 0);

			if (seq != s->delivered + 1) {
				/* Never skip: a hole in the outbox is a bug. */
				rop_log("error", "relay", r->ctx.cfg.env,
				    "outbox of %s jumps from %lld to %lld",
				    s->rid, (long long)s->delivered,
				    (long long)seq);
			}
			if (deliver(r, s, seq, rop_db_str(res, i, 1),
			    rop_db_str(res, i, 2),
			    (size_t)PQgetlength(res, i, 2)) == -1) {
				PQclear(res);
				save_one(r, s);	/* what did go out */
				return -1;
			}
		}
		PQclear(res);
		/* The batch is out: a restart re-sends only the next one. */
		if (n > 0)
			save_soon(r, s);
		if (n < BATCH)
			break;
	}
	return 0;
}

/* The timer: find restaurants whose head is ahead, and catch up. */
static void
tick(struct relay *r)
{
	PGresult	*res;
	int64_t		 behind = 0;
	int		 i;

	r->heads_at = now_ms();
	r->heads_wanted = 0;
	if (!r->loaded && load_progress(r) == -1)
		return;
	if ((res = rop_db_exec(r->ctx.db, &r->ctx.err, &st_heads,
	    NULL)) == NULL)
		return;
	for (i = 0; i < PQntuples(res); i++) {
		struct rst	*s = rst_find(r, rop_db_str(res, i, 0), 1);
		int64_t		 head = rop_db_int(res, i, 1);

		if (s == NULL || s->delivered >= head)
			continue;
		if (catch_up(r, s, head) == -1)
			break;
		if (head > s->delivered)
			behind += head - s->delivered;
	}
	PQclear(res);
	rop_metrics_set(r->ctx.metrics, "rop_relay_behind_events", NULL,
	    behind);
	save_progress(r);
}

/*
 * A wake-up for restaurant "rid" (not NUL-terminated), from Redis or a
 * NOTIFY, naming seq "hint" (0: none).  It is only a hint: the outbox
 * is read for what is new, so a forged or garbled one costs at most a
 * SELECT that finds nothing.  An id the relay does not know (a new
 * restaurant, or junk) has the counters re-read, at most every
 * HEADS_MIN_MS, which creates the restaurant only if it exists.
 */
static void
wake(struct relay *r, const char *rid, size_t len, int64_t hint)
{
	char		 id[65];
	struct rst	*s;

	if (len == 0 || len >= sizeof(id) || strspn(rid, "ABCDEFGHIJKLMN"
	    "OPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") < len)
		return;
	memcpy(id, rid, len);
	id[len] = '\0';
	if (!r->loaded || (s = rst_find(r, id, 0)) == NULL) {
		r->heads_wanted = 1;
		return;
	}
	if (hint > 0 && hint <= s->delivered)
		return;		/* already delivered (the other wake-up) */
	s->woken = 1;
	r->woken_any = 1;
}

/* Read the outbox of every restaurant a wake-up named. */
static void
run_woken(struct relay *r)
{
	size_t	 i;

	/* nchan refused: no reads that cannot be delivered (flags stay). */
	if (!r->woken_any || now_ms() < r->publish_retry_at)
		return;
	r->woken_any = 0;
	for (i = 0; i < r->nrsts; i++) {
		if (!r->rsts[i].woken)
			continue;
		r->rsts[i].woken = 0;
		/* A failure is retried by the timer. */
		catch_up(r, &r->rsts[i], -1);
	}
}

/* The next delay of a reconnect backoff (100 ms doubling to "max"). */
static int64_t
backoff(int *b, int max)
{
	*b = *b ? *b * 2 : BACKOFF_MIN_MS;
	if (*b > max)
		*b = max;
	return now_ms() + *b;
}

static void
redis_drop(struct relay *r, const char *why)
{
	/* One line per outage, not one per retry. */
	if (r->redis_backoff == 0)
		rop_log("warn", "relay", r->ctx.cfg.env, "redis: %s%s%s; "
		    "retrying (NOTIFY and the outbox still wake the relay)",
		    why, r->redis != NULL && r->redis->err ? ": " : "",
		    r->redis != NULL && r->redis->err ? r->redis->errstr : "");
	if (r->redis != NULL)
		redisFree(r->redis);
	r->redis = NULL;
	r->redis_retry_at = backoff(&r->redis_backoff, RECONNECT_MAX_MS);
}

static void
redis_connect(struct relay *r)
{
	redisReply	*rep;

	if (r->redis != NULL || now_ms() < r->redis_retry_at ||
	    r->ctx.cfg.redis_url[0] == '\0')
		return;
	/* Connected, authenticated (AUTH) and on the URL's database. */
	if ((r->redis = rop_cache_dial(r->ctx.cache)) == NULL) {
		redis_drop(r, rop_cache_errstr(r->ctx.cache));
		return;
	}
	rep = redisCommand(r->redis, "PSUBSCRIBE events:*");
	if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
		freeReplyObject(rep);
		redis_drop(r, "psubscribe failed");
		return;
	}
	freeReplyObject(rep);
	r->redis_backoff = 0;
	rop_log("info", "relay", r->ctx.cfg.env, "subscribed to events:*");
	/* What was published while we were away is in the outbox. */
	r->heads_wanted = 1;
	redis_read(r, 0);	/* messages that came with the reply */
}

/* Wake-ups from Redis: pmessage, pattern, events:{rid}, seq. */
static void
redis_read(struct relay *r, int readable)
{
	redisReply	*rep, *ch, *msg;
	void		*vp;
	char		*end;
	int64_t		 hint;

	if (readable && redisBufferRead(r->redis) != REDIS_OK) {
		redis_drop(r, "read failed");
		return;
	}
	for (;;) {
		vp = NULL;
		if (redisGetReplyFromReader(r->redis, &vp) != REDIS_OK) {
			redis_drop(r, "protocol error");
			return;
		}
		if ((rep = vp) == NULL)
			return;
		if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 4 &&
		    (ch = rep->element[2])->type == REDIS_REPLY_STRING &&
		    (msg = rep->element[3])->type == REDIS_REPLY_STRING &&
		    ch->len > 7 && memcmp(ch->str, "events:", 7) == 0) {
			/*
			 * The seq, if the message is one; anything else
			 * (an envelope from an older app, junk) is a
			 * wake-up without a hint.
			 */
			hint = strtoll(msg->str, &end, 10);
			if (end == msg->str || *end != '\0')
				hint = 0;
			wake(r, ch->str + 7, ch->len - 7, hint);
		}
		freeReplyObject(rep);
	}
}

/* libpq's notices (a server shutting down) as JSON log lines. */
static void
on_notice(void *arg, const char *msg)
{
	struct relay	*r = arg;

	rop_db_log_notice("relay", r->ctx.cfg.env, msg);
}

static void
listen_drop(struct relay *r, const char *why)
{
	char	 msg[200];

	snprintf(msg, sizeof(msg), "%s", r->listen != NULL ?
	    PQerrorMessage(r->listen) : "");
	msg[strcspn(msg, "\n")] = '\0';
	if (r->listen_backoff == 0)
		rop_log("warn", "relay", r->ctx.cfg.env, "postgres LISTEN: "
		    "%s%s%s; retrying", why, *msg ? ": " : "", msg);
	if (r->listen != NULL)
		PQfinish(r->listen);
	r->listen = NULL;
	r->listen_retry_at = backoff(&r->listen_backoff, RECONNECT_MAX_MS);
}

/* A connection of its own that LISTENs for the outbox's NOTIFY. */
static void
listen_connect(struct relay *r)
{
	const char *const keys[] = { "dbname", "connect_timeout",
	    "application_name", NULL };
	const char *const vals[] = { r->ctx.cfg.database_url, "2",
	    "rop-relay-listen", NULL };
	PGresult	*res;
	int		 ok;

	if (r->listen != NULL || now_ms() < r->listen_retry_at)
		return;
	r->listen = PQconnectdbParams(keys, vals, 1);
	if (r->listen == NULL || PQstatus(r->listen) != CONNECTION_OK) {
		listen_drop(r, "connect failed");
		return;
	}
	PQsetNoticeProcessor(r->listen, on_notice, r);
	res = PQexec(r->listen, "LISTEN " LISTEN_CHANNEL);
	ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok) {
		listen_drop(r, "LISTEN failed");
		return;
	}
	r->listen_backoff = 0;
	rop_log("info", "relay", r->ctx.cfg.env, "listening for NOTIFY "
	    LISTEN_CHANNEL);
	/* A NOTIFY sent while we were not listening is in the outbox. */
	r->heads_wanted = 1;
}

static void
listen_read(struct relay *r)
{
	PGnotify	*n;

	if (PQconsumeInput(r->listen) != 1) {
		listen_drop(r, "connection lost");
		return;
	}
	while ((n = PQnotifies(r->listen)) != NULL) {
		wake(r, n->extra, strlen(n->extra), 0);
		PQfreemem(n);
	}
	if (PQstatus(r->listen) != CONNECTION_OK)
		listen_drop(r, "connection lost");
}

int
main(void)
{
	struct relay	 r;
	struct pollfd	 pfd[2];
	int64_t		 next_tick = 0, now, t;
	const char	*id;
	int		 timeout, nfd, ir, il;

	memset(&r, 0, sizeof(r));
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (rop_ctx_init(&r.ctx, "relay", 0) == -1)
		return 1;
	if ((id = getenv("ROP_RELAY_ID")) == NULL || *id == '\0') {
		if (gethostname(r.id, sizeof(r.id) - 1) == -1)
			snprintf(r.id, sizeof(r.id), "relay");
	} else
		snprintf(r.id, sizeof(r.id), "%s", id);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rop_log("info", "relay", r.ctx.cfg.env, "relay %s publishing to %s",
	    r.id, r.ctx.cfg.nchan_publish);

	while (!stopping) {
		redis_connect(&r);
		listen_connect(&r);
		now = now_ms();
		if (now >= next_tick || (r.heads_wanted &&
		    now >= r.heads_at + HEADS_MIN_MS)) {
			tick(&r);
			next_tick = now_ms() + TICK_MS;
		}
		if (r.save_at != 0 && now_ms() >= r.save_at) {
			r.save_at = 0;
			save_progress(&r);
		}
		/* Sleep until the timer, a wanted re-read or a reconnect. */
		t = next_tick;
		if (r.heads_wanted && r.heads_at + HEADS_MIN_MS < t)
			t = r.heads_at + HEADS_MIN_MS;
		if (r.redis == NULL && r.ctx.cfg.redis_url[0] != '\0' &&
		    r.redis_retry_at < t)
			t = r.redis_retry_at;
		if (r.listen == NULL && r.listen_retry_at < t)
			t = r.listen_retry_at;
		if (r.woken_any && r.publish_retry_at < t)
			t = r.publish_retry_at;
		if (r.save_at != 0 && r.save_at < t)
			t = r.save_at;
		timeout = (int)(t - now_ms());
		if (timeout < 0)
			timeout = 0;
		nfd = 0;
		ir = il = -1;
		if (r.redis != NULL) {
			pfd[nfd].fd = r.redis->fd;
			pfd[nfd].events = POLLIN;
			pfd[nfd].revents = 0;
			ir = nfd++;
		}
		if (r.listen != NULL && PQsocket(r.listen) >= 0) {
			pfd[nfd].fd = PQsocket(r.listen);
			pfd[nfd].events = POLLIN;
			pfd[nfd].revents = 0;
			il = nfd++;
		}
		if (poll(pfd, (nfds_t)nfd, timeout) <= 0) {
			run_woken(&r);	/* after an nchan backoff */
			continue;
		}
		if (ir >= 0 && (pfd[ir].revents & (POLLIN | POLLHUP | POLLERR)))
			redis_read(&r, 1);
		if (il >= 0 && (pfd[il].revents & (POLLIN | POLLHUP | POLLERR)))
			listen_read(&r);
		/* One outbox read per restaurant for all it was woken for. */
		run_woken(&r);
	}
	save_progress(&r);
	rop_log("info", "relay", r.ctx.cfg.env, "relay stopping");
	if (r.redis != NULL)
		redisFree(r.redis);
	if (r.listen != NULL)
		PQfinish(r.listen);
	if (r.curl != NULL)
		curl_easy_cleanup(r.curl);
	curl_global_cleanup();
	free(r.rsts);
	rop_ctx_release(&r.ctx);
	return 0;
}
