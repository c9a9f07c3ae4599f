/*
 * rop_menu: the menu read path (cache, then PostgreSQL) and PATCH.
 */
#include <json-c/json.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_cache.h"
#include "rop_db.h"
#include "rop_event.h"
#include "rop_json.h"
#include "rop_log.h"
#include "rop_menu.h"
#include "rop_metrics.h"
#include "rop_time.h"
#include "domain/rop_text.h"

#define MENU_KEY_BUFSZ	128

static uint64_t	menu_fnv(const char *, size_t);
static char	*menu_seal(const char *, size_t, int64_t, size_t *);
static int	menu_unseal(char *, size_t, int64_t, char **, size_t *);
static int	menu_parse_version(const char *, int64_t *);
static int	menu_from_db(struct rop_ctx *, const char *, char **,
		    size_t *, int64_t *);
static void	menu_cache_put(struct rop_ctx *, const char *, const char *,
		    size_t, int64_t);
static void	menu_cache_version(struct rop_ctx *, const char *, int64_t);
static void	menu_cache_point(struct rop_ctx *, const char *, int64_t);
static void	menu_count(struct rop_ctx *, const char *);
static _Atomic int64_t *menu_board_ref(struct rop_ctx *, const char *);
static struct json_object *menu_item_json(const PGresult *,
		    const char *);

/*
 * The whole response in one statement, so the body and the version it
 * is stored under come from one snapshot.  Items are ordered as their
 * categories, then by position.
 */
static const struct rop_stmt menu_build = {
	"menu_build",
	"SELECT r.menu_version, json_build_object("
	" 'restaurantId', r.restaurant_id,"
	" 'menuVersion', r.menu_version,"
	" 'currency', r.currency::text,"
	" 'categories', (SELECT coalesce(json_agg(json_build_object("
	"   'categoryId', c.category_id, 'name', c.name,"
	"   'position', c.position) ORDER BY c.position, c.category_id),"
	"   '[]'::json)"
	"  FROM menu_categories c WHERE c.restaurant_id = r.restaurant_id),"
	" 'items', (SELECT coalesce(json_agg(json_build_object("
	"   'itemId', i.item_id, 'name', i.name,"
	"   'description', i.description,"
	"   'price', json_build_object('amountCents', i.price_cents,"
	"     'currency', r.currency::text),"
	"   'isAvailable', i.is_available, 'categoryId', i.category_id)"
	"   ORDER BY c.position, c.category_id, i.position, i.item_id),"
	"   '[]'::json)"
	"  FROM menu_items i JOIN menu_categories c"
	"   ON c.restaurant_id = i.restaurant_id"
	"   AND c.category_id = i.category_id"
	"  WHERE i.restaurant_id = r.restaurant_id),"
	" 'updatedAt', to_char(r.menu_updated_at AT TIME ZONE 'UTC',"
	"   'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))::text"
	" FROM restaurants r WHERE r.restaurant_id = $1", 1, 1
};

static const struct rop_stmt menu_version_get = {
	"menu_version_get",
	"SELECT menu_version FROM restaurants WHERE restaurant_id = $1", 1, 1
};

/* The restaurant row first: the lock order of SPEC §2. */
static const struct rop_stmt menu_bump = {
	"menu_bump",
	"UPDATE restaurants SET menu_version = menu_version + 1,"
	" menu_updated_at = now() WHERE restaurant_id = $1"
	" RETURNING menu_version, currency::text", 1, 0
};

static const struct rop_stmt menu_item_update = {
	"menu_item_update",
	"UPDATE menu_items SET"
	" is_available = coalesce($3::boolean, is_available),"
	" price_cents = coalesce($4::bigint, price_cents),"
	" updated_at = now()"
	" WHERE restaurant_id = $1 AND item_id = $2"
	" RETURNING item_id, name, description, price_cents,"
	" is_available, category_id", 4, 0
};

