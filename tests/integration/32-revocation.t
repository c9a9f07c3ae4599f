#!/usr/bin/env perl
# Tokens that can be taken back (SPEC §15 first bullet, §16.24; issue 14):
# staff logout and logout-all revoke tokens everywhere, /ws included,
# with PostgreSQL the truth and Redis only a cache (Redis stopped: still
# enforced); a login right after a logout-all is valid even in the same
# second; rotating a table's QR code (MANAGER endpoint or rop-admin)
# refuses every table token of an older generation.
use strict;
use warnings;
use lib 'tests/lib';
use MIME::Base64 qw(decode_base64);
use Test::More;
use Time::HiRes qw(time);
use RopTest;
use RopLive;

my $s = RopTest->start;
my $TABLES = '/v1/restaurants/rst_001/tables';

sub claims {
	my ($t) = @_;
	my $p = (split /\./, $t)[1];
	$p =~ tr{-_}{+/};
	$p .= '=' x ((4 - length($p) % 4) % 4);
	return $RopTest::JSON->decode(decode_base64($p));
}
# Status of an authenticated REST read, and of a /ws handshake.
sub rest { $s->get($TABLES, $s->bearer($_[0]))->{status} }
sub ws {
	my ($t, $q) = @_;
	my $l = RopLive->new($s, ws => '/ws?' . ($q // 'restaurant_id=rst_001'),
	    token => $t);
	my $st = $l->status;
	$l->close;
	return $st;
}
sub uid {
	my ($rid, $user) = @_;
	my ($row) = $s->sql("SELECT user_id FROM users WHERE restaurant_id = :'r'"
	    . " AND username = :'u'", r => $rid, u => $user);
	return $row->[0];
}

# --- logout ----------------------------------------------------------
my $a = $s->login('rst_001', 'waiter');
my $b = $s->login('rst_001', 'waiter');
like(claims($a)->{jti}, qr/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]/,
    'jti is a UUIDv7 (carries the issue millisecond)');
# Warm every worker's view (and the Redis cache) of "not revoked".
is(rest($a), 200, "token valid before logout ($_)") for 1 .. 4;
is(ws($a), 101, '/ws handshake valid before logout');
my $OLD = '00000000-0000-4000-8000-000000000001';
$s->sql("INSERT INTO revoked_tokens (jti, restaurant_id, user_id, expires_at)"
    . " VALUES (:'j', 'rst_001', :'u', now() - interval '1 hour')",
    j => $OLD, u => uid('rst_001', 'waiter'));
my $r = $s->post('/v1/auth/logout', undef, $s->bearer($a));
is($r->{status}, 204, 'logout: 204');
is(scalar($s->sql("SELECT 1 FROM revoked_tokens WHERE jti = :'j'", j => $OLD)),
    0, "a logout prunes the user's revocations of expired tokens");
is($r->{body}, '', 'logout: no body');
my @st = map { rest($a) } 1 .. 6;
is_deeply(\@st, [(401) x 6], 'logged-out token: 401 on every request at once');
$r = $s->get($TABLES, $s->bearer($a));
is($r->{json}{error}{code}, 'UNAUTHORIZED', 'UNAUTHORIZED');
is($r->{headers}{'www-authenticate'}, 'Bearer', 'WWW-Authenticate: Bearer');
is($s->get('/v1/orders/ord_01J00000000000000000000000', $s->bearer($a))
    ->{status}, 401, 'revoked on another app too (orders)');
is(ws($a), 401, '/ws handshake with a logged-out token: 401');
is(rest($b), 200, 'another token of the same user still valid');
is(ws($b), 101, '... and on /ws');
is($s->post('/v1/auth/logout', undef, $s->bearer($a))->{status}, 401,
    'logging out a revoked token: 401');
my ($n) = $s->sql("SELECT count(*) FROM revoked_tokens WHERE jti = :'j'",
    j => claims($a)->{jti});
is($n->[0], 1, 'the revocation is in PostgreSQL');

# Checks of the logout request itself.
is($s->post('/v1/auth/logout')->{status}, 401, 'logout without a token: 401');
$r = $s->post('/v1/auth/logout', { all => 1 }, $s->bearer($b));
is($r->{status}, 400, 'logout with a body other than {}: 400');
is($r->{json}{error}{code}, 'VALIDATION_ERROR', 'VALIDATION_ERROR');
is(rest($b), 200, 'a refused logout revoked nothing');
my $qr = $s->get("$TABLES/tbl_004/qr", $s->bearer($s->login('rst_001',
    'manager')))->{json}{token};
is($s->post('/v1/auth/logout', {}, $s->bearer($qr))->{status}, 403,
    'a table token cannot log out: 403');

