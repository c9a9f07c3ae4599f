/*
 * rop_cursor: the opaque keyset cursor of the order lists (SPEC §6,
 * §9.11): the sort key (createdAt in ms, orderId) of the last order of
 * a page, as URL-safe base64 without padding.
 */
#ifndef ROP_CURSOR_H
#define ROP_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#define ROP_CURSOR_BUFSZ	128

/* Encode into buf (size >= ROP_CURSOR_BUFSZ).  Returns 0 or -1. */
int	 rop_cursor_encode(char *buf, int64_t ms, const char *order_id);
/*
 * Decode "s" into *ms and order_id (size >= 65).  Returns 0, or -1 for
 * anything that is not a cursor this module wrote.
 */
int	 rop_cursor_decode(const char *s, int64_t *ms, char *order_id);

#endif /* ROP_CURSOR_H */
