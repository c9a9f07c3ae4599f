/*
 * jwt: staff JWTs and table tokens of rop_auth against hostile input:
 * wrong shapes, bad base64url, forged and re-algorithmed headers,
 * expired or ill-typed claims, wrong secrets.  Tokens are forged here
 * with OpenSSL directly, so the test does not trust the issuer it
 * tests.  No database or Redis: verification must never need them.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rop_app.h"
#include "rop_auth.h"
#include "rop_http.h"
#include "../tap.h"

#define JWT_SECRET	"unit-test-jwt-secret-0123456789abcdef"
#define TABLE_SECRET	"unit-test-table-secret-0123456789abcdef"
#define UUID		"2f1c6a64-3b1e-4d55-9a0e-7d1c2b3a4f50"

static struct rop_ctx	ctx;

static void	 b64(const void *, size_t, char *);
static char	*forge(const char *, const char *, const char *, int);
static char	*claims(const char *, const char *, const char *, long long,
		    long long, const char *);
static int	 verify(const char *);
static void	 test_roundtrip(void);
static void	 test_shapes(void);
static void	 test_base64(void);
static void	 test_headers(void);
static void	 test_claims(void);
static void	 test_expiry(void);
static void	 test_table(void);
static void	 test_checks(void);
static void	 test_revocable(void);
static void	 test_caller(void);

/* Base64url without padding of buf[0..n) into out. */
static void
b64(const void *buf, size_t n, char *out)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char	*p = buf;
	size_t			 i, o = 0;
	unsigned long		 v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned long)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = a[v >> 6 & 63];
		if (i + 2 < n)
			out[o++] = a[v & 63];
	}
	out[o] = '\0';
}

/*
 * header.claims.HMAC(secret) with header and claims given as JSON
 * text; with "nolen" the claims text's length is taken up to its first
 * NUL only when 0 (else nolen bytes).  Caller frees.
 */
static char *
forge(const char *hdr, const char *cl, const char *secret, int clen)
{
	unsigned char	 mac[32];
	unsigned int	 maclen;
	size_t		 n = clen ? (size_t)clen : strlen(cl);
	char		*t;

	t = malloc(strlen(hdr) * 2 + n * 2 + 128);
	b64(hdr, strlen(hdr), t);
	strcat(t, ".");
	b64(cl, n, t + strlen(t));
	HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (unsigned char *)t, strlen(t), mac, &maclen);
	strcat(t, ".");
	b64(mac, sizeof(mac), t + strlen(t));
	return t;
}

static char *
claims(const char *sub, const char *rid, const char *role, long long iat,
    long long exp, const char *jti)
{
	char	*c = malloc(512);

	snprintf(c, 512, "{\"sub\":\"%s\",\"rid\":\"%s\",\"role\":\"%s\","
	    "\"iat\":%lld,\"exp\":%lld,\"jti\":\"%s\"}", sub, rid, role, iat,
	    exp, jti);
	return c;
}

/* 0 when accepted, else the HTTP status of the refusal. */
static int
verify(const char *tok)
{
	struct rop_principal	 p;

	rop_err_clear(&ctx.err);
	if (rop_auth_token(&ctx, tok, &p) == 0)
		return 0;
	return rop_status_http(ctx.err.status);
}

