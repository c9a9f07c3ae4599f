/*
 * provider: the payment-provider port and the built-in fake provider
 * (lib/rop_provider*.c): lookup by name, approvals with a reference
 * derived from the idempotency key (the same key answers the same),
 * the tok_decline decline, and the test-only crash hook, which kills
 * a first capture only.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rop_err.h"
#include "rop_provider.h"
#include "../tap.h"

static int	is_ref(const char *);

/* "fake_" and 24 lower-case hex digits. */
static int
is_ref(const char *s)
{
	size_t	 i;

	if (strncmp(s, "fake_", 5) != 0 || strlen(s) != 29)
		return 0;
	for (i = 5; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
main(void)
{
	const struct rop_provider	*f;
	struct rop_provider_req		 req;
	struct rop_provider_res		 a, b;
	struct rop_err			 err;
	char				 ref[65];
	pid_t				 pid;
	int				 st;

	unsetenv("ROP_FAKE_PROVIDER_CRASH_AFTER_PENDING");
	rop_err_clear(&err);
	f = rop_provider_find("fake");
	ok(f != NULL && f == &rop_provider_fake, "find(\"fake\")");
	ok(rop_provider_find("stripe") == NULL, "an unknown provider is NULL");
	ok(rop_provider_find(NULL) == NULL, "find(NULL) is NULL");
	ok(f->authorize && f->capture && f->refund && f->lookup,
	    "the fake fills every slot of the port");

	memset(&req, 0, sizeof(req));
	req.idem_key = "rst_001:ord_1:key-1";
	req.restaurant_id = "rst_001";
	req.payment_id = "pay_1";
	req.amount_cents = 2800;
	req.currency = "USD";
	req.card_token = "tok_visa";
	is_int(f->capture(&req, &a, &err), 0, "capture answers");
	is_int(a.outcome, ROP_PROVIDER_APPROVED, "capture approves");
	ok(is_ref(a.ref), "reference fake_ + 24 hex (%s)", a.ref);
	is_str(a.code, "", "no decline code");
	snprintf(ref, sizeof(ref), "%s", a.ref);

	req.resume = 1;
	req.amount_cents = 1;
	f->capture(&req, &b, &err);
	is_str(b.ref, ref, "the same key gives the same reference");
	f->lookup(&req, &b, &err);
	is_int(b.outcome, ROP_PROVIDER_APPROVED, "lookup answers as capture");
	is_str(b.ref, ref, "lookup: the same reference");
	f->authorize(&req, &b, &err);
	is_int(b.outcome, ROP_PROVIDER_APPROVED, "authorize approves");

	req.idem_key = "rst_001:ord_1:key-2";
	f->capture(&req, &b, &err);
	ok(strcmp(b.ref, ref) != 0, "another key, another reference");

	req.card_token = NULL;
	f->capture(&req, &b, &err);
	is_int(b.outcome, ROP_PROVIDER_APPROVED, "no card token: approved");

	req.card_token = "tok_decline";
	is_int(f->capture(&req, &b, &err), 0, "tok_decline answers");
	is_int(b.outcome, ROP_PROVIDER_DECLINED, "tok_decline is declined");
	is_str(b.code, "card_declined", "decline code card_declined");
	is_str(b.ref, "", "a decline has no reference");
	f->lookup(&req, &b, &err);
	is_int(b.outcome, ROP_PROVIDER_DECLINED, "lookup of a decline: declined");
	is_int(f->refund(&req, &b, &err), 0, "refund answers");
	is_int(b.outcome, ROP_PROVIDER_APPROVED, "refund approves");

	req.idem_key = NULL;
	is_int(f->capture(&req, &b, &err), -1, "no key: refused");
	is_int(err.status, ROP_EINTERNAL, "no key: EINTERNAL");
	req.idem_key = "";
	is_int(f->capture(&req, &b, &err), -1, "empty key: refused");

	/* The test-only crash hook: first captures only. */
	setenv("ROP_FAKE_PROVIDER_CRASH_AFTER_PENDING", "1", 1);
	req.idem_key = "rst_001:ord_1:key-1";
	req.card_token = NULL;
	req.resume = 1;
	is_int(f->capture(&req, &b, &err), 0,
	    "crash hook set: a resumed capture still answers");
	is_str(b.ref, ref, "... with the same reference");
	is_int(f->lookup(&req, &b, &err), 0, "crash hook set: lookup answers");
	fflush(stdout);
	if ((pid = fork()) == 0) {
		req.resume = 0;
		f->capture(&req, &b, &err);
		_exit(0);
	}
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 1, "crash hook set: a first capture _exit(1)s");
	setenv("ROP_FAKE_PROVIDER_CRASH_AFTER_PENDING", "0", 1);
	req.resume = 0;
	is_int(f->capture(&req, &b, &err), 0, "hook \"0\": no crash");
	unsetenv("ROP_FAKE_PROVIDER_CRASH_AFTER_PENDING");
	return tap_done();
}
