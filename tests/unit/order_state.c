/*
 * order_state: every (from, action, actor) of the order state machine
 * against a table written from SPEC §5 (who may), §6 (the states and
 * their moves), §9.3 (repeat vs. moved past) and §9.17 (cancel).
 */
#include <stdio.h>
#include <string.h>

#include "domain/rop_order_state.h"
#include "../tap.h"

#define P	ROP_ORDER_PLACED
#define A	ROP_ORDER_ACCEPTED
#define R	ROP_ORDER_READY
#define PD	ROP_ORDER_PAID
#define C	ROP_ORDER_CANCELLED

#define AP	ROP_DECIDE_APPLY
#define RE	ROP_DECIDE_REPEAT
#define CF	ROP_DECIDE_CONFLICT
#define FB	ROP_DECIDE_FORBIDDEN

static const char *const snames[] = { "PLACED", "ACCEPTED", "READY", "PAID",
    "CANCELLED" };
static const char *const anames[] = { "accept", "ready", "cancel", "pay" };
static const char *const rnames[] = { "MANAGER/ADMIN", "WAITER", "KITCHEN",
    "SYSTEM" };
static const char *const dnames[] = { "APPLY", "REPEAT", "CONFLICT",
    "FORBIDDEN" };

/*
 * want[action][actor][from].  Columns: PLACED ACCEPTED READY PAID
 * CANCELLED.
 */
static const enum rop_decision want[ROP_ACT__MAX][4][ROP_ORDER__MAX] = {
	[ROP_ACT_ACCEPT] = {
		/* §5: accept is KITCHEN, MANAGER, ADMIN; §9.3: READY and
		 * PAID moved past it, CANCELLED never gets there. */
		[ROP_ACTOR_MANAGER] = { AP, RE, CF, CF, CF },
		[ROP_ACTOR_WAITER] =  { FB, FB, FB, FB, FB },
		[ROP_ACTOR_KITCHEN] = { AP, RE, CF, CF, CF },
		[ROP_ACTOR_SYSTEM] =  { FB, FB, FB, FB, FB },
	},
	[ROP_ACT_READY] = {
		/* ready on PLACED skips ACCEPTED: 409. */
		[ROP_ACTOR_MANAGER] = { CF, AP, RE, CF, CF },
		[ROP_ACTOR_WAITER] =  { FB, FB, FB, FB, FB },
		[ROP_ACTOR_KITCHEN] = { CF, AP, RE, CF, CF },
		[ROP_ACTOR_SYSTEM] =  { FB, FB, FB, FB, FB },
	},
	[ROP_ACT_CANCEL] = {
		/* §9.17: MANAGER/ADMIN cancel PLACED or ACCEPTED, 409
		 * otherwise; a WAITER only PLACED, 403 otherwise; a
		 * CANCELLED order is a 200 repeat to both.  KITCHEN may
		 * not cancel at all (§5). */
		[ROP_ACTOR_MANAGER] = { AP, AP, CF, CF, RE },
		[ROP_ACTOR_WAITER] =  { AP, FB, FB, FB, RE },
		[ROP_ACTOR_KITCHEN] = { FB, FB, FB, FB, FB },
		[ROP_ACTOR_SYSTEM] =  { FB, FB, FB, FB, FB },
	},
	[ROP_ACT_PAY] = {
		/* Payments move READY → PAID; staff never directly. */
		[ROP_ACTOR_MANAGER] = { FB, FB, FB, FB, FB },
		[ROP_ACTOR_WAITER] =  { FB, FB, FB, FB, FB },
		[ROP_ACTOR_KITCHEN] = { FB, FB, FB, FB, FB },
		[ROP_ACTOR_SYSTEM] =  { CF, CF, AP, RE, CF },
	},
};

