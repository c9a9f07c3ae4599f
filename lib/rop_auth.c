/*
 * rop_auth: staff JWTs (HS256), guests' table tokens, and the checks
 * every handler runs (SPEC §5, §9.16).
 *
 * A JWT is base64url(header).base64url(claims).base64url(HMAC-SHA256)
 * with the header {"alg":"HS256","typ":"JWT"} and exactly the claims
 * sub, rid, role, iat, exp and jti; the jti is a UUIDv7 whose first
 * 48 bits are the issue time in milliseconds.  A table token is
 *	t1.base64url("rid|tid|exp[|gen]").base64url(HMAC-SHA256)
 * signed with its own secret, exp 0 meaning "never", gen the table's QR
 * generation (absent: 0, the format before generations).  Verification
 * (rop_auth_token) is strict (canonical base64url, no padding, known
 * header and claims, right types) and never touches the database or
 * Redis, so it serves unit tests and fuzzers too; rop_auth_caller()
 * then asks rop_auth_live() whether the token was revoked.
 *
 * Revocation state, per user: "tokens_rev tokens_revoked_ms jti..."
 * (the revision, the logout-all watermark, the logged-out jtis not yet
 * expired), cached in Redis under auth:user:{rid}:{uid}; per table:
 * "qr_generation" under auth:table:{rid}:{tid}.  Writers store a state
 * only over an older revision (rop_cache_set_newer), so a reader that
 * loaded a state just before a logout committed cannot put it back over
 * the logout's.  Every request pays one Redis GET (a point SELECT when
 * Redis misses or is down), never more.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rop_app.h"
#include "rop_auth.h"
#include "rop_b64.h"
#include "rop_cache.h"
#include "rop_db.h"
#include "rop_http.h"
#include "rop_id.h"
#include "rop_json.h"
#include "rop_log.h"
#include "rop_time.h"
#include "domain/rop_text.h"

#define AUTH_TOKEN_MAX		4096	/* bytes of any token we look at */
#define AUTH_HEADER_MAX		256	/* decoded JWT header */
#define AUTH_CLAIMS_MAX		1024	/* decoded JWT claims */
#define AUTH_LEEWAY		5	/* seconds of clock skew on exp */
#define AUTH_MAC_LEN		32	/* HMAC-SHA256 */
#define AUTH_MAC_B64_LEN	43	/* its base64url length */
#define AUTH_TABLE_PREFIX	"t1."

static const char *const role_names[ROP_ROLE__MAX] = {
	NULL, "ADMIN", "MANAGER", "WAITER", "KITCHEN", "TABLE"
};

static int	auth_mac(const char *, const char *, size_t,
		    unsigned char *);
static int	auth_mac_ok(const char *, const char *, size_t,
		    const char *, size_t);
static int	auth_fail(struct rop_ctx *, const char *);
static int	auth_jwt(struct rop_ctx *, const char *, size_t,
		    struct rop_principal *);
static int	auth_jwt_header(const unsigned char *, size_t);
static int	auth_jwt_claims(struct rop_ctx *, const unsigned char *,
		    size_t, struct rop_principal *);
static int	auth_table(struct rop_ctx *, const char *, size_t,
		    struct rop_principal *);
static int	auth_is_uuid(const char *);
static int64_t	auth_now(void);
static int64_t	auth_jti_ms(const char *, int64_t);
static int	auth_user_state(struct rop_ctx *, const char *, const char *,
		    char **, int);
static int	auth_table_state(struct rop_ctx *, const char *, const char *,
		    char **, int);
static int	auth_revoked(const char *, const struct rop_principal *);

static const struct rop_stmt user_state = {
	"auth_user_state",
	"SELECT u.tokens_rev, u.tokens_revoked_ms,"
	" coalesce(string_agg(r.jti::text, ' '), '')"
	" FROM users u LEFT JOIN revoked_tokens r"
	" ON r.restaurant_id = u.restaurant_id AND r.user_id = u.user_id"
	" AND r.expires_at > now() - interval '1 minute'"
	" WHERE u.restaurant_id = $1 AND u.user_id = $2"
	" GROUP BY u.tokens_rev, u.tokens_revoked_ms", 2, 1
};

static const struct rop_stmt table_rotate = {
	"auth_table_rotate",
	"UPDATE dining_tables SET qr_generation = qr_generation + 1"
	" WHERE restaurant_id = $1 AND table_id = $2"
	" RETURNING qr_generation", 2, 0
};

