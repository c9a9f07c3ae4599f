/*
 * admin: rop-admin, the operator's command line (not a FastCGI app).
 *
 *	rop-admin user-set RESTAURANT_ID USERNAME ROLE
 *	rop-admin qr-rotate RESTAURANT_ID TABLE_ID
 *
 * creates or updates a staff user with the password in the environment
 * variable ROP_PASSWORD (never on the command line, where ps(1) shows
 * it), hashed with yescrypt.  An existing user keeps its user_id, so
 * tokens issued before stay tied to the same subject.  Configuration
 * (ROP_DATABASE_URL) comes from the environment as for every app.
 *
 * qr-rotate replaces a table's QR code (a leaked or reprinted one):
 * it bumps the table's QR generation, so every table token issued
 * before is refused (401), and prints the new token and URL, as
 * POST /v1/restaurants/{rid}/tables/{tid}/qr:rotate does.  It needs
 * ROP_TABLE_TOKEN_SECRET (and ROP_JWT_SECRET) like the apps.
 * Exit status: 0 done, 1 failed, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_auth.h"
#include "rop_id.h"
#include "rop_password.h"
#include "rop_time.h"
#include "rop_user.h"
#include "domain/rop_text.h"

static int	admin_user_set(struct rop_ctx *, const char *, const char *,
		    const char *);
static int	admin_qr_rotate(struct rop_ctx *, const char *,
		    const char *);
static void	usage(void);

static void
usage(void)
{
	fprintf(stderr, "usage: ROP_PASSWORD=... rop-admin user-set "
	    "RESTAURANT_ID USERNAME ADMIN|MANAGER|WAITER|KITCHEN\n"
	    "       rop-admin qr-rotate RESTAURANT_ID TABLE_ID\n");
}

static int
admin_qr_rotate(struct rop_ctx *ctx, const char *rid, const char *tid)
{
	char	 tok[512], *url = NULL;

	if (!rop_text_is_id(rid) || !rop_text_is_id(tid)) {
		usage();
		return 2;
	}
	if (rop_auth_table_qr(ctx, rid, tid, 1, tok, sizeof(tok),
	    &url) == -1) {
		fprintf(stderr, "rop-admin: %s\n", ctx->err.msg);
		return 1;
	}
	printf("rop-admin: table %s/%s QR code replaced; older codes are "
	    "refused\ntoken %s\nurl %s\n", rid, tid, tok, url);
	free(url);
	return 0;
}

static int
admin_user_set(struct rop_ctx *ctx, const char *rid, const char *user,
    const char *role)
{
	char		 hash[ROP_PASSWORD_HASHSZ], uid[ROP_ID_BUFSZ];
	char		 got[ROP_ID_BUFSZ + 64];
	const char	*pw = getenv("ROP_PASSWORD");
	long		 ulen;
	int		 rc = -1;

	ulen = rop_text_utf8_len(user, strlen(user));
	if (!rop_text_is_id(rid) || ulen < 1 || ulen > 64 ||
	    rop_role_parse(role) == ROP_ROLE_NONE) {
		usage();
		return 2;
	}
	if (pw == NULL || *pw == '\0' || strlen(pw) > ROP_PASSWORD_MAX) {
		fprintf(stderr, "rop-admin: set ROP_PASSWORD (1 to %d bytes)\n",
		    ROP_PASSWORD_MAX);
		return 2;
	}
	if (rop_password_hash(pw, hash, sizeof(hash)) == -1 ||
	    rop_id_new(uid, "usr_", rop_time_now_ms()) == -1) {
		fprintf(stderr, "rop-admin: cannot hash the password\n");
		return 1;
	}
	if (rop_user_set(ctx, rid, user, role, hash, uid, got,
	    sizeof(got)) == -1)
		goto out;
	printf("rop-admin: user %s/%s (%s) set, user_id %s\n", rid, user,
	    role, got);
	rc = 0;
out:
	if (rc == -1 && ctx->err.status != ROP_OK)
		fprintf(stderr, "rop-admin: %s\n", ctx->err.msg);
	explicit_bzero(hash, sizeof(hash));
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	struct rop_ctx	 ctx;
	int		 rc;

	if (argc == 4 && strcmp(argv[1], "qr-rotate") == 0) {
		if (rop_ctx_init(&ctx, "admin", ROP_CONFIG_SECRETS) == -1)
			return 1;
		rc = admin_qr_rotate(&ctx, argv[2], argv[3]);
		rop_ctx_release(&ctx);
		return rc;
	}
	if (argc != 5 || strcmp(argv[1], "user-set") != 0) {
		usage();
		return 2;
	}
	if (rop_ctx_init(&ctx, "admin", 0) == -1)
		return 1;
	rc = admin_user_set(&ctx, argv[2], argv[3], argv[4]);
	rop_ctx_release(&ctx);
	return rc;
}
