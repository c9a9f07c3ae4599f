/*
 * rop_json: the strict checker, the json-c parse and the field
 * accessors.
 *
 * Why a checker of our own: json-c's STRICT mode still accepts single
 * quoted strings, raw control characters, overlong UTF-8 and lone
 * surrogate escapes, and it silently keeps the last of duplicate keys
 * (two validators reading one body differently is how request
 * smuggling starts).  The checker is a recursive descent over RFC 8259
 * bounded by ROP_JSON_MAX_DEPTH, so its stack use is fixed.
 */
#include <json-c/json.h>
#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_err.h"
#include "rop_json.h"
#include "rop_time.h"
#include "domain/rop_text.h"

struct span {
	const unsigned char	*p;
	size_t			 len;
	unsigned char		*own;	/* decoded copy, or NULL */
};

struct chk {
	const unsigned char	*start, *p, *end;
	struct rop_err		*err;
	int			 depth;
};

static int	chk_value(struct chk *);
static int	chk_string(struct chk *, struct span *);
static int	chk_number(struct chk *);
static int	chk_object(struct chk *);
static int	chk_array(struct chk *);
static int	chk_literal(struct chk *, const char *);
static void	chk_ws(struct chk *);
static int	chk_malformed(struct chk *, const char *);
static int	chk_invalid(struct chk *, const char *);
static int	hex4(const unsigned char *, unsigned int *);
static int	digits(struct chk *);
static struct json_object *field(struct json_object *, const char *);
static int	span_cmp(const void *, const void *);
static int	span_decode(struct span *);
static int	field_err(struct rop_err *, const char *, const char *,
		    const char *);

static int
chk_malformed(struct chk *c, const char *what)
{
	return rop_err_set(c->err, ROP_EINVAL, "MALFORMED_JSON",
	    "malformed JSON at byte %ld: %s",
	    (long)(c->p - c->start), what);
}

/*
 * Valid JSON syntax with a value SPEC §9.5 refuses: VALIDATION_ERROR,
 * which always names a field (§4); the checker knows none, so "body".
 */
static int
chk_invalid(struct chk *c, const char *what)
{
	rop_err_set(c->err, ROP_EINVAL, NULL, "%s", what);
	rop_err_detail(c->err, "field", "body");
	return -1;
}

