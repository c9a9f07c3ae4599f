#!/usr/bin/env perl
# Load without loss (issue 8): a bounded soak of mixed traffic against a
# private stack with 4 workers per app, with 200 live WebSocket
# subscribers on the two restaurants' channels.
#
#   make soak                      (SOAK_SECS, default 300)
#   SOAK_SECS=60 prove tests/soak/soak.t
#
# Traffic: SOAK_DRIVERS (6) client processes, each owning some of the
# 20 tables (tbl_001..010 of rst_001 and rst_002; rst_002's tbl_002..010
# are added for the run), cycle their tables through a restaurant's
# evening: open the table, read the menu (and revalidate it: 304),
# place 1-4 orders with the table's guest token and unique
# Idempotency-Keys (some replayed: same order back), try to close the
# table while orders are open (409 TABLE_CLOSE_BLOCKED), read the
# orders, the kitchen queue and the events catch-up, accept (or cancel)
# and make ready each order, capture each READY order's payment in CASH
# with an Idempotency-Key (some replayed), read the summary and the
# table's orders, close the table; now and then an order for an unknown
# item (400), /health/ready and /metrics.  Each response is checked
# against the status the step must have; anything else is counted as
# unexpected, a 5xx separately, a transport failure separately.
#
# Meanwhile tests/soak/wssub (C, poll(2)) holds 200 WebSocket
# subscribers, half on each restaurant, and a sampler reads the RSS of
# every FastCGI worker from /proc and the number of PostgreSQL client
# connections every SOAK_SAMPLE_SECS (10) s, from SOAK_WARMUP (15) s
# into the traffic to its end.
#
# Asserted at the end:
# - no 5xx, no transport failure, no unexpected status;
# - orders: every key answered 201 has exactly one order in the
#   database, the one its 201s named; no order exists whose key was not
#   acknowledged; no order id twice; every order ends PAID or CANCELLED;
#   exactly one order.placed event per order and one payment.captured
#   per captured payment;
# - events: per restaurant the outbox seqs are exactly 1..N and the
#   event counter is N; every subscriber stayed connected and saw every
#   seq from the run's start to N at least once, first receipts in
#   increasing order, only its restaurant's events;
# - memory: for every worker, the highest RSS of the last third of the
#   samples exceeds the highest of the first third by at most
#   SOAK_RSS_KB (1024 kB = 1 MiB); no worker was restarted (same pids);
# - PostgreSQL: client connections at the end <= at the first sample
#   + 2, and at no sample more per app than it has workers.
#
# The test is bounded: a watchdog (SOAK_SECS + 300 s) kills everything,
# and RopTest always tears the stack down.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use HTTP::Tiny;
use File::Temp ();
use POSIX ();
use Time::HiRes qw(time sleep);
use RopTest;

