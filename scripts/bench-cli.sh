#!/usr/bin/env bash
# Measures the command line's long-running commands (backfill, verify, export, as-of) on a table
# of ROWS rows (default 1,000,000): wall time and peak RSS from /usr/bin/time -v.
#
#   scripts/bench-cli.sh [ROWS] [sqlite|postgres|both] [debug|release]
#
# SQLite: a new file in a temporary folder, filled by the sqlite3 client. PostgreSQL: a
# throwaway server (scripts/postgres.sh), filled with generate_series. The table is enabled with
# --no-backfill first, so `backfill` does the work `enable` does on a table that already has rows.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
WHICH=${2:-both}
CONFIG=${3:-release}
swift build --package-path CLI -c "$CONFIG"
CLI="$(swift build --package-path CLI -c "$CONFIG" --show-bin-path)/continuum"
WORK=$(mktemp -d /tmp/continuum-bench-cli.XXXXXX)

measure() { # LABEL COMMAND...: prints "LABEL  seconds  peak-RSS-MB"
  local label=$1; shift
  /usr/bin/time -v -o "$WORK/time.txt" "$@" > "$WORK/out.txt" 2> "$WORK/err.txt" || { echo "$label failed:"; cat "$WORK/err.txt"; return 1; }
  local wall rss
  wall=$(grep "Elapsed (wall clock)" "$WORK/time.txt" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$WORK/time.txt" | awk '{print $NF}')
  printf "%-28s %10s  %6.1f MB  (%s lines out)\n" "$label" "$wall" "$(echo "$rss / 1024" | bc -l)" "$(wc -l < "$WORK/out.txt")"
}

run_suite() { # DB-ARGS...
  "$CLI" "$@" init > /dev/null
  "$CLI" "$@" enable big --no-backfill > /dev/null
  measure "backfill ($ROWS rows)" "$CLI" "$@" backfill big
  measure "verify" "$CLI" "$@" verify big
  measure "export" "$CLI" "$@" export big
  measure "as-of --json" "$CLI" "$@" as-of big --transaction 1000000000 --json
}

if [ "$WHICH" = sqlite ] || [ "$WHICH" = both ]; then
  echo "SQLite, $ROWS rows ($CONFIG build)"
  sqlite3 "$WORK/big.sqlite" "CREATE TABLE big (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, amount INTEGER, note TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
    INSERT INTO big (name, amount, note) SELECT 'name ' || i, i % 1000, CASE WHEN i % 3 = 0 THEN NULL ELSE 'some note ' || i END FROM n;"
  run_suite --database "sqlite:$WORK/big.sqlite"
fi
if [ "$WHICH" = postgres ] || [ "$WHICH" = both ]; then
  source scripts/postgres.sh
  start_postgres
  echo "PostgreSQL, $ROWS rows ($CONFIG build)"
  URL="postgres://$POSTGRES_USER@$POSTGRES_HOST:$POSTGRES_PORT/$POSTGRES_DB?sslmode=disable"
  "$PGBIN/psql" -q -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c \
    "CREATE TABLE big (id SERIAL PRIMARY KEY, name TEXT NOT NULL, amount INTEGER, note TEXT);
     INSERT INTO big (name, amount, note) SELECT 'name ' || i, i % 1000, CASE WHEN i % 3 = 0 THEN NULL ELSE 'some note ' || i END FROM generate_series(1, $ROWS) AS i;"
  run_suite --database "$URL"
fi
rm -rf "$WORK"
