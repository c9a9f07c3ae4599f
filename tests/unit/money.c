/*
 * money: checked cents arithmetic at its edges (SPEC §4: integer
 * cents; overflow is an error, never a wrap).
 */
#include <stdint.h>

#include "domain/rop_money.h"
#include "../tap.h"

#define UNTOUCHED	((int64_t)-424242)

int
main(void)
{
	int64_t	 out;

	/* add */
	out = UNTOUCHED;
	is_int(rop_money_add(0, 0, &out), 0, "0 + 0");
	is_int(out, 0, "0 + 0 = 0");
	is_int(rop_money_add(1250, 2500, &out), 0, "1250 + 2500");
	is_int(out, 3750, "= 3750");
	is_int(rop_money_add(INT64_MAX, 0, &out), 0, "MAX + 0");
	is_int(out, INT64_MAX, "= MAX");
	is_int(rop_money_add(0, INT64_MAX, &out), 0, "0 + MAX");
	is_int(out, INT64_MAX, "= MAX");
	is_int(rop_money_add(INT64_MAX - 1, 1, &out), 0, "MAX-1 + 1");
	is_int(out, INT64_MAX, "= MAX");
	is_int(rop_money_add(INT64_MAX / 2, INT64_MAX / 2 + 1, &out), 0,
	    "MAX/2 + MAX/2+1");
	is_int(out, INT64_MAX, "= MAX");
	out = UNTOUCHED;
	is_int(rop_money_add(INT64_MAX, 1, &out), -1, "MAX + 1 overflows");
	is_int(rop_money_add(1, INT64_MAX, &out), -1, "1 + MAX overflows");
	is_int(rop_money_add(INT64_MAX, INT64_MAX, &out), -1,
	    "MAX + MAX overflows");
	is_int(rop_money_add(INT64_MAX / 2 + 1, INT64_MAX / 2 + 1, &out), -1,
	    "MAX/2+1 twice overflows");
	is_int(rop_money_add(-1, 5, &out), -1, "negative left operand");
	is_int(rop_money_add(5, -1, &out), -1, "negative right operand");
	is_int(rop_money_add(INT64_MIN, INT64_MAX, &out), -1,
	    "INT64_MIN operand");
	is_int(rop_money_add(INT64_MAX, INT64_MIN, &out), -1,
	    "INT64_MIN operand, right");
	is_int(out, UNTOUCHED, "a failed add leaves *out alone");

	/* mul */
	is_int(rop_money_mul(1250, 2, &out), 0, "1250 x 2");
	is_int(out, 2500, "= 2500");
	is_int(rop_money_mul(0, 99, &out), 0, "0 x 99");
	is_int(out, 0, "= 0");
	is_int(rop_money_mul(INT64_MAX, 0, &out), 0, "MAX x 0");
	is_int(out, 0, "= 0");
	is_int(rop_money_mul(0, INT64_MAX, &out), 0, "0 x MAX");
	is_int(out, 0, "= 0");
	is_int(rop_money_mul(INT64_MAX, 1, &out), 0, "MAX x 1");
	is_int(out, INT64_MAX, "= MAX");
	is_int(rop_money_mul(1, INT64_MAX, &out), 0, "1 x MAX");
	is_int(out, INT64_MAX, "= MAX");
	is_int(rop_money_mul(INT64_MAX / 2, 2, &out), 0, "MAX/2 x 2");
	is_int(out, INT64_MAX - 1, "= MAX-1");
	is_int(rop_money_mul(INT64_MAX / 99, 99, &out), 0, "MAX/99 x 99");
	is_int(out, (INT64_MAX / 99) * 99, "= MAX/99*99");
	out = UNTOUCHED;
	is_int(rop_money_mul(INT64_MAX / 2 + 1, 2, &out), -1,
	    "MAX/2+1 x 2 overflows");
	is_int(rop_money_mul(INT64_MAX / 99 + 1, 99, &out), -1,
	    "MAX/99+1 x 99 overflows");
	is_int(rop_money_mul(INT64_MAX, 2, &out), -1, "MAX x 2 overflows");
	is_int(rop_money_mul(2, INT64_MAX, &out), -1, "2 x MAX overflows");
	is_int(rop_money_mul((int64_t)1 << 32, (int64_t)1 << 31, &out), -1,
	    "2^32 x 2^31 overflows");
	is_int(rop_money_mul(INT64_MAX, INT64_MAX, &out), -1,
	    "MAX x MAX overflows");
	is_int(rop_money_mul(-1, 1, &out), -1, "negative unit");
	is_int(rop_money_mul(1, -1, &out), -1, "negative quantity");
	is_int(rop_money_mul(-1, -1, &out), -1,
	    "two negatives are not a positive");
	is_int(rop_money_mul(INT64_MIN, 0, &out), -1, "INT64_MIN x 0");
	is_int(rop_money_mul(0, INT64_MIN, &out), -1, "0 x INT64_MIN");
	is_int(out, UNTOUCHED, "a failed mul leaves *out alone");
	is_int(rop_money_mul((int64_t)1 << 31, (int64_t)1 << 31, &out), 0,
	    "2^31 x 2^31 fits");
	is_int(out, (int64_t)1 << 62, "= 2^62");

	/* An order at the limits of SPEC §6: 50 lines x 99 x a big price. */
	{
		int64_t	 total = 0, line;
		int	 i, rc = 0;

		for (i = 0; i < 50; i++) {
			rc |= rop_money_mul(INT64_MAX / 4950, 99, &line);
			rc |= rop_money_add(total, line, &total);
		}
		is_int(rc, 0, "50 lines x 99 of MAX/4950 fit");
		ok(total <= INT64_MAX && total > INT64_MAX - 4950,
		    "and come within 4950 of MAX");
		rc = rop_money_mul(INT64_MAX / 4950, 99, &line);
		rc |= rop_money_add(total, line, &total);
		is_int(rc, -1, "a 51st such line overflows");
	}
	return tap_done();
}