static const struct rop_stmt table_state = {
	"auth_table_state",
	"SELECT qr_generation FROM dining_tables"
	" WHERE restaurant_id = $1 AND table_id = $2", 2, 1
};

static int64_t
auth_now(void)
{
	return rop_time_now_ms() / 1000;
}

/*
 * Every verification failure is the same 401 (the HTTP layer adds
 * WWW-Authenticate: Bearer); only the message says which check failed.
 */
static int
auth_fail(struct rop_ctx *ctx, const char *why)
{
	return rop_err_set(&ctx->err, ROP_EAUTH, "UNAUTHORIZED", "%s", why);
}

/* HMAC-SHA256 of msg[0..len) under "secret".  Returns 0 or -1. */
static int
auth_mac(const char *secret, const char *msg, size_t len,
    unsigned char *mac)
{
	/*
	 * One keyed HMAC-SHA256 context per secret (a process has two:
	 * the JWT and the table-token secret), re-initialised with its key
	 * for each message.  The one-shot HMAC() fetches the algorithm
	 * from OpenSSL's provider on every call: 6-8% of a worker's CPU.
	 */
	static struct {
		char		 secret[256];
		EVP_MAC_CTX	*ctx;
	}			 keyed[2];
	static EVP_MAC		*hmac;
	OSSL_PARAM		 params[2];
	EVP_MAC_CTX		*c = NULL;
	size_t			 i, maclen = 0;

	if (secret == NULL || *secret == '\0' ||
	    strlen(secret) >= sizeof(keyed[0].secret))
		return -1;
	for (i = 0; i < 2 && c == NULL; i++)
		if (keyed[i].ctx != NULL && strcmp(keyed[i].secret, secret) == 0)
			c = keyed[i].ctx;
	if (c == NULL) {
		if (hmac == NULL &&
		    (hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
			return -1;
		for (i = 0; i < 2 && keyed[i].ctx != NULL; i++)
			;
		if (i == 2) {		/* a third secret: forget the first */
			EVP_MAC_CTX_free(keyed[0].ctx);
			keyed[0].ctx = NULL;
			i = 0;
		}
		params[0] = OSSL_PARAM_construct_utf8_string("digest",
		    (char *)"SHA256", 0);
		params[1] = OSSL_PARAM_construct_end();
		if ((c = EVP_MAC_CTX_new(hmac)) == NULL)
			return -1;
		if (EVP_MAC_init(c, (const unsigned char *)secret,
		    strlen(secret), params) != 1) {
			EVP_MAC_CTX_free(c);
			return -1;
		}
		snprintf(keyed[i].secret, sizeof(keyed[i].secret), "%s", secret);
		keyed[i].ctx = c;
	} else if (EVP_MAC_init(c, NULL, 0, NULL) != 1)
		return -1;
	if (EVP_MAC_update(c, (const unsigned char *)msg, len) != 1 ||
	    EVP_MAC_final(c, mac, &maclen, AUTH_MAC_LEN) != 1 ||
	    maclen != AUTH_MAC_LEN)
		return -1;
	return 0;
}

/*
 * 1 when sig[0..siglen) is the base64url HMAC of msg[0..len), compared
 * in constant time; else 0.
 */
static int
auth_mac_ok(const char *secret, const char *msg, size_t len,
    const char *sig, size_t siglen)
{
	unsigned char	 want[AUTH_MAC_LEN], got[AUTH_MAC_LEN + 3];
	size_t		 gotlen;
	int		 ok;

	if (siglen != AUTH_MAC_B64_LEN ||
	    rop_b64url_decode(sig, siglen, got, sizeof(got), &gotlen) == -1 ||
	    gotlen != AUTH_MAC_LEN)
		return 0;
	if (auth_mac(secret, msg, len, want) == -1)
		return 0;
	ok = CRYPTO_memcmp(want, got, AUTH_MAC_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

const char *
rop_role_name(enum rop_role r)
{
	if ((int)r <= ROP_ROLE_NONE || r >= ROP_ROLE__MAX)
		return NULL;
	return role_names[r];
}

enum rop_role
rop_role_parse(const char *s)
{
	int	 r;

	if (s == NULL)
		return ROP_ROLE_NONE;
	for (r = ROP_ROLE_ADMIN; r < ROP_ROLE_TABLE; r++)
		if (strcmp(s, role_names[r]) == 0)
			return (enum rop_role)r;
	return ROP_ROLE_NONE;
}

/* 1 if s is a lower- or upper-case 8-4-4-4-12 hex UUID. */
static int
auth_is_uuid(const char *s)
{
	size_t	 i;

	if (strlen(s) != ROP_UUID_LEN)
		return 0;
	for (i = 0; i < ROP_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (strchr("0123456789abcdefABCDEF", s[i]) == NULL ||
		    s[i] == '\0')
			return 0;
	}
	return 1;
}

/* 0 when the decoded header is exactly HS256 (typ JWT optional). */
static int
auth_jwt_header(const unsigned char *buf, size_t len)
{
	static const char *const keys[] = { "alg", "typ", NULL };
	struct rop_err		 scratch;
	struct json_object	*h = NULL;
	const char		*alg, *typ;
	int			 rc = -1;

	memset(&scratch, 0, sizeof(scratch));
	if (rop_json_parse(&scratch, (const char *)buf, len, &h) == -1)
		goto out;
	if (rop_json_only(&scratch, h, "", keys) == -1 ||
	    rop_json_string(&scratch, h, "", "alg", 1, 1, 16, &alg) == -1 ||
	    rop_json_string(&scratch, h, "", "typ", 0, 1, 16, &typ) == -1)
		goto out;
	if (strcmp(alg, "HS256") != 0 ||
	    (typ != NULL && strcmp(typ, "JWT") != 0))
		goto out;
	rc = 0;
out:
	json_object_put(h);
	return rc;
}

static int
auth_jwt_claims(struct rop_ctx *ctx, const unsigned char *buf, size_t len,
    struct rop_principal *p)
{
	static const char *const keys[] = { "sub", "rid", "role", "iat",
	    "exp", "jti", NULL };
	struct rop_err		 scratch;
	struct json_object	*c = NULL;
	const char		*sub, *rid, *role, *jti;
	int64_t			 iat, exp;
	enum rop_role		 r;
	size_t			 i;
	int			 rc = -1;

	memset(&scratch, 0, sizeof(scratch));
	if (rop_json_parse(&scratch, (const char *)buf, len, &c) == -1 ||
	    rop_json_only(&scratch, c, "", keys) == -1 ||
	    rop_json_string(&scratch, c, "", "sub", 1, 1, 64, &sub) == -1 ||
	    rop_json_string(&scratch, c, "", "rid", 1, 1, 64, &rid) == -1 ||
	    rop_json_string(&scratch, c, "", "role", 1, 1, 16, &role) == -1 ||
	    rop_json_string(&scratch, c, "", "jti", 1, 1, 64, &jti) == -1 ||
	    rop_json_int(&scratch, c, "", "iat", 1, 0, INT64_MAX / 2, &iat,
	    NULL) == -1 ||
	    rop_json_int(&scratch, c, "", "exp", 1, 1, INT64_MAX / 2, &exp,
	    NULL) == -1) {
		auth_fail(ctx, "malformed token claims");
		goto out;
	}
	if (!rop_text_is_id(sub) || !rop_text_is_id(rid) ||
	    !auth_is_uuid(jti) ||
	    (r = rop_role_parse(role)) == ROP_ROLE_NONE) {
		auth_fail(ctx, "malformed token claims");
		goto out;
	}
	if (auth_now() > exp + AUTH_LEEWAY) {
		auth_fail(ctx, "token expired");
		goto out;
	}
	memset(p, 0, sizeof(*p));
	p->role = r;
	snprintf(p->rid, sizeof(p->rid), "%s", rid);
	snprintf(p->sub, sizeof(p->sub), "%s", sub);
	p->exp = exp;
	for (i = 0; i < ROP_UUID_LEN; i++)
		p->jti[i] = (char)(jti[i] >= 'A' && jti[i] <= 'F' ?
		    jti[i] - 'A' + 'a' : jti[i]);
	p->jti[ROP_UUID_LEN] = '\0';
	p->iat_ms = auth_jti_ms(p->jti, iat);
	rc = 0;
out:
	json_object_put(c);
	return rc;
}

static int
auth_jwt(struct rop_ctx *ctx, const char *tok, size_t len,
    struct rop_principal *p)
{
	unsigned char	 hdr[AUTH_HEADER_MAX], claims[AUTH_CLAIMS_MAX];
	const char	*d1, *d2;
	size_t		 hlen, clen;

	if ((d1 = memchr(tok, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) != NULL)
		return auth_fail(ctx, "malformed token");
	if (rop_b64url_decode(tok, (size_t)(d1 - tok), hdr, sizeof(hdr),
	    &hlen) == -1 || hlen == 0 || auth_jwt_header(hdr, hlen) == -1)
		return auth_fail(ctx, "unsupported or malformed token header");
	if (!auth_mac_ok(ctx->cfg.jwt_secret, tok, (size_t)(d2 - tok), d2 + 1,
	    len - (size_t)(d2 + 1 - tok)))
		return auth_fail(ctx, "invalid token signature");
	if (rop_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), claims,
	    sizeof(claims), &clen) == -1 || clen == 0)
		return auth_fail(ctx, "malformed token claims");
	return auth_jwt_claims(ctx, claims, clen, p);
}

static int
auth_table(struct rop_ctx *ctx, const char *tok, size_t len,
    struct rop_principal *p)
{
	unsigned char	 raw[200];
	char		 text[201], *bar1, *bar2, *bar3, *end;
	const char	*body = tok + 3, *dot;
	size_t		 rawlen;
	long long	 exp, gen = 0;

	if ((dot = memchr(body, '.', len - 3)) == NULL ||
	    memchr(dot + 1, '.', len - (size_t)(dot + 1 - tok)) != NULL)
		return auth_fail(ctx, "malformed table token");
	if (!auth_mac_ok(ctx->cfg.table_secret, tok, (size_t)(dot - tok),
	    dot + 1, len - (size_t)(dot + 1 - tok)))
		return auth_fail(ctx, "invalid table token signature");
	if (rop_b64url_decode(body, (size_t)(dot - body), raw, sizeof(raw) - 1,
	    &rawlen) == -1 || memchr(raw, '\0', rawlen) != NULL)
		return auth_fail(ctx, "malformed table token");
	memcpy(text, raw, rawlen);
	text[rawlen] = '\0';
	if ((bar1 = strchr(text, '|')) == NULL ||
	    (bar2 = strchr(bar1 + 1, '|')) == NULL)
		return auth_fail(ctx, "malformed table token");
	*bar1++ = '\0';
	*bar2++ = '\0';
	if ((bar3 = strchr(bar2, '|')) != NULL) {
		*bar3++ = '\0';
		/* A generation is 1..10^18, no sign, no leading zero. */
		if (bar3[0] < '1' || bar3[0] > '9' || strlen(bar3) > 18)
			return auth_fail(ctx, "malformed table token");
		gen = strtoll(bar3, &end, 10);
		if (*end != '\0')
			return auth_fail(ctx, "malformed table token");
	}
	if (!rop_text_is_id(text) || !rop_text_is_id(bar1) ||
	    bar2[0] < '0' || bar2[0] > '9' ||
	    (bar2[0] == '0' && bar2[1] != '\0') || strlen(bar2) > 18)
		return auth_fail(ctx, "malformed table token");
	exp = strtoll(bar2, &end, 10);
	if (*end != '\0')
		return auth_fail(ctx, "malformed table token");
	if (exp != 0 && auth_now() > exp + AUTH_LEEWAY)
		return auth_fail(ctx, "table token expired");
	memset(p, 0, sizeof(*p));
	p->role = ROP_ROLE_TABLE;
	/* Both are ids, so at most 64 bytes: they fit. */
	memcpy(p->rid, text, strlen(text) + 1);
	memcpy(p->tid, bar1, strlen(bar1) + 1);
	p->exp = exp;
	p->gen = gen;
	return 0;
}

int
rop_auth_token(struct rop_ctx *ctx, const char *token,
    struct rop_principal *p)
{
	size_t	 len;

	memset(p, 0, sizeof(*p));
	if (token == NULL || (len = strnlen(token, AUTH_TOKEN_MAX + 1)) == 0)
		return auth_fail(ctx, "authentication required");
	if (len > AUTH_TOKEN_MAX)
		return auth_fail(ctx, "malformed token");
	if (len > 3 && strncmp(token, AUTH_TABLE_PREFIX, 3) == 0)
		return auth_table(ctx, token, len, p);
	return auth_jwt(ctx, token, len, p);
}

int
rop_auth_caller(struct rop_ctx *ctx, struct rop_req *req, int allow_query,
    struct rop_principal *p)
{
	char		 buf[AUTH_TOKEN_MAX + 1];
	const char	*h, *t;
	size_t		 n;
	int		 r;

	memset(p, 0, sizeof(*p));
	h = rop_req_param(req, "HTTP_AUTHORIZATION");
	if (h != NULL && *h != '\0') {
		if (strncasecmp(h, "Bearer ", 7) != 0)
			return auth_fail(ctx,
			    "Authorization must be a Bearer token");
		for (t = h + 7; *t == ' ' || *t == '\t'; t++)
			continue;
		n = strnlen(t, sizeof(buf));
		while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
			n--;
		if (n >= sizeof(buf))
			return auth_fail(ctx, "malformed token");
		memcpy(buf, t, n);
		buf[n] = '\0';
	} else if (allow_query &&
	    (r = rop_req_query(req, "access_token", buf, sizeof(buf))) != 0) {
		if (r == -1)
			return auth_fail(ctx, "malformed access_token");
	} else
		return auth_fail(ctx, "authentication required");
	r = rop_auth_token(ctx, buf, p);
	OPENSSL_cleanse(buf, sizeof(buf));
	/*
	 * rop_ctx_init() gives every program both adapters; a context
	 * without them is a unit test or fuzzer checking the token alone.
	 */
	if (r == 0 && ctx->db != NULL && ctx->cache != NULL &&
	    rop_auth_live(ctx, p) == -1)
		return -1;
	return r;
}

/*
 * The issue time of a token in milliseconds: the UUIDv7 timestamp of
 * its jti, or (a random v4 jti, from before UUIDv7 or another issuer)
 * the last millisecond of its iat second, so that a logout-all in that
 * second revokes it.
 */
static int64_t
auth_jti_ms(const char *jti, int64_t iat)
{
	int64_t	 ms = 0;
	int	 i, d;

	if (strlen(jti) != ROP_UUID_LEN || jti[14] != '7')
		return iat * 1000 + 999;
	for (i = 0; i < 13; i++) {
		if (i == 8)
			continue;
		d = jti[i] <= '9' ? jti[i] - '0' : (jti[i] | 0x20) - 'a' + 10;
		ms = ms << 4 | d;
	}
	return ms;
}

/*
 * Load the user's revocation state "rev wm jti..." from PostgreSQL into
 * *out (malloc'd); with "store", put it into Redis unless a newer one is
 * there.  A user unknown here (a token minted for tests, a deleted
 * user) has the empty state "0 0".  Returns 0, or -1 with ctx->err.
 */
static int
auth_user_state(struct rop_ctx *ctx, const char *rid, const char *uid,
    char **out, int store)
{
	const char	*params[2] = { rid, uid };
	char		 key[160];
	PGresult	*res;
	long long	 rev = 0;
	size_t		 n;

	*out = NULL;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &user_state,
	    params)) == NULL)
		return -1;
	n = PQntuples(res) == 1 ? strlen(rop_db_str(res, 0, 2)) : 0;
	if ((*out = malloc(n + 48)) == NULL) {
		PQclear(res);
		return rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "auth state");
	}
	if (PQntuples(res) == 1) {
		rev = (long long)rop_db_int(res, 0, 0);
		snprintf(*out, n + 48, "%lld %lld %s", rev,
		    (long long)rop_db_int(res, 0, 1), rop_db_str(res, 0, 2));
	} else
		snprintf(*out, n + 48, "0 0 ");
	PQclear(res);
	if (store) {
		snprintf(key, sizeof(key), "auth:user:%s:%s", rid, uid);
		if (rop_cache_set_newer(ctx->cache, key, rev, *out,
		    strlen(*out), ROP_AUTH_CACHE_TTL) == -1)
			return rop_err_set(&ctx->err, ROP_EUNAVAIL, NULL,
			    "redis: %s", rop_cache_errstr(ctx->cache));
	}
	return 0;
}

