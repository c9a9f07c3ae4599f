/*
 * rop_cursor: "v1.<ms>.<orderId>" in base64url.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_b64.h"
#include "rop_cursor.h"
#include "domain/rop_text.h"

int
rop_cursor_encode(char *buf, int64_t ms, const char *order_id)
{
	char		 raw[96];
	int		 len;

	/* A time before the epoch is no createdAt: decode would refuse it. */
	if (ms < 0)
		return -1;
	len = snprintf(raw, sizeof(raw), "v1.%lld.%s", (long long)ms, order_id);
	if (len < 0 || (size_t)len >= sizeof(raw) || !rop_text_is_id(order_id))
		return -1;
	return rop_b64url_encode((const unsigned char *)raw, (size_t)len, buf,
	    ROP_CURSOR_BUFSZ) == -1 ? -1 : 0;
}

int
rop_cursor_decode(const char *s, int64_t *ms, char *order_id)
{
	char		 raw[96], *end, *dot;
	size_t		 n = strlen(s), j;
	long long	 t;

	if (n == 0 || n > 120 || rop_b64url_decode(s, n,
	    (unsigned char *)raw, sizeof(raw) - 1, &j) == -1)
		return -1;
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
