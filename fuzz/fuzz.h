/*
 * fuzz.h: what the libFuzzer targets of fuzz/ share (issue 8).
 *
 * Each target is one .c file defining LLVMFuzzerTestOneInput(); they
 * are built by mk/fuzz.mk with clang -fsanitize=fuzzer,address,undefined
 * against the librop sources.  Besides "no crash, no leak, no UB" every
 * target checks invariants of its own and reports a broken one with
 * fuzz_fail(), which aborts so libFuzzer saves the input.
 */
#ifndef ROP_FUZZ_H
#define ROP_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_err.h"
#include "domain/rop_text.h"

static void	fuzz_fail(const char *, const char *)
		    __attribute__((noreturn, unused));
static char	*fuzz_strndup(const unsigned char *, size_t)
		    __attribute__((unused));
static void	fuzz_check_err(const struct rop_err *)
		    __attribute__((unused));

static void
fuzz_fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz invariant broken: %s%s%s\n", what,
	    text != NULL ? ": " : "", text != NULL ? text : "");
	abort();
}

/* A NUL-terminated copy of the input, as C strings reach librop. */
static char *
fuzz_strndup(const unsigned char *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * An error record is sent to clients as JSON text (SPEC §4): its code,
 * message and details must all be valid UTF-8, also when truncated,
 * and a VALIDATION_ERROR names its field (details.field).
 */
static void
fuzz_check_err(const struct rop_err *e)
{
	int	 i, field = 0;

	if (e->status == ROP_OK)
		return;
	if (e->code == NULL || *e->code == '\0')
		fuzz_fail("error without a code", e->msg);
	if (rop_text_utf8_len(e->msg, strlen(e->msg)) < 0)
		fuzz_fail("error message is not UTF-8", e->msg);
	for (i = 0; i < e->ndetails; i++) {
		if (!e->details[i].is_num &&
		    rop_text_utf8_len(e->details[i].str,
		    strlen(e->details[i].str)) < 0)
			fuzz_fail("error detail is not UTF-8",
			    e->details[i].str);
		if (strcmp(e->details[i].key, "field") == 0 &&
		    !e->details[i].is_num)
			field = 1;
	}
	if (strcmp(e->code, "VALIDATION_ERROR") == 0 && !field)
		fuzz_fail("VALIDATION_ERROR without details.field", e->msg);
}

#endif /* ROP_FUZZ_H */