/* The same for a table: "qr_generation" (an unknown table: "0"). */
static int
auth_table_state(struct rop_ctx *ctx, const char *rid, const char *tid,
    char **out, int store)
{
	const char	*params[2] = { rid, tid };
	char		 key[160];
	PGresult	*res;
	long long	 gen = 0;

	*out = NULL;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &table_state,
	    params)) == NULL)
		return -1;
	if (PQntuples(res) == 1)
		gen = (long long)rop_db_int(res, 0, 0);
	PQclear(res);
	if ((*out = malloc(24)) == NULL)
		return rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "auth state");
	snprintf(*out, 24, "%lld", gen);
	if (store) {
		snprintf(key, sizeof(key), "auth:table:%s:%s", rid, tid);
		if (rop_cache_set_newer(ctx->cache, key, gen, *out,
		    strlen(*out), ROP_AUTH_CACHE_TTL) == -1)
			return rop_err_set(&ctx->err, ROP_EUNAVAIL, NULL,
			    "redis: %s", rop_cache_errstr(ctx->cache));
	}
	return 0;
}

/* 1 when "state" (see above) revokes the token of p, else 0. */
static int
auth_revoked(const char *state, const struct rop_principal *p)
{
	const char	*s;
	char		*end;
	long long	 v;
	size_t		 n;

	if (p->role == ROP_ROLE_TABLE) {
		v = strtoll(state, &end, 10);
		return end == state || v != p->gen;
	}
	(void)strtoll(state, &end, 10);		/* the revision */
	if (end == state)
		return 1;
	s = end;
	v = strtoll(s, &end, 10);
	if (end == s)
		return 1;
	if (p->iat_ms <= v)
		return 1;
	n = strlen(p->jti);
	for (s = end; (s = strstr(s, p->jti)) != NULL; s += n)
		if (s[-1] == ' ' && (s[n] == ' ' || s[n] == '\0'))
			return 1;
	return 0;
}