static void
menu_count(struct rop_ctx *ctx, const char *result)
{
	char	 labels[64];

	snprintf(labels, sizeof(labels), "result=\"%s\"", result);
	rop_metrics_add(ctx->metrics, "rop_menu_cache_total", labels, 1);
}

/* A positive decimal version without sign, spaces or leading zeros. */
static int
menu_parse_version(const char *s, int64_t *v)
{
	char		*end;
	long long	 n;

	if (s[0] < '1' || s[0] > '9' || strlen(s) > 18)
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0)
		return -1;
	*v = n;
	return 0;
}

/*
 * Cache entries are sealed: "rop1 <version> <length> <fnv64>\n<body>".
 * A hit is served only when the seal matches the expected version and
 * the body's length and checksum, so a corrupt, truncated or foreign
 * entry is rebuilt, never served, and a warm hit costs a checksum over
 * the bytes instead of a JSON parse (bench/RESULTS.md: the parse was
 * 78% of a hit's instructions).
 */
static uint64_t
menu_fnv(const char *p, size_t n)
{
	uint64_t	 h = 1469598103934665603ULL;	/* FNV-1a */
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static char *
menu_seal(const char *body, size_t len, int64_t version, size_t *outlen)
{
	char	 head[96], *v;
	int	 n;

	n = snprintf(head, sizeof(head), "rop1 %lld %zu %016llx\n",
	    (long long)version, len, (unsigned long long)menu_fnv(body, len));
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    (v = malloc((size_t)n + len + 1)) == NULL)
		return NULL;
	memcpy(v, head, (size_t)n);
	memcpy(v + n, body, len);
	v[(size_t)n + len] = '\0';
	*outlen = (size_t)n + len;
	return v;
}

/* The body inside a sealed entry (borrowed from val), or -1. */
static int
menu_unseal(char *val, size_t vlen, int64_t version, char **body,
    size_t *len)
{
	char			*nl, *end;
	long long		 v;
	unsigned long long	 n, sum;

	if (vlen < 8 || strncmp(val, "rop1 ", 5) != 0 ||
	    (nl = memchr(val, '\n', vlen < 96 ? vlen : 96)) == NULL)
		return -1;
	*nl = '\0';
	errno = 0;
	v = strtoll(val + 5, &end, 10);
	if (errno || *end != ' ' || v != version)
		return -1;
	n = strtoull(end + 1, &end, 10);
	if (errno || *end != ' ')
		return -1;
	sum = strtoull(end + 1, &end, 16);
	if (errno || *end != '\0' || n != vlen - (size_t)(nl + 1 - val) ||
	    sum != menu_fnv(nl + 1, (size_t)n))
		return -1;
	*body = nl + 1;
	*len = (size_t)n;
	return 0;
}

static int
menu_from_db(struct rop_ctx *ctx, const char *rid, char **body, size_t *len,
    int64_t *version)
{
	const char		*params[1] = { rid }, *text;
	PGresult		*res;
	int			 rc = -1;

	if ((res = rop_db_exec(ctx->db, &ctx->err, &menu_build,
	    params)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "RESTAURANT_NOT_FOUND",
		    "no restaurant %s", rid);
		goto out;
	}
	*version = rop_db_int(res, 0, 0);
	text = rop_db_str(res, 0, 1);
	if (text == NULL || (*body = rop_json_copy(&ctx->err, text)) == NULL)
		goto out;
	*len = strlen(*body);
	rc = 0;
out:
	PQclear(res);
	return rc;
}

/* Best effort: point menu:{rid}:version at "version". */
static void
menu_cache_version(struct rop_ctx *ctx, const char *rid, int64_t version)
{
	char	 key[MENU_KEY_BUFSZ], val[24];
	int	 n;

	snprintf(key, sizeof(key), "menu:%s:version", rid);
	n = snprintf(val, sizeof(val), "%lld", (long long)version);
	if (rop_cache_setex(ctx->cache, key, val, (size_t)n,
	    ctx->cfg.menu_ttl) == -1)
		menu_count(ctx, "error");
}

