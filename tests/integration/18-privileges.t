#!/usr/bin/env perl
# Least privilege (SPEC §15): the applications connect as a role that
# owns nothing and may only read and write rows; migrations run as the
# owner (sql/009_app_role_privileges.sql, scripts/rop-migrate).
#
# As the applications' role (the stack's ROP_DATABASE_URL, rop_app with
# a password pg_hba really checks): every kind of DDL, TRUNCATE, GRANT,
# role changes, temporary tables, changing the outbox or the migrations'
# ledger and deleting a payment all fail, while the DML the apps need
# works; the role owns nothing; a table a later migration creates is
# usable by the apps without a GRANT of its own (default privileges);
# every app, the relay, rop-admin and rop-reconcile really connect as
# that role (pg_stat_activity, and they work); rop-migrate without
# ROP_MIGRATE_DATABASE_URL warns that it is a single-role install.
use strict;
use warnings;
use lib 'tests/lib';
use Test::More;
use POSIX ();
use RopTest;

my $s = RopTest->start;
my $APP = $s->env('ROP_DATABASE_URL');
my $OWNER = $s->env('ROP_MIGRATE_DATABASE_URL');
my $BIN = $ENV{ROP_BIN} || "$RopTest::ROOT/build/bin";
ok($OWNER && $OWNER ne $APP, 'the stack has a migrator URL of its own');
like($APP, qr{^postgresql://rop_app:[0-9a-f]{32}@}, 'the apps log in as rop_app with a password');

# psql as URL with one statement: (exit code, stdout + stderr).
sub psql_as {
	my ($url, $stmt) = @_;
	my $pid = open(my $fh, '-|') // die "fork: $!";
	if ($pid == 0) {
		open(STDERR, '>&', \*STDOUT);
		exec('psql', $url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
		    '-c', $stmt) or POSIX::_exit(127);
	}
	local $/;
	my $out = <$fh> // '';
	close $fh;
	return ($? >> 8, $out);
}

# --- who the applications are -------------------------------------------------
my ($me) = $s->sql("SELECT current_user, rolsuper, rolcreaterole, rolcreatedb,"
    . " rolbypassrls, rolreplication FROM pg_roles WHERE rolname = current_user");
is_deeply($me, [qw(rop_app f f f f f)],
    'rop_app: no superuser, no CREATEROLE/CREATEDB/BYPASSRLS/REPLICATION');
my ($rc, $out) = psql_as($APP =~ s/rop_app:[0-9a-f]+@/rop_app:wrong@/r, 'SELECT 1');
isnt($rc, 0, 'a wrong password is refused: the password in the URL is the one checked');
like($out, qr/password authentication failed/, '... by password authentication');

# --- what rop_app may not do ---------------------------------------------------
my @denied = (
	[ 'CREATE TABLE evil (a int)', 'CREATE TABLE' ],
	[ 'CREATE TABLE public.evil (a int)', 'CREATE TABLE in public' ],
	[ 'DROP TABLE orders', 'DROP TABLE orders' ],
	[ 'ALTER TABLE orders ADD COLUMN evil int', 'ALTER TABLE orders ADD COLUMN' ],
	[ 'ALTER TABLE orders DROP CONSTRAINT orders_pkey', 'ALTER TABLE orders DROP CONSTRAINT' ],
	[ 'CREATE INDEX evil ON orders (note)', 'CREATE INDEX' ],
	[ 'TRUNCATE orders', 'TRUNCATE orders' ],
	[ 'TRUNCATE events', 'TRUNCATE events' ],
	[ "CREATE FUNCTION evil() RETURNS int LANGUAGE sql AS 'SELECT 1'", 'CREATE FUNCTION' ],
	[ "CREATE OR REPLACE FUNCTION rop_ts(t timestamptz) RETURNS text LANGUAGE sql AS 'SELECT 1'", 'replace an app function' ],
	[ 'CREATE TEMP TABLE evil (a int)', 'CREATE TEMP TABLE' ],
	[ 'CREATE SCHEMA evil', 'CREATE SCHEMA' ],
	[ 'CREATE ROLE evil', 'CREATE ROLE' ],
	[ 'ALTER ROLE rop_app CREATEROLE', 'ALTER ROLE itself' ],
	[ 'GRANT rop TO rop_app', 'GRANT the owner role to itself' ],
	[ 'ALTER DEFAULT PRIVILEGES FOR ROLE rop GRANT ALL ON TABLES TO rop_app', 'ALTER DEFAULT PRIVILEGES for the owner' ],
	[ 'DELETE FROM events', 'DELETE the outbox' ],
	[ 'UPDATE events SET event_type = event_type', 'UPDATE the outbox' ],
	[ 'DELETE FROM payments', 'DELETE a payment' ],
	[ "INSERT INTO schema_migrations VALUES (999, 'evil')", 'write schema_migrations' ],
	[ 'UPDATE schema_migrations SET name = name', 'UPDATE schema_migrations' ],
	[ "CALL rop_app_privileges('orders', 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')", 'call the migrations\' grant helper' ],
	[ 'CALL rop_app_grant()', 'call rop_app_grant' ],
	[ "INSERT INTO app_privileges VALUES ('orders', '')", 'write the grant rules' ],
);
for my $d (@denied) {
	my ($c, $o) = psql_as($APP, $d->[0]);
	isnt($c, 0, "rop_app: $d->[1] fails");
	like($o, qr/permission denied|must be (owner|superuser|member|able)/, "... for lack of privilege")
	    or diag $o;
}
# GRANT on a table one holds without grant option is a warning, not an
# error: it must grant nothing.
($rc, $out) = psql_as($APP, 'GRANT SELECT, INSERT ON orders TO PUBLIC');
like($out, qr/no privileges were granted/, 'rop_app: GRANT on orders grants nothing');
my ($acl) = $s->sql_owner("SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a"
    . " WHERE c.relname = 'orders' AND a.grantee = 0");
is($acl->[0], 0, '... PUBLIC holds nothing on orders');
my ($left) = $s->sql_owner("SELECT count(*) FROM pg_tables WHERE tablename IN ('orders', 'events', 'evil')");
is($left->[0], 2, 'orders and events are still there, no table evil');
my ($cols) = $s->sql_owner("SELECT count(*) FROM information_schema.columns"
    . " WHERE table_name = 'orders' AND column_name = 'evil'");
is($cols->[0], 0, 'orders has no column evil');

# --- what it may do: the DML the apps need ------------------------------------
($rc, $out) = psql_as($APP, "BEGIN;"
    . " INSERT INTO dining_tables (restaurant_id, table_id, label) VALUES ('rst_001', 'tbl_priv', 'P');"
    . " UPDATE dining_tables SET label = 'Q' WHERE table_id = 'tbl_priv';"
    . " SELECT label FROM dining_tables WHERE table_id = 'tbl_priv' FOR UPDATE;"
    . " DELETE FROM dining_tables WHERE table_id = 'tbl_priv';"
    . " UPDATE orders SET note = note WHERE false;"
    . " SELECT count(*) FROM events; SELECT max(version) FROM schema_migrations;"
    . " SELECT rop_ts(now()); COMMIT");
is($rc, 0, 'rop_app: INSERT, UPDATE, SELECT FOR UPDATE, DELETE, functions work') or diag $out;

# The apps themselves: an order placed, moved, paid; its events read back.
my $W = $s->bearer($s->mint('rst_001', 'WAITER'));
my $K = $s->bearer($s->mint('rst_001', 'KITCHEN'));
my $base = '/v1/restaurants/rst_001/tables';
is($s->post("$base/tbl_001/open", undef, $W)->{status}, 200, 'open a table');
my $r = $s->post("$base/tbl_001/orders", { lines => [ { itemId => 'itm_001', quantity => 1 } ] }, $W);
is($r->{status}, 201, 'place an order') or diag $r->{body};
my $oid = $r->{json}{orderId};
is($s->post("/v1/orders/$oid/$_", undef, $K)->{status}, 200, "$_ it") for qw(accept ready);
$r = $s->post("/v1/orders/$oid/payments:capture", { method => 'CASH' },
    { %$W, 'Idempotency-Key' => 'priv-1' });
is($r->{status}, 201, 'pay it') or diag $r->{body};
is($s->get('/v1/restaurants/rst_001/events?after=0&limit=5', $K)->{status}, 200, 'read the events');
is($s->get('/v1/restaurants/rst_001/menu')->{status}, 200, 'read the menu');
is($s->get('/v1/restaurants/rst_001/kitchen/orders', $K)->{status}, 200, 'read the kitchen queue');
is($s->get("/v1/orders/$oid/payments", $W)->{status}, 200, 'list the payments');
is($s->get('/health/ready')->{status}, 200, 'ready (reads schema_migrations)');
is($s->post('/v1/auth/login', { restaurantId => 'rst_001', username => 'waiter',
    password => 'waiter-pass' })->{status}, 200, 'log in');

# rop-admin and rop-reconcile, with the apps' environment.
{
	local %ENV = %ENV;
	$ENV{$_} = $s->env($_) for grep { defined $s->env($_) }
	    qw(ROP_ENV ROP_DATABASE_URL ROP_REDIS_URL ROP_METRICS_PATH);
	delete $ENV{ROP_MIGRATE_DATABASE_URL};
	$ENV{ROP_PASSWORD} = 'priv-test-pass';
	my $o = `$BIN/rop-admin user-set rst_001 privuser WAITER 2>&1`;
	is($? >> 8, 0, 'rop-admin user-set works as rop_app') or diag $o;
	$o = `$BIN/rop-reconcile --older-than 0 2>&1`;
	is($? >> 8, 0, 'rop-reconcile works as rop_app') or diag $o;
}

# --- who really connects --------------------------------------------------------
my %conn = map { $_->[0] => $_->[1] } $s->sql_owner("SELECT application_name,"
    . " string_agg(DISTINCT usename, ',') FROM pg_stat_activity"
    . " WHERE application_name LIKE 'rop-%' GROUP BY application_name");
for my $app (qw(rop-relay rop-health rop-menu rop-auth rop-tables rop-orders
    rop-kitchen rop-payments rop-events)) {
	is($conn{$app}, 'rop_app', "$app connects as rop_app");
}
is(scalar(grep { $_ ne 'rop_app' } values %conn), 0,
    'no app connection under another role') or diag explain \%conn;

# --- rop_app owns nothing; the owner owns everything --------------------------
my ($owned) = $s->sql_owner(<<'SQL');
SELECT (SELECT count(*) FROM pg_class WHERE relowner = 'rop_app'::regrole)
     + (SELECT count(*) FROM pg_proc WHERE proowner = 'rop_app'::regrole)
     + (SELECT count(*) FROM pg_type WHERE typowner = 'rop_app'::regrole)
     + (SELECT count(*) FROM pg_namespace WHERE nspowner = 'rop_app'::regrole)
     + (SELECT count(*) FROM pg_database WHERE datdba = 'rop_app'::regrole)
SQL
is($owned->[0], 0, 'rop_app owns no relation, function, type, schema or database');
my ($tables) = $s->sql_owner("SELECT count(*), count(*) FILTER (WHERE tableowner = current_user)"
    . " FROM pg_tables WHERE schemaname = 'public'");
ok($tables->[0] >= 13 && $tables->[0] == $tables->[1],
    "the migrator owns every table ($tables->[1] of $tables->[0])");

# --- a later migration's table: usable without a GRANT (default privileges) -----
$s->sql_owner('CREATE TABLE priv_later (id int PRIMARY KEY, v text)');
($rc, $out) = psql_as($APP, "INSERT INTO priv_later VALUES (1, 'a');"
    . " UPDATE priv_later SET v = 'b'; SELECT v FROM priv_later; DELETE FROM priv_later");
is($rc, 0, "a table created later by the owner: rop_app has its DML") or diag $out;
($rc, $out) = psql_as($APP, 'DROP TABLE priv_later');
isnt($rc, 0, '... and still no DDL on it');
($rc, $out) = psql_as($APP, 'TRUNCATE priv_later');
isnt($rc, 0, '... nor TRUNCATE');
# The audit-log pattern of the migration's header comment.
$s->sql_owner("BEGIN; SELECT set_config('rop.app_role', 'rop_app', true);"
    . " CALL rop_app_privileges('priv_later', 'SELECT, INSERT'); COMMIT");
($rc, $out) = psql_as($APP, "INSERT INTO priv_later VALUES (2, 'c'); SELECT count(*) FROM priv_later");
is($rc, 0, 'rop_app_privileges(tbl, SELECT, INSERT): insert and read still work') or diag $out;
($rc, $out) = psql_as($APP, "UPDATE priv_later SET v = 'd'");
isnt($rc, 0, '... UPDATE does not');
($rc, $out) = psql_as($APP, 'DELETE FROM priv_later');
isnt($rc, 0, '... nor DELETE');
$s->sql_owner("DROP TABLE priv_later; DELETE FROM app_privileges WHERE table_name = 'priv_later'");

# --- rop-migrate: re-run, and the single-role fallback -----------------------------
{
	local %ENV = %ENV;
	delete $ENV{ROP_APP_ROLE};
	$ENV{ROP_DATABASE_URL} = $APP;
	$ENV{ROP_MIGRATE_DATABASE_URL} = $OWNER;
	# Grants lost (or a single-role install split later): the next
	# rop-migrate gives them back, narrower rules included.
	$s->sql_owner('REVOKE ALL ON orders, events FROM rop_app');
	isnt((psql_as($APP, 'SELECT 1 FROM orders LIMIT 1'))[0], 0, 'grants revoked: rop_app cannot read orders');
	my $o = `$RopTest::ROOT/scripts/rop-migrate 2>&1`;
	is($? >> 8, 0, 'rop-migrate again as the owner: no migration to apply') or diag $o;
	unlike($o, qr/warning|applying/, '... without a warning');
	is((psql_as($APP, 'SELECT 1 FROM orders LIMIT 1'))[0], 0, '... and rop_app reads orders again');
	is((psql_as($APP, 'SELECT 1 FROM events LIMIT 1'))[0], 0, '... and events');
	isnt((psql_as($APP, 'DELETE FROM events WHERE false'))[0], 0, '... but still may not DELETE events');
	delete $ENV{ROP_MIGRATE_DATABASE_URL};
	$ENV{ROP_DATABASE_URL} = $OWNER;
	$o = `$RopTest::ROOT/scripts/rop-migrate 2>&1`;
	is($? >> 8, 0, 'rop-migrate with ROP_DATABASE_URL alone still works') or diag $o;
	like($o, qr/warning: ROP_MIGRATE_DATABASE_URL is not set/, '... and warns of a single-role install');
}

done_testing;