# --- logout-all --------------------------------------------------------
my $c = $s->login('rst_001', 'kitchen');
my $d = $s->login('rst_001', 'kitchen');
is(rest($c) . rest($d), '403403', 'kitchen tokens valid (403: role, not 401)');
my $same = 0;
for my $i (1 .. 5) {
	my $t0 = int(time);
	$r = $s->post('/v1/auth/logout-all', {}, $s->bearer($c));
	is($r->{status}, 204, "logout-all {}: 204 ($i)");
	my $e = $s->login('rst_001', 'kitchen');
	$same++ if claims($e)->{iat} == $t0;
	is(rest($c), 401, "the calling token is revoked ($i)");
	is(rest($d), 401, "every earlier token is revoked ($i)");
	is(rest($e), 403, "a login right after it is valid ($i)");
	is(ws($e), 101, "... on /ws too ($i)");
	($c, $d) = ($e, $s->login('rst_001', 'kitchen'));
	last if $same >= 2;
}
ok($same >= 1, "a login in the same second as the logout-all was tested ($same)");
$r = $s->post('/v1/auth/logout-all', undef, $s->bearer($c));
is($r->{status}, 204, 'logout-all without a body: 204');
is(rest($c), 401, '... revoked the caller');
$r = $s->post('/v1/auth/logout-all', { userId => undef }, $s->bearer($d));
is($r->{status}, 401, 'a token revoked by logout-all stays revoked');

# Another user: MANAGER+ of the same restaurant.
my $mgr = $s->login('rst_001', 'manager');
my $w = $s->login('rst_001', 'waiter');
is(rest($w), 200, 'waiter token valid');
$r = $s->post('/v1/auth/logout-all', { userId => uid('rst_001', 'waiter') },
    $s->bearer($mgr));
is($r->{status}, 204, 'MANAGER logs a waiter out everywhere: 204');
is(rest($w), 401, "the waiter's token: 401");
is(rest($b), 401, "the waiter's other token: 401");
is(ws($w), 401, "... and its /ws handshake: 401");
is(rest($mgr), 200, "the manager's own token is untouched");
$w = $s->login('rst_001', 'waiter');
is(rest($w), 200, 'the waiter logs in again');
$r = $s->post('/v1/auth/logout-all', { userId => uid('rst_001', 'manager') },
    $s->bearer($w));
is($r->{status}, 403, 'WAITER naming another user: 403');
is($r->{json}{error}{code}, 'FORBIDDEN', 'FORBIDDEN');
is(rest($mgr), 200, '... and the manager stays logged in');
$r = $s->post('/v1/auth/logout-all', { userId => uid('rst_002', 'waiter') },
    $s->bearer($mgr));
is($r->{status}, 404, "another restaurant's user: 404");
is($r->{json}{error}{code}, 'NOT_FOUND', 'NOT_FOUND');
my $w2 = $s->login('rst_002', 'waiter');
is($s->get('/v1/restaurants/rst_002/tables', $s->bearer($w2))->{status}, 200,
    "... whose tokens stay valid");
$r = $s->post('/v1/auth/logout-all', { userId => 'usr nobody' },
    $s->bearer($mgr));
is($r->{status}, 400, 'a userId that is no id: 400');
is($r->{json}{error}{details}{field}, 'userId', 'details.field userId');
$r = $s->post('/v1/auth/logout-all', { user => 'x' }, $s->bearer($mgr));
is($r->{json}{error}{details}{field}, 'user', 'unknown field named');

# --- Redis down: PostgreSQL answers ------------------------------------
my $g = $s->login('rst_001', 'waiter');
my $h = $s->login('rst_001', 'waiter');
is(rest($g) . rest($h), '200200', 'two fresh tokens');
is($s->post('/v1/auth/logout', undef, $s->bearer($g))->{status}, 204,
    'logout with Redis up');
$s->svc('stop', 'redis');
@st = map { rest($g) } 1 .. 4;
is_deeply(\@st, [(401) x 4], 'Redis stopped: the revoked token is still 401');
is(ws($g), 401, 'Redis stopped: ... also on /ws');
@st = map { rest($h) } 1 .. 4;
is_deeply(\@st, [(200) x 4], 'Redis stopped: a valid token still works');
is(ws($h), 101, 'Redis stopped: ... also on /ws');
is($s->post('/v1/auth/logout', undef, $s->bearer($h))->{status}, 204,
    'logout with Redis stopped: 204');
is(rest($h), 401, 'Redis stopped: the token just logged out is 401');
$s->svc('start', 'redis');
@st = map { rest($h) } 1 .. 4;
is_deeply(\@st, [(401) x 4], 'Redis back: still 401');
is(rest($g), 401, 'Redis back: the first one too');

