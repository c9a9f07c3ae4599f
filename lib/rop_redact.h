/*
 * rop_redact: secrets out of text that is about to be logged or shown
 * (SPEC §15: secrets never logged).
 */
#ifndef ROP_REDACT_H
#define ROP_REDACT_H
/* layer: adapter */

#include <stddef.h>

/*
 * Copy SRC to DST (always NUL-terminated, truncated to DSTSZ) with the
 * password of every URL (scheme://user:PASSWORD@host) and the value of
 * every password=VALUE (libpq keyword form) replaced by "***".
 */
void	 rop_redact(char *dst, size_t dstsz, const char *src);

/*
 * Copy SRC to DST as rop_redact does, and also every occurrence of the
 * literal SECRET (when not NULL nor empty): libpq quotes the bad part
 * of a malformed connection string, which may be the password alone.
 */
void	 rop_redact_secret(char *dst, size_t dstsz, const char *src,
	    const char *secret);

#endif /* ROP_REDACT_H */