/*
 * Point menu:{rid}:version at "version", which this worker just built
 * or committed.  Another worker may commit a newer version between our
 * read or commit and our SET, and its own SET (after its commit) may
 * land before ours; so the version is read again after our SET: if it
 * moved, the newer one is written.  Either that read sees the other
 * commit, or the other commits after it and therefore SETs after us --
 * the key never stays behind PostgreSQL.
 */
static void
menu_cache_point(struct rop_ctx *ctx, const char *rid, int64_t version)
{
	const char	*params[1] = { rid };
	PGresult	*res;
	struct rop_err	 saved = ctx->err;

	menu_cache_version(ctx, rid, version);
	res = rop_db_exec(ctx->db, &ctx->err, &menu_version_get, params);
	if (res != NULL && PQntuples(res) == 1 &&
	    rop_db_int(res, 0, 0) != version)
		menu_cache_version(ctx, rid, rop_db_int(res, 0, 0));
	PQclear(res);
	ctx->err = saved;
}

/* Store a freshly built body, then point the version key at it. */
static void
menu_cache_put(struct rop_ctx *ctx, const char *rid, const char *body,
    size_t len, int64_t version)
{
	char		 key[MENU_KEY_BUFSZ];
	char		*sealed;
	size_t		 slen;
	int		 r;

	snprintf(key, sizeof(key), "menu:%s:v%lld", rid, (long long)version);
	if ((sealed = menu_seal(body, len, version, &slen)) == NULL)
		return;
	r = rop_cache_setex(ctx->cache, key, sealed, slen, ctx->cfg.menu_ttl);
	free(sealed);
	if (r == -1) {
		menu_count(ctx, "error");
		return;
	}
	menu_cache_point(ctx, rid, version);
}

/*
 * This worker's own copies of menu bodies, one slot per restaurant
 * (direct-mapped by a hash of the id; a collision replaces).  The body
 * of a version never changes, so a copy is served whenever Redis' version
 * key names its version: never staler than Redis itself, and a warm read
 * is one GET of a few bytes instead of the whole body.  Bounded: no copy
 * over MENU_LOCAL_MAX, all of them together within MENU_LOCAL_BUDGET
 * (over it, copies are dropped round the slots until the new one fits).
 */
#define MENU_LOCAL_SLOTS	256
#define MENU_LOCAL_BUDGET	(512 * 1024)
#define MENU_LOCAL_MAX		(MENU_LOCAL_BUDGET / 4)
#define MENU_RID_MAX		64	/* rop_text_is_id() */

struct menu_local {
	char	 rid[MENU_RID_MAX + 1];
	int64_t	 version;
	char	*body;
	size_t	 len;
	int64_t	 checked_us;	/* when Redis last named this version */
	_Atomic int64_t *board;	/* the restaurant's cell of the board */
};

static struct menu_local	menu_local[MENU_LOCAL_SLOTS];
static size_t			menu_local_bytes;
static size_t			menu_local_hand;	/* next to drop */

static struct menu_local *
menu_local_slot(const char *rid)
{
	return &menu_local[menu_fnv(rid, strlen(rid)) % MENU_LOCAL_SLOTS];
}

static void
menu_local_drop(struct menu_local *l)
{
	menu_local_bytes -= l->body != NULL ? l->len : 0;
	free(l->body);
	memset(l, 0, sizeof(*l));
}

static void
menu_local_put(struct rop_ctx *ctx, const char *rid, const char *body,
    size_t len, int64_t version)
{
	struct menu_local	*l = menu_local_slot(rid);

	menu_local_drop(l);
	if (len > MENU_LOCAL_MAX || strlen(rid) > MENU_RID_MAX)
		return;
	while (menu_local_bytes + len > MENU_LOCAL_BUDGET)
		menu_local_drop(&menu_local[menu_local_hand++ %
		    MENU_LOCAL_SLOTS]);
	if ((l->body = malloc(len + 1)) == NULL)
		return;
	memcpy(l->body, body, len);
	l->body[len] = '\0';
	l->len = len;
	l->version = version;
	l->checked_us = rop_time_mono_us();
	l->board = menu_board_ref(ctx, rid);
	snprintf(l->rid, sizeof(l->rid), "%s", rid);
	menu_local_bytes += len;
}

