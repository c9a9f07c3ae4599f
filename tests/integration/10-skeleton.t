#!/usr/bin/env perl
# The running skeleton (issue 2) through nginx: readiness with Redis and
# PostgreSQL going away and coming back, worker crashes under
# multiwatch, shared metrics, nginx's JSON error pages, request ids,
# traceparent, JSON logs, HTTPS, and the health binary as plain CGI.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use HTTP::Tiny;
use IO::Socket::SSL;		# HTTPS is tested, never skipped
use JSON::PP;
use Time::HiRes qw(sleep time);
use RopTest;

my $s = RopTest->start;
my $json = JSON::PP->new;
my $series = 'rop_http_requests_total{app="health",route="health.ready",status="200"}';
my $ready200 = 0;	# every 200 from health.ready this test caused

# GET /health/ready, counting the 200s for the metrics check.
sub ready {
	my (%h) = @_;
	my $r = $s->get('/health/ready', \%h);
	$ready200++ if $r->{status} == 200;
	return $r;
}

# The value of one series in /metrics (0 when absent).
sub metric {
	my ($name) = @_;
	my $m = $s->get($s->internal_url('/metrics'));
	for my $line (split /\n/, $m->{body}) {
		return $1 if index($line, "$name ") == 0 &&
		    $line =~ / (\d+)$/;
	}
	return 0;
}

