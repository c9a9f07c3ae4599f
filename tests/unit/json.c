/*
 * json: the strict checker, the parse and the field accessors of
 * rop_json against hostile input (SPEC §4, §9.5, §9.18, §9.21).
 */
#include <json-c/json.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rop_err.h"
#include "rop_json.h"
#include "../tap.h"

static const char	*detail(const struct rop_err *, const char *);
static const char	*check_code(const char *, size_t);
static void		 expect(const char *, size_t, const char *,
			    const char *);
static char		*nest(int, const char *);
static struct json_object *parse(const char *);
static void		 test_syntax(void);
static void		 test_depth(void);
static void		 test_utf8(void);
static void		 test_strings(void);
static void		 test_dups(void);
static void		 test_parse(void);
static void		 test_int(void);
static void		 test_string_field(void);
static void		 test_bool_money_only(void);
static void		 test_builders(void);

/* The string value of detail "key" of the error, or NULL. */
static const char *
detail(const struct rop_err *e, const char *key)
{
	int	 i;

	for (i = 0; i < e->ndetails; i++)
		if (strcmp(e->details[i].key, key) == 0 &&
		    !e->details[i].is_num)
			return e->details[i].str;
	return NULL;
}

/*
 * "OK" when buf passes the check, else the API code.  Also checks that
 * rop_json_parse() agrees with rop_json_check() on the verdict.
 */
static const char *
check_code(const char *buf, size_t len)
{
	static char		 code[64];
	struct rop_err		 e, e2;
	struct json_object	*o = NULL;
	int			 rc, rc2;

	rop_err_clear(&e);
	rop_err_clear(&e2);
	rc = rop_json_check(&e, buf, len);
	rc2 = rop_json_parse(&e2, buf, len, &o);
	json_object_put(o);
	if (rc != rc2 || (rc == -1 && strcmp(e.code, e2.code) != 0))
		return "CHECK_AND_PARSE_DISAGREE";
	if (rc == 0)
		return "OK";
	if (e.status != ROP_EINVAL)
		return "NOT_EINVAL";
	snprintf(code, sizeof(code), "%s", e.code);
	return code;
}

static void
expect(const char *buf, size_t len, const char *code, const char *name)
{
	is_str(check_code(buf, len), code, name);
}

#define EXPECT(lit, code, name)	expect((lit), sizeof(lit) - 1, (code), (name))

/* n nested arrays around "inner": "[[...inner...]]"; caller frees. */
static char *
nest(int n, const char *inner)
{
	size_t	 il = strlen(inner);
	char	*s = malloc(2 * (size_t)n + il + 1);
	int	 i;

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++) {
		s[i] = '[';
		s[(size_t)n + il + (size_t)i] = ']';
	}
	memcpy(s + n, inner, il);
	s[2 * (size_t)n + il] = '\0';
	return s;
}

static struct json_object *
parse(const char *s)
{
	struct rop_err		 e;
	struct json_object	*o = NULL;

	rop_err_clear(&e);
	if (rop_json_parse(&e, s, strlen(s), &o) == -1) {
		diag("parse of %s failed: %s", s, e.msg);
		return NULL;
	}
	return o;
}

