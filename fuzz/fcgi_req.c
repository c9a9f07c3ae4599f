/*
 * fuzz/fcgi_req: a request as the FastCGI layer hands it to an app:
 * params (the envp array), headers, the query string and, in CGI mode,
 * the body on stdin (lib/rop_http.c), then the query parsing handlers
 * do on top (rop_order_paging, rop_req_query_int as the events app
 * reads its parameters),
 * the bearer extraction and the error reply.
 *
 * Input: the first byte picks a mode.  Even: the rest is QUERY_STRING
 * of an otherwise fixed GET.  Odd: the rest is "NAME=VALUE" lines (the
 * envp), then an empty line, then the body bytes served on stdin.
 *
 * Invariants besides memory safety: path ids handed out are ids; the
 * request id is a sane one and the trace id 32 lower-case hex digits or
 * empty; decoded query values fit their buffer and hold no NUL; paging
 * values are in range; and the error reply is one well-formed CGI
 * response (Status line, CRLF headers, Content-Length matching a body
 * that is valid JSON).
 */
#include <sys/mman.h>

#include <json-c/json.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rop_app.h"
#include "rop_json.h"
#include "rop_order.h"
#include "fuzz.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
static void	check_reply(int);
static void	rewind_fd(int);

static int	fd_in = -1, fd_out = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* CGI mode: the body comes from fd 0, replies go to fd 1. */
	if ((fd_in = memfd_create("fuzz-stdin", 0)) == -1 ||
	    (fd_out = memfd_create("fuzz-stdout", 0)) == -1 ||
	    dup2(fd_in, STDIN_FILENO) == -1 ||
	    dup2(fd_out, STDOUT_FILENO) == -1)
		abort();
	return 0;
}

static void
rewind_fd(int fd)
{
	if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1)
		abort();
}

/*
 * The bytes written to stdout must be one CGI response with JSON; a
 * HEAD answer has no body but the Content-Length of its GET.
 */
