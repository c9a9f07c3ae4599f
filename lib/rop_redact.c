/*
 * rop_redact: passwords out of log text.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "rop_redact.h"

#define MASK	"***"

struct out {
	char	*b;
	size_t	 sz, n;
};

static void	put(struct out *, const char *, size_t);
static size_t	userinfo_pw(const char *, size_t *);
static size_t	keyword_pw(const char *, const char *);

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->sz == 0)
		return;
	if (n > o->sz - 1 - o->n)
		n = o->sz - 1 - o->n;
	memcpy(o->b + o->n, s, n);
	o->n += n;
	o->b[o->n] = '\0';
}

/*
 * At P, just past "://": the length of "user:" when a password follows
 * (then *PWLEN is its length, up to the '@'), else 0.
 */
static size_t
userinfo_pw(const char *p, size_t *pwlen)
{
	size_t	 end = strcspn(p, "/@?#\"' \t\r\n"), colon;

	if (p[end] != '@')
		return 0;
	for (colon = 0; colon < end && p[colon] != ':'; colon++)
		continue;
	if (colon == end)
		return 0;
	*pwlen = end - colon - 1;
	return colon + 1;
}

/*
 * At P, the length of "password=" (any case, blanks around '=') when it
 * is a keyword of its own, else 0.
 */
static size_t
keyword_pw(const char *p, const char *start)
{
	size_t	 n = 8;

	if (strncasecmp(p, "password", 8) != 0 ||
	    (p > start && (isalnum((unsigned char)p[-1]) || p[-1] == '_')))
		return 0;
	while (p[n] == ' ' || p[n] == '\t')
		n++;
	if (p[n] != '=')
		return 0;
	n++;
	while (p[n] == ' ' || p[n] == '\t')
		n++;
	return n;
}

void
rop_redact(char *dst, size_t dstsz, const char *src)
{
	rop_redact_secret(dst, dstsz, src, NULL);
}

void
rop_redact_secret(char *dst, size_t dstsz, const char *src,
    const char *secret)
{
	struct out	 o = { dst, dstsz, 0 };
	const char	*p = src;
	size_t		 n, pw, slen = secret != NULL ? strlen(secret) : 0;

	if (dstsz > 0)
		dst[0] = '\0';
	while (*p != '\0') {
		if (slen > 0 && strncmp(p, secret, slen) == 0) {
			put(&o, MASK, 3);
			p += slen;
		} else if (strncmp(p, "://", 3) == 0 &&
		    (n = userinfo_pw(p + 3, &pw)) > 0) {
			put(&o, p, 3 + n);
			put(&o, MASK, 3);
			p += 3 + n + pw;
		} else if ((n = keyword_pw(p, src)) > 0) {
			put(&o, p, n);
			p += n;
			if (*p == '\'') {	/* quoted, \' escapes */
				for (p++; *p != '\0' && *p != '\''; p++)
					if (*p == '\\' && p[1] != '\0')
						p++;
				if (*p == '\'')
					p++;
			} else
				p += strcspn(p, " \t\r\n&\"'");
			put(&o, MASK, 3);
		} else
			put(&o, p++, 1);
	}
}
