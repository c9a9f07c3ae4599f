/*
 * reconcile: rop-reconcile, the oneshot that settles payments a crash
 * left PENDING (SPEC §6 Payments).  systemd runs it from
 * rop-reconcile.timer with the same EnvironmentFile as the apps.
 *
 *	rop-reconcile [--older-than SECS] [--limit N]
 *
 * Every payment PENDING for more than SECS seconds (default 30) is
 * settled as its capture would have been: the provider is asked again
 * with the payment's own idempotency key, so nothing is charged twice,
 * and the payment becomes CAPTURED (the order READY -> PAID, event
 * payment.captured) or FAILED.  A payment whose capture is still
 * running is left alone.  One JSON log line per settled payment and a
 * summary on stderr; exit 0 when everything found was settled or left
 * alone, 1 when some could not be settled now (or on an error), 2 on a
 * usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_log.h"
#include "rop_payment.h"

static int	number(const char *, int, int, int *);
static int	usage(void);

static int
usage(void)
{
	fprintf(stderr,
	    "usage: rop-reconcile [--older-than SECS] [--limit N]\n");
	return 2;
}

/* Parse a decimal integer within min..max into *out.  0 or -1. */
static int
number(const char *s, int min, int max, int *out)
{
	char	*end;
	long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct rop_ctx	 ctx;
	int		 older = 30, limit = 1000, i, rc;
	int		 settled = 0, skipped = 0, failed = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--older-than") == 0 && i + 1 < argc) {
			if (number(argv[++i], 0, 86400 * 366, &older) == -1)
				return usage();
		} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			if (number(argv[++i], 1, 100000, &limit) == -1)
				return usage();
		} else
			return usage();
	}
	if (rop_ctx_init(&ctx, "reconcile", ROP_CONFIG_PAYMENTS) == -1)
		return 1;
	rc = rop_payment_reconcile(&ctx, older, limit, &settled, &skipped,
	    &failed);
	if (rc == -1)
		rop_log("error", ctx.app, ctx.cfg.env,
		    "reconciliation failed: %s", ctx.err.msg);
	else
		rop_log(failed ? "warn" : "info", ctx.app, ctx.cfg.env,
		    "pending payments older than %d s: %d settled, "
		    "%d still running, %d left pending", older, settled,
		    skipped, failed);
	rop_ctx_release(&ctx);
	return rc == -1 || failed > 0 ? 1 : 0;
}
