#!/usr/bin/env bash
# What history costs in bytes (BENCHMARKS.md, "Storage"): the benchmark workload's version rows
# against SQLAlchemy-Continuum's, with and without Continuum's four other indexes, on SQLite and
# PostgreSQL; then PostgreSQL's TOAST compression (pglz against lz4) on large documents.
#
#   scripts/bench-storage.sh [N] [ROUNDS]     defaults: N = 5000 articles, 3 rounds
#
# Builds Benchmarks/ and the command line in release mode (not counted), makes the Python
# virtualenv and starts a throwaway PostgreSQL (scripts/postgres.sh). Prints Markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
N=${1:-5000}
ROUNDS=${2:-3}
swift build -c release --package-path Benchmarks
swift build -c release --package-path CLI
BENCH="$(swift build -c release --package-path Benchmarks --show-bin-path)/continuum-bench"
CLI="$(swift build -c release --package-path CLI --show-bin-path)/continuum"
PYTHON=$(scripts/python-env.sh)
start_postgres
"$PYTHON" scripts/bench_storage.py --bench "$BENCH" --cli "$CLI" --python "$PYTHON" \
  --python-script Benchmarks/continuum/bench_continuum.py --pg-port "$POSTGRES_PORT" --n "$N" --rounds "$ROUNDS"
