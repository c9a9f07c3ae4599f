#!/usr/bin/env perl
# Concurrency (issue 4, SPEC §2, §6): row locks make parallel requests
# come out as if one at a time.  20 parallel accepts → one transition
# and one event; 20 parallel placements with one Idempotency-Key → one
# order; a close racing a placement → never an open order on a closed
# session; per-restaurant seqs stay gapless; the kitchen queue pages
# without duplicates or skips while orders arrive.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use Time::HiRes qw(sleep time);
use RopTest;

my $s = RopTest->start(workers => 4);
my $R = 'rst_001';
my $M = $s->bearer($s->mint($R, 'MANAGER'));
my $K = $s->bearer($s->mint($R, 'KITCHEN'));
my $W = $s->bearer($s->mint($R, 'WAITER'));
my $BODY = { lines => [{ itemId => 'itm_001', quantity => 2 },
    { itemId => 'itm_008', quantity => 1, notes => 'no ice' }],
    note => 'window seat' };

sub open_table {
	my ($tid) = @_;
	my $r = $s->post("/v1/restaurants/$R/tables/$tid/open", undef, $W);
	die "open $tid: $r->{status} $r->{body}" unless $r->{status} == 200;
	return $r->{json};
}

sub place {
	my ($tid, $hdrs) = @_;
	return $s->post("/v1/restaurants/$R/tables/$tid/orders", $BODY,
	    { %$W, %{ $hdrs || {} } });
}

sub one { my @r = $s->sql(@_); return $r[0][0] }

sub events_for {
	my ($type, $oid) = @_;
	return one("SELECT count(*) FROM events WHERE restaurant_id = :'r'"
	    . " AND event_type = :'t'"
	    . " AND (envelope::json -> 'payload' ->> 'orderId') = :'o'",
	    r => $R, t => $type, o => $oid);
}

# --- 20 parallel accepts of one order ---------------------------------------