# --- QR rotation -------------------------------------------------------
my $Q = "$TABLES/tbl_003";
$w = $s->login('rst_001', 'waiter');
is($s->post("$Q/open", undef, $s->bearer($w))->{status}, 200, 'table open');
my $t0 = $s->get("$Q/qr", $s->bearer($mgr))->{json}{token};
my $order = { lines => [{ itemId => 'itm_001', quantity => 1 }] };
$r = $s->post("$Q/orders", $order, $s->bearer($t0));
is($r->{status}, 201, 'guest orders with the QR token');
my $oid = $r->{json}{orderId};
is($s->get("/v1/orders/$oid", $s->bearer($t0))->{status}, 200,
    'guest reads the order');
is(ws($t0, 'restaurant_id=rst_001&table_id=tbl_003'), 101,
    'guest joins the table channel');

$r = $s->post("$Q/qr:rotate", undef, $s->bearer($w));
is($r->{status}, 403, 'WAITER rotates a QR code: 403');
$r = $s->post("$TABLES/tbl_999/qr:rotate", undef, $s->bearer($mgr));
is($r->{status}, 404, 'rotate an unknown table: 404');
is($r->{json}{error}{code}, 'TABLE_NOT_FOUND', 'TABLE_NOT_FOUND');
$r = $s->post('/v1/restaurants/rst_002/tables/tbl_001/qr:rotate', undef,
    $s->bearer($mgr));
is($r->{status}, 404, "rotate another restaurant's table: 404");
$r = $s->post("$Q/qr:rotate", { force => 1 }, $s->bearer($mgr));
is($r->{status}, 400, 'rotate with a body: 400');
is($s->post("$Q/orders", $order, $s->bearer($t0))->{status}, 201,
    'refused rotations changed nothing');
is($s->get("$Q/qr:rotate", $s->bearer($mgr))->{status}, 405,
    'GET qr:rotate: 405');

$r = $s->post("$Q/qr:rotate", {}, $s->bearer($mgr));
is($r->{status}, 200, 'MANAGER rotates the QR code: 200');
my $t1 = $r->{json}{token};
like($r->{json}{url}, qr{/t/rst_001/tbl_003\?token=\Q$t1\E$}, 'url carries it');
isnt($t1, $t0, 'a new token');
$r = $s->post("$Q/orders", $order, $s->bearer($t0));
is($r->{status}, 401, 'old QR token: order placement 401');
is($r->{headers}{'www-authenticate'}, 'Bearer', 'WWW-Authenticate: Bearer');
is($s->get("/v1/orders/$oid", $s->bearer($t0))->{status}, 401,
    'old QR token: GET 401');
is(ws($t0, 'restaurant_id=rst_001&table_id=tbl_003'), 401,
    'old QR token: /ws 401');
is($s->post("$Q/orders", $order, $s->bearer($t1))->{status}, 201,
    'new QR token: order placement 201');
is($s->get("/v1/orders/$oid", $s->bearer($t1))->{status}, 200,
    'new QR token: GET 200');
is(ws($t1, 'restaurant_id=rst_001&table_id=tbl_003'), 101,
    'new QR token: /ws 101');
my $t1b = $s->get("$Q/qr", $s->bearer($mgr))->{json}{token};
is($s->get("/v1/orders/$oid", $s->bearer($t1b))->{status}, 200,
    'GET qr now issues the new generation');
is($s->get("/v1/orders/$oid", $s->bearer($qr))->{status}, 403,
    "another table's QR code is untouched (403: other table, not 401)");

# rop-admin does the same.
{
	local %ENV = (%ENV, %{ $s->{env} });
	my $out = `$s->{bin}/rop-admin qr-rotate rst_001 tbl_003 2>&1`;
	is($?, 0, 'rop-admin qr-rotate: exit 0') or diag $out;
	my ($t2) = $out =~ /^token (\S+)$/m;
	ok($t2, 'rop-admin prints the new token');
	like($out, qr{^url \S+/t/rst_001/tbl_003\?token=\Q$t2\E$}m,
	    'rop-admin prints the URL');
	is($s->post("$Q/orders", $order, $s->bearer($t1))->{status}, 401,
	    'after rop-admin: the previous QR token is 401');
	is($s->get("/v1/orders/$oid", $s->bearer($t1b))->{status}, 401,
	    'after rop-admin: ... on a GET too');
	is($s->post("$Q/orders", $order, $s->bearer($t2))->{status}, 201,
	    "after rop-admin: its token works");
	$out = `$s->{bin}/rop-admin qr-rotate rst_001 tbl_999 2>&1`;
	is($? >> 8, 1, 'rop-admin qr-rotate of an unknown table: exit 1');
}

# Redis stopped: the generation is still checked.
$s->svc('stop', 'redis');
is($s->post("$Q/orders", $order, $s->bearer($t0))->{status}, 401,
    'Redis stopped: old QR token 401');
$s->svc('start', 'redis');

done_testing;
