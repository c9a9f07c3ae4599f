/*
 * rop_http: request parsing and response writing.
 */
#include <fcgiapp.h>
#include <json-c/json.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rop_err.h"
#include "rop_http.h"
#include "rop_id.h"
#include "rop_json.h"
#include "domain/rop_text.h"

static int	req_read_body(struct rop_req *, struct rop_err *);
static int	req_write(struct rop_req *, const char *, size_t);
static void	req_ids(struct rop_req *);
static const char *reason(int);
static int	hexval(int);

const char *
rop_req_param(const struct rop_req *req, const char *name)
{
	return FCGX_GetParam(name, req->envp);
}

const char *
rop_req_id(const struct rop_req *req, struct rop_err *err, const char *name)
{
	const char	*v = rop_req_param(req, name);

	if (v == NULL || !rop_text_is_id(v)) {
		rop_err_set(err, ROP_ENOTFOUND, NULL, "no such resource");
		return NULL;
	}
	return v;
}

int
rop_req_idem_key(const struct rop_req *req, struct rop_err *err,
    int required, const char **key)
{
	*key = rop_req_header(req, "Idempotency-Key");
	if (*key == NULL && required)
		return rop_err_set(err, ROP_EINVAL, "IDEMPOTENCY_KEY_REQUIRED",
		    "this request needs an Idempotency-Key header");
	if (*key != NULL && !rop_text_is_idem_key(*key)) {
		rop_err_set(err, ROP_EINVAL, NULL, "Idempotency-Key must be "
		    "1 to 128 printable ASCII characters");
		rop_err_detail(err, "field", "Idempotency-Key");
		return -1;
	}
	return 0;
}

