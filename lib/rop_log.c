/*
 * rop_log: JSON lines on stderr, written with one write(2) each so
 * lines of concurrent workers never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rop_log.h"
#include "rop_redact.h"
#include "rop_time.h"

#define LOG_LINE_MAX	4096

struct buf {
	char	 b[LOG_LINE_MAX];
	size_t	 n;
};

static void	put_raw(struct buf *, const char *);
static void	put_str(struct buf *, const char *, const char *);

static void
put_raw(struct buf *b, const char *s)
{
	size_t	 n = strlen(s);

	if (b->n + n >= sizeof(b->b) - 3)
		n = sizeof(b->b) - 3 - b->n;
	memcpy(b->b + b->n, s, n);
	b->n += n;
}

static void
put_str(struct buf *b, const char *key, const char *val)
{
	const unsigned char	*p;
	char			 esc[8];

	if (val == NULL)
		return;
	if (b->n > 1)
		put_raw(b, ",");
	put_raw(b, "\"");
	put_raw(b, key);
	put_raw(b, "\":\"");
	for (p = (const unsigned char *)val; *p != '\0'; p++) {
		if (b->n >= sizeof(b->b) - 16)
			break;
		if (*p == '"' || *p == '\\') {
			b->b[b->n++] = '\\';
			b->b[b->n++] = (char)*p;
		} else if (*p < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put_raw(b, esc);
		} else
			b->b[b->n++] = (char)*p;
	}
	put_raw(b, "\"");
}

void
rop_log_write(const struct rop_log_line *l)
{
	struct buf	 b;
	char		 ts[32], num[64], msg[LOG_LINE_MAX];
	ssize_t		 w;

	b.n = 0;
	put_raw(&b, "{");
	put_str(&b, "ts", rop_time_format(rop_time_now_ms(), ts));
	put_str(&b, "level", l->level != NULL ? l->level : "info");
	put_str(&b, "service", l->service);
	put_str(&b, "env", l->env);
	put_str(&b, "request_id", l->request_id);
	put_str(&b, "trace_id", l->trace_id);
	put_str(&b, "method", l->method);
	put_str(&b, "route", l->route);
	if (l->status > 0) {
		snprintf(num, sizeof(num), ",\"status\":%d", l->status);
		put_raw(&b, num);
	}
	if (l->duration_ms >= 0) {
		snprintf(num, sizeof(num), ",\"duration_ms\":%.3f",
		    l->duration_ms);
		put_raw(&b, num);
	}
	put_str(&b, "restaurant_id", l->restaurant_id);
	put_str(&b, "table_id", l->table_id);
	put_str(&b, "order_id", l->order_id);
	put_str(&b, "event", l->event);
	if (l->message != NULL) {	/* no password of a URL, ever */
		rop_redact(msg, sizeof(msg), l->message);
		put_str(&b, "message", msg);
	}
	b.b[b.n++] = '}';
	b.b[b.n++] = '\n';
	w = write(STDERR_FILENO, b.b, b.n);
	(void)w;	/* nowhere to report a failed log write */
}

void
rop_log(const char *level, const char *service, const char *env,
    const char *fmt, ...)
{
	struct rop_log_line	 l;
	char			 msg[1024];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&l, 0, sizeof(l));
	l.level = level;
	l.service = service;
	l.env = env;
	l.duration_ms = -1;
	l.message = msg;
	rop_log_write(&l);
}
