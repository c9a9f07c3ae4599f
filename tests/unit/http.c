/*
 * http: the request side of rop_http without a server: query decoding,
 * header and param lookup, request ids, traceparent, the body rules
 * (413, 415, short bodies) and the CGI response with the SPEC §4 error
 * envelope.  Requests are built by hand from "NAME=value" arrays, in
 * CGI mode (no FastCGI streams): bodies come from fd 0, replies go to
 * fd 1, which the tests point at pipes and files.
 */
#include <json-c/json.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rop_err.h"
#include "rop_http.h"
#include "../tap.h"

/* Environment entries are char * (as libfcgi has them); literals are not. */
#define E(s)	((char *)(s))

static int	 q(const char *, const char *, char *, size_t);
static int	 init_with(struct rop_req *, struct rop_err *, char **,
		    const char *);
static char	*capture(struct rop_req *, const struct rop_err *, int);
static void	 test_query(void);
static void	 test_query_int(void);
static void	 test_headers(void);
static void	 test_ids(void);
static void	 test_idem_key(void);
static void	 test_body(void);
static void	 test_replies(void);

/* rop_req_query() on a hand-built request with QUERY_STRING "qs". */
static int
q(const char *qs, const char *key, char *buf, size_t bufsz)
{
	struct rop_req	 r;

	memset(&r, 0, sizeof(r));
	r.query = qs;
	return rop_req_query(&r, key, buf, bufsz);
}

/*
 * rop_req_init() in CGI mode with "body" (NULL: none) on fd 0.
 */
static int
init_with(struct rop_req *r, struct rop_err *e, char **envp,
    const char *body)
{
	int	 fds[2], saved = -1, rc;

	rop_err_clear(e);
	if (body != NULL) {
		if (pipe(fds) == -1)
			return -2;
		if (write(fds[1], body, strlen(body)) != (ssize_t)strlen(body))
			return -2;
		close(fds[1]);
		saved = dup(STDIN_FILENO);
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
	}
	rc = rop_req_init(r, e, NULL, NULL, envp);
	if (saved != -1) {
		dup2(saved, STDIN_FILENO);
		close(saved);
	}
	return rc;
}

/*
 * Answer "err" (or, when err is NULL, a 200 {"ok":true}) with stdout
 * pointed at a file; returns the bytes written (malloc'd).
 */
static char *
capture(struct rop_req *r, const struct rop_err *err, int twice)
{
	char			 tmpl[] = "/tmp/rop-http-test.XXXXXX", *buf;
	struct json_object	*o;
	int			 fd, saved;
	off_t			 n;

	fflush(stdout);
	if ((fd = mkstemp(tmpl)) == -1)
		return NULL;
	unlink(tmpl);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (err != NULL)
		rop_reply_error(r, err);
	else {
		o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(1));
		rop_reply_json(r, 200, o);
		json_object_put(o);
	}
	if (twice)
		rop_reply_json(r, 500, NULL);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	n = lseek(fd, 0, SEEK_END);
	if (n < 0 || (buf = calloc(1, (size_t)n + 1)) == NULL ||
	    pread(fd, buf, (size_t)n, 0) != n) {
		close(fd);
		return NULL;
	}
	close(fd);
	return buf;
}