# Poll ready until its JSON status is $want (or 503 when $want is 503).
sub wait_ready {
	my ($want, $secs) = @_;
	return $s->wait_for($secs, sub {
		my $r = ready();
		return $want eq '503' ? $r->{status} == 503 :
		    $r->{status} == 200 && ($r->{json}{status} // '') eq $want;
	});
}

my $c0 = metric($series);

# --- ready, all checks ok ----------------------------------------------
my $r = ready();
is($r->{status}, 200, 'ready: 200');
like($r->{headers}{'content-type'}, qr{^application/json; charset=utf-8$},
    'ready: JSON content type');
is_deeply($r->{json}, { status => 'ok', checks => { postgres => 'ok',
    redis => 'ok', migrations => 'ok' } }, 'ready: every check ok');
ok($r->{headers}{'x-request-id'}, 'ready: X-Request-Id on a success');
$r = $s->get('/health/live');
is_deeply([$r->{status}, $r->{json}], [200, { status => 'ok' }], 'live: 200 ok');

# Both workers serve: concurrent requests, all answered.
my @par = $s->parallel(4, sub {
	my $n = 0;
	for (1 .. 10) {
		my $x = $s->get('/health/ready');
		$n++ if $x->{status} == 200;
	}
	return $n;
});
my $par200 = 0;
$par200 += $_ // 0 for @par;
$ready200 += $par200;
is($par200, 40, '40 concurrent ready requests over 4 clients: all 200');

# --- Redis down: degraded, then back -----------------------------------
$s->svc('stop', 'redis');
$r = ready();
is($r->{status}, 200, 'Redis stopped: ready is still 200');
is($r->{json}{status}, 'degraded', 'Redis stopped: status degraded');
is($r->{json}{checks}{redis}, 'down', 'Redis stopped: checks.redis down');
is($r->{json}{checks}{postgres}, 'ok', 'Redis stopped: postgres ok');
$s->svc('start', 'redis');
ok(wait_ready('ok', 10), 'Redis restarted: ready ok again');

# --- Postgres down: 503 envelope, same workers recover -------------------
my @before = sort { $a <=> $b } $s->workers('health');
is(scalar @before, 2, 'two health workers') or diag("@before");
$s->svc('stop', 'postgres');
$r = ready('X-Request-Id' => 'pg-down-1');
is($r->{status}, 503, 'Postgres stopped: ready is 503');
like($r->{headers}{'content-type'} // '', qr{^application/json},
    'Postgres stopped: JSON');
is($r->{json}{error}{code}, 'SERVICE_UNAVAILABLE',
    'Postgres stopped: SERVICE_UNAVAILABLE');
ok(defined $r->{json}{error}{message} &&
    ref $r->{json}{error}{details} eq 'HASH',
    'Postgres stopped: envelope has message and details');
is($r->{json}{requestId}, 'pg-down-1', 'Postgres stopped: requestId');
is($r->{headers}{'x-request-id'}, 'pg-down-1',
    'Postgres stopped: X-Request-Id header matches');
is($r->{json}{error}{details}{postgres}, 'down',
    'Postgres stopped: details.postgres down');
# Every worker answers 503 (none hangs or crashes).
my %codes;
$codes{ ready()->{status} }++ for 1 .. 6;
is_deeply(\%codes, { 503 => 6 }, 'Postgres stopped: every request 503');
$s->svc('start', 'postgres');
ok(wait_ready('ok', 15), 'Postgres restarted: ready ok again');
my %seen200;
$seen200{ ready()->{status} }++ for 1 .. 6;
is_deeply(\%seen200, { 200 => 6 }, 'Postgres restarted: every worker 200');
is_deeply([sort { $a <=> $b } $s->workers('health')], \@before,
    'the same worker processes reconnected (no restart)');

# --- kill -9 a worker: multiwatch replaces it -----------------------------
my $c_kill = metric($series);
is($c_kill, $c0 + $ready200, 'metrics so far count every ready 200');
my $victim = $before[0];
ok(kill('KILL', $victim), "kill -9 worker $victim");
my $replaced = $s->wait_for(10, sub {
	my @now = $s->workers('health');
	return @now == 2 && !grep({ $_ == $victim } @now) ? [@now] : undef;
});
ok($replaced, 'multiwatch started a replacement worker');
my @new = grep { my $p = $_; !grep { $_ == $p } @before } @{ $replaced || [] };
is(scalar @new, 1, "exactly one new worker pid (@new)");
my $good = 0;
for (1 .. 10) {
	$good++ if ready()->{status} == 200;
}
is($good, 10, 'after the kill every request succeeds');

# --- /metrics: shared, monotone, well formed -------------------------------
my $m = $s->get($s->internal_url('/metrics'));
is($m->{status}, 200, '/metrics 200');
like($m->{headers}{'content-type'} // '',
    qr{^text/plain; version=0\.0\.4(;|$)}, '/metrics is text/plain; version=0.0.4');
my (@bad, %types);
for my $line (split /\n/, $m->{body}) {
	if ($line =~ /^# TYPE (\S+) (counter|gauge|histogram)$/) {
		push @bad, "second TYPE $1" if $types{$1}++;
		push @bad, $line unless $1 =~ /^rop_/;
	} elsif ($line =~ /^#/) {
		next;
	} elsif ($line !~ /^rop_[a-zA-Z0-9_:]*(\{[^}]*\})? \S+$/) {
		push @bad, $line;
	}
}
is_deeply(\@bad, [], 'every metric name starts with rop_, one TYPE each');
{
	# Every family: # HELP, then # TYPE, then its samples (issue 14).
	my ($help, @nohelp) = ('');
	for my $line (split /\n/, $m->{body}) {
		$help = $1 if $line =~ /^# HELP (\S+) \S/;
		push @nohelp, $1 if $line =~ /^# TYPE (\S+) / && $help ne $1;
	}
	is_deeply(\@nohelp, [], 'every family has # HELP before # TYPE');
}
# promtool (Debian package prometheus) lints the scrape as Prometheus
# would read it.  A missing promtool is a failure, not a skip.
{
	my $promtool = -x '/usr/bin/promtool' ? '/usr/bin/promtool' :
	    (grep { -x "$_/promtool" } split /:/, $ENV{PATH})[0];
	$promtool .= '/promtool' if defined $promtool && -d $promtool;
	ok(defined $promtool, 'promtool is installed (apt-get install '
	    . 'prometheus)');
	if (defined $promtool) {
		# The traffic so far, plus one of each kind of family.
		$s->get('/v1/restaurants/rst_001/menu');
		$s->post('/v1/auth/login', { restaurantId => 'rst_001',
		    username => 'waiter', password => 'nope' });
		my $scrape = $s->get($s->internal_url('/metrics'));
		is($scrape->{status}, 200, 'scrape for promtool');
		like($scrape->{body}, qr/^# TYPE \S+ histogram$/m,
		    '... it holds a histogram');
		like($scrape->{body}, qr/^# TYPE \S+ counter$/m,
		    '... and a counter');
		my $file = $s->dir . '/scrape.prom';
		open(my $fh, '>', $file) or die "$file: $!";
		print $fh $scrape->{body};
		close $fh;
		my $out = `$promtool check metrics < '$file' 2>&1`;
		is($?, 0, 'promtool check metrics: exit 0') or diag $out;
		is($out, '', 'promtool check metrics: no complaint') or diag $out;
	}
}
my $c1 = metric($series);
is($c1, $c0 + $ready200, "ready 200s counted exactly across workers and "
    . "the kill ($c0 + $ready200)");
