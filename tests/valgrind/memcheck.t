#!/usr/bin/env perl
# valgrind memcheck over a few thousand requests (issue 8: "valgrind
# memcheck over a few thousand requests of one worker reports no leak").
#
#   make valgrind        (builds the control, runs this; about 2 minutes)
#
# A private stack with one worker per app is started from a directory of
# wrappers (ROP_BIN): for each app in VG_APPS (default orders, kitchen,
# tables, payments, menu, events, auth) rop-<app> is a script that execs
#   valgrind --leak-check=full --errors-for-leak-kinds=definite
#            --error-exitcode=99 --log-file=<dir>/vg-<app>.%p.log <real binary>
# and every other program is a symlink to the real one.  Mixed traffic
# goes through nginx (placements keyed and not, replays, reads, accept,
# ready, cancel, payments, kitchen pages with cursors, tables, menu
# reads and changes, events catch-up, logins, WebSocket authorisation,
# and every kind of refusal).  Then each valgrind'd worker is stopped
# with SIGTERM (its multiwatch is SIGSTOPped first so nothing restarts
# it): libfcgi stops accepting, the loop ends, the app frees its
# context, and valgrind writes its summary.  The test fails on any
# memcheck error, any definitely lost byte, a log that is missing or
# has no summary, or an exit by signal instead of the clean one.
#
# A control proves the parser can fail: build/valgrind/leak (leaks a
# block, branches on uninitialised memory) run under the same options
# must give exit 99, one error and 48 bytes definitely lost.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use File::Temp qw(tempdir);
use POSIX ();
use Time::HiRes qw(time sleep);
use RopTest;
use RopLive;

my $VG = $ENV{VALGRIND} // 'valgrind';
my @VG_APPS = split ' ', ($ENV{VG_APPS} //
    'orders kitchen tables payments menu events auth');
my $REAL = $ENV{ROP_BIN} || "$RopTest::ROOT/build/bin";
my $LEAK = $ENV{VG_CONTROL} // "$RopTest::ROOT/build/valgrind/leak";
my $ROUNDS = $ENV{VG_ROUNDS} // 60;
my @VGOPTS = ('--tool=memcheck', '--leak-check=full',
    '--errors-for-leak-kinds=definite', '--error-exitcode=99',
    '--num-callers=30');

system("$VG --version >/dev/null 2>&1") == 0 or
    BAIL_OUT('valgrind not installed (apt-get install valgrind)');
-x $LEAK or BAIL_OUT("no control program $LEAK (make valgrind builds it)");

