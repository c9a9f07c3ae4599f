/*
 * order_state: every (from, action, actor) of the order state machine
 * against a table written from SPEC §5 (who may), §6 (the states and
 * their moves), §9.3 (repeat vs. moved past), §9.17 (cancel) and
 * phase 2: §10 (DRAFT, confirm), §12 (SERVED, capture from READY or
 * SERVED), §16.2/§16.3 (force close writes READY/SERVED off), §16.10
 * (confirm is WAITER+, a WAITER may cancel a DRAFT).
 */
#include <stdio.h>
#include <string.h>

#include "domain/rop_order_state.h"
#include "../tap.h"

#define D	ROP_ORDER_DRAFT
#define P	ROP_ORDER_PLACED
#define A	ROP_ORDER_ACCEPTED
#define R	ROP_ORDER_READY
#define SV	ROP_ORDER_SERVED
#define PD	ROP_ORDER_PAID
#define C	ROP_ORDER_CANCELLED
#define W	ROP_ORDER_WRITTEN_OFF

#define AP	ROP_DECIDE_APPLY
#define RE	ROP_DECIDE_REPEAT
#define CF	ROP_DECIDE_CONFLICT
#define FB	ROP_DECIDE_FORBIDDEN

#define NACT	ROP_ACT__MAX
#define NACTOR	ROP_ACTOR__MAX
#define NST	ROP_ORDER__MAX

static const char *const snames[] = { "DRAFT", "PLACED", "ACCEPTED",
    "READY", "SERVED", "PAID", "CANCELLED", "WRITTEN_OFF" };
static const char *const anames[] = { "accept", "ready", "cancel", "pay",
    "confirm", "serve", "write off" };
static const char *const rnames[] = { "MANAGER/ADMIN", "WAITER", "KITCHEN",
    "SYSTEM" };
static const char *const dnames[] = { "APPLY", "REPEAT", "CONFLICT",
    "FORBIDDEN" };

#define NONE	{ FB, FB, FB, FB, FB, FB, FB, FB }

/*
 * want[action][actor][from].  Columns: DRAFT PLACED ACCEPTED READY
 * SERVED PAID CANCELLED WRITTEN_OFF.
 */
static const enum rop_decision want[NACT][NACTOR][NST] = {
	[ROP_ACT_ACCEPT] = {
		/* §5: accept is KITCHEN, MANAGER, ADMIN; §9.3: READY and
		 * later moved past it, a DRAFT is not placed yet,
		 * CANCELLED/WRITTEN_OFF never get there. */
		[ROP_ACTOR_MANAGER] = { CF, AP, RE, CF, CF, CF, CF, CF },
		[ROP_ACTOR_WAITER] =  NONE,
		[ROP_ACTOR_KITCHEN] = { CF, AP, RE, CF, CF, CF, CF, CF },
		[ROP_ACTOR_SYSTEM] =  NONE,
	},
	[ROP_ACT_READY] = {
		/* ready on PLACED skips ACCEPTED: 409. */
		[ROP_ACTOR_MANAGER] = { CF, CF, AP, RE, CF, CF, CF, CF },
		[ROP_ACTOR_WAITER] =  NONE,
		[ROP_ACTOR_KITCHEN] = { CF, CF, AP, RE, CF, CF, CF, CF },
		[ROP_ACTOR_SYSTEM] =  NONE,
	},
	[ROP_ACT_CANCEL] = {
		/* §9.17, §16.10: MANAGER/ADMIN cancel DRAFT, PLACED or
		 * ACCEPTED, 409 otherwise; a WAITER only DRAFT or PLACED,
		 * 403 otherwise; a CANCELLED order is a 200 repeat to both.
		 * KITCHEN may not cancel at all (§5). */
		[ROP_ACTOR_MANAGER] = { AP, AP, AP, CF, CF, CF, RE, CF },
		[ROP_ACTOR_WAITER] =  { AP, AP, FB, FB, FB, FB, RE, FB },
		[ROP_ACTOR_KITCHEN] = NONE,
		[ROP_ACTOR_SYSTEM] =  NONE,
	},
	[ROP_ACT_PAY] = {
		/* §5: capture is WAITER, MANAGER, ADMIN (and the system
		 * settling one); §12: from READY or SERVED; PAID is the
		 * paid-already repeat. */
		[ROP_ACTOR_MANAGER] = { CF, CF, CF, AP, AP, RE, CF, CF },
		[ROP_ACTOR_WAITER] =  { CF, CF, CF, AP, AP, RE, CF, CF },
		[ROP_ACTOR_KITCHEN] = NONE,
		[ROP_ACTOR_SYSTEM] =  { CF, CF, CF, AP, AP, RE, CF, CF },
	},
	[ROP_ACT_CONFIRM] = {
		/* §10, §16.10: confirm is WAITER+, DRAFT → PLACED. */
		[ROP_ACTOR_MANAGER] = { AP, RE, CF, CF, CF, CF, CF, CF },
		[ROP_ACTOR_WAITER] =  { AP, RE, CF, CF, CF, CF, CF, CF },
		[ROP_ACTOR_KITCHEN] = NONE,
		[ROP_ACTOR_SYSTEM] =  NONE,
	},
	[ROP_ACT_SERVE] = {
		/* §12: serve is WAITER+, READY → SERVED. */
		[ROP_ACTOR_MANAGER] = { CF, CF, CF, AP, RE, CF, CF, CF },
		[ROP_ACTOR_WAITER] =  { CF, CF, CF, AP, RE, CF, CF, CF },
		[ROP_ACTOR_KITCHEN] = NONE,
		[ROP_ACTOR_SYSTEM] =  NONE,
	},
	[ROP_ACT_WRITE_OFF] = {
		/* §16.2/§16.3: force close is MANAGER+; unpaid READY or
		 * SERVED orders are written off, a terminal state. */
		[ROP_ACTOR_MANAGER] = { CF, CF, CF, AP, AP, CF, CF, RE },
		[ROP_ACTOR_WAITER] =  NONE,
		[ROP_ACTOR_KITCHEN] = NONE,
		[ROP_ACTOR_SYSTEM] =  NONE,
	},
};

