/*
 * rop_b64: base64url without padding.
 */
#include <stdint.h>

#include "rop_b64.h"

static const char alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int	b64url_val(int);

int
rop_b64url_encode(const unsigned char *in, size_t n, char *out,
    size_t outsz)
{
	size_t		 i, o = 0;
	uint32_t	 v;

	if (n > (SIZE_MAX - 3) / 4 * 3 || ROP_B64URL_LEN(n) + 1 > outsz)
		return -1;
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
	}
	out[o] = '\0';
	return (int)o;
}

static int
b64url_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
rop_b64url_decode(const char *in, size_t n, unsigned char *out,
    size_t outsz, size_t *outlen)
{
	size_t		 i, o = 0, rem = n % 4;
	uint32_t	 v = 0;
	int		 d, k = 0;

	if (rem == 1 || n / 4 * 3 + (rem ? rem - 1 : 0) > outsz)
		return -1;
	for (i = 0; i < n; i++) {
		if ((d = b64url_val((unsigned char)in[i])) < 0)
			return -1;
		v = v << 6 | (uint32_t)d;
		if (++k == 4) {
			out[o++] = (unsigned char)(v >> 16);
			out[o++] = (unsigned char)(v >> 8);
			out[o++] = (unsigned char)v;
			v = 0;
			k = 0;
		}
	}
	if (k == 2) {
		if (v & 0xf)
			return -1;
		out[o++] = (unsigned char)(v >> 4);
	} else if (k == 3) {
		if (v & 0x3)
			return -1;
		out[o++] = (unsigned char)(v >> 10);
		out[o++] = (unsigned char)(v >> 2);
	}
	*outlen = o;
	return 0;
}