int
rop_auth_live(struct rop_ctx *ctx, const struct rop_principal *p)
{
	const char	*id = p->role == ROP_ROLE_TABLE ? p->tid : p->sub;
	char		 key[160], *state = NULL;
	size_t		 len;
	int		 r, revoked;

	if (p->role == ROP_ROLE_TABLE)
		snprintf(key, sizeof(key), "auth:table:%s:%s", p->rid, id);
	else
		snprintf(key, sizeof(key), "auth:user:%s:%s", p->rid, id);
	if ((r = rop_cache_get(ctx->cache, key, &state, &len)) != 1) {
		/*
		 * A miss: load and cache it.  Redis down: PostgreSQL
		 * answers every time (storing it would only fail).
		 */
		if ((p->role == ROP_ROLE_TABLE ?
		    auth_table_state(ctx, p->rid, id, &state, r == 0) :
		    auth_user_state(ctx, p->rid, id, &state, r == 0)) == -1 &&
		    state == NULL)
			return -1;
		rop_err_clear(&ctx->err);
	}
	revoked = auth_revoked(state, p);
	free(state);
	if (revoked)
		return auth_fail(ctx, p->role == ROP_ROLE_TABLE ?
		    "table token of a replaced QR code" : "token revoked");
	return 0;
}

int
rop_auth_refresh_user(struct rop_ctx *ctx, const char *rid, const char *uid)
{
	char	*state = NULL;
	int	 rc;

	rc = auth_user_state(ctx, rid, uid, &state, 1);
	free(state);
	return rc;
}

