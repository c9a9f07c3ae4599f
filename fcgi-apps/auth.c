/*
 * auth: staff login, the nchan subscriber authorizer and table QR
 * tokens (SPEC §5, §7, §9.1, §9.13, §9.22).
 *
 *	auth.login	POST /v1/auth/login
 *	auth.logout	POST /v1/auth/logout
 *	auth.logout_all	POST /v1/auth/logout-all
 *	auth.ws		GET  /_auth/ws (nchan_authorize_request subrequest)
 *	table.qr	GET  /v1/restaurants/{rid}/tables/{tid}/qr
 *	table.qr_rotate	POST /v1/restaurants/{rid}/tables/{tid}/qr:rotate
 *
 * Logout (SPEC §15, §16.24) records the revocation in PostgreSQL under
 * the user's row lock, bumping the user's revision, commits, then
 * stores the new state in Redis over any older one (rop_auth.c).  A
 * login issues its token at least one millisecond after the user's
 * logout-all watermark, so it is never revoked by an earlier one.
 *
 * A failed login looks the same whatever failed (unknown restaurant,
 * unknown user, wrong password): one 401 body, and a missing user still
 * costs one yescrypt run against a dummy hash.
 */
#include <json-c/json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_auth.h"
#include "rop_db.h"
#include "rop_json.h"
#include "rop_log.h"
#include "rop_metrics.h"
#include "rop_password.h"
#include "rop_time.h"
#include "rop_user.h"
#include "domain/rop_text.h"

#define AUTH_QUERY_MAX	8192

/* A checked login body; the strings are borrowed from req->json. */
struct login_args {
	const char	*rid, *user, *pw;
};

/* A checked logout-all body; uid borrowed from req->json, NULL: self. */
struct logout_all_args {
	const char	*uid;
};

/* A /ws subscription as its check read it. */
struct ws_args {
	char		 rid[65], tid[65];	/* tid "": restaurant channel */
	struct rop_req	 oq;			/* the subscriber's query */
	char		 qbuf[AUTH_QUERY_MAX];
};

static int	login_check(struct rop_ctx *, struct rop_req *);
static int	ws_check(struct rop_ctx *, struct rop_req *);
static int	auth_login(struct rop_ctx *, struct rop_req *);
static int	auth_ws(struct rop_ctx *, struct rop_req *);
static int	auth_qr(struct rop_ctx *, struct rop_req *);
static int	auth_qr_rotate(struct rop_ctx *, struct rop_req *);
static int	auth_qr_common(struct rop_ctx *, struct rop_req *, int);
static int	auth_logout(struct rop_ctx *, struct rop_req *);
static int	auth_logout_all(struct rop_ctx *, struct rop_req *);
static int	logout_all_check(struct rop_ctx *, struct rop_req *);
static int	auth_login_fail(struct rop_ctx *);
static int	auth_ws_query(struct rop_req *, struct rop_req *, char *,
		    size_t);
static int	auth_ws_channel(struct rop_ctx *, const char *, char *,
		    char *);

static const struct rop_stmt user_get = {
	"auth_user_get",
	"SELECT user_id, role, password_hash, tokens_revoked_ms FROM users"
	" WHERE restaurant_id = $1 AND username = $2", 2, 1
};

/*
 * Login has no token yet, and the /ws authorizer reads its token from
 * the subscriber's request (Authorization or ?access_token=) and
 * refuses another restaurant's channel with 403, not 404 (SPEC §9.13):
 * both authenticate themselves, after their syntax check.
 */
static const struct rop_route routes[] = {
	/* route		method	who		tenant
	 *	check		handler */
	{ "auth.login",		"POST",	ROP_SELF,	ROP_TENANT_NONE,
		login_check,	auth_login },
	{ "auth.logout",	"POST",	ROP_RS_STAFF,	ROP_TENANT_NONE,
		rop_check_no_payload, auth_logout },
	{ "auth.logout_all",	"POST",	ROP_RS_STAFF,	ROP_TENANT_NONE,
		logout_all_check, auth_logout_all },
	{ "auth.ws",		"GET",	ROP_SELF,	ROP_TENANT_NONE,
		ws_check,	auth_ws },
	{ "table.qr",		"GET",	ROP_RS_MANAGE,	ROP_TENANT_PATH_RNF,
		NULL,		auth_qr },
	{ "table.qr_rotate",	"POST",	ROP_RS_MANAGE,	ROP_TENANT_PATH_RNF,
		rop_check_no_payload, auth_qr_rotate },
	{ NULL, NULL, 0, ROP_TENANT_NONE, NULL, NULL }
};

