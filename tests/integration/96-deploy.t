#!/usr/bin/env perl
# Deployment hardening (issue 8): TLS protocols, security headers,
# loopback-only /metrics and nchan publisher, systemd sandboxing.
#
# TLS: the stack's HTTPS port must refuse TLS 1.0 and 1.1 and speak 1.2
# and 1.3.  OpenSSL 3 clients refuse the old protocols themselves at
# their default security level, so the client lowers it
# (@SECLEVEL=0), and a control proves that this very client does speak
# TLS 1.0 and 1.1 when the server offers them (openssl s_server with the
# stack's certificate): the refusals measured are nginx's.
#
# Headers: X-Content-Type-Options nosniff, Referrer-Policy,
# X-Frame-Options on API answers (2xx and the apps' errors), web pages,
# redirects and nginx's own error pages (404, 413, 414, 400, 403), over
# HTTP and HTTPS; Server names no version; no X-Powered-By.
#
# Internal endpoints (SPEC §15, §16.25): /metrics and the nchan
# publisher live on a separate server (nginx/internal.conf) that listens
# on loopback only; the public server has no location for them.  Checks:
#  1. `nginx -T` of the stack's configuration: every location that
#     serves /metrics or an nchan publisher is in a server whose every
#     listener is a loopback address or a unix socket, with
#     `allow 127.0.0.0/8; allow ::1; allow unix:; deny all;` and the
#     real-IP header pinned to proxy_protocol (no header moves the
#     client there); the public server has no such location;
#  2. on the stack's public port, /metrics and the publisher answer the
#     JSON 404 whatever X-Forwarded-For / X-Real-IP / Forwarded say;
#     on the internal port they work;
#  3. the shipped files, unchanged, served by a second nginx on
#     127.0.0.2 that (for this test only) trusts 127.0.0.0/8 as proxies,
#     so X-Forwarded-For names the client: even "127.0.0.1" from a
#     trusted proxy gets 404 on the public port for both paths.
#
# systemd: `systemd-analyze security --offline` exposure <= 2.5 and
# `systemd-analyze verify` are scripts/check-systemd (make
# check-systemd, part of make test); here every service unit is read
# for what issue 8 asks: an unprivileged User/Group, ProtectSystem=strict
# with ProtectHome, PrivateTmp, NoNewPrivileges, no capabilities, and no
# writable path but its RuntimeDirectory (/run/rop: the shared metrics
# segment); the FastCGI sockets are not world-writable.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use POSIX ();
use IO::Socket::SSL qw(SSL_VERIFY_NONE);
use Time::HiRes qw(time sleep);
use RopTest;

my $s = RopTest->start;
my $ND = $s->dir . '/nginx';
my $ROOT = $RopTest::ROOT;

# --- TLS --------------------------------------------------------------------
sub tls {
	my ($port, $ver, $host) = @_;
	my $c = IO::Socket::SSL->new(PeerAddr => $host // '127.0.0.1',
	    PeerPort => $port, SSL_version => $ver,
	    SSL_cipher_list => 'DEFAULT:@SECLEVEL=0',
	    SSL_verify_mode => SSL_VERIFY_NONE, Timeout => 5);
	return (undef, $IO::Socket::SSL::SSL_ERROR || "$!") unless $c;
	my $v = $c->get_sslversion;
	$c->close(SSL_no_shutdown => 1);
	return ($v, '');
}

# The control: openssl s_server offering only TLS 1.0 (then only 1.1).
my %client_can;
for my $old (['TLSv1', '-tls1'], ['TLSv1_1', '-tls1_1']) {
	my $port = RopTest::free_port();
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', '/dev/null');
		open(STDERR, '>', '/dev/null');
		no warnings 'exec';
		exec('openssl', 's_server', '-accept', "127.0.0.1:$port",
		    '-cert', "$ND/cert.pem", '-key', "$ND/key.pem", $old->[1],
		    '-cipher', 'DEFAULT:@SECLEVEL=0', '-quiet');
		POSIX::_exit(127);
	}
	$s->wait_for(5, sub { IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, Timeout => 1) ? 1 : 0 });
	my ($v, $err) = tls($port, $old->[0]);
	$client_can{$old->[0]} = ($v // '') eq $old->[0];
	ok($client_can{$old->[0]}, "control: this client speaks $old->[0] to " .
	    "a server that offers it") or diag("control: $err");
	kill 'TERM', $pid;
	waitpid($pid, 0);
}

