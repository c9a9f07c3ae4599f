/*
 * fuzz/order_draft: an order placement body through the checks the
 * orders app's routes run before anything touches the database: the
 * order area's rop_order_draft_check() (rop_req_json, the draft
 * validation, the idempotency hash), the cancel check
 * rop_order_cancel_check() ({"reason"}) and the no-payload check of
 * accept and ready.
 *
 * Invariants besides memory safety: a draft that validates has 1..50
 * lines of quantity 1..99, item ids that are ids, notes and note of at
 * most 200 code points and a 64-hex-digit hash that does not depend on
 * the body's key order or whitespace; every refusal is SPEC-shaped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rop_app.h"
#include "rop_json.h"
#include "rop_order.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
static void	check_draft(const struct rop_order_draft *);
static void	body_req(struct rop_req *, const uint8_t *, size_t);

static void
check_draft(const struct rop_order_draft *d)
{
	size_t	 i;

	if (d->nlines < 1 || d->nlines > ROP_ORDER_MAX_LINES)
		fuzz_fail("draft line count out of range", NULL);
	for (i = 0; i < d->nlines; i++) {
		const struct rop_order_line *l = &d->lines[i];

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

/* A POST whose body is a copy of "data". */
static void
body_req(struct rop_req *req, const uint8_t *data, size_t size)
{
	memset(req, 0, sizeof(*req));
	req->body = fuzz_strndup(data, size);
	req->body_len = size;
	req->method = "POST";
	req->query = "";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rop_ctx	 ctx;
	struct rop_req		 req, req2;
	const struct rop_order_draft *d, *d2;
	const char		*text, *reason;
	size_t			 len;

	if (size > ROP_BODY_MAX)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	body_req(&req, data, size);
	ctx.req = &req;

	/* Placement: the route's check leaves the draft in req->args. */
	if (rop_order_draft_check(&ctx, &req) == -1)
		fuzz_check_err(&ctx.err);
	else {
		d = req.args;
		check_draft(d);
		/* The same value written compactly hashes the same. */
		text = rop_json_text(req.json, &len);
		body_req(&req2, (const uint8_t *)text, len);
		ctx.req = &req2;
		memset(&ctx.err, 0, sizeof(ctx.err));
		if (rop_order_draft_check(&ctx, &req2) == -1)
			fuzz_fail("a valid draft written out is refused",
			    ctx.err.msg);
		d2 = req2.args;
		if (strcmp(d->hash, d2->hash) != 0)
			fuzz_fail("whitespace changed the draft hash",
			    req2.body);
		rop_req_release(&req2);
		ctx.req = &req;
	}

	/* Cancel: {"reason"} of 1..200 characters. */
	memset(&ctx.err, 0, sizeof(ctx.err));
	if (rop_order_cancel_check(&ctx, &req) == -1)
		fuzz_check_err(&ctx.err);
	else {
		reason = req.args;
		if (rop_text_utf8_len(reason, strlen(reason)) < 1 ||
		    rop_text_utf8_len(reason, strlen(reason)) > 200)
			fuzz_fail("cancel reason out of range", reason);
	}
	/* Accept/ready: no body or {}. */
	memset(&ctx.err, 0, sizeof(ctx.err));
	if (rop_check_no_payload(&ctx, &req) == -1)
		fuzz_check_err(&ctx.err);

	rop_req_release(&req);
	return 0;
}