static void
test_roundtrip(void)
{
	struct rop_principal	 p;
	char			 tok[1024];
	int64_t			 exp = 0;
	int			 r;

	for (r = ROP_ROLE_ADMIN; r <= ROP_ROLE_KITCHEN; r++) {
		ok(rop_auth_issue_jwt(&ctx, "usr_1", "rst_001", (enum rop_role)r, tok,
		    sizeof(tok), &exp) == 0, "issue a %s token",
		    rop_role_name(r));
		ok(rop_auth_token(&ctx, tok, &p) == 0 && (int)p.role == r &&
		    strcmp(p.rid, "rst_001") == 0 &&
		    strcmp(p.sub, "usr_1") == 0 && p.tid[0] == '\0' &&
		    p.exp == exp, "%s token verifies with its claims",
		    rop_role_name(r));
	}
	ok(exp > time(NULL) + 3600, "expiry is the configured ttl ahead");
	ok(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37) == 0,
	    "header is {\"alg\":\"HS256\",\"typ\":\"JWT\"}");
	ok(rop_auth_issue_jwt(&ctx, "usr_1", "rst_001", ROP_ROLE_TABLE, tok,
	    sizeof(tok), &exp) == -1, "no JWT for the TABLE role");
	ok(rop_auth_issue_jwt(&ctx, "usr 1", "rst_001", ROP_ROLE_ADMIN, tok,
	    sizeof(tok), &exp) == -1, "no JWT for a bad subject");
	ok(rop_auth_issue_jwt(&ctx, "usr_1", "rst_001", ROP_ROLE_ADMIN, tok,
	    40, &exp) == -1, "a small buffer is an error, not an overflow");
	is_str(rop_role_name(ROP_ROLE_NONE), NULL, "no name for NONE");
	is_str(rop_role_name(ROP_ROLE__MAX), NULL, "no name out of range");
	is_int(rop_role_parse("MANAGER"), ROP_ROLE_MANAGER, "parse MANAGER");
	is_int(rop_role_parse("manager"), ROP_ROLE_NONE, "roles are exact");
	is_int(rop_role_parse("TABLE"), ROP_ROLE_NONE, "TABLE is not staff");
	is_int(rop_role_parse(NULL), ROP_ROLE_NONE, "NULL role");
}

static void
test_shapes(void)
{
	char	*big, tok[1024], *c;
	int64_t	 exp;

	rop_auth_issue_jwt(&ctx, "usr_1", "rst_001", ROP_ROLE_ADMIN, tok,
	    sizeof(tok), &exp);
	is_int(verify(NULL), 401, "NULL token");
	is_int(verify(""), 401, "empty token");
	is_int(verify("abc"), 401, "one part");
	is_int(verify("abc.def"), 401, "two parts");
	is_int(verify("a.b.c.d"), 401, "four parts");
	is_int(verify(".."), 401, "three empty parts");
	c = malloc(strlen(tok) + 8);
	sprintf(c, "%s.", tok);
	is_int(verify(c), 401, "a valid token plus a trailing dot");
	sprintf(c, "%s.x", tok);
	is_int(verify(c), 401, "a valid token plus a fourth part");
	sprintf(c, " %s", tok);
	is_int(verify(c), 401, "a leading space");
	free(c);
	big = malloc(100001);
	memset(big, 'A', 100000);
	big[100000] = '\0';
	big[30000] = '.';
	big[60000] = '.';
	is_int(verify(big), 401, "a 100 kB token");
	free(big);
	is_int(verify("t1."), 401, "table prefix alone");
	is_int(verify("t1.."), 401, "table token of empty parts");
	ok(verify(tok) == 0, "the original still verifies");
}

static void
test_base64(void)
{
	char	 tok[1024], *c;
	size_t	 n;
	int64_t	 exp;

	rop_auth_issue_jwt(&ctx, "usr_1", "rst_001", ROP_ROLE_ADMIN, tok,
	    sizeof(tok), &exp);
	n = strlen(tok);
	c = malloc(n + 8);
	strcpy(c, tok);
	c[n - 1] = c[n - 1] == 'A' ? 'B' : 'A';
	is_int(verify(c), 401, "tampered signature");
	strcpy(c, tok);
	strcat(c, "=");
	is_int(verify(c), 401, "padded signature");
	strcpy(c, tok);
	c[n - 1] = '\0';
	is_int(verify(c), 401, "truncated signature");
	strcpy(c, tok);
	c[40] = '+';
	is_int(verify(c), 401, "'+' (standard alphabet) in the claims");
	strcpy(c, tok);
	c[40] = '/';
	is_int(verify(c), 401, "'/' in the claims");
	strcpy(c, tok);
	c[40] = '%';
	is_int(verify(c), 401, "'%%' in the claims");
	strcpy(c, tok);
	c[5] = '\x80';
	is_int(verify(c), 401, "a high byte in the header");
	strcpy(c, tok);
	c[10] = c[10] == 'a' ? 'b' : 'a';
	is_int(verify(c), 401, "tampered header");
	strcpy(c, tok);
	c[45] = c[45] == 'a' ? 'b' : 'a';
	is_int(verify(c), 401, "tampered claims");
	free(c);
	/* "e30" is {} ; "e31" decodes to the same bytes non-canonically. */
	c = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{}", JWT_SECRET, 0);
	is_int(verify(c), 401, "empty claims");
	free(c);
}

