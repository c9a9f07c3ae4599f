#!/usr/bin/env perl
# The edge (issue 14, SPEC §15, §16.25-27): what nginx itself enforces.
#
# Internal endpoints: /metrics and the nchan publisher are served only by
# the internal server (loopback, its own port).  On the public port they
# answer the JSON 404 whatever X-Forwarded-For / X-Real-IP say, and a
# publish there reaches no channel (the internal publisher's channel
# info shows nothing was stored; a publish through the internal port
# does show up, so the check can see one).
#
# Rate limits (429 envelope with Retry-After, before the app is asked):
# login per client address (10/min, burst 20; 127.0.0.1 is exempt in
# test stacks, so the client here is 127.0.0.3); guest writes per guest
# token (60/min, burst 30) while a staff token at the same rate from the
# same address is never refused; guest reads not limited; another token
# has its own bucket; a spoofed X-Forwarded-For from an address that is
# not a trusted proxy changes neither the key nor the exemption.
#
# Headers: HSTS on HTTPS answers only; every page carries exactly the
# CSP of §16.27, and no page has inline scripts, styles or handlers.
#
# Logs: access_token / token query values never reach any file under
# the stack's log directory (nginx access and error logs, app logs).
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use File::Find;
use HTTP::Tiny;
use IO::Socket::SSL;
use Time::HiRes qw(time);
use RopTest;

my $s = RopTest->start;
my $ROOT = $RopTest::ROOT;
my $ua = HTTP::Tiny->new(timeout => 10, max_redirect => 0, verify_SSL => 0);
my $CSP = "default-src 'self'; script-src 'self'; style-src 'self'; " .
    "img-src 'self' data:; connect-src 'self' ws: wss:; " .
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

