/*
 * rop_provider_fake: the built-in payment provider for development and
 * tests.  It keeps no state and answers from the request alone:
 *
 *   - every call is approved, except a card token "tok_decline", which
 *     is declined with code "card_declined";
 *   - the provider reference is derived from the idempotency key
 *     ("fake_" and 24 hex digits of its SHA-256), so asking again with
 *     the same key gives the same answer, as a real provider's
 *     idempotency guarantees: re-asking after a crash never charges
 *     twice;
 *   - lookup answers what capture would have.
 *
 * Test-only fault hook: with ROP_FAKE_PROVIDER_CRASH_AFTER_PENDING=1 in
 * the environment, a first capture (not a resumed one) "charges" and
 * then kills the calling process with _exit(1) before returning, i.e.
 * after the PENDING row was committed and before it is settled.  The
 * integration tests use it to prove that such a payment is settled
 * exactly once later.  Never set it outside a test stack.
 */
/* layer: adapter (the header is rop_provider.h) */
#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rop_err.h"
#include "rop_provider.h"

static int	fake_answer(const struct rop_provider_req *,
		    struct rop_provider_res *, struct rop_err *, const char *);
static int	fake_authorize(const struct rop_provider_req *,
		    struct rop_provider_res *, struct rop_err *);
static int	fake_capture(const struct rop_provider_req *,
		    struct rop_provider_res *, struct rop_err *);
static int	fake_refund(const struct rop_provider_req *,
		    struct rop_provider_res *, struct rop_err *);
static int	fake_lookup(const struct rop_provider_req *,
		    struct rop_provider_res *, struct rop_err *);

const struct rop_provider rop_provider_fake = {
	"fake", fake_authorize, fake_capture, fake_refund, fake_lookup
};

/* The deterministic answer for req; "prefix" starts the reference. */
static int
fake_answer(const struct rop_provider_req *req, struct rop_provider_res *res,
    struct rop_err *err, const char *prefix)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	size_t		 off;

	memset(res, 0, sizeof(*res));
	if (req->idem_key == NULL || req->idem_key[0] == '\0')
		return rop_err_set(err, ROP_EINTERNAL, NULL,
		    "fake provider: no idempotency key");
	if (req->card_token != NULL &&
	    strcmp(req->card_token, "tok_decline") == 0) {
		res->outcome = ROP_PROVIDER_DECLINED;
		snprintf(res->code, sizeof(res->code), "card_declined");
		return 0;
	}
	if (EVP_Digest(req->idem_key, strlen(req->idem_key), md, &mdlen,
	    EVP_sha256(), NULL) != 1 || mdlen < 12)
		return rop_err_set(err, ROP_EINTERNAL, NULL,
		    "fake provider: digest");
	off = (size_t)snprintf(res->ref, sizeof(res->ref), "%s", prefix);
	for (i = 0; i < 12; i++)
		off += (size_t)snprintf(res->ref + off, sizeof(res->ref) - off,
		    "%02x", md[i]);
	res->outcome = ROP_PROVIDER_APPROVED;
	return 0;
}

static int
fake_authorize(const struct rop_provider_req *req,
    struct rop_provider_res *res, struct rop_err *err)
{
	return fake_answer(req, res, err, "fake_");
}

static int
fake_capture(const struct rop_provider_req *req, struct rop_provider_res *res,
    struct rop_err *err)
{
	const char	*crash;

	if (fake_answer(req, res, err, "fake_") == -1)
		return -1;
	/* Test-only fault hook; see the top of this file. */
	crash = getenv("ROP_FAKE_PROVIDER_CRASH_AFTER_PENDING");
	if (!req->resume && crash != NULL && strcmp(crash, "1") == 0)
		_exit(1);
	return 0;
}

static int
fake_refund(const struct rop_provider_req *req, struct rop_provider_res *res,
    struct rop_err *err)
{
	if (fake_answer(req, res, err, "fakerf_") == -1)
		return -1;
	/* A refund of a capture that was declined is a no-op, not a no. */
	res->outcome = ROP_PROVIDER_APPROVED;
	res->code[0] = '\0';
	return 0;
}

static int
fake_lookup(const struct rop_provider_req *req, struct rop_provider_res *res,
    struct rop_err *err)
{
	return fake_answer(req, res, err, "fake_");
}
