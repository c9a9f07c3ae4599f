#!/usr/bin/env perl
# Orders (SPEC §6, §9.3, §9.4, §9.5, §9.7, §9.16–18): placement rules,
# idempotency, reading, and every transition with its error codes.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use RopTest;

my $s = RopTest->start;
my %tok = map { $_ => $s->mint('rst_001', $_) } qw(ADMIN MANAGER WAITER KITCHEN);
my $other = $s->mint('rst_002', 'MANAGER');
my $W = $s->bearer($tok{WAITER});
my $K = $s->bearer($tok{KITCHEN});
my $M = $s->bearer($tok{MANAGER});
my $base = '/v1/restaurants/rst_001/tables';

sub err_is {
	my ($r, $status, $code, $name) = @_;
	is($r->{status}, $status, "$name: status $status");
	is($r->{json}{error}{code}, $code, "$name: code $code")
	    or diag $r->{body};
	return $r->{json}{error};
}

sub events_of {
	my ($oid, $type) = @_;
	my ($n) = $s->sql("SELECT count(*) FROM events WHERE envelope::json->'payload'->>'orderId' = :'o' AND event_type = :'t'",
	    o => $oid, t => $type);
	return $n->[0];
}

is($s->post("$base/tbl_001/open", undef, $W)->{status}, 200, 'open tbl_001');
is($s->post("$base/tbl_002/open", {}, $W)->{status}, 200, 'open tbl_002 with {}');

# --- a placement and its shape ---------------------------------------
my $r = $s->post("$base/tbl_001/orders", { lines => [
    { itemId => 'itm_001', quantity => 2 },
    { itemId => 'itm_004', quantity => 1, notes => 'no salt' } ],
    note => 'birthday' }, $W);
is($r->{status}, 201, 'place: 201');
my $o = $r->{json};
like($o->{orderId}, qr/^ord_[0-9A-HJKMNP-TV-Z]{26}$/, 'order id is ord_ + ULID');
is($o->{status}, 'PLACED', 'status PLACED');
is($o->{version}, 1, 'version 1');
is($o->{total}{amountCents}, 2 * 1250 + 650, 'total is the sum of line totals');
is($o->{total}{currency}, 'USD', 'currency of the restaurant');
is($o->{lines}[0]{unitPrice}{amountCents}, 1250, 'unit price snapshot');
is($o->{lines}[0]{lineTotal}{amountCents}, 2500, 'line total');
is($o->{lines}[0]{name}, 'Margherita Pizza', 'line name');
is($o->{lines}[1]{notes}, 'no salt', 'line notes');
is($o->{lines}[0]{notes}, undef, 'absent notes are null');
like($o->{lines}[0]{lineId}, qr/^oln_/, 'line ids');
like($o->{createdAt}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'createdAt RFC 3339 ms');
is($o->{$_}, undef, "$_ null") for qw(acceptedAt readyAt paidAt cancelledAt);
is(events_of($o->{orderId}, 'order.placed'), 1, 'one order.placed event');

# The price is a snapshot: changing the menu later changes nothing.
$s->sql("UPDATE menu_items SET price_cents = 9999 WHERE restaurant_id = 'rst_001' AND item_id = 'itm_001'");
$r = $s->get("/v1/orders/$o->{orderId}", $K);
is($r->{status}, 200, 'get order');
is($r->{json}{lines}[0]{unitPrice}{amountCents}, 1250, 'snapshot survives a price change');
$s->sql("UPDATE menu_items SET price_cents = 1250 WHERE restaurant_id = 'rst_001' AND item_id = 'itm_001'");
is_deeply([sort keys %{ $r->{json} }], [sort qw(orderId restaurantId tableId sessionId status lines note total createdAt acceptedAt readyAt paidAt cancelledAt version)], 'OrderResponse keys');