int
main(void)
{
	char	 name[128];
	int	 s, a, r, bad = 0;

	/* Names round trip; unknown names and out-of-range values. */
	for (s = 0; s < ROP_ORDER__MAX; s++) {
		is_str(rop_order_status_name((enum rop_order_status)s),
		    snames[s], "status name");
		is_int(rop_order_status_parse(snames[s]), s, snames[s]);
	}
	is_int(rop_order_status_parse("placed"), ROP_ORDER__MAX,
	    "parse is case-sensitive");
	is_int(rop_order_status_parse(""), ROP_ORDER__MAX, "parse empty");
	is_int(rop_order_status_parse("ALL"), ROP_ORDER__MAX,
	    "ALL is a filter, not a status");
	is_int(rop_order_status_parse(NULL), ROP_ORDER__MAX, "parse NULL");
	is_int(rop_order_status_parse("PLACED "), ROP_ORDER__MAX,
	    "parse with a trailing space");
	ok(rop_order_status_name(ROP_ORDER__MAX) == NULL, "name of __MAX");
	ok(rop_order_status_name((enum rop_order_status)-1) == NULL,
	    "name of -1");

	/* Targets and events of each action. */
	is_int(rop_order_target(ROP_ACT_ACCEPT), A, "accept leads to ACCEPTED");
	is_int(rop_order_target(ROP_ACT_READY), R, "ready leads to READY");
	is_int(rop_order_target(ROP_ACT_CANCEL), C,
	    "cancel leads to CANCELLED");
	is_int(rop_order_target(ROP_ACT_PAY), PD, "pay leads to PAID");
	is_str(rop_order_event(ROP_ACT_ACCEPT), "order.accepted",
	    "accept event");
	is_str(rop_order_event(ROP_ACT_READY), "order.ready", "ready event");
	is_str(rop_order_event(ROP_ACT_CANCEL), "order.cancelled",
	    "cancel event");
	ok(rop_order_event(ROP_ACT_PAY) == NULL,
	    "pay has no order event (payment.captured is the payments')");

	/* The whole table: 4 actions x 4 actors x 5 states. */
	for (a = 0; a < ROP_ACT__MAX; a++)
		for (r = 0; r < 4; r++)
			for (s = 0; s < ROP_ORDER__MAX; s++) {
				enum rop_decision got = rop_order_decide(
				    (enum rop_order_status)s,
				    (enum rop_order_action)a,
				    (enum rop_order_actor)r);

				snprintf(name, sizeof(name), "%s %s by %s: %s",
				    anames[a], snames[s], rnames[r],
				    dnames[want[a][r][s]]);
				if (!is_int(got, want[a][r][s], name)) {
					diag("got %s", (unsigned)got < 4 ?
					    dnames[got] : "?");
					bad++;
				}
			}
	is_int(bad, 0, "no cell of the table differs");

	/* Invariants the table implies, stated on their own. */
	for (a = 0; a < ROP_ACT__MAX; a++)
		for (r = 0; r < 4; r++) {
			int applies = 0;

			for (s = 0; s < ROP_ORDER__MAX; s++) {
				enum rop_decision d = rop_order_decide(
				    (enum rop_order_status)s,
				    (enum rop_order_action)a,
				    (enum rop_order_actor)r);

				if (d == AP)
					applies++;
				if (d == RE && s != (int)rop_order_target(
				    (enum rop_order_action)a))
					bad++;
				if (s == (int)rop_order_target(
				    (enum rop_order_action)a) && d == AP)
					bad++;
			}
			if (applies > 2)
				bad++;
		}
	is_int(bad, 0, "REPEAT only in the target state, never APPLY there");
	for (s = 0; s < ROP_ORDER__MAX; s++)
		for (r = 0; r < 4; r++)
			if (s == PD || s == C)
				for (a = 0; a < ROP_ACT__MAX; a++)
					if (rop_order_decide(
					    (enum rop_order_status)s,
					    (enum rop_order_action)a,
					    (enum rop_order_actor)r) == AP)
						bad++;
	is_int(bad, 0, "PAID and CANCELLED are final");

	/* Out-of-range input is refused, never applied. */
	is_int(rop_order_decide(ROP_ORDER__MAX, ROP_ACT_ACCEPT,
	    ROP_ACTOR_MANAGER), CF, "unknown state: conflict");
	is_int(rop_order_decide((enum rop_order_status)-1, ROP_ACT_ACCEPT,
	    ROP_ACTOR_MANAGER), CF, "negative state: conflict");
	is_int(rop_order_decide(P, ROP_ACT__MAX, ROP_ACTOR_MANAGER), CF,
	    "unknown action: conflict");
	ok(rop_order_decide(P, ROP_ACT_ACCEPT, (enum rop_order_actor)9) != AP,
	    "unknown actor is never applied");
	return tap_done();
}
