/*
 * id: ULID resource ids (prefix + 26 Crockford base32 characters, a
 * 48-bit millisecond time first) and UUIDv4 event ids.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_id.h"
#include "../tap.h"

#define NIDS	10000

static int	is_crockford(const char *, size_t);
static int	cmp(const void *, const void *);
static uint64_t	ulid_time(const char *);

static const char crock[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int
is_crockford(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(crock, s[i]) == NULL)
			return 0;
	return 1;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Decode the 10 time characters of a bare ULID. */
static uint64_t
ulid_time(const char *u)
{
	uint64_t	 t = 0;
	int		 i;

	for (i = 0; i < 10; i++)
		t = t * 32 + (uint64_t)(strchr(crock, u[i]) - crock);
	return t;
}

int
main(void)
{
	char		 a[ROP_ID_BUFSZ], b[ROP_ID_BUFSZ], u[ROP_ID_BUFSZ];
	char		**ids;
	char		 hex[65];
	int64_t		 ms = 1771193400123LL;	/* 2026-02-15T22:10:00.123Z */
	int		 i, bad, dups, order;

	ok(rop_id_new(a, "ord_", ms) == 0, "rop_id_new succeeds");
	is_int(strlen(a), 4 + ROP_ULID_LEN, "prefix + 26 characters");
	ok(strncmp(a, "ord_", 4) == 0, "prefix kept: %s", a);
	ok(is_crockford(a + 4, ROP_ULID_LEN),
	    "Crockford base32 (no I, L, O, U, upper case)");
	ok(a[4] >= '0' && a[4] <= '7', "first character encodes 3 bits");
	is_int(ulid_time(a + 4), ms, "time prefix decodes to the ms");
	ok(rop_id_new(b, "", 0) == 0 && strlen(b) == ROP_ULID_LEN &&
	    strncmp(b, "0000000000", 10) == 0, "epoch: 10 zero characters");
	ok(rop_id_new(b, "", 0xFFFFFFFFFFFFLL) == 0 &&
	    strncmp(b, "7ZZZZZZZZZ", 10) == 0, "largest 48-bit time");
	ok(rop_id_new(b, "pay_", ms) == 0 && strncmp(a + 4, b + 4, 10) == 0 &&
	    strcmp(a + 14, b + 14) != 0,
	    "same ms: same time prefix, different randomness");

	/* Lexical order follows time, ms by ms, across carries. */
	order = 1;
	for (i = 0; i < 2000; i++) {
		int64_t	 t = ms + i * 997 - 1;

		if (rop_id_new(a, "x_", t) == -1 ||
		    rop_id_new(b, "x_", t + 1) == -1 ||
		    strncmp(a + 2, b + 2, 10) >= 0) {
			order = 0;
			diag("%s !< %s", a, b);
			break;
		}
	}
	ok(order, "time prefix strictly increases from one ms to the next");
	ok(rop_id_new(a, "", 31) == 0 && rop_id_new(b, "", 32) == 0 &&
	    strncmp(a, b, 10) < 0, "increases across a base32 carry");

	/* 10k ids: all well formed and distinct, even within one ms. */
	if ((ids = calloc(NIDS, sizeof(*ids))) == NULL)
		return 1;
	bad = 0;
	for (i = 0; i < NIDS; i++) {
		if ((ids[i] = malloc(ROP_ID_BUFSZ)) == NULL)
			return 1;
		if (rop_id_new(ids[i], "ses_", ms) == -1 ||
		    strlen(ids[i]) != 30 || !is_crockford(ids[i] + 4, 26))
			bad++;
	}
	is_int(bad, 0, "10000 ids well formed");
	qsort(ids, NIDS, sizeof(*ids), cmp);
	dups = 0;
	for (i = 1; i < NIDS; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0)
			dups++;
	is_int(dups, 0, "10000 ids in one ms are unique");
	for (i = 0; i < NIDS; i++)
		free(ids[i]);
	free(ids);

	/* UUIDv4. */
	bad = 0;
	for (i = 0; i < 1000; i++) {
		int	 j;

		if (rop_id_uuid(u) == -1 || strlen(u) != ROP_UUID_LEN) {
			bad++;
			continue;
		}
		for (j = 0; j < ROP_UUID_LEN; j++) {
			if (j == 8 || j == 13 || j == 18 || j == 23) {
				if (u[j] != '-')
					bad++;
			} else if (strchr("0123456789abcdef", u[j]) == NULL)
				bad++;
		}
		if (u[14] != '4')
			bad++;
		if (strchr("89ab", u[19]) == NULL)
			bad++;
	}
	is_int(bad, 0, "1000 UUIDs: 8-4-4-4-12 lower-case hex, version 4, "
	    "variant 10xx");
	ok(rop_id_uuid(a) == 0 && rop_id_uuid(b) == 0 && strcmp(a, b) != 0,
	    "two UUIDs differ");

	ok(rop_id_hex(hex, 32) == 0 && strlen(hex) == 64 &&
	    strspn(hex, "0123456789abcdef") == 64, "rop_id_hex(32): 64 hex");
	ok(rop_id_hex(hex, 65) == -1, "rop_id_hex refuses more than 64 bytes");
	ok(rop_id_random(hex, 0) == 0, "rop_id_random of 0 bytes");
	return tap_done();
}