ok($c1 > $c_kill, 'the counter kept counting after kill -9 (monotone)');
like($m->{body}, qr/^rop_http_request_duration_seconds_bucket\{app="health",route="health\.ready",le="\+Inf"\} \d+$/m,
    'latency histogram for health.ready');
like($m->{body}, qr/^rop_http_requests_total\{app="health",route="health\.ready",status="503"\} [1-9]\d*$/m,
    'the 503s are counted under their own status');

# --- nginx's JSON errors ----------------------------------------------------
$r = $s->get('/nope');
is($r->{status}, 404, 'GET /nope: 404');
like($r->{headers}{'content-type'} // '', qr{^application/json},
    '404 is JSON');
is($r->{json}{error}{code}, 'NOT_FOUND', '404 code NOT_FOUND');
ok($r->{json}{requestId} && defined $r->{headers}{'x-request-id'} &&
    $r->{headers}{'x-request-id'} eq $r->{json}{requestId},
    '404: X-Request-Id header equals body requestId');

my $big = '{"pad":"' . ('x' x (70 * 1024)) . '"}';
$r = $s->post('/health/ready', \$big);
is($r->{status}, 413, '70 KB POST: 413');
like($r->{headers}{'content-type'} // '', qr{^application/json},
    '413 is JSON');
is($r->{json}{error}{code}, 'PAYLOAD_TOO_LARGE', '413 code');

$r = $s->post('/health/live');
is($r->{status}, 405, 'POST /health/live: 405');
is($r->{headers}{allow}, 'GET', '405 carries Allow: GET');
is($r->{json}{error}{code}, 'METHOD_NOT_ALLOWED', '405 code');
$r = $s->post('/health/live', {});
is_deeply([$r->{status}, $r->{headers}{allow}], [405, 'GET'],
    'POST /health/live with a JSON body: 405 too');