static void
chk_ws(struct chk *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
hex4(const unsigned char *p, unsigned int *out)
{
	unsigned int	 v = 0;
	int		 i;

	for (i = 0; i < 4; i++) {
		unsigned char h = p[i];

		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= h - '0';
		else if (h >= 'a' && h <= 'f')
			v |= h - 'a' + 10;
		else if (h >= 'A' && h <= 'F')
			v |= h - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* A string starting at the opening quote; its raw span goes to "s". */
static int
chk_string(struct chk *c, struct span *s)
{
	unsigned int	 u, lo;

	c->p++;
	if (s != NULL)
		s->p = c->p;
	while (c->p < c->end) {
		unsigned char ch = *c->p;

		if (ch == '"') {
			if (s != NULL)
				s->len = (size_t)(c->p - s->p);
			c->p++;
			return 0;
		}
		if (ch < 0x20)
			return chk_malformed(c, "control character in string");
		if (ch != '\\') {
			c->p++;
			continue;
		}
		if (c->end - c->p < 2)
			break;
		switch (c->p[1]) {
		case '"': case '\\': case '/': case 'b':
		case 'f': case 'n': case 'r': case 't':
			c->p += 2;
			continue;
		case 'u':
			if (c->end - c->p < 6 || hex4(c->p + 2, &u) == -1)
				return chk_malformed(c, "bad \\u escape");
			c->p += 6;
			if (u >= 0xdc00 && u <= 0xdfff)
				return chk_invalid(c, "lone surrogate escape "
				    "in string");
			if (u >= 0xd800 && u <= 0xdbff) {
				if (c->end - c->p < 6 || c->p[0] != '\\' ||
				    c->p[1] != 'u' ||
				    hex4(c->p + 2, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return chk_invalid(c, "lone surrogate "
					    "escape in string");
				c->p += 6;
			}
			if (u == 0)
				return chk_invalid(c, "NUL character in "
				    "string");
			continue;
		default:
			return chk_malformed(c, "bad escape");
		}
	}
	return chk_malformed(c, "unterminated string");
}

static int
digits(struct chk *c)
{
	const unsigned char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > start ? 0 : -1;
}

static int
chk_number(struct chk *c)
{
	if (*c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (digits(c) == -1)
		return chk_malformed(c, "bad number");
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (digits(c) == -1)
			return chk_malformed(c, "bad fraction");
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (digits(c) == -1)
			return chk_malformed(c, "bad exponent");
	}
	return 0;
}

static int
chk_literal(struct chk *c, const char *lit)
{
	size_t	 n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return chk_malformed(c, "unexpected character");
	c->p += n;
	return 0;
}

static int
span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	size_t	 n = x->len < y->len ? x->len : y->len;
	int	 r = memcmp(x->p, y->p, n);

	if (r != 0)
		return r;
	return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * Replace the raw span of a checked string by its decoded bytes, so
 * that "a" and "\u0061" compare equal as json-c will see them.  The
 * checker has validated every escape already, and decoding never
 * grows the text.  Returns 0, or -1 on OOM.
 */
static int
span_decode(struct span *s)
{
	const unsigned char	*p = s->p, *end = s->p + s->len;
	unsigned char		*d;
	unsigned int		 u, lo;
	size_t			 n = 0;

	if (memchr(s->p, '\\', s->len) == NULL)
		return 0;
	if ((d = malloc(s->len)) == NULL)
		return -1;
	while (p < end) {
		if (*p != '\\') {
			d[n++] = *p++;
			continue;
		}
		switch (p[1]) {
		case 'b': d[n++] = '\b'; p += 2; continue;
		case 'f': d[n++] = '\f'; p += 2; continue;
		case 'n': d[n++] = '\n'; p += 2; continue;
		case 'r': d[n++] = '\r'; p += 2; continue;
		case 't': d[n++] = '\t'; p += 2; continue;
		case 'u': break;
		default: d[n++] = p[1]; p += 2; continue;
		}
		hex4(p + 2, &u);
		p += 6;
		if (u >= 0xd800 && u <= 0xdbff) {
			hex4(p + 2, &lo);
			p += 6;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (u < 0x80)
			d[n++] = (unsigned char)u;
		else if (u < 0x800) {
			d[n++] = (unsigned char)(0xc0 | (u >> 6));
			d[n++] = (unsigned char)(0x80 | (u & 0x3f));
		} else if (u < 0x10000) {
			d[n++] = (unsigned char)(0xe0 | (u >> 12));
			d[n++] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
			d[n++] = (unsigned char)(0x80 | (u & 0x3f));
		} else {
			d[n++] = (unsigned char)(0xf0 | (u >> 18));
			d[n++] = (unsigned char)(0x80 | ((u >> 12) & 0x3f));
			d[n++] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
			d[n++] = (unsigned char)(0x80 | (u & 0x3f));
		}
	}
	s->own = d;
	s->p = d;
	s->len = n;
	return 0;
}

static int
chk_object(struct chk *c)
{
	struct span	*keys = NULL, *nk;
	size_t		 nkeys = 0, cap = 0, i;
	int		 rc = -1;

	c->p++;
	chk_ws(c);
	if (c->p < c->end && *c->p == '}') {
		c->p++;
		return 0;
	}
	for (;;) {
		chk_ws(c);
		if (c->p >= c->end || *c->p != '"') {
			chk_malformed(c, "expected a key");
			goto out;
		}
		if (nkeys == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nk = realloc(keys, cap * sizeof(*keys))) == NULL) {
				rop_err_set(c->err, ROP_ENOMEM, NULL, "keys");
				goto out;
			}
			keys = nk;
		}
		keys[nkeys].own = NULL;
		if (chk_string(c, &keys[nkeys]) == -1)
			goto out;
		nkeys++;
		if (span_decode(&keys[nkeys - 1]) == -1) {
			rop_err_set(c->err, ROP_ENOMEM, NULL, "keys");
			goto out;
		}
		chk_ws(c);
		if (c->p >= c->end || *c->p != ':') {
			chk_malformed(c, "expected ':'");
			goto out;
		}
		c->p++;
		if (chk_value(c) == -1)
			goto out;
		chk_ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '}') {
			c->p++;
			break;
		}
		chk_malformed(c, "expected ',' or '}'");
		goto out;
	}
	qsort(keys, nkeys, sizeof(*keys), span_cmp);
	for (i = 1; i < nkeys; i++)
		if (span_cmp(&keys[i - 1], &keys[i]) == 0) {
			char	 name[65];
			size_t	 n = keys[i].len < 64 ? keys[i].len : 64;

			memcpy(name, keys[i].p, n);
			name[n] = '\0';
			rop_err_set(c->err, ROP_EINVAL, NULL,
			    "duplicate key in object");
			rop_err_detail(c->err, "field", name);
			goto out;
		}
	rc = 0;
out:
	for (i = 0; i < nkeys; i++)
		free(keys[i].own);
	free(keys);
	return rc;
}

static int
chk_array(struct chk *c)
{
	c->p++;
	chk_ws(c);
	if (c->p < c->end && *c->p == ']') {
		c->p++;
		return 0;
	}
	for (;;) {
		if (chk_value(c) == -1)
			return -1;
		chk_ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == ']') {
			c->p++;
			return 0;
		}
		return chk_malformed(c, "expected ',' or ']'");
	}
}

static int
chk_value(struct chk *c)
{
	int	 rc;

	chk_ws(c);
	if (c->p >= c->end)
		return chk_malformed(c, "unexpected end of input");
	switch (*c->p) {
	case '{':
	case '[':
		if (++c->depth > ROP_JSON_MAX_DEPTH) {
			rop_err_set(c->err, ROP_EINVAL, NULL,
			    "JSON nested deeper than %d levels",
			    ROP_JSON_MAX_DEPTH);
			rop_err_detail(c->err, "field", "body");
			return -1;
		}
		rc = *c->p == '{' ? chk_object(c) : chk_array(c);
		c->depth--;
		return rc;
	case '"':
		return chk_string(c, NULL);
	case 't':
		return chk_literal(c, "true");
	case 'f':
		return chk_literal(c, "false");
	case 'n':
		return chk_literal(c, "null");
	default:
		if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
			return chk_number(c);
		return chk_malformed(c, "unexpected character");
	}
}

int
rop_json_check(struct rop_err *err, const char *buf, size_t len)
{
	struct chk	 c;

	if (rop_text_utf8_len(buf, len) < 0) {
		rop_err_set(err, ROP_EINVAL, NULL, "body is not valid UTF-8");
		rop_err_detail(err, "field", "body");
		return -1;
	}
	c.start = c.p = (const unsigned char *)buf;
	c.end = c.p + len;
	c.err = err;
	c.depth = 0;
	if (chk_value(&c) == -1)
		return -1;
	chk_ws(&c);
	if (c.p != c.end)
		return chk_malformed(&c, "trailing characters");
	return 0;
}

int
rop_json_parse(struct rop_err *err, const char *buf, size_t len,
    struct json_object **out)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	enum json_tokener_error	 jerr;

	*out = NULL;
	if (rop_json_check(err, buf, len) == -1)
		return -1;
	if (len > (size_t)INT32_MAX - 1)
		return rop_err_set(err, ROP_ETOOBIG, NULL, "body too large");
	/* The checker bounds the depth; json-c's limit counts one more. */
	if ((tok = json_tokener_new_ex(ROP_JSON_MAX_DEPTH + 1)) == NULL)
		return rop_err_set(err, ROP_ENOMEM, NULL, "json tokener");
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (obj == NULL && jerr == json_tokener_continue) {
		obj = json_tokener_parse_ex(tok, "", 1);	/* end of input */
		jerr = json_tokener_get_error(tok);
	}
	json_tokener_free(tok);
	/* A JSON null is a NULL object with success, wherever it sits. */
	if (jerr != json_tokener_success) {
		json_object_put(obj);
		return rop_err_set(err, ROP_EINVAL, "MALFORMED_JSON",
		    "malformed JSON");
	}
	*out = obj;
	return 0;
}

static int
field_err(struct rop_err *err, const char *path, const char *key,
    const char *what)
{
	char	 field[192];

	if (path != NULL && *path != '\0')
		snprintf(field, sizeof(field), "%s.%s", path, key);
	else
		snprintf(field, sizeof(field), "%s", key);
	rop_err_set(err, ROP_EINVAL, NULL, "%s %s", field, what);
	rop_err_detail(err, "field", field);
	return -1;
}

int
rop_json_only(struct rop_err *err, struct json_object *obj,
    const char *path, const char *const allowed[])
{
	size_t	 i;

	if (!json_object_is_type(obj, json_type_object))
		return field_err(err, "", path != NULL && *path ? path :
		    "body", "must be an object");
	json_object_object_foreach(obj, key, val) {
		(void)val;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i] == NULL)
			return field_err(err, path, key, "is not a known field");
	}
	return 0;
}