# --- validation ---------------------------------------------------------
my $line = { itemId => 'itm_001', quantity => 1 };
my @bad = (
    [ {}, 'lines', 'no lines' ],
    [ { lines => [] }, 'lines', 'empty lines' ],
    [ { lines => [ ($line) x 51 ] }, 'lines', '51 lines' ],
    [ { lines => 'x' }, 'lines', 'lines not an array' ],
    [ { lines => [ { itemId => 'itm_001', quantity => 0 } ] }, 'lines[0].quantity', 'quantity 0' ],
    [ { lines => [ { itemId => 'itm_001', quantity => 100 } ] }, 'lines[0].quantity', 'quantity 100' ],
    [ { lines => [ $line, { itemId => 'itm_001', quantity => '2' } ] }, 'lines[1].quantity', 'quantity as string' ],
    [ { lines => [ { itemId => 'itm_001' } ] }, 'lines[0].quantity', 'quantity missing' ],
    [ { lines => [ { itemId => 'itm_001', quantity => 1, notes => 'x' x 201 } ] }, 'lines[0].notes', 'notes of 201 chars' ],
    [ { lines => [ { itemId => 'itm_001', quantity => 1, extra => 1 } ] }, 'lines[0].extra', 'unknown line field' ],
    [ { lines => [ $line ], tip => 1 }, 'tip', 'unknown top-level field' ],
    [ { lines => [ { itemId => 'bad id!', quantity => 1 } ] }, 'lines[0].itemId', 'bad item id' ],
    [ { lines => [ { itemId => 7, quantity => 1 } ] }, 'lines[0].itemId', 'item id not a string' ],
    [ { lines => [ $line ], note => [] }, 'note', 'note not a string' ],
);
for my $b (@bad) {
	my $e = err_is($s->post("$base/tbl_001/orders", $b->[0], $W), 400, 'VALIDATION_ERROR', $b->[2]);
	is($e->{details}{field}, $b->[1], "$b->[2]: details.field $b->[1]");
}
$r = $s->post("$base/tbl_001/orders", \'{"lines":[{"itemId":"itm_001","quantity":1.5}]}', $W);
err_is($r, 400, 'VALIDATION_ERROR', 'fractional quantity');
$r = $s->post("$base/tbl_001/orders", \'{"lines":[{"itemId":"itm_001","quantity":1}', $W);
err_is($r, 400, 'MALFORMED_JSON', 'truncated JSON');
$r = $s->post("$base/tbl_001/orders", \'[1,2]', $W);
err_is($r, 400, 'VALIDATION_ERROR', 'array body');
$r = $s->post("$base/tbl_001/orders", \"{\"lines\":[{\"itemId\":\"itm_001\",\"quantity\":1,\"notes\":\"\xff\"}]}", $W);
err_is($r, 400, 'VALIDATION_ERROR', 'invalid UTF-8');
$r = $s->post("$base/tbl_001/orders", \'lines=1', { %$W, 'Content-Type' => 'text/plain' });
err_is($r, 415, 'UNSUPPORTED_MEDIA_TYPE', 'text/plain body');
# 200 characters are code points, not bytes.
my $emoji = "\x{1F355}" x 200;
$r = $s->request('POST', "$base/tbl_001/orders", \ JSON::PP->new->utf8->encode({ lines => [ { itemId => 'itm_008', quantity => 1, notes => $emoji } ] }), $W);
is($r->{status}, 201, 'notes of 200 emoji (800 bytes) accepted');
$r = $s->post("$base/tbl_001/orders", { lines => [ { itemId => 'itm_404', quantity => 1 } ] }, $W);
is(err_is($r, 400, 'ITEM_NOT_FOUND', 'unknown item')->{details}{itemId}, 'itm_404', 'details.itemId');
$r = $s->post("$base/tbl_001/orders", { lines => [ $line, { itemId => 'itm_007', quantity => 1 } ] }, $W);
is(err_is($r, 400, 'ITEM_UNAVAILABLE', 'unavailable item')->{details}{itemId}, 'itm_007', 'details.itemId');
err_is($s->post("$base/tbl_003/orders", { lines => [ $line ] }, $W), 409, 'TABLE_NOT_OPEN', 'closed table');
err_is($s->post("$base/tbl_404/orders", { lines => [ $line ] }, $W), 404, 'TABLE_NOT_FOUND', 'unknown table');
err_is($s->post("$base/tbl_001/orders", { lines => [ $line ] }), 401, 'UNAUTHORIZED', 'no token');
err_is($s->post("$base/tbl_001/orders", { lines => [ $line ] }, $s->bearer($other)), 404, 'NOT_FOUND', 'token of another restaurant');
err_is($s->post("$base/tbl_001/orders", { lines => [ $line ] }, $K), 403, 'FORBIDDEN', 'KITCHEN may not place');
# §9.16: a bad body from another tenant is still 404, not 400.
err_is($s->post("$base/tbl_001/orders", \'{', $s->bearer($other)), 404, 'NOT_FOUND', 'tenant before syntax');
# ... and a bad body from a role that may not place is 400, not 403.
err_is($s->post("$base/tbl_001/orders", \'{', $K), 400, 'MALFORMED_JSON', 'syntax before role');