static void
test_query(void)
{
	char	 b[64], small[4];
	char	 longq[400];

	ok(q("a=1&b=x%20y", "b", b, sizeof(b)) == 1 &&
	    strcmp(b, "x y") == 0, "%%20 decodes to a space");
	ok(q("a=1&b=x+y", "b", b, sizeof(b)) == 1 && strcmp(b, "x y") == 0,
	    "+ decodes to a space");
	ok(q("s=%41%62%2b%2B%25", "s", b, sizeof(b)) == 1 &&
	    strcmp(b, "Ab++%") == 0, "upper and lower hex, %%2B is a plus");
	ok(q("s=caf%C3%A9", "s", b, sizeof(b)) == 1 &&
	    strcmp(b, "caf\xc3\xa9") == 0, "UTF-8 bytes decode");
	ok(q("a=1", "b", b, sizeof(b)) == 0, "missing key is 0");
	ok(q("", "b", b, sizeof(b)) == 0, "empty query is 0");
	ok(q("ab=1&a=2", "a", b, sizeof(b)) == 1 && strcmp(b, "2") == 0,
	    "a longer key with the same prefix is not the key");
	ok(q("xa=1", "a", b, sizeof(b)) == 0, "suffix match is not the key");
	ok(q("a&b=2", "a", b, sizeof(b)) == 0, "key without = is absent");
	ok(q("a=&b=2", "a", b, sizeof(b)) == 1 && b[0] == '\0',
	    "empty value is present and empty");
	ok(q("a=x=y", "a", b, sizeof(b)) == 1 && strcmp(b, "x=y") == 0,
	    "= inside a value is kept");
	ok(q("limit=5&limit=500", "limit", b, sizeof(b)) == 1 &&
	    strcmp(b, "5") == 0,
	    "duplicate keys: the first wins, as with nginx's $arg_");
	ok(q("&&a=1&", "a", b, sizeof(b)) == 1 && strcmp(b, "1") == 0,
	    "empty pairs are skipped");
	ok(q("a=%zz", "a", b, sizeof(b)) == -1, "%%zz is malformed");
	ok(q("a=%4", "a", b, sizeof(b)) == -1, "truncated %% escape");
	ok(q("a=%4&b=1", "a", b, sizeof(b)) == -1,
	    "escape cut by the next pair");
	ok(q("a=%", "a", b, sizeof(b)) == -1, "lone %% at the end");
	ok(q("a=x%00y", "a", b, sizeof(b)) == -1, "%%00 refused");
	ok(q("a=%zz&b=ok", "b", b, sizeof(b)) == 1 && strcmp(b, "ok") == 0,
	    "a malformed other key does not matter");
	ok(q("a=abc", "a", small, sizeof(small)) == 1 &&
	    strcmp(small, "abc") == 0, "value of bufsz-1 fits");
	ok(q("a=abcd", "a", small, sizeof(small)) == -1,
	    "value of bufsz is too long");
	ok(q("a=%41%41%41%41", "a", small, sizeof(small)) == -1,
	    "decoded length counts, not encoded");
	memset(longq, 'x', sizeof(longq));
	memcpy(longq, "cursor=", 7);
	longq[sizeof(longq) - 1] = '\0';
	ok(q(longq, "cursor", b, sizeof(b)) == -1, "a long value is refused");
	test_query_int();
}

/* rop_req_query_int(), as the events app reads ?after= and ?limit=. */
static void
test_query_int(void)
{
	static const char *const bad[] = { "limit=0", "limit=501",
	    "limit=-1", "limit=+5", "limit= 5", "limit=5x", "limit=",
	    "limit=%zz", "limit=99999999999999999999", NULL };
	struct rop_req	 r;
	struct rop_err	 e;
	long long	 v;
	size_t		 i;

	memset(&r, 0, sizeof(r));
	memset(&e, 0, sizeof(e));
	r.query = "a=1";
	ok(rop_req_query_int(&r, &e, "limit", 100, 1, 500, "INVALID_LIMIT",
	    &v) == 0 && v == 100, "query int: absent is the default");
	r.query = "limit=500&after=9223372036854775807";
	ok(rop_req_query_int(&r, &e, "limit", 100, 1, 500, "INVALID_LIMIT",
	    &v) == 0 && v == 500, "query int: the maximum");
	ok(rop_req_query_int(&r, &e, "after", 0, 0, INT64_MAX, NULL,
	    &v) == 0 && v == INT64_MAX, "query int: 2^63 - 1");
	r.query = "after=9223372036854775808";
	ok(rop_req_query_int(&r, &e, "after", 0, 0, INT64_MAX, NULL,
	    &v) == -1 && e.status == ROP_EINVAL &&
	    strcmp(e.code, "VALIDATION_ERROR") == 0 && e.ndetails == 1 &&
	    strcmp(e.details[0].str, "after") == 0,
	    "query int: 2^63 is 400 VALIDATION_ERROR naming after");
	for (i = 0; bad[i] != NULL; i++) {
		memset(&e, 0, sizeof(e));
		r.query = bad[i];
		ok(rop_req_query_int(&r, &e, "limit", 100, 1, 500,
		    "INVALID_LIMIT", &v) == -1 && e.status == ROP_EINVAL &&
		    e.code != NULL && strcmp(e.code, "INVALID_LIMIT") == 0,
		    "query int: %s is 400 INVALID_LIMIT", bad[i]);
	}
}