static int
auth_login_fail(struct rop_ctx *ctx)
{
	rop_metrics_add(ctx->metrics, "rop_auth_logins_total",
	    "result=\"fail\"", 1);
	return rop_err_set(&ctx->err, ROP_EAUTH, "UNAUTHORIZED",
	    "invalid restaurant, username or password");
}

/* {"restaurantId","username","password"}, strictly. */
static int
login_check(struct rop_ctx *ctx, struct rop_req *req)
{
	static const char *const keys[] = { "restaurantId", "username",
	    "password", NULL };
	struct login_args	*a;

	if (rop_req_json(req, &ctx->err, 0, &req->json) == -1 ||
	    (a = rop_req_args(ctx, req, sizeof(*a))) == NULL)
		return -1;
	if (rop_json_only(&ctx->err, req->json, "", keys) == -1 ||
	    rop_json_string(&ctx->err, req->json, "", "restaurantId", 1, 1,
	    64, &a->rid) == -1 ||
	    rop_json_string(&ctx->err, req->json, "", "username", 1, 1, 64,
	    &a->user) == -1 ||
	    rop_json_string(&ctx->err, req->json, "", "password", 1, 1,
	    ROP_PASSWORD_MAX, &a->pw) == -1)
		return -1;
	return 0;
}

static int
auth_login(struct rop_ctx *ctx, struct rop_req *req)
{
	const struct login_args	*a = req->args;
	struct json_object	*o = NULL;
	const char		*rid = a->rid, *user = a->user, *pw = a->pw;
	const char		*params[2], *hash = NULL;
	char			 tok[1024], ts[ROP_TIME_BUFSZ];
	PGresult		*res = NULL;
	enum rop_role		 role = ROP_ROLE_NONE;
	int64_t			 exp, issued;
	int			 rc = -1, found;
	/*
	 * A restaurant id that cannot exist is an unknown restaurant:
	 * the same 401 as a bad password (SPEC §9.2), after the same work.
	 */
	found = 0;
	if (rop_text_is_id(rid)) {
		params[0] = rid;
		params[1] = user;
		if ((res = rop_db_exec(ctx->db, &ctx->err, &user_get,
		    params)) == NULL)
			goto out;
		if (PQntuples(res) == 1) {
			hash = rop_db_str(res, 0, 2);
			role = rop_role_parse(rop_db_str(res, 0, 1));
			found = role != ROP_ROLE_NONE;
		}
	}
	/* Always one yescrypt run: against the dummy when no user. */
	if (!rop_password_check(pw, found ? hash : NULL) || !found) {
		auth_login_fail(ctx);
		goto out;
	}
	/* After the last logout-all, even within the same millisecond. */
	issued = rop_time_now_ms();
	if (issued <= rop_db_int(res, 0, 3))
		issued = rop_db_int(res, 0, 3) + 1;
	if (rop_auth_issue_jwt_at(ctx, rop_db_str(res, 0, 0), rid, role,
	    issued, tok, sizeof(tok), &exp) == -1)
		goto out;
	if ((o = json_object_new_object()) == NULL ||
	    rop_json_add(o, "token", json_object_new_string(tok)) ||
	    rop_json_add(o, "expiresAt", json_object_new_string(
	    rop_time_format(exp * 1000, ts))) ||
	    rop_json_add(o, "role", json_object_new_string(
	    rop_role_name(role)))) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "login reply");
		goto out;
	}
	rop_metrics_add(ctx->metrics, "rop_auth_logins_total",
	    "result=\"ok\"", 1);
	rc = rop_reply_json(req, 200, o);
out:
	explicit_bzero(tok, sizeof(tok));
	PQclear(res);
	json_object_put(o);
	return rc;
}

/*
 * The query of the subscriber's request.  nchan's authorize subrequest
 * (1.3.6) carries the subscriber's query string and REQUEST_URI; other
 * versions send the original URI in an X-Original-URI header instead.
 * So the query is taken from X-Original-URI, else REQUEST_URI, else
 * QUERY_STRING.  "oq" becomes a copy of "req" whose query is that
 * string (kept in buf).  Returns 0, or -1 when the URI is too long.
 */