int
rop_json_has(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	return json_object_object_get_ex(obj, key, &v) && v != NULL;
}

static struct json_object *
field(struct json_object *obj, const char *key)
{
	struct json_object	*v = NULL;

	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;	/* NULL for JSON null too */
}

int
rop_json_string(struct rop_err *err, struct json_object *obj,
    const char *path, const char *key, int required, long min, long max,
    const char **out)
{
	struct json_object	*v = field(obj, key);
	const char		*s;
	size_t			 len;
	long			 n;

	*out = NULL;
	if (v == NULL)
		return required ? field_err(err, path, key, "is required") : 0;
	if (!json_object_is_type(v, json_type_string))
		return field_err(err, path, key, "must be a string");
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (strlen(s) != len)
		return field_err(err, path, key, "must not contain NUL");
	if ((n = rop_text_utf8_len(s, len)) < 0)
		return field_err(err, path, key, "must be valid UTF-8");
	if (n < min || n > max) {
		char what[96];

		snprintf(what, sizeof(what),
		    "must be %ld to %ld characters long", min, max);
		return field_err(err, path, key, what);
	}
	*out = s;
	return 0;
}

int
rop_json_int(struct rop_err *err, struct json_object *obj, const char *path,
    const char *key, int required, int64_t min, int64_t max, int64_t *out,
    int *present)
{
	struct json_object	*v = field(obj, key);
	int64_t			 i;

	if (present != NULL)
		*present = 0;
	if (v == NULL)
		return required ? field_err(err, path, key, "is required") : 0;
	if (!json_object_is_type(v, json_type_int))
		return field_err(err, path, key, "must be an integer");
	/*
	 * json-c saturates: a literal above INT64_MAX reads as INT64_MAX
	 * (its uint64 view tells), one below INT64_MIN as INT64_MIN (which
	 * nothing tells, so INT64_MIN itself is out of every range).
	 */
	i = json_object_get_int64(v);
	if (i < min || i > max || i == INT64_MIN ||
	    (i == INT64_MAX && json_object_get_uint64(v) != (uint64_t)i)) {
		char what[96];

		snprintf(what, sizeof(what), "must be between %lld and %lld",
		    (long long)min, (long long)max);
		return field_err(err, path, key, what);
	}
	*out = i;
	if (present != NULL)
		*present = 1;
	return 0;
}

