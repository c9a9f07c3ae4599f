/*
 * regress_json_field: found by the contract test over
 * tests/integration/90-hostile.t and by the fuzz/ invariant "every
 * VALIDATION_ERROR names its field" (issue 8).  A \u0000 or a lone
 * surrogate escape in any string, and (in CGI mode) a Content-Length
 * that is not a number, were 400 VALIDATION_ERROR with empty details,
 * where SPEC §4 and docs/openapi.yaml require details.field.
 */
#include <json-c/json.h>

#include <string.h>

#include "rop_err.h"
#include "rop_http.h"
#include "rop_json.h"
#include "../tap.h"

static const char	*field(const struct rop_err *);
static void		 body(const char *, const char *);

static const char *
field(const struct rop_err *e)
{
	int	 i;

	for (i = 0; i < e->ndetails; i++)
		if (strcmp(e->details[i].key, "field") == 0)
			return e->details[i].str;
	return NULL;
}

static void
body(const char *text, const char *name)
{
	struct rop_err		 e;
	struct json_object	*o = NULL;

	memset(&e, 0, sizeof(e));
	ok(rop_json_parse(&e, text, strlen(text), &o) == -1 && o == NULL,
	    "%s: refused", name);
	is_str(e.code, "VALIDATION_ERROR", name);
	is_str(field(&e), "body", "details.field is body");
}

int
main(void)
{
	static const char *const bad_cl[] = { "abc", "-1", "1x",
	    "99999999999999999999", NULL };
	struct rop_req	 req;
	struct rop_err	 e;
	char		 cl[64], *envp[4];
	int		 i;

	body("{\"note\":\"a\\u0000b\"}", "NUL escape");
	body("[\"\\u0000\"]", "NUL escape alone");
	body("{\"note\":\"\\ud800\"}", "lone high surrogate");
	body("{\"note\":\"\\udc00x\"}", "lone low surrogate");
	body("{\"\\ud800\\u0041\":1}", "high surrogate then a letter, in a key");

	for (i = 0; bad_cl[i] != NULL; i++) {
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%s", bad_cl[i]);
		envp[0] = (char *)"REQUEST_METHOD=POST";
		envp[1] = (char *)"CONTENT_TYPE=application/json";
		envp[2] = cl;
		envp[3] = NULL;
		memset(&e, 0, sizeof(e));
		ok(rop_req_init(&req, &e, NULL, NULL, envp) == -1,
		    "Content-Length %s refused", bad_cl[i]);
		is_str(e.code, "VALIDATION_ERROR", "VALIDATION_ERROR");
		is_str(field(&e), "Content-Length",
		    "details.field Content-Length");
		rop_req_release(&req);
	}
	return tap_done();
}
