/*
 * regress_err_utf8: found by fuzz/json (issue 8).  An unknown field
 * whose name is long and not ASCII ({"ééé…":1}) was cut to the error's
 * message and details buffers in the middle of a code point, and the
 * 400 answer carried invalid UTF-8 in its JSON body.  Every string of
 * an error record must stay valid UTF-8, however it is truncated.
 */
#include <json-c/json.h>

#include <stdlib.h>
#include <string.h>

#include "rop_err.h"
#include "rop_json.h"
#include "domain/rop_text.h"
#include "../tap.h"

static int	utf8_ok(const char *);

static int
utf8_ok(const char *s)
{
	return rop_text_utf8_len(s, strlen(s)) >= 0;
}

int
main(void)
{
	static const char *const allowed[] = { "lines", NULL };
	struct rop_err		 e;
	struct json_object	*obj = NULL;
	char			 body[1024], val[300];
	size_t			 n = 0;
	int			 i, cut;

	/* {"é"×150:1}: the name is 300 bytes, every cut can split it. */
	body[n++] = '{';
	body[n++] = '"';
	for (i = 0; i < 150; i++) {
		body[n++] = (char)0xc3;
		body[n++] = (char)0xa9;
	}
	memcpy(body + n, "\":1}", 5);
	n += 4;
	memset(&e, 0, sizeof(e));
	ok(rop_json_parse(&e, body, n, &obj) == 0, "long non-ASCII key parses");
	memset(&e, 0, sizeof(e));
	ok(rop_json_only(&e, obj, "", allowed) == -1, "unknown field refused");
	is_str(e.code, "VALIDATION_ERROR", "VALIDATION_ERROR");
	ok(utf8_ok(e.msg), "message is UTF-8");
	ok(e.ndetails == 1 && utf8_ok(e.details[0].str),
	    "details.field is UTF-8");
	ok(strncmp(e.details[0].str, "\xc3\xa9\xc3\xa9", 4) == 0,
	    "details.field still starts with the name");
	json_object_put(obj);

	/* Every cut of a 3-byte sequence at the detail's 127-byte limit. */
	for (cut = 0; cut < 3; cut++) {
		memset(val, 'a', sizeof(val));
		memcpy(val + 125 + cut, "\xe2\x82\xac", 3);	/* € */
		val[200] = '\0';
		memset(&e, 0, sizeof(e));
		rop_err_set(&e, ROP_EINVAL, NULL, "x");
		rop_err_detail(&e, "field", val);
		ok(utf8_ok(e.details[0].str), "detail cut at +%d is UTF-8", cut);
	}
	/* And at the message's 255 bytes. */
	for (cut = 0; cut < 3; cut++) {
		memset(val, 'a', sizeof(val));
		memcpy(val + 252 + cut, "\xf0\x9f\x8d\x95", 4);	/* U+1F355 */
		val[280] = '\0';
		memset(&e, 0, sizeof(e));
		rop_err_set(&e, ROP_EINVAL, NULL, "%s", val);
		ok(utf8_ok(e.msg), "message cut at +%d is UTF-8", cut);
	}
	/* Valid text is left alone. */
	memset(&e, 0, sizeof(e));
	rop_err_set(&e, ROP_EINVAL, NULL, "caf\xc3\xa9 \xf0\x9f\x8d\x95");
	is_str(e.msg, "caf\xc3\xa9 \xf0\x9f\x8d\x95", "valid UTF-8 unchanged");
	rop_err_detail(&e, "field", "bad \xff byte");
	is_str(e.details[0].str, "bad ? byte", "a stray byte becomes '?'");
	return tap_done();
}
