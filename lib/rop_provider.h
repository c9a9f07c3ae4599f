/*
 * rop_provider: the payment-provider port.
 *
 * A provider is a small table of functions (struct rop_provider) that
 * rop_payment calls outside any database transaction, between writing
 * a payment PENDING and settling it.  Every call carries the payment's
 * idempotency key, and a provider must answer a repeated call with the
 * same key with the same result and without charging again: that is
 * what lets a crashed capture be finished later by asking again
 * (rop-reconcile, or the client's retry).
 *
 * Providers are chosen by name (ROP_PAYMENT_PROVIDER).  The built-in
 * "fake" (rop_provider_fake.c) approves everything except the card
 * token "tok_decline".  Adding a provider, e.g. one speaking HTTP to a
 * real acquirer, is one new file defining a struct rop_provider plus
 * its line in the table of rop_provider.c.
 */
#ifndef ROP_PROVIDER_H
#define ROP_PROVIDER_H
/* layer: adapter */

#include <stdint.h>

struct rop_err;

/* What is asked of the provider.  Strings are borrowed. */
struct rop_provider_req {
	const char	*idem_key;	/* the payment's Idempotency-Key */
	const char	*restaurant_id;
	const char	*payment_id;
	int64_t		 amount_cents;	/* what is charged: amount + tip */
	const char	*currency;	/* "USD" */
	const char	*card_token;	/* NULL when the body had none */
	int		 resume;	/* 1: re-asking for a PENDING payment */
};

enum rop_provider_outcome {
	ROP_PROVIDER_APPROVED = 0,	/* captured / authorized / refunded */
	ROP_PROVIDER_DECLINED,		/* a final no; code says why */
	ROP_PROVIDER_UNKNOWN		/* lookup: the provider never saw it */
};

/* The provider's answer. */
struct rop_provider_res {
	enum rop_provider_outcome	 outcome;
	char				 ref[65];	/* provider reference */
	char				 code[33];	/* decline code, or "" */
};

/*
 * Each call returns 0 with *res filled, or -1 when the provider could
 * not be asked or gave no usable answer (ROP_EUNAVAIL in "err"); the
 * caller then leaves the payment PENDING for a later attempt.
 */
typedef int (*rop_provider_call_pt)(const struct rop_provider_req *,
    struct rop_provider_res *, struct rop_err *);

struct rop_provider {
	const char		*name;		/* "fake" */
	rop_provider_call_pt	 authorize;	/* hold the amount */
	rop_provider_call_pt	 capture;	/* charge it */
	rop_provider_call_pt	 refund;	/* give back a capture */
	rop_provider_call_pt	 lookup;	/* what became of this key? */
};

/* The provider named "name", or NULL.  The result is static. */
const struct rop_provider *rop_provider_find(const char *name);

/* The built-in providers (one file each). */
extern const struct rop_provider rop_provider_fake;

#endif /* ROP_PROVIDER_H */