# --- idempotency ----------------------------------------------------------
my $body = { lines => [ { itemId => 'itm_002', quantity => 1, notes => 'rare' } ], note => undef };
$r = $s->post("$base/tbl_002/orders", $body, { %$W, 'Idempotency-Key' => 'key-1' });
is($r->{status}, 201, 'keyed placement');
my $first = $r->{json}{orderId};
ok(!$r->{headers}{'idempotent-replayed'}, 'first placement is not a replay');
# The same JSON value: other key order, whitespace, null note absent.
$r = $s->post("$base/tbl_002/orders", \"{ \"lines\" : [ {\"notes\":\"rare\", \"quantity\":1, \"itemId\":\"itm_002\"} ] }",
    { %$W, 'Idempotency-Key' => 'key-1' });
is($r->{status}, 201, 'replay: 201');
is($r->{json}{orderId}, $first, 'replay: the original order');
is($r->{headers}{'idempotent-replayed'}, 'true', 'replay: Idempotent-Replayed: true');
is(events_of($first, 'order.placed'), 1, 'replay: no second event');
my ($cnt) = $s->sql("SELECT count(*) FROM orders WHERE idem_key = 'key-1'");
is($cnt->[0], 1, 'replay: one row');
$r = $s->post("$base/tbl_002/orders", { lines => [ { itemId => 'itm_002', quantity => 2 } ] }, { %$W, 'Idempotency-Key' => 'key-1' });
err_is($r, 409, 'IDEMPOTENCY_KEY_REPLAY_DIFFERENT_PAYLOAD', 'same key, other body');
$r = $s->post("$base/tbl_001/orders", $body, { %$W, 'Idempotency-Key' => 'key-1' });
is($r->{status}, 201, 'same key at another table is another order');
isnt($r->{json}{orderId}, $first, 'keys are scoped to the table');
my $e1 = err_is($s->post("$base/tbl_002/orders", $body, { %$W, 'Idempotency-Key' => 'x' x 129 }), 400, 'VALIDATION_ERROR', 'key of 129 characters');
is($e1->{details}{field}, 'Idempotency-Key', 'details.field Idempotency-Key');
# HTTP::Tiny refuses to send a control character, curl does not.
for my $k ("bad\x01key", "cl\xc3\xa9") {
	open(my $fh, '-|', 'curl', '-s', '-X', 'POST', '-H', "Authorization: Bearer $tok{WAITER}",
	    '-H', 'Content-Type: application/json', '-H', "Idempotency-Key: $k",
	    '--data-binary', '{"lines":[{"itemId":"itm_001","quantity":1}]}',
	    $s->url("$base/tbl_002/orders")) or die "curl: $!";
	my $out = do { local $/; <$fh> };
	close $fh;
	my $j = eval { JSON::PP->new->decode($out) } || {};
	is($j->{error}{details}{field}, 'Idempotency-Key', 'non-printable key refused: details.field');
}
# The replay answers the order in its current state.
is($s->post("/v1/orders/$first/accept", undef, $K)->{status}, 200, 'accept the keyed order');
$r = $s->post("$base/tbl_002/orders", $body, { %$W, 'Idempotency-Key' => 'key-1' });
is($r->{json}{status}, 'ACCEPTED', 'replay shows the current state');

# --- reading ---------------------------------------------------------------
my $oid = $o->{orderId};
is($s->get("/v1/orders/$oid", $W)->{status}, 200, 'WAITER reads an order');
err_is($s->get("/v1/orders/$oid", $s->bearer($other)), 404, 'ORDER_NOT_FOUND', 'other restaurant reads');
err_is($s->get('/v1/orders/ord_nope', $K), 404, 'ORDER_NOT_FOUND', 'unknown order');
err_is($s->get("/v1/orders/$oid"), 401, 'UNAUTHORIZED', 'no token');
is($s->get("/v1/orders/$oid")->{headers}{'www-authenticate'}, 'Bearer', 'WWW-Authenticate: Bearer');

