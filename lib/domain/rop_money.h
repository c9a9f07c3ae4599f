/*
 * rop_money: integer cents, never floats; overflow is an error, not a
 * wrap (SPEC §4).
 */
#ifndef ROP_MONEY_H
#define ROP_MONEY_H

#include <stdint.h>

/* *out = a + b.  Returns 0, or -1 on overflow or a negative operand. */
int	 rop_money_add(int64_t a, int64_t b, int64_t *out);
/* *out = unit * qty.  Returns 0, or -1 on overflow or negatives. */
int	 rop_money_mul(int64_t unit, int64_t qty, int64_t *out);

#endif /* ROP_MONEY_H */
