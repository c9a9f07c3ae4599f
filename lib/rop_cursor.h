/*
 * rop_cursor: the opaque keyset cursor of the order lists (SPEC §6,
 * §9.11): the sort key (createdAt in ms, orderId) of the last order of
 * a page, as URL-safe base64 without padding.
 */
#ifndef ROP_CURSOR_H
#define ROP_CURSOR_H
/* layer: adapter */

#include <stddef.h>
#include <stdint.h>

#define ROP_CURSOR_BUFSZ	128

/*
 * The times a cursor may carry (SPEC §16.28): 2000-01-01T00:00:00.000Z
 * to 9999-12-31T23:59:59.999Z, in ms since the epoch.  Outside them a
 * cursor is refused (INVALID_CURSOR), never handed to the database.
 */
#define ROP_CURSOR_MS_MIN	946684800000LL
#define ROP_CURSOR_MS_MAX	253402300799999LL

/* Encode into buf (size >= ROP_CURSOR_BUFSZ).  Returns 0 or -1. */
int	 rop_cursor_encode(char *buf, int64_t ms, const char *order_id);
/*
 * Decode "s" into *ms and order_id (size >= 65).  Returns 0, or -1 for
 * anything that is not a cursor this module wrote.
 */
int	 rop_cursor_decode(const char *s, int64_t *ms, char *order_id);
/* 1 when "ms" lies within ROP_CURSOR_MS_MIN..MAX, else 0. */
int	 rop_cursor_time_ok(int64_t ms);

#endif /* ROP_CURSOR_H */