# --- transitions -------------------------------------------------------------
err_is($s->post("/v1/orders/$oid/accept", undef, $W), 403, 'FORBIDDEN', 'WAITER may not accept');
err_is($s->post("/v1/orders/$oid/ready", undef, $K), 409, 'INVALID_ORDER_TRANSITION', 'ready before accept');
err_is($s->post("/v1/orders/$oid/accept", { x => 1 }, $K), 400, 'VALIDATION_ERROR', 'accept with a payload');
$r = $s->post("/v1/orders/$oid/accept", {}, $K);
is($r->{status}, 200, 'KITCHEN accepts with {}');
is($r->{json}{status}, 'ACCEPTED', 'ACCEPTED');
is($r->{json}{version}, 2, 'version 2');
like($r->{json}{acceptedAt}, qr/Z$/, 'acceptedAt set');
$r = $s->post("/v1/orders/$oid/accept", undef, $K);
is($r->{status}, 200, 'repeat accept: 200');
is($r->{json}{version}, 2, 'repeat accept: unchanged');
is(events_of($oid, 'order.accepted'), 1, 'repeat accept: no second event');
my $e = err_is($s->post("/v1/orders/$oid/cancel", { reason => 'x' }, $W), 403, 'FORBIDDEN', 'WAITER cancels ACCEPTED');
is($s->get("/v1/orders/$oid", $K)->{json}{status}, 'ACCEPTED', '403 left the order unchanged');
err_is($s->post("/v1/orders/$oid/cancel", { reason => 'x' }, $K), 403, 'FORBIDDEN', 'KITCHEN may not cancel');
$r = $s->post("/v1/orders/$oid/ready", undef, $K);
is($r->{json}{status}, 'READY', 'ready');
$e = err_is($s->post("/v1/orders/$oid/accept", undef, $K), 409, 'INVALID_ORDER_TRANSITION', 'accept on READY');
is($e->{details}{from}, 'READY', 'details.from');
is($e->{details}{to}, 'ACCEPTED', 'details.to');
err_is($s->post("/v1/orders/$oid/cancel", { reason => 'late' }, $M), 409, 'INVALID_ORDER_TRANSITION', 'MANAGER cancels READY');
err_is($s->post("/v1/orders/$oid/cancel", { reason => 'late' }, $W), 403, 'FORBIDDEN', 'WAITER cancels READY');

# Cancel: WAITER only while PLACED; reason 1..200; repeat is 200.
$r = $s->post("$base/tbl_001/orders", { lines => [ $line ] }, $W);
my $c = $r->{json}{orderId};
err_is($s->post("/v1/orders/$c/cancel", undef, $W), 400, 'VALIDATION_ERROR', 'cancel without reason');
err_is($s->post("/v1/orders/$c/cancel", { reason => '' }, $W), 400, 'VALIDATION_ERROR', 'empty reason');
err_is($s->post("/v1/orders/$c/cancel", { reason => 'x' x 201 }, $W), 400, 'VALIDATION_ERROR', 'reason of 201');
err_is($s->post("/v1/orders/$c/cancel", { reason => 'x', y => 1 }, $W), 400, 'VALIDATION_ERROR', 'unknown cancel field');
$r = $s->post("/v1/orders/$c/cancel", { reason => 'changed mind' }, $W);
is($r->{status}, 200, 'WAITER cancels PLACED');
is($r->{json}{status}, 'CANCELLED', 'CANCELLED');
like($r->{json}{cancelledAt}, qr/Z$/, 'cancelledAt');
is($s->post("/v1/orders/$c/cancel", { reason => 'again' }, $W)->{status}, 200, 'repeat cancel by WAITER: 200');
is($s->post("/v1/orders/$c/cancel", { reason => 'again' }, $M)->{status}, 200, 'repeat cancel by MANAGER: 200');
is(events_of($c, 'order.cancelled'), 1, 'one order.cancelled event');
err_is($s->post("/v1/orders/$c/accept", undef, $K), 409, 'INVALID_ORDER_TRANSITION', 'accept a CANCELLED order');
$r = $s->post("$base/tbl_001/orders", { lines => [ $line ] }, $W);
my $c2 = $r->{json}{orderId};
$s->post("/v1/orders/$c2/accept", undef, $K);
is($s->post("/v1/orders/$c2/cancel", { reason => 'oven broke' }, $M)->{json}{status}, 'CANCELLED', 'MANAGER cancels ACCEPTED');
my ($ev) = $s->sql("SELECT envelope FROM events WHERE event_type = 'order.cancelled' AND envelope::json->'payload'->>'orderId' = :'o'", o => $c2);
my $env = JSON::PP->new->decode($ev->[0]);
is($env->{payload}{reason}, 'oven broke', 'order.cancelled carries the reason');
is_deeply([sort keys %{ $env->{payload} }], [sort qw(orderId tableId reason cancelledAt)], 'order.cancelled payload keys');

# Events are gapless per restaurant.
my @seq = map { $_->[0] } $s->sql("SELECT seq FROM events WHERE restaurant_id = 'rst_001' ORDER BY seq");
is_deeply(\@seq, [1 .. scalar @seq], 'seq is 1..N without gaps');

# Metrics of the ordering core.
my $m = $s->get($s->internal_url('/metrics'))->{body};
like($m, qr/^rop_orders_placed_total \d+/m, 'rop_orders_placed_total');
like($m, qr/^rop_order_transition_total\{from="PLACED",to="ACCEPTED"\} \d+/m, 'transition counter');
like($m, qr/^rop_order_time_to_accept_seconds_count \d+/m, 'time to accept histogram');
like($m, qr/^rop_order_time_to_ready_seconds_count \d+/m, 'time to ready histogram');

done_testing;
