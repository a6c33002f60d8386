#!/bin/sh
# Run once, when the server's data directory is created (docker-entrypoint-initdb.d): the
# warehouse's database and the account the pipeline writes it as. Dagster's database (`dagster`)
# is the image's own POSTGRES_DB.
set -eu
psql -v ON_ERROR_STOP=1 -v password="$DORA_WAREHOUSE_PASSWORD" --username "$POSTGRES_USER" --dbname dagster <<'SQL'
create role dora_pipeline login password :'password';
create database dora owner dora_pipeline;
SQL
