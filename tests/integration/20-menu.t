#!/usr/bin/env perl
# Menu (SPEC §6, issue 3): shape, ETag/304, 404, the versioned Redis
# cache (warm with Postgres stopped, Redis down, corrupt entries rebuilt
# by a worker without its own copy
# and never served), PATCH (version bump, menu.updated outbox row,
# validation, roles, tenants).
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use Time::HiRes qw(sleep);
use RopTest;

my $s = RopTest->start;
my $RID = 'rst_001';
my $MENU = "/v1/restaurants/$RID/menu";
my $redis_port = $s->env('ROP_STACK_REDISPORT');

sub redis {
	my @args = @_;
	open(my $fh, '-|', 'redis-cli', '-p', $redis_port, '--no-raw', @args)
	    or die "redis-cli: $!";
	local $/;
	my $out = <$fh>;
	close $fh;
	return $out // '';
}
sub redis_raw {
	my @args = @_;
	open(my $fh, '-|', 'redis-cli', '-p', $redis_port, '--raw', @args)
	    or die "redis-cli: $!";
	local $/;
	my $out = <$fh>;
	close $fh;
	$out //= '';
	$out =~ s/\n\z//;	# chomp is a no-op with $/ undefined
	return $out;
}
sub etag { $_[0]{headers}{etag} // '' }
sub last_event {
	my ($row) = $s->sql("SELECT seq, event_type, envelope FROM events"
	    . " WHERE restaurant_id = :'r' ORDER BY seq DESC LIMIT 1",
	    r => $RID);
	return $row;
}
sub max_seq {
	my ($row) = $s->sql("SELECT coalesce(max(seq), 0) FROM events"
	    . " WHERE restaurant_id = :'r'", r => $RID);
	return $row->[0];
}

# --- shape ----------------------------------------------------------
my $r = $s->get($MENU);
is($r->{status}, 200, 'menu answers 200');
like($r->{headers}{'content-type'}, qr{^application/json; charset=utf-8$},
    'JSON content type');
my $m = $r->{json};
is_deeply([sort keys %$m], [sort qw(restaurantId menuVersion currency
    categories items updatedAt)], 'menu has exactly the SPEC keys');
is($m->{restaurantId}, $RID, 'restaurantId');
is($m->{currency}, 'USD', 'currency');
like($m->{menuVersion}, qr/^[1-9][0-9]*$/, 'menuVersion is a positive integer');
like($m->{updatedAt}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    'updatedAt is RFC 3339 UTC with milliseconds');
is(etag($r), "\"menu-v$m->{menuVersion}\"", 'ETag is "menu-v{menuVersion}"');
cmp_ok(scalar @{ $m->{categories} }, '>=', 3, 'at least 3 categories');
cmp_ok(scalar @{ $m->{items} }, '>=', 8, 'at least 8 items');
my %cat;
for my $c (@{ $m->{categories} }) {
	is_deeply([sort keys %$c], [qw(categoryId name position)],
	    "category $c->{categoryId} keys") or last;
	$cat{ $c->{categoryId} } = 1;
}
my @pos = map { $_->{position} } @{ $m->{categories} };
is_deeply(\@pos, [sort { $a <=> $b } @pos], 'categories in position order');
my ($itm1, $unavail) = (undef, 0);
for my $i (@{ $m->{items} }) {
	is_deeply([sort keys %$i], [sort qw(itemId name description price
	    isAvailable categoryId)], "item $i->{itemId} keys") or last;
	is_deeply([sort keys %{ $i->{price} }], [qw(amountCents currency)],
	    "item $i->{itemId} price is Money") or last;
	ok($cat{ $i->{categoryId} }, "item $i->{itemId} category exists") or last;
	ok(JSON::PP::is_bool($i->{isAvailable}), 'isAvailable is a boolean')
	    or last;
	$itm1 = $i if $i->{itemId} eq 'itm_001';
	$unavail++ unless $i->{isAvailable};
}
ok($itm1 && $itm1->{isAvailable}, 'itm_001 is available');
is($itm1->{price}{currency}, 'USD', 'prices in the restaurant currency');
like($itm1->{price}{amountCents}, qr/^\d+$/, 'amountCents is an integer');
cmp_ok($unavail, '>=', 1, 'one item is unavailable');

my $r2 = $s->get('/v1/restaurants/rst_002/menu');
is($r2->{status}, 200, 'second restaurant has a menu');
is($r2->{json}{currency}, 'EUR', 'in its own currency');
ok(!grep({ $_->{name} eq 'Margherita Pizza' } @{ $r2->{json}{items} }),
    'and its own items');

# --- ETag / If-None-Match -------------------------------------------
my $tag = etag($r);
my $v = $m->{menuVersion};
for my $inm ($tag, "W/$tag", "\"menu-v0\", $tag", "W/\"x\",W/$tag ", '*') {
	my $c = $s->get($MENU, { 'If-None-Match' => $inm });
	is($c->{status}, 304, "If-None-Match: $inm -> 304");
	is($c->{body}, '', '304 has no body');
	is(etag($c), $tag, '304 carries the ETag');
}
for my $inm ('"menu-v0"', "\"menu-v${v}0\"", 'menu-v' . $v, '"menu-v' . $v) {
	my $c = $s->get($MENU, { 'If-None-Match' => $inm });
	is($c->{status}, 200, "If-None-Match: $inm -> 200");
}

my $hd = $s->request('HEAD', $MENU);
is($hd->{status}, 200, 'HEAD: 200');
is(etag($hd), $tag, 'HEAD: ETag');
is($hd->{body}, '', 'HEAD: no body');

# --- unknown restaurant ---------------------------------------------
$r = $s->get('/v1/restaurants/rst_999/menu');
is($r->{status}, 404, 'unknown restaurant: 404');
is($r->{json}{error}{code}, 'RESTAURANT_NOT_FOUND', 'RESTAURANT_NOT_FOUND');
ok($r->{json}{requestId}, 'error carries requestId');
$r = $s->get('/v1/restaurants/' . ('x' x 65) . '/menu');
is($r->{status}, 404, 'id over 64 characters: 404 from nginx');
is($r->{json}{error}{code}, 'NOT_FOUND', 'as JSON');

# A cache entry is "rop1 <version> <length> <fnv64>\n" and the body.
sub unseal {
	my ($v) = @_;
	return undef unless defined $v && $v =~ s/^rop1 \d+ \d+ [0-9a-f]{16}\n//;
	return $v;
}

# --- warm cache: no Postgres needed --------------------------------
$r = $s->get($MENU);
my $body = $r->{body};
is(redis_raw('GET', "menu:$RID:version"), $v, 'version key cached');
my $sealed = redis_raw('GET', "menu:$RID:v$v");
like($sealed, qr/^rop1 $v \d+ [0-9a-f]{16}\n/, 'body key is sealed: version, length, checksum');
is(unseal($sealed), $body, 'body key holds the response');
my $ttl = redis_raw('TTL', "menu:$RID:v$v");
ok($ttl > 0 && $ttl <= 300, "body key has a TTL <= 300 s ($ttl)");
$ttl = redis_raw('TTL', "menu:$RID:version");
ok($ttl > 0 && $ttl <= 300, "version key has a TTL <= 300 s ($ttl)");

$s->svc('stop', 'postgres');
for my $n (1 .. 4) {		# every worker, warm or not
	$r = $s->get($MENU);
	is($r->{status}, 200, "Postgres stopped: warm menu still 200 ($n)");
	is($r->{body}, $body, 'the same body');
}
is($s->get($MENU, { 'If-None-Match' => $tag })->{status}, 304,
    'Postgres stopped: 304 still works');
$r = $s->get('/v1/restaurants/rst_999/menu');
is($r->{status}, 503, 'Postgres stopped: an uncached menu is 503');
is($r->{json}{error}{code}, 'SERVICE_UNAVAILABLE', 'SERVICE_UNAVAILABLE');
$s->svc('start', 'postgres');
ok($s->wait_for(10, sub { $s->get('/health/ready')->{status} == 200 }),
    'Postgres back');

# --- Redis down: served from Postgres ------------------------------
$s->svc('stop', 'redis');
for my $n (1 .. 3) {
	$r = $s->get($MENU);
	is($r->{status}, 200, "Redis down: menu 200 from Postgres ($n)");
	is_deeply($r->{json}, $m, 'same menu');
	is(etag($r), $tag, 'same ETag');
}
is($s->get($MENU, { 'If-None-Match' => $tag })->{status}, 304,
    'Redis down: 304 still works');
$s->svc('start', 'redis');
# The apps retry Redis after a short backoff.
ok($s->wait_for(5, sub {
	$s->get($MENU);
	(unseal(redis_raw('GET', "menu:$RID:v$v")) // '') eq $body;
}), 'Redis back: the cache is refilled');

# --- corrupt cache entries are ignored and rebuilt ------------------
my %bad = (
	'garbage' => 'garbage',
	'truncated body' => substr($body, 0, int(length($body) / 2)),
	'empty string' => '',
	'wrong menuVersion' => do { (my $b = $body) =~
	    s/"menuVersion":$v,/"menuVersion":@{[$v + 5]},/; $b },
	'another restaurant' => do { (my $b = $body) =~
	    s/"restaurantId":"$RID"/"restaurantId":"rst_002"/; $b },
	'not an object' => '[1,2,3]',
	'trailing bytes' => "$body xyz",
	'missing items' => do { (my $b = $body) =~
	    s/"items":\[.*\],"updatedAt"/"updatedAt"/; $b },
	'the raw body without its seal' => $body,
	'sealed, one byte changed' => do { (my $b = $sealed) =~
	    s/"currency":"USD"/"currency":"USE"/; $b },
	'sealed, truncated' => substr($sealed, 0, length($sealed) - 1),
	'sealed for another version' => do { (my $b = $sealed) =~
	    s/^rop1 $v /rop1 @{[$v + 1]} /; $b },
);
# Each worker keeps its own copy of a body it served and uses it while
# the version key names that version, so a corrupt Redis entry is only
# read by a worker without one: restart the workers to make them read.
sub fresh_workers {
	$s->svc('stop', 'menu');
	$s->svc('start', 'menu');
}
$r = $s->get($MENU) for 1 .. 4;
redis('SET', "menu:$RID:v$v", 'garbage');
for my $n (1 .. 4) {
	$r = $s->get($MENU);
	is($r->{body}, $body, "workers with their own copy serve it ($n)");
}
is(redis_raw('GET', "menu:$RID:v$v"), 'garbage',
    'without reading the Redis body');
for my $what (sort keys %bad) {
	redis('SET', "menu:$RID:v$v", $bad{$what});
	fresh_workers();
	for my $n (1 .. 2) {
		$r = $s->get($MENU);
		is($r->{status}, 200, "cache entry $what: 200 ($n)");
		is($r->{body}, $body, "cache entry $what: never served ($n)");
	}
	is(unseal(redis_raw('GET', "menu:$RID:v$v")), $body,
	    "cache entry $what: rebuilt");
}
for my $bv ('abc', '', '-1', '0', '01', "$v ", '99999999999999999999') {
	redis('SET', "menu:$RID:version", $bv);
	fresh_workers();
	$r = $s->get($MENU);
	is($r->{status}, 200, "version key '$bv': 200");
	is($r->{body}, $body, "version key '$bv': the real menu");
	is(redis_raw('GET', "menu:$RID:version"), $v,
	    "version key '$bv': repaired");
}
# A version key ahead of Postgres (a lost write) points at no body.
# Workers with a copy ask Redis again within ROP_MENU_RECHECK_MS (1 s):
# the time another host's change may take to be seen here.
$s->get($MENU) for 1 .. 4;
redis('SET', "menu:$RID:version", $v + 3);
sleep 1.2;
for my $n (1 .. 4) {
	$r = $s->get($MENU);
	is(etag($r), $tag, "version key ahead of Postgres: the real version ($n)");
}
is(redis_raw('GET', "menu:$RID:version"), $v, 'and the key is repaired');

# --- PATCH ----------------------------------------------------------
my $mgr = $s->login($RID, 'manager');
my $adm = $s->login($RID, 'admin');
my $wtr = $s->login($RID, 'waiter');
my $kit = $s->login($RID, 'kitchen');
my $other = $s->login('rst_002', 'manager');
my $ITEM = "$MENU/items/itm_001";
my $seq0 = max_seq();

$r = $s->patch($ITEM, { isAvailable => JSON::PP::false }, $s->bearer($mgr));
is($r->{status}, 200, 'manager PATCH isAvailable: 200');
is_deeply($r->{json}, { %$itm1, isAvailable => JSON::PP::false },
    'answers the item, as in the menu, changed');
my $ev = last_event();
is($ev->[0], $seq0 + 1, 'menu.updated took the next seq');
is($ev->[1], 'menu.updated', 'event type menu.updated');
my $env = $RopTest::JSON->decode($ev->[2]);
is_deeply($env->{payload}, { menuVersion => $v + 1 },
    'payload {menuVersion}');
is($env->{restaurant_id}, $RID, 'envelope restaurant_id');
is($env->{seq}, $seq0 + 1, 'envelope seq');
is($env->{request_id}, $r->{headers}{'x-request-id'},
    'envelope request_id is the PATCH request');

for my $n (1 .. 4) {		# every worker, each with its own old copy
	is(etag($s->get($MENU)), '"menu-v' . ($v + 1) . '"',
	    "GET after the PATCH: the new ETag ($n)");
}
$r = $s->get($MENU);
is(etag($r), '"menu-v' . ($v + 1) . '"', 'next GET has the new ETag');
is($r->{json}{menuVersion}, $v + 1, 'and the new menuVersion');
my ($i1) = grep { $_->{itemId} eq 'itm_001' } @{ $r->{json}{items} };
ok(!$i1->{isAvailable}, 'and the change');
isnt($r->{json}{updatedAt}, $m->{updatedAt}, 'updatedAt moved');
is($s->get($MENU, { 'If-None-Match' => $tag })->{status}, 200,
    'the old ETag no longer matches');
is(redis_raw('GET', "menu:$RID:version"), $v + 1,
    'version key points at the new version');

$r = $s->patch($ITEM, { price => { amountCents => 1399, currency => 'USD' },
    isAvailable => JSON::PP::true }, $s->bearer($adm));
is($r->{status}, 200, 'admin PATCH price + availability: 200');
is_deeply($r->{json}{price}, { amountCents => 1399, currency => 'USD' },
    'new price');
ok($r->{json}{isAvailable}, 'available again');
$r = $s->get($MENU);
is($r->{json}{menuVersion}, $v + 2, 'version bumped again');
($i1) = grep { $_->{itemId} eq 'itm_001' } @{ $r->{json}{items} };
is($i1->{price}{amountCents}, 1399, 'menu shows the new price');
$r = $s->patch($ITEM, { price => { amountCents => 10_000_000,
    currency => 'USD' }, isAvailable => undef }, $s->bearer($mgr));
is($r->{status}, 200, 'amountCents 10,000,000 is the maximum; null = absent');
$r = $s->patch($ITEM, { price => { amountCents => 0, currency => 'USD' } },
    $s->bearer($mgr));
is($r->{status}, 200, 'amountCents 0 is allowed');
is(max_seq(), $seq0 + 4, 'one event per PATCH');
my $v2 = $s->get($MENU)->{json}{menuVersion};
is($v2, $v + 4, 'one version per PATCH');

# --- PATCH refusals: nothing changes --------------------------------
my @val = (
	[ {}, 'body', 'no field' ],
	[ { isAvailable => undef, price => undef }, 'body', 'only nulls' ],
	[ { isAvailable => 'yes' }, 'isAvailable', 'isAvailable a string' ],
	[ { isAvailable => 1 }, 'isAvailable', 'isAvailable a number' ],
	[ { name => 'x', isAvailable => JSON::PP::true }, 'name', 'unknown field' ],
	[ { price => 1250 }, 'price', 'price a number' ],
	[ { price => { amountCents => -1, currency => 'USD' } },
	    'price.amountCents', 'negative price' ],
	[ { price => { amountCents => 10_000_001, currency => 'USD' } },
	    'price.amountCents', 'price over 10,000,000' ],
	[ { price => { amountCents => '100', currency => 'USD' } },
	    'price.amountCents', 'amountCents a string' ],
	[ \'{"price":{"amountCents":12.5,"currency":"USD"}}',
	    'price.amountCents', 'fractional amountCents' ],
	[ { price => { amountCents => 100 } }, 'price.currency',
	    'currency missing' ],
	[ { price => { amountCents => 100, currency => 'usd' } },
	    'price.currency', 'currency lower case' ],
	[ { price => { amountCents => 100, currency => 'EUR' } },
	    'price.currency', 'currency not the restaurant\'s' ],
	[ { price => { amountCents => 100, currency => 'USD', tax => 1 } },
	    'price.tax', 'unknown Money field' ],
	[ [ { isAvailable => JSON::PP::true } ], 'body', 'an array body' ],
);
for my $c (@val) {
	my ($b, $field, $name) = @$c;
	$r = $s->patch($ITEM, $b, $s->bearer($mgr));
	is($r->{status}, 400, "$name: 400");
	is($r->{json}{error}{code}, 'VALIDATION_ERROR', "$name: VALIDATION_ERROR");
	is($r->{json}{error}{details}{field}, $field, "$name: details.field $field");
}
$r = $s->patch($ITEM, \'{"isAvailable":', $s->bearer($mgr));
is($r->{status}, 400, 'truncated JSON: 400');
is($r->{json}{error}{code}, 'MALFORMED_JSON', 'MALFORMED_JSON');
$r = $s->patch($ITEM, \'{"isAvailable":false}',
    { %{ $s->bearer($mgr) }, 'Content-Type' => 'text/plain' });
is($r->{status}, 415, 'text/plain body: 415');

$r = $s->patch($ITEM, { isAvailable => JSON::PP::false }, $s->bearer($wtr));
is($r->{status}, 403, 'WAITER: 403');
is($r->{json}{error}{code}, 'FORBIDDEN', 'FORBIDDEN');
$r = $s->patch($ITEM, { isAvailable => JSON::PP::false }, $s->bearer($kit));
is($r->{status}, 403, 'KITCHEN: 403');
$r = $s->patch($ITEM, { isAvailable => JSON::PP::false });
is($r->{status}, 401, 'no token: 401');
is($r->{json}{error}{code}, 'UNAUTHORIZED', 'UNAUTHORIZED');
is($r->{headers}{'www-authenticate'}, 'Bearer', 'WWW-Authenticate: Bearer');
$r = $s->patch($ITEM, { isAvailable => JSON::PP::false },
    { Authorization => "Bearer ${mgr}x" });
is($r->{status}, 401, 'forged token: 401');
$r = $s->patch($ITEM, { isAvailable => JSON::PP::false }, $s->bearer($other));
is($r->{status}, 404, 'manager of another restaurant: 404');
$r = $s->patch($ITEM, { nonsense => 1 }, $s->bearer($other));
is($r->{status}, 404, 'another restaurant: 404 even before the body is read');
$r = $s->patch($ITEM, { nonsense => 1 }, $s->bearer($wtr));
is($r->{status}, 400, 'WAITER with a bad body: 400 before 403 (SPEC 9.16)');
$r = $s->patch("$MENU/items/itm_999", { isAvailable => JSON::PP::false },
    $s->bearer($mgr));
is($r->{status}, 404, 'unknown item: 404');
is($r->{json}{error}{code}, 'NOT_FOUND', 'NOT_FOUND');
$r = $s->patch('/v1/restaurants/rst_002/menu/items/itm_001',
    { price => { amountCents => 100, currency => 'USD' } }, $s->bearer($other));
is($r->{status}, 400, 'rst_002 is in EUR: USD refused');
is($r->{json}{error}{details}{field}, 'price.currency', 'details.field');
$r = $s->get($ITEM);
is($r->{status}, 405, 'GET on an item: 405');
like($r->{headers}{allow} // '', qr/PATCH/, 'Allow: PATCH');

is(max_seq(), $seq0 + 4, 'refused PATCHes appended no event');
is($s->get($MENU)->{json}{menuVersion}, $v2, 'and bumped no version');

# --- a PATCH with Redis down still moves the ETag ------------------
$s->svc('stop', 'redis');
$r = $s->patch($ITEM, { isAvailable => JSON::PP::true }, $s->bearer($mgr));
is($r->{status}, 200, 'Redis down: PATCH 200');
is(etag($s->get($MENU)), '"menu-v' . ($v2 + 1) . '"',
    'Redis down: GET shows the new version');
$s->svc('start', 'redis');
ok($s->wait_for(5, sub {
	$s->get($MENU);
	redis_raw('GET', "menu:$RID:version") eq $v2 + 1;
}), 'Redis back: version key refilled');

# --- concurrent PATCHes: the version key never stays behind --------
# Each PATCH points the version key after its commit; two of them may
# SET out of order, so each reads the version again after its SET.
{
	my $before = $s->get($MENU)->{json}{menuVersion};
	my @res = $s->parallel(8, sub {
		my ($i) = @_;
		return [ map { $s->patch($ITEM, { isAvailable =>
		    ($i + $_) % 2 ? JSON::PP::true : JSON::PP::false },
		    $s->bearer($mgr))->{status} } 1 .. 5 ];
	});
	my @st = map { ref $_ eq 'ARRAY' ? @$_ : ('died') } @res;
	is(scalar(grep { $_ eq '200' } @st), 40, '40 concurrent PATCHes: 200')
	    or diag("@st");
	my ($dbv) = $s->sql("SELECT menu_version FROM restaurants WHERE restaurant_id = :'r'",
	    r => $RID);
	is($dbv->[0], $before + 40, 'one version per PATCH');
	is(redis_raw('GET', "menu:$RID:version"), $before + 40,
	    'the version key names the last committed version');
	for my $n (1 .. 4) {
		is(etag($s->get($MENU)), '"menu-v' . ($before + 40) . '"',
		    "every worker serves it ($n)");
	}
}

my $met = $s->get($s->internal_url('/metrics'))->{body};
like($met, qr/^rop_menu_cache_total\{result="hit"\} [1-9]/m, 'cache hits counted');
like($met, qr/^rop_menu_cache_total\{result="miss"\} [1-9]/m, 'misses counted');
like($met, qr/^rop_menu_cache_total\{result="error"\} [1-9]/m,
    'Redis errors counted');
like($met, qr/^rop_menu_cache_total\{result="invalid"\} [1-9]/m,
    'invalid entries counted');

done_testing;