my $SECS = $ENV{SOAK_SECS} // 300;
my $NDRIVERS = $ENV{SOAK_DRIVERS} // 6;
my $NSUBS = $ENV{SOAK_SUBS} // 200;
my $SAMPLE = $ENV{SOAK_SAMPLE_SECS} // 10;
my $RSS_KB = $ENV{SOAK_RSS_KB} // 1024;
my $PACE = ($ENV{SOAK_PACE_MS} // 0) / 1000;
# The traffic runs SOAK_WARMUP (15) s before the samples begin: every
# worker has had requests (and opened its PostgreSQL connection, which
# the apps do lazily) before the first sample is the baseline.
my $WARMUP = $ENV{SOAK_WARMUP} // 15;
my $WORKERS = 4;
my $WSSUB = $ENV{SOAK_WSSUB} // "$RopTest::ROOT/build/soak/wssub";
my @APPS = RopTest::apps('fcgi');
my @RIDS = qw(rst_001 rst_002);
my %ITEMS = (rst_001 => [qw(itm_001 itm_002 itm_003 itm_004 itm_005 itm_006
    itm_008 itm_009 itm_010)], rst_002 => [qw(itm_001 itm_002 itm_003)]);
my $RUN = sprintf('soak-%x%04x', time, $$ & 0xffff);

-x $WSSUB or BAIL_OUT("no $WSSUB (make soak builds it)");

my (@kids, $wspid, $s);
# The watchdog: a soak must end.  Every descendant is killed first (a
# plain exit would unwind into the close of a piped open and wait for
# its child, e.g. a psql still running a query), then the stack is
# stopped and the process leaves without unwinding.
sub descendants {
	my @p = grep { /^\d+$/ } split ' ', `pgrep -P $_[0]`;
	return map { ($_, descendants($_)) } @p;
}
$SIG{ALRM} = sub {
	print "Bail out! soak watchdog: over ", $SECS + 300, " s\n";
	kill 'KILL', descendants($$);
	$s->stop if $s;
	POSIX::_exit(255);
};
alarm($SECS + 300);

# Each table's guest token places orders many times a second here, far
# above the production guest limit (60/min): the soak measures load, so
# its stack gets the shipped zones with rates no driver reaches.
my $rl = File::Temp->new(SUFFIX => '.conf');
{
	open(my $in, '<', "$RopTest::ROOT/nginx/rate-limits.conf") or die $!;
	local $/;
	my $t = <$in>;
	$t =~ s/rate=\d+r\/m/rate=100000r\/s/g;
	print $rl $t;
	close $rl;
}
local $ENV{ROP_STACK_RATE_LIMITS} = $rl->filename;
$s = RopTest->start(workers => $WORKERS);
my $tmp = $s->dir . '/soak';
mkdir $tmp or die "mkdir $tmp: $!";

sub ten { join("\n", grep { defined } @_[0 .. 9]) }

# --- setup -------------------------------------------------------------
$s->sql("INSERT INTO dining_tables (restaurant_id, table_id, label) " .
    "SELECT 'rst_002', format('tbl_%s', lpad(n::text, 3, '0')), " .
    "format('Table %s', n) FROM generate_series(2, 10) AS n " .
    "ON CONFLICT DO NOTHING");
my (%W, %K, %M);
for my $r (@RIDS) {
	$W{$r} = $s->mint($r, 'WAITER', exp => int(time) + $SECS + 3600);
	$K{$r} = $s->mint($r, 'KITCHEN', exp => int(time) + $SECS + 3600);
	$M{$r} = $s->mint($r, 'MANAGER', exp => int(time) + $SECS + 3600);
}
my @TABLES;
for my $r (@RIDS) {
	for my $n (1 .. 10) {
		my $t = sprintf('tbl_%03d', $n);
		my $q = $s->get("/v1/restaurants/$r/tables/$t/qr",
		    $s->bearer($M{$r}));
		die "qr $r/$t: $q->{status} $q->{body}" unless $q->{status} == 200;
		push @TABLES, { rid => $r, tid => $t, guest => $q->{json}{token} };
	}
}
is(scalar @TABLES, 20, '20 tables over rst_001 and rst_002');

my %BASE = map { $_->[0] => $_->[1] } $s->sql(
    "SELECT restaurant_id, last_seq FROM event_counters ORDER BY 1");

# --- 200 live subscribers -----------------------------------------------
my $status_file = "$tmp/subs.status";
my $report_file = "$tmp/subs.report";
$wspid = open(my $wsout, '-|', $WSSUB, '-p', $s->port, '-n', $NSUBS,
    '-o', $report_file, '-S', $status_file,
    map { "$_:$K{$_}:$BASE{$_}" } @RIDS) or die "wssub: $!";
my $hello = <$wsout> // '';
my ($nconn) = $hello =~ /connected=(\d+)/;
is($nconn, $NSUBS, "$NSUBS WebSocket subscribers connected") or
    diag("wssub said: $hello");

# --- drivers -------------------------------------------------------------
sub driver {
	my ($d, $end) = @_;
	my $ua = HTTP::Tiny->new(timeout => 30, keep_alive => 1);
	my $base = 'http://127.0.0.1:' . $s->port;
	my (%st, @bad, @orders, $n, $etag);
	my @mine = grep { $_ % $NDRIVERS == $d } 0 .. $#TABLES;
	my $req = sub {
		my ($op, $want, $method, $path, $tok, $body, $h) = @_;
		my %h = %{ $h || {} };
		$h{Authorization} = "Bearer $tok" if $tok;
		my %o = (headers => \%h);
		if (defined $body) {
			$h{'Content-Type'} = 'application/json';
			$o{content} = $body;
		}
		my $res = $ua->request($method,
		    $path =~ m{^http} ? $path : "$base$path", \%o);
		my $c = $res->{status};
		my $b = $res->{content} // '';
		$st{total}++;
		$st{"$op $c"}++;
		my $why = $c == 599 ? 'transport' : $c >= 500 ? '5xx' :
		    (ref $want ? !grep({ $_ == $c } @$want) : $c != $want) ?
		    'unexpected' : undef;
		if ($why) {
			$st{$why}++;
			push @bad, "$why: $op $method $path -> $c " .
			    substr($b, 0, 300) if @bad < 30;
		}
		sleep $PACE if $PACE;
		return ($c, $b, $res->{headers});
	};
	my $oops = sub {
		$st{unexpected}++;
		push @bad, "unexpected: $_[0]" if @bad < 30;
	};
	while (time < $end) {
		for my $ti (@mine) {
			last if time >= $end;
			my $T = $TABLES[$ti];
			my ($r, $t) = @$T{qw(rid tid)};
			my $RT = "/v1/restaurants/$r/tables/$t";
			$req->('open', 200, 'POST', "$RT/open", $W{$r});
			my ($c, $b, $h) = $req->('menu', 200, 'GET',
			    "/v1/restaurants/$r/menu");
			$etag = $h->{etag};
			$req->('menu304', 304, 'GET', "/v1/restaurants/$r/menu",
			    undef, undef, { 'If-None-Match' => $etag }) if $etag;
			my @oids;
			my $k = 1 + $n++ % 4;
			for my $j (1 .. $k) {
				my $key = "$RUN-$d-$n-$j";
				my @it = @{ $ITEMS{$r} };
				my $body = sprintf('{"lines":[{"itemId":"%s",' .
				    '"quantity":%d},{"itemId":"%s","quantity":1,' .
				    '"notes":"soak"}],"note":"%s"}',
				    $it[($n + $j) % @it], 1 + ($n * $j) % 5,
				    $it[($n * 7 + $j) % @it], $key);
				($c, $b) = $req->('place', 201, 'POST', "$RT/orders",
				    $T->{guest}, $body, { 'Idempotency-Key' => $key });
				next unless $c == 201;
				my ($oid) = $b =~ /^\{"orderId":"([^"]+)"/;
				push @orders, [$key, $oid, $r];
				push @oids, $oid;
				if (($n + $j) % 9 == 0) {	# a client retry
					my ($c2, $b2, $h2) = $req->('replay', 201,
					    'POST', "$RT/orders", $T->{guest}, $body,
					    { 'Idempotency-Key' => $key });
					my ($o2) = $b2 =~ /^\{"orderId":"([^"]+)"/;
					$oops->("replay of $key gave $o2, not $oid")
					    if $c2 == 201 && ($o2 // '') ne $oid;
					$oops->("replay of $key not marked")
					    if $c2 == 201 && ($h2->{'idempotent-replayed'} // '') ne 'true';
				}
			}
			if ($n % 5 == 0) {
				$req->('badplace', 400, 'POST', "$RT/orders",
				    $T->{guest}, '{"lines":[{"itemId":"itm_999","quantity":1}]}',
				    { 'Idempotency-Key' => "$RUN-$d-$n-bad" });
			}
			if (@oids) {
				($c, $b) = $req->('closeblocked', 409, 'POST',
				    "$RT/close", $W{$r});
				$oops->("close while open: $b")
				    if $c == 409 && $b !~ /TABLE_CLOSE_BLOCKED/;
			}
			$req->('get', 200, 'GET', "/v1/orders/$_", $T->{guest})
			    for @oids;
			$req->('kitchen', 200, 'GET',
			    "/v1/restaurants/$r/kitchen/orders?status=PLACED&limit=20",
			    $K{$r});
			my @ready;
			for my $i (0 .. $#oids) {
				my $o = $oids[$i];
				if (($n + $i) % 7 == 3) {
					($c, $b) = $req->('cancel', 200, 'POST',
					    "/v1/orders/$o/cancel", $W{$r},
					    '{"reason":"soak: guest changed their mind"}');
					$oops->("cancel $o: $b") if $c == 200 &&
					    $b !~ /"status":"CANCELLED"/;
					next;
				}
				($c, $b) = $req->('accept', 200, 'POST',
				    "/v1/orders/$o/accept", $K{$r});
				($c, $b) = $req->('ready', 200, 'POST',
				    "/v1/orders/$o/ready", $K{$r});
				$oops->("ready $o: $b") if $c == 200 &&
				    $b !~ /"status":"READY"/;
				push @ready, $o if $c == 200;
			}
			for my $o (@ready) {
				my $pk = "$RUN-pay-$o";
				($c, $b) = $req->('pay', 201, 'POST',
				    "/v1/orders/$o/payments:capture", $W{$r},
				    '{"method":"CASH"}', { 'Idempotency-Key' => $pk });
				my ($pid) = $b =~ /"paymentId":"([^"]+)"/;
				if ($c == 201 && $n % 6 == 0) {
					my ($c2, $b2) = $req->('payreplay', 201,
					    'POST', "/v1/orders/$o/payments:capture",
					    $W{$r}, '{"method":"CASH"}',
					    { 'Idempotency-Key' => $pk });
					my ($p2) = $b2 =~ /"paymentId":"([^"]+)"/;
					$oops->("payment replay $o: $p2 vs $pid")
					    if $c2 == 201 && ($p2 // '') ne ($pid // '');
				}
			}
			$req->('summary', 200, 'GET', "$RT/summary", $W{$r});
			$req->('tableorders', 200, 'GET', "$RT/orders?status=ALL&limit=50",
			    $W{$r});
			$req->('events', 200, 'GET',
			    "/v1/restaurants/$r/events?after=" . ($BASE{$r} + $n) .
			    '&limit=50', $K{$r});
			if ($n % 10 == 0) {
				$req->('health', 200, 'GET', '/health/ready');
				$req->('metrics', 200, 'GET',
				    $s->internal_url('/metrics'));
			}
			$req->('close', 200, 'POST', "$RT/close", $W{$r});
		}
	}
	return { st => \%st, bad => \@bad, orders => \@orders };
}

