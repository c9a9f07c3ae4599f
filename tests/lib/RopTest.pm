package RopTest;

# RopTest: integration tests against a private ROP stack.
#
#   use lib 'tests/lib'; use RopTest;
#   my $s = RopTest->start;              # initdb, Redis, apps, nginx, relay
#   my $r = $s->get('/health/ready');    # { status, headers, body, json }
#   is($r->{status}, 200, 'ready');
#
# The stack lives in a fresh temporary directory on free loopback ports
# and is always torn down: at exit, on die, and on INT/TERM/HUP.  Set
# ROP_TEST_KEEP=1 to keep its directory (logs) for debugging.  Every
# JSON response is appended to $ROP_CONTRACT_LOG (when set) so the
# contract test can validate it against docs/openapi.yaml.

use strict;
use warnings;
use Carp qw(croak);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Fcntl qw(:flock O_WRONLY O_APPEND O_CREAT);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);

our $ROOT = abs_path(dirname(__FILE__) . '/../..');
our $JSON = JSON::PP->new->canonical->allow_nonref;
my @stacks;

sub free_port {
	my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
	    LocalPort => 0, ReuseAddr => 1) or die "no free port: $!";
	return $s->sockport;
}

# The programs of one kind (fcgi, daemon, timer, tool), in the order of
# the one list, fcgi-apps/APPS.
sub apps {
	my ($kind) = @_;
	open(my $fh, '<', "$ROOT/fcgi-apps/APPS") or die "fcgi-apps/APPS: $!";
	my @a = map { /^([a-z][a-z0-9_]*)\s+(\S+)/ && $2 eq $kind ? $1 : () } <$fh>;
	close $fh;
	return @a;
}

sub start {
	my ($class, %o) = @_;
	my $err;
	# Free ports are probed, then bound by the servers a moment later;
	# another test running in parallel can take one in between, so a
	# failed start is retried on fresh ports.
	for my $attempt (1 .. 3) {
		my $self = eval { $class->_start(%o) };
		return $self if $self;
		$err = $@;
	}
	die $err;
}