/*
 * This worker's copy of "rid" when Redis named its version less than
 * ROP_MENU_RECHECK_MS ago and no worker here has seen a newer one:
 * served without asking Redis.  Returns the copy (malloc'd) or NULL.
 */
static char *
menu_local_fresh(struct rop_ctx *ctx, const char *rid, size_t *len,
    int64_t *version)
{
	struct menu_local	*l = menu_local_slot(rid);
	int64_t			 board;
	char			*body;

	if (ctx->cfg.menu_recheck_ms <= 0 || l->body == NULL ||
	    l->board == NULL || strcmp(l->rid, rid) != 0)
		return NULL;
	board = atomic_load(l->board);
	if (board <= 0 || l->version < board || rop_time_mono_us() -
	    l->checked_us >= (int64_t)ctx->cfg.menu_recheck_ms * 1000 ||
	    (body = malloc(l->len + 1)) == NULL)
		return NULL;
	memcpy(body, l->body, l->len + 1);
	*len = l->len;
	*version = l->version;
	return body;
}

/*
 * A malloc'd copy of this worker's body of "rid" at "version", which
 * Redis has just named (the copy counts as checked now), or NULL.
 */
static char *
menu_local_get(const char *rid, int64_t version, size_t *len)
{
	struct menu_local	*l = menu_local_slot(rid);
	char			*body;

	if (l->body == NULL || l->version != version ||
	    strcmp(l->rid, rid) != 0 || (body = malloc(l->len + 1)) == NULL)
		return NULL;
	memcpy(body, l->body, l->len + 1);
	*len = l->len;
	l->checked_us = rop_time_mono_us();
	return body;
}

/*
 * The host's menu version board: the gauge rop_menu_version{restaurant=}
 * in the metrics segment every worker maps, raised to each version a
 * worker here commits or learns from Redis or PostgreSQL.  A PATCH
 * raises it before it answers, so every worker on the host stops
 * serving its older copy at once; 0 when unknown (or no segment).
 */
static void
menu_board_labels(char *buf, size_t bufsz, const char *rid)
{
	snprintf(buf, bufsz, "restaurant=\"%s\"", rid);	/* an id: no escaping */
}

static int64_t
menu_board_get(struct rop_ctx *ctx, const char *rid)
{
	char	 labels[96];

	menu_board_labels(labels, sizeof(labels), rid);
	return rop_metrics_get(ctx->metrics, "rop_menu_version", labels);
}

static _Atomic int64_t *
menu_board_ref(struct rop_ctx *ctx, const char *rid)
{
	char	 labels[96];

	menu_board_labels(labels, sizeof(labels), rid);
	return rop_metrics_gauge_ref(ctx->metrics, "rop_menu_version", labels);
}

static void
menu_board_raise(struct rop_ctx *ctx, const char *rid, int64_t version)
{
	char	 labels[96];

	menu_board_labels(labels, sizeof(labels), rid);
	rop_metrics_max(ctx->metrics, "rop_menu_version", labels, version);
}

/* The sealed body menu:{rid}:v{version} from Redis: 1, 0 if absent or
 * not valid (counted and logged), -1 if Redis failed. */
