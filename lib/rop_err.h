/*
 * rop_err: the one status enum of librop, its mapping to HTTP, and the
 * per-process context that carries the last error.
 *
 * Library calls return 0 / -1 (or a pointer / NULL) and leave the
 * details here: a status, the API code of SPEC §4 ("TABLE_NOT_OPEN"),
 * a human message and optional details.  fcgi-apps never format error
 * bodies themselves; rop_http_reply_error() turns the context into the
 * SPEC envelope.
 */
#ifndef ROP_ERR_H
#define ROP_ERR_H
/* layer: adapter */

#include <stdint.h>

enum rop_status {
	ROP_OK = 0,
	ROP_EINVAL,		/* 400 */
	ROP_EAUTH,		/* 401 */
	ROP_EPAYMENT,		/* 402 */
	ROP_EFORBIDDEN,		/* 403 */
	ROP_ENOTFOUND,		/* 404 */
	ROP_EMETHOD,		/* 405 */
	ROP_ECONFLICT,		/* 409 */
	ROP_ETOOBIG,		/* 413 */
	ROP_EMEDIA,		/* 415 */
	ROP_ELIMIT,		/* 429 */
	ROP_EUNAVAIL,		/* 503: Postgres unreachable */
	ROP_EDB,		/* 500: unexpected database error */
	ROP_ECACHE,		/* Redis failure; never reaches a client */
	ROP_ENOMEM,		/* 500 */
	ROP_EINTERNAL,		/* 500 */
	ROP_STATUS__MAX
};

#define ROP_ERR_DETAILS_MAX	8

/* One detail of an error: a string or an integer value under a key. */
struct rop_err_detail {
	const char	*key;		/* static string */
	char		 str[128];
	int64_t		 num;
	int		 is_num;
};

struct rop_err {
	enum rop_status		 status;
	const char		*code;		/* static API code, e.g. "TABLE_NOT_OPEN" */
	char			 msg[256];
	struct rop_err_detail	 details[ROP_ERR_DETAILS_MAX];
	int			 ndetails;
	int			 have_counts;	/* TABLE_CLOSE_BLOCKED: nested counts */
	int64_t			 counts_placed, counts_accepted;
	char			 allow[64];	/* 405: the Allow header */
	int			 replayed;	/* an idempotent replay of this error */
};

/*
 * Record an error: status, API code (NULL picks the default code of the
 * status) and a printf-style message.  Always returns -1 so callers can
 * write "return rop_err_set(...)".
 */
int	 rop_err_set(struct rop_err *, enum rop_status, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Add a string or integer detail to the current error (ignored when full). */
void	 rop_err_detail(struct rop_err *, const char *key, const char *val);
void	 rop_err_detail_int(struct rop_err *, const char *key, int64_t val);
void	 rop_err_clear(struct rop_err *);

/* The HTTP status of a status value (200 for ROP_OK). */
int	 rop_status_http(enum rop_status);
/* A static name for a status value ("EINVAL"). */
const char *rop_strerror(enum rop_status);
/* The default API code of a status ("VALIDATION_ERROR" for ROP_EINVAL). */
const char *rop_status_code(enum rop_status);

#endif /* ROP_ERR_H */