int
rop_auth_table_qr(struct rop_ctx *ctx, const char *rid, const char *tid,
    int rotate, char *tok, size_t toksz, char **url)
{
	const char	*params[2] = { rid, tid };
	PGresult	*res = NULL;
	int64_t		 exp = 0, gen;
	size_t		 n, blen;
	int		 rc = -1;

	*url = NULL;
	if (rotate) {
		if (rop_db_begin(ctx->db, &ctx->err) == -1 ||
		    (res = rop_db_exec(ctx->db, &ctx->err, &table_rotate,
		    params)) == NULL)
			goto out;
	} else if ((res = rop_db_exec(ctx->db, &ctx->err, &table_state,
	    params)) == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "TABLE_NOT_FOUND",
		    "no table %s", tid);
		goto out;
	}
	gen = rop_db_int(res, 0, 0);
	if (rotate) {
		if (rop_db_commit(ctx->db, &ctx->err) == -1)
			goto out;
		/*
		 * Committed: every worker asking PostgreSQL sees it now;
		 * put it in Redis too, over the older cached generation.
		 */
		if (rop_auth_refresh_table(ctx, rid, tid) == -1) {
			rop_log("warn", ctx->app, ctx->cfg.env,
			    "QR generation not cached: %s", ctx->err.msg);
			rop_err_clear(&ctx->err);
		}
	}
	if (ctx->cfg.table_token_ttl > 0)
		exp = rop_time_now_ms() / 1000 + ctx->cfg.table_token_ttl;
	if (rop_auth_issue_table_gen(ctx, rid, tid, exp, gen, tok,
	    toksz) == -1)
		goto out;
	/* Token characters are URL-safe: [A-Za-z0-9_.-]. */
	n = strlen(ctx->cfg.public_base) + strlen(rid) + strlen(tid) +
	    strlen(tok) + 16;
	if ((*url = malloc(n)) == NULL) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "qr url");
		goto out;
	}
	blen = strlen(ctx->cfg.public_base);
	while (blen > 0 && ctx->cfg.public_base[blen - 1] == '/')
		blen--;
	snprintf(*url, n, "%.*s/t/%s/%s?token=%s", (int)blen,
	    ctx->cfg.public_base, rid, tid, tok);
	rc = 0;
