/*
 * relay: carry committed events from the outbox to the local nchan
 * (SPEC §2, §7).  One per nginx host.
 *
 * The fast path is Redis: apps PUBLISH events:{rid} after commit and
 * the relay PSUBSCRIBEs events:*.  The truth is the outbox: per
 * restaurant the relay remembers the last seq it delivered, and
 * whenever it sees a gap, reconnects to Redis, or its one-second timer
 * finds the restaurant's counter ahead, it reads what is missing from
 * `events` and delivers that in seq order.  A delivery is an HTTP POST
 * to the loopback nchan publisher, on the restaurant channel and, for
 * events about a table, the table channel; the seq only advances once
 * nchan took it, so nothing committed is lost while nginx, Redis or
 * Postgres is down.  Progress is saved in relay_progress so a restarted
 * relay resumes where it stopped.  It never exits on a dependency's
 * failure: it retries with backoff.
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
#include "rop_db.h"
#include "rop_log.h"
#include "rop_metrics.h"
#include "rop_time.h"

#define TICK_MS		1000		/* outbox check and progress save */
#define BATCH		500		/* events read per catch-up query */
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000

struct rst {
	char		 rid[65];
	int64_t		 delivered;	/* last seq nchan took */
	int64_t		 saved;		/* last seq in relay_progress */
};

struct relay {
	struct rop_ctx	 ctx;
	char		 id[128];
	redisContext	*redis;
	int64_t		 redis_retry_at;	/* mono ms */
	int		 redis_backoff;
	CURL		*curl;
	int64_t		 publish_retry_at;
	int		 publish_backoff;
	struct rst	*rsts;
	size_t		 nrsts, caprsts;
	int		 loaded;	/* progress read from Postgres */
};

static volatile sig_atomic_t stopping;

static void	 on_signal(int);
static int64_t	 now_ms(void);
static struct rst *rst_find(struct relay *, const char *, int);
static int	 load_progress(struct relay *);
static void	 save_progress(struct relay *);
static int	 publish(struct relay *, const char *, const char *, size_t);
static int	 deliver(struct relay *, struct rst *, int64_t, const char *,
		    const char *, size_t);
static int	 catch_up(struct relay *, struct rst *, int64_t);
static void	 tick(struct relay *);
static void	 redis_connect(struct relay *);
static void	 redis_drop(struct relay *, const char *);
static void	 on_message(struct relay *, const char *, size_t);
static void	 redis_read(struct relay *);
static void	 lag(struct relay *, const char *);

static const struct rop_stmt st_progress = {
	"relay_progress",
	"SELECT c.restaurant_id, coalesce(p.last_seq, c.last_seq)"
	" FROM event_counters c LEFT JOIN relay_progress p"
	" ON p.restaurant_id = c.restaurant_id AND p.relay_id = $1", 1, 1
};
static const struct rop_stmt st_save = {
	"relay_save",
	"INSERT INTO relay_progress (relay_id, restaurant_id, last_seq)"
	" VALUES ($1, $2, $3) ON CONFLICT (relay_id, restaurant_id)"
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

static void
save_progress(struct relay *r)
{
	char		 seq[24];
	const char	*p[3];
	PGresult	*res;
	size_t		 i;

	for (i = 0; i < r->nrsts; i++) {
		struct rst *s = &r->rsts[i];

		if (s->saved == s->delivered)
			continue;
		snprintf(seq, sizeof(seq), "%lld", (long long)s->delivered);
		p[0] = r->id;
		p[1] = s->rid;
		p[2] = seq;
		if ((res = rop_db_exec(r->ctx.db, &r->ctx.err, &st_save,
		    p)) == NULL)
			return;
		PQclear(res);
		s->saved = s->delivered;
	}
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

/* Deliver everything of s after s->delivered up to "upto" (or all). */
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
				return -1;
			}
			rop_metrics_add(r->ctx.metrics,
			    "rop_relay_caught_up_total", NULL, 1);
		}
		PQclear(res);
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

static void
redis_drop(struct relay *r, const char *why)
{
	if (r->redis != NULL) {
		rop_log("warn", "relay", r->ctx.cfg.env, "redis: %s%s%s", why,
		    r->redis->err ? ": " : "",
		    r->redis->err ? r->redis->errstr : "");
		redisFree(r->redis);
	}
	r->redis = NULL;
	r->redis_backoff = r->redis_backoff ? r->redis_backoff * 2 :
	    BACKOFF_MIN_MS;
	if (r->redis_backoff > BACKOFF_MAX_MS)
		r->redis_backoff = BACKOFF_MAX_MS;
	r->redis_retry_at = now_ms() + r->redis_backoff;
}