# The sampler: RSS of every worker and PostgreSQL connections.
sub sampler {
	my ($end) = @_;
	open(my $out, '>', "$tmp/samples.tsv") or die "samples: $!";
	select((select($out), $| = 1)[0]);
	my $t0 = time;
	for (my $next = $t0;; $next += $SAMPLE) {
		sleep($next - time) if $next > time;
		my $t = sprintf('%.1f', time - $t0);
		for my $app (@APPS) {
			for my $pid ($s->workers($app)) {
				open(my $fh, '<', "/proc/$pid/status") or next;
				my ($kb) = map { /^VmRSS:\s+(\d+)/ ? $1 : () } <$fh>;
				print $out "$t\trss\t$app\t$pid\t$kb\n" if $kb;
			}
		}
		my @pg = $s->sql("SELECT coalesce(nullif(application_name, ''), '?'), " .
		    "count(*) FROM pg_stat_activity WHERE datname = 'rop' AND " .
		    "backend_type = 'client backend' AND pid <> pg_backend_pid() " .
		    "GROUP BY 1");
		my $tot = 0;
		for (@pg) {
			print $out "$t\tpgapp\t$_->[0]\t0\t$_->[1]\n";
			$tot += $_->[1];
		}
		print $out "$t\tpg\tall\t0\t$tot\n";
		last if time >= $end - 0.5;
	}
	close $out;
	return {};
}

