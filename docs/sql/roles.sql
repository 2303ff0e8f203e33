-- Mirador on PostgreSQL: two roles, so the pages' connections cannot change data.
--   mirador_reader  every page's queries (MIRADOR_DATABASE_URL)
--   mirador_writer  audit events, drafts, model runs, imports (MIRADOR_WRITE_DATABASE_URL)
-- Schema changes (python -m lib migrate) stay with the owner of the database.
-- Run as the owner, in the Mirador database, replacing :dbname with its (quoted) name:
--   psql -d mirador -f docs/sql/roles.sql   (after: sed 's/:dbname/"mirador"/')
-- then create login users that are members:
--   CREATE ROLE tablero LOGIN PASSWORD '...' IN ROLE mirador_reader;
--   CREATE ROLE tablero_escritura LOGIN PASSWORD '...' IN ROLE mirador_writer;
CREATE ROLE mirador_reader NOLOGIN;
CREATE ROLE mirador_writer NOLOGIN;
GRANT CONNECT ON DATABASE :dbname TO mirador_reader, mirador_writer;
GRANT USAGE ON SCHEMA public TO mirador_reader, mirador_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO mirador_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO mirador_writer;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO mirador_writer;
-- Tables a later migration creates get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO mirador_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO mirador_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO mirador_writer;