# --- X-Request-Id echo ---------------------------------------------------------
for my $id ('abc-123.x:y_Z', 'r' x 128) {
	$r = $s->post('/health/live', undef, { 'X-Request-Id' => $id });
	is($r->{headers}{'x-request-id'}, $id,
	    'sane request id (' . length($id) . ' chars) echoed in the header');
	is($r->{json}{requestId}, $id, '... and in the body');
	$r = $s->get('/nope', { 'X-Request-Id' => $id });
	is_deeply([$r->{headers}{'x-request-id'}, $r->{json}{requestId}],
	    [$id, $id], '... also by nginx\'s own 404');
}
for my $id ('r' x 130, 'has space', 'semi;colon', 'a"quote') {
	$r = $s->post('/health/live', undef, { 'X-Request-Id' => $id });
	my $got = $r->{headers}{'x-request-id'} // '';
	ok($got ne $id && $got =~ /^[A-Za-z0-9._:-]{1,128}$/,
	    "insane request id '" . substr($id, 0, 12) . "' replaced ($got)");
	is($r->{json}{requestId}, $got, '... body requestId is the new one');
	$r = $s->get('/nope', { 'X-Request-Id' => $id });
	ok(($r->{headers}{'x-request-id'} // $id) ne $id,
	    '... replaced by nginx\'s 404 too');
}

# --- traceparent and the JSON log line ---------------------------------------
my $trace = '4bf92f3577b34da6a3ce929d0e0e4736';
my $rid = 'trace-test-' . int(rand(1e9));
$r = $s->get('/health/live', { 'X-Request-Id' => $rid,
    traceparent => "00-$trace-00f067aa0ba902b7-01" });
is($r->{status}, 200, 'live with a traceparent: 200');
my $line = $s->wait_for(5, sub {
	open(my $fh, '<', $s->dir . '/log/health.log') or return;
	my ($l) = grep { index($_, "\"request_id\":\"$rid\"") >= 0 } <$fh>;
	return $l;
});
ok($line, 'the request has a line in log/health.log');
my $log = eval { $json->decode($line // '') };
ok($log, 'the log line is JSON') or diag($line);
is($log->{trace_id}, $trace, 'log line carries the traceparent trace id');
is_deeply([@$log{qw(service env method route status)}],
    ['health', 'dev', 'GET', 'health.live', 200],
    'log line: service, env, method, route, status');
like($log->{ts} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    'log line: ts is RFC 3339 UTC with ms');
is($log->{level}, 'info', 'log line: level');
is($log->{request_id}, $rid, 'log line: request_id');
ok(defined $log->{duration_ms} && $log->{duration_ms} =~ /^[\d.]+$/,
    'log line: duration_ms is a number');
my %spec = map { $_ => 1 } qw(ts level service env request_id trace_id
    method route status duration_ms restaurant_id table_id order_id event
    message);
is_deeply([grep { !$spec{$_} } sort keys %$log], [],
    'log line: only SPEC §8 fields');
$r = $s->get('/health/live', { traceparent => 'garbage' });
is($r->{status}, 200, 'a malformed traceparent is ignored, not refused');

# --- HTTPS ----------------------------------------------------------------------
my $https = HTTP::Tiny->new(timeout => 10, verify_SSL => 0,
    SSL_options => { SSL_verify_mode => SSL_VERIFY_NONE });
$r = $https->get('https://127.0.0.1:' . $s->https_port . '/health/live');
is($r->{status}, 200, 'HTTPS (self-signed) answers 200') or diag($r->{content});
is($r->{content}, '{"status":"ok"}', 'HTTPS body');

# --- the health binary as plain CGI -----------------------------------------
my %stack;
open(my $envf, '<', $s->dir . '/rop.env') or die "rop.env: $!";
while (<$envf>) {
	$stack{$1} = $2 if /^(ROP_\w+)='(.*)'$/;
}
close $envf;
my $bin = $stack{ROP_BIN} or die 'no ROP_BIN in rop.env';

# Run rop-health as CGI for a route; returns (exit code, stdout, stderr).
sub cgi {
	my ($route, $rid_) = @_;
	my $errf = $s->dir . '/cgi.err';
	local %ENV = (%stack, PATH => $ENV{PATH}, REQUEST_METHOD => 'GET',
	    ROP_ROUTE => $route, GATEWAY_INTERFACE => 'CGI/1.1',
	    SERVER_PROTOCOL => 'HTTP/1.1', QUERY_STRING => '',
	    HTTP_X_REQUEST_ID => $rid_);
	my $out = `"$bin/rop-health" < /dev/null 2> "$errf"`;
	my $rc = $? >> 8;
	open(my $fh, '<', $errf) or die "$errf: $!";
	local $/;
	my $err = <$fh>;
	return ($rc, $out, $err);
}

my ($rc, $out, $err) = cgi('health.live', 'cgi-live-1');
is($rc, 0, 'CGI health.live exits 0');
my ($head, $body) = split /\r\n\r\n/, $out, 2;
like($head // '', qr/\AStatus: 200 OK\r\n/, 'CGI: Status: 200 OK first');
like($head // '', qr/^Content-Type: application\/json; charset=utf-8\r?$/m,
    'CGI: Content-Type');
like($head // '', qr/^X-Request-Id: cgi-live-1\r?$/m, 'CGI: X-Request-Id');
is($body, '{"status":"ok"}', 'CGI: JSON body after the blank line');
my $cgilog = eval { $json->decode((split /\n/, $err // '')[-1] // '') };
is($cgilog && $cgilog->{request_id}, 'cgi-live-1',
    'CGI: one JSON log line on stderr');

($rc, $out, $err) = cgi('health.ready', 'cgi-ready-1');
is($rc, 0, 'CGI health.ready exits 0');
($head, $body) = split /\r\n\r\n/, $out, 2;
like($head // '', qr/\AStatus: 200 OK\r\n/, 'CGI ready against the '
    . 'stack database: 200');
is_deeply(eval { $json->decode($body // '') }, { status => 'ok',
    checks => { postgres => 'ok', redis => 'ok', migrations => 'ok' } },
    'CGI ready: every check ok');
is(metric($series), $c1 + 1,
    'the CGI request counted into the same shared segment');

($rc, $out) = cgi('no.such.route', 'cgi-404');
like($out, qr/\AStatus: 404 Not Found\r\n/, 'CGI: unknown route is a 404');
is($rc, 0, 'CGI: an error answer still exits 0');

done_testing;
