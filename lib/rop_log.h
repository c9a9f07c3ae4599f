/*
 * rop_log: one JSON object per line on stderr (SPEC §8).  Request
 * lines carry the request's fields; other lines (startup, relay) carry
 * what they have.  This is the only module of librop that writes.
 */
#ifndef ROP_LOG_H
#define ROP_LOG_H
/* layer: adapter */

#include <stdint.h>

/* Fields of one log line; NULL strings and negative numbers are left out. */
struct rop_log_line {
	const char	*level;		/* "info", "warn", "error" */
	const char	*service;	/* app short name */
	const char	*env;
	const char	*request_id;
	const char	*trace_id;
	const char	*method;
	const char	*route;
	int		 status;	/* 0: none */
	double		 duration_ms;	/* < 0: none */
	const char	*restaurant_id;
	const char	*table_id;
	const char	*order_id;
	const char	*event;
	const char	*message;
};

void	 rop_log_write(const struct rop_log_line *);
/* A service-level line: level, service, env, message (printf-style). */
void	 rop_log(const char *level, const char *service, const char *env,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif /* ROP_LOG_H */
