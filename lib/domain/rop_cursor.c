/*
 * rop_cursor: "v1.<ms>.<orderId>" in base64url.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_cursor.h"
#include "rop_text.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int	b64val(int);

static int
b64val(int c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return -1;
	return (int)(p - b64);
}

int
rop_cursor_encode(char *buf, int64_t ms, const char *order_id)
{
	char		 raw[96];
	size_t		 n, i, j = 0;
	unsigned int	 v;
	int		 len;

	/* A time before the epoch is no createdAt: decode would refuse it. */
	if (ms < 0)
		return -1;
	len = snprintf(raw, sizeof(raw), "v1.%lld.%s", (long long)ms, order_id);
	if (len < 0 || (size_t)len >= sizeof(raw) || !rop_text_is_id(order_id))
		return -1;
	n = (size_t)len;
	for (i = 0; i < n; i += 3) {
		v = (unsigned char)raw[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)raw[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)raw[i + 2];
		buf[j++] = b64[(v >> 18) & 63];
		buf[j++] = b64[(v >> 12) & 63];
		if (i + 1 < n)
			buf[j++] = b64[(v >> 6) & 63];
		if (i + 2 < n)
			buf[j++] = b64[v & 63];
	}
	buf[j] = '\0';
	return 0;
}

int
rop_cursor_decode(const char *s, int64_t *ms, char *order_id)
{
	char		 raw[96], *end, *dot;
	size_t		 n = strlen(s), i, j = 0;
	unsigned int	 v;
	int		 k, d;
	long long	 t;

	if (n == 0 || n > 120 || n % 4 == 1)
		return -1;
	for (i = 0; i < n; i += 4) {
		v = 0;
		for (k = 0; k < 4; k++) {
			if (i + k < n) {
				if ((d = b64val((unsigned char)s[i + k])) < 0)
					return -1;
			} else
				d = 0;
			v = (v << 6) | (unsigned int)d;
		}
		raw[j++] = (char)(v >> 16);
		if (i + 2 < n)
			raw[j++] = (char)(v >> 8);
		if (i + 3 < n)
			raw[j++] = (char)v;
	}
	raw[j] = '\0';
	if (strlen(raw) != j || strncmp(raw, "v1.", 3) != 0)
		return -1;
	t = strtoll(raw + 3, &end, 10);
	if (end == raw + 3 || *end != '.' || t < 0 || raw[3] == '-')
		return -1;
	dot = end + 1;
	if (!rop_text_is_id(dot))
		return -1;
	/* Only the canonical encoding is accepted. */
	{
		char again[ROP_CURSOR_BUFSZ];

		if (rop_cursor_encode(again, t, dot) == -1 ||
		    strcmp(again, s) != 0)
			return -1;
	}
	*ms = t;
	memcpy(order_id, dot, strlen(dot) + 1);
	return 0;
}

int
rop_cursor_time_ok(int64_t ms)
{
	return ms >= ROP_CURSOR_MS_MIN && ms <= ROP_CURSOR_MS_MAX;
}