static int
menu_cache_body(struct rop_ctx *ctx, const char *rid, int64_t version,
    char **body, size_t *len)
{
	char	 key[MENU_KEY_BUFSZ], *val, *inner;
	size_t	 vlen, ilen;
	int	 r;

	snprintf(key, sizeof(key), "menu:%s:v%lld", rid, (long long)version);
	if ((r = rop_cache_get(ctx->cache, key, &val, &vlen)) != 1)
		return r;
	if (menu_unseal(val, vlen, version, &inner, &ilen) == -1) {
		menu_count(ctx, "invalid");
		rop_log("warn", ctx->app, ctx->cfg.env,
		    "menu cache entry %s is not a valid menu; rebuilding it",
		    key);
		free(val);
		return 0;
	}
	memmove(val, inner, ilen);
	val[ilen] = '\0';
	*body = val;
	*len = ilen;
	return 1;
}

int
rop_menu_get(struct rop_ctx *ctx, const char *rid, char **body, size_t *len,
    int64_t *version)
{
	char	 key[MENU_KEY_BUFSZ], *pv = NULL;
	size_t	 pvlen;
	int64_t	 v, board;
	int	 r;

	*body = NULL;
	*len = 0;
	if ((*body = menu_local_fresh(ctx, rid, len, version)) != NULL) {
		menu_count(ctx, "hit");
		return 0;
	}
	board = menu_board_get(ctx, rid);
	snprintf(key, sizeof(key), "menu:%s:version", rid);
	r = rop_cache_get(ctx->cache, key, &pv, &pvlen);
	if (r == 1 && menu_parse_version(pv, &v) == -1) {
		menu_count(ctx, "invalid");
		rop_log("warn", ctx->app, ctx->cfg.env,
		    "menu cache key %s holds no version; rebuilding", key);
		r = 0;
	}
	free(pv);
	/* A key behind what this host committed lost a write: rebuild. */
	if (r == 1 && v < board)
		r = 0;
	if (r == 1 && (*body = menu_local_get(rid, v, len)) != NULL) {
		menu_count(ctx, "hit");
		menu_board_raise(ctx, rid, v);
		*version = v;
		return 0;
	}
	if (r == 1 && (r = menu_cache_body(ctx, rid, v, body, len)) == 1) {
		menu_count(ctx, "hit");
		menu_local_put(ctx, rid, *body, *len, v);
		menu_board_raise(ctx, rid, v);
		*version = v;
		return 0;
	}
	menu_count(ctx, r == -1 ? "error" : "miss");
	if (menu_from_db(ctx, rid, body, len, version) == -1)
		return -1;
	if (r != -1) {
		menu_cache_put(ctx, rid, *body, *len, *version);
		menu_local_put(ctx, rid, *body, *len, *version);
	}
	menu_board_raise(ctx, rid, *version);
	return 0;
}

int
rop_menu_patch_parse(struct rop_ctx *ctx, struct json_object *body,
    struct rop_menu_patch *pt)
{
	static const char *const keys[] = { "isAvailable", "price", NULL };

	memset(pt, 0, sizeof(*pt));
	if (rop_json_only(&ctx->err, body, "", keys) == -1 ||
	    rop_json_bool(&ctx->err, body, "", "isAvailable", 0,
	    &pt->available, &pt->has_available) == -1 ||
	    rop_json_money(&ctx->err, body, "", "price", ROP_MENU_PRICE_MAX,
	    &pt->price_cents, pt->currency, &pt->has_price) == -1)
		return -1;
	if (!pt->has_available && !pt->has_price) {
		rop_err_set(&ctx->err, ROP_EINVAL, NULL,
		    "give isAvailable, price or both");
		rop_err_detail(&ctx->err, "field", "body");
		return -1;
	}
	return 0;
}