static void
test_headers(void)
{
	static const char *const bad[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"None\"}",
		"{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
		"{\"alg\":\"HS384\"}",
		"{\"alg\":\"RS256\"}",
		"{\"alg\":\"hs256\"}",
		"{\"alg\":\"HS256 \"}",
		"{\"alg\":\"HS256\\u0000\"}",
		"{\"typ\":\"JWT\"}",
		"{}",
		"{\"alg\":256}",
		"{\"alg\":[\"HS256\"]}",
		"{\"alg\":null}",
		"{\"alg\":\"HS256\",\"typ\":\"JWS\"}",
		"{\"alg\":\"HS256\",\"kid\":\"1\"}",
		"{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
		"[\"HS256\"]",
		"\"HS256\"",
		"{\"alg\":\"HS256\"",
		"",
		NULL
	};
	char		*cl, *t;
	long long	 now = time(NULL);
	size_t		 i;

	cl = claims("usr_1", "rst_001", "ADMIN", now, now + 600, UUID);
	t = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", cl, JWT_SECRET, 0);
	is_int(verify(t), 0, "forged with the right secret: accepted");
	free(t);
	t = forge("{\"alg\":\"HS256\"}", cl, JWT_SECRET, 0);
	is_int(verify(t), 0, "typ is optional");
	free(t);
	for (i = 0; bad[i] != NULL; i++) {
		t = forge(bad[i], cl, JWT_SECRET, 0);
		is_int(verify(t), 401, bad[i][0] ? bad[i] : "(empty header)");
		free(t);
	}
	/* alg none with no signature at all. */
	t = malloc(1024);
	b64("{\"alg\":\"none\"}", 14, t);
	strcat(t, ".");
	b64(cl, strlen(cl), t + strlen(t));
	strcat(t, ".");
	is_int(verify(t), 401, "alg none without a signature");
	free(t);
	t = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", cl, "wrong-secret", 0);
	is_int(verify(t), 401, "signed with another secret");
	free(t);
	t = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", cl, TABLE_SECRET, 0);
	is_int(verify(t), 401, "signed with the table secret");
	free(t);
	free(cl);
}

static void
test_claims(void)
{
	static const char *const bad[] = {
		"{\"sub\":\"usr_1\",\"rid\":\"rst_001\",\"role\":\"ADMIN\",\"iat\":%lld,\"exp\":%lld}",
		"{\"sub\":\"usr_1\",\"rid\":\"rst_001\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"" UUID "\"}",
		"{\"sub\":\"usr_1\",\"rid\":\"rst_001\",\"role\":\"ADMIN\",\"iat\":%lld,\"exp\":\"%lld\",\"jti\":\"" UUID "\"}",
		"{\"sub\":\"usr_1\",\"rid\":\"rst_001\",\"role\":\"ADMIN\",\"iat\":%lld,\"exp\":%lld.5,\"jti\":\"" UUID "\"}",
		"{\"sub\":\"usr_1\",\"rid\":\"rst_001\",\"role\":\"ADMIN\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"" UUID "\",\"admin\":true}",
		"{\"sub\":1,\"rid\":\"rst_001\",\"role\":\"ADMIN\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"" UUID "\"}",
		"{\"sub\":\"usr_1\",\"rid\":[\"rst_001\"],\"role\":\"ADMIN\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"" UUID "\"}",
		"{\"sub\":\"usr_1\",\"rid\":\"rst_001\",\"role\":null,\"iat\":%lld,\"exp\":%lld,\"jti\":\"" UUID "\"}",
		"{\"sub\":\"usr_1\",\"rid\":\"rst_001\",\"role\":\"ADMIN\",\"iat\":\"%lld\",\"exp\":%lld,\"jti\":\"" UUID "\"}",
		"{\"sub\":\"usr_1\",\"rid\":\"rst_001\",\"role\":\"ADMIN\",\"iat\":%lld,\"exp\":%lld,\"jti\":42}",
		"[\"usr_1\",\"rst_001\",\"ADMIN\",%lld,%lld]",
		"{\"sub\":\"usr_1\",\"rid\":\"rst_001\",\"role\":\"ADMIN\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"" UUID "\"",
		NULL
	};
	long long	 now = time(NULL);
	char		*cl, *t, buf[512];
	size_t		 i;

#define BADC(sub, rid, role, jti, name) do {				\
	cl = claims(sub, rid, role, now, now + 600, jti);		\
	t = forge("{\"alg\":\"HS256\"}", cl, JWT_SECRET, 0);		\
	is_int(verify(t), 401, name);					\
	free(t);							\
	free(cl);							\
} while (0)
	BADC("usr_1", "rst_001", "TABLE", UUID, "role TABLE in a JWT");
	BADC("usr_1", "rst_001", "OWNER", UUID, "unknown role");
	BADC("usr_1", "rst_001", "admin", UUID, "lower-case role");
	BADC("usr_1", "rst 001", "ADMIN", UUID, "rid with a space");
	BADC("usr_1", "", "ADMIN", UUID, "empty rid");
	BADC("usr_1", "rst_001/../x", "ADMIN", UUID, "rid with a path");
	BADC("", "rst_001", "ADMIN", UUID, "empty sub");
	BADC("usr_1", "rst_001", "ADMIN", "not-a-uuid", "jti not a UUID");
	BADC("usr_1\\u0000x", "rst_001", "ADMIN", UUID, "NUL escape in sub");
	BADC("usr_1", "rst_001", "ADMIN\\u0000", UUID, "NUL escape in role");
