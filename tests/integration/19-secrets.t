#!/usr/bin/env perl
# Secrets never logged (SPEC §15).  A stack whose database URL holds a
# password (rop_app's, which pg_hba checks) serves logins with a known
# password, right and wrong, requests with the token they give, a
# PostgreSQL outage (connect errors) and a restart; then no log file of
# the stack (every app, the relay, nginx, PostgreSQL, Redis, migrate)
# holds the database password, the JWT or table-token secret, a login
# password or the token.  And a malformed database URL with a password,
# which libpq quotes whole (or its bad part) in its error, reaches
# neither an app's log line, rop-admin's error nor rop-migrate's.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use POSIX ();
use RopTest;

my $s = RopTest->start;
my $BIN = $ENV{ROP_BIN} || "$RopTest::ROOT/build/bin";
my ($dbpw) = $s->env('ROP_DATABASE_URL') =~ m{^postgresql://[^:/@]+:([^@]+)@};
ok($dbpw && length $dbpw >= 16, 'the apps\' database URL holds a password');

my $PASS = 'Quartz-Zebra-5791-known';
my $WRONG = 'Walrus-Kayak-8642-wrong';
{
	local %ENV = %ENV;
	$ENV{$_} = $s->env($_) for qw(ROP_ENV ROP_DATABASE_URL ROP_METRICS_PATH);
	$ENV{ROP_PASSWORD} = $PASS;
	my $o = `$BIN/rop-admin user-set rst_001 secretive MANAGER 2>&1`;
	is($? >> 8, 0, 'rop-admin sets a known password') or diag $o;
	unlike($o, qr/\Q$PASS\E/, '... and does not print it');
}
my $r = $s->post('/v1/auth/login', { restaurantId => 'rst_001',
    username => 'secretive', password => $PASS });
is($r->{status}, 200, 'login with the known password') or diag $r->{body};
my $token = $r->{json}{token} // 'no-token';
for my $u (qw(secretive nobody)) {
	is($s->post('/v1/auth/login', { restaurantId => 'rst_001', username => $u,
	    password => $WRONG })->{status}, 401, "login $u with a wrong password: 401");
}
# Bad login bodies around the password: their error answers and log
# lines name the field, never its value.
for my $bad ({ restaurantId => 'rst_001', username => 'secretive', password => $PASS, extra => 1 },
    { restaurantId => 'rst_001', username => 'secretive', password => [ $PASS ] },
    { restaurantId => 'rst_001', username => 'secretive', password => $PASS x 100 },
    \qq({"restaurantId":"rst_001","username":"secretive","password":"$PASS"),
    \qq({"restaurantId":"rst_001","username":"secretive","password":"$PASS\x01"})) {
	my $br = $s->post('/v1/auth/login', $bad);
	like($br->{status}, qr/^4\d\d$/, "a bad login body: $br->{status}");
	unlike($br->{body}, qr/\Q$PASS\E/, '... its answer does not echo the password');
}
my $M = $s->bearer($token);
is($s->post('/v1/restaurants/rst_001/tables/tbl_001/open', undef, $M)->{status},
    200, 'the token works');
is($s->get('/v1/restaurants/rst_001/kitchen/orders', $M)->{status}, 200,
    'and again');
# A bad token's bytes are no secret, but a forged one near the real.
is($s->get('/v1/restaurants/rst_001/kitchen/orders',
    $s->bearer($token . 'x'))->{status}, 401, 'a spoiled token: 401');

# PostgreSQL away: every app's connect fails (and is logged), then back.
$s->svc('stop', 'postgres');
is($s->get('/v1/restaurants/rst_001/kitchen/orders', $M)->{status}, 503,
    'PostgreSQL down: 503');
is($s->post('/v1/auth/login', { restaurantId => 'rst_001',
    username => 'secretive', password => $PASS })->{status}, 503,
    'login while PostgreSQL is down: 503');
$s->svc('start', 'postgres');
ok($s->wait_for(10, sub { $s->get('/health/ready')->{status} == 200 }),
    'ready again');
is($s->post('/v1/auth/login', { restaurantId => 'rst_001',
    username => 'secretive', password => $PASS })->{status}, 200,
    'login after the outage');
sleep 1.2;	# the relay's progress save and the last log lines

my ($sig) = $token =~ /\.([^.]+)$/;
my %secret = (
	'the database password' => $dbpw,
	'the JWT secret' => $s->env('ROP_JWT_SECRET'),
	'the table-token secret' => $s->env('ROP_TABLE_TOKEN_SECRET'),
	'the login password' => $PASS,
	'the wrong login password' => $WRONG,
	'the staff token' => $token,
	'the token\'s signature' => $sig,
);
my @logs = grep { -f && -s } glob($s->dir . '/log/*');
cmp_ok(scalar @logs, '>=', 8, scalar(@logs) . ' log files to read');
for my $name (sort keys %secret) {
	my @hit;
	for my $f (@logs) {
		open(my $fh, '<', $f) or die "$f: $!";
		local $/;
		my $text = <$fh>;
		push @hit, $f if index($text, $secret{$name}) >= 0;
	}
	is_deeply(\@hit, [], "no log holds $name");
}

# --- a malformed URL with a password ----------------------------------------------
my $BADPW = 'Lantern-Otter-3137-bad';
my @bad = ("postgresql://rop_app:$BADPW\@[::1/rop",
    "postgresql://rop_app:$BADPW%zz\@localhost/rop",
    "postgresql://rop_app:$BADPW\@/rop?host=/nonexistent&port=5",
    "host=/nonexistent port=5 password=$BADPW");
for my $url (@bad) {
	local %ENV = %ENV;
	delete $ENV{$_} for qw(ROP_MIGRATE_DATABASE_URL ROP_APP_ROLE);
	$ENV{ROP_DATABASE_URL} = $url;
	$ENV{ROP_METRICS_PATH} = $s->dir . '/run/metrics';
	$ENV{ROP_PASSWORD} = 'x';
	my $o = `$BIN/rop-admin user-set rst_001 x WAITER 2>&1`;
	like($o, qr/database connect/, "rop-admin reports the connect failure ($url)");
	unlike($o, qr/\Q$BADPW\E/, '... without the password') or diag $o;
	# The menu app as CGI, Redis off: its request's log line says why
	# the database failed.
	$ENV{$_} = $s->env($_) for qw(ROP_JWT_SECRET ROP_TABLE_TOKEN_SECRET);
	$o = `ROP_REDIS_URL= ROP_ROUTE=menu.get ROP_RESTAURANT_ID=rst_001 REQUEST_METHOD=GET GATEWAY_INTERFACE=CGI/1.1 $BIN/rop-menu </dev/null 2>&1 >/dev/null`;
	like($o, qr/"status":503.*database connect/, '... an app logs its connect failure');
	unlike($o, qr/\Q$BADPW\E/, '... without the password') or diag $o;
	$o = `$RopTest::ROOT/scripts/rop-migrate 2>&1`;
	isnt($? >> 8, 0, 'rop-migrate fails');
	unlike($o, qr/\Q$BADPW\E/, '... without showing the password') or diag $o;
}
# An app whose connect fails logs why, password hidden: rop-reconcile
# logs its failure as a JSON line.
{
	local %ENV = %ENV;
	$ENV{ROP_DATABASE_URL} = $bad[2];
	$ENV{ROP_METRICS_PATH} = $s->dir . '/run/metrics';
	# The fake provider is refused in prod (the default) before any
	# connect: this is the dev stack's reconcile.
	$ENV{ROP_ENV} = 'dev';
	my $o = `$BIN/rop-reconcile --older-than 0 2>&1`;
	like($o, qr/database connect/, 'rop-reconcile logs the connect failure');
	unlike($o, qr/\Q$BADPW\E/, '... without the password') or diag $o;
}

done_testing;
