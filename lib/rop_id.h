/*
 * rop_id: generated identifiers.  Resource ids are a prefix and a ULID
 * ("ord_01JABCDEF..."), event ids are UUIDv4; both draw their random
 * bits from getrandom(2).
 */
#ifndef ROP_ID_H
#define ROP_ID_H
/* layer: adapter */

#include <stddef.h>
#include <stdint.h>

#define ROP_ULID_LEN	26
#define ROP_UUID_LEN	36
#define ROP_ID_BUFSZ	64

/*
 * Write "<prefix><ULID>" for time "ms" into buf (size >= ROP_ID_BUFSZ).
 * Returns 0, or -1 if no randomness could be had.
 */
int	 rop_id_new(char *buf, const char *prefix, int64_t ms);
/* Write a lower-case UUIDv4 into buf (size >= 37).  Returns 0 or -1. */
int	 rop_id_uuid(char *buf);
/* Fill buf with n random bytes.  Returns 0 or -1. */
int	 rop_id_random(void *buf, size_t n);
/* Write 2n lower-case hex digits of n random bytes plus NUL.  0 or -1. */
int	 rop_id_hex(char *buf, size_t n);

#endif /* ROP_ID_H */
