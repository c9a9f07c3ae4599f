package RopLive;

# RopLive: a live-event subscriber for tests, over nchan's WebSocket or
# EventSource, speaking just enough of each protocol to read messages.
#
#   my $sub = RopLive->new($s, ws => "/ws?restaurant_id=rst_001&role=KITCHEN",
#                          token => $t);           # or es => ...
#   $sub->status            # handshake status (101 / 200 / 401 / 403 ...)
#   my @ev = $sub->collect(2.0, sub { ... done? });  # decoded envelopes

use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time);

my $JSON = JSON::PP->new;

sub new {
	my ($class, $stack, %o) = @_;
	my $kind = exists $o{ws} ? 'ws' : 'es';
	my $path = $o{$kind};
	$path .= ($path =~ /\?/ ? '&' : '?') . "access_token=$o{token}"
	    if defined $o{token};
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $stack->port, Timeout => 5) or die "connect: $!";
	my $req = "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n";
	if ($kind eq 'ws') {
		my $key = encode_base64(join('', map { chr(rand 256) } 1 .. 16), '');
		$req .= "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		    . "Sec-WebSocket-Key: $key\r\nSec-WebSocket-Version: 13\r\n";
	} else {
		$req .= "Accept: text/event-stream\r\n";
	}
	$req .= "$_: $o{headers}{$_}\r\n" for keys %{ $o{headers} || {} };
	print $sock "$req\r\n";
	my $self = bless { sock => $sock, kind => $kind, buf => '',
	    events => [] }, $class;
	# Read the response head.
	my $end = time + 5;
	while ($self->{buf} !~ /\r\n\r\n/ && time < $end) {
		last unless $self->_fill(0.5);
	}
	if ($self->{buf} =~ s/^(HTTP\/1\.1 (\d+)[^\r]*\r\n(.*?)\r\n\r\n)//s) {
		$self->{status} = $2;
		$self->{head} = $3;
	} else {
		$self->{status} = 0;
	}
	if ($kind eq 'es' && ($self->{head} // '') =~ /transfer-encoding:\s*chunked/i) {
		$self->{chunked} = 1;
	}
	return $self;
}

sub status { $_[0]{status} }
sub head { $_[0]{head} }

sub _fill {
	my ($self, $timeout) = @_;
	my $sel = IO::Select->new($self->{sock});
	return 0 unless $sel->can_read($timeout);
	my $n = sysread($self->{sock}, my $chunk, 65536);
	return 0 unless $n;
	$self->{raw} .= $chunk;
	$self->{buf} .= $chunk;
	return 1;
}

# Parse complete messages out of the buffer.
sub _parse {
	my ($self) = @_;
	if ($self->{kind} eq 'ws') {
		for (;;) {
			my $b = $self->{buf};
			last if length($b) < 2;
			my ($b0, $b1) = unpack('CC', $b);
			my $len = $b1 & 0x7f;
			my $off = 2;
			if ($len == 126) {
				last if length($b) < 4;
				$len = unpack('n', substr($b, 2, 2));
				$off = 4;
			} elsif ($len == 127) {
				last if length($b) < 10;
				$len = unpack('Q>', substr($b, 2, 8));
				$off = 10;
			}
			last if length($b) < $off + $len;
			my $data = substr($b, $off, $len);
			substr($self->{buf}, 0, $off + $len) = '';
			my $op = $b0 & 0x0f;
			if ($op == 1) {
				$self->_event($data);
			} elsif ($op == 8) {
				$self->{closed} = 1;
			}
		}
	} else {
		# Undo chunked framing lazily: drop chunk-size lines.
		my $b = $self->{buf};
		$b =~ s/\r\n[0-9a-fA-F]+\r\n/\n/g if $self->{chunked};
		while ($b =~ s/^(.*?)\n\n//s) {
			my $block = $1;
			my @data = map { /^data: ?(.*)$/ ? $1 : () }
			    split /\r?\n/, $block;
			$self->_event(join("\n", @data)) if @data;
		}
		$self->{buf} = $b;
	}
}

sub _event {
	my ($self, $text) = @_;
	my $ev = eval { $JSON->decode($text) };
	push @{ $self->{events} }, $ev if $ev;
}

# Read for up to SECS (or until DONE->(\@events) is true); return all
# events received so far.
sub collect {
	my ($self, $secs, $done) = @_;
	my $end = time + $secs;
	for (;;) {
		$self->_parse;
		last if $done && $done->($self->{events});
		my $left = $end - time;
		last if $left <= 0;
		$self->_fill($left > 0.2 ? 0.2 : $left);
	}
	$self->_parse;
	return @{ $self->{events} };
}

sub events { @{ $_[0]{events} } }

sub close {
	my ($self) = @_;
	close $self->{sock} if $self->{sock};
	$self->{sock} = undef;
}

1;
