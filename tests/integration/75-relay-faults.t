#!/usr/bin/env perl
# Faults on the event path (SPEC §2, §7, issue 4): Redis is never the
# truth.  With Redis stopped orders are still placed and their events
# still reach live subscribers through the relay's outbox timer; with
# the relay killed and restarted, nothing committed meanwhile is lost.
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
my $M = $s->bearer($s->mint($R, 'MANAGER'));
my $K = $s->bearer($KT);

sub place {
	my ($tid) = @_;
	my $t0 = time;
	my $r = $s->post("/v1/restaurants/$R/tables/$tid/orders",
	    { lines => [{ itemId => 'itm_005', quantity => 1 }] }, $M);
	$r->{took} = time - $t0;
	return $r;
}

sub metric {
	my ($name) = @_;
	my $body = $s->get($s->internal_url('/metrics'))->{body};
	my $sum = 0;
	for (split /\n/, $body) {
		$sum += $1 if /^\Q$name\E(?:\{[^}]*\})?\s+([0-9.eE+-]+)$/;
	}
	return $sum;
}

# Wait up to "secs" for an order.placed of "oid"; seconds taken or undef.
sub await_order {
	my ($sub, $oid, $secs, $type) = @_;
	$type //= 'order.placed';
	my $t0 = time;
	my @e = $sub->collect($secs, sub {
		grep { $_->{event_type} eq $type
		    && $_->{payload}{orderId} eq $oid } @{ $_[0] } });
	return (grep { $_->{event_type} eq $type
	    && $_->{payload}{orderId} eq $oid } @e) ? time - $t0 : undef;
}

sub head {
	my ($h) = $s->sql("SELECT last_seq FROM event_counters"
	    . " WHERE restaurant_id = :'r'", r => $R);
	return $h->[0];
}

is($s->post("/v1/restaurants/$R/tables/tbl_001/open", undef, $M)->{status},
    200, 'open tbl_001');
my $ws = RopLive->new($s, ws => "/ws?restaurant_id=$R&role=KITCHEN",
    token => $KT);
is($ws->status, 101, 'WebSocket subscriber connected');
my $first = head() + 1;	# the first seq this subscriber should see

