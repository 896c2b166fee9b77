#!/usr/bin/env bash
# Runs the benchmarks of BENCHMARKS.md on this machine: Fluent, Fluent + swift-continuum, raw
# SQL, raw SQL + swift-continuum, SQLAlchemy and SQLAlchemy-Continuum 2.0.0, alternating, on a
# SQLite file (WAL) and a throwaway PostgreSQL server; then the scale probes.
#
#   scripts/bench.sh            full run: N = 5000, 3 rounds (about 6 minutes on 2 cores)
#   scripts/bench.sh --quick    N = 2000, 1 round, smaller probes (about 2 minutes)
#   scripts/bench.sh [--quick] [continuum-bench run options, e.g. --backends sqlite]
#   scripts/bench.sh --patched-sqlite [--quick] [options]
#                               Fluent on SQLite with the stock driver and with the driver patched by
#                               patches/sqlite-statement-cache (statement cache on), side by side:
#                               N = 5000, 5 rounds, no probes. The patched packages are checked out
#                               and the benchmarks built against them under .build-patched/ (a
#                               generated copy of Benchmarks/Package.swift), never in Benchmarks/.
#
# Builds Benchmarks/ in release mode first (its own package; the first build takes several
# minutes and is not counted). Results: .build/bench-results/results.json and results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh

QUICK=0
PATCHED=0
ARGS=()
for argument in "$@"; do
  case "$argument" in
    --quick) QUICK=1 ;;
    --patched-sqlite) PATCHED=1 ;;
    *) ARGS+=("$argument") ;;
  esac
done
if [ "$PATCHED" = 1 ]; then
  PRESET=(--backends sqlite --configs fluent,fluent-versioned,fluent-cached,fluent-versioned-cached --probe-rows 0)
  if [ "$QUICK" = 1 ]; then PRESET+=(--n 2000 --rounds 1); else PRESET+=(--n 5000 --rounds 5); fi
elif [ "$QUICK" = 1 ]; then
  PRESET=(--n 2000 --rounds 1 --probe-rows 20000 --probe-versions 200000 --probe-large-rows 200000)
else
  PRESET=(--n 5000 --rounds 3)
fi

swift build -c release --package-path Benchmarks
BIN="$(swift build -c release --package-path Benchmarks --show-bin-path)/continuum-bench"

if [ "$PATCHED" = 1 ]; then
  # The same benchmark sources built against the patched sqlite-nio and sqlite-kit, under .build-patched/.
  scripts/patched-sqlite.sh --build-bench
  PRESET+=(--patched-bin "$(scripts/patched-sqlite.sh --bench-bin)")
fi
PYTHON=$(scripts/python-env.sh)
start_postgres
"$BIN" run "${PRESET[@]}" \
  --pg-url "postgresql://postgres@127.0.0.1:$POSTGRES_PORT/postgres" \
  --python "$PYTHON" --python-script Benchmarks/continuum/bench_continuum.py \
  --out-dir .build/bench-results ${ARGS[@]+"${ARGS[@]}"}