out:
	if (rc == -1 && rop_db_in_tx(ctx->db))
		rop_db_rollback(ctx->db);
	PQclear(res);
	return rc;
}

int
rop_auth_refresh_table(struct rop_ctx *ctx, const char *rid, const char *tid)
{
	char	*state = NULL;
	int	 rc;

	rc = auth_table_state(ctx, rid, tid, &state, 1);
	free(state);
	return rc;
}

int
rop_auth_tenant(struct rop_ctx *ctx, const struct rop_principal *p,
    const char *rid, const char *code)
{
	if (rid != NULL && strcmp(p->rid, rid) == 0)
		return 0;
	return rop_err_set(&ctx->err, ROP_ENOTFOUND,
	    code != NULL ? code : "NOT_FOUND", "no such resource");
}

int
rop_auth_allow(struct rop_ctx *ctx, const struct rop_principal *p,
    unsigned roles, const char *tid)
{
	if ((int)p->role <= ROP_ROLE_NONE || p->role >= ROP_ROLE__MAX ||
	    (roles & ROP_R(p->role)) == 0)
		return rop_err_set(&ctx->err, ROP_EFORBIDDEN, "FORBIDDEN",
		    "role %s may not do this",
		    rop_role_name(p->role) ? rop_role_name(p->role) : "none");
	if (p->role == ROP_ROLE_TABLE && tid != NULL &&
	    strcmp(p->tid, tid) != 0)
		return rop_err_set(&ctx->err, ROP_EFORBIDDEN, "FORBIDDEN",
		    "this table token is for another table");
	return 0;
}

