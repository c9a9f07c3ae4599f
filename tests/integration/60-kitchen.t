#!/usr/bin/env perl
# The kitchen queue (SPEC §6 Kitchen, §9.11) and the events catch-up
# (SPEC §6 Events, §7, §9.12, §9.20), through nginx on a private stack.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use RopTest;
use MIME::Base64 ();

my $s = RopTest->start;
my $R = 'rst_001';
my %tok = map { $_ => $s->mint($R, $_) } qw(ADMIN MANAGER WAITER KITCHEN);
my $M = $s->bearer($tok{MANAGER});
my $K = $s->bearer($tok{KITCHEN});
my $KQ = "/v1/restaurants/$R/kitchen/orders";
my $EV = "/v1/restaurants/$R/events";

sub place {
	my ($tid, $qty, $hdrs) = @_;
	my $r = $s->post("/v1/restaurants/$R/tables/$tid/orders",
	    { lines => [{ itemId => 'itm_001', quantity => $qty // 1 }] },
	    { %$M, %{ $hdrs || {} } });
	die "place on $tid: $r->{status} $r->{body}" unless $r->{status} == 201;
	return $r->{json};
}

sub move {
	my ($oid, $act, $body) = @_;
	my $r = $s->post("/v1/orders/$oid/$act", $body, $M);
	die "$act $oid: $r->{status} $r->{body}" unless $r->{status} == 200;
	return $r->{json};
}

# What the SQL says the queue holds, newest first.
sub sql_ids {
	my ($status) = @_;
	my $where = $status eq 'ALL' ? '' : "AND status = :'st'";
	return map { $_->[0] } $s->sql("SELECT order_id FROM orders"
	    . " WHERE restaurant_id = :'r' $where"
	    . " ORDER BY created_at DESC, order_id DESC", r => $R,
	    st => $status);
}

sub ids { [map { $_->{orderId} } @{ $_[0]{orders} }] }

# Every page of a listing; dies on a non-200.
sub all_pages {
	my ($query, $hdr) = @_;
	my (@ids, $cursor, $pages);
	do {
		my $q = $query . (defined $cursor ? "&cursor=$cursor" : '');
		my $r = $s->get("$KQ?$q", $hdr // $K);
		die "page $q: $r->{status} $r->{body}" unless $r->{status} == 200;
		push @ids, @{ ids($r->{json}) };
		$cursor = $r->{json}{nextCursor};
		die "runaway paging" if ++$pages > 500;
	} while (defined $cursor);
	return \@ids;
}

# --- fixture: orders in every status ----------------------------------

for my $t (qw(tbl_001 tbl_002 tbl_003)) {
	my $r = $s->post("/v1/restaurants/$R/tables/$t/open", undef, $M);
	is($r->{status}, 200, "open $t");
}
my @o = map { place($_ % 2 ? 'tbl_001' : 'tbl_002', 1 + $_ % 3) } 0 .. 9;
move($o[$_]{orderId}, 'accept') for 0 .. 5;
move($o[$_]{orderId}, 'ready') for 0 .. 2;
move($o[6]{orderId}, 'cancel', { reason => 'guest left' });
move($o[3]{orderId}, 'cancel', { reason => 'out of basil' });
# 0-2 READY, 3 CANCELLED, 4-5 ACCEPTED, 6 CANCELLED, 7-9 PLACED.

# --- filters -----------------------------------------------------------

my $r = $s->get($KQ, $K);
is($r->{status}, 200, 'kitchen queue answers 200');
like($r->{headers}{'content-type'}, qr{^application/json; charset=utf-8},
    'JSON');
is_deeply([sort keys %{ $r->{json} }], [qw(nextCursor orders)],
    'body is {orders, nextCursor}');
is_deeply(ids($r->{json}), [sql_ids('PLACED')],
    'default status is PLACED, newest first');
is_deeply([map { $_->{status} } @{ $r->{json}{orders} }],
    [('PLACED') x 3], 'only PLACED orders by default');
ok(!defined $r->{json}{nextCursor}, 'nextCursor null on the only page');
is_deeply([sort keys %{ $r->{json}{orders}[0] }],
    [sort qw(orderId restaurantId tableId sessionId status lines note total
    createdAt acceptedAt readyAt paidAt cancelledAt version)],
    'entries are OrderResponses');

my %expect = (PLACED => 3, ACCEPTED => 2, READY => 3, ALL => 10);
for my $st (qw(PLACED ACCEPTED READY ALL)) {
	$r = $s->get("$KQ?status=$st", $K);
	is($r->{status}, 200, "status=$st answers 200");
	my @want = sql_ids($st);
	is(scalar @want, $expect{$st}, "  fixture has $expect{$st} $st");
	is_deeply(ids($r->{json}), \@want, "  status=$st lists exactly those");
	is(scalar(grep { $st ne 'ALL' && $_->{status} ne $st }
	    @{ $r->{json}{orders} }), 0, "  every entry is $st")
	    unless $st eq 'ALL';
}

$r = $s->get("$KQ?status=ALL", $K);
is(scalar(grep { $_->{status} eq 'CANCELLED' } @{ $r->{json}{orders} }), 2,
    'ALL includes the CANCELLED orders');

# --- ordering: (createdAt, orderId) descending, as exposed ---------------

# More orders, fast, so several share a millisecond.
my @more = $s->parallel(8, sub {
	my $i = shift;
	my $res = $s->post("/v1/restaurants/$R/tables/tbl_003/orders",
	    { lines => [{ itemId => 'itm_002', quantity => 1 }] }, $M);
	return { status => $res->{status} };
});
is(scalar(grep { $_->{status} == 201 } @more), 8, '8 parallel placements');
$r = $s->get("$KQ?status=ALL&limit=200", $K);
my @list = @{ $r->{json}{orders} };
is(scalar @list, 18, 'ALL lists 18 orders');
my @sorted = sort { $b->{createdAt} cmp $a->{createdAt}
    || $b->{orderId} cmp $a->{orderId} } @list;
is_deeply([map { $_->{orderId} } @list], [map { $_->{orderId} } @sorted],
    'newest first by (createdAt, orderId)');
like($_->{createdAt}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    "createdAt $_->{createdAt} is RFC 3339 with ms") for @list[0, -1];

# --- limit -----------------------------------------------------------------

for my $lim (1, 2, 7, 200) {
	$r = $s->get("$KQ?status=ALL&limit=$lim", $K);
	is($r->{status}, 200, "limit=$lim answers 200");
	is(scalar @{ $r->{json}{orders} }, $lim < 18 ? $lim : 18,
	    "  limit=$lim returns that many");
	is(defined $r->{json}{nextCursor} ? 1 : 0, $lim < 18 ? 1 : 0,
	    '  nextCursor ' . ($lim < 18 ? 'set' : 'null'));
}
for my $bad ('0', '201', 'abc', '-1', '1.5', '', '+5', '%2010', '1e2',
    '99999999999999999999') {
	$r = $s->get("$KQ?limit=$bad", $K);
	is($r->{status}, 400, "limit='$bad' is 400");
	is($r->{json}{error}{code}, 'INVALID_LIMIT', '  INVALID_LIMIT');
	is($r->{json}{error}{details}{field}, 'limit', '  details.field limit');
}

# Default limit 50: 52 more orders, then the first page has 50.
my @bulk = $s->parallel(4, sub {
	my $i = shift;
	my $n = 0;
	for (1 .. 13) {
		my $res = $s->post("/v1/restaurants/$R/tables/tbl_003/orders",
		    { lines => [{ itemId => 'itm_008', quantity => 2 }] }, $M);
		$n++ if $res->{status} == 201;
	}
	return { n => $n };
});
is($bulk[0]{n} + $bulk[1]{n} + $bulk[2]{n} + $bulk[3]{n}, 52,
    '52 more orders placed');
$r = $s->get($KQ, $K);
is(scalar @{ $r->{json}{orders} }, 50, 'default limit is 50');
ok(defined $r->{json}{nextCursor}, '  with a nextCursor (55 PLACED)');
my $second = $s->get("$KQ?cursor=$r->{json}{nextCursor}", $K);
is_deeply([@{ ids($r->{json}) }, @{ ids($second->{json}) }],
    [sql_ids('PLACED')], '  the cursor keeps the default status');
ok(!defined $second->{json}{nextCursor}, '  last page: nextCursor null');

# --- paging --------------------------------------------------------------

for my $st (qw(ALL PLACED ACCEPTED READY)) {
	for my $lim (1, 3, 7) {
		is_deeply(all_pages("status=$st&limit=$lim"), [sql_ids($st)],
		    "status=$st limit=$lim: pages join to the whole list");
	}
}
# An exact multiple: the page that fills the list still says there is
# more only when there is.
{
	my $n = scalar(sql_ids('READY'));	# 3
	$r = $s->get("$KQ?status=READY&limit=$n", $K);
	ok(!defined $r->{json}{nextCursor},
	    "limit = count ($n): nextCursor null");
	$r = $s->get("$KQ?status=READY&limit=1", $K);
	my $c = $r->{json}{nextCursor};
	like($c, qr/^[A-Za-z0-9_-]+$/, 'cursor is URL-safe');
	$r = $s->get("$KQ?status=READY&limit=2&cursor=$c", $K);
	is(scalar @{ $r->{json}{orders} }, 2, 'second page of READY');
	ok(!defined $r->{json}{nextCursor}, 'last page: nextCursor null');
}

# --- cursor and status errors ---------------------------------------------

# A cursor as the server writes one: base64url of the text, no padding.
sub cur64 {
	(my $c = MIME::Base64::encode_base64url($_[0])) =~ s/=+$//;
	return $c;
}

$r = $s->get("$KQ?status=ALL&limit=1", $K);
my $good = $r->{json}{nextCursor};
my $tampered = $good;
substr($tampered, 5, 1) = substr($tampered, 5, 1) eq 'A' ? 'B' : 'A';
my %badcur = (
	'garbage' => 'garbage!', 'short' => 'abc', 'tampered' => $tampered,
	'padded' => "$good=", 'padded (url-encoded)' => "$good%3D",
	'truncated' => substr($good, 0, -1),
	'extended' => "${good}AA", 'empty' => '',
	'standard base64' => 'djEuMS5vcmRfYQ+/',
	'not-our-format' => 'djIuMS5vcmRfYQ',	# v2.1.ord_a
	'negative time' => 'djEuLTEub3JkX2E',	# v1.-1.ord_a
	'bad id chars' => 'djEuMS5vcmQkYQ',	# v1.1.ord$a
	'too long' => 'A' x 300,
	# SPEC §16.28: the time must lie in 2000-01-01 .. 9999-12-31.
	'time INT64_MAX' => cur64('v1.9223372036854775807.ord_a'),
	'time 1970' => cur64('v1.0.ord_a'),
	'time 1999-12-31T23:59:59.999Z' => cur64('v1.946684799999.ord_a'),
	'time 10000-01-01' => cur64('v1.253402300800000.ord_a'),
);
for my $k (sort keys %badcur) {
	$r = $s->get("$KQ?status=ALL&cursor=$badcur{$k}", $K);
	is($r->{status}, 400, "cursor $k is 400");
	is($r->{json}{error}{code}, 'INVALID_CURSOR', '  INVALID_CURSOR');
}
for my $edge ('v1.946684800000.ord_a', 'v1.253402300799999.ord_a') {
	$r = $s->get("$KQ?status=ALL&cursor=" . cur64($edge), $K);
	is($r->{status}, 200, "cursor at the edge of time ($edge) is 200");
}
# The kitchen's filters are PLACED, ACCEPTED, READY, ALL (SPEC §6
# Kitchen); PAID and CANCELLED are the table list's, not the kitchen's.
for my $bad ('placed', 'BOGUS', '', 'PLACED,READY', 'All', 'PAID',
    'CANCELLED') {
	$r = $s->get("$KQ?status=$bad", $K);
	is($r->{status}, 400, "status='$bad' is 400");
	is($r->{json}{error}{code}, 'INVALID_STATUS', '  INVALID_STATUS');
}

# --- who may read ------------------------------------------------------------

for my $role (qw(KITCHEN WAITER MANAGER ADMIN)) {
	$r = $s->get($KQ, $s->bearer($tok{$role}));
	is($r->{status}, 200, "$role may read the kitchen queue");
	$r = $s->get($EV, $s->bearer($tok{$role}));
	is($r->{status}, 200, "$role may read the events");
}
for my $path ($KQ, $EV) {
	$r = $s->get($path);
	is($r->{status}, 401, "$path without a token is 401");
	is($r->{json}{error}{code}, 'UNAUTHORIZED', '  UNAUTHORIZED');
	like($r->{headers}{'www-authenticate'} // '', qr/^Bearer/,
	    '  WWW-Authenticate: Bearer');
	$r = $s->get($path, $s->bearer($s->mint('rst_002', 'MANAGER')));
	is($r->{status}, 404, "$path with an rst_002 token is 404");
	$r = $s->get($path, $s->bearer($s->mint('rst_002', 'ADMIN')));
	is($r->{status}, 404, "  also as rst_002 ADMIN");
	$r = $s->get($path, $s->bearer($tok{KITCHEN} . 'x'));
	is($r->{status}, 401, "$path with a forged token is 401");
}
# Another restaurant's own queue and events are its own (and empty here).
{
	my $h2 = $s->bearer($s->mint('rst_002', 'KITCHEN'));
	$r = $s->get('/v1/restaurants/rst_002/kitchen/orders?status=ALL', $h2);
	is($r->{status}, 200, 'rst_002 reads its own queue');
	is_deeply($r->{json}, { orders => [], nextCursor => undef },
	    '  empty: none of rst_001\'s orders');
	$r = $s->get('/v1/restaurants/rst_002/events?after=3', $h2);
	is($r->{status}, 200, 'rst_002 reads its own events');
	is_deeply($r->{json}, { events => [], lastSeq => 3, headSeq => 0 },
	    '  none yet: lastSeq = after, headSeq 0');
}
# Tenant before syntax (§9.16): a bad limit from another restaurant is 404.
$r = $s->get("$KQ?limit=0", $s->bearer($s->mint('rst_002', 'KITCHEN')));
is($r->{status}, 404, 'rst_002 token with a bad limit: 404 first');
$r = $s->get("$KQ?limit=0");
is($r->{status}, 401, 'no token with a bad limit: 401 first');

# --- events catch-up ---------------------------------------------------------

# Events of every kind: a trace and request id on a placement, a menu
# change, a close.
my $trace = '4bf92f3577b34da6a3ce929d0e0e4736';
my $traced = place('tbl_002', 1, {
	traceparent => "00-$trace-00f067aa0ba902b7-01",
	'X-Request-Id' => 'kitchen-test.req:42',
});
my $untraced = place('tbl_002', 1, { 'X-Request-Id' => 'bad id with spaces' });
place('tbl_002', 2) for 1 .. 5;	# more than 100 events in all
$r = $s->patch("/v1/restaurants/$R/menu/items/itm_009", { price =>
    { amountCents => 320, currency => 'USD' } }, $M);
is($r->{status}, 200, 'menu change (for a menu.updated event)');
move($_->{orderId}, 'accept') for $traced, $untraced;
move($_->{orderId}, 'ready') for $traced, $untraced;
for my $o (@o) {
	my $cur = $s->get("/v1/orders/$o->{orderId}", $M)->{json};
	move($o->{orderId}, 'accept') if $cur->{status} eq 'PLACED';
	move($o->{orderId}, 'ready') if $cur->{status} =~ /PLACED|ACCEPTED/;
}
$r = $s->post("/v1/restaurants/$R/tables/tbl_001/close", undef, $M);
is($r->{status}, 200, 'close tbl_001 (for a table.closed event)');

my ($head) = map { $_->[0] } $s->sql("SELECT max(seq) FROM events"
    . " WHERE restaurant_id = :'r'", r => $R);
cmp_ok($head, '>', 100, "more than 100 events ($head)");

$r = $s->get($EV, $K);
is($r->{status}, 200, 'events answers 200');
is_deeply([sort keys %{ $r->{json} }], [qw(events headSeq lastSeq)],
    'body is {events, lastSeq, headSeq}');
is(scalar @{ $r->{json}{events} }, 100, 'default limit is 100');
is($r->{json}{events}[0]{seq}, 1, 'default after is 0: starts at seq 1');
is($r->{json}{lastSeq}, 100, 'lastSeq is the last returned seq');
is($r->{json}{headSeq}, $head, 'headSeq is the latest seq');

# Read all of it in pages of 7; seqs are 1..head, gapless.
my (@all, $after);
$after = 0;
for (;;) {
	$r = $s->get("$EV?after=$after&limit=7", $K);
	die "events page: $r->{status}" unless $r->{status} == 200;
	my @e = @{ $r->{json}{events} };
	last unless @e;
	cmp_ok(scalar @e, '<=', 7, "page after $after has <= 7") if $after < 15;
	is($r->{json}{lastSeq}, $e[-1]{seq}, "lastSeq of page after $after")
	    if $after < 15;
	push @all, @e;
	$after = $r->{json}{lastSeq};
	last if @all > 10000;
}
is_deeply([map { $_->{seq} } @all], [1 .. $head],
    'paged catch-up yields seq 1..head exactly once each');
is($r->{json}{lastSeq}, $head, 'after=head: lastSeq = after');
is_deeply($r->{json}{events}, [], 'after=head: no events');
is($r->{json}{headSeq}, $head, 'after=head: headSeq');
$r = $s->get("$EV?after=" . ($head + 50), $K);
is($r->{status}, 200, 'after beyond the head answers 200');
is($r->{json}{lastSeq}, $head + 50, '  lastSeq = after');
is_deeply($r->{json}{events}, [], '  no events');
$r = $s->get("$EV?after=10&limit=5", $K);
is_deeply([map { $_->{seq} } @{ $r->{json}{events} }], [11 .. 15],
    'after=10&limit=5: seq 11..15');
is($r->{json}{lastSeq}, 15, '  lastSeq 15');
$r = $s->get("$EV?limit=500", $K);
is(scalar @{ $r->{json}{events} }, $head < 500 ? $head : 500,
    'limit=500 allowed');
$r = $s->get("$EV?limit=1&after=0", $K);
is(scalar @{ $r->{json}{events} }, 1, 'limit=1 allowed');

# SPEC §16.28: a seq is a bigint; 2^63 and beyond are 400, never 500.
$r = $s->get("$EV?after=9223372036854775807", $K);
is($r->{status}, 200, 'after=2^63-1 is 200');
is_deeply($r->{json}{events}, [], '  no events');
for my $bad ('-1', 'x', '1.5', '', '+1', '1e3', '99999999999999999999999',
    '9223372036854775808', '18446744073709551616') {
	$r = $s->get("$EV?after=$bad", $K);
	is($r->{status}, 400, "after='$bad' is 400");
	is($r->{json}{error}{code}, 'VALIDATION_ERROR', '  VALIDATION_ERROR');
	is($r->{json}{error}{details}{field}, 'after', '  details.field after');
}
for my $bad ('0', '501', 'x', '-1', '2.5', '') {
	$r = $s->get("$EV?limit=$bad", $K);
	is($r->{status}, 400, "limit='$bad' is 400");
	is($r->{json}{error}{details}{field}, 'limit', '  details.field limit');
}

# Envelopes: exactly the SPEC §7 keys, and each type's payload.
my %payload = (
	'order.placed' => [qw(orderId tableId sessionId lines total note
	    createdAt)],
	'order.accepted' => [qw(orderId tableId acceptedAt)],
	'order.ready' => [qw(orderId tableId readyAt)],
	'order.cancelled' => [qw(orderId tableId reason cancelledAt)],
	'payment.captured' => [qw(orderId tableId paymentId amount capturedAt)],
	'table.opened' => [qw(tableId sessionId status openedAt)],
	'table.closed' => [qw(tableId sessionId status closedAt)],
	'menu.updated' => [qw(menuVersion)],
);
my @env_keys = sort qw(event_id event_type seq occurred_at trace_id
    request_id restaurant_id payload);
my (%seen, @bad, %eid);
my $ts = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
for my $e (@all) {
	my $t = $e->{event_type} // '?';
	$seen{$t}++;
	push @bad, "$e->{seq}: keys" unless
	    join(',', sort keys %$e) eq join(',', @env_keys);
	push @bad, "$e->{seq}: event_id" unless ($e->{event_id} // '') =~
	    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
	push @bad, "$e->{seq}: dup event_id" if $eid{ $e->{event_id} // '' }++;
	push @bad, "$e->{seq}: occurred_at" unless ($e->{occurred_at} // '') =~
	    $ts;
	push @bad, "$e->{seq}: restaurant_id" unless
	    ($e->{restaurant_id} // '') eq $R;
	push @bad, "$e->{seq}: type $t" unless $payload{$t};
	push @bad, "$e->{seq}: request_id" unless defined $e->{request_id}
	    && $e->{request_id} =~ /^[A-Za-z0-9._:-]{1,128}$/;
	push @bad, "$e->{seq}: trace_id" if defined $e->{trace_id}
	    && $e->{trace_id} !~ /^[0-9a-f]{32}$/;
	next unless $payload{$t} && ref $e->{payload} eq 'HASH';
	push @bad, "$e->{seq}: $t payload keys "
	    . join(',', sort keys %{ $e->{payload} })
	    unless join(',', sort keys %{ $e->{payload} }) eq
	    join(',', sort @{ $payload{$t} });
	for my $k (qw(createdAt acceptedAt readyAt cancelledAt openedAt
	    closedAt capturedAt)) {
		push @bad, "$e->{seq}: $k" if exists $e->{payload}{$k}
		    && ($e->{payload}{$k} // '') !~ $ts;
	}
}
is_deeply(\@bad, [], 'every envelope has the SPEC §7 keys and payload');
for my $t (qw(order.placed order.accepted order.ready order.cancelled
    table.opened table.closed menu.updated)) {
	ok($seen{$t}, "catch-up has $t events ($t: " . ($seen{$t} // 0) . ')');
}
is($seen{'table.opened'}, 3, 'one table.opened per open');
is($seen{'order.placed'}, 77, 'one order.placed per order');

# Payload values match the orders they describe.
my ($pe) = grep { $_->{event_type} eq 'order.placed'
    && $_->{payload}{orderId} eq $traced->{orderId} } @all;
ok($pe, 'the traced placement has its event');
is($pe->{trace_id}, $trace, 'traceparent trace id is the event trace_id');
is($pe->{request_id}, 'kitchen-test.req:42',
    'X-Request-Id is the event request_id');
is_deeply($pe->{payload}, { map { $_ => $traced->{$_} }
    @{ $payload{'order.placed'} } }, 'order.placed payload = the order');
my ($ue) = grep { $_->{event_type} eq 'order.placed'
    && $_->{payload}{orderId} eq $untraced->{orderId} } @all;
ok(!defined $ue->{trace_id}, 'no traceparent: trace_id null');
isnt($ue->{request_id}, 'bad id with spaces', 'an insane X-Request-Id is '
    . 'replaced');
my $final = $s->get("/v1/orders/$traced->{orderId}", $M)->{json};
my ($ae) = grep { $_->{event_type} eq 'order.accepted'
    && $_->{payload}{orderId} eq $traced->{orderId} } @all;
is_deeply($ae->{payload}, { orderId => $traced->{orderId},
    tableId => 'tbl_002', acceptedAt => $final->{acceptedAt} },
    'order.accepted payload');
my ($re) = grep { $_->{event_type} eq 'order.ready'
    && $_->{payload}{orderId} eq $traced->{orderId} } @all;
is_deeply($re->{payload}, { orderId => $traced->{orderId},
    tableId => 'tbl_002', readyAt => $final->{readyAt} },
    'order.ready payload');
my ($ce) = grep { $_->{event_type} eq 'order.cancelled'
    && $_->{payload}{orderId} eq $o[6]{orderId} } @all;
is($ce->{payload}{reason}, 'guest left', 'order.cancelled carries the reason');
is($ce->{payload}{tableId}, $o[6]{tableId}, '  and the table');
my ($me) = grep { $_->{event_type} eq 'menu.updated' } @all;
like($me->{payload}{menuVersion}, qr/^\d+$/, 'menu.updated has a menuVersion');
my ($te) = grep { $_->{event_type} eq 'table.closed' } @all;
is_deeply([@{ $te->{payload} }{qw(tableId status)}], ['tbl_001', 'CLOSED'],
    'table.closed payload');

done_testing;
