/*
 * rop_text: pure text rules of the domain: UTF-8 validity, lengths in
 * code points (SPEC §9.5), identifier and header value syntax.
 */
#ifndef ROP_TEXT_H
#define ROP_TEXT_H

#include <stddef.h>

/*
 * Returns the number of code points in s[0..len), or -1 when the bytes
 * are not well-formed UTF-8 (overlongs, surrogates, > U+10FFFF and
 * truncated sequences are all refused).
 */
long	 rop_text_utf8_len(const char *s, size_t len);
/* 1 if s is a resource id: [A-Za-z0-9_-]{1,64}. */
int	 rop_text_is_id(const char *s);
/* 1 if s is a client request id: [A-Za-z0-9._:-]{1,128} (SPEC §9.6). */
int	 rop_text_is_request_id(const char *s);
/* 1 if s is an Idempotency-Key: 1..128 printable ASCII (0x20..0x7e). */
int	 rop_text_is_idem_key(const char *s);

#endif /* ROP_TEXT_H */
