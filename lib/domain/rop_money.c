/*
 * rop_money: checked arithmetic on cents.
 */
#include "rop_money.h"

int
rop_money_add(int64_t a, int64_t b, int64_t *out)
{
	if (a < 0 || b < 0 || a > INT64_MAX - b)
		return -1;
	*out = a + b;
	return 0;
}

int
rop_money_mul(int64_t unit, int64_t qty, int64_t *out)
{
	if (unit < 0 || qty < 0 || (qty != 0 && unit > INT64_MAX / qty))
		return -1;
	*out = unit * qty;
	return 0;
}