#undef BADC
	for (i = 0; bad[i] != NULL; i++) {
		snprintf(buf, sizeof(buf), bad[i], now, now + 600);
		t = forge("{\"alg\":\"HS256\"}", buf, JWT_SECRET, 0);
		is_int(verify(t), 401, "ill-typed claims");
		diag("claims: %s", buf);
		free(t);
	}
	/* Raw NUL bytes inside the signed claims. */
	cl = claims("usr_1", "rst_001", "ADMIN", now, now + 600, UUID);
	memcpy(buf, cl, strlen(cl) + 1);
	buf[strlen(cl)] = '\0';
	t = forge("{\"alg\":\"HS256\"}", buf, JWT_SECRET,
	    (int)strlen(cl) + 1);
	is_int(verify(t), 401, "a raw NUL byte after the claims");
	free(t);
	buf[8] = '\0';
	t = forge("{\"alg\":\"HS256\"}", buf, JWT_SECRET, (int)strlen(cl));
	is_int(verify(t), 401, "a raw NUL byte inside the claims");
	free(t);
	free(cl);
}

static void
test_expiry(void)
{
	long long	 now = time(NULL);
	char		*cl, *t;

#define EXPC(iat, exp, want, name) do {					\
	cl = claims("usr_1", "rst_001", "WAITER", iat, exp, UUID);	\
	t = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", cl, JWT_SECRET, 0); \
	is_int(verify(t), want, name);					\
	free(t);							\
	free(cl);							\
} while (0)
	EXPC(now - 7200, now - 3600, 401, "expired an hour ago");
	EXPC(now - 7200, now - 60, 401, "expired a minute ago");
	EXPC(now - 7200, now - 2, 0, "expired 2 s ago: within the leeway");
	EXPC(now + 3600, now + 7200, 0, "iat in the future is fine");
	EXPC(now, 0, 401, "exp 0");
	EXPC(now, -5, 401, "negative exp");
	EXPC(-1, now + 60, 401, "negative iat");
	EXPC(now, 9223372036854775807LL, 401, "exp at INT64_MAX");
#undef EXPC
}

/*
 * What revocation relies on (SPEC §16.24): the issue millisecond in a
 * UUIDv7 jti (a v4 jti counts as the last millisecond of its iat) and
 * the table token's QR generation.
 */
