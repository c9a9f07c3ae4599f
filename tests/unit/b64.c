/*
 * b64: rop_b64url_encode/decode, the one base64url of the tree, against
 * RFC 4648 §10's vectors (in the URL alphabet, without padding), the
 * strictness the token and cursor checks rely on, and buffer bounds.
 */
#include <stdio.h>
#include <string.h>

#include "rop_b64.h"
#include "../tap.h"

static const struct {
	const char	*raw, *enc;
} vec[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
};

static int
dec(const char *s, unsigned char *out, size_t outsz, size_t *len)
{
	return rop_b64url_decode(s, strlen(s), out, outsz, len);
}

int
main(void)
{
	unsigned char	 bin[256], back[256];
	char		 buf[512], name[64];
	size_t		 i, len;
	int		 n, bad;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		n = rop_b64url_encode((const unsigned char *)vec[i].raw,
		    strlen(vec[i].raw), buf, sizeof(buf));
		snprintf(name, sizeof(name), "encode \"%s\"", vec[i].raw);
		is_str(buf, vec[i].enc, name);
		is_int(n, (int)strlen(vec[i].enc), "its length");
		is_int(ROP_B64URL_LEN(strlen(vec[i].raw)),
		    (int)strlen(vec[i].enc), "ROP_B64URL_LEN");
		snprintf(name, sizeof(name), "decode \"%s\"", vec[i].enc);
		ok(dec(vec[i].enc, bin, sizeof(bin), &len) == 0 &&
		    len == strlen(vec[i].raw) &&
		    memcmp(bin, vec[i].raw, len) == 0, name);
	}

	/* The URL alphabet: 62 and 63 are '-' and '_', never '+' '/'. */
	bin[0] = 0xfb;
	bin[1] = 0xff;
	bin[2] = 0xbf;
	rop_b64url_encode(bin, 3, buf, sizeof(buf));
	is_str(buf, "-_-_", "0xfbffbf is -_-_");
	ok(dec("+/+/", back, sizeof(back), &len) == -1, "'+' and '/' refused");

	/* Strict: one encoding per byte string. */
	ok(dec("Zg==", back, sizeof(back), &len) == -1, "padding refused");
	ok(dec("Zh", back, sizeof(back), &len) == -1,
	    "non-zero trailing bits (1 byte) refused");
	ok(dec("Zm9", back, sizeof(back), &len) == -1,
	    "non-zero trailing bits (2 bytes) refused");
	ok(dec("Z", back, sizeof(back), &len) == -1, "length 1 mod 4 refused");
	ok(dec("Zm9vY", back, sizeof(back), &len) == -1,
	    "length 5 refused");
	ok(dec("Zm 9v", back, sizeof(back), &len) == -1, "space refused");
	ok(dec("Zm9v\n", back, sizeof(back), &len) == -1, "newline refused");
	ok(rop_b64url_decode("Zm\0v", 4, back, sizeof(back), &len) == -1,
	    "NUL refused");
	ok(dec("", back, sizeof(back), &len) == 0 && len == 0,
	    "empty decodes to nothing");

	/* Bounds: exactly enough is enough, one less is -1. */
	is_int(rop_b64url_encode((const unsigned char *)"foo", 3, buf, 5), 4,
	    "encode into exactly len + 1");
	is_int(rop_b64url_encode((const unsigned char *)"foo", 3, buf, 4), -1,
	    "encode without room for the NUL");
	is_int(rop_b64url_encode((const unsigned char *)"f", 1, buf, 3), 2,
	    "short tail into exactly len + 1");
	is_int(rop_b64url_encode((const unsigned char *)"", 0, buf, 0), -1,
	    "nothing into nothing: no room for the NUL");
	ok(dec("Zm9vYmFy", back, 6, &len) == 0 && len == 6,
	    "decode into exactly its length");
	ok(dec("Zm9vYmFy", back, 5, &len) == -1, "decode into one less");
	ok(dec("Zm9vYg", back, 4, &len) == 0 && len == 4,
	    "tail decode into exactly its length");
	ok(dec("Zm9vYg", back, 3, &len) == -1, "tail decode into one less");

	/* Every length 0..255 of every byte value round-trips. */
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7 + 3);
	bad = 0;
	for (i = 0; i <= sizeof(bin); i++) {
		n = rop_b64url_encode(bin, i, buf, sizeof(buf));
		if (n != (int)ROP_B64URL_LEN(i) ||
		    rop_b64url_decode(buf, (size_t)n, back, sizeof(back),
		    &len) == -1 || len != i || memcmp(bin, back, i) != 0)
			bad++;
	}
	is_int(bad, 0, "round trip of 0..256 bytes");
	return tap_done();
}
