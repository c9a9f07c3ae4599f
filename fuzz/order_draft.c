/*
 * fuzz/order_draft: an order placement body through the same code the
 * orders app runs before it touches the database: rop_req_json(), the
 * draft validation and the idempotency hash of lib/rop_order.c
 * (draft_parse, draft_hash are static, so the file is included here),
 * and the cancel body {"reason"} of a transition.
 *
 * Invariants besides memory safety: a draft that validates has 1..50
 * lines of quantity 1..99, item ids that are ids, notes and note of at
 * most 200 code points and a 64-hex-digit hash that does not depend on
 * the body's key order or whitespace; every refusal is SPEC-shaped.
 */
#include "../lib/rop_order.c"

#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
static void	check_draft(const struct rop_order_draft *);

static void
check_draft(const struct rop_order_draft *d)
{
	size_t	 i;

	if (d->nlines < 1 || d->nlines > ROP_ORDER_MAX_LINES)
		fuzz_fail("draft line count out of range", NULL);
	for (i = 0; i < d->nlines; i++) {
		const struct line *l = &d->lines[i];

		if (!rop_text_is_id(l->item_id))
			fuzz_fail("draft item id is not an id", l->item_id);
		if (l->qty < 1 || l->qty > 99)
			fuzz_fail("draft quantity out of range", NULL);
		if (l->notes != NULL &&
		    rop_text_utf8_len(l->notes, strlen(l->notes)) > 200)
			fuzz_fail("draft notes too long", NULL);
	}
	if (d->note != NULL && rop_text_utf8_len(d->note, strlen(d->note)) >
	    200)
		fuzz_fail("draft note too long", NULL);
	if (strlen(d->hash) != 64 || strspn(d->hash, "0123456789abcdef") != 64)
		fuzz_fail("draft hash is not 64 hex digits", d->hash);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rop_ctx	 ctx;
	struct rop_req		 req;
	struct json_object	*body = NULL, *body2 = NULL;
	struct rop_order_draft		*d, *d2;
	const char		*text;
	char			 reason[1024], *copy;
	size_t			 len;

	if (size > ROP_BODY_MAX)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	memset(&req, 0, sizeof(req));
	req.body = fuzz_strndup(data, size);
	req.body_len = size;
	req.method = "POST";
	req.query = "";
	ctx.req = &req;
	if ((d = malloc(sizeof(*d))) == NULL ||
	    (d2 = malloc(sizeof(*d2))) == NULL)
		abort();

	/* Placement: rop_req_json, then what rop_order_place checks. */
	if (rop_req_json(&req, &ctx.err, 0, &body) == -1)
		fuzz_check_err(&ctx.err);
	else if (draft_parse(&ctx, body, d) == -1)
		fuzz_check_err(&ctx.err);
	else if (draft_hash(&ctx, d) == -1)
		fuzz_fail("hash failed", ctx.err.msg);
	else {
		check_draft(d);
		/* The same value written compactly hashes the same. */
		text = rop_json_text(body, &len);
		copy = fuzz_strndup((const unsigned char *)text, len);
		memset(&ctx.err, 0, sizeof(ctx.err));
		if (rop_json_parse(&ctx.err, copy, len, &body2) == -1 ||
		    draft_parse(&ctx, body2, d2) == -1 ||
		    draft_hash(&ctx, d2) == -1)
			fuzz_fail("a valid draft written out is refused",
			    ctx.err.msg);
		if (strcmp(d->hash, d2->hash) != 0)
			fuzz_fail("whitespace changed the draft hash", copy);
		free(copy);
	}

	/* Cancel: {"reason"} of 1..200 characters. */
	memset(&ctx.err, 0, sizeof(ctx.err));
	if (transition_body(&ctx, ROP_ACT_CANCEL, reason,
	    sizeof(reason)) == -1)
		fuzz_check_err(&ctx.err);
	else if (rop_text_utf8_len(reason, strlen(reason)) < 1 ||
	    rop_text_utf8_len(reason, strlen(reason)) > 200)
		fuzz_fail("cancel reason out of range", reason);
	/* Accept/ready: no body or {}. */
	memset(&ctx.err, 0, sizeof(ctx.err));
	if (transition_body(&ctx, ROP_ACT_ACCEPT, reason,
	    sizeof(reason)) == -1)
		fuzz_check_err(&ctx.err);

	json_object_put(body);
	json_object_put(body2);
	free(d);
	free(d2);
	free(req.body);
	return 0;
}