int
rop_auth_issue_jwt(struct rop_ctx *ctx, const char *user_id, const char *rid,
    enum rop_role role, char *buf, size_t bufsz, int64_t *exp)
{
	return rop_auth_issue_jwt_at(ctx, user_id, rid, role, 0, buf, bufsz,
	    exp);
}

int
rop_auth_issue_jwt_at(struct rop_ctx *ctx, const char *user_id,
    const char *rid, enum rop_role role, int64_t issued_ms, char *buf,
    size_t bufsz, int64_t *exp)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	struct json_object	*c = NULL;
	unsigned char		 mac[AUTH_MAC_LEN];
	char			 jti[ROP_UUID_LEN + 1];
	const char		*text;
	size_t			 tlen, off;
	int64_t			 now;
	int			 n, i, rc = -1;
	static const char	 hex[] = "0123456789abcdef";

	if (issued_ms <= 0)
		issued_ms = rop_time_now_ms();
	now = issued_ms / 1000;

	if (!rop_text_is_id(user_id) || !rop_text_is_id(rid) ||
	    rop_role_parse(rop_role_name(role)) == ROP_ROLE_NONE)
		return rop_err_set(&ctx->err, ROP_EINTERNAL, NULL,
		    "jwt: bad subject, restaurant or role");
	if (ctx->cfg.jwt_secret[0] == '\0' || rop_id_uuid(jti) == -1)
		return rop_err_set(&ctx->err, ROP_EINTERNAL, NULL,
		    "jwt: no secret or no randomness");
	/* UUIDv7: 48 bits of issue time (ms), version 7, the rest random. */
	for (i = 0, n = 11; i < 13; i++) {
		if (i == 8)
			continue;
		jti[i] = hex[(issued_ms >> (4 * n--)) & 15];
	}
	jti[14] = '7';
	if ((c = json_object_new_object()) == NULL ||
	    rop_json_add(c, "sub", json_object_new_string(user_id)) ||
	    rop_json_add(c, "rid", json_object_new_string(rid)) ||
	    rop_json_add(c, "role", json_object_new_string(
	    rop_role_name(role))) ||
	    rop_json_add(c, "iat", json_object_new_int64(now)) ||
	    rop_json_add(c, "exp", json_object_new_int64(now +
	    ctx->cfg.token_ttl)) ||
	    rop_json_add(c, "jti", json_object_new_string(jti))) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "jwt");
		goto out;
	}
	text = rop_json_text(c, &tlen);
	if ((n = rop_b64url_encode((const unsigned char *)hdr,
	    sizeof(hdr) - 1, buf, bufsz)) == -1)
		goto small;
	off = (size_t)n;
	if (off + 1 >= bufsz)
		goto small;
	buf[off++] = '.';
	if ((n = rop_b64url_encode((const unsigned char *)text, tlen, buf + off,
	    bufsz - off)) == -1)
		goto small;
	off += (size_t)n;
	if (auth_mac(ctx->cfg.jwt_secret, buf, off, mac) == -1) {
		rop_err_set(&ctx->err, ROP_EINTERNAL, NULL, "jwt: hmac");
		goto out;
	}
	if (off + 1 >= bufsz)
		goto small;
	buf[off++] = '.';
	if (rop_b64url_encode(mac, sizeof(mac), buf + off, bufsz - off) == -1)
		goto small;
	if (exp != NULL)
		*exp = now + ctx->cfg.token_ttl;
	rc = 0;
	goto out;
