/*
 * rop_err: status values, their HTTP mapping and the error record.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rop_err.h"
#include "domain/rop_text.h"

static void	utf8_clean(char *);

static const struct {
	int		 http;
	const char	*name;
	const char	*code;
} statuses[ROP_STATUS__MAX] = {
	{ 200, "OK",		NULL },				/* ROP_OK */
	{ 400, "EINVAL",	"VALIDATION_ERROR" },		/* ROP_EINVAL */
	{ 401, "EAUTH",		"UNAUTHORIZED" },		/* ROP_EAUTH */
	{ 402, "EPAYMENT",	"PAYMENT_DECLINED" },		/* ROP_EPAYMENT */
	{ 403, "EFORBIDDEN",	"FORBIDDEN" },			/* ROP_EFORBIDDEN */
	{ 404, "ENOTFOUND",	"NOT_FOUND" },			/* ROP_ENOTFOUND */
	{ 405, "EMETHOD",	"METHOD_NOT_ALLOWED" },		/* ROP_EMETHOD */
	{ 409, "ECONFLICT",	"CONFLICT" },			/* ROP_ECONFLICT */
	{ 413, "ETOOBIG",	"PAYLOAD_TOO_LARGE" },		/* ROP_ETOOBIG */
	{ 415, "EMEDIA",	"UNSUPPORTED_MEDIA_TYPE" },	/* ROP_EMEDIA */
	{ 429, "ELIMIT",	"RATE_LIMITED" },		/* ROP_ELIMIT */
	{ 503, "EUNAVAIL",	"SERVICE_UNAVAILABLE" },	/* ROP_EUNAVAIL */
	{ 500, "EDB",		"INTERNAL_ERROR" },		/* ROP_EDB */
	{ 500, "ECACHE",	"INTERNAL_ERROR" },		/* ROP_ECACHE */
	{ 500, "ENOMEM",	"INTERNAL_ERROR" },		/* ROP_ENOMEM */
	{ 500, "EINTERNAL",	"INTERNAL_ERROR" },		/* ROP_EINTERNAL */
};

/*
 * Messages and details are cut to their buffers and may quote what a
 * client sent (an unknown field's name); they go out in a JSON body,
 * which must be UTF-8.  A byte that does not start a complete, valid
 * sequence (a code point cut in half by the truncation) becomes '?'.
 */
static void
utf8_clean(char *s)
{
	unsigned char	*p = (unsigned char *)s;
	size_t		 need;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		need = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
		if (strnlen((char *)p, need) == need &&
		    rop_text_utf8_len((char *)p, need) == 1) {
			p += need;
			continue;
		}
		*p++ = '?';
	}
}

int
rop_err_set(struct rop_err *e, enum rop_status st, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;

	rop_err_clear(e);
	if (st >= ROP_STATUS__MAX)
		st = ROP_EINTERNAL;
	e->status = st;
	e->code = code != NULL ? code : rop_status_code(st);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	utf8_clean(e->msg);
	return -1;
}

void
rop_err_detail(struct rop_err *e, const char *key, const char *val)
{
	struct rop_err_detail	*d;

	if (e->ndetails >= ROP_ERR_DETAILS_MAX || val == NULL)
		return;
	d = &e->details[e->ndetails++];
	d->key = key;
	d->is_num = 0;
	snprintf(d->str, sizeof(d->str), "%s", val);
	utf8_clean(d->str);
}

void
rop_err_detail_int(struct rop_err *e, const char *key, int64_t val)
{
	struct rop_err_detail	*d;

	if (e->ndetails >= ROP_ERR_DETAILS_MAX)
		return;
	d = &e->details[e->ndetails++];
	d->key = key;
	d->is_num = 1;
	d->num = val;
}

void
rop_err_clear(struct rop_err *e)
{
	memset(e, 0, sizeof(*e));
}

int
rop_status_http(enum rop_status st)
{
	return st < ROP_STATUS__MAX ? statuses[st].http : 500;
}

const char *
rop_strerror(enum rop_status st)
{
	return st < ROP_STATUS__MAX ? statuses[st].name : "EUNKNOWN";
}

const char *
rop_status_code(enum rop_status st)
{
	return st < ROP_STATUS__MAX && statuses[st].code != NULL ?
	    statuses[st].code : "INTERNAL_ERROR";
}
