-- Run once by the postgres image when it creates its data volume
-- (docker-compose.yml mounts it into /docker-entrypoint-initdb.d): the
-- applications' role, which owns nothing (SPEC §15; README, Database
-- roles).  POSTGRES_USER `rop` owns the database and runs the
-- migrations.  DEV ONLY password, as the others in docker-compose.yml.
CREATE ROLE rop_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
    NOBYPASSRLS PASSWORD 'rop-app-dev-only-password';
