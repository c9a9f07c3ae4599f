#!/usr/bin/env perl
# Live events (SPEC §7, §9.13): WebSocket and EventSource subscribers
# on the restaurant channel get order.placed, accepted and ready within
# 2 s with consecutive seqs; a table channel carries only its table's
# events; /metrics counts it all.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use RopTest;
use RopLive;

my $s = RopTest->start;
my $R = 'rst_001';
my $KT = $s->mint($R, 'KITCHEN');
my $WT = $s->mint($R, 'WAITER');
my $M = $s->bearer($s->mint($R, 'MANAGER'));
my $K = $s->bearer($KT);

sub place {
	my ($tid) = @_;
	my $r = $s->post("/v1/restaurants/$R/tables/$tid/orders",
	    { lines => [{ itemId => 'itm_004', quantity => 1 }] }, $M);
	die "place $tid: $r->{status} $r->{body}" unless $r->{status} == 201;
	return $r->{json};
}

# Read every subscriber until each has an event matching "want", or
# "secs" pass.  Returns, per subscriber, [event, seconds since t0].
sub await {
	my ($subs, $t0, $secs, $want) = @_;
	my %got;
	my $end = time + $secs;
	while (time < $end && keys(%got) < @$subs) {
		for my $i (0 .. $#$subs) {
			next if $got{$i};
			my @ev = $subs->[$i]->collect(0.02);
			my ($e) = grep { $want->($_) } @ev;
			$got{$i} = [$e, time - $t0] if $e;
		}
	}
	return map { $got{$_} // [undef, undef] } 0 .. $#$subs;
}

for my $t (qw(tbl_001 tbl_002 tbl_003)) {
	is($s->post("/v1/restaurants/$R/tables/$t/open", undef, $M)->{status},
	    200, "open $t");
}

# --- restaurant channel: WebSocket and EventSource ---------------------------

my $ws = RopLive->new($s, ws => "/ws?restaurant_id=$R&role=KITCHEN",
    token => $KT);
is($ws->status, 101, 'WebSocket subscriber: 101');
my $es = RopLive->new($s, es => "/ws?restaurant_id=$R&role=KITCHEN",
    token => $KT);
is($es->status, 200, 'EventSource subscriber: 200');
like($es->head, qr{content-type:\s*text/event-stream}i,
    '  text/event-stream');
my @subs = ($ws, $es);
my @names = qw(WebSocket EventSource);

my (%seq, $oid);
for my $step (['order.placed'], ['order.accepted', 'accept'],
    ['order.ready', 'ready']) {
	my ($type, $act) = @$step;
	my $t0 = time;
	if ($act) {
		my $r = $s->post("/v1/orders/$oid/$act", undef, $K);
		is($r->{status}, 200, "$act answers 200");
	} else {
		$oid = place('tbl_001')->{orderId};
	}
	my @got = await(\@subs, $t0, 3, sub {
		$_[0]{event_type} eq $type && $_[0]{payload}{orderId} eq $oid });
	for my $i (0 .. 1) {
		my ($e, $dt) = @{ $got[$i] };
		ok($e, "$names[$i] receives $type");
		ok(defined $dt && $dt <= 2.0, sprintf("  within 2 s of the "
		    . "request (%.3f s)", $dt // -1));
		$seq{$type}[$i] = $e ? $e->{seq} : -1;
	}
}
for my $i (0 .. 1) {
	my @q = map { $seq{$_}[$i] } qw(order.placed order.accepted order.ready);
	is_deeply(\@q, [$q[0], $q[0] + 1, $q[0] + 2],
	    "$names[$i]: consecutive seqs (@q)");
}
is($seq{'order.placed'}[0], $seq{'order.placed'}[1],
    'both subscribers see the same seq');
my ($ev) = grep { $_->{event_type} eq 'order.placed'
    && $_->{payload}{orderId} eq $oid } $ws->events;
is_deeply([sort keys %$ev], [sort qw(event_id event_type seq occurred_at
    trace_id request_id restaurant_id payload)],
    'a live envelope has exactly the SPEC §7 keys');
my $cu = $s->get("/v1/restaurants/$R/events?after="
    . ($seq{'order.placed'}[0] - 1) . '&limit=1', $K)->{json}{events}[0];
is_deeply($ev, $cu, 'the live event is the catch-up event');

# Every event the two subscribers got, in seq order, none twice.
for my $i (0 .. 1) {
	my @s = map { $_->{seq} } $subs[$i]->events;
	is_deeply(\@s, [sort { $a <=> $b } @s], "$names[$i]: seqs increase");
	my %d;
	is(scalar(grep { $d{$_}++ } @s), 0, "$names[$i]: no duplicates");
}

# --- table channel -----------------------------------------------------------

my $tab = RopLive->new($s, ws => "/ws?restaurant_id=$R&table_id=tbl_002",
    token => $WT);
is($tab->status, 101, 'table channel subscriber (WAITER): 101');
my $tab_es = RopLive->new($s, es => "/ws?restaurant_id=$R&table_id=tbl_002",
    token => $KT);
is($tab_es->status, 200, 'table channel EventSource (KITCHEN): 200');

my $o3 = place('tbl_003');
my $r = $s->patch("/v1/restaurants/$R/menu/items/itm_010",
    { isAvailable => JSON::PP::false() }, $M);
is($r->{status}, 200, 'a menu change (menu.updated on the restaurant)');
$s->post("/v1/orders/$o3->{orderId}/accept", undef, $K);
my $o2 = place('tbl_002');
$s->post("/v1/orders/$o2->{orderId}/accept", undef, $K);
my $sentinel = place('tbl_002');	# sent last: when it is in, so is all
my $t0 = time;
my @got = await([$tab, $tab_es, $ws], $t0, 3, sub {
	$_[0]{event_type} eq 'order.placed'
	    && $_[0]{payload}{orderId} eq $sentinel->{orderId} });
ok($got[$_][0], "table subscriber $_ receives tbl_002's last order")
    for 0 .. 1;
ok($got[2][0], 'the restaurant subscriber too');
for my $sub ([$tab, 'WebSocket'], [$tab_es, 'EventSource']) {
	my @e = $sub->[0]->events;
	my @tables = map { $_->{payload}{tableId} // 'none' } @e;
	is(scalar(grep { $_ ne 'tbl_002' } @tables), 0,
	    "$sub->[1] table channel: only tbl_002 events (@tables)");
	is(scalar(grep { $_->{event_type} eq 'menu.updated' } @e), 0,
	    "$sub->[1] table channel: no menu.updated");
	is_deeply([map { "$_->{event_type} $_->{payload}{orderId}" } @e],
	    ["order.placed $o2->{orderId}", "order.accepted $o2->{orderId}",
	    "order.placed $sentinel->{orderId}"],
	    "$sub->[1] table channel: exactly tbl_002's three events");
}
my @rest = map { $_->{event_type} } grep { $_->{seq} > $seq{'order.ready'}[0] }
    $ws->events;
is_deeply(\@rest, [qw(order.placed menu.updated order.accepted order.placed
    order.accepted order.placed)], 'the restaurant channel got everything');

# Refused subscriptions are answered at the handshake (SPEC §9.13).
my $none = RopLive->new($s, ws => "/ws?restaurant_id=$R&role=KITCHEN");
is($none->status, 401, 'no token: 401 at the handshake');
my $other = RopLive->new($s, ws => "/ws?restaurant_id=$R&role=KITCHEN",
    token => $s->mint('rst_002', 'KITCHEN'));
ok($other->status == 403 || $other->status == 404,
    "another restaurant's token: refused (" . $other->status . ')');
$_->close for $none, $other;

# --- metrics -------------------------------------------------------------------

sub metric {
	my ($body, $re) = @_;
	my $sum;
	for (split /\n/, $body) {
		$sum += $1 if /^$re\s+([0-9.eE+-]+)$/;
	}
	return $sum;
}
my $m = $s->get($s->internal_url('/metrics'));
is($m->{status}, 200, '/metrics answers 200');
my $b = $m->{body};
is(metric($b, qr/rop_orders_placed_total(?:\{[^}]*\})?/), 4,
    'rop_orders_placed_total counts the 4 placements');
is(metric($b, qr/rop_order_transition_total\{from="PLACED",to="ACCEPTED"\}/),
    3, 'rop_order_transition_total{from="PLACED",to="ACCEPTED"} is 3');
is(metric($b, qr/rop_order_transition_total\{from="ACCEPTED",to="READY"\}/),
    1, 'rop_order_transition_total{from="ACCEPTED",to="READY"} is 1');
is(metric($b, qr/rop_order_time_to_accept_seconds_count/), 3,
    'rop_order_time_to_accept_seconds histogram: 3 observations');
like($b, qr/^rop_order_time_to_accept_seconds_bucket\{le="\+Inf"\} \d+$/m,
    '  with an +Inf bucket');
is(metric($b, qr/rop_order_time_to_ready_seconds_count/), 1,
    'rop_order_time_to_ready_seconds histogram: 1 observation');
is(metric($b, qr/rop_events_published_total(?:\{[^}]*\})?/), 12,
    'rop_events_published_total: 12 events (3 opens, 4 placed, 3 accepted, '
    . '1 ready, 1 menu)');
cmp_ok(metric($b, qr/rop_relay_delivered_total(?:\{[^}]*\})?/) // 0, '>=', 12,
    'rop_relay_delivered_total: all 12');
cmp_ok(metric($b, qr/rop_relay_lag_seconds_count/) // 0, '>=', 10,
    'rop_relay_lag_seconds histogram');
like($b, qr/^# TYPE rop_relay_lag_seconds histogram$/m,
    '  typed as a histogram');
my $lag_sum = metric($b, qr/rop_relay_lag_seconds_sum/);
my $lag_n = metric($b, qr/rop_relay_lag_seconds_count/);
ok($lag_n && $lag_sum / $lag_n < 2, sprintf('  mean relay lag %.3f s < 2 s',
    $lag_n ? $lag_sum / $lag_n : -1));

$_->close for $ws, $es, $tab, $tab_es;
done_testing;
