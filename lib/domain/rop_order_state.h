/*
 * rop_order_state: the order state machine of SPEC §6, §9.3, §9.17
 * and phase 2 (§10 drafts, §12 served, §16.2/§16.3 force close), as a
 * pure decision, and the only place that decides an order's moves:
 *
 *	DRAFT → PLACED → ACCEPTED → READY → SERVED → PAID
 *	                              READY ────────→ PAID
 *	DRAFT, PLACED, ACCEPTED → CANCELLED
 *	READY, SERVED (unpaid) → WRITTEN_OFF (force close only)
 *
 * The caller holds the order's row lock, asks rop_order_decide(), and
 * writes only on ROP_DECIDE_APPLY, through the order area (rop_order.h),
 * which alone writes orders.
 */
#ifndef ROP_ORDER_STATE_H
#define ROP_ORDER_STATE_H

enum rop_order_status {
	ROP_ORDER_DRAFT = 0,
	ROP_ORDER_PLACED,
	ROP_ORDER_ACCEPTED,
	ROP_ORDER_READY,
	ROP_ORDER_SERVED,
	ROP_ORDER_PAID,
	ROP_ORDER_CANCELLED,
	ROP_ORDER_WRITTEN_OFF,
	ROP_ORDER__MAX
};

enum rop_order_action {
	ROP_ACT_ACCEPT = 0,	/* PLACED → ACCEPTED */
	ROP_ACT_READY,		/* ACCEPTED → READY */
	ROP_ACT_CANCEL,		/* DRAFT, PLACED, ACCEPTED → CANCELLED */
	ROP_ACT_PAY,		/* READY, SERVED → PAID (a capture) */
	ROP_ACT_CONFIRM,	/* DRAFT → PLACED (§10) */
	ROP_ACT_SERVE,		/* READY → SERVED (§12) */
	ROP_ACT_WRITE_OFF,	/* READY, SERVED → WRITTEN_OFF (§16.3) */
	ROP_ACT__MAX
};

/* Who asks, as far as the state machine cares (SPEC §5, §9.17, §16). */
enum rop_order_actor {
	ROP_ACTOR_MANAGER = 0,	/* ADMIN, MANAGER */
	ROP_ACTOR_WAITER,	/* cancels DRAFT/PLACED only */
	ROP_ACTOR_KITCHEN,	/* accept and ready */
	ROP_ACTOR_SYSTEM,	/* a settled capture (no person asks) */
	ROP_ACTOR__MAX
};

enum rop_decision {
	ROP_DECIDE_APPLY = 0,	/* make the transition, emit its event */
	ROP_DECIDE_REPEAT,	/* already there: 200, no event */
	ROP_DECIDE_CONFLICT,	/* 409 INVALID_ORDER_TRANSITION */
	ROP_DECIDE_FORBIDDEN	/* 403: this actor may not, here */
};

/* "PLACED" etc.; NULL when out of range. */
const char		*rop_order_status_name(enum rop_order_status);
/* The status named "s", or ROP_ORDER__MAX when unknown. */
enum rop_order_status	 rop_order_status_parse(const char *s);
/* The status an action leads to. */
enum rop_order_status	 rop_order_target(enum rop_order_action);
/* The event type of an action ("order.accepted"), or NULL for PAY. */
const char		*rop_order_event(enum rop_order_action);
/*
 * Decide what "actor" doing "act" on an order in "from" amounts to.
 * PAY on a PAID order is REPEAT: payments answer a replayed key with
 * the payment, and a new key with 409 ORDER_ALREADY_PAID (SPEC §6).
 */
enum rop_decision	 rop_order_decide(enum rop_order_status from,
			    enum rop_order_action act,
			    enum rop_order_actor actor);
/*
 * The state a new order starts in (§10): DRAFT for a guest's order
 * when the restaurant orders draft-first, else PLACED (staff orders
 * skip DRAFT).
 */
enum rop_order_status	 rop_order_initial(int draft_mode, int by_guest);

#endif /* ROP_ORDER_STATE_H */