const char *
rop_req_header(const struct rop_req *req, const char *name)
{
	char	 var[128];
	size_t	 i, j;

	memcpy(var, "HTTP_", 5);
	for (i = 0, j = 5; name[i] != '\0' && j < sizeof(var) - 1; i++, j++)
		var[j] = name[i] == '-' ? '_' :
		    (char)(name[i] >= 'a' && name[i] <= 'z' ?
		    name[i] - 32 : name[i]);
	var[j] = '\0';
	if (strcmp(var, "HTTP_CONTENT_TYPE") == 0)
		return rop_req_param(req, "CONTENT_TYPE");
	return rop_req_param(req, var);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
rop_req_query(const struct rop_req *req, const char *key, char *buf,
    size_t bufsz)
{
	const char	*p = req->query, *amp, *eq;
	size_t		 klen = strlen(key), j;

	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		eq = memchr(p, '=', amp ? (size_t)(amp - p) : strlen(p));
		if (eq != NULL && (size_t)(eq - p) == klen &&
		    memcmp(p, key, klen) == 0) {
			const char *v = eq + 1, *end = amp ? amp : v + strlen(v);

			for (j = 0; v < end; v++) {
				int c = (unsigned char)*v;

				if (c == '%') {
					int h, l;

					if (end - v < 3 ||
					    (h = hexval(v[1])) < 0 ||
					    (l = hexval(v[2])) < 0)
						return -1;
					c = h * 16 + l;
					v += 2;
				} else if (c == '+')
					c = ' ';
				if (c == 0 || j + 1 >= bufsz)
					return -1;
				buf[j++] = (char)c;
			}
			buf[j] = '\0';
			return 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

int
rop_req_query_int(const struct rop_req *req, struct rop_err *err,
    const char *key, long long def, long long min, long long max,
    const char *code, long long *out)
{
	char		 buf[32], *end;
	long long	 v;
	int		 r;

	*out = def;
	if ((r = rop_req_query(req, key, buf, sizeof(buf))) == 0)
		return 0;
	if (r == 1 && buf[0] >= '0' && buf[0] <= '9') {
		errno = 0;
		v = strtoll(buf, &end, 10);
		/* Beyond long long, strtoll clamps: not a value we can echo. */
		if (*end == '\0' && errno == 0 && v >= min && v <= max) {
			*out = v;
			return 0;
		}
	}
	rop_err_set(err, ROP_EINVAL, code, "%s must be an integer from "
	    "%lld to %lld", key, min, max);
	rop_err_detail(err, "field", key);
	return -1;
}

static void
req_ids(struct rop_req *req)
{
	const char	*rid, *tp;
	size_t		 i;

	rid = rop_req_param(req, "ROP_REQUEST_ID");
	if (rid == NULL || !rop_text_is_request_id(rid))
		rid = rop_req_header(req, "X-Request-Id");
	if (rid != NULL && rop_text_is_request_id(rid))
		snprintf(req->request_id, sizeof(req->request_id), "%s", rid);
	else if (rop_id_hex(req->request_id, 16) == -1)
		snprintf(req->request_id, sizeof(req->request_id), "unknown");
	/* traceparent: 00-<32 hex trace id>-<16 hex parent>-<2 hex flags> */
	req->trace_id[0] = '\0';
	tp = rop_req_header(req, "traceparent");
	if (tp != NULL && strlen(tp) == 55 && tp[2] == '-' && tp[35] == '-' &&
	    tp[52] == '-') {
		for (i = 3; i < 35; i++)
			if (hexval(tp[i]) < 0 || (tp[i] >= 'A' && tp[i] <= 'F'))
				return;
		if (strspn(tp + 3, "0") >= 32)
			return;	/* the all-zero trace id is invalid */
		memcpy(req->trace_id, tp + 3, 32);
		req->trace_id[32] = '\0';
	}
}

static int
req_read_body(struct rop_req *req, struct rop_err *err)
{
	const char	*cl = rop_req_param(req, "CONTENT_LENGTH");
	const char	*ct;
	char		*end;
	long long	 n;
	size_t		 got = 0;
	ssize_t		 r;

	if (cl == NULL || *cl == '\0')
		return 0;
	errno = 0;
	n = strtoll(cl, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0) {
		rop_err_set(err, ROP_EINVAL, NULL, "bad Content-Length");
		rop_err_detail(err, "field", "Content-Length");
		return -1;
	}
	if (n > ROP_BODY_MAX)
		return rop_err_set(err, ROP_ETOOBIG, NULL,
		    "request body over %d bytes", ROP_BODY_MAX);
	if (n == 0)
		return 0;
	ct = rop_req_param(req, "CONTENT_TYPE");
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' '))
		return rop_err_set(err, ROP_EMEDIA, NULL,
		    "request body must be application/json");
	if ((req->body = malloc((size_t)n + 1)) == NULL)
		return rop_err_set(err, ROP_ENOMEM, NULL, "body");
	while (got < (size_t)n) {
		if (req->in != NULL)
			r = FCGX_GetStr(req->body + got, (int)((size_t)n - got),
			    req->in);
		else
			r = read(STDIN_FILENO, req->body + got,
			    (size_t)n - got);
		if (r < 0 && req->in == NULL && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	req->body[got] = '\0';
	req->body_len = got;
	if (got != (size_t)n)
		return rop_err_set(err, ROP_EINVAL, "MALFORMED_JSON",
		    "request body shorter than Content-Length");
	return 0;
}

int
rop_req_init(struct rop_req *req, struct rop_err *err, FCGX_Stream *in,
    FCGX_Stream *out, char **envp)
{
	memset(req, 0, sizeof(*req));
	req->in = in;
	req->out = out;
	req->envp = envp;
	req->method = rop_req_param(req, "REQUEST_METHOD");
	if (req->method == NULL)
		req->method = "GET";
	req->route = rop_req_param(req, "ROP_ROUTE");
	req->query = rop_req_param(req, "QUERY_STRING");
	if (req->query == NULL)
		req->query = "";
	req->status = 0;
	req_ids(req);
	return req_read_body(req, err);
}

void
rop_req_release(struct rop_req *req)
{
	free(req->body);
	req->body = NULL;
	json_object_put(req->json);
	req->json = NULL;
	if (req->args != NULL && req->args_free != NULL)
		req->args_free(req->args);
	req->args = NULL;
}

int
rop_req_json(struct rop_req *req, struct rop_err *err, int optional,
    struct json_object **out)
{
	*out = NULL;
	if (req->body_len == 0) {
		if (optional)
			return 0;
		rop_err_set(err, ROP_EINVAL, NULL, "a JSON body is required");
		rop_err_detail(err, "field", "body");
		return -1;
	}
	return rop_json_parse(err, req->body, req->body_len, out);
}

int
rop_req_no_payload(struct rop_req *req, struct rop_err *err)
{
	struct json_object	*obj = NULL;
	int			 rc = 0;

	if (req->body_len == 0)
		return 0;
	if (rop_json_parse(err, req->body, req->body_len, &obj) == -1)
		return -1;
	if (!json_object_is_type(obj, json_type_object)) {
		rop_err_set(err, ROP_EINVAL, NULL,
		    "this request takes no body, or {}");
		rop_err_detail(err, "field", "body");
		rc = -1;
	} else if (json_object_object_length(obj) != 0) {
		/* Name the field, as for any unknown one (SPEC §4). */
		json_object_object_foreach(obj, key, val) {
			(void)val;
			rop_err_set(err, ROP_EINVAL, NULL,
			    "%.64s is not a known field: this request takes "
			    "no body, or {}", key);
			rop_err_detail(err, "field", key);
			break;
		}
		rc = -1;
	}
	json_object_put(obj);
	return rc;
}

void
rop_reply_header(struct rop_req *req, const char *name, const char *value)
{
	int	 n;

	n = snprintf(req->hdrs + req->hdrs_len,
	    sizeof(req->hdrs) - req->hdrs_len, "%s: %s\r\n", name, value);
	if (n > 0 && (size_t)n < sizeof(req->hdrs) - req->hdrs_len)
		req->hdrs_len += (size_t)n;
	else
		req->hdrs[req->hdrs_len] = '\0';
}

static int
req_write(struct rop_req *req, const char *buf, size_t len)
{
	size_t	 off = 0;
	ssize_t	 w;

	if (req->out != NULL)
		return FCGX_PutStr(buf, (int)len, req->out) == (int)len ?
		    0 : -1;
	while (off < len) {
		w = write(STDOUT_FILENO, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return status < 500 ? "Client Error" : "Server Error";
	}
}

int
rop_reply_raw(struct rop_req *req, int status, const char *ctype,
    const char *body, size_t len)
{
	char	 head[2048];
	int	 n, nobody;

	if (req->replied)
		return 0;
	req->replied = 1;
	req->status = status;
	nobody = status == 304 || status == 204 ||
	    strcmp(req->method, "HEAD") == 0;
	/*
	 * libfcgi's printf knows no %zu: everything is formatted here
	 * with the C library, then written as bytes.
	 */
	n = snprintf(head, sizeof(head),
	    "Status: %d %s\r\n%s%s%sX-Request-Id: %s\r\n"
	    "%s%.*sContent-Length: %zu\r\n\r\n",
	    status, reason(status),
	    ctype != NULL ? "Content-Type: " : "", ctype != NULL ? ctype : "",
	    ctype != NULL ? "\r\n" : "", req->request_id,
	    /* API answers are not cached unless a handler says otherwise. */
	    strstr(req->hdrs, "Cache-Control:") != NULL ? "" :
	    "Cache-Control: no-store\r\n",
	    (int)req->hdrs_len, req->hdrs,
	    status == 304 || status == 204 ? (size_t)0 : len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	if (req_write(req, head, (size_t)n) == -1)
		return -1;
	if (!nobody && len > 0 && req_write(req, body, len) == -1)
		return -1;
	return 0;
}

int
rop_reply_json(struct rop_req *req, int status, struct json_object *body)
{
	const char	*text = "";
	size_t		 len = 0;

	if (body != NULL)
		text = rop_json_text(body, &len);
	return rop_reply_raw(req, status, "application/json; charset=utf-8",
	    text, len);
}

int
rop_reply_json_text(struct rop_req *req, int status, const char *text,
    size_t len)
{
	return rop_reply_raw(req, status, "application/json; charset=utf-8",
	    text, len);
}

int
rop_reply_json_take(struct rop_req *req, int status, char *text)
{
	int	 rc;

	rc = rop_reply_json_text(req, status, text, strlen(text));
	free(text);
	return rc;
}

int
rop_reply_error(struct rop_req *req, const struct rop_err *err)
{
	struct json_object	*env = NULL, *e = NULL, *d = NULL, *c;
	int			 status = rop_status_http(err->status);
	int			 i, rc = -1;
	const char		*msg = err->msg;

	if (status >= 500 && status != 503)
		msg = "internal error";	/* the log has the details */
	else if (status == 503)
		msg = "service temporarily unavailable";
	if ((env = json_object_new_object()) == NULL ||
	    (e = json_object_new_object()) == NULL ||
	    (d = json_object_new_object()) == NULL)
		goto out;
	for (i = 0; i < err->ndetails; i++)
		rop_json_add(d, err->details[i].key, err->details[i].is_num ?
		    json_object_new_int64(err->details[i].num) :
		    json_object_new_string(err->details[i].str));
	if (err->have_counts && (c = json_object_new_object()) != NULL) {
		rop_json_add(c, "placed",
		    json_object_new_int64(err->counts_placed));
		rop_json_add(c, "accepted",
		    json_object_new_int64(err->counts_accepted));
		rop_json_add(d, "counts", c);
	}
	rop_json_add(e, "code", json_object_new_string(err->code != NULL ?
	    err->code : rop_status_code(err->status)));
	rop_json_add(e, "message", json_object_new_string(msg));
	rop_json_add(e, "details", d);
	d = NULL;
	rop_json_add(env, "error", e);
	e = NULL;
	rop_json_add(env, "requestId", json_object_new_string(req->request_id));
	if (status == 401)
		rop_reply_header(req, "WWW-Authenticate", "Bearer");
	if (status == 405 && err->allow[0] != '\0')
		rop_reply_header(req, "Allow", err->allow);
	if (status == 503 || status == 429)
		rop_reply_header(req, "Retry-After", "1");
	if (err->replayed)
		rop_reply_header(req, "Idempotent-Replayed", "true");
	rc = rop_reply_json(req, status, env);
out:
	json_object_put(d);
	json_object_put(e);
	json_object_put(env);
	return rc;
}
