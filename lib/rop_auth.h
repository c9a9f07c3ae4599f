/*
 * rop_auth: who is calling, and may they (SPEC §5).
 *
 * Staff carry a JWT HS256 (sub, rid, role, iat, exp, jti) from
 * POST /v1/auth/login; guests carry a table token (HMAC over
 * restaurant + table + optional expiry) from a QR code.  Both arrive as
 * "Authorization: Bearer" or, for browsers' WebSocket/EventSource, as
 * the access_token query parameter.  Signatures are HMAC-SHA256 from
 * OpenSSL's libcrypto, compared in constant time.
 *
 * The runner (rop_app.h) calls them for every route, from its row, in
 * the order of SPEC §9.16:
 *	rop_auth_caller()	401 missing/malformed/expired/forged token
 *	rop_auth_tenant()	404 a token of another restaurant
 *	(the route's check)	400
 *	rop_auth_allow()	403 role not allowed / table token of another table
 */
#ifndef ROP_AUTH_H
#define ROP_AUTH_H
/* layer: area */

#include <stddef.h>
#include <stdint.h>

struct rop_ctx;
struct rop_req;

enum rop_role {
	ROP_ROLE_NONE = 0,
	ROP_ROLE_ADMIN,
	ROP_ROLE_MANAGER,
	ROP_ROLE_WAITER,
	ROP_ROLE_KITCHEN,
	ROP_ROLE_TABLE,		/* a guest holding a table token */
	ROP_ROLE__MAX
};

/* Role sets for rop_auth_allow(). */
#define ROP_R(role)		(1u << (role))
#define ROP_RS_MANAGE		(ROP_R(ROP_ROLE_ADMIN) | ROP_R(ROP_ROLE_MANAGER))
#define ROP_RS_FLOOR		(ROP_RS_MANAGE | ROP_R(ROP_ROLE_WAITER))
#define ROP_RS_KITCHEN		(ROP_RS_MANAGE | ROP_R(ROP_ROLE_KITCHEN))
#define ROP_RS_STAFF		(ROP_RS_FLOOR | ROP_R(ROP_ROLE_KITCHEN))
#define ROP_RS_GUEST		ROP_R(ROP_ROLE_TABLE)

struct rop_principal {
	enum rop_role	 role;
	char		 rid[65];	/* restaurant of the token */
	char		 tid[65];	/* table of a table token, else "" */
	char		 sub[65];	/* user id of a staff token */
	int64_t		 exp;		/* seconds since epoch, 0: none */
	char		 jti[37];	/* staff token id, lower case */
	int64_t		 iat_ms;	/* staff token issue time, ms */
	int64_t		 gen;		/* table token QR generation */
};

/* "ADMIN" etc., or NULL for ROP_ROLE_NONE / out of range. */
const char	*rop_role_name(enum rop_role);
/* The staff role named "s" (not TABLE), or ROP_ROLE_NONE. */
enum rop_role	 rop_role_parse(const char *s);

/*
 * Authenticate the caller of "req" from its bearer header (or, when
 * "allow_query" is set, its access_token parameter).  Returns 0 with
 * *p filled, or -1 with 401 UNAUTHORIZED in ctx->err.  With its
 * adapters (ctx->db and ctx->cache, as rop_ctx_init() sets them) it also
 * refuses a revoked staff token and a table token of
 * an older QR generation (rop_auth_live()).
 */
int	 rop_auth_caller(struct rop_ctx *, struct rop_req *, int allow_query,
	    struct rop_principal *p);
/*
 * Verify a raw token (either kind).  Returns 0 with *p filled, or -1
 * with 401 in ctx->err.
 */
int	 rop_auth_token(struct rop_ctx *, const char *token,
	    struct rop_principal *p);
/*
 * Whether a verified token is still live (SPEC §15, §16.24): a staff
 * token not logged out (its jti) and issued after its user's last
 * logout-all; a table token of its table's current QR generation.
 * One Redis GET of the user's (table's) state, cached for
 * ROP_AUTH_CACHE_TTL seconds; on a miss or with Redis down, one point
 * SELECT in PostgreSQL, the truth.  Returns 0, or -1 with 401 (or 503
 * when PostgreSQL is unreachable) in ctx->err.
 */
int	 rop_auth_live(struct rop_ctx *, const struct rop_principal *);
/*
 * After a committed revocation (rotation): read the user's (table's)
 * state from PostgreSQL and store it in Redis unless Redis already
 * holds a newer one.  Returns 0, or -1 when either failed (the cached
 * state then expires within ROP_AUTH_CACHE_TTL seconds).
 */
int	 rop_auth_refresh_user(struct rop_ctx *, const char *rid,
	    const char *uid);
int	 rop_auth_refresh_table(struct rop_ctx *, const char *rid,
	    const char *tid);
#define ROP_AUTH_CACHE_TTL	30

/*
 * The QR code of table (rid, tid): a table token of its current
 * generation (expiring after ROP_TABLE_TOKEN_TTL when set) into tok
 * (toksz >= 512) and its URL <public base>/t/{rid}/{tid}?token=... into
 * *url (malloc'd).  With "rotate", first bump the table's generation in
 * one transaction, so every token issued before is refused (401).
 * Returns 0, or -1 with ctx->err (404 TABLE_NOT_FOUND).
 */
int	 rop_auth_table_qr(struct rop_ctx *, const char *rid, const char *tid,
	    int rotate, char *tok, size_t toksz, char **url);

/*
 * The tenant check: a token of another restaurant than "rid" gets 404
 * with "code" (e.g. "RESTAURANT_NOT_FOUND", or NULL for NOT_FOUND).
 * Returns 0 or -1.
 */
int	 rop_auth_tenant(struct rop_ctx *, const struct rop_principal *,
	    const char *rid, const char *code);
/*
 * The role check: 0 when p->role is in "roles", else -1 with 403
 * FORBIDDEN.  A table token also needs "tid" to be its own table (403
 * otherwise); pass tid NULL where no table is involved.
 */
int	 rop_auth_allow(struct rop_ctx *, const struct rop_principal *,
	    unsigned roles, const char *tid);

/*
 * Issue a staff JWT.  Writes the token into buf (size >= 1024) and its
 * expiry (seconds) into *exp.  Returns 0 or -1.
 */
int	 rop_auth_issue_jwt(struct rop_ctx *, const char *user_id,
	    const char *rid, enum rop_role, char *buf, size_t bufsz,
	    int64_t *exp);
/*
 * The same, issued at millisecond "issued_ms" (0: now): the jti is a
 * UUIDv7 carrying it, iat is its second.
 */
int	 rop_auth_issue_jwt_at(struct rop_ctx *, const char *user_id,
	    const char *rid, enum rop_role, int64_t issued_ms, char *buf,
	    size_t bufsz, int64_t *exp);
/*
 * Issue a table token for (rid, tid), expiring at "exp" (0: never).
 * Returns 0 or -1.
 */
int	 rop_auth_issue_table(struct rop_ctx *, const char *rid,
	    const char *tid, int64_t exp, char *buf, size_t bufsz);
/* The same for QR generation "gen" (0 is the token format above). */
int	 rop_auth_issue_table_gen(struct rop_ctx *, const char *rid,
	    const char *tid, int64_t exp, int64_t gen, char *buf,
	    size_t bufsz);

#endif /* ROP_AUTH_H */
