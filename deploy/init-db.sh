#!/bin/sh
# First start of the compose PostgreSQL (run by the image's entrypoint, official or local): Dagster's own
# storage database beside the warehouse, owned by a login role of its own. The Dagster services connect
# with that role only; the warehouse roles are created by `edu-platform setup` (the `setup` service).
set -eu
: "${EDU_DAGSTER_DB_PASSWORD:?set EDU_DAGSTER_DB_PASSWORD}"
psql -v ON_ERROR_STOP=1 -q --username "$POSTGRES_USER" --dbname postgres -v pw="$EDU_DAGSTER_DB_PASSWORD" <<'SQL'
CREATE ROLE edu_dagster LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw';
CREATE DATABASE edu_dagster OWNER edu_dagster;
REVOKE CONNECT ON DATABASE edu_dagster FROM PUBLIC;
SQL