my %pids0 = map { $_ => join(',', sort { $a <=> $b } $s->workers($_)) } @APPS;
my $t_start = time;
my $end = $t_start + $WARMUP + $SECS;
for my $d (0 .. $NDRIVERS) {
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		$SIG{ALRM} = 'DEFAULT';
		$s->{pid} = -1;		# children never tear down
		sleep $WARMUP if $d == $NDRIVERS;
		my $res = eval { $d == $NDRIVERS ? sampler($end) :
		    driver($d, $end) } // { error => "$@" };
		open(my $fh, '>', "$tmp/driver-$d.json") or POSIX::_exit(1);
		print $fh $RopTest::JSON->encode($res);
		close $fh;
		POSIX::_exit(0);
	}
	push @kids, $pid;
}
waitpid($_, 0) for @kids;
my $t_load = time - $t_start;
@kids = ();

my (%st, @bad, @orders);
for my $d (0 .. $NDRIVERS - 1) {
	open(my $fh, '<', "$tmp/driver-$d.json") or die "driver $d: no result";
	my $r = $RopTest::JSON->decode(do { local $/; <$fh> });
	die "driver $d: $r->{error}" if $r->{error};
	$st{$_} += $r->{st}{$_} for keys %{ $r->{st} };
	push @bad, @{ $r->{bad} };
	push @orders, @{ $r->{orders} };
}
open(my $sfh, '<', "$tmp/driver-$NDRIVERS.json") or die "sampler: no result";
my $sres = $RopTest::JSON->decode(do { local $/; <$sfh> });
die "sampler: $sres->{error}" if $sres->{error};

