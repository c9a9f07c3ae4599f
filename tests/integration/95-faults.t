#!/usr/bin/env perl
# Fault injection (issue 8, SPEC §2): a stream of keyed placements from
# several clients while PostgreSQL restarts, Redis is killed, order
# workers are kill -9'd, nginx reloads and the relay is killed.
#
# Clients retry whatever did not get a 201 with the same Idempotency-Key
# and body.  After each fault: every request was answered 201 or a
# SERVICE_UNAVAILABLE (503 from the app, 502 from nginx; during a reload
# also a keep-alive connection closed under the request), every key has
# exactly one order with its line and one order.placed event, every 201
# of a key names that order, the outbox seqs are gapless and unique, and
# a live subscriber that stayed connected saw every event.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use RopTest;
use RopLive;

my $s = RopTest->start;
my $W = $s->bearer($s->mint('rst_001', 'WAITER'));
my $K = $s->mint('rst_001', 'KITCHEN');
my $R = '/v1/restaurants/rst_001';
my @tables = map { sprintf('tbl_%03d', $_) } 5 .. 8;
for my $t (@tables) {
	is($s->post("$R/tables/$t/open", undef, $W)->{status}, 200, "open $t");
}

# Run CLIENTS placement loops for SECS seconds while FAULT runs in its
# own process; then each client retries its failures (same key, same
# body) for up to 40 s.  Returns one record per key.
sub stream {
	my (%o) = @_;
	my $n = $o{clients} // 4;
	my @out = $s->parallel($n + 1, sub {
		my ($i) = @_;
		if ($i == $n) {
			$o{fault}->();
			return [];
		}
		my @sent;
		my $end = time + ($o{secs} // 5);
		my $j = 0;
		while (time < $end) {
			$j++;
			my $key = "$o{tag}-$i-$j";
			my $x = { key => $key, tid => $tables[$i % @tables],
			    body => { lines => [ { itemId => 'itm_00' . (1 + $j % 5),
			    quantity => 1 + $j % 9 } ], note => $key },
			    st => [], oid => [], code => [] };
			place($x);
			push @sent, $x;
			sleep 0.01;
		}
		my $deadline = time + 40;
		for my $x (grep { $_->{st}[-1] != 201 } @sent) {
			while (time < $deadline) {
				place($x);
				last if $x->{st}[-1] == 201;
				sleep 0.25;
			}
		}
		return \@sent;
	});
	return map { @{ $_ || [] } } @out;
}

sub place {
	my ($x) = @_;
	my $r = $s->post("$R/tables/$x->{tid}/orders", $x->{body},
	    { %$W, 'Idempotency-Key' => $x->{key} });
	push @{ $x->{st} }, $r->{status};
	# 599 is HTTP::Tiny's own failure.  The one that is allowed (during
	# an nginx reload) is a keep-alive connection closed under a request
	# already written; a timeout or a refused connect is not.
	push @{ $x->{code} }, $r->{status} == 599 ?
	    ($r->{body} =~ /end of stream|Connection reset|Broken pipe|closed/i ?
	    'CONNECTION_CLOSED' : "TRANSPORT: $r->{body}") :
	    $r->{json} && ref $r->{json} eq 'HASH' &&
	    $r->{json}{error} ? $r->{json}{error}{code} : '';
	push @{ $x->{oid} }, $r->{json}{orderId} if $r->{status} == 201;
}

# The outbox: per restaurant, seqs 1..N each exactly once, and the
# counter at N.
sub outbox_ok {
	my ($name) = @_;
	for my $row ($s->sql("SELECT e.restaurant_id, count(*), count(DISTINCT e.seq), min(e.seq), max(e.seq), c.last_seq FROM events e JOIN event_counters c USING (restaurant_id) GROUP BY e.restaurant_id, c.last_seq")) {
		my ($rid, $n, $d, $min, $max, $last) = @$row;
		ok($n == $d && $min == 1 && $max == $n && $last == $max,
		    "$name: $rid outbox seqs 1..$max gapless and unique")
		    or diag("count $n distinct $d min $min max $max counter $last");
	}
}

sub check {
	my ($name, $sent, $allowed) = @_;
	my %ok = map { $_ => 1 } @$allowed;
	my @all = map { @{ $_->{st} } } @$sent;
	my %seen;
	$seen{$_}++ for @all;
	ok(@$sent > 20, "$name: " . scalar(@$sent) . " keys, " . scalar(@all) .
	    " requests (" . join(', ', map { "$_ x$seen{$_}" } sort keys %seen) . ')');
	my @bad = grep { !$ok{$_} } @all;
	is_deeply(\@bad, [], "$name: every answer is one of @$allowed");
	my @unavail = grep { $_ ne '' && $_ ne 'SERVICE_UNAVAILABLE' &&
	    !($_ eq 'CONNECTION_CLOSED' && $ok{599}) }
	    map { my $x = $_; map { $x->{st}[$_] == 201 ? () : $x->{code}[$_] }
	    0 .. $#{ $x->{st} } } @$sent;
	is_deeply(\@unavail, [], "$name: every refusal is SERVICE_UNAVAILABLE" .
	    ($ok{599} ? ' or a keep-alive connection closed' : ''));
	my @unfinished = grep { $_->{st}[-1] != 201 } @$sent;
	is(scalar @unfinished, 0, "$name: every key got its 201 in the end");
	my @split = grep { my %u = map { $_ => 1 } @{ $_->{oid} }; keys %u != 1 } @$sent;
	is(scalar @split, 0, "$name: every 201 of a key names the same order");
	my %db = map { $_->[0] => [ $_->[1], $_->[2], $_->[3], $_->[4] ] } $s->sql(
	    "SELECT o.idem_key, count(*), min(o.order_id),"
	    . " (SELECT count(*) FROM order_lines l WHERE l.restaurant_id = 'rst_001' AND l.order_id = min(o.order_id)),"
	    . " (SELECT count(*) FROM events e WHERE e.restaurant_id = 'rst_001' AND e.event_type = 'order.placed'"
	    . "   AND e.envelope::json->'payload'->>'orderId' = min(o.order_id))"
	    . " FROM orders o WHERE o.restaurant_id = 'rst_001' AND o.idem_key LIKE :'p' GROUP BY o.idem_key",
	    p => "$name-%");
	is(scalar keys %db, scalar @$sent, "$name: one key in the database per key sent");
	my @wrong = grep { my $d = $db{ $_->{key} };
	    !$d || $d->[0] != 1 || $d->[1] ne ($_->{oid}[0] // '') || $d->[2] != 1 || $d->[3] != 1 } @$sent;
	is(scalar @wrong, 0, "$name: each key has exactly one order, the one answered, with its line and one order.placed event")
	    or diag(join "\n", map { "$_->{key}: " . join(',', @{ $db{ $_->{key} } || [] }) } @wrong[0 .. ($#wrong < 4 ? $#wrong : 4)]);
	outbox_ok($name);
	is($s->get('/health/ready')->{status}, 200, "$name: ready afterwards");
}

# A staff subscriber on the restaurant channel, kept open through a
# fault; afterwards it must hold every seq the outbox has after $from.
sub subscriber {
	my $sub = RopLive->new($s, es => "/ws?restaurant_id=rst_001&role=KITCHEN", token => $K);
	is($sub->status, 200, 'a live subscriber');
	return $sub;
}

sub saw_all {
	my ($name, $sub, $from) = @_;
	my ($max) = $s->sql("SELECT max(seq) FROM events WHERE restaurant_id = 'rst_001'");
	$max = $max->[0];
	my %got;
	$sub->collect(20, sub {
		%got = map { $_->{seq} => 1 } grep { ref $_ eq 'HASH' && defined $_->{seq} } @{ $_[0] };
		!grep { !$got{$_} } $from + 1 .. $max;
	});
	my @missing = grep { !$got{$_} } $from + 1 .. $max;
	is(scalar @missing, 0, "$name: the subscriber saw seqs " . ($from + 1) . "..$max")
	    or diag("missing: @missing[0 .. ($#missing < 20 ? $#missing : 20)]");
	$sub->close;
}

sub head_seq {
	my ($r) = $s->sql("SELECT last_seq FROM event_counters WHERE restaurant_id = 'rst_001'");
	return $r->[0];
}

# --- PostgreSQL restarted -----------------------------------------------
my @sent = stream(tag => 'pg', clients => 4, secs => 6, fault => sub {
	sleep 1.5;
	$s->svc('stop', 'postgres');
	sleep 2;
	$s->svc('start', 'postgres');
});
check('pg', \@sent, [ 201, 503, 502 ]);
ok((grep { grep { $_ != 201 } @{ $_->{st} } } @sent) > 0,
    'pg: the restart was noticed (some 503s)');

# --- PostgreSQL restarted while the orders workers are idle ---------------
# Every worker still holds a connection to the old server.  Nothing of a
# transaction has reached the server before its first statement is
# answered (BEGIN travels with that statement), so a worker that finds
# its connection dead then must reconnect and resend, not answer 503:
# the first placement of every worker after the restart is a 201.
{
	my @orders = $s->workers('orders');
	$s->svc('stop', 'postgres');
	$s->svc('start', 'postgres');
	ok($s->wait_for(20, sub { $s->get('/health/ready')->{status} == 200 }),
	    'idle restart: ready again');
	my %st;
	for my $j (1 .. 3 * @orders) {
		my $x = { key => "idle-$j", tid => $tables[0],
		    body => { lines => [ { itemId => 'itm_001', quantity => 1 } ] },
		    st => [], oid => [], code => [] };
		place($x);
		$st{ $x->{st}[0] }++;
	}
	is_deeply(\%st, { 201 => 3 * @orders },
	    'idle restart: every placement 201 at once (' . scalar(@orders) .
	    ' workers, none answered 503)');
	is_deeply([sort { $a <=> $b } $s->workers('orders')],
	    [sort { $a <=> $b } @orders], 'idle restart: the same workers');
}

# --- Redis killed and restarted --------------------------------------------
my $from = head_seq();
my $sub = subscriber();
@sent = stream(tag => 'redis', clients => 4, secs => 5, fault => sub {
	sleep 1;
	open(my $fh, '<', $s->dir . '/run/redis.pid') or die "redis.pid: $!";
	chomp(my $pid = <$fh>);
	kill 'KILL', $pid;
	sleep 2;
	$s->svc('start', 'redis');
});
check('redis', \@sent, [ 201 ]);
saw_all('redis', $sub, $from);

# --- order workers kill -9'd mid-stream ----------------------------------
@sent = stream(tag => 'worker', clients => 4, secs => 6, fault => sub {
	for my $round (1 .. 3) {
		sleep 1.2;
		kill 'KILL', $s->workers('orders');
	}
});
check('worker', \@sent, [ 201, 502 ]);
ok(scalar($s->workers('orders')) >= 1, 'worker: multiwatch brought the workers back');

# --- nginx reloaded --------------------------------------------------------
@sent = stream(tag => 'reload', clients => 4, secs => 5, fault => sub {
	for my $round (1 .. 3) {
		sleep 1;
		system('nginx', '-s', 'reload', '-p', $s->dir . '/nginx/',
		    '-c', $s->dir . '/nginx/nginx.conf', '-e', $s->dir . '/log/nginx-error.log') == 0
		    or die "nginx reload failed\n";
	}
});
# A reload closes idle keep-alive connections; a POST the client wrote
# into one as it closed fails in transport (HTTP::Tiny retries only
# idempotent methods).  The client retries it with the same key and
# must get the same single order -- check() holds that -- and it can
# happen at most once per client and reload.
check('reload', \@sent, [ 201, 599 ]);
my $retried = grep { @{ $_->{st} } > 1 } @sent;
ok($retried <= 4 * 3, "reload: $retried requests needed a retry (at most one per client and reload)");

# --- the relay killed --------------------------------------------------------
$from = head_seq();
$sub = subscriber();
@sent = stream(tag => 'relay', clients => 4, secs => 5, fault => sub {
	sleep 1;
	$s->svc('kill', 'relay');
	sleep 1.5;
	$s->svc('start', 'relay');
});
check('relay', \@sent, [ 201 ]);
saw_all('relay', $sub, $from);

done_testing();
