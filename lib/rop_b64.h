/*
 * rop_b64: base64url (RFC 4648 §5) without padding, the one encoder
 * of the tree: JWTs and table tokens (rop_auth.c), order-list cursors
 * (rop_cursor.c).
 */
#ifndef ROP_B64_H
#define ROP_B64_H
/* layer: adapter */

#include <stddef.h>

/* The length of the encoding of n bytes (no padding, no NUL). */
#define ROP_B64URL_LEN(n)	(((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/*
 * Encode in[0..n) into out, NUL-terminated.  Returns the length, or -1
 * when out (outsz bytes) cannot hold it and its NUL.
 */
int	 rop_b64url_encode(const unsigned char *in, size_t n, char *out,
	    size_t outsz);
/*
 * Decode in[0..n), strictly: the URL alphabet only, no padding, no
 * whitespace, unused trailing bits zero, so every byte string has
 * exactly one encoding.  Writes at most outsz bytes (no NUL).  Returns
 * 0 with *outlen, or -1.
 */
int	 rop_b64url_decode(const char *in, size_t n, unsigned char *out,
	    size_t outsz, size_t *outlen);

#endif /* ROP_B64_H */
