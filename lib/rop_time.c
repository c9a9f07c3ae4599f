/*
 * rop_time: clocks and RFC 3339 formatting.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rop_time.h"

int64_t
rop_time_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
rop_time_mono_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

char *
rop_time_format(int64_t ms, char *buf)
{
	struct tm	 tm;
	char		 tmp[96];
	time_t		 secs;
	int		 frac;

	/*
	 * Floor division keeps times before 1970 well formed; C division
	 * truncates, so step back one second for a negative remainder
	 * (never negating ms: -INT64_MIN overflows).
	 */
	frac = (int)(ms % 1000);
	secs = (time_t)(ms / 1000);
	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	if (gmtime_r(&secs, &tm) == NULL) {
		snprintf(buf, ROP_TIME_BUFSZ, "1970-01-01T00:00:00.000Z");
		return buf;
	}
	/* A roomy buffer first: gcc cannot know the fields are small. */
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	tmp[ROP_TIME_BUFSZ - 1] = '\0';
	memcpy(buf, tmp, strlen(tmp) + 1);
	return buf;
}