# Parse a memcheck log: errors, leak figures, how the process ended.
sub vg_parse {
	my ($file) = @_;
	open(my $fh, '<', $file) or return;
	my %r = (text => '');
	while (<$fh>) {
		$r{text} .= $_;
		s/^==\d+==\s*//;
		$r{started} = 1 if /Memcheck, a memory error detector/;
		$r{errors} = $1 =~ tr/,//dr if /^ERROR SUMMARY: ([\d,]+) errors/;
		for my $k (qw(definitely indirectly possibly)) {
			$r{$k} = $1 =~ tr/,//dr if /^\s*$k lost: ([\d,]+) bytes/;
		}
		$r{reachable} = $1 =~ tr/,//dr if /^\s*still reachable: ([\d,]+) bytes/;
		@r{qw(allocs frees)} = map { tr/,//dr } ($1, $2)
		    if /total heap usage: ([\d,]+) allocs, ([\d,]+) frees/;
		$r{all_freed} = 1 if /All heap blocks were freed/;
		$r{signal} = $1 if /Process terminating with default action of signal (\d+)/;
	}
	$r{$_} //= 0 for qw(definitely indirectly possibly reachable);
	return \%r;
}

# --- the control ------------------------------------------------------------
my $cdir = tempdir('ropvg.XXXXXX', TMPDIR => 1, CLEANUP => 1);
system($VG, @VGOPTS, "--log-file=$cdir/leak.log", $LEAK);
my $crc = $? >> 8;
my $c = vg_parse("$cdir/leak.log") || {};
is($crc, 99, 'control: valgrind exits 99 on the leaking program');
ok(($c->{errors} // 0) >= 2 && $c->{definitely} == 48,
    "control: the parser sees its errors ($c->{errors}) and 48 bytes " .
    "definitely lost ($c->{definitely})");

# --- the stack, its apps under valgrind ---------------------------------------
my $bin = tempdir('ropvgbin.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $logs = tempdir('ropvglog.XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{ROP_TEST_KEEP});
chmod 0755, $bin, $logs;
my %vg = map { $_ => 1 } @VG_APPS;
opendir(my $dh, $REAL) or die "$REAL: $!";
for my $f (grep { /^rop-/ } readdir $dh) {
	my ($app) = $f =~ /^rop-(.*)$/;
	if ($vg{$app}) {
		open(my $fh, '>', "$bin/$f") or die "$bin/$f: $!";
		print $fh "#!/bin/sh\nexec $VG @VGOPTS " .
		    "--log-file=$logs/vg-$app.%p.log $REAL/$f \"\$@\"\n";
		close $fh;
		chmod 0755, "$bin/$f";
	} else {
		symlink("$REAL/$f", "$bin/$f") or die "symlink $f: $!";
	}
}
closedir $dh;
$ENV{ROP_BIN} = $bin;
my $s = RopTest->start(workers => 1);
$s->{ua}->timeout(60);

my %worker;
for my $app (@VG_APPS) {
	my @w = $s->workers($app);
	is(scalar @w, 1, "$app: one worker");
	$worker{$app} = $w[0];
	ok($s->wait_for(30, sub { my $r = vg_parse("$logs/vg-$app.$w[0].log");
	    $r && $r->{started} }), "$app: worker $w[0] runs under memcheck");
}

# --- traffic ------------------------------------------------------------------
my $R = 'rst_001';
my $RP = "/v1/restaurants/$R";
my $M = $s->bearer($s->mint($R, 'MANAGER'));
my $W = $s->bearer($s->mint($R, 'WAITER'));
my $K = $s->bearer($s->mint($R, 'KITCHEN'));
my $KT = $s->mint($R, 'KITCHEN');
my $OTHER = $s->bearer($s->mint('rst_002', 'ADMIN'));
# Another last character: a signature already ending in 'A' (1 in 16)
# would otherwise stay the real token.
my $FORGED = { Authorization => 'Bearer ' .
    ($s->mint($R, 'ADMIN') =~ s/.$/$& eq 'A' ? 'E' : 'A'/er) };
my (%n, @bad);
sub want {
	my ($what, $r, @ok) = @_;
	$n{total}++;
	$n{$r->{status}}++;
	return 1 if grep { $_ == $r->{status} } @ok;
	push @bad, "$what: $r->{status} " . substr($r->{body}, 0, 200);
	return 0;
}
my @tables = map { sprintf('tbl_%03d', $_) } 1 .. 4;
my $guest;
{
	my $q = $s->get("$RP/tables/tbl_001/qr", $M);
	want('qr', $q, 200);
	$guest = $s->bearer($q->{json}{token} // '');
}
want('login', $s->post('/v1/auth/login', { restaurantId => $R,
    username => 'waiter', password => 'waiter-pass' }), 200);
want('login bad', $s->post('/v1/auth/login', { restaurantId => $R,
    username => 'waiter', password => 'nope' }), 401);
{
	my $ws = RopLive->new($s, ws => "/ws?restaurant_id=$R&role=KITCHEN",
	    token => $KT);
	$n{total}++;
	push @bad, "ws: $ws->{status}" unless $ws->status == 101;
	my $no = RopLive->new($s, ws => "/ws?restaurant_id=$R&role=KITCHEN");
	$n{total}++;
	push @bad, "ws no token: $no->{status}" unless $no->status == 401;
}
my $etag;
for my $round (1 .. $ROUNDS) {
	my $t = $tables[$round % @tables];
	my $TP = "$RP/tables/$t";
	want('open', $s->post("$TP/open", undef, $W), 200);
	my $m = $s->get("$RP/menu");
	want('menu', $m, 200);
	want('menu 304', $s->get("$RP/menu", { 'If-None-Match' =>
	    $m->{headers}{etag} // '' }), 304);
	want('menu other', $s->get('/v1/restaurants/rst_002/menu'), 200);
	want('menu unknown', $s->get('/v1/restaurants/rst_nope/menu'), 404);
	if ($round % 10 == 0) {
		want('patch', $s->patch("$RP/menu/items/itm_004",
		    { price => { amountCents => 650 + $round, currency => 'USD' } }, $M), 200);
		want('patch bad', $s->patch("$RP/menu/items/itm_004",
		    { price => 'free' }, $M), 400);
	}
	my @oids;
	for my $j (1 .. 4) {
		my $body = { lines => [ { itemId => 'itm_00' . (1 + $j % 5),
		    quantity => $j, notes => "round $round" },
		    { itemId => 'itm_009', quantity => 1 } ], note => "vg $round $j" };
		my %h = (%$W, $j % 2 ? ('Idempotency-Key' => "vg-$round-$j-$$") : ());
		my $r = $s->post("$TP/orders", $body, \%h);
		want('place', $r, 201) and push @oids, $r->{json}{orderId};
		want('replay', $s->post("$TP/orders", $body, \%h), 201) if $j == 1;
		if ($j == 3) {
			want('replay other body', $s->post("$TP/orders",
			    { %$body, note => 'other' }, { %$W,
			    'Idempotency-Key' => "vg-$round-1-$$" }), 409);
		}
	}
	# The guest's table is open one round in four (else 409
	# TABLE_NOT_OPEN); its order is cancelled so the table can close.
	my $g = $s->post("$RP/tables/tbl_001/orders",
	    { lines => [ { itemId => 'itm_001', quantity => 1 } ] }, $guest);
	want('place guest', $g, $t eq 'tbl_001' ? 201 : 409);
	want('guest reads', $s->get("/v1/orders/$g->{json}{orderId}", $guest), 200)
	    if $g->{status} == 201;
	want('cancel guest', $s->post("/v1/orders/$g->{json}{orderId}/cancel",
	    { reason => 'guest left' }, $W), 200) if $g->{status} == 201;
	want('unknown item', $s->post("$TP/orders",
	    { lines => [ { itemId => 'itm_999', quantity => 1 } ] }, $W), 400);
	want('unavailable', $s->post("$TP/orders",
	    { lines => [ { itemId => 'itm_007', quantity => 1 } ] }, $W), 400);
	want('bad json', $s->post("$TP/orders", \'{"lines":[', $W), 400);
	want('deep', $s->post("$TP/orders", \('[' x 100 . ']' x 100), $W), 400);
	want('unknown field', $s->post("$TP/orders",
	    { lines => [ { itemId => 'itm_001', quantity => 1 } ], x => 1 }, $W), 400);
	want('quantity', $s->post("$TP/orders",
	    { lines => [ { itemId => 'itm_001', quantity => 1e309 } ] }, $W), 400);
	want('forged', $s->post("$TP/orders",
	    { lines => [ { itemId => 'itm_001', quantity => 1 } ] }, $FORGED), 401);
	want('close blocked', $s->post("$TP/close", undef, $W), 409);
	for my $o (@oids) {
		want('get', $s->get("/v1/orders/$o", $W), 200);
		want('get other', $s->get("/v1/orders/$o", $OTHER), 404);
	}
	want('get unknown', $s->get('/v1/orders/ord_nope', $W), 404);
	want('kitchen', $s->get("$RP/kitchen/orders?limit=2", $K), 200);
	my $kq = $s->get("$RP/kitchen/orders?status=ALL&limit=3", $K);
	want('kitchen all', $kq, 200);
	if (my $cur = $kq->{json}{nextCursor}) {
		want('kitchen page 2', $s->get("$RP/kitchen/orders?status=ALL" .
		    "&limit=3&cursor=$cur", $K), 200);
	}
	want('kitchen bad cursor', $s->get("$RP/kitchen/orders?cursor=zz!", $K), 400);
	want('kitchen bad status', $s->get("$RP/kitchen/orders?status=EATEN", $K), 400);
	my ($a, $b, $c, $d) = @oids;
	want('ready early', $s->post("/v1/orders/$a/ready", undef, $K), 409);
	want('accept', $s->post("/v1/orders/$a/accept", undef, $K), 200);
	want('accept again', $s->post("/v1/orders/$a/accept", undef, $K), 200);
	want('ready', $s->post("/v1/orders/$a/ready", undef, $K), 200);
	want('accept by waiter', $s->post("/v1/orders/$b/accept", undef, $W), 403);
	want('cancel', $s->post("/v1/orders/$b/cancel", { reason => 'vg' }, $W), 200);
	want('cancel bad', $s->post("/v1/orders/$c/cancel", { reason => 7 }, $W), 400);
	want('accept c', $s->post("/v1/orders/$c/accept", undef, $K), 200);
	want('cancel c', $s->post("/v1/orders/$c/cancel", { reason => 'late' }, $M), 200);
	want('accept d', $s->post("/v1/orders/$d/accept", undef, $K), 200);
	want('ready d', $s->post("/v1/orders/$d/ready", undef, $K), 200);
	want('pay no key', $s->post("/v1/orders/$a/payments:capture",
	    { method => 'CASH' }, $W), 400);
	my %pk = (%$W, 'Idempotency-Key' => "vgpay-$round-$$");
	want('pay mismatch', $s->post("/v1/orders/$a/payments:capture",
	    { method => 'CASH', amount => { amountCents => 1, currency => 'USD' } },
	    { %$W, 'Idempotency-Key' => "vgpaybad-$round-$$" }), 400);
	want('pay', $s->post("/v1/orders/$a/payments:capture",
	    { method => 'CASH' }, \%pk), 201);
	want('pay replay', $s->post("/v1/orders/$a/payments:capture",
	    { method => 'CASH' }, \%pk), 201);
	want('pay again', $s->post("/v1/orders/$a/payments:capture",
	    { method => 'CASH' }, { %$W, 'Idempotency-Key' => "vgpay2-$round-$$" }), 409);
	want('pay declined', $s->post("/v1/orders/$d/payments:capture",
	    { method => 'CARD', cardToken => 'tok_decline' },
	    { %$W, 'Idempotency-Key' => "vgdecl-$round-$$" }), 402);
	want('pay card', $s->post("/v1/orders/$d/payments:capture",
	    { method => 'CARD', cardToken => 'tok_visa' },
	    { %$W, 'Idempotency-Key' => "vgcard-$round-$$" }), 201);
	want('payments', $s->get("/v1/orders/$a/payments", $W), 200);
	want('pay placed', $s->post("/v1/orders/$b/payments:capture",
	    { method => 'CASH' }, { %$W, 'Idempotency-Key' => "vgpb-$round-$$" }), 409);
	want('tables', $s->get("$RP/tables", $W), 200);
	want('table', $s->get("$TP", $W), 200);
	want('summary', $s->get("$TP/summary", $W), 200);
	want('table orders', $s->get("$TP/orders?status=ALL&limit=2", $W), 200);
	want('table orders bad', $s->get("$TP/orders?limit=0", $W), 400);
	want('events', $s->get("$RP/events?after=" . ($round * 5) . '&limit=20', $K), 200);
	want('events bad', $s->get("$RP/events?after=x", $K), 400);
	want('events guest', $s->get("$RP/events", $guest), 403);
	want('close', $s->post("$TP/close", undef, $W), 200);
	want('close again', $s->post("$TP/close", undef, $W), 409);
	want('unknown table', $s->post("$RP/tables/tbl_999/open", undef, $W), 404);
}
diag(sprintf('%d requests: %s', $n{total},
    join(', ', map { "$_ x $n{$_}" } sort grep { /^\d+$/ } keys %n)));
cmp_ok($n{total}, '>=', 2000, 'a few thousand requests');
is(scalar @bad, 0, 'every response had its expected status') or
    diag(join "\n", @bad[0 .. ($#bad < 19 ? $#bad : 19)]);

# --- stop the valgrind'd workers cleanly, read their reports -------------------
for my $app (@VG_APPS) {
	open(my $fh, '<', $s->dir . "/run/$app.pid") or die "$app.pid: $!";
	chomp(my $mw = <$fh>);
	kill 'STOP', $mw;		# multiwatch must not restart it
	kill 'TERM', $worker{$app};
}
for my $app (@VG_APPS) {
	my $log = "$logs/vg-$app.$worker{$app}.log";
	my $r;
	$s->wait_for(90, sub { $r = vg_parse($log); $r && defined $r->{errors} });
	ok($r && defined $r->{errors}, "$app: valgrind wrote its summary") or next;
	is($r->{signal}, undef, "$app: the worker ended its loop on TERM " .
	    '(no death by signal)');
	is($r->{errors}, 0, "$app: no memcheck error") or
	    diag(substr($r->{text}, 0, 6000));
	is($r->{definitely}, 0, "$app: no byte definitely lost") or
	    diag(substr($r->{text}, 0, 6000));
	diag(sprintf('%s: %s allocs, %s frees; lost: %d definitely, %d ' .
	    'indirectly, %d possibly; %d still reachable', $app,
	    $r->{allocs} // '?', $r->{frees} // '?', @$r{qw(definitely
	    indirectly possibly reachable)}));
}
done_testing;
