#!/usr/bin/env perl
# The relay trusts only the outbox, and live delivery survives faults
# (SPEC §7, §15; issue 14 parts 3 and 4).  One stack whose Redis runs
# with requirepass (redis://:password@ URLs in the apps and the relay):
#   - menu caching and live events work through the password;
#   - envelopes PUBLISHed on events:<rid> by anyone but the outbox
#     (a fake order.placed, a future seq, garbage) reach no subscriber,
#     and real events still flow;
#   - with Redis stopped, a Postgres NOTIFY (sent by the app whose
#     PUBLISH failed) wakes the relay: every event within 2 s, the median
#     under 250 ms (the 1 s timer alone gives ~500 ms); Redis back: the
#     relay resubscribed within 1.5 s;
#   - a wrong Redis password degrades like Redis down (no 500s);
#   - relay_progress is saved per published batch: under load it trails
#     the head by the batch in flight (saved once a second, by ~30-70);
#   - the relay SIGKILLed under load re-sends at most its batch in
#     flight per socket, and loses nothing;
#   - Postgres restarted under load: every line of every app log and of
#     the relay log is one JSON object.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use JSON::PP;
use Time::HiRes qw(time sleep);
use RopTest;
use RopLive;

my $PW = 'Rp' . join('', map { sprintf '%02x', int rand 256 } 1 .. 12);
my $s = RopTest->start(redis_password => $PW);
my $R = 'rst_001';
my $KT = $s->mint($R, 'KITCHEN');
my $M = $s->bearer($s->mint($R, 'MANAGER'));
my $rport = $s->env('ROP_STACK_REDISPORT');