static void
check_reply(int head)
{
	static char	 buf[256 * 1024];
	struct rop_err	 e;
	ssize_t		 n;
	char		*sep, *cl, *line, *end;
	long		 want;

	if ((n = pread(STDOUT_FILENO, buf, sizeof(buf) - 1, 0)) <= 0)
		fuzz_fail("no reply written", NULL);
	buf[n] = '\0';
	if (strncmp(buf, "Status: ", 8) != 0)
		fuzz_fail("reply does not start with Status", buf);
	if ((sep = strstr(buf, "\r\n\r\n")) == NULL)
		fuzz_fail("reply headers do not end", buf);
	for (line = buf; line < sep; line = end + 2) {
		end = strstr(line, "\r\n");
		if (memchr(line, '\n', (size_t)(end - line)) != NULL ||
		    memchr(line, '\r', (size_t)(end - line)) != NULL)
			fuzz_fail("bare CR or LF in a header line", line);
		if (strchr(line, ':') == NULL || strchr(line, ':') > end)
			fuzz_fail("header line without a colon", line);
	}
	if ((cl = strstr(buf, "Content-Length: ")) == NULL || cl > sep)
		fuzz_fail("reply without Content-Length", buf);
	want = strtol(cl + 16, NULL, 10);
	sep += 4;
	if (head) {
		if (sep != buf + n)
			fuzz_fail("a HEAD answer with a body", buf);
		return;
	}
	if (want != (long)(buf + n - sep))
		fuzz_fail("Content-Length does not match the body", buf);
	memset(&e, 0, sizeof(e));
	if (want > 0 && rop_json_check(&e, sep, (size_t)want) == -1)
		fuzz_fail("error reply body is not valid JSON", sep);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "ROP_RESTAURANT_ID",
	    "ROP_TABLE_ID", "ROP_ORDER_ID", "ROP_ITEM_ID", NULL };
	static const char *const keys[] = { "status", "limit", "cursor",
	    "after", "access_token", "restaurant_id", "", NULL };
	static const char *const hdrs[] = { "Idempotency-Key",
	    "If-None-Match", "X-Request-Id", "traceparent", "Content-Type",
	    "Authorization", "x", NULL };
	static struct rop_ctx	 ctx;
	struct rop_principal	 p;
	struct rop_req		 req;
	struct json_object	*obj;
	char			*in, **envp = NULL, *q = NULL, *body = NULL;
	char			 buf[256], cursor[129], longname[300];
	const char		*v, *status;
	size_t			 nenv = 0, i, bodylen = 0;
	long long		 ll;
	int			 r, limit, k;

	if (size < 1 || size > 70000)
		return 0;
	in = fuzz_strndup(data + 1, size - 1);
	if ((envp = calloc(size + 8, sizeof(*envp))) == NULL)
		abort();
	if (data[0] % 2 == 0) {
		if ((q = malloc(size + 16)) == NULL)
			abort();
		snprintf(q, size + 16, "QUERY_STRING=%s", in);
		envp[nenv++] = "REQUEST_METHOD=GET";
		envp[nenv++] = "ROP_ROUTE=kitchen.orders";
		envp[nenv++] = "ROP_RESTAURANT_ID=rst_001";
		envp[nenv++] = q;
	} else {
		char *s = in, *nl;

		/* Lines up to an empty one are params; the rest is body. */
		while (*s != '\0') {
			if (*s == '\n') {
				body = s + 1;
				break;
			}
			nl = strchr(s, '\n');
			if (nl != NULL)
				*nl = '\0';
			envp[nenv++] = s;
			if (nl == NULL)
				break;
			s = nl + 1;
		}
		if (body != NULL) {
			/* The body may hold NULs: take it from the input. */
			bodylen = size - 1 - (size_t)(body - in);
			body = (char *)data + 1 + (body - in);
		}
	}
	envp[nenv] = NULL;

	rewind_fd(fd_in);
	if (bodylen > 0 && write(fd_in, body, bodylen) != (ssize_t)bodylen)
		abort();
	lseek(fd_in, 0, SEEK_SET);
	rewind_fd(fd_out);

	memset(&ctx, 0, sizeof(ctx));
	snprintf(ctx.cfg.jwt_secret, sizeof(ctx.cfg.jwt_secret),
	    "fuzz-jwt-secret-0123456789abcdef0123456789");
	snprintf(ctx.cfg.table_secret, sizeof(ctx.cfg.table_secret),
	    "fuzz-table-secret-0123456789abcdef012345678");
	ctx.req = &req;
	if (rop_req_init(&req, &ctx.err, NULL, NULL, envp) == -1)
		fuzz_check_err(&ctx.err);
	else if (req.body_len > ROP_BODY_MAX || (req.body_len > 0 &&
	    req.body == NULL))
		fuzz_fail("body over the limit accepted", NULL);

	if (!rop_text_is_request_id(req.request_id))
		fuzz_fail("request id is not sane", req.request_id);
	if (req.trace_id[0] != '\0' && (strlen(req.trace_id) != 32 ||
	    strspn(req.trace_id, "0123456789abcdef") != 32))
		fuzz_fail("trace id is not 32 hex digits", req.trace_id);

	for (i = 0; names[i] != NULL; i++) {
		struct rop_err e;

		memset(&e, 0, sizeof(e));
		v = rop_req_id(&req, &e, names[i]);
		if (v != NULL && !rop_text_is_id(v))
			fuzz_fail("path id is not an id", v);
		if (v == NULL && e.status != ROP_ENOTFOUND)
			fuzz_fail("a bad path id is not 404", names[i]);
	}
	for (i = 0; hdrs[i] != NULL; i++)
		(void)rop_req_header(&req, hdrs[i]);
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	(void)rop_req_header(&req, longname);

	for (i = 0; keys[i] != NULL; i++) {
		for (k = 1; k <= 256; k *= 4) {
			memset(buf, 0x5a, sizeof(buf));
			r = rop_req_query(&req, keys[i], buf, (size_t)k);
			if (r == 1 && (memchr(buf, '\0', (size_t)k) == NULL ||
			    strlen(buf) >= (size_t)k))
				fuzz_fail("query value overflows", keys[i]);
			if (buf[k < 256 ? k : 255] != 0x5a && k < 256)
				fuzz_fail("query wrote past its buffer",
				    keys[i]);
		}
	}

	memset(&ctx.err, 0, sizeof(ctx.err));
	if (rop_order_paging(&ctx, "PLACED", &status, &limit, cursor) == -1)
		fuzz_check_err(&ctx.err);
	else if (limit < 1 || limit > 200 || strlen(cursor) > 128)
		fuzz_fail("paging out of range", NULL);
	memset(&ctx.err, 0, sizeof(ctx.err));
	if (rop_req_query_int(&req, &ctx.err, "after", 0, 0, INT64_MAX, NULL,
	    &ll) == -1)
		fuzz_check_err(&ctx.err);
	else if (ll < 0)
		fuzz_fail("negative after accepted", NULL);
	memset(&ctx.err, 0, sizeof(ctx.err));
	if (rop_req_query_int(&req, &ctx.err, "limit", 100, 1, 500,
	    "INVALID_LIMIT", &ll) == -1)
		fuzz_check_err(&ctx.err);
	else if (ll < 1 || ll > 500)
		fuzz_fail("events limit out of range", NULL);

	memset(&ctx.err, 0, sizeof(ctx.err));
	if (rop_auth_caller(&ctx, &req, 1, &p) == -1)
		fuzz_check_err(&ctx.err);

	obj = NULL;
	memset(&ctx.err, 0, sizeof(ctx.err));
	if (rop_req_json(&req, &ctx.err, 1, &obj) == -1)
		fuzz_check_err(&ctx.err);
	json_object_put(obj);
	memset(&ctx.err, 0, sizeof(ctx.err));
	if (rop_req_no_payload(&req, &ctx.err) == -1)
		fuzz_check_err(&ctx.err);

	/* Whatever went wrong last is answered as the runner would. */
	if (ctx.err.status == ROP_OK)
		rop_err_set(&ctx.err, ROP_EINVAL, NULL, "fuzz");
	rop_reply_error(&req, &ctx.err);
	check_reply(strcmp(req.method, "HEAD") == 0);

	rop_req_release(&req);
	free(envp);
	free(q);
	free(in);
	return 0;
}
