/*
 * rop_json: strict JSON in, on top of json-c.
 *
 * json-c builds the object tree; before it does, a strict checker of
 * our own enforces what json-c tolerates and SPEC §9.5 forbids: single
 * quotes, raw control characters, lone surrogate escapes, overlong
 * UTF-8, duplicate keys and nesting deeper than 16 containers.  Field
 * accessors then check type and range and name the offending field
 * ("lines[2].quantity") in the error, so handlers see only valid values.
 *
 * Errors: MALFORMED_JSON for bytes that are not JSON, VALIDATION_ERROR
 * (details.field) for everything else.  Optional fields given as null
 * are treated as absent (SPEC §9.18).
 */
#ifndef ROP_JSON_H
#define ROP_JSON_H
/* layer: adapter */

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct rop_err;

#define ROP_JSON_MAX_DEPTH	16

/*
 * Check buf[0..len) strictly, then parse it.  On success *out is a new
 * object the caller owns (json_object_put).  Returns 0 or -1 with the
 * error in "err".
 */
int	 rop_json_parse(struct rop_err *err, const char *buf, size_t len,
	    struct json_object **out);

/*
 * Only the strict check of rop_json_parse(): 0 if buf is one valid JSON
 * value, else -1 with the error in "err".
 */
int	 rop_json_check(struct rop_err *err, const char *buf, size_t len);

/*
 * Refuse keys of object "obj" not listed in the NULL-terminated
 * "allowed".  "path" prefixes the field name in details ("" at top).
 */
int	 rop_json_only(struct rop_err *err, struct json_object *obj,
	    const char *path, const char *const allowed[]);

/* Present and not null: 1; absent or null: 0. */
int	 rop_json_has(struct json_object *obj, const char *key);

/*
 * String field of min..max code points.  *out is borrowed from obj (or
 * NULL when absent and not required).  Returns 0 or -1.
 */
int	 rop_json_string(struct rop_err *err, struct json_object *obj,
	    const char *path, const char *key, int required,
	    long min, long max, const char **out);

/*
 * Integer field (no fractions, no exponents) within min..max.  Values
 * beyond int64 are out of range, never clamped; INT64_MIN is refused
 * too, as json-c reads every smaller literal as INT64_MIN.
 */
int	 rop_json_int(struct rop_err *err, struct json_object *obj,
	    const char *path, const char *key, int required,
	    int64_t min, int64_t max, int64_t *out, int *present);

/* Boolean field. */
int	 rop_json_bool(struct rop_err *err, struct json_object *obj,
	    const char *path, const char *key, int required,
	    int *out, int *present);

/*
 * Money field {"amountCents": 0..max, "currency": "XXX"}.  Returns 0
 * or -1; *present tells whether it was given.
 */
int	 rop_json_money(struct rop_err *err, struct json_object *obj,
	    const char *path, const char *key, int64_t max,
	    int64_t *cents, char currency[4], int *present);

/* A new {"amountCents","currency"} object, or NULL. */
struct json_object *rop_json_new_money(int64_t cents, const char *currency);
/* A new string object, or a JSON null when s is NULL. */
struct json_object *rop_json_new_str_or_null(const char *s);
/* A new RFC 3339 time string, or null when ms < 0. */
struct json_object *rop_json_new_time(int64_t ms);

/*
 * Add "val" under "key", consuming val even when the add fails.
 * Returns 0 or -1.
 */
int	 rop_json_add(struct json_object *obj, const char *key,
	    struct json_object *val);

/*
 * Remove the whitespace outside strings of the valid JSON text s[0..len)
 * in place (PostgreSQL writes {"a" : 1}); returns the new length and
 * NUL-terminates.
 */
size_t	 rop_json_compact(char *s, size_t len);
/* A compacted malloc'd copy of the JSON text s, or NULL on OOM. */
char	*rop_json_dup_compact(const char *s);
/* The same, setting ROP_ENOMEM in "err" when it fails. */
char	*rop_json_copy(struct rop_err *err, const char *s);

/*
 * The idempotency fingerprint of a normalised body: SHA-256 of the
 * compact text of obj, as 64 hex digits in hex[65].  Returns 0 or -1.
 */
int	 rop_json_hash(struct rop_err *err, struct json_object *obj,
	    char hex[65]);

/* The compact text of obj, borrowed from obj (valid until it changes). */
const char *rop_json_text(struct json_object *obj, size_t *len);

#endif /* ROP_JSON_H */
