-- Least privilege (SPEC §15): the applications (every FastCGI app, the
-- relay, rop-admin, rop-reconcile) connect as a role that owns nothing
-- and may only read and write rows; the schema belongs to the role that
-- runs the migrations (the owner, current_user here).
--
-- scripts/rop-migrate names the applications' role in the setting
-- rop.app_role (and the psql variable app_role) for every migration:
-- ROP_APP_ROLE, else the user ROP_DATABASE_URL logs in as.  When it is
-- the owner itself (a single-role install: ROP_MIGRATE_DATABASE_URL
-- unset) there is nothing to grant and this migration only tightens
-- what PUBLIC may do.  rop-migrate calls rop_app_grant() again after
-- every run, so a single-role install that splits later (README,
-- Configuration) gets the grants from its next rop-migrate.
--
-- Tables, sequences and functions created later by the owner get the
-- applications' grants by themselves (ALTER DEFAULT PRIVILEGES in
-- rop_app_grant): a new migration writes no GRANT.  A table the
-- applications must not use in full says so in its own migration with
-- rop_app_privileges(), which records the rule (rop_app_grant replays
-- it) and applies it; e.g. the audit log, which the applications may
-- only append to and read:
--
--   CALL rop_app_privileges('audit_log', 'SELECT, INSERT');

-- Nobody but the owner creates anything in the schema (PostgreSQL 15
-- already revoked it from PUBLIC; older or upgraded clusters had it),
-- and no temporary tables either.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC',
        current_database());
END $$;

-- Functions are executable by PUBLIC by default: only the applications.
-- (A global default: PUBLIC's EXECUTE is one, and per-schema defaults
-- can only add to those.)
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Tables on which the applications get less than row access in full.
CREATE TABLE app_privileges (
    table_name  text PRIMARY KEY,       -- as regclass prints it
    privileges  text NOT NULL           -- a GRANT list, '' for none
);

-- The applications' role from rop-migrate, or NULL in a single-role
-- install (nothing to grant to oneself).
CREATE FUNCTION rop_app_role() RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    app text := current_setting('rop.app_role', true);
BEGIN
    IF app IS NULL OR app = '' OR app = current_user THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
        RAISE EXCEPTION 'the applications'' role % does not exist '
            '(README, Configuration: create it first)', app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app AND (rolsuper
        OR rolcreaterole OR rolcreatedb OR rolbypassrls)) THEN
        RAISE EXCEPTION 'the applications'' role % must not be a superuser '
            'nor create roles or databases nor bypass row security', app;
    END IF;
    RETURN app;
END $$;

-- Restrict the applications to PRIVS on one table, now and whenever
-- rop_app_grant() runs again.  Run by the owner, in a migration.
CREATE PROCEDURE rop_app_privileges(tbl regclass, privs text)
LANGUAGE plpgsql AS $$
DECLARE
    app text := rop_app_role();
BEGIN
    INSERT INTO app_privileges VALUES (tbl::text, privs)
        ON CONFLICT (table_name) DO UPDATE SET privileges = EXCLUDED.privileges;
    IF app IS NULL THEN
        RETURN;
    END IF;
    EXECUTE format('REVOKE ALL ON %s FROM %I', tbl, app);
    IF privs <> '' THEN
        EXECUTE format('GRANT %s ON %s TO %I', privs, tbl, app);
    END IF;
END $$;

-- Every grant of the applications' role: row access to what exists,
-- the same for what the owner creates later, then the narrower rules.
-- Idempotent; rop-migrate calls it after every run.
CREATE PROCEDURE rop_app_grant()
LANGUAGE plpgsql AS $$
DECLARE
    app text := rop_app_role();
    r record;
BEGIN
    IF app IS NULL THEN
        RAISE NOTICE 'single-role install: the applications connect as '
            'the owner % (set ROP_MIGRATE_DATABASE_URL, see README)',
            current_user;
        RETURN;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I',
        current_database(), app);
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE '
        'ON ALL TABLES IN SCHEMA public TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public '
        'TO %I', app);
    EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO %I',
        app);
    EXECUTE format('REVOKE EXECUTE ON PROCEDURE rop_app_grant(), '
        'rop_app_privileges(regclass, text) FROM %I', app);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public '
        'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I',
        current_user, app);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public '
        'GRANT USAGE, SELECT ON SEQUENCES TO %I', current_user, app);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public '
        'GRANT EXECUTE ON FUNCTIONS TO %I', current_user, app);
    FOR r IN SELECT table_name, privileges FROM app_privileges
        WHERE to_regclass(table_name) IS NOT NULL LOOP
        CALL rop_app_privileges(r.table_name::regclass, r.privileges);
    END LOOP;
END $$;
REVOKE EXECUTE ON PROCEDURE rop_app_grant(),
    rop_app_privileges(regclass, text) FROM PUBLIC;

-- Narrower where the code needs less (checked against every statement
-- in fcgi-apps/ and lib/): the outbox is appended to and read, never
-- changed; a payment is never deleted; the migrations' ledger and these
-- rules are the migrator's (/health/ready reads the ledger).
CALL rop_app_privileges('events', 'SELECT, INSERT');
CALL rop_app_privileges('payments', 'SELECT, INSERT, UPDATE');
CALL rop_app_privileges('schema_migrations', 'SELECT');
CALL rop_app_privileges('app_privileges', '');
CALL rop_app_grant();
