#!/usr/bin/env perl
# Hostile HTTP through nginx (issue 8, SPEC §4, §5, §9.5-§9.7, §9.16):
# SQL-injection strings in every string field, path id and query
# parameter; oversized request lines and headers; invalid UTF-8; numbers
# at the int64 edges; duplicate keys; huge arrays; deep nesting;
# Idempotency-Key abuse; forged, expired, alg-none, garbage and
# other-tenant tokens on every endpoint; slow clients.  Every answer is
# the SPEC envelope with the right status and code, and the database is
# unchanged wherever a request was refused.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use IO::Socket::INET;
use IO::Select;
use MIME::Base64 ();
use Digest::SHA ();
use Time::HiRes qw(time sleep);
use RopTest;

my $s = RopTest->start;
my %tok = map { $_ => $s->mint('rst_001', $_) } qw(ADMIN MANAGER WAITER KITCHEN);
my $W = $s->bearer($tok{WAITER});
my $M = $s->bearer($tok{MANAGER});
my $K = $s->bearer($tok{KITCHEN});
my $R = '/v1/restaurants/rst_001';
my $JSONU = JSON::PP->new->utf8->canonical;

# --- helpers -------------------------------------------------------------

# The SPEC §4 envelope: status, JSON content type, error.code, a string
# message, an object of details and requestId = the X-Request-Id header.
sub envelope {
	my ($r, $status, $code, $name) = @_;
	my $ok = 1;
	$ok &&= is($r->{status}, $status, "$name: $status");
	$ok &&= like($r->{headers}{'content-type'} // '',
	    qr{^application/json; charset=utf-8}, "$name: JSON");
	my $e = $r->{json} && ref $r->{json} eq 'HASH' ? $r->{json}{error} : undef;
	if (defined $code) {
		$ok &&= is($e && $e->{code}, $code, "$name: $code");
	}
	$ok &&= ok($e && !ref $e->{message} && defined $e->{message} &&
	    ref $e->{details} eq 'HASH' && defined $r->{json}{requestId} &&
	    $r->{json}{requestId} eq ($r->{headers}{'x-request-id'} // ''),
	    "$name: envelope with message, details, requestId");
	diag(substr($r->{body}, 0, 300)) unless $ok;
	return $e // {};
}

sub field_is {
	my ($r, $field, $name) = @_;
	my $e = envelope($r, 400, 'VALIDATION_ERROR', $name);
	is($e->{details}{field}, $field, "$name: details.field $field");
}

sub counts {
	my %c = map { $_->[0] => $_->[1] } $s->sql(join(' UNION ALL ',
	    map { "SELECT '$_', count(*) FROM $_" } qw(orders order_lines
	    events table_sessions payments)));
	return \%c;
}

sub unchanged {
	my ($before, $name) = @_;
	is_deeply(counts(), $before, "$name: database unchanged");
}

# One raw request on its own connection (for what HTTP::Tiny will not
# send).  Returns { status, headers, body, json }; status 0 when the
# server closed without answering.
sub raw {
	my ($bytes, $timeout) = @_;
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort =>
	    $s->port, Timeout => 5) or die "connect: $!";
	print $c $bytes;
	my ($buf, $sel) = ('', IO::Select->new($c));
	my $end = time + ($timeout // 15);
	while (time < $end && $sel->can_read($end - time)) {
		my $n = sysread($c, $buf, 65536, length $buf);
		last unless $n;
		last if $buf =~ /\r\n\r\n/ && $buf =~ /^Content-Length: (\d+)/mi &&
		    length($buf) >= index($buf, "\r\n\r\n") + 4 + $1;
	}
	close $c;
	return parse_raw($buf);
}

sub parse_raw {
	my ($buf) = @_;
	my $r = { status => 0, headers => {}, body => '' };
	return $r unless $buf =~ s/^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n//;
	$r->{status} = $1;
	my ($head, $body) = split /\r\n\r\n/, $buf, 2;
	for (split /\r\n/, $head // '') {
		$r->{headers}{lc $1} = $2 if /^([^:]+):\s*(.*)$/;
	}
	$r->{body} = $body // '';
	$r->{json} = eval { $JSONU->decode($r->{body}) }
	    if ($r->{headers}{'content-type'} // '') =~ /json/;
	return $r;
}

sub b64u {
	my $t = MIME::Base64::encode_base64url($_[0]);
	$t =~ s/=+$//;
	return $t;
}

sub urlenc {
	my ($v) = @_;
	$v =~ s/([^A-Za-z0-9_~.-])/sprintf('%%%02X', ord $1)/ge;
	return $v;
}

# --- a known state: tbl_001 open with one order -----------------------

is($s->post("$R/tables/tbl_001/open", undef, $W)->{status}, 200, 'open tbl_001');
my $line = { itemId => 'itm_001', quantity => 1 };
my $r = $s->post("$R/tables/tbl_001/orders", { lines => [ $line ] }, $W);
is($r->{status}, 201, 'a first order');
my $oid = $r->{json}{orderId};
my $before = counts();

# --- SQL injection --------------------------------------------------------

my @inj = ("'; DROP TABLE orders; --", "' OR '1'='1", '$1', '\\',
    "\\'; SELECT pg_sleep(5); --", "Robert'); DROP TABLE events;--",
    '"; DELETE FROM orders; --', "1; TRUNCATE order_lines");

# Free text is stored and answered literally, never interpreted.
for my $i (0 .. $#inj) {
	my $v = $inj[$i];
	$r = $s->post("$R/tables/tbl_001/orders", { lines => [ { itemId =>
	    'itm_002', quantity => 1, notes => $v } ], note => $v }, $W);
	is($r->{status}, 201, "injection $i in notes/note: stored");
	is($r->{json}{note}, $v, "injection $i: note comes back literally");
	is($r->{json}{lines}[0]{notes}, $v, "injection $i: notes literally");
	my ($row) = $s->sql("SELECT note FROM orders WHERE order_id = :'o'",
	    o => $r->{json}{orderId});
	is($row->[0], $v, "injection $i: the row holds the text");
}
$r = $s->post("$R/tables/tbl_001/orders", { lines => [ $line ] }, $W);
$r = $s->post("/v1/orders/$r->{json}{orderId}/cancel", { reason => $inj[0] }, $M);
is($r->{status}, 200, 'injection in cancel reason: cancelled');
my ($ev) = $s->sql("SELECT envelope::json->'payload'->>'reason' FROM events WHERE event_type = 'order.cancelled' ORDER BY seq DESC LIMIT 1");
is($ev->[0], $inj[0], 'the event carries the reason literally');
my ($tables_left) = $s->sql("SELECT count(*) FROM pg_tables WHERE tablename IN ('orders','events','order_lines')");
is($tables_left->[0], 3, 'every table is still there');
$before = counts();

# Ids: never interpreted, refused by their syntax.
for my $i (0 .. $#inj) {
	$r = $s->post("$R/tables/tbl_001/orders", { lines => [ { itemId =>
	    $inj[$i], quantity => 1 } ] }, $W);
	field_is($r, 'lines[0].itemId', "injection $i in itemId");
	$r = $s->post('/v1/auth/login', { restaurantId => 'rst_001',
	    username => $inj[$i], password => $inj[$i] });
	envelope($r, 401, 'UNAUTHORIZED', "injection $i in username/password");
	$r = $s->post('/v1/auth/login', { restaurantId => $inj[$i],
	    username => 'admin', password => 'admin-pass' });
	envelope($r, 401, 'UNAUTHORIZED', "injection $i in restaurantId");
}
# A NUL (\u0000) is refused in any string.
for my $f (qw(notes note itemId)) {
	my $body = $f eq 'note' ?
	    '{"lines":[{"itemId":"itm_001","quantity":1}],"note":"a\u0000b"}' :
	    $f eq 'notes' ?
	    '{"lines":[{"itemId":"itm_001","quantity":1,"notes":"a\u0000b"}]}' :
	    '{"lines":[{"itemId":"itm\u0000_001","quantity":1}]}';
	$r = $s->post("$R/tables/tbl_001/orders", \$body, $W);
	envelope($r, 400, 'VALIDATION_ERROR', "NUL in $f");
}
$r = $s->post('/v1/auth/login', \'{"restaurantId":"rst_001","username":"admin\u0000","password":"admin-pass"}');
envelope($r, 400, 'VALIDATION_ERROR', 'NUL in username');
$r = $s->post("/v1/orders/$oid/cancel", \'{"reason":"x\u0000"}', $M);
envelope($r, 400, 'VALIDATION_ERROR', 'NUL in reason');

# Path ids: URL-encoded, they match no route: nginx's JSON 404.
my @paths = ('/v1/restaurants/%s/menu', '/v1/restaurants/rst_001/menu/items/%s',
    '/v1/restaurants/%s/tables', '/v1/restaurants/rst_001/tables/%s',
    '/v1/restaurants/rst_001/tables/%s/open',
    '/v1/restaurants/rst_001/tables/%s/orders', '/v1/restaurants/rst_001/tables/%s/qr',
    '/v1/restaurants/rst_001/tables/%s/summary', '/v1/orders/%s',
    '/v1/orders/%s/accept', '/v1/orders/%s/cancel',
    '/v1/restaurants/%s/kitchen/orders', '/v1/restaurants/%s/events');
for my $p (@paths) {
	for my $v (@inj, 'x' x 65) {
		my $path = sprintf($p, urlenc($v));
		my $m = $path =~ m{/(open|accept|cancel|orders)$} &&
		    $path !~ m{kitchen} ? 'POST' : 'GET';
		$r = $s->request($m, $path, $m eq 'POST' ? {} : undef, $M);
		next if $r->{status} == 404 && ($r->{json}{error}{code} // '') eq 'NOT_FOUND';
		envelope($r, 404, 'NOT_FOUND', "$m $path");
	}
	# nginx refuses an encoded NUL in any path itself: a JSON 400 (sent
	# raw: the API contract documents only 404 for unrouted paths).
	my $path = sprintf($p, 'a%00b');
	$r = raw("GET $path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	envelope($r, 400, 'VALIDATION_ERROR', "GET $path");
}
pass('every injected path id: 404 NOT_FOUND');
# A raw NUL and a raw quote in the request line: nginx's JSON 400.
$r = raw("GET /v1/orders/a\0b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
envelope($r, 400, 'VALIDATION_ERROR', 'raw NUL in the path');
$r = raw("GET /v1/orders/' OR '1'='1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
envelope($r, 400, 'VALIDATION_ERROR', 'raw spaces in the path');

# Query parameters.
for my $v (@inj, "\0", "%00", "A\0B", '') {
	my $q = urlenc($v);
	$r = $s->get("$R/kitchen/orders?status=$q", $K);
	envelope($r, 400, 'INVALID_STATUS', "status=" . substr($q, 0, 20));
	$r = $s->get("$R/tables/tbl_001/orders?status=$q", $W);
	envelope($r, 400, 'INVALID_STATUS', "table orders status=" . substr($q, 0, 20));
	$r = $s->get("$R/kitchen/orders?cursor=$q", $K);
	envelope($r, 400, 'INVALID_CURSOR', "cursor=" . substr($q, 0, 20));
	$r = $s->get("$R/kitchen/orders?limit=$q", $K);
	envelope($r, 400, 'INVALID_LIMIT', "limit=" . substr($q, 0, 20));
	$r = $s->get("$R/events?after=$q", $K);
	is(envelope($r, 400, 'VALIDATION_ERROR', "after=" . substr($q, 0, 20))
	    ->{details}{field}, 'after', 'after: details.field');
	$r = $s->get("$R/events?limit=$q", $K);
	envelope($r, 400, 'INVALID_LIMIT', "events limit=" . substr($q, 0, 20));
}
# Unknown and repeated parameters are ignored / the first one counts.
$r = $s->get("$R/kitchen/orders?status=ALL&status=" . urlenc($inj[0]) . "&x=" . urlenc($inj[1]), $K);
is($r->{status}, 200, 'first status wins, unknown parameters ignored');
unchanged($before, 'injections');

# --- very long request lines and headers ---------------------------------

$r = raw("GET /health/live?" . ('a' x 10000) . " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
envelope($r, 414, 'VALIDATION_ERROR', '10k request line');
$r = raw("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Long: " . ('a' x 9000) . "\r\nConnection: close\r\n\r\n");
is(envelope($r, 400, 'VALIDATION_ERROR', '9k header')->{details}{field},
    'headers', '9k header: details.field headers');
$r = raw("POST $R/tables/tbl_001/orders HTTP/1.1\r\nHost: x\r\n" .
    join('', map { "X-H$_: " . ('b' x 7000) . "\r\n" } 1 .. 6) .
    "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
envelope($r, 400, 'VALIDATION_ERROR', '42k of headers');
$r = raw("GET /health/live HTTP/1.1\r\nHost: x\r\nCookie: " . ('c=' . ('d' x 100) . '; ') x 100 . "\r\nConnection: close\r\n\r\n");
envelope($r, 400, 'VALIDATION_ERROR', '10k cookie');
# Long but within nginx's limits: the app refuses them itself.
$r = $s->post("$R/tables/tbl_001/orders", { lines => [ $line ] },
    { Authorization => 'Bearer ' . ('A' x 7000) });
envelope($r, 401, 'UNAUTHORIZED', '7k bearer token');
$r = $s->post("$R/tables/tbl_001/orders", { lines => [ $line ] },
    { %$W, 'Idempotency-Key' => 'k' x 7000 });
is(envelope($r, 400, 'VALIDATION_ERROR', '7k Idempotency-Key')->{details}{field},
    'Idempotency-Key', '7k key: field');
$r = $s->get('/health/live', { 'X-Request-Id' => 'r' x 7000 });
is($r->{status}, 200, '7k X-Request-Id: served');
like($r->{headers}{'x-request-id'}, qr/^[0-9a-f]{32}$/, '7k X-Request-Id: replaced');
$r = raw("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Request-Id: caf\xc3\xa9\r\nConnection: close\r\n\r\n");
like($r->{headers}{'x-request-id'} // '', qr/^[0-9a-f]{32}$/, 'non-ASCII X-Request-Id replaced');
$r = raw("GET /v1/orders/nope HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $tok{ADMIN}\r\nX-Request-Id: a\"b\r\nConnection: close\r\n\r\n");
envelope($r, 404, 'ORDER_NOT_FOUND', 'a quote in X-Request-Id');
like($r->{headers}{'x-request-id'} // '', qr/^[0-9a-f]{32}$/, '... replaced');
$r = raw("HEAD $R/menu HTTP/1.1\r\nHost: x\r\nX-Long: " . ('a' x 9000) . "\r\nConnection: close\r\n\r\n");
is($r->{status}, 400, 'HEAD with a 9k header: 400');
# Other things nginx refuses before any app sees them: all JSON.
for my $t (["GET /health/live HTTP/3.0\r\nHost: x\r\n\r\n", 'HTTP/3.0'],
    ["POST $R/tables/tbl_001/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n", 'Transfer-Encoding gzip'],
    ["GARBAGE\r\n\r\n", 'garbage request line'],
    ["GET /health/live HTTP/1.1\r\nHost: x\r\nHost: y\r\nConnection: close\r\n\r\n", 'two Host headers'],
    ["POST $R/tables/tbl_001/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\nConnection: close\r\n\r\n", 'two Content-Lengths'],
    ["POST $R/tables/tbl_001/orders HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n", 'negative Content-Length']) {
	$r = raw($t->[0]);
	envelope($r, 400, 'VALIDATION_ERROR', $t->[1]);
}
$r = raw("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5);
is($r->{status}, 200, 'nginx still serves after all that');
unchanged($before, 'long requests');

# --- invalid UTF-8 ---------------------------------------------------------

my %bad8 = (lone_ff => "\xff", overlong => "\xc0\xaf", surrogate => "\xed\xa0\x80",
    truncated => "\xe2\x82", beyond => "\xf4\x90\x80\x80", latin1 => "caf\xe9");
for my $k (sort keys %bad8) {
	my $b = "{\"lines\":[{\"itemId\":\"itm_001\",\"quantity\":1,\"notes\":\"$bad8{$k}\"}]}";
	field_is($s->post("$R/tables/tbl_001/orders", \$b, $W), 'body', "invalid UTF-8 ($k) in notes");
	$b = "{\"lines\":[{\"itemId\":\"itm_001\",\"quantity\":1}],\"note\":\"ok\",\"$bad8{$k}\":1}";
	field_is($s->post("$R/tables/tbl_001/orders", \$b, $W), 'body', "invalid UTF-8 ($k) in a key");
	$b = "{\"reason\":\"$bad8{$k}\"}";
	field_is($s->post("/v1/orders/$oid/cancel", \$b, $M), 'body', "invalid UTF-8 ($k) in reason");
	$b = "{\"restaurantId\":\"rst_001\",\"username\":\"$bad8{$k}\",\"password\":\"x\"}";
	field_is($s->post('/v1/auth/login', \$b), 'body', "invalid UTF-8 ($k) at login");
	$r = $s->get("$R/kitchen/orders?cursor=" . urlenc($bad8{$k}), $K);
	envelope($r, 400, 'INVALID_CURSOR', "invalid UTF-8 ($k) in cursor");
}
$r = $s->post("$R/tables/tbl_001/orders", \ '{"lines":[{"itemId":"itm_001","quantity":1,"notes":"\ud800"}]}', $W);
envelope($r, 400, 'VALIDATION_ERROR', 'lone surrogate escape');
$r = $s->post("$R/tables/tbl_001/orders", \ "\xef\xbb\xbf{\"lines\":[{\"itemId\":\"itm_001\",\"quantity\":1}]}", $W);
envelope($r, 400, 'MALFORMED_JSON', 'a byte order mark');
# An unknown field with a long non-ASCII name: the error stays UTF-8.
$r = $s->request('POST', "$R/tables/tbl_001/orders", \ $JSONU->encode({ lines => [ $line ], "\x{e9}" x 150 => 1 }), $W);
envelope($r, 400, 'VALIDATION_ERROR', 'long non-ASCII unknown field');
ok(utf8::decode(my $copy = $r->{body}), 'its error body is valid UTF-8');
unchanged($before, 'invalid UTF-8');

# --- numbers at the int64 edges ------------------------------------------

for my $n ('9223372036854775807', '-9223372036854775808', '9223372036854775808',
    '-9223372036854775809', '18446744073709551616', '1e309', '-1e309', '1e2',
    '1.0', '0.5', '-0', '-1', '0', '100', '99999999999999999999999999999') {
	my $b = "{\"lines\":[{\"itemId\":\"itm_001\",\"quantity\":$n}]}";
	field_is($s->post("$R/tables/tbl_001/orders", \$b, $W), 'lines[0].quantity', "quantity $n");
	next if $n eq '100';
	$r = $s->get("$R/kitchen/orders?limit=" . urlenc($n), $K);
	envelope($r, 400, 'INVALID_LIMIT', "limit $n");
	$r = $s->get("$R/events?limit=" . urlenc($n), $K);
	envelope($r, 400, 'INVALID_LIMIT', "events limit $n");
	next if $n eq '0' || $n eq '9223372036854775807';
	$r = $s->get("$R/events?after=" . urlenc($n), $K);
	envelope($r, 400, 'VALIDATION_ERROR', "after $n");
}
$r = $s->get("$R/events?after=9223372036854775807", $K);
is($r->{status}, 200, 'after = INT64_MAX is a valid seq');
is($r->{json}{lastSeq}, '9223372036854775807', 'lastSeq echoes it exactly');
is_deeply($r->{json}{events}, [], 'no events after it');
$r = $s->get("$R/events?after=00000000000000000000001", $K);
is($r->{status}, 200, 'leading zeros are still an integer');
$r = $s->post("$R/tables/tbl_001/orders", \'{"lines":[{"itemId":"itm_001","quantity":99}]}', $W);
is($r->{status}, 201, 'quantity 99 is the edge that passes');
$before = counts();

# --- duplicate keys --------------------------------------------------------

for my $t (['{"lines":[{"itemId":"itm_001","quantity":1}],"lines":[{"itemId":"itm_002","quantity":1}]}', 'lines'],
    ['{"lines":[{"itemId":"itm_001","quantity":1,"quantity":2}]}', 'quantity'],
    ['{"lines":[{"itemId":"itm_001","quantity":1}],"note":"a","\u006eote":"b"}', 'note'],
    ['{"lines":[{"itemId":"itm_001","itemId":"itm_002","quantity":1}]}', 'itemId']) {
	is(envelope($s->post("$R/tables/tbl_001/orders", \$t->[0], $W), 400,
	    'VALIDATION_ERROR', "duplicate $t->[1]")->{details}{field}, $t->[1],
	    "duplicate $t->[1]: details.field");
}
is(envelope($s->post("/v1/orders/$oid/cancel", \'{"reason":"a","reason":"b"}', $M), 400,
    'VALIDATION_ERROR', 'duplicate reason')->{details}{field}, 'reason', 'duplicate reason: field');
is(envelope($s->post('/v1/auth/login', \'{"restaurantId":"rst_001","username":"admin","password":"x","password":"admin-pass"}'),
    400, 'VALIDATION_ERROR', 'duplicate password')->{details}{field}, 'password', 'duplicate password: field');
is(envelope($s->patch("$R/menu/items/itm_001", \'{"isAvailable":true,"isAvailable":false}', $M),
    400, 'VALIDATION_ERROR', 'duplicate isAvailable')->{details}{field}, 'isAvailable', 'duplicate isAvailable: field');
unchanged($before, 'duplicate keys');

# --- huge arrays and objects within 64 KiB --------------------------------

my $ones = '[' . join(',', (1) x 32000) . ']';
ok(length($ones) < 65536, 'an array of 32000 elements fits in 64 KiB');
field_is($s->post("$R/tables/tbl_001/orders", \ "{\"lines\":$ones}", $W), 'lines', '32000-element lines');
my $objs = '[' . join(',', ('{}') x 21000) . ']';
field_is($s->post("$R/tables/tbl_001/orders", \ "{\"lines\":$objs}", $W), 'lines', '21000 empty lines');
my $l51 = '[' . join(',', ('{"itemId":"itm_001","quantity":1}') x 51) . ']';
field_is($s->post("$R/tables/tbl_001/orders", \ "{\"lines\":$l51}", $W), 'lines', '51 lines');
my $keys = '{' . join(',', map { "\"k$_\":0" } 1 .. 5000) . '}';
ok(length($keys) < 65536, '5000 keys fit in 64 KiB');
envelope($s->post("$R/tables/tbl_001/orders", \$keys, $W), 400, 'VALIDATION_ERROR', '5000 unknown keys');
envelope($s->post("/v1/orders/$oid/cancel", \$keys, $M), 400, 'VALIDATION_ERROR', '5000 keys to cancel');
envelope($s->post("/v1/orders/$oid/accept", \$ones, $K), 400, 'VALIDATION_ERROR', 'an array to accept');
envelope($s->post('/v1/auth/login', \$keys), 400, 'VALIDATION_ERROR', '5000 keys at login');
my $many = { lines => [ ({ itemId => 'itm_001', quantity => 1, notes => 'n' x 200 }) x 50 ], note => 'x' x 200 };
$r = $s->post("$R/tables/tbl_001/orders", $many, $W);
is($r->{status}, 201, '50 full lines (the largest valid order) are placed');
is(scalar @{ $r->{json}{lines} }, 50, '... with 50 lines');
$before = counts();

# --- deep nesting -----------------------------------------------------------

for my $d (16, 17, 100, 10000) {
	my $b = '{"lines":[{"itemId":"itm_001","quantity":1}],"note":' .
	    ('[' x ($d - 1)) . (']' x ($d - 1)) . '}';
	$r = $s->post("$R/tables/tbl_001/orders", \$b, $W);
	my $e = envelope($r, 400, 'VALIDATION_ERROR', "depth $d");
	is($e->{details}{field}, $d <= 16 ? 'note' : 'body', "depth $d: field");
	$b = ('[' x $d) . (']' x $d);
	$r = $s->post("/v1/orders/$oid/accept", \$b, $K);
	envelope($r, 400, 'VALIDATION_ERROR', "depth $d to accept");
	$b = ('{"a":' x $d) . '1' . ('}' x $d);
	$r = $s->post('/v1/auth/login', \$b);
	envelope($r, 400, 'VALIDATION_ERROR', "depth $d objects at login");
}
$r = $s->post("$R/tables/tbl_001/orders", \ ('[' x 30000), $W);
envelope($r, 400, 'VALIDATION_ERROR', '30000 unclosed brackets');
is($s->get('/health/live')->{status}, 200, 'workers alive after deep nesting');
unchanged($before, 'deep nesting');

# --- Idempotency-Key abuse ---------------------------------------------------

my $obody = { lines => [ { itemId => 'itm_003', quantity => 2 } ] };
for my $t (['', 'empty'], ['k' x 129, '129 characters']) {
	my $key = $t->[0];
	$r = $s->post("$R/tables/tbl_001/orders", $obody, { %$W, 'Idempotency-Key' => $key });
	is(envelope($r, 400, 'VALIDATION_ERROR', "Idempotency-Key $t->[1]")->{details}{field},
	    'Idempotency-Key', "Idempotency-Key $t->[1]: field");
}
for my $t (["a\tb", 'tab'], ["a\x7fb", 'DEL'], ["a\x01b", 'control'],
    ["caf\xc3\xa9", 'non-ASCII'], ["\xf0\x9f\x8d\x95", 'emoji'], ["caf\xe9", 'Latin-1']) {
	my $b = $JSONU->encode($obody);
	$r = raw("POST $R/tables/tbl_001/orders HTTP/1.1\r\nHost: x\r\n" .
	    "Authorization: Bearer $tok{WAITER}\r\nIdempotency-Key: $t->[0]\r\n" .
	    "Content-Type: application/json\r\nContent-Length: " . length($b) .
	    "\r\nConnection: close\r\n\r\n$b");
	ok($r->{status} == 400, "Idempotency-Key with a $t->[1]: 400") or diag $r->{body};
	envelope($r, 400, undef, "Idempotency-Key with a $t->[1]");
}
unchanged($before, 'malformed keys');
my $k128 = 'K' x 128;
$r = $s->post("$R/tables/tbl_001/orders", $obody, { %$W, 'Idempotency-Key' => $k128 });
is($r->{status}, 201, '128-character key accepted');
my $korder = $r->{json}{orderId};
$before = counts();
# The same key with the same value padded to nearly 64 KiB: a replay.
my $padded = '{ "lines" : [ {"quantity":2,' . (' ' x 60000) . '"itemId":"itm_003"} ] }';
$r = $s->post("$R/tables/tbl_001/orders", \$padded, { %$W, 'Idempotency-Key' => $k128 });
is($r->{status}, 201, 'same key, same value with 60k of whitespace: 201');
is($r->{headers}{'idempotent-replayed'}, 'true', '... replayed');
is($r->{json}{orderId}, $korder, '... the original order');
# The same key with a huge different body.
my $big = { lines => [ ({ itemId => 'itm_003', quantity => 2, notes => 'z' x 200 }) x 50 ] };
$r = $s->post("$R/tables/tbl_001/orders", $big, { %$W, 'Idempotency-Key' => $k128 });
envelope($r, 409, 'IDEMPOTENCY_KEY_REPLAY_DIFFERENT_PAYLOAD', 'same key, huge different body');
$r = $s->post("$R/tables/tbl_001/orders", \ ('{"lines":[' . (' ' x 70000) . ']}'), { %$W, 'Idempotency-Key' => $k128 });
envelope($r, 413, 'PAYLOAD_TOO_LARGE', 'same key, body over 64 KiB');
$r = $s->post("$R/tables/tbl_001/orders", \ ('{"lines":[' . ('1,' x 30000) . '1]}'), { %$W, 'Idempotency-Key' => $k128 });
envelope($r, 400, 'VALIDATION_ERROR', 'same key, huge invalid body');
# The same key on another table is another order (keys are per table).
$s->post("$R/tables/tbl_002/open", undef, $W);
$r = $s->post("$R/tables/tbl_002/orders", $obody, { %$W, 'Idempotency-Key' => $k128 });
is($r->{status}, 201, 'same key at another table: 201');
isnt($r->{json}{orderId}, $korder, '... a different order');
my ($kn) = $s->sql("SELECT count(*) FROM orders WHERE idem_key = :'k'", k => $k128);
is($kn->[0], 2, 'one order per table for the key');
$before = counts();

# --- tokens on every endpoint ------------------------------------------------

my $now = time;
my $secret = $s->env('ROP_JWT_SECRET');
my $hdr = b64u('{"alg":"HS256","typ":"JWT"}');
my $claims = b64u($JSONU->encode({ sub => 'usr_x', rid => 'rst_001', role => 'ADMIN',
    iat => int($now), exp => int($now) + 3600, jti => '01234567-89ab-4def-8123-456789abcdef' }));
my %bad = (
	'no token' => undef,
	'forged' => "$hdr.$claims." . b64u(Digest::SHA::hmac_sha256("$hdr.$claims", 'not-the-secret-' x 3)),
	'expired' => $s->mint('rst_001', 'ADMIN', iat => int($now) - 7200, exp => int($now) - 3600),
	'alg none' => b64u('{"alg":"none","typ":"JWT"}') . ".$claims.",
	'alg none, signed' => do { my $h = b64u('{"alg":"none","typ":"JWT"}');
	    "$h.$claims." . b64u(Digest::SHA::hmac_sha256("$h.$claims", $secret)) },
	'HS512 header' => do { my $h = b64u('{"alg":"HS512","typ":"JWT"}');
	    "$h.$claims." . b64u(Digest::SHA::hmac_sha256("$h.$claims", $secret)) },
	'role TABLE in a JWT' => $s->mint('rst_001', 'TABLE'),
	'unknown role' => $s->mint('rst_001', 'ROOT'),
	'rid with a quote' => $s->mint("rst_001' OR '1'='1", 'ADMIN'),
	'garbage' => "' OR '1'='1",
	'two dots only' => '..',
	'padded signature' => $tok{ADMIN} . '=',
	'table token forged' => 't1.' . b64u('rst_001|tbl_001|0') . '.' . b64u('x' x 32),
	'table token signed with the JWT secret' => do { my $m = 't1.' . b64u('rst_001|tbl_001|0');
	    "$m." . b64u(Digest::SHA::hmac_sha256($m, $secret)) },
	'Basic' => 'Basic',
	'8k token' => 'e' x 8000,
);
my @endpoints = (
	[ 'PATCH', "$R/menu/items/itm_001", { isAvailable => JSON::PP::true } ],
	[ 'GET', "$R/tables" ], [ 'GET', "$R/tables/tbl_001" ],
	[ 'POST', "$R/tables/tbl_003/open" ], [ 'POST', "$R/tables/tbl_002/close" ],
	[ 'GET', "$R/tables/tbl_001/summary" ], [ 'GET', "$R/tables/tbl_001/orders" ],
	[ 'POST', "$R/tables/tbl_001/orders", { lines => [ $line ] } ],
	[ 'GET', "$R/tables/tbl_001/qr" ], [ 'GET', "/v1/orders/$oid" ],
	[ 'POST', "/v1/orders/$oid/accept" ], [ 'POST', "/v1/orders/$oid/ready" ],
	[ 'POST', "/v1/orders/$oid/cancel", { reason => 'x' } ],
	[ 'GET', "$R/kitchen/orders" ], [ 'GET', "$R/events" ],
	[ 'POST', "/v1/orders/$oid/payments:capture", { method => 'CASH' } ],
	[ 'GET', "/v1/orders/$oid/payments" ],
);
my $routed = 0;
for my $ep (@endpoints) {
	my ($m, $path, $body) = @$ep;
	$routed++;
	for my $name (sort keys %bad) {
		my %h = ('Idempotency-Key' => "bad-$name");
		$h{'Idempotency-Key'} =~ s/[^ -~]//g;
		if (defined $bad{$name}) {
			$h{Authorization} = $bad{$name} =~ /^Basic/ ?
			    'Basic dXNlcjpwYXNz' : "Bearer $bad{$name}";
		}
		$r = $s->request($m, $path, $body, \%h);
		envelope($r, 401, 'UNAUTHORIZED', "$m $path, $name");
		is($r->{headers}{'www-authenticate'}, 'Bearer', "$m $path, $name: WWW-Authenticate")
		    if $r->{status} == 401 && $name eq 'forged';
	}
	# Another restaurant's valid token: as if nothing were there.
	$r = $s->request($m, $path, $body, { %{ $s->bearer($s->mint('rst_002', 'ADMIN')) },
	    'Idempotency-Key' => 'other-tenant' });
	envelope($r, 404, undef, "$m $path, another tenant's ADMIN");
	like($r->{json}{error}{code} // '', qr/NOT_FOUND$/, "$m $path, another tenant: a NOT_FOUND code");
}
ok($routed >= 15, "tokens tried on $routed endpoints");
# Table tokens (SPEC §9.2): another table of the restaurant is 403,
# another restaurant 404, and a guest never reaches staff routes.
my $qr = $s->get("$R/tables/tbl_002/qr", $M);
is($qr->{status}, 200, 'a QR token for tbl_002');
my $G2 = $s->bearer($qr->{json}{token} // 'none');
envelope($s->post("$R/tables/tbl_001/orders", { lines => [ $line ] }, $G2), 403, 'FORBIDDEN',
    "tbl_002's token ordering at tbl_001");
envelope($s->get("/v1/orders/$oid", $G2), 403, 'FORBIDDEN', "tbl_002's token reading tbl_001's order");
envelope($s->post("/v1/orders/$oid/accept", undef, $G2), 403, 'FORBIDDEN', 'a guest accepting');
envelope($s->get("$R/kitchen/orders", $G2), 403, 'FORBIDDEN', 'a guest reading the kitchen queue');
envelope($s->get("$R/tables", $G2), 403, 'FORBIDDEN', 'a guest listing tables');
my $qr2 = $s->get('/v1/restaurants/rst_002/tables/tbl_001/qr', $s->bearer($s->mint('rst_002', 'MANAGER')));
envelope($s->post("$R/tables/tbl_001/orders", { lines => [ $line ] }, $s->bearer($qr2->{json}{token} // 'none')),
    404, 'NOT_FOUND', "rst_002's table token at rst_001");
unchanged($before, 'bad tokens');
# Live channels refuse bad tokens at the handshake.
for my $name ('forged', 'expired', 'alg none', 'garbage') {
	my $q = "restaurant_id=rst_001&role=KITCHEN&access_token=" . urlenc($bad{$name});
	$r = raw("GET /ws?$q HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5);
	is($r->{status}, 401, "/ws with a $name token: 401");
	$r = raw("GET /ws?restaurant_id=rst_001 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $bad{$name}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n", 5);
	is($r->{status}, 401, "/ws EventSource with a $name bearer: 401");
}
$r = raw("GET /ws?restaurant_id=rst_002&role=ADMIN&access_token=$tok{ADMIN} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5);
ok($r->{status} == 403 || $r->{status} == 404 || $r->{status} == 401,
    "/ws of another restaurant refused ($r->{status})");

# --- slow clients ----------------------------------------------------------

# Slowloris: several clients send headers and part of an order, then
# stall.  nginx buffers request bodies, so no worker waits for them:
# other requests are served at once, and a stalled order is never
# placed (nginx drops it after client_body_timeout).
my @slow;
my $sbody = $JSONU->encode({ lines => [ $line ], note => 'slowloris' });
for my $i (1 .. 6) {
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $s->port)
	    or die "connect: $!";
	print $c "POST $R/tables/tbl_001/orders HTTP/1.1\r\nHost: x\r\n" .
	    "Authorization: Bearer $tok{WAITER}\r\nIdempotency-Key: slow-$i\r\n" .
	    "Content-Type: application/json\r\nContent-Length: " . length($sbody) .
	    "\r\n\r\n" . substr($sbody, 0, 10);
	push @slow, $c;
}
# Slow headers too: a request line and no end of headers.
for my $i (1 .. 3) {
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $s->port)
	    or die "connect: $!";
	print $c "POST $R/tables/tbl_001/orders HTTP/1.1\r\nHost: x\r\nX-Slow: 1";
	push @slow, $c;
}
my $t0 = time;
my $served = 0;
for my $i (1 .. 10) {
	my $t = time;
	$r = $s->post("$R/tables/tbl_001/orders", { lines => [ $line ], note => "during-$i" }, $W);
	$served++ if $r->{status} == 201 && time - $t < 2;
}
is($served, 10, 'orders are served promptly while 9 clients stall');
is($s->get("$R/kitchen/orders?status=ALL&limit=5", $K)->{status}, 200, 'reads too');
# Wait for nginx to drop the stalled clients (client_*_timeout 10 s).
my $sel = IO::Select->new(@slow);
my %answer;
my $deadline = time + 14;
while ($sel->count && time < $deadline) {
	for my $c ($sel->can_read($deadline - time)) {
		my $buf = '';
		sysread($c, $buf, 4096);
		$answer{"$c"} = $buf;
		$sel->remove($c);
		close $c;
	}
}
is($sel->count, 0, 'nginx closed every stalled connection within 14 s');
for my $a (values %answer) {
	next unless length $a;
	my $p = parse_raw($a);
	like($p->{headers}{'content-type'} // '', qr/json/, "a timeout answer is JSON ($p->{status})");
}
my ($slow_orders) = $s->sql("SELECT count(*) FROM orders WHERE idem_key LIKE 'slow-%' OR note = 'slowloris'");
is($slow_orders->[0], 0, 'no stalled order was placed');
is($s->get('/health/ready')->{status}, 200, 'ready after the slow clients');

done_testing();