static enum rop_decision
dec(int s, int a, int r)
{
	return rop_order_decide((enum rop_order_status)s,
	    (enum rop_order_action)a, (enum rop_order_actor)r);
}

int
main(void)
{
	char	 name[128];
	int	 s, a, r, bad = 0, reach[NST];

	/* Names round trip; unknown names and out-of-range values. */
	for (s = 0; s < NST; s++) {
		is_str(rop_order_status_name((enum rop_order_status)s),
		    snames[s], "status name");
		is_int(rop_order_status_parse(snames[s]), s, snames[s]);
	}
	is_int(rop_order_status_parse("placed"), NST,
	    "parse is case-sensitive");
	is_int(rop_order_status_parse(""), NST, "parse empty");
	is_int(rop_order_status_parse("ALL"), NST,
	    "ALL is a filter, not a status");
	is_int(rop_order_status_parse(NULL), NST, "parse NULL");
	is_int(rop_order_status_parse("PLACED "), NST,
	    "parse with a trailing space");
	is_int(rop_order_status_parse("WRITTEN"), NST, "parse a prefix");
	ok(rop_order_status_name(ROP_ORDER__MAX) == NULL, "name of __MAX");
	ok(rop_order_status_name((enum rop_order_status)-1) == NULL,
	    "name of -1");

	/* Targets and events of each action. */
	is_int(rop_order_target(ROP_ACT_ACCEPT), A, "accept leads to ACCEPTED");
	is_int(rop_order_target(ROP_ACT_READY), R, "ready leads to READY");
	is_int(rop_order_target(ROP_ACT_CANCEL), C,
	    "cancel leads to CANCELLED");
	is_int(rop_order_target(ROP_ACT_PAY), PD, "pay leads to PAID");
	is_int(rop_order_target(ROP_ACT_CONFIRM), P,
	    "confirm leads to PLACED");
	is_int(rop_order_target(ROP_ACT_SERVE), SV, "serve leads to SERVED");
	is_int(rop_order_target(ROP_ACT_WRITE_OFF), W,
	    "write off leads to WRITTEN_OFF");
	is_int(rop_order_target(ROP_ACT__MAX), NST, "target of __MAX");
	is_str(rop_order_event(ROP_ACT_ACCEPT), "order.accepted",
	    "accept event");
	is_str(rop_order_event(ROP_ACT_READY), "order.ready", "ready event");
	is_str(rop_order_event(ROP_ACT_CANCEL), "order.cancelled",
	    "cancel event");
	ok(rop_order_event(ROP_ACT_PAY) == NULL,
	    "pay has no order event (payment.captured is the payments')");
	is_str(rop_order_event(ROP_ACT_CONFIRM), "order.placed",
	    "confirm emits order.placed (§10)");
	is_str(rop_order_event(ROP_ACT_SERVE), "order.served", "serve event");
	is_str(rop_order_event(ROP_ACT_WRITE_OFF), "order.written_off",
	    "write off event (§16.3)");
	ok(rop_order_event(ROP_ACT__MAX) == NULL, "event of __MAX");

	/* Where a new order starts (§10). */
	is_int(rop_order_initial(0, 0), P, "direct mode, staff: PLACED");
	is_int(rop_order_initial(0, 1), P, "direct mode, guest: PLACED");
	is_int(rop_order_initial(1, 0), P, "draft mode, staff skip DRAFT");
	is_int(rop_order_initial(1, 1), D, "draft mode, guest: DRAFT");

	/* The whole table: 7 actions x 4 actors x 8 states. */
	for (a = 0; a < NACT; a++)
		for (r = 0; r < NACTOR; r++)
			for (s = 0; s < NST; s++) {
				enum rop_decision got = dec(s, a, r);

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
	bad = 0;
	for (a = 0; a < NACT; a++)
		for (r = 0; r < NACTOR; r++)
			for (s = 0; s < NST; s++) {
				enum rop_decision d = dec(s, a, r);
				int tgt = (int)rop_order_target(
				    (enum rop_order_action)a);

				if (d == RE && s != tgt)
					bad++;
				if (s == tgt && d == AP)
					bad++;
			}
	is_int(bad, 0, "REPEAT only in the target state, never APPLY there");
	bad = 0;
	for (s = 0; s < NST; s++)
		for (r = 0; r < NACTOR; r++)
			if (s == PD || s == C || s == W)
				for (a = 0; a < NACT; a++)
					if (dec(s, a, r) == AP)
						bad++;
	is_int(bad, 0, "PAID, CANCELLED and WRITTEN_OFF are final");

	/* Which actions lead into each state, from anywhere, by anyone. */
	memset(reach, 0, sizeof(reach));
	for (a = 0; a < NACT; a++)
		for (r = 0; r < NACTOR; r++)
			for (s = 0; s < NST; s++)
				if (dec(s, a, r) == AP)
					reach[rop_order_target(
					    (enum rop_order_action)a)] |= 1 << a;
	is_int(reach[D], 0, "no move leads into DRAFT: orders start there");
	is_int(reach[W], 1 << ROP_ACT_WRITE_OFF,
	    "WRITTEN_OFF is reachable only by the write-off (§16.3)");
	is_int(reach[SV], 1 << ROP_ACT_SERVE, "SERVED only by serve");
	is_int(reach[PD], 1 << ROP_ACT_PAY, "PAID only by a capture");

	/* §9.17 stated directly: a WAITER's cancel is 403, never 409. */
	bad = 0;
	for (s = 0; s < NST; s++)
		if (dec(s, ROP_ACT_CANCEL, ROP_ACTOR_WAITER) == CF)
			bad++;
	is_int(bad, 0, "a WAITER's cancel is never a 409");
	/* A role that may not ask is 403 in every state, the target too. */
	bad = 0;
	for (a = 0; a < NACT; a++)
		for (r = 0; r < NACTOR; r++) {
			int fb = 0;

			for (s = 0; s < NST; s++)
				fb += dec(s, a, r) == FB;
			if (fb != 0 && fb != NST && !(a == ROP_ACT_CANCEL &&
			    r == ROP_ACTOR_WAITER))
				bad++;
		}
	is_int(bad, 0, "403 depends on the state only for a WAITER's cancel");

	/* Out-of-range input is refused, never applied. */
	is_int(rop_order_decide(ROP_ORDER__MAX, ROP_ACT_ACCEPT,
	    ROP_ACTOR_MANAGER), CF, "unknown state: conflict");
	is_int(rop_order_decide((enum rop_order_status)-1, ROP_ACT_ACCEPT,
	    ROP_ACTOR_MANAGER), CF, "negative state: conflict");
	is_int(rop_order_decide(P, ROP_ACT__MAX, ROP_ACTOR_MANAGER), CF,
	    "unknown action: conflict");
	is_int(rop_order_decide(P, ROP_ACT_ACCEPT, ROP_ACTOR__MAX), FB,
	    "unknown actor: forbidden");
	ok(rop_order_decide(P, ROP_ACT_ACCEPT, (enum rop_order_actor)-1) !=
	    AP, "negative actor is never applied");
	return tap_done();
}