static void
test_revocable(void)
{
	struct rop_principal	 p;
	char			 tok[1024], tok0[512], *cl, *t;
	int64_t			 exp, ms = (int64_t)time(NULL) * 1000 + 123;

	ok(rop_auth_issue_jwt_at(&ctx, "usr_1", "rst_001", ROP_ROLE_WAITER,
	    ms, tok, sizeof(tok), &exp) == 0 &&
	    rop_auth_token(&ctx, tok, &p) == 0, "issue at a millisecond");
	is_int(p.iat_ms, ms, "the jti carries the issue millisecond");
	ok(p.jti[14] == '7' && strlen(p.jti) == 36, "jti is a UUIDv7: %s",
	    p.jti);
	is_int(exp, ms / 1000 + ctx.cfg.token_ttl, "exp from the iat second");
	cl = claims("usr_1", "rst_001", "ADMIN", ms / 1000, ms / 1000 + 600,
	    UUID);
	t = forge("{\"alg\":\"HS256\"}", cl, JWT_SECRET, 0);
	ok(rop_auth_token(&ctx, t, &p) == 0 &&
	    p.iat_ms == ms / 1000 * 1000 + 999 &&
	    strcmp(p.jti, UUID) == 0,
	    "a v4 jti: the last millisecond of its iat second");
	free(t);
	free(cl);
	ok(rop_auth_issue_table_gen(&ctx, "rst_001", "tbl_001", 0, 7, tok,
	    sizeof(tok)) == 0 && rop_auth_token(&ctx, tok, &p) == 0 &&
	    p.gen == 7 && strcmp(p.tid, "tbl_001") == 0,
	    "a table token carries its generation");
	ok(rop_auth_issue_table_gen(&ctx, "rst_001", "tbl_001", 0, 0, tok,
	    sizeof(tok)) == 0 && rop_auth_issue_table(&ctx, "rst_001",
	    "tbl_001", 0, tok0, sizeof(tok0)) == 0 && strcmp(tok, tok0) == 0 &&
	    rop_auth_token(&ctx, tok, &p) == 0 && p.gen == 0,
	    "generation 0 is the token format from before generations");
	ok(rop_auth_issue_table_gen(&ctx, "rst_001", "tbl_001", 0, -1, tok,
	    sizeof(tok)) == -1, "no negative generation");
}

static void
test_table(void)
{
	struct rop_principal	 p;
	char			 tok[512], *c, raw[128], enc[256];
	unsigned char		 mac[32];
	unsigned int		 maclen;
	long long		 now = time(NULL);

	ok(rop_auth_issue_table(&ctx, "rst_001", "tbl_001", 0, tok,
	    sizeof(tok)) == 0, "issue a table token");
	ok(strncmp(tok, "t1.", 3) == 0, "table token starts with t1.");
	ok(rop_auth_token(&ctx, tok, &p) == 0 && p.role == ROP_ROLE_TABLE &&
	    strcmp(p.rid, "rst_001") == 0 && strcmp(p.tid, "tbl_001") == 0 &&
	    p.exp == 0 && p.sub[0] == '\0', "table token verifies");
	c = strdup(tok);
	c[strlen(c) - 1] = c[strlen(c) - 1] == 'A' ? 'B' : 'A';
	is_int(verify(c), 401, "tampered table token signature");
	free(c);
	c = strdup(tok);
	c[0] = 'T';
	is_int(verify(c), 401, "T1 prefix is not a table token");
	free(c);
	ok(rop_auth_issue_table(&ctx, "rst_001", "tbl_002", now + 60, tok,
	    sizeof(tok)) == 0 && verify(tok) == 0, "unexpired table token");
	ok(rop_auth_issue_table(&ctx, "rst_001", "tbl_002", now - 60, tok,
	    sizeof(tok)) == 0 && verify(tok) == 401, "expired table token");
	ok(rop_auth_issue_table(&ctx, "rst 1", "tbl_002", 0, tok,
	    sizeof(tok)) == -1, "no table token for a bad restaurant id");
	ok(rop_auth_issue_table(&ctx, "rst_001", "tbl|2", 0, tok,
	    sizeof(tok)) == -1, "no table token for a table id with |");
	ok(rop_auth_issue_table(&ctx, "rst_001", "tbl_001", 0, tok,
	    10) == -1, "a small buffer is an error");

#define TBL(payload, secret, want, name) do {				\
	snprintf(raw, sizeof(raw), "%s", payload);			\
	strcpy(enc, "t1.");						\
	b64(raw, strlen(raw), enc + 3);					\
	HMAC(EVP_sha256(), secret, (int)strlen(secret),			\
	    (unsigned char *)enc, strlen(enc), mac, &maclen);		\
	strcat(enc, ".");						\
	b64(mac, sizeof(mac), enc + strlen(enc));			\
	is_int(verify(enc), want, name);				\
} while (0)
	TBL("rst_001|tbl_003|0", TABLE_SECRET, 0, "forged right: accepted");
	TBL("rst_001|tbl_003|0", JWT_SECRET, 401, "signed with the JWT secret");
	TBL("rst_001|tbl_003", TABLE_SECRET, 401, "no expiry field");
	TBL("rst_001|tbl_003|0|x", TABLE_SECRET, 401, "four fields");
	TBL("rst_001|tbl_003|007", TABLE_SECRET, 401, "leading zero expiry");
	TBL("rst_001|tbl_003|-1", TABLE_SECRET, 401, "negative expiry");
	TBL("rst_001|tbl_003|1e9", TABLE_SECRET, 401, "exponent expiry");
	TBL("rst_001|tbl_003| 0", TABLE_SECRET, 401, "space in expiry");
	TBL("rst_001|tbl 003|0", TABLE_SECRET, 401, "space in the table id");
	TBL("|tbl_003|0", TABLE_SECRET, 401, "empty restaurant");
	TBL("rst_001||0", TABLE_SECRET, 401, "empty table");
	TBL("", TABLE_SECRET, 401, "empty payload");
	TBL("rst_001|tbl_003|99999999999999999999", TABLE_SECRET, 401,
	    "20-digit expiry");
	TBL("rst_001|tbl_003|0|2", TABLE_SECRET, 0, "generation 2: accepted");
	TBL("rst_001|tbl_003|0|0", TABLE_SECRET, 401,
	    "generation 0 is written as no field");
	TBL("rst_001|tbl_003|0|02", TABLE_SECRET, 401, "leading zero generation");
	TBL("rst_001|tbl_003|0|-1", TABLE_SECRET, 401, "negative generation");
	TBL("rst_001|tbl_003|0|", TABLE_SECRET, 401, "empty generation");
	TBL("rst_001|tbl_003|0|1|1", TABLE_SECRET, 401, "five fields");
	TBL("rst_001|tbl_003|0|1234567890123456789", TABLE_SECRET, 401,
	    "19-digit generation");
