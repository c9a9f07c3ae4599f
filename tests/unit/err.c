/*
 * err: the one status enum, its HTTP mapping and default API codes
 * (SPEC §4 table), and the error record with its details.
 */
#include <stdio.h>
#include <string.h>

#include "rop_err.h"
#include "../tap.h"

int
main(void)
{
	static const struct {
		enum rop_status	 st;
		int		 http;
		const char	*name;
		const char	*code;
	} map[] = {
		{ ROP_OK,	200, "OK",		"INTERNAL_ERROR" },
		{ ROP_EINVAL,	400, "EINVAL",		"VALIDATION_ERROR" },
		{ ROP_EAUTH,	401, "EAUTH",		"UNAUTHORIZED" },
		{ ROP_EPAYMENT,	402, "EPAYMENT",	"PAYMENT_DECLINED" },
		{ ROP_EFORBIDDEN, 403, "EFORBIDDEN",	"FORBIDDEN" },
		{ ROP_ENOTFOUND, 404, "ENOTFOUND",	"NOT_FOUND" },
		{ ROP_EMETHOD,	405, "EMETHOD",		"METHOD_NOT_ALLOWED" },
		{ ROP_ECONFLICT, 409, "ECONFLICT",	"CONFLICT" },
		{ ROP_ETOOBIG,	413, "ETOOBIG",		"PAYLOAD_TOO_LARGE" },
		{ ROP_EMEDIA,	415, "EMEDIA",	"UNSUPPORTED_MEDIA_TYPE" },
		{ ROP_ELIMIT,	429, "ELIMIT",		"RATE_LIMITED" },
		{ ROP_EUNAVAIL,	503, "EUNAVAIL",	"SERVICE_UNAVAILABLE" },
		{ ROP_EDB,	500, "EDB",		"INTERNAL_ERROR" },
		{ ROP_ECACHE,	500, "ECACHE",		"INTERNAL_ERROR" },
		{ ROP_ENOMEM,	500, "ENOMEM",		"INTERNAL_ERROR" },
		{ ROP_EINTERNAL, 500, "EINTERNAL",	"INTERNAL_ERROR" },
	};
	struct rop_err	 e;
	char		 name[96], longmsg[400];
	size_t		 i;
	int		 n, seen[ROP_STATUS__MAX];

	memset(seen, 0, sizeof(seen));
	is_int(sizeof(map) / sizeof(map[0]), ROP_STATUS__MAX,
	    "the table below covers every status value");
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		seen[map[i].st]++;
		snprintf(name, sizeof(name), "%s -> HTTP %d", map[i].name,
		    map[i].http);
		is_int(rop_status_http(map[i].st), map[i].http, name);
		snprintf(name, sizeof(name), "%s is named %s", map[i].name,
		    map[i].name);
		is_str(rop_strerror(map[i].st), map[i].name, name);
		snprintf(name, sizeof(name), "%s default code %s",
		    map[i].name, map[i].code);
		is_str(rop_status_code(map[i].st), map[i].code, name);
	}
	n = 0;
	for (i = 0; i < ROP_STATUS__MAX; i++)
		n += seen[i] == 1;
	is_int(n, ROP_STATUS__MAX, "each status value checked once");
	is_int(rop_status_http(ROP_STATUS__MAX), 500, "out of range -> 500");
	is_int(rop_status_http((enum rop_status)1000), 500,
	    "far out of range -> 500");
	is_str(rop_strerror(ROP_STATUS__MAX), "EUNKNOWN",
	    "out of range is EUNKNOWN");
	is_str(rop_status_code(ROP_STATUS__MAX), "INTERNAL_ERROR",
	    "out of range code is INTERNAL_ERROR");

	/* rop_err_set: default and explicit codes, message, always -1. */
	memset(&e, 0x5a, sizeof(e));
	rop_err_clear(&e);
	ok(e.status == ROP_OK && e.code == NULL && e.msg[0] == '\0' &&
	    e.ndetails == 0 && e.allow[0] == '\0' && !e.have_counts,
	    "rop_err_clear empties the record");
	is_int(rop_err_set(&e, ROP_ENOTFOUND, NULL, "order %s", "ord_1"), -1,
	    "rop_err_set returns -1");
	is_int(e.status, ROP_ENOTFOUND, "status recorded");
	is_str(e.code, "NOT_FOUND", "NULL code picks the default");
	is_str(e.msg, "order ord_1", "message formatted");
	rop_err_set(&e, ROP_ENOTFOUND, "ORDER_NOT_FOUND", "x");
	is_str(e.code, "ORDER_NOT_FOUND", "explicit code kept");
	rop_err_set(&e, ROP_ECONFLICT, "TABLE_NOT_OPEN", "t");
	is_int(rop_status_http(e.status), 409, "TABLE_NOT_OPEN is a 409");
	rop_err_set(&e, (enum rop_status)77, NULL, "bogus");
	is_int(e.status, ROP_EINTERNAL, "an unknown status becomes EINTERNAL");
	is_str(e.code, "INTERNAL_ERROR", "with INTERNAL_ERROR");
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	rop_err_set(&e, ROP_EINVAL, NULL, "%s", longmsg);
	is_int(strlen(e.msg), sizeof(e.msg) - 1, "long message truncated");

	/* Details: strings, integers, a bounded list; set clears them. */
	rop_err_set(&e, ROP_EINVAL, NULL, "bad");
	rop_err_detail(&e, "field", "lines[0].quantity");
	rop_err_detail_int(&e, "max", 99);
	rop_err_detail(&e, "ignored", NULL);
	is_int(e.ndetails, 2, "two details (a NULL value is ignored)");
	ok(strcmp(e.details[0].key, "field") == 0 && !e.details[0].is_num &&
	    strcmp(e.details[0].str, "lines[0].quantity") == 0,
	    "string detail");
	ok(strcmp(e.details[1].key, "max") == 0 && e.details[1].is_num &&
	    e.details[1].num == 99, "integer detail");
	for (i = 0; i < 20; i++)
		rop_err_detail_int(&e, "n", (int64_t)i);
	is_int(e.ndetails, ROP_ERR_DETAILS_MAX, "details are bounded");
	rop_err_detail(&e, "field", "overflow");
	is_int(e.ndetails, ROP_ERR_DETAILS_MAX, "string detail when full");
	rop_err_detail(&e, "k", longmsg);
	rop_err_set(&e, ROP_EINVAL, NULL, "again");
	rop_err_detail(&e, "field", longmsg);
	is_int(strlen(e.details[0].str), sizeof(e.details[0].str) - 1,
	    "long detail truncated");
	rop_err_set(&e, ROP_EAUTH, NULL, "fresh");
	is_int(e.ndetails, 0, "rop_err_set clears earlier details");
	return tap_done();
}