static void
test_headers(void)
{
	char		*env[] = {
		E("REQUEST_METHOD=PATCH"),
		E("HTTP_IF_NONE_MATCH=\"menu-v3\""),
		E("HTTP_X_REQUEST_ID=abc"),
		E("CONTENT_TYPE=application/json"),
		E("CONTENT_LENGTH=0"),
		E("HTTP_AUTHORIZATION=Bearer t"),
		E("ROP_ROUTE=menu.patch"),
		E("ROP_ORDER_ID=ord_1"),
		E("HTTP_X_EMPTY="),
		NULL
	};
	struct rop_req	 r;

	memset(&r, 0, sizeof(r));
	r.envp = env;
	is_str(rop_req_header(&r, "If-None-Match"), "\"menu-v3\"",
	    "If-None-Match -> HTTP_IF_NONE_MATCH");
	is_str(rop_req_header(&r, "if-none-match"), "\"menu-v3\"",
	    "header names are case-insensitive");
	is_str(rop_req_header(&r, "X-Request-Id"), "abc", "X-Request-Id");
	is_str(rop_req_header(&r, "Authorization"), "Bearer t",
	    "Authorization");
	is_str(rop_req_header(&r, "Content-Type"), "application/json",
	    "Content-Type is CONTENT_TYPE, not HTTP_CONTENT_TYPE");
	is_str(rop_req_header(&r, "X-Empty"), "", "an empty header is \"\"");
	is_str(rop_req_header(&r, "Accept"), NULL, "absent header is NULL");
	is_str(rop_req_header(&r, "Route"), NULL,
	    "a header never reads a param (ROP_ROUTE)");
	is_str(rop_req_param(&r, "ROP_ROUTE"), "menu.patch", "param");
	is_str(rop_req_param(&r, "ROP_ORDER"), NULL,
	    "param names match whole, not by prefix");
	is_str(rop_req_param(&r, "ROP_ORDER_ID"), "ord_1", "path id param");
	r.envp = NULL;
	is_str(rop_req_param(&r, "ROP_ROUTE"), NULL, "no envp: no params");
}