for my $old (qw(TLSv1 TLSv1_1)) {
	SKIP: {
		skip "the client cannot speak $old here", 1
		    unless $client_can{$old};
		my ($v, $err) = tls($s->https_port, $old);
		ok(!defined $v, "HTTPS port refuses $old") or
		    diag("negotiated $v");
		note("$old: $err");
	}
}
for my $new (qw(TLSv1_2 TLSv1_3)) {
	my ($v, $err) = tls($s->https_port, $new);
	is($v, $new, "HTTPS port speaks $new") or diag($err);
}
{
	my ($v) = tls($s->https_port, 'SSLv23');	# the best both offer
	is($v, 'TLSv1_3', 'a modern client gets TLS 1.3');
}

# --- security headers ---------------------------------------------------------
my $ua = HTTP::Tiny->new(timeout => 10, max_redirect => 0,
    verify_SSL => 0);
my $tok = $s->mint('rst_001', 'WAITER');
my @cases = (
	['API 200', 'GET', '/v1/restaurants/rst_001/menu', 200],
	['API 200 (health)', 'GET', '/health/ready', 200],
	['app 401', 'GET', '/v1/orders/ord_nope', 401],
	['app 404', 'GET', '/v1/orders/ord_nope', 404,
	    { Authorization => "Bearer $tok" }],
	['app 400', 'GET', '/v1/restaurants/rst_001/kitchen/orders?limit=0', 400,
	    { Authorization => "Bearer $tok" }],
	['page', 'GET', '/kitchen/', 200],
	['page (docs)', 'GET', '/docs/', 200],
	['redirect', 'GET', '/', 302],
	['nginx 404', 'GET', '/nope', 404],
	['nginx 404 (bad id)', 'GET', '/v1/orders/' . ('x' x 65), 404],
	['nginx 413', 'POST', '/v1/restaurants/rst_001/tables/tbl_001/orders', 413,
	    { 'Content-Type' => 'application/json' }, 'x' x 70000],
	['nginx 414', 'GET', '/v1/' . ('a' x 10000), 414],
	['nginx 400 (headers)', 'GET', '/health/live', 400, { 'X-Big' => 'y' x 9000 }],
);
for my $scheme ('http', 'https') {
	my $port = $scheme eq 'http' ? $s->port : $s->https_port;
	for my $c (@cases) {
		my ($name, $m, $path, $want, $h, $body) = @$c;
		my $r = $ua->request($m, "$scheme://127.0.0.1:$port$path",
		    { headers => $h || {}, defined $body ? (content => $body) : () });
		my $hd = $r->{headers};
		my @miss;
		push @miss, "status $r->{status}" unless $r->{status} == $want;
		push @miss, 'X-Content-Type-Options'
		    unless ($hd->{'x-content-type-options'} // '') eq 'nosniff';
		push @miss, 'Referrer-Policy'
		    unless ($hd->{'referrer-policy'} // '') =~ /^(no-referrer|same-origin|strict-origin)/;
		push @miss, 'X-Frame-Options'
		    unless ($hd->{'x-frame-options'} // '') =~ /^(DENY|SAMEORIGIN)$/;
		push @miss, "Server: $hd->{server}"
		    if ($hd->{server} // '') =~ m{[/\d]};
		push @miss, 'X-Powered-By' if exists $hd->{'x-powered-by'};
		ok(!@miss, "$scheme $name ($m $want): security headers") or
		    diag('missing or wrong: ' . join(', ', @miss));
	}
}

# --- internal endpoints: 1. the configuration -----------------------------------
my $dump = `nginx -T -p $ND/ -c $ND/nginx.conf 2>&1`;
like($dump, qr/configuration file .* test is successful/,
    'nginx -T of the stack configuration');
# The server blocks of the dump (nested braces counted).
my @servers;
{
	my ($depth, $cur) = (0, undef);
	for my $line (split /\n/, $dump) {
		(my $code = $line) =~ s/#.*//;
		if (!defined $cur && $code =~ /^\s*server\s*\{/) {
			$cur = '';
			$depth = 0;
		}
		next unless defined $cur;
		$cur .= "$code\n";
		$depth += () = $code =~ /\{/g;
		$depth -= () = $code =~ /\}/g;
		if ($depth == 0) { push @servers, $cur; undef $cur; }
	}
}
my ($guarded, $public) = (0, 0);
for my $srv (@servers) {
	my @listen = $srv =~ /^\s*listen\s+([^;\s]+)/gm;
	my $internal = $srv =~ /nchan_publisher|ROP_ROUTE\s+metrics/;
	if (!$internal) {
		$public++;
		unlike($srv, qr!location\s+[^{]*(metrics|_nchan)!, 'server on ' .
		    "@listen: no /metrics or publisher location");
		next;
	}
	$guarded++;
	is(scalar(grep { !/^(127\.\d+\.\d+\.\d+:\d+|\[::1\]:\d+|unix:\S+)$/ } @listen), 0,
	    "internal server listens on loopback only (@listen)");
	my @acl = $srv =~ /^\s*((?:allow|deny)\s+[^;]+);/gm;
	is("@acl", 'allow 127.0.0.0/8 allow ::1 allow unix: deny all',
	    'internal server: allow loopback and unix sockets, deny all');
	like($srv, qr/^\s*real_ip_header\s+proxy_protocol;/m,
	    'internal server: no header moves the client address');
	like($srv, qr{location\s+=\s+/metrics}, 'internal server serves /metrics');
	like($srv, qr!location\s+=\s+/_nchan/pub\s*\{[^}]*nchan_publisher!s,
	    'internal server has the publisher');
}
is($guarded, 1, 'exactly one server has the internal endpoints');
is($public, 1, 'and one public server beside it');
unlike($dump, qr/^\s*set_real_ip_from\b/m,
    'no trusted proxy in the test stack: the client address is the TCP peer');

# --- 2. the public port does not have them, whatever the headers say ---------------
for my $h ({}, { 'X-Forwarded-For' => '127.0.0.1' },
    { 'X-Real-IP' => '127.0.0.1' }, { Forwarded => 'for=127.0.0.1' }) {
	my ($k) = keys %$h;
	$k //= 'no header';
	my $r = $ua->get($s->url('/metrics'), { headers => $h });
	is($r->{status}, 404, "public /metrics ($k): 404");
	like($r->{content}, qr/"code":"NOT_FOUND"/, '... the JSON 404');
	is($ua->request('POST', $s->url('/_nchan/pub?channel=deploy-test'),
	    { headers => $h, content => '{}' })->{status}, 404,
	    "public publisher POST ($k): 404");
}
is($ua->get($s->internal_url('/metrics'))->{status}, 200,
    'internal /metrics: 200');
like($ua->request('POST', $s->internal_url('/_nchan/pub?channel=deploy-test'),
    { content => '{}' })->{status}, qr/^20[0-2]$/, 'internal publisher: 20x');
is($ua->get($s->internal_url('/v1/restaurants/rst_001/menu'))->{status}, 404,
    'the internal server serves nothing else (the menu: 404)');

# A second nginx in directory $d whose http block ends with $http (the
# includes); returns its startup output, $? says whether it started.
sub extra_nginx {
	my ($d, $http) = @_;
	mkdir "$d/tmp";
	chown((getpwnam('nobody'))[2], -1, "$d/tmp") if $> == 0;
	open(my $fh, '>', "$d/nginx.conf") or die "$d/nginx.conf: $!";
	print $fh <<"EOF";
load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
@{[ $> == 0 ? 'user nobody nogroup;' : '' ]}
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $d/tmp/body;
    fastcgi_temp_path $d/tmp/fastcgi;
    proxy_temp_path $d/tmp/proxy;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
$http}
EOF
	close $fh;
	return `nginx -p $d/ -c $d/nginx.conf -e $d/error.log 2>&1`;
}

sub extra_nginx_stop {
	my ($d) = @_;
	open(my $pf, '<', "$d/nginx.pid") or return;
	chomp(my $pid = <$pf>);
	kill 'QUIT', $pid;
	$s->wait_for(5, sub { !kill(0, $pid) });
}

# --- 3. behind a trusted proxy that says the client is 127.0.0.1 -------------------
{
	my $d = tempdir('ropdeploy.XXXXXX', TMPDIR => 1, CLEANUP => 1);
	chmod 0755, $d;
	system('cp', '-R', "$ND/routes", "$ND/snippets", "$ND/rop.conf",
	    "$ND/fastcgi.conf", "$ND/upstreams.conf", "$ND/login-exempt.conf",
	    "$ND/internal.conf", "$ND/rate-limits.conf", "$d/") == 0 or die 'cp';
	my ($port, $iport) = (RopTest::free_port(), RopTest::free_port());
	open(my $fh, '>', "$d/listen.conf") or die;
	print $fh "listen 127.0.0.2:$port;\nroot $ROOT/nginx/html;\n";
	close $fh;
	open($fh, '>', "$d/internal-listen.conf") or die;
	print $fh "listen 127.0.0.2:$iport;\n";
	close $fh;
	open($fh, '>', "$d/trusted-proxies.conf") or die;
	print $fh "set_real_ip_from 127.0.0.0/8;\n";	# this test only
	close $fh;
	my $out = extra_nginx($d, <<'EOF');
    include upstreams.conf;
    include rop.conf;
EOF
	is($?, 0, "a second nginx with the shipped files on 127.0.0.2:$port")
	    or diag($out, `cat $d/error.log`);
	$s->wait_for(5, sub { IO::Socket::INET->new(PeerAddr => '127.0.0.2',
	    PeerPort => $port, Timeout => 1) ? 1 : 0 });
	my $get = sub {
		my ($m, $path, $from, $p) = @_;
		return $ua->request($m, "http://127.0.0.2:" . ($p // $port) . $path,
		    { headers => { 'X-Forwarded-For' => $from } });
	};
	for my $from ('127.0.0.1', '::1', '203.0.113.7') {
		my $r = $get->('GET', '/metrics', $from);
		is($r->{status}, 404, "public /metrics, trusted proxy says $from: 404");
		like($r->{content}, qr/"code":"NOT_FOUND"/, '... as JSON');
		is(($r->{headers}{'x-frame-options'} // ''), 'DENY',
		    '... with the security headers');
		is($get->('POST', '/_nchan/pub?channel=deploy-test', $from)->{status},
		    404, "public publisher POST, proxy says $from: 404");
		is($get->('GET', '/health/live', $from)->{status}, 200,
		    "/health/live for $from: 200");
	}
	# The internal server judges the TCP peer (127.0.0.2, loopback),
	# not the header: a header naming a remote client changes nothing.
	is($get->('GET', '/metrics', '203.0.113.7', $iport)->{status}, 200,
	    'internal /metrics with a remote X-Forwarded-For: 200 (peer judged)');
	extra_nginx_stop($d);
}

# --- the installed nginx configuration, included from anywhere -------------------
# `make install` makes the includes of the shipped files absolute and puts
# the listeners in SYSCONFDIR/rop/nginx-listen.conf, so an nginx.conf in
# any directory includes upstreams.conf and rop.conf and gets every route,
# snippet and page.  Here: installed into a scratch prefix, the admin's
# listener on loopback, the upstreams of this stack, an nginx.conf in a
# third directory.
{
	my $p = tempdir('ropinst.XXXXXX', TMPDIR => 1, CLEANUP => 1);
	chmod 0755, $p;
	my $bin = $ENV{ROP_BIN} // "$ROOT/build/bin";
	my ($b) = $bin =~ m{^\Q$ROOT\E/(.+)/bin/?$};
	$b //= 'build';
	my $out = `make -s -C $ROOT install B=$b PREFIX=$p/usr SYSCONFDIR=$p/etc UNITDIR=$p/units SYSUSERSDIR=$p/sysusers 2>&1`;
	is($?, 0, 'make install into a scratch prefix') or diag($out);
	my $share = "$p/usr/share/rop";
	my $listen = "$p/etc/rop/nginx-listen.conf";
	ok(-f $listen, 'the listeners are installed in SYSCONFDIR/rop');
	# The production upstreams are generated from fcgi-apps/APPS: one
	# per FastCGI app, on the socket of its rop-fcgi@<app>.socket.
	my @fcgi = RopTest::apps('fcgi');
	my @up = map { /^upstream rop_(\w+) \{ server unix:\/run\/rop\/(\w+)\.sock; \}$/ &&
	    $1 eq $2 ? $1 : () } `cat $share/nginx/upstreams.conf`;
	is("@up", "@fcgi", 'installed upstreams.conf: one upstream per fcgi app of fcgi-apps/APPS');
	is(`cat $share/APPS`, `cat $ROOT/fcgi-apps/APPS`,
	    'the list of apps is installed (docker/entrypoint reads it)');
	ok(-x "$p/usr/libexec/rop/rop-$_", "rop-$_ installed")
	    for map { RopTest::apps($_) } qw(fcgi daemon timer tool);
	my @inc = map { `grep -hE "^\\s*include\\s" $_` }
	    glob("$share/nginx/*.conf $share/nginx/routes/*.conf $share/nginx/snippets/*.conf");
	my @rel = grep { !m{include\s+/} } @inc;
	cmp_ok(scalar @inc, '>', 10, scalar(@inc) . ' include directives installed');
	is(scalar @rel, 0, 'every installed include is absolute') or diag(@rel);
	open(my $fh, '<', $listen) or die "$listen: $!";
	my ($root) = grep { /^root / } <$fh>;
	close $fh;
	is($root, "root $share/html;\n", 'the web root is the installed one');
	ok(-f "$p/etc/rop/nginx-$_.conf", "SYSCONFDIR/rop/nginx-$_.conf installed")
	    for qw(internal-listen trusted-proxies rate-limits);
	my ($port, $iport) = (RopTest::free_port(), RopTest::free_port());
	open($fh, '>', $listen) or die;
	print $fh "listen 127.0.0.1:$port;\n$root";
	close $fh;
	open($fh, '>', "$p/etc/rop/nginx-internal-listen.conf") or die;
	print $fh "listen 127.0.0.1:$iport;\n";
	close $fh;
	my $m = "$p/main";
	mkdir $m;
	$out = extra_nginx($m, <<"EOF");
    include $ND/upstreams.conf;
    include $share/nginx/rop.conf;
EOF
	is($?, 0, 'nginx starts on the installed rop.conf from another directory')
	    or diag($out, `cat $m/error.log`);
	$s->wait_for(5, sub { IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, Timeout => 1) ? 1 : 0 });
	my $ua = HTTP::Tiny->new(timeout => 10);
	my $u = "http://127.0.0.1:$port";
	is($ua->get("$u/v1/restaurants/rst_001/menu")->{status}, 200,
	    'installed routes: the menu through this stack\'s apps');
	my $k = $ua->get("$u/kitchen/");
	is($k->{status}, 200, 'installed pages: /kitchen/');
	like($k->{content}, qr/<html/i, '... an HTML page');
	my $n = $ua->get("$u/v1/nothing-here");
	is($n->{status}, 404, 'installed error pages: 404');
	like($n->{content}, qr/"code":"NOT_FOUND"/, '... as JSON');
	is(($n->{headers}{'x-content-type-options'} // ''), 'nosniff',
	    '... with the installed security headers');
	is($ua->get("$u/metrics")->{status}, 404, 'installed: no /metrics on the public server');
	is($ua->get("http://127.0.0.1:$iport/metrics")->{status}, 200,
	    'installed: /metrics on the internal server');
	extra_nginx_stop($m);
}

# --- systemd units ----------------------------------------------------------------
my @units = glob("$ROOT/systemd/*.service");
cmp_ok(scalar @units, '>=', 3, 'service units: ' .
    join(' ', map { s{.*/}{}r } @units));
for my $u (@units) {
	my $name = $u =~ s{.*/}{}r;
	open(my $fh, '<', $u) or die "$u: $!";
	my %k;
	while (<$fh>) {
		next if /^\s*[#;]/ || !/^(\w+)=(.*)$/;
		push @{ $k{$1} }, $2;
	}
	my $one = sub { my $v = $k{$_[0]}; $v ? $v->[-1] : undef };
	ok(defined $one->('User') && $one->('User') !~ /^(root|0)$/,
	    "$name: runs as an unprivileged user (" . ($one->('User') // '-') . ')');
	ok(defined $one->('Group') && $one->('Group') !~ /^(root|0)$/,
	    "$name: unprivileged group");
	is($one->('ProtectSystem'), 'strict', "$name: ProtectSystem=strict");
	is($one->('ProtectHome'), 'yes', "$name: ProtectHome=yes");
	is($one->('PrivateTmp'), 'yes', "$name: PrivateTmp=yes");
	is($one->('NoNewPrivileges'), 'yes', "$name: NoNewPrivileges=yes");
	is($one->('CapabilityBoundingSet'), '', "$name: no capabilities");
	my @rw = map { @{ $k{$_} || [] } } qw(ReadWritePaths ReadWriteDirectories
	    StateDirectory LogsDirectory CacheDirectory ConfigurationDirectory);
	is("@rw", '', "$name: no writable path besides its RuntimeDirectory");
	is($one->('RuntimeDirectory'), 'rop', "$name: RuntimeDirectory=rop " .
	    '(/run/rop, the metrics segment)');
	is($one->('UMask'), '0077', "$name: UMask=0077");
}
{
	open(my $fh, '<', "$ROOT/systemd/rop-fcgi\@.socket") or die;
	my ($mode) = map { /^SocketMode=(\d+)/ ? $1 : () } <$fh>;
	ok(defined $mode && (oct($mode) & 07) == 0,
	    'FastCGI sockets are not reachable by other users (SocketMode=' .
	    ($mode // '-') . ')');
}
done_testing;
