/*
 * rop_order_state: transitions as a table.
 */
#include <string.h>

#include "rop_order_state.h"

static const char *const names[ROP_ORDER__MAX] = {
	"PLACED", "ACCEPTED", "READY", "PAID", "CANCELLED"
};

/* The state each action requires, and the one it leads to. */
static const struct {
	enum rop_order_status	 from;
	enum rop_order_status	 to;
	const char		*event;
} actions[ROP_ACT__MAX] = {
	{ ROP_ORDER_PLACED,	ROP_ORDER_ACCEPTED,	"order.accepted" },
	{ ROP_ORDER_ACCEPTED,	ROP_ORDER_READY,	"order.ready" },
	{ ROP_ORDER_PLACED,	ROP_ORDER_CANCELLED,	"order.cancelled" },
	{ ROP_ORDER_READY,	ROP_ORDER_PAID,		NULL },
};

const char *
rop_order_status_name(enum rop_order_status s)
{
	return (unsigned)s < ROP_ORDER__MAX ? names[s] : NULL;
}

enum rop_order_status
rop_order_status_parse(const char *s)
{
	int	 i;

	for (i = 0; s != NULL && i < ROP_ORDER__MAX; i++)
		if (strcmp(names[i], s) == 0)
			return (enum rop_order_status)i;
	return ROP_ORDER__MAX;
}

enum rop_order_status
rop_order_target(enum rop_order_action a)
{
	return actions[a].to;
}

const char *
rop_order_event(enum rop_order_action a)
{
	return actions[a].event;
}

enum rop_decision
rop_order_decide(enum rop_order_status from, enum rop_order_action act,
    enum rop_order_actor actor)
{
	if ((unsigned)from >= ROP_ORDER__MAX || (unsigned)act >= ROP_ACT__MAX)
		return ROP_DECIDE_CONFLICT;
	/* Who may try at all. */
	switch (act) {
	case ROP_ACT_ACCEPT:
	case ROP_ACT_READY:
		if (actor != ROP_ACTOR_KITCHEN && actor != ROP_ACTOR_MANAGER)
			return ROP_DECIDE_FORBIDDEN;
		break;
	case ROP_ACT_CANCEL:
		if (actor != ROP_ACTOR_WAITER && actor != ROP_ACTOR_MANAGER)
			return ROP_DECIDE_FORBIDDEN;
		break;
	case ROP_ACT_PAY:
		if (actor != ROP_ACTOR_SYSTEM)
			return ROP_DECIDE_FORBIDDEN;
		break;
	default:
		return ROP_DECIDE_CONFLICT;
	}
	if (from == actions[act].to)
		return ROP_DECIDE_REPEAT;
	if (act == ROP_ACT_CANCEL) {
		/* §9.17: a waiter cancels PLACED only; anything else is 403. */
		if (actor == ROP_ACTOR_WAITER)
			return from == ROP_ORDER_PLACED ?
			    ROP_DECIDE_APPLY : ROP_DECIDE_FORBIDDEN;
		return from == ROP_ORDER_PLACED || from == ROP_ORDER_ACCEPTED ?
		    ROP_DECIDE_APPLY : ROP_DECIDE_CONFLICT;
	}
	return from == actions[act].from ? ROP_DECIDE_APPLY :
	    ROP_DECIDE_CONFLICT;
}
