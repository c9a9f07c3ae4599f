/*
 * rop_http: one HTTP request and its response over FastCGI or CGI.
 *
 * nginx has already routed the request: the route name and the path
 * ids arrive as FastCGI params (ROP_ROUTE, ROP_ORDER_ID, ...).  This
 * module reads params, headers, the query string and the body (at most
 * 64 KiB, application/json only), and writes status, headers and a
 * JSON body, including the SPEC §4 error envelope.  The same code
 * serves plain CGI, where params are the process environment.
 */
#ifndef ROP_HTTP_H
#define ROP_HTTP_H
/* layer: adapter */

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct rop_err;
struct FCGX_Stream;

#define ROP_BODY_MAX	65536

struct rop_req {
	struct FCGX_Stream	*in, *out;	/* NULL in CGI mode */
	char			**envp;
	const char		*method;	/* "GET", ... ("HEAD" kept) */
	const char		*route;		/* ROP_ROUTE, or NULL */
	const char		*query;		/* QUERY_STRING, or "" */
	char			 request_id[129];
	char			 trace_id[33];	/* "" when none was sent */
	char			*body;		/* NUL-terminated, owned */
	size_t			 body_len;
	int			 replied;
	int			 status;
	char			 hdrs[1024];	/* extra response headers */
	size_t			 hdrs_len;
	/*
	 * Log fields, borrowed; set by handlers as they learn them.  They
	 * are read after the handler returns, so they must outlive it: a
	 * param, or a copy in log_rid_buf / log_tid_buf (never a handler's
	 * local).
	 */
	const char		*log_rid, *log_tid, *log_oid, *log_event;
	char			 log_rid_buf[65], log_tid_buf[65];
	/*
	 * Set by the runner (rop_app.h) before the handler runs: the path
	 * ids nginx passed (checked ids, or NULL when absent), the tenant
	 * (rid: the path's, or the token's for order routes), and what the
	 * route's syntax check parsed.  json and args are owned and freed
	 * by rop_req_release().
	 */
	const char		*rid, *tid, *oid, *iid;
	struct json_object	*json;		/* the parsed body, or NULL */
	const char		*idem_key;	/* Idempotency-Key, or NULL */
	void			*args;		/* a check's parsed values */
	void			(*args_free)(void *);
};

/*
 * Fill "req" for the current request.  Reads and checks the body
 * (413, 415).  Returns 0, or -1 with the error set; the request can
 * still be answered with rop_reply_error().
 */
int		 rop_req_init(struct rop_req *, struct rop_err *,
		    struct FCGX_Stream *in, struct FCGX_Stream *out,
		    char **envp);
/* Free what rop_req_init() allocated. */
void		 rop_req_release(struct rop_req *);

/* A FastCGI param / CGI variable, or NULL.  Borrowed. */
const char	*rop_req_param(const struct rop_req *, const char *name);
/*
 * The path id nginx captured into param "name" (ROP_ORDER_ID, ...),
 * checked again against [A-Za-z0-9_-]{1,64}.  NULL with 404 otherwise.
 */
const char	*rop_req_id(const struct rop_req *, struct rop_err *,
		    const char *name);
/* A request header by its HTTP name ("If-None-Match"), or NULL. */
const char	*rop_req_header(const struct rop_req *, const char *name);
/*
 * The Idempotency-Key header into *key (borrowed; NULL when absent).
 * Returns 0, or -1 with 400: VALIDATION_ERROR (field Idempotency-Key)
 * when it is not 1 to 128 printable ASCII characters, and
 * IDEMPOTENCY_KEY_REQUIRED when "required" and it is absent.
 */
int		 rop_req_idem_key(const struct rop_req *, struct rop_err *,
		    int required, const char **key);
/*
 * The URL-decoded value of query parameter "key" into buf.  Returns 1
 * when present, 0 when absent, -1 when malformed or too long.
 */
int		 rop_req_query(const struct rop_req *, const char *key,
		    char *buf, size_t bufsz);
/*
 * Query parameter "key" as a decimal integer in min..max into *out,
 * "def" when absent.  Returns 0, or -1 with 400 "code" (NULL:
 * VALIDATION_ERROR) naming the field.
 */
int		 rop_req_query_int(const struct rop_req *, struct rop_err *,
		    const char *key, long long def, long long min,
		    long long max, const char *code, long long *out);

/*
 * The body as a JSON object.  With "optional", an empty body gives
 * *out = NULL.  Returns 0 or -1 (MALFORMED_JSON, VALIDATION_ERROR).
 */
int		 rop_req_json(struct rop_req *, struct rop_err *, int optional,
		    struct json_object **out);
/*
 * For POSTs without a payload (SPEC §9.4): no body or "{}".  Returns 0,
 * or -1 with VALIDATION_ERROR.
 */
int		 rop_req_no_payload(struct rop_req *, struct rop_err *);

/* Add a response header (before the reply).  Values must be sane. */
void		 rop_reply_header(struct rop_req *, const char *name,
		    const char *value);
/* Write status, headers and the compact text of "body" (may be NULL). */
int		 rop_reply_json(struct rop_req *, int status,
		    struct json_object *body);
/* Write status, headers and raw bytes of content type "ctype". */
int		 rop_reply_raw(struct rop_req *, int status, const char *ctype,
		    const char *body, size_t len);
/* Write an already serialised JSON body. */
int		 rop_reply_json_text(struct rop_req *, int status,
		    const char *text, size_t len);
/* The same for a malloc'd, NUL-terminated text, which it frees. */
int		 rop_reply_json_take(struct rop_req *, int status, char *text);
/* Write the SPEC envelope for the error in "err". */
int		 rop_reply_error(struct rop_req *, const struct rop_err *);

#endif /* ROP_HTTP_H */
