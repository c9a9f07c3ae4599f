/*
 * rop_text: UTF-8 and identifier checks.
 */
#include <string.h>

#include "rop_text.h"

long
rop_text_utf8_len(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	const unsigned char	*end = p + len;
	long			 n = 0;

	while (p < end) {
		unsigned int	 c = *p, cp;
		size_t		 need, i;

		if (c < 0x80) {
			p++;
			n++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else
			return -1;
		if ((size_t)(end - p) <= need)
			return -1;
		for (i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* Overlong forms, UTF-16 surrogates, beyond Unicode. */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return -1;
		p += need + 1;
		n++;
	}
	return n;
}

static int
all_in(const char *s, size_t max, const char *extra)
{
	size_t	 n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++, n++) {
		unsigned char c = (unsigned char)*s;

		if (n >= max)
			return 0;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (strchr(extra, c) == NULL || c == '\0')
			return 0;
	}
	return 1;
}

int
rop_text_is_id(const char *s)
{
	return all_in(s, 64, "_-");
}

int
rop_text_is_request_id(const char *s)
{
	return all_in(s, 128, "._:-");
}

int
rop_text_is_idem_key(const char *s)
{
	size_t	 n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++, n++)
		if (n >= 128 || (unsigned char)*s < 0x20 ||
		    (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}