small:
	rop_err_set(&ctx->err, ROP_EINTERNAL, NULL, "jwt: buffer too small");
out:
	json_object_put(c);
	return rc;
}

int
rop_auth_issue_table(struct rop_ctx *ctx, const char *rid, const char *tid,
    int64_t exp, char *buf, size_t bufsz)
{
	return rop_auth_issue_table_gen(ctx, rid, tid, exp, 0, buf, bufsz);
}

int
rop_auth_issue_table_gen(struct rop_ctx *ctx, const char *rid,
    const char *tid, int64_t exp, int64_t gen, char *buf, size_t bufsz)
{
	unsigned char	 mac[AUTH_MAC_LEN];
	char		 raw[200];
	size_t		 off;
	int		 n;

	if (!rop_text_is_id(rid) || !rop_text_is_id(tid) || exp < 0 ||
	    exp > 999999999999999999LL || gen < 0 ||
	    gen > 999999999999999999LL)
		return rop_err_set(&ctx->err, ROP_EINTERNAL, NULL,
		    "table token: bad restaurant, table or expiry");
	if (ctx->cfg.table_secret[0] == '\0')
		return rop_err_set(&ctx->err, ROP_EINTERNAL, NULL,
		    "table token: no secret");
	if (gen == 0)
		n = snprintf(raw, sizeof(raw), "%s|%s|%lld", rid, tid,
		    (long long)exp);
	else
		n = snprintf(raw, sizeof(raw), "%s|%s|%lld|%lld", rid, tid,
		    (long long)exp, (long long)gen);
	if (bufsz < 4)
		goto small;
	memcpy(buf, AUTH_TABLE_PREFIX, 3);
	off = 3;
	if ((n = rop_b64url_encode((const unsigned char *)raw, (size_t)n,
	    buf + off, bufsz - off)) == -1)
		goto small;
	off += (size_t)n;
	if (auth_mac(ctx->cfg.table_secret, buf, off, mac) == -1)
		return rop_err_set(&ctx->err, ROP_EINTERNAL, NULL,
		    "table token: hmac");
	if (off + 1 >= bufsz)
		goto small;
	buf[off++] = '.';
	if (rop_b64url_encode(mac, sizeof(mac), buf + off, bufsz - off) == -1)
		goto small;
	return 0;
small:
	return rop_err_set(&ctx->err, ROP_EINTERNAL, NULL,
	    "table token: buffer too small");
}