int
rop_json_bool(struct rop_err *err, struct json_object *obj, const char *path,
    const char *key, int required, int *out, int *present)
{
	struct json_object	*v = field(obj, key);

	if (present != NULL)
		*present = 0;
	if (v == NULL)
		return required ? field_err(err, path, key, "is required") : 0;
	if (!json_object_is_type(v, json_type_boolean))
		return field_err(err, path, key, "must be true or false");
	*out = json_object_get_boolean(v) ? 1 : 0;
	if (present != NULL)
		*present = 1;
	return 0;
}

int
rop_json_money(struct rop_err *err, struct json_object *obj,
    const char *path, const char *key, int64_t max, int64_t *cents,
    char currency[4], int *present)
{
	static const char *const keys[] = { "amountCents", "currency", NULL };
	struct json_object	*v = field(obj, key);
	const char		*cur;
	char			 sub[192];
	int			 i;

	*present = 0;
	if (v == NULL)
		return 0;
	if (path != NULL && *path != '\0')
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
	else
		snprintf(sub, sizeof(sub), "%s", key);
	if (!json_object_is_type(v, json_type_object))
		return field_err(err, path, key, "must be a Money object");
	if (rop_json_only(err, v, sub, keys) == -1)
		return -1;
	if (rop_json_int(err, v, sub, "amountCents", 1, 0, max, cents,
	    NULL) == -1)
		return -1;
	if (rop_json_string(err, v, sub, "currency", 1, 3, 3, &cur) == -1)
		return -1;
	for (i = 0; i < 3; i++)
		if (cur[i] < 'A' || cur[i] > 'Z')
			return field_err(err, sub, "currency",
			    "must be an ISO 4217 code");
	memcpy(currency, cur, 4);
	*present = 1;
	return 0;
}