# --- traffic -------------------------------------------------------------
my $total = $st{total} // 0;
diag(sprintf('load: %d requests in %.0f s (%.0f/s) by %d drivers; %d orders',
    $total, $t_load, $total / ($t_load || 1), $NDRIVERS, scalar @orders));
diag('  ' . join(', ', map { "$_ $st{$_}" } sort grep { / / } keys %st));
cmp_ok($total, '>', 10 * $SECS, 'the load ran');
is($st{'5xx'} // 0, 0, 'no 5xx');
is($st{transport} // 0, 0, 'no transport failure (connection, timeout)');
is($st{unexpected} // 0, 0, 'every response had the status its step must have');
diag($_) for @bad;

# --- orders --------------------------------------------------------------
my %acked;
$acked{$_->[0]}{$_->[1]}++ for @orders;
my %db;
for ($s->sql("SELECT idem_key, order_id, status FROM orders " .
    "WHERE idem_key LIKE :'p'", p => "$RUN-%")) {
	push @{ $db{$_->[0]} }, [$_->[1], $_->[2]];
}
my (@lost, @dup, @extra, @mixed, @open);
for my $key (keys %acked) {
	push @mixed, $key if keys %{ $acked{$key} } > 1;
	my $rows = $db{$key} || [];
	if (!@$rows) { push @lost, $key; next }
	push @dup, $key if @$rows > 1;
	push @lost, $key unless grep { $acked{$key}{$_->[0]} } @$rows;
}
for my $key (keys %db) {
	push @extra, $key unless $acked{$key};
	push @open, map { "$_->[0] $_->[1]" } grep { $_->[1] !~ /^(PAID|CANCELLED)$/ }
	    @{ $db{$key} };
}
cmp_ok(scalar keys %acked, '>', 0, scalar(keys %acked) . ' keys acknowledged');
is(scalar @lost, 0, 'no acknowledged order lost') or diag("lost: " . ten(@lost));
is(scalar @dup, 0, 'no key with two orders') or diag("dup: " . ten(@dup));
is(scalar @mixed, 0, 'every 201 of a key named the same order');
is(scalar @extra, 0, 'no order the client was not told about') or
    diag("extra: " . ten(@extra));
is(scalar @open, 0, 'every order ended PAID or CANCELLED') or
    diag("open: " . ten(@open));
my ($twice) = $s->sql("SELECT count(*) FROM (SELECT order_id FROM orders " .
    "GROUP BY order_id HAVING count(*) > 1) x");
is($twice->[0], 0, 'no order id twice');
my ($ev_bad) = $s->sql(<<'SQL');
WITH placed AS (
    SELECT restaurant_id, envelope::json -> 'payload' ->> 'orderId' AS order_id,
           count(*) AS n
    FROM events WHERE event_type = 'order.placed' GROUP BY 1, 2)
SELECT (SELECT count(*) FROM orders o LEFT JOIN placed p
          ON p.restaurant_id = o.restaurant_id AND p.order_id = o.order_id
        WHERE coalesce(p.n, 0) <> 1),
       (SELECT count(*) FROM events WHERE event_type = 'order.placed'),
       (SELECT count(*) FROM orders),
       (SELECT count(*) FROM events WHERE event_type = 'payment.captured'),
       (SELECT count(*) FROM payments WHERE status = 'CAPTURED'),
       (SELECT count(*) FROM table_sessions WHERE status = 'OPEN')
SQL
is($ev_bad->[0], 0, 'every order has exactly one order.placed event');
is($ev_bad->[1], $ev_bad->[2], "order.placed events = orders ($ev_bad->[2])");
is($ev_bad->[3], $ev_bad->[4], "payment.captured events = captured payments ($ev_bad->[4])");
is($ev_bad->[5], 0, 'every table closed at the end');

# --- events --------------------------------------------------------------
my %final;
for my $r (@RIDS) {
	my ($row) = $s->sql("SELECT count(*), count(DISTINCT seq), " .
	    "coalesce(min(seq), 0), coalesce(max(seq), 0), " .
	    "(SELECT last_seq FROM event_counters WHERE restaurant_id = :'r') " .
	    "FROM events WHERE restaurant_id = :'r'", r => $r);
	my ($cnt, $dist, $min, $max, $last) = @$row;
	$final{$r} = $max;
	ok($cnt == $dist && $min == 1 && $max == $cnt && $last == $max,
	    "$r: outbox seqs exactly 1..$max (count $cnt, distinct $dist, " .
	    "min $min, counter $last)");
}
# Wait for the subscribers to reach the last seq (relay catch-up is on
# a timer), at most 30 s, then stop them.
my $drain0 = time;
$s->wait_for(30, sub {
	open(my $fh, '<', $status_file) or return 0;
	my %c = map { (split ' ')[0, 2] } <$fh>;
	return !grep { ($c{$_} // -1) < $final{$_} } @RIDS;
});
my $drain = time - $drain0;
kill 'TERM', $wspid;
close $wsout;
my @subs;
open(my $rfh, '<', $report_file) or die "no subscriber report: $!";
while (<$rfh>) {
	push @subs, { map { split /=/, $_, 2 } split ' ' };
}
is(scalar @subs, $NSUBS, "report of all $NSUBS subscribers");
my @dropped = grep { !$_->{open} } @subs;
is(scalar @dropped, 0, 'every subscriber stayed connected');
my (@short, @ooo, @foreign, $recv, $dups);
for my $u (@subs) {
	$recv += $u->{received};
	$dups += $u->{dup};
	push @short, "sub $u->{sub} ($u->{rid}): contig $u->{contig}, max " .
	    "$u->{max}, missing $u->{missing} from $u->{first_missing}, " .
	    "want $final{$u->{rid}}"
	    if $u->{open} && $u->{contig} != $final{$u->{rid}};
	push @ooo, $u->{sub} if $u->{ooo};
	push @foreign, $u->{sub} if $u->{foreign};
}
is(scalar @short, 0, 'every connected subscriber saw every seq of its ' .
    'restaurant') or diag(ten(@short));
is(scalar @ooo, 0, 'first receipts in seq order');
is(scalar @foreign, 0, 'no event of another restaurant');
diag(sprintf('events: %s; subscribers received %d (%d duplicates), drained ' .
    'in %.1f s after the load', join(', ', map { "$_ seq " .
    ($BASE{$_} + 1) . "..$final{$_}" } @RIDS), $recv // 0, $dups // 0, $drain));

# --- memory and connections ------------------------------------------------
my (%rss, %pg, %pgapp);
open(my $tfh, '<', "$tmp/samples.tsv") or die "samples: $!";
while (<$tfh>) {
	chomp;
	my ($t, $kind, $app, $pid, $v) = split /\t/;
	if ($kind eq 'rss') { push @{ $rss{"$app $pid"} }, $v }
	elsif ($kind eq 'pg') { $pg{$t} = $v }
	elsif ($kind eq 'pgapp') { $pgapp{$app} = $v if $v > ($pgapp{$app} // 0) }
}
my @times = sort { $a <=> $b } keys %pg;
cmp_ok(scalar @times, '>=', 3, scalar(@times) . " samples, every $SAMPLE s");
my (@grew, %byapp);
for my $w (sort keys %rss) {
	my @v = @{ $rss{$w} };
	my $third = int(@v / 3) || 1;
	my ($f) = sort { $b <=> $a } @v[0 .. $third - 1];
	my ($l) = sort { $b <=> $a } @v[$#v - $third + 1 .. $#v];
	push @grew, "$w: first third max $f kB, last third max $l kB"
	    if $l - $f > $RSS_KB;
	my ($app) = split ' ', $w;
	my $a = $byapp{$app} //= { min => 1e9, max => 0, grow => -1e9 };
	$a->{min} = $v[0] if $v[0] < $a->{min};
	for (@v) { $a->{max} = $_ if $_ > $a->{max} }
	$a->{grow} = $l - $f if $l - $f > $a->{grow};
}
is(scalar @grew, 0, "no worker's RSS grew by more than $RSS_KB kB " .
    '(last third max vs first third max)') or diag(join "\n", @grew);
diag("RSS kB per app (min first sample .. max, worst last-vs-first-third " .
    'growth): ' . join(', ', map { "$_ $byapp{$_}{min}..$byapp{$_}{max} " .
    "($byapp{$_}{grow})" } grep { $byapp{$_} } @APPS));
my %pids1 = map { $_ => join(',', sort { $a <=> $b } $s->workers($_)) } @APPS;
is_deeply(\%pids1, \%pids0, 'no worker died or was restarted');
my ($pg0, $pg1) = @pg{ $times[0], $times[-1] };
my ($pgmax) = sort { $b <=> $a } values %pg;
cmp_ok($pg1, '<=', $pg0 + 2, "PostgreSQL connections: $pg0 at the first " .
    "sample, $pg1 at the last, at most $pgmax");
my @over = grep { $pgapp{$_} > ($_ eq 'rop-relay' || $_ eq 'relay' ? 1 : $WORKERS) }
    grep { $_ ne '?' } keys %pgapp;
is(scalar @over, 0, "no app holds more connections than it has workers") or
    diag(join ', ', map { "$_ $pgapp{$_}" } sort keys %pgapp);
diag('PostgreSQL connections per application_name (max): ' .
    join(', ', map { "$_ $pgapp{$_}" } sort keys %pgapp));

done_testing;