static void
test_ids(void)
{
	char		 longid[160], *env[8];
	struct rop_req	 r;
	struct rop_err	 e;
	char		 tp[80];

	env[0] = E("REQUEST_METHOD=GET");
	env[1] = E("HTTP_X_REQUEST_ID=client-1.2:3_x");
	env[2] = NULL;
	ok(init_with(&r, &e, env, NULL) == 0, "GET without a body");
	is_str(r.request_id, "client-1.2:3_x", "a sane request id is kept");
	is_str(r.method, "GET", "method");
	is_str(r.query, "", "no QUERY_STRING reads as \"\"");
	is_str(r.route, NULL, "no route");
	is_str(r.trace_id, "", "no traceparent, no trace id");
	rop_req_release(&r);

	memset(longid, 'a', sizeof(longid));
	memcpy(longid, "HTTP_X_REQUEST_ID=", 18);
	longid[18 + 128] = '\0';
	env[1] = longid;
	init_with(&r, &e, env, NULL);
	is_int(strlen(r.request_id), 128, "128 characters are kept");
	longid[18 + 128] = 'a';
	longid[18 + 130] = '\0';
	init_with(&r, &e, env, NULL);
	ok(strlen(r.request_id) == 32 &&
	    strspn(r.request_id, "0123456789abcdef") == 32,
	    "130 characters: replaced by 32 new hex digits");
	env[1] = E("HTTP_X_REQUEST_ID=has space");
	init_with(&r, &e, env, NULL);
	ok(strlen(r.request_id) == 32 && strchr(r.request_id, ' ') == NULL,
	    "a request id with a space is replaced");
	env[1] = E("HTTP_X_REQUEST_ID=");
	init_with(&r, &e, env, NULL);
	is_int(strlen(r.request_id), 32, "an empty request id is replaced");
	env[1] = E("HTTP_X_REQUEST_ID=from-client");
	env[2] = E("ROP_REQUEST_ID=from-nginx");
	env[3] = NULL;
	init_with(&r, &e, env, NULL);
	is_str(r.request_id, "from-nginx", "nginx's ROP_REQUEST_ID wins");
	env[2] = E("ROP_REQUEST_ID=bad id");
	init_with(&r, &e, env, NULL);
	is_str(r.request_id, "from-client",
	    "an insane ROP_REQUEST_ID falls back to the header");

	env[1] = tp;
	env[2] = NULL;
	snprintf(tp, sizeof(tp), "HTTP_TRACEPARENT=00-"
	    "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	init_with(&r, &e, env, NULL);
	is_str(r.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736",
	    "traceparent: trace id taken");
	snprintf(tp, sizeof(tp), "HTTP_TRACEPARENT=00-"
	    "4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
	init_with(&r, &e, env, NULL);
	is_str(r.trace_id, "", "upper-case trace id refused (W3C: lowercase)");
	snprintf(tp, sizeof(tp), "HTTP_TRACEPARENT=00-"
	    "00000000000000000000000000000000-00f067aa0ba902b7-01");
	init_with(&r, &e, env, NULL);
	is_str(r.trace_id, "", "all-zero trace id refused");
	snprintf(tp, sizeof(tp), "HTTP_TRACEPARENT=00-"
	    "4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01");
	init_with(&r, &e, env, NULL);
	is_str(r.trace_id, "", "short trace id refused");
	snprintf(tp, sizeof(tp), "HTTP_TRACEPARENT=00-"
	    "4bf92f3577b34da6a3ce929d0e0e4736x00f067aa0ba902b7-01");
	init_with(&r, &e, env, NULL);
	is_str(r.trace_id, "", "bad separator refused");
	snprintf(tp, sizeof(tp), "HTTP_TRACEPARENT=00-"
	    "4bf92f3577b34da6a3ce929d0e0eg736-00f067aa0ba902b7-01");
	init_with(&r, &e, env, NULL);
	is_str(r.trace_id, "", "non-hex trace id refused");
	rop_req_release(&r);
}

static void
test_body(void)
{
	char			*env[6];
	struct rop_req		 r;
	struct rop_err		 e;
	struct json_object	*o = NULL;

	env[0] = E("REQUEST_METHOD=POST");
	env[1] = E("CONTENT_TYPE=application/json; charset=utf-8");
	env[2] = E("CONTENT_LENGTH=7");
	env[3] = NULL;
	ok(init_with(&r, &e, env, "{\"a\":1}") == 0, "7-byte JSON body");
	ok(r.body_len == 7 && strcmp(r.body, "{\"a\":1}") == 0,
	    "body read from fd 0 and NUL-terminated");
	ok(rop_req_json(&r, &e, 0, &o) == 0 &&
	    json_object_is_type(o, json_type_object), "rop_req_json");
	json_object_put(o);
	ok(rop_req_no_payload(&r, &e) == -1 &&
	    strcmp(e.code, "VALIDATION_ERROR") == 0,
	    "a payload where none is taken is a VALIDATION_ERROR");
	rop_req_release(&r);
	ok(r.body == NULL, "release frees the body");

	env[2] = E("CONTENT_LENGTH=2");
	init_with(&r, &e, env, "{}");
	ok(rop_req_no_payload(&r, &e) == 0, "{} counts as no payload");
	rop_req_release(&r);
	env[2] = E("CONTENT_LENGTH=2");
	init_with(&r, &e, env, "[]");
	ok(rop_req_no_payload(&r, &e) == -1, "[] is not {}");
	rop_req_release(&r);
	env[2] = E("CONTENT_LENGTH=3");
	init_with(&r, &e, env, "{x}");
	ok(rop_req_json(&r, &e, 0, &o) == -1 &&
	    strcmp(e.code, "MALFORMED_JSON") == 0, "a bad body is malformed");
	rop_req_release(&r);

	env[2] = E("CONTENT_LENGTH=10");
	ok(init_with(&r, &e, env, "{\"a\":1}") == -1 &&
	    strcmp(e.code, "MALFORMED_JSON") == 0,
	    "a body shorter than Content-Length");
	rop_req_release(&r);

	env[2] = E("CONTENT_LENGTH=65536");
	env[1] = E("CONTENT_TYPE=text/plain");
	ok(init_with(&r, &e, env, NULL) == -1 && e.status == ROP_EMEDIA,
	    "text/plain body: 415");
	env[1] = E("CONTENT_TYPE=application/jsonp");
	ok(init_with(&r, &e, env, NULL) == -1 && e.status == ROP_EMEDIA,
	    "application/jsonp is not JSON");
	env[1] = E("CONTENT_TYPE=");
	ok(init_with(&r, &e, env, NULL) == -1 && e.status == ROP_EMEDIA,
	    "empty content type with a body: 415");
	env[1] = E("CONTENT_TYPE=application/json");
	env[2] = E("CONTENT_LENGTH=65537");
	ok(init_with(&r, &e, env, NULL) == -1 && e.status == ROP_ETOOBIG &&
	    strcmp(e.code, "PAYLOAD_TOO_LARGE") == 0 && r.body == NULL,
	    "65537 bytes: 413 before reading anything");
	env[2] = E("CONTENT_LENGTH=99999999999999999999999");
	ok(init_with(&r, &e, env, NULL) == -1 &&
	    (e.status == ROP_ETOOBIG || e.status == ROP_EINVAL),
	    "absurd Content-Length refused");
	env[1] = E("CONTENT_TYPE=text/plain");
	env[2] = E("CONTENT_LENGTH=70000");
	ok(init_with(&r, &e, env, NULL) == -1 && e.status == ROP_ETOOBIG,
	    "size is checked before type (§9.16)");
	env[1] = E("CONTENT_TYPE=application/json");
	env[2] = E("CONTENT_LENGTH=12abc");
	ok(init_with(&r, &e, env, NULL) == -1 && e.status == ROP_EINVAL,
	    "non-numeric Content-Length refused");
	env[2] = E("CONTENT_LENGTH=-1");
	ok(init_with(&r, &e, env, NULL) == -1 && e.status == ROP_EINVAL,
	    "negative Content-Length refused");
	env[2] = E("CONTENT_LENGTH=0");
	env[1] = E("CONTENT_TYPE=text/plain");
	ok(init_with(&r, &e, env, NULL) == 0 && r.body_len == 0,
	    "an empty body needs no content type");
	ok(rop_req_json(&r, &e, 1, &o) == 0 && o == NULL,
	    "optional JSON of an empty body is NULL");
	ok(rop_req_json(&r, &e, 0, &o) == -1 &&
	    strcmp(e.code, "VALIDATION_ERROR") == 0,
	    "required JSON of an empty body is a VALIDATION_ERROR");
	ok(rop_req_no_payload(&r, &e) == 0, "no body is no payload");
	rop_req_release(&r);
}

static void
test_replies(void)
{
	char			*env[] = { E("REQUEST_METHOD=POST"),
	    E("HTTP_X_REQUEST_ID=rid-42"), NULL };
	struct rop_req		 r;
	struct rop_err		 e;
	struct json_object	*o, *err, *v;
	char			*out, *body;
	int			 i;

	init_with(&r, &e, env, NULL);
	rop_err_set(&e, ROP_EMETHOD, NULL, "method POST not allowed here");
	snprintf(e.allow, sizeof(e.allow), "GET");
	out = capture(&r, &e, 1);
	ok(out != NULL, "405 captured");
	if (out == NULL)
		return;
	ok(strncmp(out, "Status: 405 Method Not Allowed\r\n", 32) == 0,
	    "CGI status line first");
	ok(strstr(out, "\r\nContent-Type: application/json; charset=utf-8"
	    "\r\n") != NULL, "JSON content type");
	ok(strstr(out, "\r\nAllow: GET\r\n") != NULL, "Allow: GET");
	ok(strstr(out, "\r\nX-Request-Id: rid-42\r\n") != NULL,
	    "X-Request-Id header");
	body = strstr(out, "\r\n\r\n");
	ok(body != NULL, "blank line ends the headers");
	body = body != NULL ? body + 4 : out;
	o = json_tokener_parse(body);
	ok(o != NULL && json_object_object_get_ex(o, "error", &err) &&
	    json_object_object_get_ex(err, "code", &v) &&
	    strcmp(json_object_get_string(v), "METHOD_NOT_ALLOWED") == 0,
	    "envelope error.code");
	ok(json_object_object_get_ex(o, "requestId", &v) &&
	    strcmp(json_object_get_string(v), "rid-42") == 0,
	    "envelope requestId equals the header");
	ok(json_object_object_get_ex(err, "message", &v) &&
	    json_object_object_get_ex(err, "details", &v) &&
	    json_object_is_type(v, json_type_object),
	    "envelope has message and details");
	json_object_put(o);
	ok(strstr(body, "Status: 500") == NULL,
	    "a second reply to the same request writes nothing");
	free(out);

	init_with(&r, &e, env, NULL);
	rop_err_set(&e, ROP_EDB, NULL, "secret SQL detail");
	out = capture(&r, &e, 0);
	ok(out != NULL && strncmp(out, "Status: 500", 11) == 0 &&
	    strstr(out, "secret") == NULL &&
	    strstr(out, "\"INTERNAL_ERROR\"") != NULL,
	    "500: INTERNAL_ERROR without the internal message");
	free(out);

	init_with(&r, &e, env, NULL);
	rop_err_set(&e, ROP_EUNAVAIL, NULL, "database connect: refused");
	out = capture(&r, &e, 0);
	ok(out != NULL && strncmp(out, "Status: 503 Service Unavailable",
	    31) == 0 && strstr(out, "\r\nRetry-After: 1\r\n") != NULL &&
	    strstr(out, "\"SERVICE_UNAVAILABLE\"") != NULL &&
	    strstr(out, "refused") == NULL,
	    "503: SERVICE_UNAVAILABLE, Retry-After, no connection details");
	free(out);

	init_with(&r, &e, env, NULL);
	rop_err_set(&e, ROP_EAUTH, NULL, "token expired");
	out = capture(&r, &e, 0);
	ok(out != NULL && strstr(out, "\r\nWWW-Authenticate: Bearer\r\n") !=
	    NULL, "401 carries WWW-Authenticate: Bearer");
	free(out);

	init_with(&r, &e, env, NULL);
	rop_err_set(&e, ROP_ECONFLICT, "TABLE_CLOSE_BLOCKED", "blocked");
	rop_err_detail(&e, "reason", "HAS_NON_READY_ORDERS");
	e.have_counts = 1;
	e.counts_placed = 2;
	e.counts_accepted = 1;
	out = capture(&r, &e, 0);
	body = out != NULL ? strstr(out, "\r\n\r\n") : NULL;
	o = body != NULL ? json_tokener_parse(body + 4) : NULL;
	ok(o != NULL && json_object_object_get_ex(o, "error", &err) &&
	    json_object_object_get_ex(err, "details", &v) &&
	    strcmp(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
	    "{\"reason\":\"HAS_NON_READY_ORDERS\",\"counts\":{\"placed\":2,"
	    "\"accepted\":1}}") == 0, "409 details with nested counts");
	json_object_put(o);
	free(out);

	/* Headers beyond the buffer are dropped, never overflow it. */
	init_with(&r, &e, env, NULL);
	for (i = 0; i < 100; i++)
		rop_reply_header(&r, "X-Filler", "0123456789012345678901234");
	ok(r.hdrs_len < sizeof(r.hdrs) && strlen(r.hdrs) == r.hdrs_len,
	    "header buffer stays bounded and terminated");
	out = capture(&r, NULL, 0);
	ok(out != NULL && strncmp(out, "Status: 200 OK\r\n", 16) == 0 &&
	    strstr(out, "Content-Length: 11\r\n\r\n{\"ok\":true}") != NULL,
	    "200 with Content-Length and the compact body");
	free(out);

	env[0] = E("REQUEST_METHOD=HEAD");
	init_with(&r, &e, env, NULL);
	out = capture(&r, NULL, 0);
	ok(out != NULL && strstr(out, "\r\n\r\n") != NULL &&
	    strstr(out, "\r\n\r\n")[4] == '\0', "HEAD: headers only");
	free(out);
}

static void
test_idem_key(void)
{
	char		*ok_env[] = { E("HTTP_IDEMPOTENCY_KEY=k-1"), NULL };
	char		*bad_env[] = { E("HTTP_IDEMPOTENCY_KEY=a b\x01"), NULL };
	char		*empty_env[] = { E("HTTP_IDEMPOTENCY_KEY="), NULL };
	char		*none_env[] = { NULL };
	struct rop_req	 r;
	struct rop_err	 e;
	const char	*key;

	memset(&r, 0, sizeof(r));
	r.envp = ok_env;
	rop_err_clear(&e);
	is_int(rop_req_idem_key(&r, &e, 1, &key), 0, "idem key: valid");
	is_str(key, "k-1", "idem key: the header's value");
	r.envp = none_env;
	is_int(rop_req_idem_key(&r, &e, 0, &key), 0,
	    "idem key: absent and optional");
	ok(key == NULL, "idem key: absent is NULL");
	is_int(rop_req_idem_key(&r, &e, 1, &key), -1,
	    "idem key: absent and required");
	is_str(e.code, "IDEMPOTENCY_KEY_REQUIRED", "... IDEMPOTENCY_KEY_REQUIRED");
	is_int(rop_status_http(e.status), 400, "... 400");
	r.envp = bad_env;
	rop_err_clear(&e);
	is_int(rop_req_idem_key(&r, &e, 0, &key), -1,
	    "idem key: control character");
	is_str(e.code, "VALIDATION_ERROR", "... VALIDATION_ERROR");
	ok(e.ndetails == 1 && strcmp(e.details[0].key, "field") == 0 &&
	    strcmp(e.details[0].str, "Idempotency-Key") == 0,
	    "... details.field Idempotency-Key");
	r.envp = empty_env;
	rop_err_clear(&e);
	is_int(rop_req_idem_key(&r, &e, 0, &key), -1,
	    "idem key: empty is invalid, not absent");
}

int
main(void)
{
	test_query();
	test_headers();
	test_ids();
	test_idem_key();
	test_body();
	test_replies();
	return tap_done();
}
