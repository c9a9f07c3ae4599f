/*
 * cursor: the opaque keyset cursor of the order lists (SPEC §6
 * Kitchen, §9.11): a round trip of (createdAt ms, orderId), URL-safe,
 * and decoding only what the encoder writes: not garbage, not padded
 * or otherwise non-canonical base64, not too long, not negative
 * times, not ids outside [A-Za-z0-9_-]{1,64}.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rop_cursor.h"
#include "../tap.h"

static int	dec_ok(const char *);
static void	b64url(const char *, char *);

/* 1 when s decodes. */
static int
dec_ok(const char *s)
{
	int64_t	 ms = -7;
	char	 id[65];

	return rop_cursor_decode(s, &ms, id) == 0;
}

/* Plain base64url without padding of raw, for hand-made cursors. */
static void
b64url(const char *raw, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_";
	size_t	 n = strlen(raw), i, j = 0;
	unsigned v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned char)raw[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)raw[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)raw[i + 2];
		out[j++] = t[(v >> 18) & 63];
		out[j++] = t[(v >> 12) & 63];
		if (i + 1 < n)
			out[j++] = t[(v >> 6) & 63];
		if (i + 2 < n)
			out[j++] = t[v & 63];
	}
	out[j] = '\0';
}

int
main(void)
{
	static const struct {
		int64_t		 ms;
		const char	*id;
	} rt[] = {
		{ 0, "a" },
		{ 1, "ord_01J00000000000000000000000" },
		{ 1771193400123LL, "ord_01KHF0ABCDEFGHJKMNPQRSTVWX" },
		{ 253402300799999LL, "ord_zz" },
		{ INT64_MAX, "x" },
		{ 42, "A-b_C-d_0123456789" },
		{ 1, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	};
	char		 buf[ROP_CURSOR_BUFSZ], raw[200], enc[300], id[65];
	char		 longid[80];
	int64_t		 ms;
	size_t		 i, n;
	int		 urlsafe;

	/* Round trips, URL-safe output. */
	for (i = 0; i < sizeof(rt) / sizeof(rt[0]); i++) {
		char name[160];

		snprintf(name, sizeof(name), "encode (%lld, %.20s)",
		    (long long)rt[i].ms, rt[i].id);
		is_int(rop_cursor_encode(buf, rt[i].ms, rt[i].id), 0, name);
		urlsafe = strspn(buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
		    "nopqrstuvwxyz0123456789-_") == strlen(buf);
		ok(urlsafe && strlen(buf) > 0 && strlen(buf) < ROP_CURSOR_BUFSZ,
		    "  URL-safe, no padding: %s", buf);
		ms = -1;
		memset(id, 'Z', sizeof(id));
		is_int(rop_cursor_decode(buf, &ms, id), 0, "  decodes");
		is_int(ms, rt[i].ms, "  same ms");
		is_str(id, rt[i].id, "  same id");
	}
	/* Distinct keys, distinct cursors. */
	{
		char	 a[ROP_CURSOR_BUFSZ], b[ROP_CURSOR_BUFSZ];

		rop_cursor_encode(a, 1000, "ord_a");
		rop_cursor_encode(b, 1001, "ord_a");
		ok(strcmp(a, b) != 0, "ms changes the cursor");
		rop_cursor_encode(b, 1000, "ord_b");
		ok(strcmp(a, b) != 0, "id changes the cursor");
	}

	/* Encoding refuses what decoding would refuse. */
	is_int(rop_cursor_encode(buf, 1, ""), -1, "encode: empty id");
	is_int(rop_cursor_encode(buf, 1, "ord.1"), -1, "encode: '.' in id");
	is_int(rop_cursor_encode(buf, 1, "ord 1"), -1, "encode: space in id");
	is_int(rop_cursor_encode(buf, 1, "ord/1"), -1, "encode: '/' in id");
	is_int(rop_cursor_encode(buf, 1, "ord\xc3\xa9"), -1,
	    "encode: non-ASCII id");
	memset(longid, 'a', 65);
	longid[65] = '\0';
	is_int(rop_cursor_encode(buf, 1, longid), -1, "encode: 65-char id");
	is_int(rop_cursor_encode(buf, -1, "ord_a"), -1, "encode: negative ms");
	is_int(rop_cursor_encode(buf, INT64_MIN, "ord_a"), -1,
	    "encode: INT64_MIN ms");

	/* Garbage. */
	ok(!dec_ok(""), "decode: empty");
	ok(!dec_ok("x"), "decode: one char");
	ok(!dec_ok("abc"), "decode: 'abc'");
	ok(!dec_ok("not a cursor"), "decode: spaces");
	ok(!dec_ok("%%%%"), "decode: '%%'");
	ok(!dec_ok("djEuMS5vcmRfYQ+/"), "decode: standard base64 alphabet");
	ok(!dec_ok("dj\nEuMS5vcmRfYQ"), "decode: a newline inside");
	ok(!dec_ok("djEuMS5vcmRfYQ "), "decode: trailing space");
	ok(!dec_ok("AAAAAAAA"), "decode: NUL bytes");
	b64url("v2.1.ord_a", enc);
	ok(!dec_ok(enc), "decode: another version (v2.1.ord_a)");
	b64url("1.ord_a", enc);
	ok(!dec_ok(enc), "decode: no version");
	b64url("v1.1", enc);
	ok(!dec_ok(enc), "decode: no id");
	b64url("v1.1.", enc);
	ok(!dec_ok(enc), "decode: empty id");
	b64url("v1..ord_a", enc);
	ok(!dec_ok(enc), "decode: empty ms");
	b64url("v1.x.ord_a", enc);
	ok(!dec_ok(enc), "decode: ms not a number");
	b64url("v1.1.5.ord_a", enc);
	ok(!dec_ok(enc), "decode: extra field ('.' in id)");

	/* Canonical-only: what decodes must be what encode writes. */
	b64url("v1.1.ord_a", enc);
	rop_cursor_encode(buf, 1, "ord_a");
	is_str(enc, buf, "the hand-made encoding is the canonical one");
	ok(dec_ok(enc), "decode: canonical hand-made cursor");
	b64url("v1.01.ord_a", enc);
	ok(!dec_ok(enc), "decode: leading zero in ms");
	b64url("v1.+1.ord_a", enc);
	ok(!dec_ok(enc), "decode: '+' before ms");
	b64url("v1. 1.ord_a", enc);
	ok(!dec_ok(enc), "decode: space before ms");
	b64url("v1.1 .ord_a", enc);
	ok(!dec_ok(enc), "decode: space after ms");
	b64url("v1.1.ord_a ", enc);
	ok(!dec_ok(enc), "decode: space after id");
	b64url("V1.1.ord_a", enc);
	ok(!dec_ok(enc), "decode: 'V1'");
	b64url("v1.99999999999999999999.ord_a", enc);
	ok(!dec_ok(enc), "decode: ms beyond int64");
	b64url("v1.9223372036854775807.ord_a", enc);
	ok(dec_ok(enc), "decode: ms = INT64_MAX");
	/* SPEC §16.28: the times a cursor may carry. */
	ok(!rop_cursor_time_ok(INT64_MAX), "time: INT64_MAX is out of range");
	ok(!rop_cursor_time_ok(0), "time: 1970 is out of range");
	ok(!rop_cursor_time_ok(946684799999LL),
	    "time: 1999-12-31T23:59:59.999Z is out of range");
	ok(rop_cursor_time_ok(946684800000LL), "time: 2000-01-01 is in range");
	ok(rop_cursor_time_ok(1771193400123LL), "time: 2026 is in range");
	ok(rop_cursor_time_ok(253402300799999LL),
	    "time: 9999-12-31T23:59:59.999Z is in range");
	ok(!rop_cursor_time_ok(253402300800000LL),
	    "time: 10000-01-01 is out of range");
	/* Non-zero leftover bits in the last character. */
	rop_cursor_encode(buf, 1, "ord_ab");	/* 11 bytes: 15 chars */
	n = strlen(buf);
	is_int(n % 4, 3, "(11 raw bytes give a 3-char tail)");
	ok(dec_ok(buf), "decode: the canonical tail");
	{
		static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijk"
		    "lmnopqrstuvwxyz0123456789-_";
		char	 alt[ROP_CURSOR_BUFSZ];

		memcpy(alt, buf, n + 1);
		alt[n - 1] = t[(strchr(t, buf[n - 1]) - t) | 1];
		ok(strcmp(alt, buf) == 0 || !dec_ok(alt),
		    "decode: leftover bits set in the last char");
		alt[n - 1] = t[(strchr(t, buf[n - 1]) - t) | 3];
		ok(strcmp(alt, buf) == 0 || !dec_ok(alt),
		    "decode: both leftover bits set");
	}

	/* Padding. */
	rop_cursor_encode(buf, 1, "ord_ab");
	snprintf(enc, sizeof(enc), "%s=", buf);
	ok(!dec_ok(enc), "decode: '=' padding");
	rop_cursor_encode(buf, 1, "ord_a");	/* 10 bytes: 14 chars */
	snprintf(enc, sizeof(enc), "%s==", buf);
	ok(!dec_ok(enc), "decode: '==' padding");
	snprintf(enc, sizeof(enc), "%s=", buf);
	ok(!dec_ok(enc), "decode: a single '=' where two belong");
	snprintf(enc, sizeof(enc), "%sA", buf);
	ok(!dec_ok(enc), "decode: an extra char (length %% 4 == 3 -> 0)");
	rop_cursor_encode(buf, 12, "ord_a");	/* 11 bytes: 15 chars */
	snprintf(enc, sizeof(enc), "%sA", buf);
	ok(!dec_ok(enc), "decode: an extra 'A' (NUL byte appended)");
	rop_cursor_encode(buf, 123, "ord_a");	/* 12 bytes: 16 chars */
	snprintf(enc, sizeof(enc), "%sA", buf);
	ok(!dec_ok(enc), "decode: length %% 4 == 1");
	buf[strlen(buf) - 1] = '\0';
	ok(!dec_ok(buf), "decode: truncated by one char");

	/* Too long. */
	memset(longid, 'a', 64);
	longid[64] = '\0';
	is_int(rop_cursor_encode(buf, INT64_MAX, longid), 0,
	    "encode: the longest cursor (INT64_MAX, 64-char id)");
	ok(dec_ok(buf), "decode: the longest cursor");
	diag("longest cursor: %zu chars", strlen(buf));
	snprintf(raw, sizeof(raw), "v1.1.%sa", longid);
	b64url(raw, enc);
	ok(!dec_ok(enc), "decode: a 65-char id");
	snprintf(raw, sizeof(raw), "v1.92233720368547758070.%s", longid);
	b64url(raw, enc);
	ok(!dec_ok(enc), "decode: over-long ms with a 64-char id");
	memset(enc, 'A', 200);
	enc[200] = '\0';
	ok(!dec_ok(enc), "decode: 200 chars");
	memset(enc, 'd', 124);
	enc[124] = '\0';
	ok(!dec_ok(enc), "decode: 124 chars");

	/* Negative ms. */
	b64url("v1.-1.ord_a", enc);
	ok(!dec_ok(enc), "decode: ms -1");
	b64url("v1.-0.ord_a", enc);
	ok(!dec_ok(enc), "decode: ms -0");
	b64url("v1.-9223372036854775808.ord_a", enc);
	ok(!dec_ok(enc), "decode: ms INT64_MIN");

	/* Bad id characters. */
	{
		static const char *const bad[] = { "ord$a", "ord a", "ord/a",
		    "ord+a", "ord%2Fa", "ord'a", "ord\"a", "ord\xc3\xa9",
		    "ord\ta", "ord=a", NULL };

		for (i = 0; bad[i] != NULL; i++) {
			snprintf(raw, sizeof(raw), "v1.1.%s", bad[i]);
			b64url(raw, enc);
			ok(!dec_ok(enc), "decode: id '%s'", bad[i]);
		}
	}
	/* A NUL inside the decoded text (the id would end early). */
	{
		char	 withnul[] = "v1.1.ord\0ab";
		char	 t[32];
		size_t	 k, j2 = 0;
		unsigned v;
		static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijk"
		    "lmnopqrstuvwxyz0123456789-_";

		n = sizeof(withnul) - 1;
		for (k = 0; k < n; k += 3) {
			v = (unsigned char)withnul[k] << 16;
			if (k + 1 < n)
				v |= (unsigned char)withnul[k + 1] << 8;
			if (k + 2 < n)
				v |= (unsigned char)withnul[k + 2];
			t[j2++] = tb[(v >> 18) & 63];
			t[j2++] = tb[(v >> 12) & 63];
			if (k + 1 < n)
				t[j2++] = tb[(v >> 6) & 63];
			if (k + 2 < n)
				t[j2++] = tb[v & 63];
		}
		t[j2] = '\0';
		ok(!dec_ok(t), "decode: a NUL byte inside");
	}
	/* A failed decode leaves the outputs alone. */
	ms = 77;
	strcpy(id, "keep");
	rop_cursor_decode("garbage!", &ms, id);
	ok(ms == 77 && strcmp(id, "keep") == 0,
	    "a failed decode writes nothing");
	return tap_done();
}
