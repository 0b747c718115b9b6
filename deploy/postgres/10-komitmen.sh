#!/bin/sh
# Runs once, when the PostgreSQL volume is first created: Komitmen's own role and
# database beside Temporal's (`temporal` and `temporal_visibility`, made by auto-setup).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v password="$KOMITMEN_DB_PASSWORD" <<'SQL'
CREATE ROLE komitmen LOGIN PASSWORD :'password';
CREATE DATABASE komitmen OWNER komitmen;
SQL
