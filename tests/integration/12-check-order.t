#!/usr/bin/env perl
# The order of checks (SPEC §9.16), route by route: authentication (401)
# before tenant (404: a token of another restaurant, whatever its role)
# before syntax (400: body JSON and shape, query parameters, headers)
# before role (403) before state.  The runner (lib/rop_app.c) runs them
# from each route's row, so every route shows the same precedence:
#
#   no token + bad input                          -> 401
#   token of rst_002 (an allowed role) + bad input -> 404
#   token of rst_001, a refused role, bad input   -> 400 naming the field
#   token of rst_001, a refused role, good input  -> 403
#   token of rst_001, an allowed role, bad input  -> 400
#
# and for the /v1/orders/{oid} routes, whose tenant is the token's
# restaurant: an order that is not one of its orders is 404 before 400
# and 403, as a path of another restaurant is.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use RopTest;
use JSON::PP ();

my $s = RopTest->start;
my %t1 = map { $_ => $s->mint('rst_001', $_) } qw(ADMIN MANAGER WAITER KITCHEN);
my %t2 = map { $_ => $s->mint('rst_002', $_) } qw(ADMIN MANAGER WAITER KITCHEN);
my $R = '/v1/restaurants/rst_001';

# Fixtures: tbl_001 open with one PLACED order; a guest token of tbl_001.
my $W = $s->bearer($t1{WAITER});
is($s->post("$R/tables/tbl_001/open", undef, $W)->{status}, 200, 'open tbl_001');
my $r = $s->post("$R/tables/tbl_001/orders",
    { lines => [{ itemId => 'itm_001', quantity => 1 }] }, $W);
is($r->{status}, 201, 'an order to act on');
my $oid = $r->{json}{orderId};
$r = $s->get("$R/tables/tbl_001/qr", $s->bearer($t1{MANAGER}));
is($r->{status}, 200, 'a table token');
my $guest = $r->{json}{token};

my $ORDER = { lines => [{ itemId => 'itm_001', quantity => 1 }] };
my $ORDER_BAD = { %$ORDER, bogus => 1 };

# Each route: how to call it (method, path, query), a good and a bad
# input (body or query) with the field the 400 names, a role that may
# call it, a role that may not (KITCHEN, WAITER, or the guest token),
# and the 404 code of another restaurant.
my @routes = (
	{ name => 'table open', m => 'POST', p => "$R/tables/tbl_002/open",
	  good => {}, bad => { force => JSON::PP::true() }, field => 'force',
	  ok => 'WAITER', no => 'KITCHEN' },
	{ name => 'table close', m => 'POST', p => "$R/tables/tbl_003/close",
	  good => {}, bad => { x => 1 }, field => 'x',
	  ok => 'WAITER', no => 'KITCHEN' },
	{ name => 'order placement', m => 'POST', p => "$R/tables/tbl_001/orders",
	  good => $ORDER, bad => $ORDER_BAD, field => 'bogus',
	  ok => 'WAITER', no => 'KITCHEN' },
	{ name => 'order placement (a line field)', m => 'POST',
	  p => "$R/tables/tbl_001/orders",
	  good => $ORDER, bad => { lines => [{ itemId => 'itm_001',
	      quantity => 1, colour => 'red' }] }, field => 'lines[0].colour',
	  ok => 'WAITER', no => 'KITCHEN' },
	{ name => 'table orders', m => 'GET', p => "$R/tables/tbl_001/orders",
	  goodq => '?status=ALL', badq => '?status=BOGUS', field => 'status',
	  code => 'INVALID_STATUS', ok => 'WAITER', no => 'KITCHEN' },
	{ name => 'kitchen queue', m => 'GET', p => "$R/kitchen/orders",
	  goodq => '?limit=5', badq => '?limit=0', field => 'limit',
	  code => 'INVALID_LIMIT', ok => 'KITCHEN', no => 'GUEST' },
	{ name => 'kitchen queue (cursor)', m => 'GET', p => "$R/kitchen/orders",
	  goodq => '', badq => '?cursor=nope', field => 'cursor',
	  code => 'INVALID_CURSOR', ok => 'KITCHEN', no => 'GUEST' },
	{ name => 'events', m => 'GET', p => "$R/events",
	  goodq => '?after=0', badq => '?after=x', field => 'after',
	  ok => 'KITCHEN', no => 'GUEST' },
	{ name => 'menu item patch', m => 'PATCH', p => "$R/menu/items/itm_002",
	  good => { isAvailable => JSON::PP::true() }, bad => { bogus => 1 },
	  field => 'bogus', ok => 'MANAGER', no => 'WAITER' },
	{ name => 'order accept', m => 'POST', p => "/v1/orders/$oid/accept",
	  good => {}, bad => { x => 1 }, field => 'x', order => 1,
	  ok => 'KITCHEN', no => 'WAITER' },
	{ name => 'order ready', m => 'POST', p => "/v1/orders/$oid/ready",
	  good => {}, bad => { x => 1 }, field => 'x', order => 1,
	  ok => 'KITCHEN', no => 'GUEST' },
	{ name => 'order cancel', m => 'POST', p => "/v1/orders/$oid/cancel",
	  good => { reason => 'r' }, bad => { reason => 'r', why => 1 },
	  field => 'why', order => 1, ok => 'WAITER', no => 'KITCHEN' },
	{ name => 'order cancel (no reason)', m => 'POST',
	  p => "/v1/orders/$oid/cancel", good => { reason => 'r' }, bad => {},
	  field => 'reason', order => 1, ok => 'WAITER', no => 'KITCHEN' },
	{ name => 'payment capture', m => 'POST',
	  p => "/v1/orders/$oid/payments:capture", idem => 1,
	  good => { method => 'CASH' }, bad => { method => 'CASH', bogus => 1 },
	  field => 'bogus', order => 1, ok => 'WAITER', no => 'KITCHEN' },
	{ name => 'payment capture (tip)', m => 'POST',
	  p => "/v1/orders/$oid/payments:capture", idem => 1,
	  good => { method => 'CASH' },
	  bad => { method => 'CASH', tip => { amountCents => 1 } },
	  field => 'tip.currency', order => 1, ok => 'WAITER', no => 'KITCHEN' },
);