static struct json_object *
menu_item_json(const PGresult *res, const char *currency)
{
	struct json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (rop_json_add(o, "itemId", json_object_new_string(
	    rop_db_str(res, 0, 0))) ||
	    rop_json_add(o, "name", json_object_new_string(
	    rop_db_str(res, 0, 1))) ||
	    rop_json_add(o, "description", json_object_new_string(
	    rop_db_str(res, 0, 2))) ||
	    rop_json_add(o, "price", rop_json_new_money(
	    rop_db_int(res, 0, 3), currency)) ||
	    rop_json_add(o, "isAvailable", json_object_new_boolean(
	    strcmp(rop_db_str(res, 0, 4), "t") == 0)) ||
	    rop_json_add(o, "categoryId", json_object_new_string(
	    rop_db_str(res, 0, 5)))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int
rop_menu_patch_apply(struct rop_ctx *ctx, const char *rid, const char *iid,
    const struct rop_menu_patch *pt, struct json_object **item,
    int64_t *version)
{
	struct json_object	*payload = NULL, *ev;
	const char		*params[4];
	char			 cents[24], currency[4];
	PGresult		*res = NULL;
	int64_t			 v;
	int			 rc = -1;

	*item = NULL;
	if (rop_db_begin(ctx->db, &ctx->err) == -1)
		return -1;
	params[0] = rid;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &menu_bump,
	    params)) == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "RESTAURANT_NOT_FOUND",
		    "no restaurant %s", rid);
		goto out;
	}
	v = rop_db_int(res, 0, 0);
	snprintf(currency, sizeof(currency), "%s", rop_db_str(res, 0, 1));
	PQclear(res);
	res = NULL;
	if (pt->has_price && strcmp(pt->currency, currency) != 0) {
		rop_err_set(&ctx->err, ROP_EINVAL, NULL,
		    "price.currency must be the restaurant's currency %s",
		    currency);
		rop_err_detail(&ctx->err, "field", "price.currency");
		goto out;
	}
	snprintf(cents, sizeof(cents), "%lld", (long long)pt->price_cents);
	params[1] = iid;
	params[2] = pt->has_available ? (pt->available ? "true" : "false") :
	    NULL;
	params[3] = pt->has_price ? cents : NULL;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &menu_item_update,
	    params)) == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "NOT_FOUND",
		    "no menu item %s", iid);
		goto out;
	}
	if ((*item = menu_item_json(res, currency)) == NULL ||
	    (payload = json_object_new_object()) == NULL ||
	    rop_json_add(payload, "menuVersion", json_object_new_int64(v))) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "menu item");
		goto out;
	}
	/*
	 * The event counter is the last lock (taken at the commit,
	 * rop_event.h); the append
	 * consumes the payload even when it fails.
	 */
	ev = payload;
	payload = NULL;
	if (rop_app_event(ctx, rid, "menu.updated", NULL, ev) == -1)
		goto out;
	if (rop_app_commit(ctx) == -1)
		goto out;
	rop_app_publish(ctx);
	menu_cache_point(ctx, rid, v);
	menu_board_raise(ctx, rid, v);
	*version = v;
	rc = 0;
out:
	if (rc == -1) {
		rop_db_rollback(ctx->db);
		rop_event_discard(&ctx->outbox);
		json_object_put(*item);
		*item = NULL;
	}
	json_object_put(payload);
	PQclear(res);
	return rc;
}

void
rop_menu_etag(char *buf, size_t bufsz, int64_t version)
{
	snprintf(buf, bufsz, "\"menu-v%lld\"", (long long)version);
}

int
rop_menu_etag_match(const char *inm, int64_t version)
{
	char		 tag[ROP_MENU_ETAG_BUFSZ];
	const char	*p, *end;
	size_t		 tlen, n;

	if (inm == NULL)
		return 0;
	rop_menu_etag(tag, sizeof(tag), version);
	tlen = strlen(tag);
	for (p = inm; *p != '\0'; p = *end ? end + 1 : end) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, ",");
		n = (size_t)(end - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 1 && *p == '*')
			return 1;
		/* Weak comparison (RFC 9110 §13.1.2): W/ is ignored. */
		if (n >= 2 && p[0] == 'W' && p[1] == '/') {
			p += 2;
			n -= 2;
		}
		if (n == tlen && memcmp(p, tag, tlen) == 0)
			return 1;
	}
	return 0;
}
