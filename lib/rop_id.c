/*
 * rop_id: ULIDs and UUIDs.
 */
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rop_id.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const char hexdig[] = "0123456789abcdef";

int
rop_id_random(void *buf, size_t n)
{
	unsigned char	*p = buf;
	ssize_t		 r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
rop_id_new(char *buf, const char *prefix, int64_t ms)
{
	unsigned char	 rnd[10];
	char		 ulid[ROP_ULID_LEN + 1];
	uint64_t	 t = (uint64_t)ms & 0xFFFFFFFFFFFFULL;
	int		 i, bit;

	if (rop_id_random(rnd, sizeof(rnd)) == -1)
		return -1;
	/* 48 bits of time in 10 characters, most significant first. */
	for (i = 9; i >= 0; i--) {
		ulid[i] = crockford[t & 31];
		t >>= 5;
	}
	/* 80 random bits in 16 characters. */
	for (i = 0; i < 16; i++) {
		int v = 0, b;

		for (b = 0; b < 5; b++) {
			bit = i * 5 + b;
			v = (v << 1) | ((rnd[bit / 8] >> (7 - bit % 8)) & 1);
		}
		ulid[10 + i] = crockford[v];
	}
	ulid[ROP_ULID_LEN] = '\0';
	snprintf(buf, ROP_ID_BUFSZ, "%s%s", prefix, ulid);
	return 0;
}

int
rop_id_uuid(char *buf)
{
	unsigned char	 b[16];
	int		 i, j = 0;

	if (rop_id_random(b, sizeof(b)) == -1)
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[j++] = '-';
		buf[j++] = hexdig[b[i] >> 4];
		buf[j++] = hexdig[b[i] & 15];
	}
	buf[j] = '\0';
	return 0;
}

int
rop_id_hex(char *buf, size_t n)
{
	unsigned char	 b[64];
	size_t		 i;

	if (n > sizeof(b) || rop_id_random(b, n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		buf[2 * i] = hexdig[b[i] >> 4];
		buf[2 * i + 1] = hexdig[b[i] & 15];
	}
	buf[2 * n] = '\0';
	return 0;
}
