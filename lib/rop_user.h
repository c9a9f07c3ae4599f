/*
 * rop_user: staff users and their token revocations, the one module
 * that writes users and revoked_tokens.  Login and token checks read
 * them (rop_auth.c, fcgi-apps/auth.c); writers call here.
 */
#ifndef ROP_USER_H
#define ROP_USER_H
/* layer: area */

#include <stddef.h>
#include <stdint.h>

struct rop_ctx;

/*
 * Create user "username" of restaurant "rid" with "role" and password
 * hash "hash", or give an existing one that role and hash (it keeps its
 * user_id, so tokens issued before stay tied to the same subject).
 * "new_uid" is the id a new user gets; the user's id goes to uid
 * (uidsz bytes).  Returns 0, or -1 with ctx->err (404 NOT_FOUND when
 * there is no restaurant "rid").
 */
int	 rop_user_set(struct rop_ctx *, const char *rid, const char *username,
	    const char *role, const char *hash, const char *new_uid,
	    char *uid, size_t uidsz);

/*
 * Revoke in one transaction: the user's row lock and new revision (and
 * logout-all watermark "wm" in ms, 0 for none), the user's expired
 * revocations pruned, then the token's "jti" until "exp" when "jti" is
 * set; commit; then the new state into Redis.  Returns 0, or -1 with
 * ctx->err (404 when the user is not in restaurant "rid").
 */
int	 rop_user_revoke(struct rop_ctx *, const char *rid, const char *uid,
	    int64_t wm, const char *jti, int64_t exp);

#endif /* ROP_USER_H */
