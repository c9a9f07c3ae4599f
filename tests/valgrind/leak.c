/*
 * leak: the control of tests/valgrind/memcheck.t.  It leaks a block
 * and branches on uninitialised memory, so memcheck must report one
 * error and one definitely lost block for it; the test fails if its
 * log parser does not see them (a check that cannot fail is no check).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	char	*kept, *lost;
	int	*u;

	kept = malloc(32);
	lost = malloc(48);
	u = malloc(sizeof(*u));
	if (kept == NULL || lost == NULL || u == NULL)
		return 1;
	strcpy(lost, "definitely lost");
	if (*u == 42)		/* uninitialised: an error */
		puts("42");
	lost = NULL;		/* the only pointer to it is gone */
	free(u);
	free(kept);
	return lost != NULL;
}