like($s->env('ROP_REDIS_URL'), qr{^redis://:\Q$PW\E\@127\.0\.0\.1:\d+/0$},
    'the apps reach Redis by a redis://:password@host:port/db URL');

sub redis {
	my ($pw, @args) = @_;
	local $ENV{REDISCLI_AUTH};
	delete $ENV{REDISCLI_AUTH};
	$ENV{REDISCLI_AUTH} = $pw if defined $pw;
	open(my $fh, '-|', 'redis-cli', '-p', $rport, '--raw', @args)
	    or die "redis-cli: $!";
	local $/;
	my $out = <$fh> // '';
	close $fh;
	$out =~ s/\s+\z//;
	return $out;
}

sub place {
	my ($tid, $key) = @_;
	return $s->post("/v1/restaurants/$R/tables/$tid/orders",
	    { lines => [{ itemId => 'itm_003', quantity => 1 }] },
	    { %$M, $key ? ('Idempotency-Key' => $key) : () });
}

sub head {
	my ($h) = $s->sql("SELECT last_seq FROM event_counters"
	    . " WHERE restaurant_id = :'r'", r => $R);
	return $h->[0];
}

sub relay_log_count {
	my ($re) = @_;
	open(my $fh, '<', $s->dir . '/log/relay.log') or return 0;
	return scalar grep { /$re/ } <$fh>;
}

# Seconds until the subscriber has an order.placed of "oid", or undef.
sub await_order {
	my ($sub, $oid, $secs) = @_;
	my $t0 = time;
	my $want = sub { grep { $_->{event_type} eq 'order.placed'
	    && $_->{payload}{orderId} eq $oid } @{ $_[0] } };
	$sub->collect($secs, $want);
	return $want->([ $sub->events ]) ? time - $t0 : undef;
}

for my $t (map { sprintf 'tbl_%03d', $_ } 1 .. 8) {
	is($s->post("/v1/restaurants/$R/tables/$t/open", undef, $M)->{status},
	    200, "open $t");
}

# --- the password works: menu cache and live events ----------------------

like(redis(undef, 'PING'), qr/NOAUTH/,
    'Redis refuses a client without the password');
my $r = $s->get("/v1/restaurants/$R/menu");
is($r->{status}, 200, 'menu 200');
ok($s->wait_for(3, sub { redis($PW, 'EXISTS', "menu:$R:version") eq '1' }),
    '  and cached in Redis through AUTH');
$r = $s->get('/health/ready');
is($r->{json}{status}, 'ok', 'ready: ok (Redis reachable with the password)')
    or diag($r->{body});
ok($s->wait_for(5, sub { relay_log_count(qr/subscribed to events:\*/) >= 1 }),
    'the relay subscribed to events:* through AUTH');
ok($s->wait_for(5, sub { relay_log_count(qr/listening for NOTIFY/) >= 1 }),
    'the relay LISTENs for the outbox NOTIFY');

my $ws = RopLive->new($s, ws => "/ws?restaurant_id=$R&role=KITCHEN",
    token => $KT);
is($ws->status, 101, 'WebSocket subscriber connected');
my $first = head() + 1;

$r = place('tbl_001');
is($r->{status}, 201, 'placed');
my $dt = await_order($ws, $r->{json}{orderId}, 3);
ok(defined $dt && $dt < 2, sprintf('  live within 2 s (%.3f s)', $dt // -1));

# --- forged messages on events:<rid> ---------------------------------------

my $h = head();
my $fake = sub {
	my ($seq, %o) = @_;
	return JSON::PP->new->canonical->encode({
	    event_id => '00000000-0000-4000-8000-00000000f0' . sprintf('%02d', $seq % 100),
	    event_type => 'order.placed', seq => $seq,
	    occurred_at => '2026-01-01T00:00:00.000Z', trace_id => undef,
	    request_id => undef, restaurant_id => $o{rid} // $R,
	    payload => { orderId => 'ord_FORGED', tableId => 'tbl_001',
	    sessionId => 'x', lines => [], total => 0, note => 'forged',
	    createdAt => '2026-01-01T00:00:00.000Z' } });
};
my $mark = scalar $ws->events;
# The next seq (what a careless relay would deliver at once), a future
# one, an old one, one for another restaurant, bare seqs and garbage.
redis($PW, 'PUBLISH', "events:$R", $fake->($h + 1));
redis($PW, 'PUBLISH', "events:$R", $fake->($h + 500));
redis($PW, 'PUBLISH', "events:$R", $fake->($h));
redis($PW, 'PUBLISH', "events:rst_002", $fake->(1, rid => 'rst_002'));
redis($PW, 'PUBLISH', "events:$R", $h + 1);
redis($PW, 'PUBLISH', "events:$R", '99999999999999999999999');
redis($PW, 'PUBLISH', "events:$R", "\x00{not json");
redis($PW, 'PUBLISH', "events:rst_nope", $fake->(1, rid => 'rst_nope'));
redis($PW, 'PUBLISH', 'events:' . ('x' x 200), 1);
my @got = $ws->collect(1.5);
my @forged = grep { ($_->{payload}{orderId} // '') eq 'ord_FORGED' }
    @got[$mark .. $#got];
is(scalar @forged, 0, 'forged envelopes on events:* reach no subscriber');
is(scalar(@got) - $mark, 0, '  nothing at all is delivered for them')
    or diag(explain([ @got[$mark .. $#got] ]));
is(head(), $h, '  and the outbox is untouched');

# Real events still flow, with the seq the forgery claimed.
my @real;
for my $i (1 .. 3) {
	$r = place('tbl_002');
	is($r->{status}, 201, "real order $i after the forgeries");
	push @real, $r->{json}{orderId};
	$dt = await_order($ws, $r->{json}{orderId}, 3);
	ok(defined $dt && $dt < 2, sprintf('  delivered live (%.3f s)',
	    $dt // -1));
}
my @after = grep { $_->{event_type} eq 'order.placed' }
    ($ws->events)[$mark .. scalar($ws->events) - 1];
is_deeply([ map { $_->{seq} } @after ], [ $h + 1 .. $h + 3 ],
    '  seqs continue from the head, the forged seq taken by the real event');
is_deeply([ map { $_->{payload}{orderId} } @after ], \@real,
    '  and they are the real orders');

# --- Redis stopped: NOTIFY keeps delivery live ------------------------------

$s->svc('stop', 'redis');
my @lat;
for my $i (1 .. 25) {
	my $t0 = time;
	$r = place('tbl_00' . (3 + $i % 3));
	is($r->{status}, 201, "Redis down: order $i placed") or next;
	my $d = await_order($ws, $r->{json}{orderId}, 3);
	push @lat, defined $d ? time - $t0 : 99;
	sleep rand 0.15;	# no lock-step with the relay's timer
}
my @sorted = sort { $a <=> $b } @lat;
my $p50 = $sorted[int(@sorted / 2)];
my $p99 = $sorted[int(0.99 * $#sorted + 0.5)];
diag(sprintf('Redis down: %d events, placement-to-delivery p50 %.0f ms, '
    . 'p99 %.0f ms, max %.0f ms', scalar @lat, 1000 * $p50, 1000 * $p99,
    1000 * $sorted[-1]));
ok(!grep({ $_ > 2 } @lat), 'Redis down: every event within 2 s');
# The one-second timer alone would give a median near 500 ms.
cmp_ok($p50, '<', 0.25, '  woken by NOTIFY, not the timer: median under 250 ms');

my $subs0 = relay_log_count(qr/subscribed to events:\*/);
my $t0 = time;
$s->svc('start', 'redis');
ok($s->wait_for(3, sub { relay_log_count(qr/subscribed to events:\*/) > $subs0 }),
    sprintf('Redis back: the relay resubscribed (%.2f s)', time - $t0));
cmp_ok(time - $t0, '<', 1.5, '  within 1.5 s');

# --- a wrong password degrades like Redis down ---------------------------------

redis($PW, 'CONFIG', 'SET', 'requirepass', "${PW}x");
redis("${PW}x", 'CLIENT', 'KILL', 'TYPE', 'normal');
redis("${PW}x", 'CLIENT', 'KILL', 'TYPE', 'pubsub');
my @st;
for my $i (1 .. 4) {
	push @st, $s->get("/v1/restaurants/$R/menu")->{status};
	$r = place('tbl_006');
	push @st, $r->{status};
	$dt = $r->{status} == 201 ? await_order($ws, $r->{json}{orderId}, 3) : undef;
	ok(defined $dt && $dt < 2, sprintf('wrong password: order %d delivered'
	    . ' live (%.3f s)', $i, $dt // -1));
}
$r = $s->get('/health/ready');
push @st, $r->{status};
is_deeply([ grep { $_ >= 500 } @st ], [], 'wrong password: no 5xx (menu, '
    . "orders, ready: @st)");
is($r->{json}{status}, 'degraded', '  ready says degraded');
$subs0 = relay_log_count(qr/subscribed to events:\*/);
redis("${PW}x", 'CONFIG', 'SET', 'requirepass', $PW);
ok($s->wait_for(5, sub { $s->get('/health/ready')->{json}{status} eq 'ok' }),
    'password right again: ready ok');
# (Waited for, so the kills below find the relay on its Redis fast path.)
ok($s->wait_for(6, sub { relay_log_count(qr/subscribed to events:\*/) > $subs0 }),
    '  and the relay subscribed again');

# --- the relay SIGKILLed under load ------------------------------------------

# Under load (no kills yet): how far relay_progress trails the head.
my @lagrun = $s->parallel(4, sub {
	my ($i) = @_;
	if ($i == 3) {
		# Saved per batch, it trails by the batch in flight only.
		my @lag;
		my $end = time + 2.5;
		while (time < $end) {
			sleep 0.05 + rand 0.1;
			my ($l) = $s->sql("SELECT c.last_seq - max(p.last_seq)"
			    . " FROM event_counters c JOIN relay_progress p"
			    . " USING (restaurant_id) WHERE restaurant_id = :'r'"
			    . " GROUP BY c.last_seq", r => $R);
			push @lag, $l->[0];
		}
		return \@lag;
	}
	my ($n, $end) = (0, time + 3);
	place('tbl_00' . (1 + $i), "lag-$i-" . ++$n) while time < $end;
	return $n;
});
my @plag = sort { $a <=> $b } @{ $lagrun[3] };
my $plag50 = $plag[int(@plag / 2)];
diag("relay_progress behind the head under load (" . scalar(@plag)
    . " samples): median $plag50, max $plag[-1]");
# Saved once a second, it trailed by up to a second of events.
cmp_ok($plag50, '<=', 5, 'progress is saved per batch: median lag <= 5 seqs');

my @subs = map { RopLive->new($s, ws => "/ws?restaurant_id=$R&role=KITCHEN",
    token => $KT) } 1 .. 3;
is(scalar(grep { $_->status == 101 } @subs), 3, '3 more subscribers');
my $from = head() + 1;
my $starts0 = relay_log_count(qr/publishing to/);
my @placed = $s->parallel(5, sub {
	my ($i) = @_;
	if ($i == 4) {
		for (1 .. 3) {
			sleep 0.6 + rand 0.8;	# not in step with its 1 s timer
			$s->svc('kill', 'relay');
			sleep 0.2;
			$s->svc('start', 'relay');
		}
		return 0;
	}
	my $n = 0;
	my $end = time + 4;
	while (time < $end) {
		my $x = place('tbl_00' . (1 + $i), "kill-$i-" . ++$n);
		die "placing under relay kills: $x->{status}\n"
		    if $x->{status} != 201;
	}
	return $n;
});
my $to = head();
is(relay_log_count(qr/publishing to/) - $starts0, 3, 'the relay was killed '
    . 'and restarted 3 times');
diag("relay killed 3 times while " . ($to - $from + 1) . " events were placed");
cmp_ok($to - $from + 1, '>=', 60, 'a real load: at least 60 events');
for my $k (0 .. $#subs) {
	my $sub = $subs[$k];
	$sub->collect(10, sub {
		my %seen = map { $_->{seq} => 1 } @{ $_[0] };
		return !grep { !$seen{$_} } $from .. $to;
	});
	my %n;
	$n{ $_->{seq} }++ for grep { $_->{seq} >= $from } $sub->events;
	my @missing = grep { !$n{$_} } $from .. $to;
	is_deeply(\@missing, [], "socket $k: every seq $from..$to arrived");
	my $dups = 0;
	$dups += $n{$_} - 1 for keys %n;
	diag("socket $k: $dups duplicates over 3 kills");
	# Per kill at most the batch in flight; progress saved once a second
	# re-sent about a second of events per kill.
	cmp_ok($dups, '<=', 3 * 5, "socket $k: at most the batches in flight "
	    . "re-sent ($dups over 3 kills)");
}
$_->close for @subs;

# --- Postgres restarted under load: every log line is JSON --------------------

my @pg = $s->parallel(3, sub {
	my ($i) = @_;
	if ($i == 2) {
		sleep 0.7;
		$s->svc('stop', 'postgres');
		sleep 0.5;
		$s->svc('start', 'postgres');
		return 0;
	}
	my $end = time + 3;
	my %st;
	while (time < $end) {
		$st{ place('tbl_00' . (7 + $i))->{status} }++;
		$st{ $s->get("/v1/restaurants/$R/menu")->{status} }++;
	}
	return \%st;
});
ok($s->wait_for(15, sub { place('tbl_007')->{status} == 201 }),
    'Postgres back: placing works');
$r = place('tbl_007');
ok(defined await_order($ws, $r->{json}{orderId}, 3),
    '  and its event is delivered live');
# spawn-fcgi and multiwatch share the app logs' stderr; their lines
# ("Child[0] died, respawn", "Spawning child[0] failed, next try" when a
# worker exits) are theirs, not ours.
my ($bad, $lines, $foreign) = (0, 0, 0);
for my $f (glob($s->dir . '/log/*.log')) {
	next if $f =~ m{/(postgres|redis|nginx-error|nginx-access|migrate|initdb)\.log$};
	open(my $fh, '<', $f) or next;
	while (my $l = <$fh>) {
		$lines++;
		if ($l =~ /^(Child\[\d+\] |Spawning child\[\d+\] |multiwatch|spawn-fcgi)/) {
			$foreign++;
			next;
		}
		my $j = eval { JSON::PP->new->decode($l) };
		next if ref $j eq 'HASH';
		$bad++;
		diag("not JSON in $f: $l") if $bad <= 5;
	}
}
is($bad, 0, "every line of every app log and the relay log is JSON ($lines "
    . "lines, $foreign of spawn-fcgi/multiwatch)");
ok(relay_log_count(qr/"message":"postgres: FATAL/) +
    scalar(grep { /postgres: FATAL/ } map { `cat $_` } glob($s->dir
    . '/log/{' . join(',', qw(menu orders)) . '}.log')) >= 1,
    "  libpq's FATAL notices are among them, as JSON");

$ws->close;
done_testing;