static void
test_syntax(void)
{
	EXPECT("{}", "OK", "empty object");
	EXPECT(" \t\r\n[ 1 , -0.5e+3 , true , false , null , \"x\" ] \n",
	    "OK", "every scalar, JSON whitespace around");
	EXPECT("", "MALFORMED_JSON", "empty input");
	EXPECT(" \n\t ", "MALFORMED_JSON", "whitespace only");
	EXPECT("{} x", "MALFORMED_JSON", "trailing garbage");
	EXPECT("{}{}", "MALFORMED_JSON", "two values");
	EXPECT("[1]]", "MALFORMED_JSON", "extra closing bracket");
	EXPECT("{'a':1}", "MALFORMED_JSON", "single-quoted key");
	EXPECT("['a']", "MALFORMED_JSON", "single-quoted string");
	EXPECT("{\"a\":NaN}", "MALFORMED_JSON", "NaN");
	EXPECT("[Infinity]", "MALFORMED_JSON", "Infinity");
	EXPECT("[-Infinity]", "MALFORMED_JSON", "-Infinity");
	EXPECT("[1,]", "MALFORMED_JSON", "trailing comma in array");
	EXPECT("{\"a\":1,}", "MALFORMED_JSON", "trailing comma in object");
	EXPECT("[,1]", "MALFORMED_JSON", "leading comma");
	EXPECT("{a:1}", "MALFORMED_JSON", "unquoted key");
	EXPECT("{\"a\" 1}", "MALFORMED_JSON", "missing colon");
	EXPECT("{\"a\":1 \"b\":2}", "MALFORMED_JSON", "missing comma");
	EXPECT("[1", "MALFORMED_JSON", "unterminated array");
	EXPECT("{\"a\":", "MALFORMED_JSON", "unterminated object");
	EXPECT("\"abc", "MALFORMED_JSON", "unterminated string");
	EXPECT("[\"\\\"]", "MALFORMED_JSON", "escaped quote at the end");
	EXPECT("tru", "MALFORMED_JSON", "truncated literal");
	EXPECT("True", "MALFORMED_JSON", "capitalised literal");
	EXPECT("nul", "MALFORMED_JSON", "truncated null");
	EXPECT("[01]", "MALFORMED_JSON", "leading zero");
	EXPECT("[+1]", "MALFORMED_JSON", "leading plus");
	EXPECT("[1.]", "MALFORMED_JSON", "fraction without digits");
	EXPECT("[.5]", "MALFORMED_JSON", "fraction without integer part");
	EXPECT("[1e]", "MALFORMED_JSON", "exponent without digits");
	EXPECT("[1e+]", "MALFORMED_JSON", "signed exponent without digits");
	EXPECT("[-]", "MALFORMED_JSON", "lone minus");
	EXPECT("-", "MALFORMED_JSON", "lone minus at the end of input");
	EXPECT("[0x10]", "MALFORMED_JSON", "hex number");
	EXPECT("[1]/*c*/", "MALFORMED_JSON", "comment");
	EXPECT("[\"a\\x41\"]", "MALFORMED_JSON", "\\x escape");
	EXPECT("[\"\\u12\"]", "MALFORMED_JSON", "short \\u escape");
	EXPECT("[\"\\u12G4\"]", "MALFORMED_JSON", "bad hex in \\u escape");
	EXPECT("[\"a\tb\"]", "MALFORMED_JSON", "raw tab in a string");
	EXPECT("[\"a\nb\"]", "MALFORMED_JSON", "raw newline in a string");
	EXPECT("[\"\x01\"]", "MALFORMED_JSON", "raw U+0001 in a string");
	EXPECT("[\"\x1f\"]", "MALFORMED_JSON", "raw U+001F in a string");
	EXPECT("[\"a\x7f\"]", "OK", "DEL is allowed raw");
	EXPECT("[1]\v", "MALFORMED_JSON", "vertical tab is not JSON whitespace");
	EXPECT("\xc2\xa0[1]", "MALFORMED_JSON", "NBSP is not JSON whitespace");
	expect("[1]\0", 4, "MALFORMED_JSON", "NUL after the value");
	expect("[\"a\0b\"]", 7, "MALFORMED_JSON", "raw NUL in a string");
	EXPECT("null", "OK", "top-level null");
	EXPECT(" null ", "OK", "top-level null with whitespace");
	EXPECT("42", "OK", "top-level number");
	EXPECT("\"s\"", "OK", "top-level string");
	EXPECT("[1e999]", "OK", "huge exponent is syntactically JSON");
}