#undef TBL
	/* A NUL byte inside the payload. */
	memcpy(raw, "rst_001\0|tbl|0", 14);
	strcpy(enc, "t1.");
	b64(raw, 14, enc + 3);
	HMAC(EVP_sha256(), TABLE_SECRET, (int)strlen(TABLE_SECRET),
	    (unsigned char *)enc, strlen(enc), mac, &maclen);
	strcat(enc, ".");
	b64(mac, sizeof(mac), enc + strlen(enc));
	is_int(verify(enc), 401, "NUL byte in the table payload");
}

static void
test_checks(void)
{
	struct rop_principal	 staff, guest;

	memset(&staff, 0, sizeof(staff));
	staff.role = ROP_ROLE_WAITER;
	strcpy(staff.rid, "rst_001");
	memset(&guest, 0, sizeof(guest));
	guest.role = ROP_ROLE_TABLE;
	strcpy(guest.rid, "rst_001");
	strcpy(guest.tid, "tbl_001");

	ok(rop_auth_tenant(&ctx, &staff, "rst_001", NULL) == 0, "own tenant");
	ok(rop_auth_tenant(&ctx, &staff, "rst_002", "RESTAURANT_NOT_FOUND") ==
	    -1 && rop_status_http(ctx.err.status) == 404 &&
	    strcmp(ctx.err.code, "RESTAURANT_NOT_FOUND") == 0,
	    "other tenant: 404 with the given code");
	ok(rop_auth_tenant(&ctx, &staff, "rst_002", NULL) == -1 &&
	    strcmp(ctx.err.code, "NOT_FOUND") == 0, "default code NOT_FOUND");
	ok(rop_auth_allow(&ctx, &staff, ROP_RS_FLOOR, NULL) == 0,
	    "waiter on the floor");
	ok(rop_auth_allow(&ctx, &staff, ROP_RS_MANAGE, NULL) == -1 &&
	    rop_status_http(ctx.err.status) == 403, "waiter may not manage");
	ok(rop_auth_allow(&ctx, &guest, ROP_RS_FLOOR | ROP_RS_GUEST,
	    "tbl_001") == 0, "guest at its own table");
	ok(rop_auth_allow(&ctx, &guest, ROP_RS_FLOOR | ROP_RS_GUEST,
	    "tbl_002") == -1 && rop_status_http(ctx.err.status) == 403,
	    "guest at another table: 403");
	ok(rop_auth_allow(&ctx, &guest, ROP_RS_STAFF, NULL) == -1,
	    "guest is not staff");
	staff.role = ROP_ROLE_NONE;
	ok(rop_auth_allow(&ctx, &staff, ~0u, NULL) == -1, "no role: 403");
}

