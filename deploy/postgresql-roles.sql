-- caseflow on PostgreSQL: the application's login role and its privileges.
--
-- Run as the database owner (the role `caseflow db upgrade` runs as; it needs CREATEROLE the
-- first time, to create caseflow_app) or as a superuser, in the
-- caseflow database, after `caseflow db upgrade` (one transaction: all of it or nothing):
--
--     psql --single-transaction -v ON_ERROR_STOP=1 -d caseflow -f deploy/postgresql-roles.sql
--
-- The file is idempotent: re-run it after every migration that adds tables or sequences.
-- Migrations always run as the owner role, never as caseflow_app (it may not create or alter
-- tables). The password is set separately, never here:
--
--     \password caseflow_app
--
-- What caseflow_app may do: read and write every table, except that audit rows are
-- append-only: on audit_event it may SELECT and INSERT, and UPDATE the ip_address column only
-- (the retention sweep removes the applicant's IP address from the events of anonymised
-- applications, caseflow.intake.services.retention). No other UPDATE, no DELETE, no TRUNCATE.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'caseflow_app') THEN
        CREATE ROLE caseflow_app LOGIN;
    END IF;
END
$$;

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO caseflow_app', current_database());
END
$$;

GRANT USAGE ON SCHEMA public TO caseflow_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO caseflow_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO caseflow_app;

-- Tables and sequences that later migrations create (as the owner of the existing tables)
-- get the same privileges. Re-run this file after such a migration all the same: default
-- privileges cover only objects that role creates, and a migration that recreated
-- audit_event would give caseflow_app full rights on it until the REVOKE below runs again.
DO $$
DECLARE
    table_owner name := (SELECT tableowner FROM pg_tables
                   WHERE schemaname = 'public' AND tablename = 'audit_event');
BEGIN
    IF table_owner IS NULL THEN
        RAISE EXCEPTION 'table audit_event not found: run "caseflow db upgrade" first';
    END IF;
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public '
                   'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO caseflow_app', table_owner);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public '
                   'GRANT USAGE, SELECT ON SEQUENCES TO caseflow_app', table_owner);
END
$$;

-- Audit rows are append-only. REVOKE UPDATE on the table also removes its column-level
-- UPDATE grants, so the one allowed column is granted again after it.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM caseflow_app;
GRANT UPDATE (ip_address) ON audit_event TO caseflow_app;
