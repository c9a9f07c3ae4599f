/*
 * redact: passwords of URLs and password= keywords never reach a log
 * line (SPEC §15), rop_redact and rop_redact_secret.
 */
#include <string.h>
#include <unistd.h>

#include "rop_log.h"
#include "rop_redact.h"
#include "../tap.h"

static const char *
r(const char *in, const char *secret)
{
	static char	 out[512];

	rop_redact_secret(out, sizeof(out), in, secret);
	return out;
}

int
main(void)
{
	char	 small[12];

	is_str(r("postgresql://rop_app:s3cret@/rop?host=/x&port=5", NULL),
	    "postgresql://rop_app:***@/rop?host=/x&port=5", "URI password");
	is_str(r("redis://:pa55@127.0.0.1:6379/0", NULL),
	    "redis://:***@127.0.0.1:6379/0", "Redis URL, empty user");
	is_str(r("x in URI: \"postgresql://u:s3cret@[::1/rop\"", NULL),
	    "x in URI: \"postgresql://u:***@[::1/rop\"",
	    "libpq's quoted malformed URI");
	is_str(r("postgresql://rop@/rop?host=/x", NULL),
	    "postgresql://rop@/rop?host=/x", "no password: unchanged");
	is_str(r("http://127.0.0.1:8080/_nchan/pub", NULL),
	    "http://127.0.0.1:8080/_nchan/pub", "host:port is no password");
	is_str(r("see https://a.example/x?u=me@b", NULL),
	    "see https://a.example/x?u=me@b", "an @ past the path is no userinfo");
	is_str(r("host=/run password=s3cret dbname=rop", NULL),
	    "host=/run password=*** dbname=rop", "keyword form");
	is_str(r("host=/run PASSWORD = 'a b\\' c' dbname=rop", NULL),
	    "host=/run PASSWORD = *** dbname=rop", "quoted keyword value");
	is_str(r("?sslpassword=x&password=y", NULL),
	    "?sslpassword=x&password=***",
	    "only the keyword password (sslpassword is a file's passphrase)");
	is_str(r("invalid percent-encoded token: \"s3%zzcret\"", "s3%zzcret"),
	    "invalid percent-encoded token: \"***\"", "a literal secret");
	is_str(r("abc", ""), "abc", "an empty secret changes nothing");
	rop_redact(small, sizeof(small), "redis://:longpassword@h");
	is_str(small, "redis://:**", "truncated, still NUL-terminated");

	/* Every log line's message goes through it. */
	{
		int	 fds[2], saved = dup(STDERR_FILENO);
		char	 line[2048];
		ssize_t	 n;

		if (pipe(fds) == -1 || saved == -1)
			return 1;
		dup2(fds[1], STDERR_FILENO);
		rop_log("info", "relay", "test", "relay x publishing to "
		    "http://user:hunter2@127.0.0.1/pub; redis "
		    "redis://:hunter3@h:6379");
		dup2(saved, STDERR_FILENO);
		close(fds[1]);
		n = read(fds[0], line, sizeof(line) - 1);
		line[n > 0 ? n : 0] = '\0';
		close(fds[0]);
		ok(strstr(line, "hunter") == NULL &&
		    strstr(line, "http://user:***@127.0.0.1/pub") != NULL &&
		    strstr(line, "redis://:***@h:6379") != NULL,
		    "rop_log: no URL password in a log line");
	}
	return tap_done();
}
