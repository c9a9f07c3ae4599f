/*
 * fuzz/json: the strict JSON checker, the json-c parse behind it and
 * the field accessors (lib/rop_json.c, SPEC §4, §9.5, §9.18, §9.21).
 *
 * Invariants besides memory safety:
 *  - what the checker accepts, json-c parses (else a valid body would
 *    be answered MALFORMED_JSON);
 *  - a parsed value written out compactly parses again to the same text;
 *  - every error is SPEC-shaped: a code, UTF-8 message and details.
 */
#include <json-c/json.h>

#include <stdint.h>

#include "rop_json.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
static void	fields(struct json_object *, const char *);

/* Every accessor over every key of "obj", as handlers call them. */
static void
fields(struct json_object *obj, const char *path)
{
	static const char *const allowed[] = { "lines", "note", "itemId",
	    "quantity", "notes", "reason", "isAvailable", "price", NULL };
	struct rop_err	 e;
	const char	*s;
	int64_t		 i;
	int		 b, present;
	char		 cur[4];

	memset(&e, 0, sizeof(e));
	if (rop_json_only(&e, obj, path, allowed) == -1)
		fuzz_check_err(&e);
	json_object_object_foreach(obj, key, val) {
		(void)val;
		memset(&e, 0, sizeof(e));
		if (rop_json_string(&e, obj, path, key, 1, 1, 200, &s) == -1)
			fuzz_check_err(&e);
		else if (s == NULL || rop_text_utf8_len(s, strlen(s)) < 0)
			fuzz_fail("accepted string is not UTF-8", key);
		memset(&e, 0, sizeof(e));
		if (rop_json_int(&e, obj, path, key, 1, 1, 99, &i,
		    &present) == -1)
			fuzz_check_err(&e);
		else if (i < 1 || i > 99 || !present)
			fuzz_fail("integer out of its range accepted", key);
		memset(&e, 0, sizeof(e));
		if (rop_json_int(&e, obj, path, key, 0, INT64_MIN + 1,
		    INT64_MAX, &i, NULL) == -1)
			fuzz_check_err(&e);
		memset(&e, 0, sizeof(e));
		if (rop_json_bool(&e, obj, path, key, 0, &b, &present) == -1)
			fuzz_check_err(&e);
		memset(&e, 0, sizeof(e));
		if (rop_json_money(&e, obj, path, key, 99999999, &i, cur,
		    &present) == -1)
			fuzz_check_err(&e);
		else if (present && (i < 0 || i > 99999999 ||
		    strlen(cur) != 3))
			fuzz_fail("bad money accepted", key);
		(void)rop_json_has(obj, key);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rop_err		 e, e2;
	struct json_object	*obj = NULL, *again = NULL, *v;
	const char		*t1, *t2;
	char			*copy;
	size_t			 l1, l2, k, n;
	int			 checked;

	if (size > 65536)
		return 0;
	memset(&e, 0, sizeof(e));
	checked = rop_json_check(&e, (const char *)data, size);
	if (checked == -1)
		fuzz_check_err(&e);
	memset(&e, 0, sizeof(e));
	if (rop_json_parse(&e, (const char *)data, size, &obj) == -1) {
		fuzz_check_err(&e);
		if (checked == 0)
			fuzz_fail("checker accepted what json-c refused",
			    e.msg);
		return 0;
	}
	if (checked == -1)
		fuzz_fail("parse succeeded where the check failed", NULL);
	if (obj == NULL)
		return 0;	/* a JSON null */

	/* The compact text parses again, to the same text. */
	t1 = rop_json_text(obj, &l1);
	copy = fuzz_strndup((const unsigned char *)t1, l1);
	memset(&e2, 0, sizeof(e2));
	if (rop_json_parse(&e2, copy, l1, &again) == -1)
		fuzz_fail("written JSON does not parse again", e2.msg);
	if (again != NULL) {
		t2 = rop_json_text(again, &l2);
		if (l1 != l2 || memcmp(copy, t2, l1) != 0)
			fuzz_fail("round trip changed the text", copy);
	}
	free(copy);
	json_object_put(again);

	if (json_object_is_type(obj, json_type_object)) {
		fields(obj, "");
		json_object_object_foreach(obj, key, val) {
			if (!json_object_is_type(val, json_type_array))
				continue;
			n = json_object_array_length(val);
			for (k = 0; k < n && k < 4; k++) {
				v = json_object_array_get_idx(val, k);
				if (json_object_is_type(v, json_type_object))
					fields(v, key);
			}
		}
	}
	json_object_put(obj);
	return 0;
}
