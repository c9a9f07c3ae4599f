/*
 * time: RFC 3339 UTC with milliseconds (SPEC §4) for known instants.
 */
#include <stdint.h>
#include <string.h>

#include "rop_time.h"
#include "../tap.h"

int
main(void)
{
	static const struct {
		int64_t		 ms;
		const char	*want;
	} cases[] = {
		{ 0,			"1970-01-01T00:00:00.000Z" },
		{ 1,			"1970-01-01T00:00:00.001Z" },
		{ 999,			"1970-01-01T00:00:00.999Z" },
		{ 1000,			"1970-01-01T00:00:01.000Z" },
		{ 1771193400123LL,	"2026-02-15T22:10:00.123Z" },
		{ 951782400000LL,	"2000-02-29T00:00:00.000Z" },
		{ 1709164799999LL,	"2024-02-28T23:59:59.999Z" },
		{ 1709251199999LL,	"2024-02-29T23:59:59.999Z" },
		{ 2147483647000LL,	"2038-01-19T03:14:07.000Z" },
		{ 2147483648000LL,	"2038-01-19T03:14:08.000Z" },
		{ 253402300799999LL,	"9999-12-31T23:59:59.999Z" },
		{ -1,			"1969-12-31T23:59:59.999Z" },
		{ -999,			"1969-12-31T23:59:59.001Z" },
		{ -1000,		"1969-12-31T23:59:59.000Z" },
		{ -1001,		"1969-12-31T23:59:58.999Z" },
		{ -86400000LL,		"1969-12-31T00:00:00.000Z" },
		{ -62135596800000LL,	"0001-01-01T00:00:00.000Z" },
	};
	char		 buf[ROP_TIME_BUFSZ];
	size_t		 i;
	int64_t		 a, b, mono1, mono2;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		is_str(rop_time_format(cases[i].ms, buf), cases[i].want,
		    cases[i].want);
	}
	ok(rop_time_format(0, buf) == buf, "returns its buffer");

	/* The extremes must not overflow (UBSan checks the arithmetic). */
	rop_time_format(INT64_MAX, buf);
	ok(strlen(buf) < ROP_TIME_BUFSZ && buf[strlen(buf) - 1] == 'Z',
	    "INT64_MAX formats without overflow: %s", buf);
	rop_time_format(INT64_MIN, buf);
	ok(strlen(buf) < ROP_TIME_BUFSZ && buf[strlen(buf) - 1] == 'Z',
	    "INT64_MIN formats without overflow: %s", buf);

	a = rop_time_now_ms();
	ok(a > 1700000000000LL && a < 4102444800000LL,
	    "now is a plausible wall clock (%lld)", (long long)a);
	b = rop_time_now_ms();
	ok(b >= a, "now does not go backwards between two calls");
	mono1 = rop_time_mono_us();
	mono2 = rop_time_mono_us();
	ok(mono1 > 0 && mono2 >= mono1, "monotonic clock is monotone");
	return tap_done();
}
