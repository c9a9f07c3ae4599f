/*
 * rop_password: yescrypt hashes through libcrypt.
 */
#include <openssl/crypto.h>

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "rop_id.h"
#include "rop_password.h"

#define PW_PREFIX	"$y$"

/*
 * A real yescrypt hash (of a password nobody knows) at libxcrypt's
 * default cost "j9T", the cost crypt_gensalt_rn() picks for new hashes;
 * tests/unit/password.c checks the two still agree.
 */
static const char pw_dummy[] =
    "$y$j9T$FsmnMCWgYMcdmv32sI1Pt.$cZLSoBrq88oi05XH1ERiFUG/n6MyBpSlWR.p5m0wew6";

static int	pw_crypt(const char *, const char *, char *, size_t);

/*
 * crypt_r() into out; the crypt_data area is about 32 KiB, so it is
 * allocated rather than put on a worker's stack.  Returns 0 or -1.
 */
static int
pw_crypt(const char *pw, const char *setting, char *out, size_t outsz)
{
	struct crypt_data	*cd;
	const char		*h;
	int			 rc = -1;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	h = crypt_r(pw, setting, cd);
	/* libxcrypt fails with NULL or a string starting with '*'. */
	if (h != NULL && h[0] != '*' && strlen(h) < outsz) {
		memcpy(out, h, strlen(h) + 1);
		rc = 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

int
rop_password_hash(const char *pw, char *hash, size_t hashsz)
{
	char		 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	unsigned char	 rnd[32];
	size_t		 len = strlen(pw);

	if (len == 0 || len > ROP_PASSWORD_MAX)
		return -1;
	if (rop_id_random(rnd, sizeof(rnd)) == -1)
		return -1;
	if (crypt_gensalt_rn(PW_PREFIX, 0, (const char *)rnd, sizeof(rnd),
	    salt, sizeof(salt)) == NULL)
		return -1;
	return pw_crypt(pw, salt, hash, hashsz);
}

int
rop_password_check(const char *pw, const char *hash)
{
	char	 out[ROP_PASSWORD_HASHSZ];
	size_t	 len;
	int	 usable;

	usable = hash != NULL && strncmp(hash, PW_PREFIX, 3) == 0 &&
	    strlen(hash) < sizeof(out);
	if (strlen(pw) > ROP_PASSWORD_MAX)
		pw = "";
	if (pw_crypt(pw, usable ? hash : pw_dummy, out, sizeof(out)) == -1)
		return 0;
	if (!usable)
		return 0;
	len = strlen(hash);
	return strlen(out) == len && CRYPTO_memcmp(out, hash, len) == 0;
}

const char *
rop_password_dummy(void)
{
	return pw_dummy;
}
