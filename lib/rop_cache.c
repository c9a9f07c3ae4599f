/*
 * rop_cache: hiredis with timeouts, lazy connect and backoff.
 */
#include <hiredis/hiredis.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "rop_cache.h"
#include "rop_time.h"

#define CACHE_RETRY_AFTER_US	500000

struct rop_cache {
	redisContext	*c;
	char		 host[128];
	char		 path[200];
	char		 password[128];
	int		 port;
	int		 db;
	int		 enabled;
	struct timeval	 tv;
	int64_t		 next_try_us;
	char		 errstr[160];
};

static int	cache_parse_url(struct rop_cache *, const char *);
static int	cache_connect(struct rop_cache *);
static void	cache_fail(struct rop_cache *, const char *);
static redisReply *cache_cmd(struct rop_cache *, int, const char **,
		    const size_t *);

static int
cache_parse_url(struct rop_cache *rc, const char *url)
{
	const char	*p, *at, *slash, *colon;
	char		*end;

	if (strncmp(url, "unix:", 5) == 0) {
		p = url + 5;
		while (strncmp(p, "//", 2) == 0)
			p++;
		snprintf(rc->path, sizeof(rc->path), "%s", p);
		return 0;
	}
	if (strncmp(url, "redis://", 8) != 0)
		return -1;
	p = url + 8;
	/* The last '@': an unescaped one may be part of the password. */
	if ((at = strrchr(p, '@')) != NULL) {
		const char	*pw = memchr(p, ':', (size_t)(at - p));
		size_t		 n = 0;

		/* user:password; the user (ACL) is not supported. */
		for (pw = pw != NULL ? pw + 1 : at; pw < at; pw++) {
			int	 c = (unsigned char)*pw;
			char	 hex[3];

			if (c == '%' && at - pw > 2 && isxdigit((unsigned
			    char)pw[1]) && isxdigit((unsigned char)pw[2])) {
				hex[0] = pw[1];
				hex[1] = pw[2];
				hex[2] = '\0';
				c = (int)strtol(hex, NULL, 16);
				pw += 2;
			}
			if (n + 1 >= sizeof(rc->password))
				return -1;
			rc->password[n++] = (char)c;
		}
		rc->password[n] = '\0';
		p = at + 1;
	}
	slash = strchr(p, '/');
	colon = strchr(p, ':');
	if (colon != NULL && (slash == NULL || colon < slash)) {
		snprintf(rc->host, sizeof(rc->host), "%.*s", (int)(colon - p),
		    p);
		rc->port = (int)strtol(colon + 1, &end, 10);
		if (rc->port <= 0 || rc->port > 65535)
			return -1;
	} else {
		snprintf(rc->host, sizeof(rc->host), "%.*s",
		    (int)(slash ? slash - p : (long)strlen(p)), p);
		rc->port = 6379;
	}
	if (slash != NULL && slash[1] != '\0')
		rc->db = (int)strtol(slash + 1, &end, 10);
	if (rc->host[0] == '\0')
		snprintf(rc->host, sizeof(rc->host), "127.0.0.1");
	return 0;
}

struct rop_cache *
rop_cache_new(const char *url, int timeout_ms)
{
	struct rop_cache	*rc;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return NULL;
	if (timeout_ms < 1 || timeout_ms > 200)
		timeout_ms = 200;
	rc->tv.tv_sec = 0;
	rc->tv.tv_usec = timeout_ms * 1000;
	rc->enabled = url != NULL && *url != '\0' &&
	    cache_parse_url(rc, url) == 0;
	if (!rc->enabled)
		snprintf(rc->errstr, sizeof(rc->errstr), "redis disabled");
	return rc;
}

void
rop_cache_free(struct rop_cache *rc)
{
	if (rc == NULL)
		return;
	if (rc->c != NULL)
		redisFree(rc->c);
	free(rc);
}

static void
cache_fail(struct rop_cache *rc, const char *what)
{
	snprintf(rc->errstr, sizeof(rc->errstr), "%s: %s", what,
	    rc->c != NULL && rc->c->err ? rc->c->errstr : "no reply");
	if (rc->c != NULL)
		redisFree(rc->c);
	rc->c = NULL;
	rc->next_try_us = rop_time_mono_us() + CACHE_RETRY_AFTER_US;
}

/*
 * A new connection to rc's server, authenticated (AUTH) and on its
 * database (SELECT): NULL with rc->errstr set on failure.
 */
static redisContext *
cache_dial(struct rop_cache *rc)
{
	redisContext	*c;
	redisReply	*r;
	const char	*what = "redis connect";

	if (rc->path[0] != '\0')
		c = redisConnectUnixWithTimeout(rc->path, rc->tv);
	else
		c = redisConnectWithTimeout(rc->host, rc->port, rc->tv);
	if (c == NULL || c->err || redisSetTimeout(c, rc->tv) != REDIS_OK)
		goto fail;
	if (rc->password[0] != '\0') {
		what = "redis auth";
		r = redisCommand(c, "AUTH %s", rc->password);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			/* The reply, not the password, goes into errstr. */
			if (r != NULL)
				snprintf(rc->errstr, sizeof(rc->errstr),
				    "%s: %s", what, r->str);
			freeReplyObject(r);
			goto fail_noerr;
		}
		freeReplyObject(r);
	}
	if (rc->db != 0) {
		what = "redis select";
		r = redisCommand(c, "SELECT %d", rc->db);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			if (r != NULL)
				snprintf(rc->errstr, sizeof(rc->errstr),
				    "%s: %s", what, r->str);
			freeReplyObject(r);
			goto fail_noerr;
		}
		freeReplyObject(r);
	}
	return c;