static void
redis_connect(struct relay *r)
{
	const char	*url = r->ctx.cfg.redis_url;
	char		 host[128] = "127.0.0.1";
	int		 port = 6379;
	struct timeval	 tv = { 0, 200000 };
	redisReply	*rep;

	if (r->redis != NULL || now_ms() < r->redis_retry_at || *url == '\0')
		return;
	if (strncmp(url, "unix:", 5) == 0)
		r->redis = redisConnectUnixWithTimeout(url + 5, tv);
	else {
		if (sscanf(url, "redis://%127[^:/]:%d", host, &port) < 1)
			return;
		r->redis = redisConnectWithTimeout(host, port, tv);
	}
	if (r->redis == NULL || r->redis->err) {
		redis_drop(r, "connect failed");
		return;
	}
	redisSetTimeout(r->redis, tv);
	rep = redisCommand(r->redis, "PSUBSCRIBE events:*");
	if (rep == NULL) {
		redis_drop(r, "psubscribe failed");
		return;
	}
	freeReplyObject(rep);
	r->redis_backoff = 0;
	rop_log("info", "relay", r->ctx.cfg.env, "subscribed to events:*");
	/* What was published while we were away is in the outbox. */
	tick(r);
}

static void
on_message(struct relay *r, const char *msg, size_t len)
{
	struct json_object	*env, *v, *pl, *t;
	struct rst		*s;
	const char		*rid, *tid = NULL;
	int64_t			 seq;

	/*
	 * Until the saved progress is read, a restaurant would start from
	 * seq 0 and its whole history would be replayed to subscribers.
	 * Without Postgres, drop the message: the timer catches up from
	 * the outbox once the progress can be read.
	 */
	if (!r->loaded && load_progress(r) == -1)
		return;
	if ((env = json_tokener_parse(msg)) == NULL)
		return;
	if (!json_object_object_get_ex(env, "restaurant_id", &v) ||
	    (rid = json_object_get_string(v)) == NULL ||
	    !json_object_object_get_ex(env, "seq", &v) ||
	    (seq = json_object_get_int64(v)) <= 0 ||
	    (s = rst_find(r, rid, 1)) == NULL)
		goto out;
	if (json_object_object_get_ex(env, "payload", &pl) &&
	    json_object_object_get_ex(pl, "tableId", &t))
		tid = json_object_get_string(t);
	if (seq <= s->delivered)
		goto out;		/* already delivered by a catch-up */
	if (seq == s->delivered + 1)
		deliver(r, s, seq, tid, msg, len);
	else
		catch_up(r, s, seq);	/* a gap: the outbox has the rest */
out:
	json_object_put(env);
}

static void
redis_read(struct relay *r)
{
	redisReply	*rep;
	void		*vp;

	if (redisBufferRead(r->redis) != REDIS_OK) {
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
		/* pmessage, pattern, channel, payload */
		if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 4 &&
		    rep->element[3]->type == REDIS_REPLY_STRING)
			on_message(r, rep->element[3]->str,
			    rep->element[3]->len);
		freeReplyObject(rep);
	}
}

int
main(void)
{
	struct relay	 r;
	struct pollfd	 pfd;
	int64_t		 next_tick = 0;
	const char	*id;
	int		 timeout;

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
		if (now_ms() >= next_tick) {
			tick(&r);
			next_tick = now_ms() + TICK_MS;
		}
		timeout = (int)(next_tick - now_ms());
		if (timeout < 0)
			timeout = 0;
		if (r.redis == NULL) {
			if (timeout > BACKOFF_MIN_MS)
				timeout = BACKOFF_MIN_MS;
			poll(NULL, 0, timeout);
			continue;
		}
		pfd.fd = r.redis->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, timeout) > 0) {
			if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
				redis_read(&r);
		}
	}
	save_progress(&r);
	rop_log("info", "relay", r.ctx.cfg.env, "relay stopping");
	if (r.redis != NULL)
		redisFree(r.redis);
	if (r.curl != NULL)
		curl_easy_cleanup(r.curl);
	curl_global_cleanup();
	free(r.rsts);
	rop_ctx_release(&r.ctx);
	return 0;
}
