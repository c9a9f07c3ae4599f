/*
 * rop_order_state: transitions as a table.
 */
#include <string.h>

#include "rop_order_state.h"

#define S(x)	(1u << (x))

static const char *const names[ROP_ORDER__MAX] = {
	"DRAFT", "PLACED", "ACCEPTED", "READY", "SERVED", "PAID",
	"CANCELLED", "WRITTEN_OFF"
};

/*
 * Per action: where it leads, its event, and per actor whether it may
 * ask at all, the states it moves from, and the answer in any other
 * state but the target (the target is a repeat).
 */
struct rule {
	int		 may;
	unsigned	 from;
	enum rop_decision otherwise;
};

#define NO	{ 0, 0, ROP_DECIDE_FORBIDDEN }

static const struct {
	enum rop_order_status	 to;
	const char		*event;
	/* MANAGER, WAITER, KITCHEN, SYSTEM */
	struct rule		 by[ROP_ACTOR__MAX];
} actions[ROP_ACT__MAX] = {
	/* §5: accept and ready are KITCHEN, MANAGER, ADMIN. */
	[ROP_ACT_ACCEPT] = { ROP_ORDER_ACCEPTED, "order.accepted", {
		{ 1, S(ROP_ORDER_PLACED), ROP_DECIDE_CONFLICT },
		NO,
		{ 1, S(ROP_ORDER_PLACED), ROP_DECIDE_CONFLICT },
		NO } },
	[ROP_ACT_READY] = { ROP_ORDER_READY, "order.ready", {
		{ 1, S(ROP_ORDER_ACCEPTED), ROP_DECIDE_CONFLICT },
		NO,
		{ 1, S(ROP_ORDER_ACCEPTED), ROP_DECIDE_CONFLICT },
		NO } },
	/*
	 * §9.17, §16.10: a WAITER cancels DRAFT or PLACED and gets 403
	 * elsewhere; MANAGER/ADMIN also ACCEPTED, 409 elsewhere.
	 */
	[ROP_ACT_CANCEL] = { ROP_ORDER_CANCELLED, "order.cancelled", {
		{ 1, S(ROP_ORDER_DRAFT) | S(ROP_ORDER_PLACED) |
		    S(ROP_ORDER_ACCEPTED), ROP_DECIDE_CONFLICT },
		{ 1, S(ROP_ORDER_DRAFT) | S(ROP_ORDER_PLACED),
		    ROP_DECIDE_FORBIDDEN },
		NO,
		NO } },
	/* §5 capture is WAITER+; §12 capture accepts READY or SERVED. */
	[ROP_ACT_PAY] = { ROP_ORDER_PAID, NULL, {
		{ 1, S(ROP_ORDER_READY) | S(ROP_ORDER_SERVED),
		    ROP_DECIDE_CONFLICT },
		{ 1, S(ROP_ORDER_READY) | S(ROP_ORDER_SERVED),
		    ROP_DECIDE_CONFLICT },
		NO,
		{ 1, S(ROP_ORDER_READY) | S(ROP_ORDER_SERVED),
		    ROP_DECIDE_CONFLICT } } },
	/* §10, §16.10: confirm is WAITER+; order.placed follows. */
	[ROP_ACT_CONFIRM] = { ROP_ORDER_PLACED, "order.placed", {
		{ 1, S(ROP_ORDER_DRAFT), ROP_DECIDE_CONFLICT },
		{ 1, S(ROP_ORDER_DRAFT), ROP_DECIDE_CONFLICT },
		NO,
		NO } },
	/* §12: serve is WAITER+, READY → SERVED. */
	[ROP_ACT_SERVE] = { ROP_ORDER_SERVED, "order.served", {
		{ 1, S(ROP_ORDER_READY), ROP_DECIDE_CONFLICT },
		{ 1, S(ROP_ORDER_READY), ROP_DECIDE_CONFLICT },
		NO,
		NO } },
	/* §16.2/§16.3: force close is MANAGER+; unpaid READY/SERVED. */
	[ROP_ACT_WRITE_OFF] = { ROP_ORDER_WRITTEN_OFF, "order.written_off", {
		{ 1, S(ROP_ORDER_READY) | S(ROP_ORDER_SERVED),
		    ROP_DECIDE_CONFLICT },
		NO,
		NO,
		NO } },
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
	return (unsigned)a < ROP_ACT__MAX ? actions[a].to : ROP_ORDER__MAX;
}

const char *
rop_order_event(enum rop_order_action a)
{
	return (unsigned)a < ROP_ACT__MAX ? actions[a].event : NULL;
}

enum rop_decision
rop_order_decide(enum rop_order_status from, enum rop_order_action act,
    enum rop_order_actor actor)
{
	const struct rule	*r;

	if ((unsigned)from >= ROP_ORDER__MAX || (unsigned)act >= ROP_ACT__MAX)
		return ROP_DECIDE_CONFLICT;
	if ((unsigned)actor >= ROP_ACTOR__MAX)
		return ROP_DECIDE_FORBIDDEN;
	r = &actions[act].by[actor];
	if (!r->may)
		return ROP_DECIDE_FORBIDDEN;
	if (from == actions[act].to)
		return ROP_DECIDE_REPEAT;
	if (r->from & S(from))
		return ROP_DECIDE_APPLY;
	return r->otherwise;
}

enum rop_order_status
rop_order_initial(int draft_mode, int by_guest)
{
	return draft_mode && by_guest ? ROP_ORDER_DRAFT : ROP_ORDER_PLACED;
}