static int
auth_ws_query(struct rop_req *req, struct rop_req *oq, char *buf,
    size_t bufsz)
{
	const char	*uri, *q;

	*oq = *req;
	if ((uri = rop_req_header(req, "X-Original-URI")) == NULL &&
	    (uri = rop_req_param(req, "REQUEST_URI")) == NULL)
		return 0;
	if ((q = strchr(uri, '?')) == NULL)
		q = "";
	else
		q++;
	if (strlen(q) >= bufsz)
		return -1;
	memcpy(buf, q, strlen(q) + 1);
	/* A fragment never reaches a server, but do not parse one. */
	buf[strcspn(buf, "#")] = '\0';
	oq->query = buf;
	return 0;
}

/*
 * The channel nginx will subscribe to, as it computed it ($rop_channel:
 * "r:RID" or "t:RID:TID"), split into rid and tid ("" for a restaurant
 * channel).  Authorizing exactly that string leaves no room between our
 * reading of the query and nginx's ($arg_ names match case-insensitively
 * and are not URL-decoded).  Returns 0, or -1 with 400.
 */
static int
auth_ws_channel(struct rop_ctx *ctx, const char *chan, char *rid,
    char *tid)
{
	const char	*colon;
	size_t		 n;

	rid[0] = tid[0] = '\0';
	if (chan != NULL && strncmp(chan, "r:", 2) == 0 &&
	    strlen(chan + 2) <= 64)
		memcpy(rid, chan + 2, strlen(chan + 2) + 1);
	else if (chan != NULL && strncmp(chan, "t:", 2) == 0 &&
	    (colon = strchr(chan + 2, ':')) != NULL &&
	    (n = (size_t)(colon - chan - 2)) <= 64 &&
	    strlen(colon + 1) <= 64) {
		memcpy(rid, chan + 2, n);
		rid[n] = '\0';
		memcpy(tid, colon + 1, strlen(colon + 1) + 1);
		if (!rop_text_is_id(tid)) {
			rop_err_set(&ctx->err, ROP_EINVAL, NULL,
			    "bad table_id");
			rop_err_detail(&ctx->err, "field", "table_id");
			return -1;
		}
	}
	if (!rop_text_is_id(rid)) {
		rop_err_set(&ctx->err, ROP_EINVAL, NULL,
		    "restaurant_id is required");
		rop_err_detail(&ctx->err, "field", "restaurant_id");
		return -1;
	}
	return 0;
}

/*
 * The subscription nchan asks about: the channel, the role (only one
 * of ours; the token decides) and the subscriber's query.  400 when
 * they are not sane (SPEC §9.22), before any token is read.
 */
static int
ws_check(struct rop_ctx *ctx, struct rop_req *req)
{
	struct ws_args	*a;
	const char	*role;

	if ((a = rop_req_args(ctx, req, sizeof(*a))) == NULL)
		return -1;
	if (auth_ws_channel(ctx, rop_req_param(req, "ROP_WS_CHANNEL"), a->rid,
	    a->tid) == -1)
		return -1;
	role = rop_req_param(req, "ROP_WS_ROLE");
	if (role != NULL && role[0] != '\0' &&
	    rop_role_parse(role) == ROP_ROLE_NONE) {
		rop_err_set(&ctx->err, ROP_EINVAL, NULL, "unknown role");
		rop_err_detail(&ctx->err, "field", "role");
		return -1;
	}
	if (auth_ws_query(req, &a->oq, a->qbuf, sizeof(a->qbuf)) == -1) {
		rop_err_set(&ctx->err, ROP_EINVAL, NULL, "query too long");
		rop_err_detail(&ctx->err, "field", "query");
		return -1;
	}
	return 0;
}

/*
 * nchan asks before a subscriber joins /ws?restaurant_id=R[&table_id=T]
 * [&role=ROLE][&access_token=...].  2xx lets it in; nchan answers the
 * subscriber's handshake with our 400/401/403 otherwise (SPEC §9.13).
 * nginx passes the channel (ROP_WS_CHANNEL) and the role (ROP_WS_ROLE);
 * the token comes from the Authorization header or the subscriber's
 * access_token parameter.
 */
static int
auth_ws(struct rop_ctx *ctx, struct rop_req *req)
{
	struct ws_args		*a = req->args;
	struct rop_principal	 p;

	if (rop_auth_caller(ctx, &a->oq, 1, &p) == -1)
		return -1;
	/* Another restaurant's channel: refused, not hidden (§9.13). */
	if (strcmp(p.rid, a->rid) != 0)
		return rop_err_set(&ctx->err, ROP_EFORBIDDEN, "FORBIDDEN",
		    "token of another restaurant");
	if (rop_auth_allow(ctx, &p, a->tid[0] != '\0' ?
	    ROP_RS_STAFF | ROP_RS_GUEST : ROP_RS_STAFF,
	    a->tid[0] != '\0' ? a->tid : NULL) == -1)
		return -1;
	return rop_reply_raw(req, 204, NULL, NULL, 0);
}