static void
test_depth(void)
{
	struct rop_err		 e;
	struct json_object	*o = NULL;
	char			*s;
	clock_t			 t0;
	double			 secs;
	size_t			 n;
	char			*obj;

	s = nest(16, "1");
	is_str(check_code(s, strlen(s)), "OK", "16 nested arrays are fine");
	rop_err_clear(&e);
	ok(rop_json_parse(&e, s, strlen(s), &o) == 0 && o != NULL,
	    "16 nested arrays parse through json-c");
	json_object_put(o);
	free(s);

	s = nest(16, "");
	is_str(check_code(s, strlen(s)), "OK", "16 nested empty arrays");
	free(s);

	s = nest(17, "1");
	rop_err_clear(&e);
	ok(rop_json_check(&e, s, strlen(s)) == -1, "17 nested arrays refused");
	is_str(e.code, "VALIDATION_ERROR", "17 levels: VALIDATION_ERROR");
	is_str(detail(&e, "field"), "body", "17 levels: details.field");
	is_str(check_code(s, strlen(s)), "VALIDATION_ERROR",
	    "17 levels: parse agrees");
	free(s);

	/* Objects count as levels as well; scalars do not (§9.21). */
	n = 17 * 6 + 1;
	obj = malloc(n + 17 + 1);
	if (obj == NULL)
		abort();
	obj[0] = '\0';
	for (int i = 0; i < 16; i++)
		strcat(obj, "{\"a\":");
	strcat(obj, "1");
	for (int i = 0; i < 16; i++)
		strcat(obj, "}");
	is_str(check_code(obj, strlen(obj)), "OK", "16 nested objects");
	obj[0] = '\0';
	for (int i = 0; i < 8; i++)
		strcat(obj, "{\"a\":[");
	strcat(obj, "{}");
	for (int i = 0; i < 8; i++)
		strcat(obj, "]}");
	is_str(check_code(obj, strlen(obj)), "VALIDATION_ERROR",
	    "17 mixed objects and arrays refused");
	free(obj);

	/* 100000 levels: refused at level 17, fast, no stack overflow. */
	s = nest(100000, "");
	t0 = clock();
	rop_err_clear(&e);
	ok(rop_json_check(&e, s, strlen(s)) == -1 &&
	    strcmp(e.code, "VALIDATION_ERROR") == 0,
	    "100000 levels: VALIDATION_ERROR");
	rop_err_clear(&e);
	o = NULL;
	ok(rop_json_parse(&e, s, strlen(s), &o) == -1 && o == NULL &&
	    strcmp(e.code, "VALIDATION_ERROR") == 0,
	    "100000 levels: parse refuses too");
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	ok(secs < 0.5, "100000 levels refused quickly (%.3f s)", secs);
	free(s);

	/* Unbalanced deep input: depth wins over syntax, still fast. */
	s = nest(100000, "");
	s[100000] = '\0';	/* only the opening brackets */
	is_str(check_code(s, strlen(s)), "VALIDATION_ERROR",
	    "100000 unclosed brackets: VALIDATION_ERROR");
	free(s);
}

static void
test_utf8(void)
{
	EXPECT("[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\x95\"]", "OK",
	    "2, 3 and 4 byte UTF-8");
	EXPECT("[\"\xc0\xaf\"]", "VALIDATION_ERROR", "overlong 2-byte '/'");
	EXPECT("[\"\xc1\xbf\"]", "VALIDATION_ERROR", "overlong C1");
	EXPECT("[\"\xe0\x80\xaf\"]", "VALIDATION_ERROR", "overlong 3-byte");
	EXPECT("[\"\xf0\x80\x80\xaf\"]", "VALIDATION_ERROR",
	    "overlong 4-byte");
	EXPECT("[\"\xed\xa0\x80\"]", "VALIDATION_ERROR",
	    "UTF-8 encoded high surrogate U+D800");
	EXPECT("[\"\xed\xbf\xbf\"]", "VALIDATION_ERROR",
	    "UTF-8 encoded low surrogate U+DFFF");
	EXPECT("[\"\xed\x9f\xbf\"]", "OK", "U+D7FF is fine");
	EXPECT("[\"\xee\x80\x80\"]", "OK", "U+E000 is fine");
	EXPECT("[\"\xf4\x8f\xbf\xbf\"]", "OK", "U+10FFFF is fine");
	EXPECT("[\"\xf4\x90\x80\x80\"]", "VALIDATION_ERROR",
	    "U+110000 is beyond Unicode");
	EXPECT("[\"\xf5\x80\x80\x80\"]", "VALIDATION_ERROR", "F5 lead byte");
	EXPECT("[\"\xff\"]", "VALIDATION_ERROR", "FF byte");
	EXPECT("[\"\x80\"]", "VALIDATION_ERROR", "lone continuation byte");
	EXPECT("[\"\xe2\x82\"]", "VALIDATION_ERROR",
	    "truncated 3-byte sequence");
	EXPECT("[\"\xf0\x9f\x8d\"]", "VALIDATION_ERROR",
	    "truncated 4-byte sequence");
	EXPECT("[\"a\"]\xe2\x82", "VALIDATION_ERROR",
	    "truncated sequence at the end of input");
	EXPECT("[\"\xc3\x28\"]", "VALIDATION_ERROR",
	    "bad continuation byte");
	EXPECT("{\"k\xff\":1}", "VALIDATION_ERROR", "invalid UTF-8 in a key");
	EXPECT("[1] \xff", "VALIDATION_ERROR",
	    "invalid UTF-8 outside strings is still a VALIDATION_ERROR");
}

