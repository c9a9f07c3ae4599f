/*
 * order_pay: what the payments ask the order area before and while
 * taking money (rop_order_pay_check, rop_order_actor): SPEC §5 (capture
 * is WAITER+), §6 (409 ORDER_ALREADY_PAID, INVALID_ORDER_TRANSITION
 * with details from/to), §12 (capture from READY or SERVED).
 */
#include <string.h>

#include "rop_auth.h"
#include "rop_err.h"
#include "rop_order.h"
#include "../tap.h"

static int
check(struct rop_err *e, const char *from, enum rop_order_actor actor)
{
	rop_err_clear(e);
	return rop_order_pay_check(e, "ord_1", from, actor);
}

int
main(void)
{
	struct rop_err	 e;

	/* Roles to actors. */
	is_int(rop_order_actor(ROP_ROLE_ADMIN), ROP_ACTOR_MANAGER, "ADMIN");
	is_int(rop_order_actor(ROP_ROLE_MANAGER), ROP_ACTOR_MANAGER,
	    "MANAGER");
	is_int(rop_order_actor(ROP_ROLE_WAITER), ROP_ACTOR_WAITER, "WAITER");
	is_int(rop_order_actor(ROP_ROLE_KITCHEN), ROP_ACTOR_KITCHEN,
	    "KITCHEN");
	is_int(rop_order_actor(ROP_ROLE_NONE), ROP_ACTOR_SYSTEM,
	    "no caller: the system");
	ok(rop_order_decide(ROP_ORDER_PLACED, ROP_ACT_CANCEL,
	    rop_order_actor(ROP_ROLE_TABLE)) == ROP_DECIDE_FORBIDDEN,
	    "a guest may not cancel, even a PLACED order");
	ok(rop_order_decide(ROP_ORDER_READY, ROP_ACT_PAY,
	    rop_order_actor(ROP_ROLE_TABLE)) == ROP_DECIDE_FORBIDDEN,
	    "a guest may not pay through the machine");

	/* Payable states. */
	is_int(check(&e, "READY", ROP_ACTOR_WAITER), 0, "WAITER pays READY");
	is_int(check(&e, "SERVED", ROP_ACTOR_WAITER), 0,
	    "WAITER pays SERVED (§12)");
	is_int(check(&e, "READY", ROP_ACTOR_SYSTEM), 0,
	    "the system settles READY");
	is_int(check(&e, "READY", ROP_ACTOR_MANAGER), 0, "MANAGER pays READY");

	/* Paid already. */
	is_int(check(&e, "PAID", ROP_ACTOR_WAITER), -1, "PAID: refused");
	is_int(e.status, ROP_ECONFLICT, "409");
	is_str(e.code, "ORDER_ALREADY_PAID", "ORDER_ALREADY_PAID");

	/* Not (yet) payable: §9.3's 409 with from/to. */
	is_int(check(&e, "ACCEPTED", ROP_ACTOR_WAITER), -1, "ACCEPTED");
	is_int(e.status, ROP_ECONFLICT, "409");
	is_str(e.code, "INVALID_ORDER_TRANSITION", "INVALID_ORDER_TRANSITION");
	is_str(e.msg, "order ord_1 is ACCEPTED, not READY", "message");
	is_int(e.ndetails, 2, "two details");
	is_str(e.details[0].key, "from", "details.from");
	is_str(e.details[0].str, "ACCEPTED", "from ACCEPTED");
	is_str(e.details[1].key, "to", "details.to");
	is_str(e.details[1].str, "PAID", "to PAID");
	is_int(check(&e, "CANCELLED", ROP_ACTOR_SYSTEM), -1, "CANCELLED");
	is_str(e.code, "INVALID_ORDER_TRANSITION", "a cancelled order: 409");
	is_int(check(&e, "WRITTEN_OFF", ROP_ACTOR_WAITER), -1, "WRITTEN_OFF");
	is_str(e.code, "INVALID_ORDER_TRANSITION", "written off: 409");
	is_int(check(&e, "DRAFT", ROP_ACTOR_WAITER), -1, "DRAFT");
	is_int(check(&e, "BOGUS", ROP_ACTOR_WAITER), -1, "unknown status");
	is_int(e.status, ROP_ECONFLICT, "unknown status: 409, never paid");

	/* KITCHEN may not take money (§5). */
	is_int(check(&e, "READY", ROP_ACTOR_KITCHEN), -1, "KITCHEN");
	is_int(e.status, ROP_EFORBIDDEN, "403");
	return tap_done();
}