/* POST /v1/auth/logout: revoke the calling token until its exp. */
static int
auth_logout(struct rop_ctx *ctx, struct rop_req *req)
{
	const struct rop_principal *p = &ctx->caller;

	if (rop_user_revoke(ctx, p->rid, p->sub, 0, p->jti, p->exp) == -1)
		return -1;
	return rop_reply_raw(req, 204, NULL, NULL, 0);
}

/* The body of logout-all: none, {} or {"userId"}. */
static int
logout_all_check(struct rop_ctx *ctx, struct rop_req *req)
{
	static const char *const keys[] = { "userId", NULL };
	struct logout_all_args	*a;

	if (rop_req_json(req, &ctx->err, 1, &req->json) == -1 ||
	    (a = rop_req_args(ctx, req, sizeof(*a))) == NULL)
		return -1;
	if (req->json == NULL)
		return 0;
	if (rop_json_only(&ctx->err, req->json, "", keys) == -1 ||
	    rop_json_string(&ctx->err, req->json, "", "userId", 0, 1, 64,
	    &a->uid) == -1)
		return -1;
	if (a->uid != NULL && !rop_text_is_id(a->uid)) {
		rop_err_set(&ctx->err, ROP_EINVAL, NULL, "bad userId");
		rop_err_detail(&ctx->err, "field", "userId");
		return -1;
	}
	return 0;
}

/*
 * POST /v1/auth/logout-all {"userId"?}: revoke every token of the user
 * (the caller by default) issued up to now.  Another user: MANAGER+,
 * of the caller's restaurant (another's is unknown here: 404).
 */
static int
auth_logout_all(struct rop_ctx *ctx, struct rop_req *req)
{
	const struct rop_principal	*p = &ctx->caller;
	const struct logout_all_args	*a = req->args;
	const char			*uid = a->uid;
	int64_t				 wm;

	if (uid == NULL)
		uid = p->sub;
	if (strcmp(uid, p->sub) != 0 &&
	    rop_auth_allow(ctx, p, ROP_RS_MANAGE, NULL) == -1)
		return -1;
	/*
	 * Everything issued up to now, the calling token included when it
	 * is the user's (its issue time may lie a little ahead of ours).
	 */
	wm = rop_time_now_ms();
	if (strcmp(uid, p->sub) == 0 && p->iat_ms > wm)
		wm = p->iat_ms;
	if (rop_user_revoke(ctx, p->rid, uid, wm, NULL, 0) == -1)
		return -1;
	return rop_reply_raw(req, 204, NULL, NULL, 0);
}

/*
 * GET …/qr (rotate 0) and POST …/qr:rotate (rotate 1): the table's QR
 * token and URL, MANAGER+ of the restaurant.
 */
static int
auth_qr_common(struct rop_ctx *ctx, struct rop_req *req, int rotate)
{
	struct json_object	*o = NULL;
	const char		*rid = req->rid, *tid = req->tid;
	char			 tok[512], *url = NULL;
	int			 rc = -1;

	if (tid == NULL)
		return rop_err_set(&ctx->err, ROP_ENOTFOUND, NULL,
		    "no such resource");
	if (rop_auth_table_qr(ctx, rid, tid, rotate, tok, sizeof(tok),
	    &url) == -1)
		goto out;
	if ((o = json_object_new_object()) == NULL ||
	    rop_json_add(o, "token", json_object_new_string(tok)) ||
	    rop_json_add(o, "url", json_object_new_string(url))) {
		rop_err_set(&ctx->err, ROP_ENOMEM, NULL, "qr reply");
		goto out;
	}
	rc = rop_reply_json(req, 200, o);
out:
	free(url);
	json_object_put(o);
	return rc;
}

static int
auth_qr(struct rop_ctx *ctx, struct rop_req *req)
{
	return auth_qr_common(ctx, req, 0);
}

static int
auth_qr_rotate(struct rop_ctx *ctx, struct rop_req *req)
{
	return auth_qr_common(ctx, req, 1);
}

int
main(void)
{
	static const struct rop_app app = { "auth", routes,
	    ROP_CONFIG_SECRETS, NULL };

	return rop_app_run(&app) == 0 ? 0 : 1;
}