sub _start {
	my ($class, %o) = @_;
	my $bin = $ENV{ROP_BIN} || "$ROOT/build/bin";
	-x "$bin/rop-health" or die "RopTest: no binaries in $bin (run make)\n";
	my $dir = tempdir('ropt.XXXXXX', TMPDIR => 1, DIR => '/tmp',
	    CLEANUP => 0);
	chmod 0755, $dir;
	my $self = bless {
		dir => $dir, bin => $bin, http => free_port(),
		https => free_port(), internal => free_port(), pid => $$,
	}, $class;
	push @stacks, $self;
	my @cmd = ("$ROOT/scripts/rop-stack", 'start', '--dir', $dir,
	    '--bin', $bin, '--http', $self->{http}, '--https',
	    $self->{https}, '--internal', $self->{internal}, '--workers', $o{workers} // 2, '--quiet');
	# redis_password => P: Redis with requirepass, apps on redis://:P@
	local $ENV{ROP_STACK_REDIS_PASSWORD} = $o{redis_password}
	    if defined $o{redis_password};
	my $out = `@cmd 2>&1`;
	if ($? != 0) {
		my $logs = `tail -n 20 $dir/log/*.log 2>/dev/null`;
		$self->stop;
		@stacks = grep { $_ != $self } @stacks;
		die "RopTest: stack did not start:\n$out\n$logs\n";
	}
	open(my $fh, '<', "$dir/rop.env") or die "rop.env: $!";
	while (<$fh>) {
		$self->{env}{$1} = $2 if /^(\w+)='(.*)'$/;
	}
	close $fh;
	$self->{ua} = HTTP::Tiny->new(timeout => 15, keep_alive => 1,
	    max_redirect => 0);
	return $self;
}

sub stop {
	my ($self) = @_;
	return if $self->{stopped}++ || $self->{pid} != $$;
	system("$ROOT/scripts/rop-stack", 'stop', '--dir', $self->{dir});
	if ($ENV{ROP_TEST_KEEP}) {
		print STDERR "# RopTest: stack kept in $self->{dir}\n";
	} else {
		system('rm', '-rf', $self->{dir});
	}
}

END {
	my $rc = $?;
	$_->stop for @stacks;
	$? = $rc;
}
for my $sig (qw(INT TERM HUP)) {
	$SIG{$sig} = sub { $_->stop for @stacks; POSIX::_exit(130) };
}

sub dir { $_[0]{dir} }
sub env { $_[0]{env}{$_[1]} }
sub port { $_[0]{http} }
sub https_port { $_[0]{https} }
sub url { "http://127.0.0.1:$_[0]{http}$_[1]" }
# The internal server (/metrics, the nchan publisher; SPEC §16.25):
# $s->get($s->internal_url('/metrics')).  request() takes a full URL.
sub internal_port { $_[0]{internal} }
sub internal_url { "http://127.0.0.1:$_[0]{internal}$_[1]" }

# $s->svc('stop', 'redis'): start/stop/kill postgres, redis, nginx,
# relay or an app (see scripts/rop-stack).
sub svc {
	my ($self, $action, $name) = @_;
	system("$ROOT/scripts/rop-stack", 'svc', '--dir', $self->{dir},
	    $action, $name) == 0 or die "svc $action $name failed\n";
}

# PIDs of the worker processes of an app (children of its multiwatch).
sub workers {
	my ($self, $app) = @_;
	open(my $fh, '<', "$self->{dir}/run/$app.pid") or return ();
	chomp(my $mw = <$fh>);
	my @kids = grep { /\d/ } split /\s+/, `pgrep -P $mw`;
	return @kids;
}

# request(METHOD, PATH, BODY?, HEADERS?): BODY is a Perl structure
# (encoded as JSON) or a scalar ref of raw bytes.
sub request {
	my ($self, $method, $path, $body, $hdrs) = @_;
	my %h = %{ $hdrs || {} };
	my %opt = (headers => \%h);
	if (defined $body) {
		$opt{content} = ref $body eq 'SCALAR' ? $$body :
		    $JSON->encode($body);
		$h{'Content-Type'} //= 'application/json';
	}
	my $url = $path =~ m{^https?://} ? $path : $self->url($path);
	$path =~ s{^https?://[^/]+}{};
	my $res = $self->{ua}->request($method, $url, \%opt);
	my $r = { status => $res->{status}, headers => $res->{headers},
	    body => $res->{content} // '' };
	my $ct = $r->{headers}{'content-type'} // '';
	if ($ct =~ m{^application/json} && length $r->{body}) {
		$r->{json} = eval { $JSON->decode($r->{body}) };
	}
	$self->record($method, $path, $r);
	return $r;
}

sub get { my ($s, $p, $h) = @_; $s->request('GET', $p, undef, $h) }
sub post { my ($s, $p, $b, $h) = @_; $s->request('POST', $p, $b, $h) }
sub patch { my ($s, $p, $b, $h) = @_; $s->request('PATCH', $p, $b, $h) }

sub record {
	my ($self, $method, $path, $r) = @_;
	my $log = $ENV{ROP_CONTRACT_LOG} or return;
	return if $r->{status} == 599;		# HTTP::Tiny's own failure
	# The contract covers the API, not the web pages nginx serves.
	return unless $path =~ m{^/(v1|health|metrics|ws)\b} ||
	    ($r->{headers}{'content-type'} // '') =~ m{^application/json};
	my $line = $JSON->encode({ method => $method, path => $path,
	    status => $r->{status},
	    contentType => $r->{headers}{'content-type'} // '',
	    body => $r->{json} }) . "\n";
	sysopen(my $fh, $log, O_WRONLY | O_APPEND | O_CREAT) or return;
	flock($fh, LOCK_EX);
	syswrite($fh, $line);
	close $fh;
}

sub bearer { return { Authorization => "Bearer $_[1]" } }

# Mint a staff JWT with the stack's own secret (for expired, forged or
# odd tokens the login endpoint would never issue).  %claims override.
sub mint {
	my ($self, $rid, $role, %claims) = @_;
	require Digest::SHA;
	require MIME::Base64;
	my $b64 = sub {
		my $t = MIME::Base64::encode_base64url($_[0]);
		$t =~ s/=+$//;
		return $t;
	};
	my $now = time;
	my %c = (sub => "usr_test", rid => $rid, role => $role,
	    iat => int($now), exp => int($now) + 3600,
	    jti => sprintf('%08x-0000-4000-8000-%012x', int(rand(2**31)),
	    int(rand(2**31))), %claims);
	my $h = $b64->($JSON->encode({ alg => 'HS256', typ => 'JWT' }));
	my $p = $b64->($JSON->encode(\%c));
	my $sig = $b64->(Digest::SHA::hmac_sha256("$h.$p",
	    $self->{env}{ROP_JWT_SECRET}));
	return "$h.$p.$sig";
}

# A staff token for (restaurant, username); password from the dev seed.
sub login {
	my ($self, $rid, $user, $pass) = @_;
	my $r = $self->post('/v1/auth/login', { restaurantId => $rid,
	    username => $user, password => $pass // "$user-pass" });
	croak "login $rid/$user: $r->{status} $r->{body}"
	    unless $r->{status} == 200;
	return $r->{json}{token};
}

# Run SQL through psql against the stack's database; returns rows as
# arrays of strings.  Values are passed as psql variables, so tests
# quote nothing themselves: $s->sql("SELECT ... WHERE id = :'a'", a => $x).
# It runs as the applications' role (rop_app: row access only), so a
# test sees what the apps may do; sql_owner runs as the schema owner
# (the migrator) for setup the apps could not do.
sub sql { my $self = shift; $self->_psql($self->{env}{ROP_DATABASE_URL}, @_) }
sub sql_owner {
	my $self = shift;
	$self->_psql($self->{env}{ROP_MIGRATE_DATABASE_URL} ||
	    $self->{env}{ROP_DATABASE_URL}, @_);
}
sub _psql {
	my ($self, $url, $sql, %vars) = @_;
	my @cmd = ('psql', $url, '-X', '-A', '-t',
	    '-q', '-F', "\t", '-v', 'ON_ERROR_STOP=1');
	push @cmd, '-v', "$_=$vars{$_}" for sort keys %vars;
	my $pid = open(my $out, '-|') // die "fork: $!";
	if ($pid == 0) {
		open(my $in, '|-', @cmd) or POSIX::_exit(1);
		print $in $sql;
		close $in;
		POSIX::_exit($? >> 8);
	}
	my @rows = map { chomp; [split /\t/, $_, -1] } <$out>;
	close $out or die "sql failed: $sql\n";
	return @rows;
}

# Run CODE in N forked processes at once (released together); returns
# the list of their return values (JSON-serialisable), in child order.
sub parallel {
	my ($self, $n, $code) = @_;
	my (@pipes, @pids);
	pipe(my $go_r, my $go_w) or die "pipe: $!";
	for my $i (0 .. $n - 1) {
		pipe(my $r, my $w) or die "pipe: $!";
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			close $r;
			close $go_w;
			$self->{pid} = -1;	# children never tear down
			$self->{ua} = HTTP::Tiny->new(timeout => 30);
			my $buf;
			sysread($go_r, $buf, 1);	# wait for the start
			my $res = eval { $code->($i) };
			$res = { error => "$@" } if $@;
			print $w $JSON->encode([$res]);
			close $w;
			POSIX::_exit(0);
		}
		close $w;
		push @pipes, $r;
		push @pids, $pid;
	}
	close $go_r;
	close $go_w;	# EOF releases every child at once
	my @out;
	for my $r (@pipes) {
		local $/;
		my $txt = <$r>;
		push @out, $txt ? $JSON->decode($txt)->[0] : undef;
	}
	waitpid($_, 0) for @pids;
	return @out;
}

# Poll CODE every 50 ms until it returns true or SECS pass.
sub wait_for {
	my ($self, $secs, $code) = @_;
	my $end = time + $secs;
	while (time < $end) {
		my $v = $code->();
		return $v if $v;
		sleep 0.05;
	}
	return $code->();
}

1;
