/*
 * trivial: the FastCGI floor of the benchmark (issue 7).
 *
 * A libfcgi loop that answers every request with the same bytes: the
 * file named by BENCH_TRIVIAL_BODY (read once at start; the harness
 * points it at the menu payload), or a short JSON object.  It runs
 * behind the same nginx, under the same spawn-fcgi + multiwatch and
 * with the same worker count as the ROP apps, and closes connections
 * as they do, so the gap between it and an endpoint is what the
 * endpoint itself costs.
 */
#include <fcgiapp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char	*body_load(const char *, size_t *);

static char *
body_load(const char *path, size_t *len)
{
	static const char	 dflt[] = "{\"status\":\"ok\"}\n";
	FILE			*f;
	char			*b;
	long			 n;

	if (path == NULL || (f = fopen(path, "rb")) == NULL) {
		*len = sizeof(dflt) - 1;
		return strdup(dflt);
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (b = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	*len = fread(b, 1, (size_t)n, f);
	fclose(f);
	return b;
}

int
main(void)
{
	FCGX_Request	 r;
	char		*body, head[160];
	size_t		 len;
	int		 hl;

	if ((body = body_load(getenv("BENCH_TRIVIAL_BODY"), &len)) == NULL)
		return 1;
	/* libfcgi's printf has no %zu: format the header with libc. */
	hl = snprintf(head, sizeof(head), "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: %lu\r\n\r\n", (unsigned long)len);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(head, hl, r.out);
		FCGX_PutStr(body, (int)len, r.out);
		/* Closed as the apps close (lib/rop_app.c), so the gap
		 * between floor and endpoint stays the endpoint's own. */
		if (FCGX_GetChar(r.in) == EOF)
			FCGX_Detach(&r);
		FCGX_Finish_r(&r);
	}
	free(body);
	return 0;
}
