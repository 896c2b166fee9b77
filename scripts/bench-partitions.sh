#!/usr/bin/env bash
# PostgreSQL: retiring partitions of a version table against batched deletes on 940,000 versions,
# and what partitioning costs every write and read (BENCHMARKS.md, "Partitions"). Starts a
# throwaway server (scripts/postgres.sh) and runs scripts/bench_partitions.sql with psql.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
start_postgres
"$PGBIN/psql" -X -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d "$POSTGRES_DB" -f scripts/bench_partitions.sql
