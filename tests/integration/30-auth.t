#!/usr/bin/env perl
# Auth (SPEC §5, §9.1, §9.2, §9.13, §9.16, §9.22; issue 3): staff login
# per role, indistinguishable failures, JWT forgeries refused through
# nginx, tenant isolation, table QR tokens, the login rate limit, and
# the nchan authorizer answering real EventSource / WebSocket / long-poll
# handshakes.
use strict;
use warnings;
use lib 'tests/lib';
use Digest::SHA qw(hmac_sha256 hmac_sha512);
use HTTP::Tiny;
use IO::Select;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64 decode_base64);
use Test::More;
use Time::HiRes qw(time);
use RopTest;

my $s = RopTest->start;
my $SECRET = $s->env('ROP_JWT_SECRET');
my $QR = '/v1/restaurants/rst_001/tables/tbl_001/qr';

sub b64u {
	my $b = encode_base64($_[0], '');
	$b =~ tr{+/}{-_};
	$b =~ s/=+\z//;
	return $b;
}
sub unb64u {
	my $b = $_[0];
	$b =~ tr{-_}{+/};
	$b .= '=' x ((4 - length($b) % 4) % 4);
	return decode_base64($b);
}
# A JWT signed here: header and claims as Perl structures.
sub mint {
	my ($hdr, $cl, %o) = @_;
	my $in = b64u(ref $hdr ? $RopTest::JSON->encode($hdr) : $hdr) . '.'
	    . b64u($RopTest::JSON->encode($cl));
	my $mac = ($o{alg} // '') eq 'HS512' ?
	    hmac_sha512($in, $o{secret} // $SECRET) :
	    hmac_sha256($in, $o{secret} // $SECRET);
	return "$in." . b64u($mac);
}
sub claims {
	my (%o) = @_;
	my $now = time;
	return { sub => 'usr_test', rid => 'rst_001', role => 'MANAGER',
	    iat => int($now), exp => int($now) + 600,
	    jti => '2f1c6a64-3b1e-4d55-9a0e-7d1c2b3a4f50', %o };
}
sub body_sans_id {
	my ($r) = @_;
	my %j = %{ $r->{json} || {} };
	delete $j{requestId};
	return $RopTest::JSON->encode(\%j);
}

# --- login per role --------------------------------------------------
my %tok;
for my $u ([qw(rst_001 admin ADMIN)], [qw(rst_001 manager MANAGER)],
    [qw(rst_001 waiter WAITER)], [qw(rst_001 kitchen KITCHEN)],
    [qw(rst_002 manager MANAGER)], [qw(rst_002 waiter WAITER)],
    [qw(rst_002 kitchen KITCHEN)]) {
	my ($rid, $user, $role) = @$u;
	my $r = $s->post('/v1/auth/login', { restaurantId => $rid,
	    username => $user, password => "$user-pass" });
	is($r->{status}, 200, "login $rid/$user: 200") or diag($r->{body});
	is_deeply([sort keys %{ $r->{json} }], [qw(expiresAt role token)],
	    'reply is {token, expiresAt, role}');
	is($r->{json}{role}, $role, "role $role");
	my @p = split /\./, $r->{json}{token}, -1;
	is(scalar @p, 3, 'token has three parts');
	my $h = $RopTest::JSON->decode(unb64u($p[0]));
	is_deeply($h, { alg => 'HS256', typ => 'JWT' }, 'header HS256 / JWT');
	my $c = $RopTest::JSON->decode(unb64u($p[1]));
	is_deeply([sort keys %$c], [qw(exp iat jti rid role sub)],
	    'claims sub, rid, role, iat, exp, jti');
	is($c->{rid}, $rid, 'rid claim');
	is($c->{role}, $role, 'role claim');
	like($c->{sub}, qr/^usr_[0-9A-Z]{26}$/, 'sub is the user id');
	like($c->{jti}, qr/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
	    'jti is a UUIDv7 (SPEC §16.24: its issue millisecond)');
	(my $ms = substr($c->{jti}, 0, 13)) =~ s/-//;
	{ no warnings 'portable'; is(int(hex($ms) / 1000), $c->{iat}, 'the jti millisecond is in the iat second'); }
	ok($c->{exp} > $c->{iat} && abs($c->{iat} - time) < 60, 'iat now, exp later');
	is(b64u(hmac_sha256("$p[0].$p[1]", $SECRET)), $p[2],
	    'signed HS256 with the configured secret');
	my @t = gmtime($c->{exp});
	is($r->{json}{expiresAt}, sprintf('%04d-%02d-%02dT%02d:%02d:%02d.000Z',
	    $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0]), 'expiresAt is exp');
	$tok{"$rid/$user"} = $r->{json}{token};
}
isnt($tok{'rst_001/manager'}, $s->login('rst_001', 'manager'),
    'each login gets a new token (jti)');

# --- failures look alike -------------------------------------------
my @fail = (
	[ 'wrong password', { restaurantId => 'rst_001', username => 'manager',
	    password => 'wrong-pass' } ],
	[ 'unknown user', { restaurantId => 'rst_001', username => 'nobody',
	    password => 'manager-pass' } ],
	[ 'unknown restaurant', { restaurantId => 'rst_999',
	    username => 'manager', password => 'manager-pass' } ],
	[ 'impossible restaurant id', { restaurantId => '../rst_001',
	    username => 'manager', password => 'manager-pass' } ],
	[ 'user of another restaurant', { restaurantId => 'rst_002',
	    username => 'admin', password => 'admin-pass' } ],
	[ 'password of another user', { restaurantId => 'rst_001',
	    username => 'manager', password => 'waiter-pass' } ],
	[ 'password case', { restaurantId => 'rst_001',
	    username => 'manager', password => 'MANAGER-PASS' } ],
	[ 'username case', { restaurantId => 'rst_001',
	    username => 'Manager', password => 'manager-pass' } ],
);
my $first;
for my $f (@fail) {
	my ($name, $b) = @$f;
	my $r = $s->post('/v1/auth/login', $b);
	is($r->{status}, 401, "$name: 401");
	is($r->{json}{error}{code}, 'UNAUTHORIZED', "$name: UNAUTHORIZED");
	is($r->{headers}{'www-authenticate'}, 'Bearer', "$name: WWW-Authenticate");
	$first //= body_sans_id($r);
	is(body_sans_id($r), $first, "$name: the same body as a wrong password");
}
# Similar time: a missing user still costs a yescrypt run.  Medians of
# 11 interleaved pairs, each pair in alternating order, so that a burst
# of load from elsewhere on the machine lands on both kinds alike.
my (@wrong, @nouser);
for my $i (1 .. 11) {
	my @pairs = ([\@wrong, 'manager'], [\@nouser, 'nobody']);
	@pairs = reverse @pairs if $i % 2;
	for my $pair (@pairs) {
		my $t0 = time;
		$s->post('/v1/auth/login', { restaurantId => 'rst_001',
		    username => $pair->[1], password => 'wrong-pass' });
		push @{ $pair->[0] }, time - $t0;
	}
}
my ($mw) = (sort { $a <=> $b } @wrong)[5];
my ($mn) = (sort { $a <=> $b } @nouser)[5];
ok($mn > 0.4 * $mw, sprintf('unknown user takes as long as a wrong '
    . 'password (median %.1f ms vs %.1f ms)', $mn * 1000, $mw * 1000));

my $met = $s->get($s->internal_url('/metrics'))->{body};
like($met, qr/^rop_auth_logins_total\{result="ok"\} [1-9]/m, 'logins counted');
like($met, qr/^rop_auth_logins_total\{result="fail"\} [1-9]/m,
    'failed logins counted');

# --- login body validation ------------------------------------------
for my $c (
	[ { restaurantId => 'rst_001', username => 'manager' }, 'password' ],
	[ { restaurantId => 'rst_001', password => 'x' }, 'username' ],
	[ { username => 'manager', password => 'x' }, 'restaurantId' ],
	[ { restaurantId => 'rst_001', username => 'manager',
	    password => 'manager-pass', remember => JSON::PP::true }, 'remember' ],
	[ { restaurantId => 1, username => 'manager', password => 'x' },
	    'restaurantId' ],
	[ { restaurantId => 'rst_001', username => 'manager', password => '' },
	    'password' ],
	[ { restaurantId => 'rst_001', username => 'manager',
	    password => 'x' x 257 }, 'password' ],
	[ [ 'rst_001', 'manager', 'manager-pass' ], 'body' ],
) {
	my $r = $s->post('/v1/auth/login', $c->[0]);
	is($r->{status}, 400, "login body without a good $c->[1]: 400");
	is($r->{json}{error}{details}{field}, $c->[1], "details.field $c->[1]");
}
my $r = $s->post('/v1/auth/login', \'{"restaurantId":');
is($r->{json}{error}{code}, 'MALFORMED_JSON', 'login: MALFORMED_JSON');
$r = $s->post('/v1/auth/login', \'restaurantId=rst_001',
    { 'Content-Type' => 'application/x-www-form-urlencoded' });
is($r->{status}, 415, 'login: a form body is 415');
$r = $s->get('/v1/auth/login');
is($r->{status}, 405, 'GET login: 405');

# --- tokens through nginx (GET .../qr needs MANAGER+) ---------------
my $mgr = $tok{'rst_001/manager'};
$r = $s->get($QR, $s->bearer($mgr));
is($r->{status}, 200, 'manager token: 200');
$r = $s->get($QR, $s->bearer($tok{'rst_001/admin'}));
is($r->{status}, 200, 'admin token: 200');
is($s->get($QR, $s->bearer(mint({ alg => 'HS256', typ => 'JWT' },
    claims())))->{status}, 200, 'a token minted with the secret: 200');

my %bad = (
	'no token' => undef,
	'tampered signature' => do { my $t = $mgr;
	    substr($t, -2, 1) = substr($t, -2, 1) eq 'A' ? 'B' : 'A'; $t },
	'tampered claims' => do { my @p = split /\./, $mgr;
	    my $c = $RopTest::JSON->decode(unb64u($p[1]));
	    $c->{role} = 'ADMIN'; $c->{rid} = 'rst_001';
	    join('.', $p[0], b64u($RopTest::JSON->encode($c)), $p[2]) },
	'alg none, no signature' => b64u('{"alg":"none","typ":"JWT"}') . '.'
	    . b64u($RopTest::JSON->encode(claims())) . '.',
	'alg none, signed' => mint({ alg => 'none', typ => 'JWT' }, claims()),
	'alg HS512' => mint({ alg => 'HS512', typ => 'JWT' }, claims(),
	    alg => 'HS512'),
	'alg missing' => mint({ typ => 'JWT' }, claims()),
	'expired' => mint({ alg => 'HS256', typ => 'JWT' },
	    claims(iat => time - 7200, exp => time - 3600)),
	'wrong secret' => mint({ alg => 'HS256', typ => 'JWT' }, claims(),
	    secret => 'not-the-secret-0123456789abcdef0123'),
	'table secret' => mint({ alg => 'HS256', typ => 'JWT' }, claims(),
	    secret => $s->env('ROP_TABLE_TOKEN_SECRET')),
	'unknown role' => mint({ alg => 'HS256' }, claims(role => 'OWNER')),
	'bad rid' => mint({ alg => 'HS256' }, claims(rid => 'rst 001')),
	'exp a string' => mint({ alg => 'HS256' }, claims(exp => '9999999999')),
	'two parts' => join('.', (split /\./, $mgr)[0, 1]),
	'four parts' => "$mgr.x",
	'garbage' => 'garbage',
);
for my $name (sort keys %bad) {
	my $h = defined $bad{$name} ? $s->bearer($bad{$name}) : {};
	$r = $s->get($QR, $h);
	is($r->{status}, 401, "$name: 401");
	is($r->{json}{error}{code}, 'UNAUTHORIZED', "$name: UNAUTHORIZED");
	is($r->{headers}{'www-authenticate'}, 'Bearer',
	    "$name: WWW-Authenticate: Bearer");
}
$r = $s->get($QR, { Authorization => "Basic $mgr" });
is($r->{status}, 401, 'Basic scheme: 401');
$r = $s->get("$QR?access_token=$mgr");
is($r->{status}, 401, 'access_token query is for /ws only: 401 on REST');
$r = $s->get($QR, $s->bearer($tok{'rst_002/manager'}));
is($r->{status}, 404, 'token of another restaurant: 404');
$r = $s->get($QR, $s->bearer(mint({ alg => 'HS256' },
    claims(rid => 'rst_002', role => 'ADMIN'))));
is($r->{status}, 404, 'another restaurant whatever its role: 404');
$r = $s->get($QR, $s->bearer($tok{'rst_001/waiter'}));
is($r->{status}, 403, 'WAITER: 403');
is($r->{json}{error}{code}, 'FORBIDDEN', 'FORBIDDEN');
$r = $s->get($QR, $s->bearer($tok{'rst_001/kitchen'}));
is($r->{status}, 403, 'KITCHEN: 403');

# --- QR / table tokens ----------------------------------------------
$r = $s->get($QR, $s->bearer($mgr));
is_deeply([sort keys %{ $r->{json} }], [qw(token url)], 'qr is {token, url}');
my $tt = $r->{json}{token};
like($tt, qr/^[A-Za-z0-9_.-]+$/, 'table token is URL-safe');
is($r->{json}{url}, $s->env('ROP_PUBLIC_BASE_URL')
    . "/t/rst_001/tbl_001?token=$tt", 'url is <public base>/t/{rid}/{tid}?token=');
is($s->get("/t/rst_001/tbl_001?token=$tt")->{status}, 200,
    'the url serves the table page');
$r = $s->get('/v1/restaurants/rst_001/tables/tbl_999/qr', $s->bearer($mgr));
is($r->{status}, 404, 'unknown table: 404');
is($r->{json}{error}{code}, 'TABLE_NOT_FOUND', 'TABLE_NOT_FOUND');
$r = $s->get('/v1/restaurants/rst_002/tables/tbl_001/qr',
    $s->bearer($tok{'rst_002/manager'}));
is($r->{status}, 200, 'rst_002 manager: own qr');
my $tt2 = $r->{json}{token};
$r = $s->get('/v1/restaurants/rst_001/tables/tbl_002/qr', $s->bearer($mgr));
my $tt_other = $r->{json}{token};
isnt($tt_other, $tt, 'each table its own token');
# A guest's token authenticates (401 would mean it did not) but may not
# issue QR codes.
$r = $s->get($QR, $s->bearer($tt));
is($r->{status}, 403, 'table token on a manager route: 403 (authenticated)');
$r = $s->get('/v1/restaurants/rst_002/tables/tbl_001/qr', $s->bearer($tt));
is($r->{status}, 404, 'table token of another restaurant: 404');
(my $forged_tt = $tt) =~ s/.$/$& eq 'A' ? 'B' : 'A'/e;
is($s->get($QR, $s->bearer($forged_tt))->{status}, 401,
    'tampered table token: 401');
my $tpay = 'rst_001|tbl_001|0';
my $tin = 't1.' . b64u($tpay);
is($s->get($QR, $s->bearer("$tin." . b64u(hmac_sha256($tin, $SECRET))))->{status},
    401, 'table token signed with the JWT secret: 401');
$tin = 't1.' . b64u('rst_001|tbl_001|' . (int(time) - 60));
is($s->get($QR, $s->bearer("$tin." . b64u(hmac_sha256($tin,
    $s->env('ROP_TABLE_TOKEN_SECRET')))))->{status}, 401,
    'expired table token: 401');

# --- nchan authorizer: real handshakes through nginx -----------------
# Returns (status, headers text, first bytes of the body).
sub handshake {
	my ($query, %o) = @_;
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $s->port, Timeout => 5) or die "connect: $!";
	my $req = "GET /ws?$query HTTP/1.1\r\nHost: 127.0.0.1\r\n";
	$req .= "Authorization: Bearer $o{bearer}\r\n" if $o{bearer};
	if (($o{kind} // 'es') eq 'ws') {
		$req .= "Connection: Upgrade\r\nUpgrade: websocket\r\n"
		    . "Sec-WebSocket-Version: 13\r\n"
		    . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
	} elsif ($o{kind} && $o{kind} eq 'lp') {
		$req .= "Accept: application/json\r\n";
	} else {
		$req .= "Accept: text/event-stream\r\n";
	}
	print $sock "$req\r\n";
	my ($buf, $sel) = ('', IO::Select->new($sock));
	my $end = time + 3;
	# Read the head, and then whatever follows within 300 ms.
	while (time < $end) {
		# A refusal is complete at its Content-Length.
		if ($buf =~ /^(.*?\r\n\r\n)/s) {
			my $hl = length $1;
			last if $1 =~ /^Content-Length: (\d+)/mi &&
			    length($buf) >= $hl + $1;
		}
		last unless $sel->can_read($buf =~ /\r\n\r\n/ ? 0.3 : $end - time);
		my $n = sysread($sock, $buf, 4096, length $buf);
		last unless $n;
	}
	close $sock;
	my ($head, $body) = split /\r\n\r\n/, $buf, 2;
	my ($st) = ($head // '') =~ m{^HTTP/1\.1 (\d{3})};
	return ($st // 0, $head // '', $body // '');
}

my %staff = map { $_ => $tok{"rst_001/$_"} } qw(admin manager waiter kitchen);
for my $u (sort keys %staff) {
	my $role = uc $u;
	my ($st, $h, $b) = handshake(
	    "restaurant_id=rst_001&role=$role&access_token=$staff{$u}");
	is($st, 200, "EventSource: $role on its restaurant channel: 200");
	like($h, qr{^Content-Type: text/event-stream}mi, 'an event stream');
	($st) = handshake("restaurant_id=rst_001&role=$role",
	    kind => 'ws', bearer => $staff{$u});
	is($st, 101, "WebSocket: $role (Authorization header): 101");
	($st) = handshake("restaurant_id=rst_001&table_id=tbl_003"
	    . "&access_token=$staff{$u}");
	is($st, 200, "$role on a table channel of its restaurant: 200");
}
my ($st, $h, $b) = handshake("restaurant_id=rst_001&role=ADMIN"
    . "&access_token=$staff{waiter}");
is($st, 200, 'a role differing from the token is ignored (§9.22)');
($st) = handshake("restaurant_id=rst_001&table_id=tbl_001&access_token=$tt");
is($st, 200, 'EventSource: table token on its own table channel: 200');
($st) = handshake("restaurant_id=rst_001&table_id=tbl_001&access_token=$tt",
    kind => 'ws');
is($st, 101, 'WebSocket: table token on its own table channel: 101');
($st) = handshake("restaurant_id=rst_001&table_id=tbl_001", kind => 'ws',
    bearer => $tt);
is($st, 101, 'table token as a Bearer header: 101');

my @refused = (
	[ "restaurant_id=rst_001&table_id=tbl_002&access_token=$tt", 403,
	    'table token on another table' ],
	[ "restaurant_id=rst_001&access_token=$tt", 403,
	    'table token on the restaurant channel' ],
	[ "restaurant_id=rst_001&role=WAITER&access_token=$tt", 403,
	    'table token claiming a staff role' ],
	[ "restaurant_id=rst_002&table_id=tbl_001&access_token=$tt", 403,
	    'table token of rst_001 on rst_002\'s table 1' ],
	[ "restaurant_id=rst_001&table_id=tbl_001&access_token=$tt2", 403,
	    'table token of rst_002 on rst_001\'s table 1' ],
	[ "restaurant_id=rst_001&role=MANAGER&access_token="
	    . $tok{'rst_002/manager'}, 403, 'staff of another restaurant' ],
	[ "restaurant_id=rst_001&table_id=tbl_001&access_token="
	    . $tok{'rst_002/manager'}, 403,
	    'staff of another restaurant on a table channel' ],
	[ "restaurant_id=rst_001&role=KITCHEN", 401, 'no token' ],
	[ "restaurant_id=rst_001&table_id=tbl_001", 401, 'no token, table' ],
	[ "restaurant_id=rst_001&role=KITCHEN&access_token=garbage", 401,
	    'garbage token' ],
	[ "restaurant_id=rst_001&access_token=$bad{'alg none, no signature'}",
	    401, 'alg none' ],
	[ "restaurant_id=rst_001&access_token=$bad{expired}", 401,
	    'expired token' ],
	[ "restaurant_id=rst_001&table_id=tbl_001&access_token=$forged_tt", 401,
	    'forged table token' ],
	[ "role=KITCHEN&access_token=$staff{kitchen}", 400,
	    'no restaurant_id' ],
	[ "restaurant_id=&access_token=$staff{kitchen}", 400,
	    'empty restaurant_id' ],
	[ "restaurant_id=rst_001&role=CHEF&access_token=$staff{kitchen}", 400,
	    'unknown role' ],
	[ "restaurant_id=rst_001&role=kitchen&access_token=$staff{kitchen}", 400,
	    'lower-case role' ],
	[ "restaurant_id=rst_001&role=TABLE&access_token=$tt", 400,
	    'role TABLE is not a channel role' ],
	[ "restaurant_id=rst_001&table_id=tbl%20001&access_token=$tt", 400,
	    'table_id not an id' ],
	[ "restaurant_id=rst%5F001&table_id=tbl_001&access_token=$tt", 400,
	    'restaurant_id escaped (nginx does not decode $arg_)' ],
	# nginx matches $arg_ names case-insensitively: the channel is the
	# first of these, and that is the one authorized.
	[ "RESTAURANT_ID=rst_002&restaurant_id=rst_001&table_id=tbl_001"
	    . "&access_token=$tt", 403, 'restaurant_id smuggled by case' ],
	[ "restaurant_id=rst_001&Table_Id=tbl_002&table_id=tbl_001"
	    . "&access_token=$tt", 403, 'table_id smuggled by case' ],
	[ "Restaurant_Id=rst_001&access_token=$tt&table_id=tbl_002"
	    . "&table_id=tbl_001", 403, 'table_id given twice: the first counts' ],
);
for my $c (@refused) {
	my ($q, $want, $name) = @$c;
	for my $kind (qw(es ws lp)) {
		my ($st2, $h2, $b2) = handshake($q, kind => $kind);
		is($st2, $want, "$kind: $name: $want");
		like($h2, qr{^Content-Type: application/json}mi,
		    "$kind: $name: a JSON error, no stream");
		unlike($b2, qr/^(?:: hi|data:|id:)/m, "$kind: $name: nothing delivered");
	}
}
($st, $h, $b) = handshake("restaurant_id=rst_001&access_token=garbage");
like($h, qr{^WWW-Authenticate: Bearer}mi, '401 handshake has WWW-Authenticate');
like($b, qr/"code":"UNAUTHORIZED"/, '401 handshake has the JSON error');

# --- login rate limit ------------------------------------------------
# The stack exempts 127.0.0.1 (tests log in often); 127.0.0.2 is a
# client like any other: 10/min, burst 20 (SPEC §16.26), then 429.
my @codes;
for (1 .. 12) {
	push @codes, $s->post('/v1/auth/login', { restaurantId => 'rst_001',
	    username => 'manager', password => 'wrong-pass' })->{status};
}
ok(!grep({ $_ == 429 } @codes), '127.0.0.1 is exempt: no 429 in 12 tries');
my $ua2 = HTTP::Tiny->new(local_address => '127.0.0.2', timeout => 10);
my ($got429, $retry, $json429, $before);
for my $n (1 .. 25) {
	my $res = $ua2->request('POST', $s->url('/v1/auth/login'), {
	    headers => { 'Content-Type' => 'application/json' },
	    content => '{"restaurantId":"rst_001","username":"manager",'
	    . '"password":"manager-pass"}' });
	if ($res->{status} == 429) {
		$got429 = $n;
		$retry = $res->{headers}{'retry-after'};
		$json429 = eval { $RopTest::JSON->decode($res->{content}) };
		last;
	}
	$before = $res->{status};
}
ok($got429, "127.0.0.2 is limited: 429 on attempt @{[ $got429 // 'none' ]}");
ok($got429 && $got429 >= 21 && $got429 <= 23, 'after the burst of 20');
is($before, 200, 'the logins before the limit succeeded');
like($retry // '', qr/^[1-9][0-9]*$/, "429 has Retry-After ($retry)");
is($json429->{error}{code}, 'RATE_LIMITED', '429 body is RATE_LIMITED JSON');

done_testing;
