/*
 * rop_order_state: the order state machine of SPEC §6 and §9.3/§9.17,
 * as a pure decision.  PLACED → ACCEPTED → READY → PAID, and CANCELLED
 * from PLACED or ACCEPTED.  The caller holds the order's row lock,
 * asks rop_order_decide(), and writes only on ROP_DECIDE_APPLY.
 */
#ifndef ROP_ORDER_STATE_H
#define ROP_ORDER_STATE_H

enum rop_order_status {
	ROP_ORDER_PLACED = 0,
	ROP_ORDER_ACCEPTED,
	ROP_ORDER_READY,
	ROP_ORDER_PAID,
	ROP_ORDER_CANCELLED,
	ROP_ORDER__MAX
};

enum rop_order_action {
	ROP_ACT_ACCEPT = 0,
	ROP_ACT_READY,
	ROP_ACT_CANCEL,
	ROP_ACT_PAY,
	ROP_ACT__MAX
};

/* Who asks, as far as the state machine cares (SPEC §9.17). */
enum rop_order_actor {
	ROP_ACTOR_MANAGER = 0,	/* ADMIN, MANAGER: may cancel PLACED/ACCEPTED */
	ROP_ACTOR_WAITER,	/* may cancel PLACED only */
	ROP_ACTOR_KITCHEN,	/* accept and ready */
	ROP_ACTOR_SYSTEM	/* payments */
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
/* Decide what "actor" doing "act" on an order in "from" amounts to. */
enum rop_decision	 rop_order_decide(enum rop_order_status from,
			    enum rop_order_action act,
			    enum rop_order_actor actor);

#endif /* ROP_ORDER_STATE_H */