sub envelope_ok {
	my ($r, $status, $code, $name) = @_;
	my $j = eval { $RopTest::JSON->decode($r->{content} // '') } // {};
	ok($r->{status} == $status && ($j->{error}{code} // '') eq $code &&
	    ($j->{requestId} // '') =~ /\S/ &&
	    ($r->{headers}{'content-type'} // '') =~ m{^application/json},
	    "$name: $status $code envelope") or
	    diag("$r->{status} $r->{content}");
}

# --- internal endpoints ------------------------------------------------------
my $chan = 'edge-test';
my $info = sub {	# the publisher's view of a channel: 404 = no message
	$ua->get($s->internal_url("/_nchan/pub?channel=$chan"),
	    { headers => { Accept => 'application/json' } });
};
for my $h ({}, { 'X-Forwarded-For' => '127.0.0.1' },
    { 'X-Real-IP' => '127.0.0.1' },
    { 'X-Forwarded-For' => '127.0.0.1', 'X-Real-IP' => '127.0.0.1' }) {
	my $k = join('+', sort keys %$h) || 'no header';
	envelope_ok($ua->get($s->url('/metrics'), { headers => $h }), 404,
	    'NOT_FOUND', "public GET /metrics ($k)");
	envelope_ok($ua->request('POST', $s->url("/_nchan/pub?channel=$chan"),
	    { headers => { %$h, 'Content-Type' => 'application/json' },
	    content => '{"forged":true}' }), 404, 'NOT_FOUND',
	    "public POST /_nchan/pub ($k)");
	envelope_ok($ua->get($s->url("/_nchan/pub?channel=$chan"),
	    { headers => $h }), 404, 'NOT_FOUND', "public GET /_nchan/pub ($k)");
}
is($info->()->{status}, 404, 'nothing was published on the channel');
my $m = $ua->get($s->internal_url('/metrics'));
is($m->{status}, 200, 'internal /metrics: 200');
like($m->{content}, qr/^rop_http_requests_total\{/m, '... the metrics');
my $p = $ua->request('POST', $s->internal_url("/_nchan/pub?channel=$chan"),
    { headers => { 'Content-Type' => 'application/json' }, content => '{"ok":1}' });
like($p->{status}, qr/^20[0-2]$/, "internal publish: $p->{status}");
my $i = $info->();
is($i->{status}, 200, 'the internal publish is seen on the channel');
like($i->{content}, qr/"messages"\s*:\s*1\b/, '... one message, the forged ones none');
like($s->env('ROP_NCHAN_PUBLISH_URL'),
    qr{^http://127\.0\.0\.1:${\ $s->internal_port }/_nchan/pub$},
    'the relay publishes to the internal server');

# --- rate limits: login per client address ---------------------------------------
my $ua3 = HTTP::Tiny->new(local_address => '127.0.0.3', timeout => 10);
my $login = sub {
	my ($u, $h) = @_;
	return $u->request('POST', $s->url('/v1/auth/login'), {
	    headers => { 'Content-Type' => 'application/json', %{ $h || {} } },
	    content => '{"restaurantId":"rst_001","username":"nobody","password":"x"}' });
};
my ($first429, $r429, @before);
my $t0 = time;
for my $n (1 .. 25) {
	my $r = $login->($ua3);
	if ($r->{status} == 429) { ($first429, $r429) = ($n, $r); last; }
	push @before, $r->{status};
}
# 20 in the burst, one at the rate, one more per 6 s the loop took.
my $lmax = 22 + int((time - $t0) / 6);
ok($first429 && $first429 >= 21 && $first429 <= $lmax,
    'login from 127.0.0.3: 429 after the burst of 20 (attempt ' .
    ($first429 // 'none') . ", at most $lmax)");
is(scalar(grep { $_ != 401 } @before), 0, '... the attempts before reached the app (401)');
envelope_ok($r429, 429, 'RATE_LIMITED', 'login over the limit');
is($r429->{headers}{'retry-after'}, 6, '... Retry-After: 6 (10/min)');
is($r429->{headers}{'x-frame-options'}, 'DENY', '... with the security headers');
# 127.0.0.3 is not a trusted proxy: its headers move nothing.
for my $h ({ 'X-Forwarded-For' => '127.0.0.1' }, { 'X-Real-IP' => '127.0.0.1' },
    { 'X-Forwarded-For' => '203.0.113.9' }) {
	my ($k) = keys %$h;
	is($login->($ua3, $h)->{status}, 429,
	    "127.0.0.3 with $k: $h->{$k}: still 429 (neither a new key nor the exemption)");
}
my $ua4 = HTTP::Tiny->new(local_address => '127.0.0.4', timeout => 10);
is($login->($ua4, { 'X-Forwarded-For' => '127.0.0.3' })->{status}, 401,
    '127.0.0.4 naming 127.0.0.3 in X-Forwarded-For: its own key (401, not 429)');

# --- rate limits: guest writes per token, staff never ------------------------------
my $M = $s->bearer($s->mint('rst_001', 'MANAGER'));
my $W = 'Bearer ' . $s->mint('rst_001', 'WAITER');
my $qr = $s->get('/v1/restaurants/rst_001/tables/tbl_001/qr', $M);
is($qr->{status}, 200, 'a table token for tbl_001');
my $G = 'Bearer ' . ($qr->{json}{token} // 'none');
like($G, qr/^Bearer t1\./, '... a t1. table token');
my $orders = $s->url('/v1/restaurants/rst_001/tables/tbl_001/orders');
# An empty line list: the app refuses it (400) without writing, so the
# only thing that can answer 429 is nginx.
my $write = sub {
	my ($auth, $u) = @_;
	return ($u // $ua)->request('POST', $orders, { headers => {
	    Authorization => $auth, 'Content-Type' => 'application/json' },
	    content => '{"lines":[]}' });
};
my (%guest, %staff, $g429, $gfirst, $gsecs);
my $g0 = time;
for my $n (1 .. 45) {
	my $g = $write->($G);
	$guest{ $g->{status} }++;
	if ($g->{status} == 429 && !$gfirst) {
		($gfirst, $g429, $gsecs) = ($n, $g, time - $g0);
	}
	$staff{ $write->($W)->{status} }++;
}
# 30 in the burst, one at the rate, one more per second the loop took.
my $gmax = 32 + int($gsecs // 0);
ok($gfirst && $gfirst >= 31 && $gfirst <= $gmax,
    'guest writes with one table token: 429 after the burst of 30 (write ' .
    ($gfirst // 'none') . ", at most $gmax)");
envelope_ok($g429, 429, 'RATE_LIMITED', 'guest write over the limit');
is($g429->{headers}{'retry-after'}, 1, '... Retry-After: 1 (60/min)');
ok(!$staff{429}, 'a staff token at the same rate from the same address: ' .
    'never 429 (' . join(' ', map { "$_ x$staff{$_}" } sort keys %staff) . ')');
is($write->("bearer $qr->{json}{token}")->{status}, 429,
    'the same token with a lower-case scheme: the same bucket (429)');
my $u4 = HTTP::Tiny->new(local_address => '127.0.0.4', timeout => 10);
is($write->($G, $u4)->{status}, 429, '... and from another address (per token)');
isnt($write->('Bearer t1.other.token')->{status}, 429,
    'another token has its own bucket');
my $gr = $ua->get($s->url('/v1/restaurants/rst_001/menu'),
    { headers => { Authorization => $G } });
isnt($gr->{status}, 429, 'guest reads are not limited');
my @burst = map { $write->($W)->{status} } 1 .. 40;
ok(!grep({ $_ == 429 } @burst), 'staff: 40 more writes at once, none refused');

# --- headers -------------------------------------------------------------------
my @pages;
find(sub { push @pages, $File::Find::name if /\.html$/ }, "$ROOT/nginx/html");
for my $f (@pages) {
	open(my $fh, '<', $f) or die "$f: $!";
	local $/;
	my $html = <$fh>;
	close $fh;
	(my $rel = $f) =~ s{^\Q$ROOT\E/nginx/html}{};
	my @bad;
	push @bad, 'inline <script>' if $html =~ /<script(?![^>]*\bsrc=)[^>]*>/i;
	push @bad, '<style>' if $html =~ /<style\b/i;
	push @bad, 'style attribute' if $html =~ /<[^>]*\sstyle\s*=/i;
	push @bad, 'on* handler' if $html =~ /<[^>]*\son[a-z]+\s*=/i;
	push @bad, 'javascript: URL' if $html =~ /javascript:/i;
	push @bad, 'meta CSP' if $html =~ /http-equiv\s*=\s*"?Content-Security-Policy/i;
	ok(!@bad, "$rel: no inline code or style") or diag(join(', ', @bad));
}
my @urls = ('/kitchen/', '/t/rst_001/tbl_001', '/docs/', '/', '/nope',
    '/v1/restaurants/rst_001/menu');
for my $scheme ('http', 'https') {
	my $port = $scheme eq 'http' ? $s->port : $s->https_port;
	for my $u (@urls) {
		my $r = $ua->get("$scheme://127.0.0.1:$port$u");
		my $h = $r->{headers};
		is($h->{'content-security-policy'}, $CSP, "$scheme $u ($r->{status}): the CSP");
		if ($scheme eq 'https') {
			like($h->{'strict-transport-security'} // '', qr/^max-age=\d{7,}/,
			    "https $u: HSTS");
		} else {
			ok(!exists $h->{'strict-transport-security'}, "http $u: no HSTS");
		}
	}
}

# --- logs ------------------------------------------------------------------------
my $T = $qr->{json}{token};
my @secret = (
	"/ws?restaurant_id=rst_001&access_token=SECRETws1",
	"/ws?restaurant_id=rst_001&role=KITCHEN&access_token=SECRETws2",
	"/ws?access_token=SECRETws3",
	"/ws?restaurant_id=rst_001&table_id=tbl_001&token=SECRETws4",
	"/t/rst_001/tbl_001?token=SECRETt1",
	"/t/rst_001/tbl_001?x=1&token=SECRETt2&y=2",
	"/t/rst_001/tbl_001?token=SECRETa&token=SECRETb&access_token=SECRETc&token=SECRETd&token=SECRETe",
	"/t/rst_001/tbl_001?ACCESS_TOKEN=SECRETupper",
	"/v1/restaurants/rst_001/menu?access_token=SECRETapi",
	"/nope?token=SECRET404",
);
$ua->get($s->url($_)) for @secret;
$ua->get($s->url('/t/rst_001/tbl_001?token=ok'),
    { headers => { Referer => 'http://127.0.0.1/t/rst_001/tbl_001?token=SECRETref' } });
# The page's own table token, exactly as a guest's browser sends it.
$ua->get($s->url("/t/rst_001/tbl_001?token=$T"));
# (admitted: a long-poll subscriber, cut after 2 s)
HTTP::Tiny->new(timeout => 2)->get(
    $s->url("/ws?restaurant_id=rst_001&table_id=tbl_001&access_token=$T"));
my $log = $s->dir . '/log';
my $access = "$log/nginx-access.log";
ok($s->wait_for(5, sub { -s $access && `grep -c REDACTED $access` >= @secret }),
    'the requests are in the access log, redacted');
my (@hits, $files);
find(sub {
	return unless -f $_;
	$files++;
	open(my $fh, '<', $_) or return;
	while (my $l = <$fh>) {
		push @hits, "$File::Find::name: $l" if $l =~ /SECRET|\Q$T\E/;
	}
}, $log);
cmp_ok($files, '>=', 5, "$files log files searched");
is(scalar @hits, 0, 'no token value in any log file') or diag(@hits[0 .. ($#hits > 5 ? 5 : $#hits)]);

done_testing;