static void
test_strings(void)
{
	struct rop_err	 e;

	EXPECT("[\"\\ud83c\\udf55\"]", "OK", "escaped surrogate pair");
	EXPECT("[\"\\uD83C\\uDF55\"]", "OK", "upper-case surrogate pair");
	EXPECT("[\"\\ud83c\"]", "VALIDATION_ERROR", "lone high surrogate");
	EXPECT("[\"\\ud83cx\"]", "VALIDATION_ERROR",
	    "high surrogate followed by a character");
	EXPECT("[\"\\ud83c\\u0041\"]", "VALIDATION_ERROR",
	    "high surrogate followed by a non-surrogate escape");
	EXPECT("[\"\\ud83c\\ud83c\"]", "VALIDATION_ERROR",
	    "two high surrogates");
	EXPECT("[\"\\udf55\"]", "VALIDATION_ERROR", "lone low surrogate");
	EXPECT("[\"\\udf55\\ud83c\"]", "VALIDATION_ERROR",
	    "surrogates in the wrong order");
	EXPECT("[\"\\u0000\"]", "VALIDATION_ERROR", "\\u0000 is refused");
	EXPECT("{\"a\\u0000b\":1}", "VALIDATION_ERROR", "\\u0000 in a key");
	EXPECT("[\"\\u0001\\u001f\\u00e9\\u20ac\"]", "OK",
	    "other \\u escapes");
	EXPECT("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", "OK", "every short escape");
	EXPECT("[\"\\a\"]", "MALFORMED_JSON", "unknown escape \\a");
	EXPECT("[\"\\U0041\"]", "MALFORMED_JSON", "\\U is not an escape");

	rop_err_clear(&e);
	rop_json_check(&e, "[\"\\ud800\"]", 10);
	ok(e.status == ROP_EINVAL && e.code != NULL &&
	    strcmp(e.code, "VALIDATION_ERROR") == 0 && e.msg[0] != '\0',
	    "lone surrogate: status, code and message");
}

static void
test_dups(void)
{
	struct rop_err	 e;
	const char	*s;

	s = "{\"quantity\":1,\"quantity\":99}";
	rop_err_clear(&e);
	ok(rop_json_check(&e, s, strlen(s)) == -1, "duplicate key refused");
	is_str(e.code, "VALIDATION_ERROR", "duplicate key: VALIDATION_ERROR");
	is_str(detail(&e, "field"), "quantity",
	    "duplicate key: details.field names it");

	EXPECT("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,"
	    "\"h\":8,\"i\":9,\"a\":10}", "VALIDATION_ERROR",
	    "duplicate key after the key array grew");
	EXPECT("{\"a\":{\"x\":1},\"b\":{\"x\":2}}", "OK",
	    "same key in sibling objects is fine");
	EXPECT("{\"a\":{\"x\":1,\"x\":2}}", "VALIDATION_ERROR",
	    "duplicate key in a nested object");
	EXPECT("[{\"x\":1},{\"x\":1,\"y\":2,\"x\":3}]", "VALIDATION_ERROR",
	    "duplicate key in an array element");
	EXPECT("{\"ab\":1,\"a\":2,\"abc\":3}", "OK",
	    "keys that are prefixes of each other are distinct");
	EXPECT("{\"\":1,\"\":2}", "VALIDATION_ERROR", "duplicate empty key");

	/* json-c decodes escapes; the checker must compare decoded keys. */
	s = "{\"note\":\"ok\",\"n\\u006fte\":\"smuggled\"}";
	rop_err_clear(&e);
	ok(rop_json_check(&e, s, strlen(s)) == -1,
	    "a key spelled with an escape is still a duplicate");
	is_str(detail(&e, "field"), "note",
	    "escaped duplicate: details.field is the decoded name");
	EXPECT("{\"a\\/b\":1,\"a/b\":2}", "VALIDATION_ERROR",
	    "\\/ and / spell the same key");
	EXPECT("{\"\\ud83c\\udf55\":1,\"\xf0\x9f\x8d\x95\":2}",
	    "VALIDATION_ERROR", "surrogate pair and raw UTF-8 are the same key");
	EXPECT("{\"a\\\\u0062\":1,\"ab\":2}", "OK",
	    "an escaped backslash is not an escape");
}

