#!/usr/bin/env perl
# The stack comes up and answers through nginx.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use RopTest;

my $s = RopTest->start;
my $r = $s->get('/health/live');
is($r->{status}, 200, 'live answers 200');
is_deeply($r->{json}, { status => 'ok' }, 'live body');
$r = $s->get('/health/ready');
is($r->{status}, 200, 'ready answers 200');
is($r->{json}{status}, 'ok', 'ready status ok');
my ($n) = $s->sql("SELECT count(*) FROM restaurants");
is($n->[0], 2, 'demo restaurants seeded');
done_testing;
