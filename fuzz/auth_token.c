/*
 * fuzz/auth_token: the JWT and table-token verifiers of lib/rop_auth.c
 * and the bearer / access_token extraction of rop_auth_caller().
 *
 * A fuzzer cannot forge an HMAC, so most of the token grammar would
 * stay behind the signature check.  The first input byte picks a mode:
 *	0	the rest is a raw token for rop_auth_token()
 *	1	the rest is a JWT claims text, signed here with the secret
 *	2	the rest is a JWT header text, signed here (fixed claims)
 *	3	the rest is a table token payload ("rid|tid|exp[|gen]"), signed
 *	4	the rest is an Authorization header value
 *	5	the rest is a query string (access_token=...)
 *
 * Invariants besides memory safety: a token is accepted only with a
 * known role and ids that are ids, a table token only with role TABLE
 * and a table id; every refusal is 401 UNAUTHORIZED; tokens this module
 * issues verify.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdint.h>

#include "rop_app.h"
#include "rop_auth.h"
#include "rop_http.h"
#include "fuzz.h"

#define JWT_SECRET	"fuzz-jwt-secret-0123456789abcdef0123456789"
#define TABLE_SECRET	"fuzz-table-secret-0123456789abcdef012345678"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
static size_t	b64url(const unsigned char *, size_t, char *);
static char	*sign(const char *, const unsigned char *, size_t,
		    const unsigned char *, size_t, const char *);
static void	verify(struct rop_ctx *, const char *);

static size_t
b64url(const unsigned char *in, size_t n, char *out)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t		 i, o = 0;
	uint32_t	 v;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = a[v >> 6 & 63];
		if (i + 2 < n)
			out[o++] = a[v & 63];
	}
	out[o] = '\0';
	return o;
}

/*
 * "<prefix><b64(a)>[.<b64(b)>].<b64(HMAC(secret, all before the last
 * dot))>", owned by the caller.
 */
static char *
sign(const char *prefix, const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen, const char *secret)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	char		*t;
	size_t		 n;

	if ((t = malloc(strlen(prefix) + (alen + blen) * 2 + 128)) == NULL)
		abort();
	n = (size_t)sprintf(t, "%s", prefix);
	n += b64url(a, alen, t + n);
	if (b != NULL) {
		t[n++] = '.';
		n += b64url(b, blen, t + n);
	}
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (unsigned char *)t, n, mac, &maclen) == NULL)
		abort();
	t[n++] = '.';
	b64url(mac, maclen, t + n);
	return t;
}

static void
verify(struct rop_ctx *ctx, const char *token)
{
	struct rop_principal	 p;

	memset(&ctx->err, 0, sizeof(ctx->err));
	if (rop_auth_token(ctx, token, &p) == -1) {
		fuzz_check_err(&ctx->err);
		if (ctx->err.status != ROP_EAUTH ||
		    strcmp(ctx->err.code, "UNAUTHORIZED") != 0)
			fuzz_fail("a refused token is not 401", ctx->err.msg);
		return;
	}
	if (!rop_text_is_id(p.rid))
		fuzz_fail("accepted token without a restaurant id", p.rid);
	if (p.role == ROP_ROLE_TABLE) {
		if (!rop_text_is_id(p.tid))
			fuzz_fail("table token without a table id", p.tid);
	} else if (rop_role_name(p.role) == NULL || p.tid[0] != '\0' ||
	    !rop_text_is_id(p.sub))
		fuzz_fail("accepted staff token is malformed", p.rid);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	static const char claims[] = "{\"sub\":\"usr_1\",\"rid\":\"rst_001\","
	    "\"role\":\"WAITER\",\"iat\":1,\"exp\":9000000000,"
	    "\"jti\":\"01234567-89ab-4def-8123-456789abcdef\"}";
	static struct rop_ctx	 ctx;
	struct rop_principal	 p;
	struct rop_req		 req;
	char			*rest, *tok = NULL, *env[4], issued[1024];
	size_t			 n;

	if (size < 1 || size > 8192)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	snprintf(ctx.cfg.jwt_secret, sizeof(ctx.cfg.jwt_secret), "%s",
	    JWT_SECRET);
	snprintf(ctx.cfg.table_secret, sizeof(ctx.cfg.table_secret), "%s",
	    TABLE_SECRET);
	ctx.cfg.token_ttl = 3600;
	n = size - 1;
	rest = fuzz_strndup(data + 1, n);
	switch (data[0] % 6) {
	case 0:
		verify(&ctx, rest);
		break;
	case 1:
		tok = sign("", (const unsigned char *)hdr, sizeof(hdr) - 1,
		    (unsigned char *)rest, n, JWT_SECRET);
		verify(&ctx, tok);
		break;
	case 2:
		tok = sign("", (unsigned char *)rest, n,
		    (const unsigned char *)claims, sizeof(claims) - 1,
		    JWT_SECRET);
		verify(&ctx, tok);
		break;
	case 3:
		tok = sign("t1.", (unsigned char *)rest, n, NULL, 0,
		    TABLE_SECRET);
		verify(&ctx, tok);
		break;
	case 4:
	case 5:
		memset(&req, 0, sizeof(req));
		if ((tok = malloc(n + 32)) == NULL)
			abort();
		snprintf(tok, n + 32, "%s=%s", data[0] % 6 == 4 ?
		    "HTTP_AUTHORIZATION" : "QUERY_STRING", rest);
		env[0] = tok;
		env[1] = NULL;
		req.envp = env;
		req.method = "GET";
		req.query = data[0] % 6 == 5 ? tok + 13 : "";
		memset(&ctx.err, 0, sizeof(ctx.err));
		if (rop_auth_caller(&ctx, &req, 1, &p) == -1) {
			fuzz_check_err(&ctx.err);
			if (ctx.err.status != ROP_EAUTH)
				fuzz_fail("a refused caller is not 401",
				    ctx.err.msg);
		}
		break;
	}
	/* What we issue for ids from the input verifies. */
	if (n > 0 && n <= 64 && rop_text_is_id(rest)) {
		int64_t exp;

		memset(&ctx.err, 0, sizeof(ctx.err));
		if (rop_auth_issue_jwt(&ctx, rest, rest, ROP_ROLE_KITCHEN,
		    issued, sizeof(issued), &exp) == -1 ||
		    rop_auth_token(&ctx, issued, &p) == -1 ||
		    p.role != ROP_ROLE_KITCHEN || strcmp(p.rid, rest) != 0)
			fuzz_fail("an issued JWT does not verify", rest);
		if (rop_auth_issue_table(&ctx, rest, rest, 0, issued,
		    sizeof(issued)) == -1 ||
		    rop_auth_token(&ctx, issued, &p) == -1 ||
		    p.role != ROP_ROLE_TABLE || strcmp(p.tid, rest) != 0)
			fuzz_fail("an issued table token does not verify",
			    rest);
	}
	free(tok);
	free(rest);
	return 0;
}
