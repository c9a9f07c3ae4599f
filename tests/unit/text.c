/*
 * text: UTF-8 length in code points and the identifier syntaxes of
 * lib/domain/rop_text (SPEC §2 path ids, §9.6 request ids, §9.7
 * Idempotency-Key), at their boundaries.
 */
#include <stdio.h>
#include <string.h>

#include "domain/rop_text.h"
#include "../tap.h"

static const char	*rep(int, char);

/* A static string of n copies of c (n < 300). */
static const char *
rep(int n, char c)
{
	static char	 buf[300];

	memset(buf, c, (size_t)n);
	buf[n] = '\0';
	return buf;
}

#define U8LEN(lit)	rop_text_utf8_len((lit), sizeof(lit) - 1)

int
main(void)
{
	char	 buf[300];
	int	 c, bad;

	is_int(U8LEN(""), 0, "utf8_len of empty");
	is_int(U8LEN("abc"), 3, "ASCII counts bytes");
	is_int(U8LEN("caf\xc3\xa9"), 4, "2-byte sequence is one character");
	is_int(U8LEN("\xe2\x82\xac"), 1, "3-byte sequence is one character");
	is_int(U8LEN("\xf0\x9f\x8d\x95\xf0\x9f\x8d\x95"), 2,
	    "emoji count one each");
	is_int(U8LEN("\xc2\x80"), 1, "U+0080, smallest 2-byte");
	is_int(U8LEN("\xdf\xbf"), 1, "U+07FF, largest 2-byte");
	is_int(U8LEN("\xe0\xa0\x80"), 1, "U+0800, smallest 3-byte");
	is_int(U8LEN("\xef\xbf\xbf"), 1, "U+FFFF");
	is_int(U8LEN("\xf0\x90\x80\x80"), 1, "U+10000, smallest 4-byte");
	is_int(U8LEN("\xf4\x8f\xbf\xbf"), 1, "U+10FFFF, largest");
	is_int(U8LEN("\xed\x9f\xbf"), 1, "U+D7FF below the surrogates");
	is_int(U8LEN("\xee\x80\x80"), 1, "U+E000 above the surrogates");
	is_int(rop_text_utf8_len("a\0b", 3), 3, "NUL is one character");
	is_int(U8LEN("\xc0\x80"), -1, "overlong NUL refused");
	is_int(U8LEN("\xc1\xbf"), -1, "overlong C1 refused");
	is_int(U8LEN("\xe0\x9f\xbf"), -1, "overlong 3-byte refused");
	is_int(U8LEN("\xf0\x8f\xbf\xbf"), -1, "overlong 4-byte refused");
	is_int(U8LEN("\xed\xa0\x80"), -1, "U+D800 refused");
	is_int(U8LEN("\xed\xbf\xbf"), -1, "U+DFFF refused");
	is_int(U8LEN("\xf4\x90\x80\x80"), -1, "U+110000 refused");
	is_int(U8LEN("\xf5\x80\x80\x80"), -1, "F5 refused");
	is_int(U8LEN("\xf8\x88\x80\x80\x80"), -1, "5-byte form refused");
	is_int(U8LEN("\xfe"), -1, "FE refused");
	is_int(U8LEN("\xff"), -1, "FF refused");
	is_int(U8LEN("\x80"), -1, "lone continuation refused");
	is_int(U8LEN("a\xc3"), -1, "truncated 2-byte at the end");
	is_int(U8LEN("\xe2\x82"), -1, "truncated 3-byte at the end");
	is_int(U8LEN("\xf0\x9f\x8d"), -1, "truncated 4-byte at the end");
	is_int(U8LEN("\xe2\x82x"), -1, "3-byte cut by ASCII");
	is_int(U8LEN("\xc3\xc3\xa9"), -1, "lead byte where continuation due");
	/* len bounds the scan: a valid prefix of a longer string. */
	is_int(rop_text_utf8_len("ab\xc3\xa9", 2), 2, "len is honoured");
	is_int(rop_text_utf8_len("ab\xc3\xa9", 3), -1,
	    "len cutting a sequence refuses it");

	/* Resource ids: [A-Za-z0-9_-]{1,64}. */
	ok(rop_text_is_id("rst_001"), "rst_001 is an id");
	ok(rop_text_is_id("ord_01JABCDEF-xyz"), "letters, digits, _ and -");
	ok(rop_text_is_id("a"), "one character");
	ok(rop_text_is_id(rep(64, 'x')), "64 characters");
	ok(!rop_text_is_id(rep(65, 'x')), "65 characters refused");
	ok(!rop_text_is_id(""), "empty refused");
	ok(!rop_text_is_id(NULL), "NULL refused");
	ok(!rop_text_is_id("a.b"), "dot refused in ids");
	ok(!rop_text_is_id("a b"), "space refused");
	ok(!rop_text_is_id("a/b"), "slash refused");
	ok(!rop_text_is_id("a%2f"), "percent refused");
	ok(!rop_text_is_id("caf\xc3\xa9"), "non-ASCII refused");
	bad = 0;
	for (c = 1; c < 256; c++) {
		int want = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-';

		buf[0] = 'x';
		buf[1] = (char)c;
		buf[2] = '\0';
		if (rop_text_is_id(buf) != want)
			bad++;
	}
	is_int(bad, 0, "every byte value classified as the id regex says");

	/* Request ids: [A-Za-z0-9._:-]{1,128}. */
	ok(rop_text_is_request_id("req-1.2:3_x"), "request id charset");
	ok(rop_text_is_request_id(rep(128, 'r')), "128 characters");
	ok(!rop_text_is_request_id(rep(129, 'r')), "129 characters refused");
	ok(!rop_text_is_request_id(rep(130, 'r')), "130 characters refused");
	ok(!rop_text_is_request_id(""), "empty request id refused");
	ok(!rop_text_is_request_id(NULL), "NULL request id refused");
	ok(!rop_text_is_request_id("has space"), "space refused");
	ok(!rop_text_is_request_id("a\r\nSet-Cookie: x"),
	    "header injection refused");
	ok(!rop_text_is_request_id("a\"b"), "quote refused");
	ok(!rop_text_is_request_id("a/b"), "slash refused");
	bad = 0;
	for (c = 1; c < 256; c++) {
		int want = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    c == '.' || c == ':';

		buf[0] = (char)c;
		buf[1] = '\0';
		if (rop_text_is_request_id(buf) != want)
			bad++;
	}
	is_int(bad, 0, "every byte value classified as the request id regex");

	/* Idempotency keys: 1..128 printable ASCII. */
	ok(rop_text_is_idem_key("k"), "one-character key");
	ok(rop_text_is_idem_key("order 42 / retry #1 ~!"),
	    "spaces and punctuation are printable");
	ok(rop_text_is_idem_key(rep(128, 'k')), "128-character key");
	ok(!rop_text_is_idem_key(rep(129, 'k')), "129-character key refused");
	ok(!rop_text_is_idem_key(""), "empty key refused");
	ok(!rop_text_is_idem_key(NULL), "NULL key refused");
	ok(!rop_text_is_idem_key("a\tb"), "tab refused");
	ok(!rop_text_is_idem_key("a\x7f"), "DEL refused");
	ok(!rop_text_is_idem_key("caf\xc3\xa9"), "non-ASCII refused");
	ok(rop_text_is_idem_key(" "), "a single space is printable");
	ok(rop_text_is_idem_key("~"), "0x7e is printable");
	ok(!rop_text_is_idem_key("\x1f"), "0x1f refused");
	return tap_done();
}
