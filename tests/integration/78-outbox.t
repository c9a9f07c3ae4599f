#!/usr/bin/env perl
# The outbox without a cap (issue 15 part 5): a transaction appends any
# number of events and writes them in ONE statement.  No route emits
# more than one event per transaction, so tests/outbox/burst (built by
# `make`, linked with the library) runs such a transaction against this
# stack's Postgres and Redis.  A statement-level trigger counts the
# INSERT statements on `events`:
#   - 7 events (the old cap was 4): one statement, seqs head+1..head+7 in
#     append order, the counter advanced by 7, each stored envelope exact;
#     all 7 reach a WebSocket subscriber, in order, each equal to its
#     catch-up envelope;
#   - 100 events: one statement, 100 consecutive seqs;
#   - a rolled-back burst leaves no row and no gap: the next placement
#     takes the next seq, and its one event is one statement too;
#   - a restaurant without a counter: RESTAURANT_NOT_FOUND, nothing
#     written.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use File::Basename qw(dirname);
use JSON::PP;
use Time::HiRes qw(time);
use RopTest;
use RopLive;

my $BURST = $ENV{ROP_OUTBOX_BURST} ||
    dirname($ENV{ROP_BIN} || "$RopTest::ROOT/build/bin")
    . '/tests/outbox/burst';
-x $BURST or BAIL_OUT("no $BURST (make builds it)");

my $s = RopTest->start;
my $R = 'rst_001';
my $K = $s->bearer($s->mint($R, 'KITCHEN'));
my $M = $s->bearer($s->mint($R, 'MANAGER'));
my $JSON = JSON::PP->new;

$s->sql_owner(<<'SQL');
CREATE TABLE test_event_stmts (n int NOT NULL);
INSERT INTO test_event_stmts VALUES (0);
CREATE FUNCTION test_event_stmt() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS
    $$ BEGIN UPDATE test_event_stmts SET n = n + 1; RETURN NULL; END $$;
CREATE TRIGGER test_event_stmts AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION test_event_stmt();
SQL

sub stmts { ($s->sql_owner('SELECT n FROM test_event_stmts'))[0][0] }
sub head {
	($s->sql("SELECT last_seq FROM event_counters"
	    . " WHERE restaurant_id = :'r'", r => $R))[0][0];
}
# Run burst; returns (exit code, stdout lines, stderr).
sub burst {
	my (@args) = @_;
	my $err = $s->dir . '/burst.err';
	local $ENV{ROP_DATABASE_URL} = $s->env('ROP_DATABASE_URL');
	local $ENV{ROP_REDIS_URL} = $s->env('ROP_REDIS_URL');
	my @out = `'$BURST' @args 2>'$err'`;
	my $rc = $? >> 8;
	chomp @out;
	open(my $fh, '<', $err) or die "$err: $!";
	local $/;
	my $e = <$fh> // '';
	return ($rc, \@out, $e);
}

my $ws = RopLive->new($s, ws => "/ws?restaurant_id=$R&role=KITCHEN",
    token => ($K->{Authorization} =~ s/^Bearer //r));
is($ws->status, 101, 'WebSocket subscriber: 101');

# --- 7 events in one transaction ---------------------------------------------

my $h0 = head();
my $n0 = stmts();
my ($rc, $seqs, $err) = burst($R, 7);
is($rc, 0, 'a transaction with 7 events commits') or diag($err);
is_deeply($seqs, [map { $h0 + $_ } 1 .. 7],
    "seqs head+1 .. head+7 in append order (head $h0)");
is(head(), $h0 + 7, 'the counter advanced by 7');
is(stmts() - $n0, 1, 'the 7 events were ONE insert statement');
my @rows = $s->sql("SELECT seq, event_type, envelope FROM events"
    . " WHERE restaurant_id = :'r' AND seq > :h ORDER BY seq", r => $R,
    h => $h0);
is(scalar @rows, 7, '7 rows in the outbox');
my $good = 1;
for my $i (0 .. $#rows) {
	my $e = eval { $JSON->decode($rows[$i][2]) };
	$good = 0 unless $e && $rows[$i][0] == $h0 + $i + 1
	    && $rows[$i][1] eq 'menu.updated' && $e->{seq} == $rows[$i][0]
	    && $e->{payload}{menuVersion} == $i + 1
	    && $e->{request_id} eq 'burst-1' && !defined $e->{trace_id}
	    && $e->{restaurant_id} eq $R;
	diag("row $i: @{$rows[$i]}") unless $good;
}
ok($good, 'each stored envelope: its seq, type, payload, ids');
my %ids = map { $JSON->decode($_->[2])->{event_id} => 1 } @rows;
is(scalar keys %ids, 7, 'seven distinct event ids');

my @live = $ws->collect(3, sub {
	(grep { $_->{seq} > $h0 } @{ $_[0] }) >= 7 });
my @mine = grep { $_->{seq} > $h0 } @live;
is_deeply([map { $_->{seq} } @mine], [map { $h0 + $_ } 1 .. 7],
    'all 7 reach the WebSocket subscriber, in order');
my $cu = $s->get("/v1/restaurants/$R/events?after=$h0&limit=500", $K);
is($cu->{status}, 200, 'catch-up: 200');
is_deeply(\@mine, $cu->{json}{events},
    'each live envelope is its catch-up envelope');

# --- 100 events --------------------------------------------------------------

$h0 = head();
$n0 = stmts();
($rc, $seqs, $err) = burst($R, 100);
is($rc, 0, 'a transaction with 100 events commits') or diag($err);
is_deeply($seqs, [map { $h0 + $_ } 1 .. 100], '100 consecutive seqs');
is(stmts() - $n0, 1, 'the 100 events were ONE insert statement');
is(($s->sql("SELECT count(*), min(seq), max(seq) FROM events"
    . " WHERE restaurant_id = :'r' AND seq > :h", r => $R, h => $h0))[0][0],
    100, '100 rows in the outbox');

# --- rollback: no rows, no gap -----------------------------------------------

$h0 = head();
($rc, $seqs, $err) = burst($R, 5, 'rollback');
is($rc, 0, 'a burst of 5 written then rolled back') or diag($err);
is(head(), $h0, 'the counter is unchanged');
is(($s->sql("SELECT count(*) FROM events WHERE restaurant_id = :'r'"
    . " AND seq > :h", r => $R, h => $h0))[0][0], 0, 'no row is left');
is($s->post("/v1/restaurants/$R/tables/tbl_001/open", undef, $M)->{status},
    200, 'open tbl_001');
$h0 = head();
$n0 = stmts();
my $r = $s->post("/v1/restaurants/$R/tables/tbl_001/orders",
    { lines => [{ itemId => 'itm_004', quantity => 1 }] }, $M);
is($r->{status}, 201, 'a placement: 201');
is(head(), $h0 + 1, 'its order.placed takes the next seq: no gap');
is(stmts() - $n0, 1, 'a placement writes its event in one statement');

# --- no counter --------------------------------------------------------------

$n0 = stmts();
($rc, $seqs, $err) = burst('rst_nope', 3);
is($rc, 1, 'a restaurant without a counter: the transaction fails');
like($err, qr/RESTAURANT_NOT_FOUND/, '  RESTAURANT_NOT_FOUND');
is(stmts() - $n0, 0, '  and nothing is written');

done_testing;