static void
test_parse(void)
{
	struct rop_err		 e;
	struct json_object	*o = NULL;
	const char		*s;

	s = "{\"a\":[1,2,{\"b\":\"\\u00e9\"}],\"c\":null}";
	rop_err_clear(&e);
	ok(rop_json_parse(&e, s, strlen(s), &o) == 0 &&
	    json_object_is_type(o, json_type_object), "object parses");
	ok(json_object_array_length(json_object_object_get(o, "a")) == 3,
	    "array inside");
	ok(rop_json_has(o, "a") && !rop_json_has(o, "c") &&
	    !rop_json_has(o, "zz"), "rop_json_has: null counts as absent");
	json_object_put(o);

	/* Not NUL-terminated: only len bytes are read. */
	rop_err_clear(&e);
	o = NULL;
	ok(rop_json_parse(&e, "[1]garbage", 3, &o) == 0 &&
	    json_object_array_length(o) == 1, "parse honours len");
	json_object_put(o);

	rop_err_clear(&e);
	o = (struct json_object *)&e;	/* must be reset */
	ok(rop_json_parse(&e, "null", 4, &o) == 0 && o == NULL,
	    "top-level null parses to NULL");
	rop_err_clear(&e);
	o = (struct json_object *)&e;
	ok(rop_json_parse(&e, "[1,", 3, &o) == -1 && o == NULL,
	    "failed parse leaves *out NULL");
	is_str(e.code, "MALFORMED_JSON", "truncated input is MALFORMED_JSON");

	rop_err_clear(&e);
	ok(rop_json_parse(&e, "42", 2, &o) == 0 &&
	    json_object_get_int64(o) == 42, "top-level number at end of input");
	json_object_put(o);
}