fail:
	snprintf(rc->errstr, sizeof(rc->errstr), "%s: %s", what,
	    c != NULL && c->err ? c->errstr : "no reply");
fail_noerr:
	if (c != NULL)
		redisFree(c);
	return NULL;
}

static int
cache_connect(struct rop_cache *rc)
{
	if (rc->c != NULL)
		return 0;
	if (!rc->enabled || rop_time_mono_us() < rc->next_try_us)
		return -1;
	if ((rc->c = cache_dial(rc)) == NULL) {
		rc->next_try_us = rop_time_mono_us() + CACHE_RETRY_AFTER_US;
		return -1;
	}
	return 0;
}

struct redisContext *
rop_cache_dial(struct rop_cache *rc)
{
	if (!rc->enabled)
		return NULL;
	return cache_dial(rc);
}

static redisReply *
cache_cmd(struct rop_cache *rc, int argc, const char **argv,
    const size_t *lens)
{
	redisReply	*r;

	int		 fresh = rc->c == NULL;

	if (cache_connect(rc) == -1)
		return NULL;
	r = redisCommandArgv(rc->c, argc, argv, lens);
	if (r == NULL && !fresh) {
		/*
		 * A connection that went stale while idle (Redis restarted):
		 * one immediate reconnect before backing off, so a restart
		 * costs no request its cache or its publish.
		 */
		redisFree(rc->c);
		rc->c = NULL;
		rc->next_try_us = 0;
		if (cache_connect(rc) == -1)
			return NULL;
		r = redisCommandArgv(rc->c, argc, argv, lens);
	}
	if (r == NULL) {
		cache_fail(rc, argv[0]);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(rc->errstr, sizeof(rc->errstr), "%s: %s", argv[0],
		    r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

int
rop_cache_get(struct rop_cache *rc, const char *key, char **val, size_t *len)
{
	const char	*argv[2] = { "GET", key };
	size_t		 lens[2] = { 3, strlen(key) };
	redisReply	*r;
	int		 rv = -1;

	*val = NULL;
	*len = 0;
	if ((r = cache_cmd(rc, 2, argv, lens)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_NIL)
		rv = 0;
	else if (r->type == REDIS_REPLY_STRING) {
		if ((*val = malloc(r->len + 1)) != NULL) {
			memcpy(*val, r->str, r->len);
			(*val)[r->len] = '\0';
			*len = r->len;
			rv = 1;
		}
	}
	freeReplyObject(r);
	return rv;
}

int
rop_cache_setex(struct rop_cache *rc, const char *key, const char *val,
    size_t len, int ttl)
{
	char		 ttlbuf[16];
	const char	*argv[5] = { "SET", key, val, "EX", ttlbuf };
	size_t		 lens[5];
	redisReply	*r;

	snprintf(ttlbuf, sizeof(ttlbuf), "%d", ttl);
	lens[0] = 3;
	lens[1] = strlen(key);
	lens[2] = len;
	lens[3] = 2;
	lens[4] = strlen(ttlbuf);
	if ((r = cache_cmd(rc, 5, argv, lens)) == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
rop_cache_set_newer(struct rop_cache *rc, const char *key, long long version,
    const char *val, size_t len, int ttl)
{
	static const char script[] =
	    "local c = redis.call('GET', KEYS[1]) "
	    "if c then local v = tonumber(string.match(c, '^%d+')) "
	    "if v and v >= tonumber(ARGV[1]) then return 0 end end "
	    "redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1";
	char		 vbuf[24], ttlbuf[16];
	const char	*argv[7] = { "EVAL", script, "1", key, vbuf, val,
			    ttlbuf };
	size_t		 lens[7];
	redisReply	*r;
	int		 rv;

	snprintf(vbuf, sizeof(vbuf), "%lld", version);
	snprintf(ttlbuf, sizeof(ttlbuf), "%d", ttl);
	/*
	 * These writes replace a state other workers may be reading:
	 * worth a connection attempt even inside the backoff.
	 */
	rc->next_try_us = 0;
	lens[0] = 4;
	lens[1] = sizeof(script) - 1;
	lens[2] = 1;
	lens[3] = strlen(key);
	lens[4] = strlen(vbuf);
	lens[5] = len;
	lens[6] = strlen(ttlbuf);
	if ((r = cache_cmd(rc, 7, argv, lens)) == NULL)
		return -1;
	rv = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return rv;
}

int
rop_cache_publish(struct rop_cache *rc, const char *channel, const char *msg,
    size_t len)
{
	const char	*argv[3] = { "PUBLISH", channel, msg };
	size_t		 lens[3] = { 7, strlen(channel), len };
	redisReply	*r;

	if ((r = cache_cmd(rc, 3, argv, lens)) == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
rop_cache_ping(struct rop_cache *rc)
{
	const char	*argv[1] = { "PING" };
	size_t		 lens[1] = { 4 };
	redisReply	*r;

	if ((r = cache_cmd(rc, 1, argv, lens)) == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

const char *
rop_cache_errstr(const struct rop_cache *rc)
{
	return rc->errstr;
}
