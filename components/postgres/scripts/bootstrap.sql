-- Runs once, on the primary's first start, as the superuser over the local socket.
-- Names arrive as psql variables; the passwords are read from the pod's environment
-- here, never passed on psql's command line, where the process list would show them.
\getenv replication_password REPLICATION_PASSWORD
\getenv app_password APP_PASSWORD
\getenv exporter_password EXPORTER_PASSWORD

CREATE ROLE :"replication_user" WITH LOGIN REPLICATION PASSWORD :'replication_password';

-- The application's role: it may connect, use its schema and change rows, nothing more.
CREATE ROLE :"app_user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'app_password';
CREATE DATABASE :"app_database" OWNER postgres;
-- PUBLIC may connect to every database by default; roles get only the ones they need.
REVOKE ALL ON DATABASE :"app_database" FROM PUBLIC;
REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;
GRANT CONNECT ON DATABASE :"app_database" TO :"app_user";

-- The exporter reads statistics only.
CREATE ROLE :"exporter_user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'exporter_password';
GRANT pg_monitor TO :"exporter_user";
GRANT CONNECT ON DATABASE postgres TO :"exporter_user";
GRANT CONNECT ON DATABASE :"app_database" TO :"exporter_user";

\connect :"app_database"
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app_user";
-- Tables and sequences created later by the schema owner are granted automatically.
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_user";
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app_user";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_user";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_user";

\connect postgres
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
