#!/usr/bin/env bash
# Instructions SQLite executes for versioned writes (BENCHMARKS.md, "SQLite triggers, format 4"):
# valgrind's callgrind, exactly repeatable, on the SQLite that SQLiteNIO ships (the amalgamation in
# .build/checkouts/sqlite-nio, compiled with the defines of its Package.swift) and on the triggers
# the command line installs.
#
#   scripts/bench-sqlite-instructions.sh [--track-modified]
#
# Needs valgrind, a C compiler, the package's checkouts (`swift build` once) and the command line
# (`swift build --package-path CLI`, or CONTINUUM_CLI). Prints instructions per statement: 2,000
# single-row statements, 100 per transaction, each transaction a scope; stock driver (prepare and
# finalize every statement) and statement cache (prepare once); one UPDATE of 10,000 rows per row,
# and its set-based floor. Versioned table t, unversioned twin u, in .build/sqlite-instructions.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OPTIONS=()
[ "${1:-}" = "--track-modified" ] && OPTIONS+=(--track-modified)
CLI=${CONTINUUM_CLI:-$ROOT/CLI/.build/debug/continuum}
SRC=$ROOT/.build/checkouts/sqlite-nio/Sources/VaporCSQLite
WORK=$ROOT/.build/sqlite-instructions
for tool in valgrind cc; do command -v "$tool" >/dev/null || { echo "$(basename "$0"): $tool is required" >&2; exit 1; }; done
[ -x "$CLI" ] || { echo "$(basename "$0"): no command line at $CLI (swift build --package-path CLI)" >&2; exit 1; }
[ -f "$SRC/sqlite_nio_sqlite3.c" ] || { echo "$(basename "$0"): no sqlite-nio checkout (swift build)" >&2; exit 1; }
mkdir -p "$WORK"

# The defines SQLiteNIO compiles its SQLite with (those of every configuration).
DEFINES=$(grep -E '^\s*\.define\(' "$ROOT/.build/checkouts/sqlite-nio/Package.swift" | grep -v '\.when(' |
  sed -E 's/.*define\("([A-Za-z0-9_]+)"(, to: "([^"]*)")?.*/-D\1=\3/; s/=$//')
if [ ! -f "$WORK/sqlite.o" ] || [ "$SRC/sqlite_nio_sqlite3.c" -nt "$WORK/sqlite.o" ]; then
  # shellcheck disable=SC2086
  cc -O2 -g $DEFINES -I"$SRC/include" -c "$SRC/sqlite_nio_sqlite3.c" -o "$WORK/sqlite.o"
fi
cc -O2 -g -fno-inline -I"$SRC/include" Benchmarks/sqlite-instructions/harness.c "$WORK/sqlite.o" -o "$WORK/harness" -lpthread -lm -ldl
HARNESS=$WORK/harness

# The database: t versioned by the command line, u unversioned, 10,000 rows each (t's with their
# INSERT versions), 20,000 more transactions, no statistics.
TEMPLATE=$WORK/template.db
rm -f "$TEMPLATE" "$TEMPLATE-wal" "$TEMPLATE-shm"
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INT); CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT, n INT);' >"$WORK/tables.sql"
"$HARNESS" setup "$TEMPLATE" "$WORK/tables.sql"
"$CLI" --database "sqlite:$TEMPLATE" init >/dev/null
"$CLI" --database "sqlite:$TEMPLATE" enable t ${OPTIONS[@]+"${OPTIONS[@]}"} --no-backfill >/dev/null
cat >"$WORK/rows.sql" <<'SQL'
BEGIN;
UPDATE "_continuum_state" SET "active" = 1, "transaction_id" = NULL, "user_id" = 'setup';
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 10000) INSERT INTO t SELECT i, 'row ' || i, i FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 10000) INSERT INTO u SELECT i, 'row ' || i, i FROM c;
UPDATE "_continuum_state" SET "active" = 0, "transaction_id" = NULL, "user_id" = NULL;
COMMIT;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000) INSERT INTO "transaction" (issued_at, user_id) SELECT '2026-01-01', 'x' FROM c;
INSERT INTO transaction_changes SELECT id, 'other' FROM "transaction" WHERE id > 1;
SQL
"$HARNESS" setup "$TEMPLATE" "$WORK/rows.sql"

# instructions MODE STATEMENTS PER_TX CACHE TABLE: callgrind's count of the workload function.
instructions() {
  local copy=$WORK/run.db
  rm -f "$copy" "$copy-wal" "$copy-shm" "$WORK/callgrind.out"
  cp "$TEMPLATE" "$copy"
  valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" --toggle-collect=workload \
    "$HARNESS" run "$copy" "$@" >/dev/null 2>&1
  grep -m1 -E '^(summary|totals):' "$WORK/callgrind.out" | awk '{print $2}'
}
k() { awk -v n="$1" -v d="$2" 'BEGIN { printf "%.1fk", n / d / 1000 }'; }

echo "| instructions per statement | unversioned | versioned | versioning's cost |"
echo "|---|---:|---:|---:|"
for mode in insert update noop delete; do
  for cache in 0 1; do
    u=$(instructions $mode 2000 100 $cache u)
    t=$(instructions $mode 2000 100 $cache t)
    label=$mode; [ $cache = 1 ] && label="$mode, statement cache"
    echo "| $label | $(k "$u" 2000) | $(k "$t" 2000) | $(k $((t - u)) 2000) |"
  done
done
u=$(instructions bulk 1 1 0 u)
t=$(instructions bulk 1 1 0 t)
floor=$(instructions floor 1 1 0 t)
echo "| one UPDATE of 10,000 rows, per row | $(k "$u" 10000) | $(k "$t" 10000) | $(k $((t - u)) 10000) |"
echo "| its floor (history written set-based), per row | | $(k "$floor" 10000) | $(k $((floor - u)) 10000) |"