# Live path works to begin with.
my $r = place('tbl_001');
is($r->{status}, 201, 'placed with Redis up');
my $dt = await_order($ws, $r->{json}{orderId}, 3);
ok(defined $dt && $dt < 2, sprintf('  live within 2 s (%.3f s)', $dt // -1));

# --- Redis stopped ------------------------------------------------------------

my $fail0 = metric('rop_events_publish_failures_total');
$s->svc('stop', 'redis');
my @down;
for my $i (1 .. 3) {
	$r = place('tbl_001');
	is($r->{status}, 201, "Redis down: order $i still placed (201)");
	ok($r->{took} < 2, sprintf('  promptly (%.3f s)', $r->{took}));
	push @down, $r->{json}{orderId};
	$dt = await_order($ws, $r->{json}{orderId}, 4);
	ok(defined $dt && $dt <= 2.2, sprintf('  its event reaches the '
	    . 'subscriber through the outbox (%.3f s)', $dt // -1));
}
$r = $s->post("/v1/orders/$down[0]/accept", undef, $K);
is($r->{status}, 200, 'Redis down: accept works');
$dt = await_order($ws, $down[0], 4, 'order.accepted');
ok(defined $dt && $dt <= 2.2, sprintf('  order.accepted delivered (%.3f s)',
    $dt // -1));
my $fail1 = metric('rop_events_publish_failures_total');
cmp_ok($fail1 - $fail0, '>=', 4, "rop_events_publish_failures_total rose by "
    . ($fail1 - $fail0) . " (4 events while Redis was down)");
$r = $s->get('/health/ready');
is($r->{status}, 200, 'ready still answers 200 with Redis down');
is($r->{json}{status}, 'degraded', '  degraded');

# --- Redis back -------------------------------------------------------------------

$s->svc('start', 'redis');
# An app retries Redis 500 ms after its last failure; with NOTIFY the
# events above were delivered (and the accept's publish failed) just now.
sleep 0.6;
my $pub0 = metric('rop_events_published_total');
$r = place('tbl_001');
is($r->{status}, 201, 'Redis back: placed');
$dt = await_order($ws, $r->{json}{orderId}, 3);
ok(defined $dt && $dt <= 2, sprintf('  delivered within 2 s (%.3f s)',
    $dt // -1));
is(metric('rop_events_published_total'), $pub0 + 1,
    '  and published to Redis again at once');
is(metric('rop_events_publish_failures_total'), $fail1,
    '  no further publish failures');
# The relay resubscribes after its backoff (at most 0.5 s).
sub subscribed {
	open(my $fh, '<', $s->dir . '/log/relay.log') or return 0;
	return scalar grep { /subscribed to events:\*/ } <$fh>;
}
ok($s->wait_for(8, sub { subscribed() >= 2 }),
    'the relay resubscribes to Redis');
my @lat;
for (1 .. 5) {
	$r = place('tbl_001');
	push @lat, await_order($ws, $r->{json}{orderId}, 3) // 99;
}
ok(!grep({ $_ > 0.5 } @lat), 'live again: 5 events each within 0.5 s ('
    . join(' ', map { sprintf '%.3f', $_ } @lat) . ')');

# --- relay killed and restarted ---------------------------------------------------

$s->svc('kill', 'relay');
my $before = scalar $ws->events;
my @while;
for my $i (1 .. 3) {
	$r = place('tbl_001');
	is($r->{status}, 201, "relay down: order $i placed");
	push @while, $r->{json}{orderId};
}
my @none = $ws->collect(0.5);
is(scalar(@none) - $before, 0, 'nothing is delivered while the relay is down');
my $t0 = time;
$s->svc('start', 'relay');
my %want = map { $_ => 1 } @while;
my @all = $ws->collect(8, sub {
	my %seen = map { $_->{payload}{orderId} => 1 }
	    grep { $_->{event_type} eq 'order.placed' } @{ $_[0] };
	return !grep { !$seen{$_} } @while;
});
my @got = grep { $_->{event_type} eq 'order.placed'
    && $want{ $_->{payload}{orderId} } } @all;
my %got = map { $_->{payload}{orderId} => 1 } @got;
is(scalar(keys %got), 3, sprintf('relay restarted: the subscriber gets all 3 '
    . 'events (%.2f s after the start)', time - $t0));
# In seq order: the first sighting of each is increasing.
my (%first, @order);
for (@got) {
	next if $first{ $_->{payload}{orderId} }++;
	push @order, $_->{seq};
}
is_deeply(\@order, [sort { $a <=> $b } @order], "  in seq order (@order)");
my (%once, @oids);
for (@got) {
	push @oids, $_->{payload}{orderId} unless $once{ $_->{payload}{orderId} }++;
}
is_deeply(\@oids, \@while, '  in the order they were placed');

# Nothing lost over the whole run: every seq from the subscriber's first
# on, up to the head, arrived at least once, and first sightings rise.
$r = place('tbl_001');	# a last one, live
await_order($ws, $r->{json}{orderId}, 3);
my $head = head();
my (%seen, @firsts);
for ($ws->events) {
	push @firsts, $_->{seq} unless $seen{ $_->{seq} }++;
}
my @missing = grep { !$seen{$_} } $first .. $head;
is_deeply(\@missing, [], "no seq missing from $first to $head");
is_deeply(\@firsts, [sort { $a <=> $b } @firsts],
    'first sightings arrive in seq order');
my $dups = scalar($ws->events) - scalar(keys %seen);
diag("$dups duplicate deliveries (allowed)");
ok($s->wait_for(3, sub {
	my ($p) = $s->sql("SELECT max(last_seq) FROM relay_progress"
	    . " WHERE restaurant_id = :'r'", r => $R);
	return ($p->[0] // 0) == $head;
}), 'the restarted relay records its progress up to the head');

# --- relay started while Postgres is down ------------------------------------

# It cannot read its progress yet; a Redis message must not make it
# replay the restaurant's history from seq 1 to subscribers.
my $saved = head();
$s->svc('kill', 'relay');
$s->svc('stop', 'postgres');
$s->svc('start', 'relay');
my $mark = scalar $ws->events;
sleep 0.3;
$s->svc('start', 'postgres');
my $late;
ok($s->wait_for(15, sub {
	$late = place('tbl_001');
	return $late->{status} == 201;
}), 'Postgres back: placing works');
$dt = await_order($ws, $late->{json}{orderId}, 5);
ok(defined $dt, sprintf('its event is delivered (%.3f s)', $dt // -1));
my @after = map { $_->{seq} } ($ws->events)[$mark .. scalar($ws->events) - 1];
is(scalar(grep { $_ <= $saved } @after), 0,
    "no history replayed: every seq delivered after the restart is > $saved"
    . " (@after)");

$ws->close;
done_testing;
