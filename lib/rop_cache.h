/*
 * rop_cache: the process's Redis connection (hiredis), for the menu
 * cache and event publishes.  Redis is never the truth: every call may
 * fail, and callers fall back to PostgreSQL.  Connect and command
 * timeouts are at most 200 ms; after a failure the next connection
 * attempt waits a short backoff so a dead Redis costs requests nothing.
 */
#ifndef ROP_CACHE_H
#define ROP_CACHE_H
/* layer: adapter */

#include <stddef.h>

struct rop_cache;
struct redisContext;

/*
 * A new handle for "url" ("redis://[:password@]host[:port][/db]" or
 * "unix:/path"; "" means no Redis).  Not yet connected.  NULL on OOM.
 */
struct rop_cache *rop_cache_new(const char *url, int timeout_ms);
void		 rop_cache_free(struct rop_cache *);

/*
 * GET key.  Returns 1 with *val (malloc'd, NUL-terminated, caller
 * frees) and *len, 0 when the key is missing, -1 when Redis failed.
 */
int		 rop_cache_get(struct rop_cache *, const char *key,
		    char **val, size_t *len);
/* SET key val EX ttl.  Returns 0 or -1. */
int		 rop_cache_setex(struct rop_cache *, const char *key,
		    const char *val, size_t len, int ttl);
/*
 * SET key val EX ttl unless the key holds a value whose leading
 * decimal "version" is >= "version" (val must start with it): a writer
 * holding an older state never overwrites a newer one (one EVAL).
 * Returns 1 written, 0 kept the newer value, -1 when Redis failed.
 */
int		 rop_cache_set_newer(struct rop_cache *, const char *key,
		    long long version, const char *val, size_t len, int ttl);
/* PUBLISH channel msg.  Returns 0 or -1. */
int		 rop_cache_publish(struct rop_cache *, const char *channel,
		    const char *msg, size_t len);
/* PING.  Returns 0 or -1. */
int		 rop_cache_ping(struct rop_cache *);
/*
 * A separate connection of one's own to the same server, authenticated
 * and on the URL's database, with the handle's timeouts (the relay
 * subscribes on it).  NULL on failure (rop_cache_errstr says why) or
 * when Redis is disabled.  The caller redisFree()s it.
 */
struct redisContext *rop_cache_dial(struct rop_cache *);
/* The last error text ("" if none); borrowed. */
const char	*rop_cache_errstr(const struct rop_cache *);

#endif /* ROP_CACHE_H */
