/*
 * rop_user: the writes of users and revoked_tokens.
 */
#include <stdio.h>

#include "rop_app.h"
#include "rop_auth.h"
#include "rop_db.h"
#include "rop_log.h"
#include "rop_user.h"

static const struct rop_stmt st_restaurant = {
	"user_restaurant_exists",
	"SELECT 1 FROM restaurants WHERE restaurant_id = $1", 1, 1
};

static const struct rop_stmt st_upsert = {
	"user_upsert",
	"INSERT INTO users (restaurant_id, username, user_id, role,"
	" password_hash) VALUES ($1, $2, $3, $4, $5)"
	" ON CONFLICT (restaurant_id, username) DO UPDATE"
	" SET role = EXCLUDED.role, password_hash = EXCLUDED.password_hash"
	" RETURNING user_id", 5, 0
};

/* The user's row lock and a new revision: every revocation takes it. */
static const struct rop_stmt st_revise = {
	"user_revise",
	"UPDATE users SET tokens_rev = tokens_rev + 1,"
	" tokens_revoked_ms = greatest(tokens_revoked_ms, $3::bigint)"
	" WHERE restaurant_id = $1 AND user_id = $2 RETURNING user_id", 3, 0
};

static const struct rop_stmt st_jti_revoke = {
	"user_jti_revoke",
	"INSERT INTO revoked_tokens (jti, restaurant_id, user_id, expires_at)"
	" VALUES ($1, $2, $3, to_timestamp($4::bigint))"
	" ON CONFLICT (jti) DO NOTHING", 4, 0
};

/* The user's revocations of tokens expired (with the leeway) a while ago. */
static const struct rop_stmt st_jti_prune = {
	"user_jti_prune",
	"DELETE FROM revoked_tokens WHERE restaurant_id = $1 AND user_id = $2"
	" AND expires_at < now() - interval '1 minute'", 2, 0
};

int
rop_user_set(struct rop_ctx *ctx, const char *rid, const char *username,
    const char *role, const char *hash, const char *new_uid, char *uid,
    size_t uidsz)
{
	const char	*params[5];
	PGresult	*res;

	params[0] = rid;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_restaurant,
	    params)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return rop_err_set(&ctx->err, ROP_ENOTFOUND, "NOT_FOUND",
		    "no restaurant %s", rid);
	}
	PQclear(res);
	params[1] = username;
	params[2] = new_uid;
	params[3] = role;
	params[4] = hash;
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_upsert,
	    params)) == NULL)
		return -1;
	snprintf(uid, uidsz, "%s", rop_db_str(res, 0, 0));
	PQclear(res);
	return 0;
}

int
rop_user_revoke(struct rop_ctx *ctx, const char *rid, const char *uid,
    int64_t wm, const char *jti, int64_t exp)
{
	const char	*params[4];
	char		 wmbuf[24], expbuf[24];
	PGresult	*res = NULL;
	int		 rc = -1;

	snprintf(wmbuf, sizeof(wmbuf), "%lld", (long long)wm);
	snprintf(expbuf, sizeof(expbuf), "%lld", (long long)exp);
	params[0] = rid;
	params[1] = uid;
	params[2] = wmbuf;
	if (rop_db_begin(ctx->db, &ctx->err) == -1 ||
	    (res = rop_db_exec(ctx->db, &ctx->err, &st_revise,
	    params)) == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		rop_err_set(&ctx->err, ROP_ENOTFOUND, "NOT_FOUND",
		    "no such user");
		goto out;
	}
	PQclear(res);
	if ((res = rop_db_exec(ctx->db, &ctx->err, &st_jti_prune,
	    params)) == NULL)
		goto out;
	PQclear(res);
	res = NULL;
	if (jti != NULL) {
		params[0] = jti;
		params[1] = rid;
		params[2] = uid;
		params[3] = expbuf;
		if ((res = rop_db_exec(ctx->db, &ctx->err, &st_jti_revoke,
		    params)) == NULL)
			goto out;
	}
	if (rop_db_commit(ctx->db, &ctx->err) == -1)
		goto out;
	/*
	 * Committed: a worker that misses in Redis sees it in PostgreSQL
	 * now.  Replace the cached state (a failure leaves the old one for
	 * at most ROP_AUTH_CACHE_TTL seconds; with Redis down every worker
	 * asks PostgreSQL).
	 */
	if (rop_auth_refresh_user(ctx, rid, uid) == -1) {
		rop_log("warn", ctx->app, ctx->cfg.env,
		    "revocation state not cached: %s", ctx->err.msg);
		rop_err_clear(&ctx->err);
	}
	rc = 0;
out:
	if (rc == -1 && rop_db_in_tx(ctx->db))
		rop_db_rollback(ctx->db);
	PQclear(res);
	return rc;
}
