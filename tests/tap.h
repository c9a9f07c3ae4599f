/*
 * tap.h: a minimal TAP producer for the C unit tests (STYLE §16).
 *
 *	ok(cond, "name %d", i);		ok N - name / not ok N - name
 *	is_int(got, want, "name");	with "# got/expected" diagnostics
 *	is_str(got, want, "name");	NULL-safe string compare
 *	diag("text %s", s);		a "# text" comment line
 *	return tap_done();		prints 1..N; non-zero when any failed
 *
 * Header only: every test binary is one .c file, so static state is
 * per program.  Output goes to stdout, unbuffered, so lines of forked
 * children never repeat a parent's buffered output.
 */
#ifndef ROP_TAP_H
#define ROP_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	tap_n, tap_failed;

/*
 * Not inlined: gcc's -Wformat-overflow then reasons about each call
 * site's arguments and reports NULLs that cannot happen.
 */
static int	tap_ok(int, const char *, int, const char *, ...)
		    __attribute__((format(printf, 4, 5), unused, noinline));
static int	tap_is_int(long long, long long, const char *, int,
		    const char *) __attribute__((unused, noinline));
static int	tap_is_str(const char *, const char *, const char *, int,
		    const char *) __attribute__((unused, noinline));
static void	diag(const char *, ...)
		    __attribute__((format(printf, 1, 2), unused));
static int	tap_done(void) __attribute__((unused));

static void
diag(const char *fmt, ...)
{
	va_list	 ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputs("\n", stdout);
	fflush(stdout);
}

static int
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputs("\n", stdout);
	if (!cond) {
		tap_failed++;
		printf("# failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

static int
tap_is_int(long long got, long long want, const char *file, int line,
    const char *name)
{
	if (tap_ok(got == want, file, line, "%s", name))
		return 1;
	diag("       got: %lld", got);
	diag("  expected: %lld", want);
	return 0;
}

static int
tap_is_str(const char *got, const char *want, const char *file, int line,
    const char *name)
{
	int	 same = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	if (tap_ok(same, file, line, "%s", name))
		return 1;
	if (got != NULL)
		diag("       got: '%s'", got);
	else
		diag("       got: NULL");
	if (want != NULL)
		diag("  expected: '%s'", want);
	else
		diag("  expected: NULL");
	return 0;
}

static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d tests failed\n", tap_failed, tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#define ok(cond, ...)	tap_ok((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
#define is_int(a, b, name) \
	tap_is_int((long long)(a), (long long)(b), __FILE__, __LINE__, (name))
#define is_str(a, b, name) \
	tap_is_str((a), (b), __FILE__, __LINE__, (name))

#endif /* ROP_TAP_H */
