#!/usr/bin/env perl
# Byte comparison of response bodies and event envelopes between two
# builds (issue 15, item 4: JSON moved from SQL to C, bytes unchanged).
# Run it from each tree (its migrations) with that tree's binaries:
#   CMP_OUT=/tmp/old.txt ROP_BIN=$OLD/build/bin prove tests/compare/json-bytes.t
#   CMP_OUT=/tmp/new.txt ROP_BIN=$PWD/build/bin prove tests/compare/json-bytes.t
#   diff /tmp/old.txt /tmp/new.txt
# It places orders (odd notes: quotes, backslash, slash, non-ASCII,
# control characters), replays one, reads, pages the kitchen queue,
# accepts twice, readies, cancels, captures (and replays), lists
# payments, reads tables and summaries, closes; writes every raw body
# and every outbox envelope with ids, times and cursors masked.
# Not part of make test.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use RopTest;
use JSON::PP;
my $J = JSON::PP->new->utf8->canonical;
sub B { my $x = $J->encode($_[0]); return \$x }

my $s = RopTest->start;
my $W = $s->bearer($s->mint('rst_001', 'WAITER'));
my $K = $s->bearer($s->mint('rst_001', 'KITCHEN'));
my $M = $s->bearer($s->mint('rst_001', 'MANAGER'));
my $base = '/v1/restaurants/rst_001/tables';
my @out;
sub rec { my ($tag, $r) = @_; push @out, "$tag $r->{status} $r->{body}"; return $r }
rec('tables0', $s->get($base, $W));
rec('table0', $s->get("$base/tbl_003", $W));
rec('summary0', $s->get("$base/tbl_003/summary", $W));
rec('open', $s->post("$base/tbl_001/open", undef, $W));
my @o;
for my $i (1 .. 3) {
	my $r = rec("place$i", $s->post("$base/tbl_001/orders", B({ lines => [
	    { itemId => 'itm_001', quantity => $i },
	    { itemId => 'itm_004', quantity => 1, notes => "q\"b\\s/\x{e9}\x{1F600}\x01\x7f\t\n<>&'" } ],
	    ($i == 2 ? (note => "n\x{2028}\x{1f}x/\"") : ()) }), { %$W, 'Idempotency-Key' => "k$i" }));
	push @o, $r->{json}{orderId};
}
rec('replay', $s->post("$base/tbl_001/orders", B({ lines => [
    { itemId => 'itm_001', quantity => 1 },
    { itemId => 'itm_004', quantity => 1, notes => "q\"b\\s/\x{e9}\x{1F600}\x01\x7f\t\n<>&'" } ] }),
    { %$W, 'Idempotency-Key' => "k1" }));
rec('get1', $s->get("/v1/orders/$o[0]", $K));
rec('get2', $s->get("/v1/orders/$o[1]", $W));
rec('kitchen', $s->get("/v1/restaurants/rst_001/kitchen/orders", $K));
rec('kitchen1', my $kr = $s->get("/v1/restaurants/rst_001/kitchen/orders?limit=1", $K));
rec('kitchen2', $s->get("/v1/restaurants/rst_001/kitchen/orders?limit=1&cursor=$kr->{json}{nextCursor}", $K));
rec('accept', $s->post("/v1/orders/$o[0]/accept", undef, $K));
rec('accept-again', $s->post("/v1/orders/$o[0]/accept", undef, $K));
rec('ready', $s->post("/v1/orders/$o[0]/ready", undef, $K));
rec('cancel', $s->post("/v1/orders/$o[1]/cancel", { reason => "r/\"x" }, $M));
rec('table-orders', $s->get("$base/tbl_001/orders", $W));
rec('table-orders-all', $s->get("$base/tbl_001/orders?status=ALL&limit=2", $W));
rec('capture', $s->post("/v1/orders/$o[0]/payments:capture", { method => 'CASH', tip => { amountCents => 100, currency => 'USD' } }, { %$W, 'Idempotency-Key' => 'p1' }));
rec('capture-replay', $s->post("/v1/orders/$o[0]/payments:capture", { method => 'CASH', tip => { amountCents => 100, currency => 'USD' } }, { %$W, 'Idempotency-Key' => 'p1' }));
rec('payments', $s->get("/v1/orders/$o[0]/payments", $W));
rec('get-paid', $s->get("/v1/orders/$o[0]", $W));
rec('summary', $s->get("$base/tbl_001/summary", $W));
rec('table', $s->get("$base/tbl_001", $W));
rec('tables', $s->get($base, $W));
rec('cancel3', $s->post("/v1/orders/$o[2]/cancel", { reason => "done" }, $M));
rec('close', $s->post("$base/tbl_001/close", undef, $W));
rec('summary-closed', $s->get("$base/tbl_001/summary", $W));
rec('table-closed', $s->get("$base/tbl_001", $W));
my @ev = $s->sql("SELECT event_type || ' ' || envelope FROM events ORDER BY restaurant_id, seq");
push @out, map { "event $_->[0]" } @ev;
for (@out) {
	s/\b(ord|oln|pay|ses|ssn|evt)_[0-9A-Za-z]{20,}/$1_ID/g;
	s/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/TIME/g;
	s/"(nextCursor)":"[^"]+"/"$1":"CUR"/g;
	s/"(event_id|request_id|trace_id|providerRef)":"[^"]*"/"$1":"X"/g;
	s/"seq":\d+/"seq":N/g;
}
open(my $fh, '>', $ENV{CMP_OUT} // 'json-bytes.txt') or die;
print $fh "$_\n" for @out;
close $fh;
ok(1, 'recorded ' . scalar(@out));
done_testing;
