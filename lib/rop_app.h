/*
 * rop_app: the shape every fcgi-app shares.  main() declares a table
 * of routes and calls rop_app_run(), which reads the configuration
 * once, builds the per-process context, then serves requests: over
 * FastCGI (a listening socket on fd 0, from spawn-fcgi or systemd) in
 * a loop, or exactly one as plain CGI when fd 0 is not a socket.
 *
 * Per request the runner checks the method (405 with Allow), reads the
 * body (413, 415), calls the handler, answers the error a failing
 * handler left in the context, rolls back a forgotten transaction,
 * counts the request in the shared metrics and logs one JSON line.
 */
#ifndef ROP_APP_H
#define ROP_APP_H

#include "rop_config.h"
#include "rop_err.h"
#include "rop_http.h"

struct rop_db;
struct rop_cache;
struct rop_metrics;

/* The per-process state, passed to every handler. */
struct rop_ctx {
	const char		*app;		/* short name: "menu" */
	struct rop_config	 cfg;
	struct rop_db		*db;
	struct rop_cache	*cache;
	struct rop_metrics	*metrics;
	struct rop_err		 err;
	struct rop_req		*req;		/* the current request */
	/* Events appended in the open transaction (rop_event.h). */
	int			 ev_n;
	char			 ev_rid[4][65];
	char			*ev_text[4];	/* owned envelopes */
	size_t			 ev_len[4];
};

/* A handler answers with rop_reply_*() and returns 0, or returns -1. */
typedef int (*rop_handler_pt)(struct rop_ctx *, struct rop_req *);

struct rop_route {
	const char	*name;		/* ROP_ROUTE set by nginx */
	const char	*method;	/* "GET", "POST", "PATCH" */
	rop_handler_pt	 handler;
};

struct rop_app {
	const char		*name;
	const struct rop_route	*routes;	/* ends with a NULL name */
	unsigned		 config_flags;	/* ROP_CONFIG_* */
};

/* Serve until the socket closes.  Returns 0, or -1 on a startup error. */
int	 rop_app_run(const struct rop_app *);

/*
 * Set up "ctx" for app "name" without serving (for daemons and tests).
 * Returns 0 or -1 (the reason is logged).
 */
int	 rop_ctx_init(struct rop_ctx *, const char *name, unsigned flags);
void	 rop_ctx_release(struct rop_ctx *);

#endif /* ROP_APP_H */
