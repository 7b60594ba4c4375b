-- The two database roles of Plenum on your own PostgreSQL (15 or newer). docs/SECURITY.md explains why.
-- Run as a superuser with psql, after replacing the two passwords:
--   psql -v ON_ERROR_STOP=1 -f docs/database-roles.sql
-- then start Plenum with
--   PLENUM_MIGRATION_DATABASE_URL=postgresql://plenum_owner:<owner password>@<host>/plenum
--   DATABASE_URL=postgresql://plenum_app:<app password>@<host>/plenum
-- At each start Plenum migrates as plenum_owner, grants plenum_app exactly what it needs (src/server/db/roles.ts:
-- read/write on the tables, only SELECT and INSERT on audit_log, the two partition functions) and refuses to run if
-- plenum_app is a superuser, owns the tables or is a member of plenum_owner.

-- Owns the schema and runs the migrations. Not a superuser either.
CREATE ROLE plenum_owner LOGIN PASSWORD 'replace-with-the-owner-password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

-- What the server connects as: owns nothing, is a member of no role, cannot alter or disable triggers, cannot set
-- session_replication_role (superusers only), cannot SET ROLE to the owner.
CREATE ROLE plenum_app LOGIN PASSWORD 'replace-with-the-app-password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;

CREATE DATABASE plenum OWNER plenum_owner;

\connect plenum
-- Only the owner creates objects in the schema (PostgreSQL 15 already refuses CREATE to PUBLIC there).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CREATE, USAGE ON SCHEMA public TO plenum_owner;
REVOKE ALL ON DATABASE plenum FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE plenum TO plenum_app;