sub call {
	my ($rt, $tok, $which) = @_;
	my %h = $tok ? (Authorization => "Bearer $tok") : ();
	$h{'Idempotency-Key'} = 'k-' . int(rand(1e9)) if $rt->{idem};
	my $path = $rt->{p} . ($rt->{m} eq 'GET' ?
	    ($which eq 'bad' ? $rt->{badq} : $rt->{goodq}) : '');
	my $body = $rt->{m} eq 'GET' ? undef : $rt->{$which};
	return $s->request($rt->{m}, $path, $body, \%h);
}

sub tok1 { $_[0] eq 'GUEST' ? $guest : $t1{$_[0]} }

sub err {
	my ($r, $status, $code, $name, $field) = @_;
	is($r->{status}, $status, "$name: $status") or
	    diag($r->{body});
	is($r->{json}{error}{code}, $code, "$name: $code") if defined $code;
	is($r->{json}{error}{details}{field}, $field,
	    "$name: details.field = $field") if defined $field;
}

for my $rt (@routes) {
	my $n = $rt->{name};
	my $code400 = $rt->{code} // 'VALIDATION_ERROR';
	my $nf = $rt->{order} ? 'ORDER_NOT_FOUND' : 'NOT_FOUND';

	err(call($rt, undef, 'bad'), 401, 'UNAUTHORIZED',
	    "$n: no token, bad input");
	err(call($rt, "garbage.token.x", 'bad'), 401, 'UNAUTHORIZED',
	    "$n: forged token, bad input");
	# Another restaurant: 404 whatever the role and the input.
	for my $role ($rt->{ok}, $rt->{no} eq 'GUEST' ? () : $rt->{no}) {
		err(call($rt, $t2{$role}, 'bad'), 404, $nf,
		    "$n: rst_002 $role, bad input");
		err(call($rt, $t2{$role}, 'good'), 404, $nf,
		    "$n: rst_002 $role, good input");
	}
	# Syntax before role.
	err(call($rt, tok1($rt->{no}), 'bad'), 400, $code400,
	    "$n: $rt->{no} (refused), bad input", $rt->{field});
	err(call($rt, tok1($rt->{no}), 'good'), 403, 'FORBIDDEN',
	    "$n: $rt->{no} (refused), good input");
	err(call($rt, tok1($rt->{ok}), 'bad'), 400, $code400,
	    "$n: $rt->{ok} (allowed), bad input", $rt->{field});
	# An order that is not the tenant's: 404 before 400 and 403.
	if ($rt->{order}) {
		(my $p = $rt->{p}) =~ s/\Q$oid\E/ord_nosuchorder/;
		my $missing = { %$rt, p => $p };
		err(call($missing, tok1($rt->{no}), 'bad'), 404,
		    'ORDER_NOT_FOUND', "$n: unknown order, refused role, "
		    . "bad input");
		err(call($missing, tok1($rt->{no}), 'good'), 404,
		    'ORDER_NOT_FOUND', "$n: unknown order, refused role");
		err(call($missing, tok1($rt->{ok}), 'bad'), 404,
		    'ORDER_NOT_FOUND', "$n: unknown order, allowed role, "
		    . "bad input");
	}
}

# A table token for another table of the same restaurant is a role
# check (403), after syntax (400), and another restaurant's is 404.
{
	my $G = $s->bearer($guest);
	err($s->post("$R/tables/tbl_002/orders", $ORDER_BAD, $G), 400,
	    'VALIDATION_ERROR', 'guest of tbl_001 at tbl_002, bad body', 'bogus');
	err($s->post("$R/tables/tbl_002/orders", $ORDER, $G), 403,
	    'FORBIDDEN', 'guest of tbl_001 at tbl_002, good body');
	err($s->post("/v1/restaurants/rst_002/tables/tbl_001/orders",
	    $ORDER_BAD, $G), 404, 'NOT_FOUND',
	    'guest of rst_001 at rst_002, bad body');
}

# The QR route names the restaurant in its 404 (it always has).
err($s->get('/v1/restaurants/rst_001/tables/tbl_001/qr',
    $s->bearer($t2{MANAGER})), 404, 'RESTAURANT_NOT_FOUND',
    'qr: rst_002 MANAGER');
err($s->get('/v1/restaurants/rst_001/tables/tbl_001/qr', $W), 403,
    'FORBIDDEN', 'qr: WAITER');

# Login authenticates itself: its body is checked first and named.
err($s->post('/v1/auth/login', { restaurantId => 'rst_001',
    username => 'waiter', password => 'x', remember => 1 }), 400,
    'VALIDATION_ERROR', 'login: unknown field', 'remember');

# Nothing above changed the order or the tables it names.
is(($s->sql("SELECT status FROM orders WHERE order_id = :'o'",
    o => $oid))[0][0], 'PLACED', 'the order is still PLACED');
is(($s->sql("SELECT count(*) FROM orders"))[0][0], 1,
    'no refused placement placed anything');

done_testing;
