/*
 * rop_time: wall-clock milliseconds and their RFC 3339 form
 * ("2026-02-15T22:10:00.123Z", always UTC, always milliseconds).
 */
#ifndef ROP_TIME_H
#define ROP_TIME_H
/* layer: adapter */

#include <stddef.h>
#include <stdint.h>

#define ROP_TIME_BUFSZ	32

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t	 rop_time_now_ms(void);
/* Monotonic milliseconds, for durations and timeouts. */
int64_t	 rop_time_mono_us(void);
/* Format "ms" into "buf" (at least ROP_TIME_BUFSZ bytes); returns buf. */
char	*rop_time_format(int64_t ms, char *buf);

#endif /* ROP_TIME_H */
