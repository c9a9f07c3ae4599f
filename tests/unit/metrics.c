/*
 * metrics: the shared segment of rop_metrics.  Counters from several
 * processes add up exactly, histograms render cumulatively, the render
 * is valid Prometheus text 0.0.4, values survive a reopen, and a full
 * table drops updates without harm.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rop_metrics.h"
#include "../tap.h"

#define NPROC		6
#define NITER		3000
#define NSHARED		40

static char		 dir[] = "/tmp/rop-metrics-test.XXXXXX";
static char		 path[64];

static int		 valid_line(const char *, char *, size_t);
static int		 valid_text(const char *, int *);
static int		 count_lines(const char *, const char *);
static const char	*find_line(const char *, const char *);
static void		 test_processes(void);
static void		 test_histogram(void);
static void		 test_render(void);
static void		 test_reopen(void);
static void		 test_full(void);
static void		 test_misuse(void);

/*
 * One line of the text format: "# TYPE name type", or a sample
 * "name[{l="v",...}] number".  The metric name goes to "name".
 */
static int
valid_line(const char *l, char *name, size_t namesz)
{
	const char	*p = l;
	size_t		 n = 0;
	char		*end;

	if (strncmp(l, "# HELP ", 7) == 0) {
		p = l + 7;
		while (p[n] != ' ' && p[n] != '\0')
			n++;
		if (n == 0 || n >= namesz || p[n] != ' ' || p[n + 1] == '\0')
			return 0;
		memcpy(name, p, n);
		name[n] = '\0';
		return 1;
	}
	if (strncmp(l, "# TYPE ", 7) == 0) {
		p = l + 7;
		while (p[n] != ' ' && p[n] != '\0')
			n++;
		if (n == 0 || n >= namesz)
			return 0;
		memcpy(name, p, n);
		name[n] = '\0';
		p += n + 1;
		return strcmp(p - 1, " counter") == 0 ||
		    strcmp(p - 1, " gauge") == 0 ||
		    strcmp(p - 1, " histogram") == 0;
	}
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    *p == '_' || *p == ':'))
		return 0;
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
	    (p[n] >= '0' && p[n] <= '9') || p[n] == '_' || p[n] == ':')
		n++;
	if (n >= namesz)
		return 0;
	memcpy(name, p, n);
	name[n] = '\0';
	p += n;
	if (*p == '{') {
		p++;
		for (;;) {
			if (!((*p >= 'a' && *p <= 'z') || *p == '_' ||
			    (*p >= 'A' && *p <= 'Z')))
				return 0;
			while ((*p >= 'a' && *p <= 'z') || *p == '_' ||
			    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
				p++;
			if (*p++ != '=' || *p++ != '"')
				return 0;
			while (*p != '"') {
				if (*p == '\0' || *p == '\n')
					return 0;
				if (*p == '\\') {
					if (p[1] != '\\' && p[1] != '"' &&
					    p[1] != 'n')
						return 0;
					p++;
				}
				p++;
			}
			p++;
			if (*p == ',') {
				p++;
				continue;
			}
			if (*p++ != '}')
				return 0;
			break;
		}
	}
	if (*p++ != ' ')
		return 0;
	if (strcmp(p, "+Inf") == 0 || strcmp(p, "-Inf") == 0 ||
	    strcmp(p, "NaN") == 0)
		return 1;
	strtod(p, &end);
	return end != p && *end == '\0';
}

/*
 * The whole render: every line valid, ends in a newline, one HELP and
 * TYPE per name, and every sample after its family's TYPE line.
 */
static int
valid_text(const char *text, int *ntypes)
{
	char		 line[1024], name[256], types[512][256], help[256] = "";
	const char	*p = text, *nl;
	int		 n = 0, i, found;
	size_t		 len;

	*ntypes = 0;
	if (*text != '\0' && text[strlen(text) - 1] != '\n') {
		diag("render does not end in a newline");
		return 0;
	}
	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		len = (size_t)(nl - p);
		if (len >= sizeof(line))
			return 0;
		memcpy(line, p, len);
		line[len] = '\0';
		if (!valid_line(line, name, sizeof(name))) {
			diag("bad line: %s", line);
			return 0;
		}
		if (strncmp(line, "# HELP ", 7) == 0) {
			snprintf(help, sizeof(help), "%s", name);
			continue;
		}
		if (line[0] == '#') {
			/* Each family: # HELP, then # TYPE, then samples. */
			if (strcmp(help, name) != 0) {
				diag("TYPE line without its HELP: %s", name);
				return 0;
			}
			help[0] = '\0';
			for (i = 0; i < n; i++)
				if (strcmp(types[i], name) == 0) {
					diag("second TYPE line for %s", name);
					return 0;
				}
			if (n == 512)
				return 0;
			snprintf(types[n++], sizeof(types[0]), "%s", name);
			continue;
		}
		/* The sample belongs to the last TYPE's family. */
		found = n > 0 && (strcmp(name, types[n - 1]) == 0 ||
		    (strncmp(name, types[n - 1], strlen(types[n - 1])) == 0 &&
		    (strcmp(name + strlen(types[n - 1]), "_bucket") == 0 ||
		    strcmp(name + strlen(types[n - 1]), "_sum") == 0 ||
		    strcmp(name + strlen(types[n - 1]), "_count") == 0)));
		if (!found) {
			diag("sample %s outside its family", line);
			return 0;
		}
	}
	*ntypes = n;
	return 1;
}