static void
test_int(void)
{
	struct rop_err		 e;
	struct json_object	*o;
	int64_t			 v;
	int			 present;
	static const struct {
		const char	*body;
		int64_t		 min, max;
		int		 rc;
		int64_t		 want;
		const char	*name;
	} cases[] = {
		{ "{\"q\":1}", 1, 99, 0, 1, "1 in 1..99" },
		{ "{\"q\":99}", 1, 99, 0, 99, "99 in 1..99" },
		{ "{\"q\":0}", 1, 99, -1, 0, "0 below 1..99" },
		{ "{\"q\":100}", 1, 99, -1, 0, "100 above 1..99" },
		{ "{\"q\":-1}", 1, 99, -1, 0, "-1 below 1..99" },
		{ "{\"q\":-0}", 0, 99, 0, 0, "-0 is 0" },
		{ "{\"q\":1.0}", 1, 99, -1, 0, "1.0 is not an integer" },
		{ "{\"q\":1.5}", 1, 99, -1, 0, "1.5 is not an integer" },
		{ "{\"q\":1e1}", 1, 99, -1, 0, "1e1 is not an integer" },
		{ "{\"q\":1E0}", 1, 99, -1, 0, "1E0 is not an integer" },
		{ "{\"q\":1e-400}", 0, 99, -1, 0, "1e-400 is not an integer" },
		{ "{\"q\":1e400}", 0, INT64_MAX, -1, 0,
		    "1e400 is not an integer" },
		{ "{\"q\":\"5\"}", 1, 99, -1, 0, "a string is not an integer" },
		{ "{\"q\":true}", 0, 1, -1, 0, "true is not an integer" },
		{ "{\"q\":[1]}", 1, 99, -1, 0, "an array is not an integer" },
		{ "{\"q\":99999999999999999999}", 1, 99, -1, 0,
		    "20 digits refused in 1..99" },
		{ "{\"q\":-99999999999999999999}", -99, 99, -1, 0,
		    "-20 digits refused in -99..99" },
		{ "{\"q\":9223372036854775807}", INT64_MIN, INT64_MAX, 0,
		    INT64_MAX, "INT64_MAX in the full range" },
		{ "{\"q\":9223372036854775806}", 0, INT64_MAX - 1, 0,
		    INT64_MAX - 1, "INT64_MAX-1 at the top of its range" },
		{ "{\"q\":9223372036854775807}", 0, INT64_MAX - 1, -1, 0,
		    "INT64_MAX above INT64_MAX-1" },
		{ "{\"q\":9223372036854775808}", INT64_MIN, INT64_MAX, -1, 0,
		    "INT64_MAX+1 refused, not saturated" },
		{ "{\"q\":18446744073709551615}", INT64_MIN, INT64_MAX, -1, 0,
		    "UINT64_MAX refused" },
		{ "{\"q\":18446744073709551616}", INT64_MIN, INT64_MAX, -1, 0,
		    "UINT64_MAX+1 refused" },
		{ "{\"q\":123456789012345678901234567890}", INT64_MIN,
		    INT64_MAX, -1, 0, "30 digits refused in the full range" },
		{ "{\"q\":-9223372036854775807}", INT64_MIN, INT64_MAX, 0,
		    -INT64_MAX, "-INT64_MAX in the full range" },
		{ "{\"q\":-9223372036854775808}", INT64_MIN, INT64_MAX, -1, 0,
		    "INT64_MIN itself is refused (json-c's saturation value)" },
		{ "{\"q\":-9223372036854775809}", INT64_MIN, INT64_MAX, -1, 0,
		    "INT64_MIN-1 refused, not saturated" },
		{ "{\"q\":-123456789012345678901234567890}", INT64_MIN,
		    INT64_MAX, -1, 0, "-30 digits refused in the full range" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if ((o = parse(cases[i].body)) == NULL) {
			ok(0, "%s: parse", cases[i].name);
			continue;
		}
		rop_err_clear(&e);
		v = -42;
		present = -1;
		if (cases[i].rc == 0)
			ok(rop_json_int(&e, o, "", "q", 1, cases[i].min,
			    cases[i].max, &v, &present) == 0 &&
			    v == cases[i].want && present == 1,
			    "%s", cases[i].name);
		else
			ok(rop_json_int(&e, o, "", "q", 1, cases[i].min,
			    cases[i].max, &v, &present) == -1 &&
			    e.status == ROP_EINVAL &&
			    strcmp(e.code, "VALIDATION_ERROR") == 0 &&
			    detail(&e, "field") != NULL &&
			    strcmp(detail(&e, "field"), "q") == 0 &&
			    present == 0 && v == -42,
			    "%s (VALIDATION_ERROR, field q)", cases[i].name);
		json_object_put(o);
	}

	o = parse("{\"line\":{\"quantity\":null}}");
	rop_err_clear(&e);
	present = -1;
	ok(rop_json_int(&e, json_object_object_get(o, "line"), "lines[2]",
	    "quantity", 0, 1, 99, &v, &present) == 0 && present == 0,
	    "optional null integer is absent");
	ok(rop_json_int(&e, json_object_object_get(o, "line"), "lines[2]",
	    "quantity", 1, 1, 99, &v, &present) == -1,
	    "required null integer is missing");
	is_str(detail(&e, "field"), "lines[2].quantity",
	    "field path is prefixed");
	rop_err_clear(&e);
	ok(rop_json_int(&e, json_object_object_get(o, "line"), NULL,
	    "other", 0, 1, 99, &v, NULL) == 0,
	    "optional absent integer with NULL present and path");
	json_object_put(o);
}

static void
test_string_field(void)
{
	struct rop_err		 e;
	struct json_object	*o;
	const char		*s;

	/* Four code points, 4 + 4 + 1 + 2 = 11 bytes. */
	o = parse("{\"n\":\"\xf0\x9f\x8d\x95\xf0\x9f\x8d\x94x\xc3\xa9\","
	    "\"esc\":\"\\ud83c\\udf55\",\"empty\":\"\",\"num\":5,"
	    "\"nul\":null}");
	if (o == NULL) {
		ok(0, "string fixture parses");
		return;
	}
	rop_err_clear(&e);
	ok(rop_json_string(&e, o, "", "n", 1, 4, 4, &s) == 0 && s != NULL &&
	    strlen(s) == 11, "emoji count as one character each (4 of 4)");
	rop_err_clear(&e);
	ok(rop_json_string(&e, o, "", "n", 1, 1, 3, &s) == -1 && s == NULL,
	    "4 characters over a max of 3");
	is_str(detail(&e, "field"), "n", "too long: details.field");
	rop_err_clear(&e);
	ok(rop_json_string(&e, o, "", "n", 1, 5, 10, &s) == -1,
	    "4 characters under a min of 5 (though 11 bytes)");
	rop_err_clear(&e);
	ok(rop_json_string(&e, o, "", "esc", 1, 1, 1, &s) == 0 &&
	    strcmp(s, "\xf0\x9f\x8d\x95") == 0,
	    "escaped surrogate pair decodes to one character");
	rop_err_clear(&e);
	ok(rop_json_string(&e, o, "", "empty", 1, 1, 200, &s) == -1,
	    "empty string under a min of 1");
	rop_err_clear(&e);
	ok(rop_json_string(&e, o, "", "empty", 1, 0, 200, &s) == 0 &&
	    s != NULL && *s == '\0', "empty string with min 0");
	rop_err_clear(&e);
	ok(rop_json_string(&e, o, "x", "num", 1, 0, 200, &s) == -1,
	    "a number is not a string");
	is_str(detail(&e, "field"), "x.num", "wrong type names x.num");
	rop_err_clear(&e);
	ok(rop_json_string(&e, o, "", "nul", 0, 1, 200, &s) == 0 && s == NULL,
	    "optional null string is absent");
	rop_err_clear(&e);
	ok(rop_json_string(&e, o, "", "nul", 1, 1, 200, &s) == -1,
	    "required null string is missing");
	rop_err_clear(&e);
	ok(rop_json_string(&e, o, "", "missing", 1, 1, 200, &s) == -1 &&
	    e.status == ROP_EINVAL, "required absent string");
	json_object_put(o);

	/* json-c itself accepts \u0000; an object built by hand may too. */
	o = json_object_new_object();
	json_object_object_add(o, "z", json_object_new_string_len("a\0b", 3));
	rop_err_clear(&e);
	ok(rop_json_string(&e, o, "", "z", 1, 0, 200, &s) == -1,
	    "an embedded NUL is refused by the accessor too");
	json_object_put(o);
}

static void
test_bool_money_only(void)
{
	static const char *const allowed[] = { "price", "isAvailable", NULL };
	struct rop_err		 e;
	struct json_object	*o;
	int64_t			 cents;
	char			 cur[4];
	int			 b, present;

	o = parse("{\"isAvailable\":false,\"price\":{\"amountCents\":1250,"
	    "\"currency\":\"USD\"},\"n\":1}");
	if (o == NULL) {
		ok(0, "money fixture parses");
		return;
	}
	rop_err_clear(&e);
	ok(rop_json_bool(&e, o, "", "isAvailable", 1, &b, &present) == 0 &&
	    b == 0 && present == 1, "boolean false");
	rop_err_clear(&e);
	ok(rop_json_bool(&e, o, "", "n", 1, &b, &present) == -1 &&
	    present == 0, "1 is not a boolean");
	rop_err_clear(&e);
	ok(rop_json_bool(&e, o, "", "gone", 0, &b, &present) == 0 &&
	    present == 0, "absent optional boolean");

	rop_err_clear(&e);
	ok(rop_json_money(&e, o, "", "price", 1000000, &cents, cur,
	    &present) == 0 && cents == 1250 && strcmp(cur, "USD") == 0 &&
	    present == 1, "money 1250 USD");
	rop_err_clear(&e);
	ok(rop_json_money(&e, o, "", "tip", 1000000, &cents, cur,
	    &present) == 0 && present == 0, "absent money");
	rop_err_clear(&e);
	ok(rop_json_money(&e, o, "", "price", 1000, &cents, cur,
	    &present) == -1 && present == 0, "money above max refused");
	is_str(detail(&e, "field"), "price.amountCents",
	    "money over max names price.amountCents");

	rop_err_clear(&e);
	ok(rop_json_only(&e, o, "", allowed) == -1,
	    "rop_json_only refuses an unknown field");
	is_str(detail(&e, "field"), "n", "unknown field is named");
	json_object_put(o);

	o = parse("{\"price\":{\"amountCents\":1,\"currency\":\"USD\"},"
	    "\"isAvailable\":null}");
	rop_err_clear(&e);
	ok(rop_json_only(&e, o, "", allowed) == 0,
	    "rop_json_only accepts known fields (null too)");
	json_object_put(o);
	o = parse("[]");
	rop_err_clear(&e);
	ok(rop_json_only(&e, o, "", allowed) == -1,
	    "rop_json_only refuses a non-object body");
	is_str(detail(&e, "field"), "body", "non-object body names body");
	json_object_put(o);
	rop_err_clear(&e);
	ok(rop_json_only(&e, NULL, "", allowed) == -1,
	    "rop_json_only refuses a null body");

	{
		static const struct {
			const char	*body;
			const char	*field;
			const char	*name;
		} bad[] = {
			{ "{\"m\":{\"amountCents\":-1,\"currency\":\"USD\"}}",
			    "m.amountCents", "negative cents" },
			{ "{\"m\":{\"amountCents\":1.5,\"currency\":\"USD\"}}",
			    "m.amountCents", "fractional cents" },
			{ "{\"m\":{\"amountCents\":\"12\",\"currency\":"
			    "\"USD\"}}", "m.amountCents", "cents as a string" },
			{ "{\"m\":{\"currency\":\"USD\"}}", "m.amountCents",
			    "missing cents" },
			{ "{\"m\":{\"amountCents\":1}}", "m.currency",
			    "missing currency" },
			{ "{\"m\":{\"amountCents\":1,\"currency\":\"usd\"}}",
			    "m.currency", "lower-case currency" },
			{ "{\"m\":{\"amountCents\":1,\"currency\":\"US\"}}",
			    "m.currency", "two-letter currency" },
			{ "{\"m\":{\"amountCents\":1,\"currency\":\"U\xc3\x89"
			    "D\"}}", "m.currency", "non-ASCII currency" },
			{ "{\"m\":{\"amountCents\":1,\"currency\":\"USD\","
			    "\"x\":1}}", "m.x", "unknown field in money" },
			{ "{\"m\":12.5}", "m", "money as a number" },
			{ "{\"m\":{\"amountCents\":1,\"currency\":null}}",
			    "m.currency", "null currency" },
		};
		size_t	 i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			o = parse(bad[i].body);
			rop_err_clear(&e);
			present = -1;
			ok(o != NULL && rop_json_money(&e, o, "", "m", 100000,
			    &cents, cur, &present) == -1 && present == 0 &&
			    detail(&e, "field") != NULL &&
			    strcmp(detail(&e, "field"), bad[i].field) == 0,
			    "money: %s (field %s)", bad[i].name, bad[i].field);
			json_object_put(o);
		}
	}

	o = parse("{\"m\":null}");
	rop_err_clear(&e);
	ok(rop_json_money(&e, o, "", "m", 100, &cents, cur, &present) == 0 &&
	    present == 0, "null money is absent");
	json_object_put(o);
}

