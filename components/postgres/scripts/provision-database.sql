-- Creates (or updates) one service's database and its owner role. Idempotent: a Job
-- runs it on every change, as the superuser, with the names as psql variables and the
-- password from the environment (not on the command line, where `ps` would show it).
\getenv owner_password OWNER_PASSWORD
-- The owner owns only its database; it is not a superuser and cannot create roles.
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION', :'owner')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
ALTER ROLE :"owner" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'owner_password';
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'owner')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, CREATE, TEMPORARY ON DATABASE :"database" TO :"owner";
\connect :"database"
ALTER SCHEMA public OWNER TO :"owner";
