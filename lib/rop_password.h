/*
 * rop_password: staff password hashes (SPEC §5), yescrypt through
 * libxcrypt's crypt_r(3).  Hashes are crypt(3) strings ("$y$j9T$...")
 * stored in users.password_hash; the cost is libxcrypt's default for
 * "$y$".  Checking a login against a user that does not exist runs the
 * same hash against a fixed dummy, so the two cases take as long.
 */
#ifndef ROP_PASSWORD_H
#define ROP_PASSWORD_H
/* layer: adapter */

#include <stddef.h>

#define ROP_PASSWORD_MAX	256	/* bytes of a password we hash */
#define ROP_PASSWORD_HASHSZ	256	/* room for any crypt(3) string */

/*
 * A yescrypt hash of "pw" with a fresh random salt into hash (size
 * >= ROP_PASSWORD_HASHSZ).  Returns 0 or -1 (no randomness, an empty
 * or overlong password, or libcrypt failed).
 */
int	 rop_password_hash(const char *pw, char *hash, size_t hashsz);

/*
 * 1 when "pw" matches "hash", else 0.  A NULL or unusable hash is
 * checked against the dummy hash first, so it costs the same, and
 * gives 0.
 */
int	 rop_password_check(const char *pw, const char *hash);

/* The dummy hash, for tests: same algorithm and cost as real ones. */
const char *rop_password_dummy(void);

#endif /* ROP_PASSWORD_H */