open_table('tbl_001');
my $r = place('tbl_001');
is($r->{status}, 201, 'an order to accept');
my $oid = $r->{json}{orderId};
my $t0 = time;
my @acc = $s->parallel(20, sub {
	my $res = $s->post("/v1/orders/$oid/accept", undef, $K);
	return { status => $res->{status}, st => $res->{json}{status},
	    version => $res->{json}{version} };
});
diag(sprintf('20 accepts in %.2f s', time - $t0));
is(scalar(grep { ($_->{status} // 0) == 200 } @acc), 20,
    '20 parallel accepts all answer 200');
is(scalar(grep { ($_->{st} // '') eq 'ACCEPTED' } @acc), 20,
    '  every answer shows ACCEPTED');
is(scalar(grep { ($_->{version} // 0) == 2 } @acc), 20,
    '  every answer shows version 2');
$r = $s->get("/v1/orders/$oid", $K);
is($r->{json}{status}, 'ACCEPTED', 'the order is ACCEPTED');
is($r->{json}{version}, 2, 'its version is exactly 2 (one transition)');
is(events_for('order.accepted', $oid), 1, 'exactly one order.accepted event');
is(one("SELECT version FROM orders WHERE restaurant_id = :'r'"
    . " AND order_id = :'o'", r => $R, o => $oid), 2, 'version 2 in SQL');

# The same for ready, and for cancel racing accept on a fresh order.
my @rdy = $s->parallel(20, sub {
	my $res = $s->post("/v1/orders/$oid/ready", undef, $K);
	return { status => $res->{status}, st => $res->{json}{status} };
});
is(scalar(grep { ($_->{status} // 0) == 200 && $_->{st} eq 'READY' } @rdy),
    20, '20 parallel readies all answer 200 READY');
is(events_for('order.ready', $oid), 1, 'exactly one order.ready event');
is($s->get("/v1/orders/$oid", $K)->{json}{version}, 3, 'version 3');

$r = place('tbl_001');
my $oid2 = $r->{json}{orderId};
my @mix = $s->parallel(20, sub {
	my $i = shift;
	my $res = $i % 2
	    ? $s->post("/v1/orders/$oid2/accept", undef, $M)
	    : $s->post("/v1/orders/$oid2/cancel", { reason => 'race' }, $M);
	return { act => $i % 2 ? 'accept' : 'cancel', status => $res->{status},
	    code => $res->{json}{error}{code} // '',
	    st => $res->{json}{status} // '' };
});
my $final = $s->get("/v1/orders/$oid2", $M)->{json};
my $moves = events_for('order.accepted', $oid2) +
    events_for('order.cancelled', $oid2);
ok($final->{status} eq 'CANCELLED' || $final->{status} eq 'ACCEPTED',
    "accept racing cancel ends $final->{status}");
ok($moves >= 1 && $moves <= 2, "  with $moves events");
is($final->{version}, 1 + $moves, '  and one version per event');
is(scalar(grep { $_->{status} != 200 && $_->{status} != 409 } @mix), 0,
    '  every answer is 200 or 409');
is(scalar(grep { $_->{status} == 409 &&
    $_->{code} ne 'INVALID_ORDER_TRANSITION' } @mix), 0,
    '  every 409 is INVALID_ORDER_TRANSITION');

# --- 20 parallel placements with one Idempotency-Key ------------------------

open_table('tbl_002');
my $key = 'conc-' . int(rand(1e9));
$t0 = time;
my @plc = $s->parallel(20, sub {
	my $i = shift;
	# Same JSON value, different key order and spacing per child.
	my $raw = $i % 2
	    ? '{"lines":[{"itemId":"itm_001","quantity":2},{"itemId":"itm_008","quantity":1,"notes":"no ice"}],"note":"window seat"}'
	    : '{ "note" : "window seat", "lines" : [ {"quantity":2, "itemId":"itm_001"}, {"notes":"no ice","quantity":1,"itemId":"itm_008"} ] }';
	my $res = $s->post("/v1/restaurants/$R/tables/tbl_002/orders", \$raw,
	    { %$W, 'Idempotency-Key' => $key });
	return { status => $res->{status}, oid => $res->{json}{orderId},
	    code => $res->{json}{error}{code},
	    replayed => $res->{headers}{'idempotent-replayed'} };
});
diag(sprintf('20 placements in %.2f s', time - $t0));
is(scalar(grep { ($_->{status} // 0) == 201 } @plc), 20,
    '20 parallel placements with one key all answer 201')
    or diag(explain([grep { ($_->{status} // 0) != 201 } @plc]));
my %oids = map { ($_->{oid} // 'none') => 1 } @plc;
is(scalar(keys %oids), 1, '  all with the same orderId');
my ($placed) = keys %oids;
is(scalar(grep { ($_->{replayed} // '') eq 'true' } @plc), 19,
    '  19 carry Idempotent-Replayed: true');
is(scalar(grep { !defined $_->{replayed} } @plc), 1,
    '  the original carries no Idempotent-Replayed');
is(one("SELECT count(*) FROM orders WHERE restaurant_id = :'r'"
    . " AND table_id = 'tbl_002' AND idem_key = :'k'", r => $R, k => $key), 1,
    'exactly one orders row for the key');
is(one("SELECT count(*) FROM orders WHERE restaurant_id = :'r'"
    . " AND table_id = 'tbl_002'", r => $R), 1, 'and no other order on the table');
is(one("SELECT count(*) FROM order_lines WHERE restaurant_id = :'r'"
    . " AND order_id = :'o'", r => $R, o => $placed), 2, 'with its 2 lines');
is(events_for('order.placed', $placed), 1, 'exactly one order.placed event');

# A different body with the key, in parallel with replays: 409s only.
my @mism = $s->parallel(10, sub {
	my $i = shift;
	my $body = $i % 2 ? $BODY : { lines => [{ itemId => 'itm_002',
	    quantity => 1 }] };
	my $res = $s->post("/v1/restaurants/$R/tables/tbl_002/orders", $body,
	    { %$W, 'Idempotency-Key' => $key });
	return { same => $i % 2, status => $res->{status},
	    code => $res->{json}{error}{code} // '',
	    oid => $res->{json}{orderId} // '' };
});
is(scalar(grep { $_->{same} && $_->{status} == 201 && $_->{oid} eq $placed }
    @mism), 5, 'same body replays the order');
is(scalar(grep { !$_->{same} && $_->{status} == 409 && $_->{code} eq
    'IDEMPOTENCY_KEY_REPLAY_DIFFERENT_PAYLOAD' } @mism), 5,
    'different body is 409 IDEMPOTENCY_KEY_REPLAY_DIFFERENT_PAYLOAD');
is(one("SELECT count(*) FROM orders WHERE restaurant_id = :'r'"
    . " AND table_id = 'tbl_002'", r => $R), 1, 'still one order');

# 20 distinct keys in parallel: 20 orders, 20 events.
my @dist = $s->parallel(20, sub {
	my $i = shift;
	my $res = place('tbl_002', { 'Idempotency-Key' => "$key-$i" });
	return { status => $res->{status}, oid => $res->{json}{orderId} };
});
is(scalar(grep { $_->{status} == 201 } @dist), 20, '20 distinct keys: 201');
is(scalar(keys %{ { map { $_->{oid} => 1 } @dist } }), 20,
    '  20 different orders');

# --- close racing a placement -----------------------------------------------

my %outcome;
my $violations = 0;
my $rounds = 10;
for my $round (1 .. $rounds) {
	open_table('tbl_005');
	my @res = $s->parallel(2, sub {
		my $i = shift;
		my $res = $i == 0
		    ? $s->post("/v1/restaurants/$R/tables/tbl_005/close", undef,
		    $W)
		    : place('tbl_005');
		return { status => $res->{status},
		    code => $res->{json}{error}{code} // '',
		    oid => $res->{json}{orderId},
		    reason => $res->{json}{error}{details}{reason} // '' };
	});
	my ($cl, $pl) = @res;
	my $o = "close $cl->{status} $cl->{code} / place $pl->{status} "
	    . "$pl->{code}";
	$outcome{$o}++;
	my $good = ($cl->{status} == 200 && $pl->{status} == 409 &&
	    $pl->{code} eq 'TABLE_NOT_OPEN') ||
	    ($pl->{status} == 201 && $cl->{status} == 409 &&
	    $cl->{code} eq 'TABLE_CLOSE_BLOCKED' &&
	    $cl->{reason} eq 'HAS_NON_READY_ORDERS');
	ok($good, "round $round: $o");
	$violations += one("SELECT count(*) FROM orders o JOIN table_sessions t"
	    . " ON t.restaurant_id = o.restaurant_id"
	    . " AND t.session_id = o.session_id"
	    . " WHERE o.restaurant_id = :'r' AND t.status = 'CLOSED'"
	    . " AND o.status IN ('PLACED', 'ACCEPTED')", r => $R);
	# Finish the order and close, so the next round opens afresh.
	if ($pl->{status} == 201) {
		$s->post("/v1/orders/$pl->{oid}/$_", undef, $K) for qw(accept
		    ready);
		$r = $s->post("/v1/restaurants/$R/tables/tbl_005/close", undef,
		    $W);
		is($r->{status}, 200, "  round $round: close after ready");
	}
}
is($violations, 0, 'never a PLACED/ACCEPTED order in a closed session');
diag("close/place outcomes: " . join('; ', map { "$_ x$outcome{$_}" }
    sort keys %outcome));
is(one("SELECT count(*) FROM table_sessions WHERE restaurant_id = :'r'"
    . " AND table_id = 'tbl_005'", r => $R), $rounds,
    "$rounds sessions on the raced table");
is(one("SELECT count(*) FROM table_sessions WHERE restaurant_id = :'r'"
    . " AND table_id = 'tbl_005' AND status = 'OPEN'", r => $R), 0,
    'none left open');

# Parallel opens of one table: one session, one event.
my @opens = $s->parallel(10, sub {
	my $res = $s->post("/v1/restaurants/$R/tables/tbl_007/open", undef, $W);
	return { status => $res->{status}, sid => $res->{json}{sessionId} };
});
is(scalar(grep { $_->{status} == 200 } @opens), 10, '10 parallel opens: 200');
is(scalar(keys %{ { map { ($_->{sid} // '') => 1 } @opens } }), 1,
    '  one session');
is(one("SELECT count(*) FROM events WHERE restaurant_id = :'r'"
    . " AND event_type = 'table.opened' AND table_id = 'tbl_007'", r => $R), 1,
    '  one table.opened event');

# --- gapless seqs -------------------------------------------------------------

my @seq = @{ ($s->sql("SELECT count(*), count(DISTINCT seq), min(seq),"
    . " max(seq) FROM events WHERE restaurant_id = :'r'", r => $R))[0] };
my ($head) = one("SELECT last_seq FROM event_counters"
    . " WHERE restaurant_id = :'r'", r => $R);
ok($seq[0] > 50, "rst_001 has $seq[0] events");
is($seq[1], $seq[0], 'seqs are unique');
is($seq[2], 1, 'seqs start at 1');
is($seq[3], $seq[0], 'seqs are gapless (max = count)');
is($head, $seq[3], 'the counter is at the last seq');
my $ev = $s->get("/v1/restaurants/$R/events?limit=500", $K)->{json};
is_deeply([map { $_->{seq} } @{ $ev->{events} }], [1 .. $seq[3]],
    'the catch-up shows 1..N in order');

# --- kitchen paging while orders arrive ---------------------------------------

open_table('tbl_006');
place('tbl_006') for 1 .. 30;
my @before = map { $_->[0] } $s->sql("SELECT order_id FROM orders"
    . " WHERE restaurant_id = :'r' ORDER BY created_at DESC, order_id DESC",
    r => $R);
ok(@before > 50, scalar(@before) . ' orders before paging');
my ($pager, $placer) = $s->parallel(2, sub {
	my $i = shift;
	if ($i == 1) {
		my $n = 0;
		for (1 .. 40) {
			$n++ if place('tbl_006')->{status} == 201;
			sleep 0.01;
		}
		return { placed => $n };
	}
	my (@ids, @keys, $cursor, $pages);
	do {
		my $q = "status=ALL&limit=7" .
		    (defined $cursor ? "&cursor=$cursor" : '');
		my $res = $s->get("/v1/restaurants/$R/kitchen/orders?$q", $K);
		return { error => "$res->{status} $res->{body}" }
		    unless $res->{status} == 200;
		push @ids, map { $_->{orderId} } @{ $res->{json}{orders} };
		push @keys, map { "$_->{createdAt} $_->{orderId}" }
		    @{ $res->{json}{orders} };
		$cursor = $res->{json}{nextCursor};
		$pages++;
		sleep 0.03;	# let placements land between pages
	} while (defined $cursor && $pages < 200);
	return { ids => \@ids, keys => \@keys, pages => $pages };
});
ok(!$pager->{error}, 'paging succeeded') or diag($pager->{error});
is($placer->{placed}, 40, '40 orders placed while paging');
diag("paged in $pager->{pages} pages");
cmp_ok($pager->{pages}, '>=', int(@before / 7), 'paged through many pages');
my %count;
$count{$_}++ for @{ $pager->{ids} };
is(scalar(grep { $count{$_} > 1 } keys %count), 0, 'no order twice');
is(scalar(grep { ($count{$_} // 0) != 1 } @before), 0,
    'every order that existed before the first page appears exactly once');
my @k = @{ $pager->{keys} };
is_deeply(\@k, [sort { $b cmp $a } @k],
    'pages join in strictly descending (createdAt, orderId)');
my %pre = map { $_ => 1 } @before;
my @new = grep { !$pre{$_} } @{ $pager->{ids} };
diag(scalar(@new) . ' new orders seen (only possible before the cursor)');
is_deeply([@{ $pager->{ids} }[scalar(@new) .. $#{ $pager->{ids} }]], \@before,
    'after any new ones at the top, exactly the earlier orders in order');

# The seqs are still gapless after all of it.
@seq = @{ ($s->sql("SELECT count(*), count(DISTINCT seq), min(seq),"
    . " max(seq) FROM events WHERE restaurant_id = :'r'", r => $R))[0] };
ok($seq[0] == $seq[1] && $seq[2] == 1 && $seq[3] == $seq[0],
    "still gapless and unique at the end (1..$seq[3])");

done_testing;