static void
test_builders(void)
{
	struct json_object	*o, *m;
	size_t			 len;
	const char		*t;

	o = json_object_new_object();
	m = rop_json_new_money(1250, "USD");
	ok(m != NULL, "rop_json_new_money");
	ok(rop_json_add(o, "total", m) == 0, "rop_json_add");
	rop_json_add(o, "note", rop_json_new_str_or_null(NULL));
	rop_json_add(o, "name", rop_json_new_str_or_null("a/b \xc3\xa9"));
	rop_json_add(o, "at", rop_json_new_time(0));
	rop_json_add(o, "never", rop_json_new_time(-1));
	t = rop_json_text(o, &len);
	is_str(t, "{\"total\":{\"amountCents\":1250,\"currency\":\"USD\"},"
	    "\"note\":null,\"name\":\"a/b \xc3\xa9\","
	    "\"at\":\"1970-01-01T00:00:00.000Z\",\"never\":null}",
	    "compact text, no slash escaping, nulls");
	ok(len == strlen(t), "rop_json_text length");
	json_object_put(o);
}

int
main(void)
{
	test_syntax();
	test_depth();
	test_utf8();
	test_strings();
	test_dups();
	test_parse();
	test_int();
	test_string_field();
	test_bool_money_only();
	test_builders();
	return tap_done();
}