static int
count_lines(const char *text, const char *prefix)
{
	const char	*p = text;
	int		 n = 0;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return n;
}

/* The value part of the line starting with "series ", or NULL. */
static const char *
find_line(const char *text, const char *series)
{
	static char	 val[64];
	const char	*p = text;
	size_t		 sl = strlen(series), n;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, series, sl) == 0 && p[sl] == ' ') {
			n = strcspn(p + sl + 1, "\n");
			if (n >= sizeof(val))
				return NULL;
			memcpy(val, p + sl + 1, n);
			val[n] = '\0';
			return val;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

static void
test_processes(void)
{
	struct rop_metrics	*m;
	char			 lab[64];
	pid_t			 pids[NPROC];
	int			 i, j, st, bad, clean = 1;

	/* Each child opens the segment itself, as a worker does. */
	for (i = 0; i < NPROC; i++) {
		if ((pids[i] = fork()) == -1) {
			ok(0, "fork");
			return;
		}
		if (pids[i] == 0) {
			struct rop_metrics *cm = rop_metrics_open(path);

			if (cm == NULL)
				_exit(2);
			for (j = 0; j < NITER; j++) {
				rop_metrics_add(cm, "rop_test_total",
				    "app=\"t\"", 1);
				snprintf(lab, sizeof(lab), "n=\"%d\"",
				    j % NSHARED);
				rop_metrics_add(cm, "rop_claims_total", lab, 2);
				rop_metrics_observe(cm, "rop_test_seconds",
				    "app=\"t\"", 0.003);
				/* Every process raises one gauge to its own
				 * rising values: only the largest may stay. */
				rop_metrics_max(cm, "rop_test_version", NULL,
				    (int64_t)i * NITER + j);
			}
			rop_metrics_close(cm);
			_exit(0);
		}
	}
	for (i = 0; i < NPROC; i++)
		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			clean = 0;
	ok(clean, "%d writer processes exited cleanly", NPROC);

	m = rop_metrics_open(path);
	ok(m != NULL, "parent opens the segment");
	is_int(rop_metrics_get(m, "rop_test_total", "app=\"t\""),
	    NPROC * NITER, "one counter from every process adds up exactly");
	bad = 0;
	for (j = 0; j < NSHARED; j++) {
		snprintf(lab, sizeof(lab), "n=\"%d\"", j);
		if (rop_metrics_get(m, "rop_claims_total", lab) !=
		    2 * NPROC * (NITER / NSHARED))
			bad++;
	}
	is_int(bad, 0, "series claimed concurrently by every process: "
	    "one slot each, exact sums");
	is_int(rop_metrics_get(m, "rop_test_version", NULL),
	    (int64_t)NPROC * NITER - 1,
	    "a gauge raised by every process keeps the largest value");
	rop_metrics_close(m);
}

static void
test_histogram(void)
{
	struct rop_metrics	*m = rop_metrics_open(path);
	static const double	 obs[] = { 0.0005, 0.001, 0.003, 0.3, 2.0,
	    20.0, -1.0 };
	static const struct {
		const char	*le;
		const char	*want;
	} cum[] = {
		{ "0.001", "3" }, { "0.0025", "3" }, { "0.005", "4" },
		{ "0.01", "4" }, { "0.025", "4" }, { "0.05", "4" },
		{ "0.1", "4" }, { "0.25", "4" }, { "0.5", "5" },
		{ "1", "5" }, { "2.5", "6" }, { "5", "6" }, { "10", "6" },
		{ "+Inf", "7" },
	};
	char		 series[160], *text;
	const char	*v;
	size_t		 i, len;
	int		 bad = 0;

	for (i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		rop_metrics_observe(m, "rop_h_seconds", "route=\"r\"", obs[i]);
	text = rop_metrics_render(m, &len);
	ok(text != NULL && len == strlen(text), "render with a histogram");
	if (text == NULL)
		return;
	is_int(count_lines(text, "# TYPE rop_h_seconds histogram\n"), 1,
	    "histogram TYPE line");
	for (i = 0; i < sizeof(cum) / sizeof(cum[0]); i++) {
		snprintf(series, sizeof(series),
		    "rop_h_seconds_bucket{route=\"r\",le=\"%s\"}", cum[i].le);
		v = find_line(text, series);
		if (v == NULL || strcmp(v, cum[i].want) != 0) {
			diag("%s: got %s, want %s", series, v ? v : "none",
			    cum[i].want);
			bad++;
		}
	}
	is_int(bad, 0, "buckets are cumulative, negative durations count "
	    "as 0, +Inf holds everything");
	is_str(find_line(text, "rop_h_seconds_count{route=\"r\"}"), "7",
	    "_count");
	v = find_line(text, "rop_h_seconds_sum{route=\"r\"}");
	ok(v != NULL && strtod(v, NULL) > 22.30 && strtod(v, NULL) < 22.31,
	    "_sum is the total in seconds (%s)", v ? v : "none");
	free(text);

	rop_metrics_observe(m, "rop_plain_seconds", NULL, 0.01);
	text = rop_metrics_render(m, &len);
	ok(text != NULL && find_line(text, "rop_plain_seconds_count") != NULL &&
	    find_line(text, "rop_plain_seconds_bucket{le=\"0.01\"}") != NULL,
	    "histogram without labels renders le alone");
	free(text);
	rop_metrics_close(m);
}

static void
test_render(void)
{
	struct rop_metrics	*m = rop_metrics_open(path);
	char			 esc[128], lab[160], *text;
	size_t			 len;
	int			 ntypes;

	rop_metrics_label(esc, sizeof(esc), "a\"b\\c\nd");
	is_str(esc, "a\\\"b\\\\c\\nd", "label escaping: quote, backslash, "
	    "newline");
	rop_metrics_label(esc, 8, "abcdefghijkl");
	ok(strlen(esc) < 8, "label escaping respects the buffer");
	rop_metrics_label(esc, 6, "\"\"\"\"\"\"");
	ok(strlen(esc) < 6 && (strlen(esc) % 2) == 0,
	    "never ends inside an escape");
	rop_metrics_label(esc, sizeof(esc), "we\"ird\\route\n");
	snprintf(lab, sizeof(lab), "app=\"t\",route=\"%s\"", esc);
	rop_metrics_add(m, "rop_http_requests_total", lab, 3);

	/* A name that is a prefix of another, with and without labels. */
	rop_metrics_add(m, "rop_t", NULL, 1);
	rop_metrics_add(m, "rop_t_extra", NULL, 1);
	rop_metrics_add(m, "rop_t", "a=\"1\"", 1);
	rop_metrics_add(m, "rop_t", "a=\"2\"", 1);
	rop_metrics_set(m, "rop_g", "x=\"1\"", -5);
	rop_metrics_set(m, "rop_g", "x=\"1\"", 7);
	rop_metrics_max(m, "rop_mx", NULL, 5);
	rop_metrics_max(m, "rop_mx", NULL, 3);
	is_int(rop_metrics_get(m, "rop_mx", NULL), 5, "max: a lower value "
	    "leaves the gauge");
	rop_metrics_max(m, "rop_mx", NULL, 9);
	is_int(rop_metrics_get(m, "rop_mx", NULL), 9, "max: a higher one "
	    "raises it");

	text = rop_metrics_render(m, &len);
	ok(text != NULL, "render");
	if (text == NULL)
		return;
	ok(valid_text(text, &ntypes), "render is valid text format, one "
	    "TYPE per name, samples grouped under it");
	ok(strstr(text, "# HELP rop_http_requests_total Requests answered") !=
	    NULL, "a known family has its own HELP text");
	ok(strstr(text, "# HELP rop_t_extra ROP metric") != NULL,
	    "an unknown family still has a HELP line");
	ok(ntypes >= 7, "every family has its TYPE (%d)", ntypes);
	is_int(count_lines(text, "# TYPE rop_t counter\n"), 1,
	    "rop_t: one TYPE although rop_t_extra sorts in between");
	is_str(find_line(text, "rop_http_requests_total{app=\"t\","
	    "route=\"we\\\"ird\\\\route\\n\"}"), "3",
	    "escaped label value rendered as given");
	is_str(find_line(text, "rop_g{x=\"1\"}"), "7", "gauge keeps the last");
	is_int(count_lines(text, "# TYPE rop_g gauge\n"), 1, "gauge TYPE");
	is_str(find_line(text, "rop_test_total{app=\"t\"}"), "18000",
	    "counter from the processes test is rendered");
	free(text);
	rop_metrics_close(m);
}

static void
test_reopen(void)
{
	struct rop_metrics	*m;
	int			 fd;
	char			 bad[64];

	m = rop_metrics_open(path);
	rop_metrics_add(m, "rop_restarts_total", NULL, 41);
	rop_metrics_close(m);
	m = rop_metrics_open(path);
	rop_metrics_add(m, "rop_restarts_total", NULL, 1);
	is_int(rop_metrics_get(m, "rop_restarts_total", NULL), 42,
	    "values survive close and reopen (a worker restart)");
	is_int(rop_metrics_get(m, "rop_test_total", "app=\"t\""),
	    NPROC * NITER, "earlier counters still there");
	rop_metrics_close(m);

	/* A file that is not a segment is refused, not trusted. */
	snprintf(bad, sizeof(bad), "%s/garbage", dir);
	fd = open(bad, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd != -1 && write(fd, "this is not a metrics segment", 29) == 29,
	    "write a foreign file");
	close(fd);
	ok(rop_metrics_open(bad) == NULL, "a foreign file is refused");
	{
		struct stat st;

		ok(stat(bad, &st) == 0 && st.st_size == 29,
		    "a foreign file is left as it was");
	}
	unlink(bad);
	snprintf(bad, sizeof(bad), "%s/no/such/dir/m", dir);
	ok(rop_metrics_open(bad) == NULL, "an unreachable path is refused");
	ok(rop_metrics_open("") == NULL && rop_metrics_open(NULL) == NULL,
	    "empty and NULL paths are refused");
}

static void
test_full(void)
{
	struct rop_metrics	*m;
	char			 full[64], lab[32], *text;
	size_t			 len;
	int			 i, bad = 0, ntypes;

	snprintf(full, sizeof(full), "%s/full", dir);
	m = rop_metrics_open(full);
	ok(m != NULL, "fresh segment for the full-table test");
	for (i = 0; i < 5000; i++) {
		snprintf(lab, sizeof(lab), "i=\"%d\"", i);
		rop_metrics_add(m, "rop_many_total", lab, 1);
	}
	rop_metrics_add(m, "rop_one_more_total", NULL, 1);
	is_int(rop_metrics_get(m, "rop_one_more_total", NULL), 0,
	    "a new series on a full table is dropped");
	for (i = 0; i < 5000; i++) {
		snprintf(lab, sizeof(lab), "i=\"%d\"", i);
		if (rop_metrics_get(m, "rop_many_total", lab) > 1)
			bad++;
	}
	is_int(bad, 0, "no series counted twice");
	rop_metrics_add(m, "rop_many_total", "i=\"0\"", 1);
	is_int(rop_metrics_get(m, "rop_many_total", "i=\"0\""), 2,
	    "existing series still count on a full table");
	rop_metrics_observe(m, "rop_new_seconds", NULL, 1);
	rop_metrics_set(m, "rop_new_gauge", NULL, 1);
	text = rop_metrics_render(m, &len);
	ok(text != NULL && valid_text(text, &ntypes),
	    "a full table still renders valid text");
	is_int(count_lines(text, "rop_many_total{"), 4096,
	    "exactly the table's 4096 series");
	free(text);
	rop_metrics_close(m);
	unlink(full);
}

static void
test_misuse(void)
{
	struct rop_metrics	*m = rop_metrics_open(path);
	char			 name[300];
	size_t			 len = 99;

	rop_metrics_add(m, "rop_kind", NULL, 5);
	rop_metrics_set(m, "rop_kind", NULL, 100);
	rop_metrics_observe(m, "rop_kind", NULL, 1);
	is_int(rop_metrics_get(m, "rop_kind", NULL), 5,
	    "a name keeps its first type; other updates are dropped");
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	rop_metrics_add(m, name, NULL, 1);
	is_int(rop_metrics_get(m, name, NULL), 0,
	    "a key longer than a slot is dropped");
	is_int(rop_metrics_get(m, "rop_never_seen", NULL), 0,
	    "an unknown series reads 0");
	rop_metrics_add(NULL, "rop_x", NULL, 1);
	rop_metrics_set(NULL, "rop_x", NULL, 1);
	rop_metrics_observe(NULL, "rop_x", NULL, 1);
	is_int(rop_metrics_get(NULL, "rop_x", NULL), 0, "NULL handle reads 0");
	ok(rop_metrics_render(NULL, &len) == NULL,
	    "NULL handle renders nothing");
	rop_metrics_close(NULL);
	ok(1, "NULL handle: updates dropped, close is a no-op");
	rop_metrics_close(m);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/metrics", dir);
	test_processes();
	test_histogram();
	test_render();
	test_reopen();
	test_full();
	test_misuse();
	unlink(path);
	rmdir(dir);
	return tap_done();
}