static void
test_caller(void)
{
	struct rop_principal	 p;
	struct rop_req		 req;
	char			 tok[1024], hdr[1100], q[1100];
	char			*env[3];
	int64_t			 exp;

	rop_auth_issue_jwt(&ctx, "usr_1", "rst_002", ROP_ROLE_KITCHEN, tok,
	    sizeof(tok), &exp);
	memset(&req, 0, sizeof(req));
	req.query = "";
	env[0] = NULL;
	req.envp = env;
	ok(rop_auth_caller(&ctx, &req, 1, &p) == -1 &&
	    rop_status_http(ctx.err.status) == 401, "no token: 401");

	snprintf(hdr, sizeof(hdr), "HTTP_AUTHORIZATION=Bearer %s", tok);
	env[0] = hdr;
	env[1] = NULL;
	ok(rop_auth_caller(&ctx, &req, 0, &p) == 0 &&
	    p.role == ROP_ROLE_KITCHEN && strcmp(p.rid, "rst_002") == 0,
	    "bearer header");
	snprintf(hdr, sizeof(hdr), "HTTP_AUTHORIZATION=bearer   %s  ", tok);
	ok(rop_auth_caller(&ctx, &req, 0, &p) == 0,
	    "scheme is case-insensitive, spaces trimmed");
	snprintf(hdr, sizeof(hdr), "HTTP_AUTHORIZATION=Basic %s", tok);
	ok(rop_auth_caller(&ctx, &req, 1, &p) == -1, "Basic scheme: 401");
	snprintf(hdr, sizeof(hdr), "HTTP_AUTHORIZATION=Bearer");
	ok(rop_auth_caller(&ctx, &req, 1, &p) == -1, "Bearer alone: 401");

	env[0] = NULL;
	snprintf(q, sizeof(q), "restaurant_id=rst_002&access_token=%s", tok);
	req.query = q;
	ok(rop_auth_caller(&ctx, &req, 0, &p) == -1,
	    "query token refused unless allowed");
	ok(rop_auth_caller(&ctx, &req, 1, &p) == 0, "query token allowed");
	req.query = "access_token=%zz";
	ok(rop_auth_caller(&ctx, &req, 1, &p) == -1, "bad escape: 401");
	req.query = "access_token=";
	ok(rop_auth_caller(&ctx, &req, 1, &p) == -1, "empty token: 401");
}

int
main(void)
{
	memset(&ctx, 0, sizeof(ctx));
	ctx.app = "unit";
	snprintf(ctx.cfg.jwt_secret, sizeof(ctx.cfg.jwt_secret), "%s",
	    JWT_SECRET);
	snprintf(ctx.cfg.table_secret, sizeof(ctx.cfg.table_secret), "%s",
	    TABLE_SECRET);
	ctx.cfg.token_ttl = 12 * 3600;

	test_roundtrip();
	test_shapes();
	test_base64();
	test_headers();
	test_claims();
	test_expiry();
	test_table();
	test_checks();
	test_caller();
	test_revocable();

	/* Without secrets nothing verifies and nothing is issued. */
	{
		char	 tok[1024];
		int64_t	 exp;

		rop_auth_issue_jwt(&ctx, "usr_1", "rst_001", ROP_ROLE_ADMIN,
		    tok, sizeof(tok), &exp);
		ctx.cfg.jwt_secret[0] = '\0';
		is_int(verify(tok), 401, "no JWT secret: nothing verifies");
		ok(rop_auth_issue_jwt(&ctx, "usr_1", "rst_001",
		    ROP_ROLE_ADMIN, tok, sizeof(tok), &exp) == -1,
		    "no JWT secret: nothing is issued");
	}
	return tap_done();
}