struct json_object *
rop_json_new_money(int64_t cents, const char *currency)
{
	struct json_object	*m;

	if ((m = json_object_new_object()) == NULL)
		return NULL;
	if (rop_json_add(m, "amountCents", json_object_new_int64(cents)) ||
	    rop_json_add(m, "currency", json_object_new_string(currency))) {
		json_object_put(m);
		return NULL;
	}
	return m;
}

struct json_object *
rop_json_new_str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

struct json_object *
rop_json_new_time(int64_t ms)
{
	char	 buf[ROP_TIME_BUFSZ];

	if (ms < 0)
		return NULL;
	return json_object_new_string(rop_time_format(ms, buf));
}

int
rop_json_add(struct json_object *obj, const char *key, struct json_object *val)
{
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

size_t
rop_json_compact(char *s, size_t len)
{
	size_t	 i, j = 0;
	int	 in_str = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			s[j++] = c;
			if (c == '\\' && i + 1 < len)
				s[j++] = s[++i];
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
			continue;
		if (c == '"')
			in_str = 1;
		s[j++] = c;
	}
	s[j] = '\0';
	return j;
}

char *
rop_json_dup_compact(const char *s)
{
	size_t	 n = strlen(s);
	char	*d;

	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(d, s, n + 1);
	rop_json_compact(d, n);
	return d;
}

char *
rop_json_copy(struct rop_err *err, const char *s)
{
	char	*d;

	if ((d = rop_json_dup_compact(s)) == NULL)
		rop_err_set(err, ROP_ENOMEM, NULL, "copy");
	return d;
}

int
rop_json_hash(struct rop_err *err, struct json_object *obj, char hex[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	const char	*text;
	size_t		 len;

	text = rop_json_text(obj, &len);
	if (text == NULL ||
	    EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return rop_err_set(err, ROP_ENOMEM, NULL, "body fingerprint");
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

const char *
rop_json_text(struct json_object *obj, size_t *len)
{
	return json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}
