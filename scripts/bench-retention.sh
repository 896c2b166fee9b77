#!/usr/bin/env bash
# Seal, verify, prune and storage of the command line on 1,000,000 versions (BENCHMARKS.md,
# "Seal, verify, prune and storage"): 100,000 articles, then nine rounds of updates of every
# article, 100 rows per statement (9,000 transactions of 100 versions); then `seal`, `verify`,
# `storage`, `prune --keep-last 1`, `verify`, timed by /usr/bin/time -v.
#
#   scripts/bench-retention.sh [ROWS] [sqlite|postgres|both] [BATCH]
#
# Defaults: 100,000 rows (so 1,000,000 versions), both databases, --batch-size 50000.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-100000}
WHICH=${2:-both}
BATCH=${3:-50000}
swift build --package-path CLI -c release
CLI="$(swift build --package-path CLI -c release --show-bin-path)/continuum"
WORK=$(mktemp -d /tmp/continuum-bench-retention.XXXXXX)

measure() { # LABEL COMMAND...
  local label=$1; shift
  /usr/bin/time -v -o "$WORK/time.txt" "$@" > "$WORK/out.txt" 2> "$WORK/err.txt" || { echo "$label failed:"; cat "$WORK/err.txt"; return 1; }
  printf "%-32s %10s  %6.1f MB  %s\n" "$label" "$(grep "Elapsed (wall clock)" "$WORK/time.txt" | awk '{print $NF}')" \
    "$(echo "$(grep "Maximum resident set size" "$WORK/time.txt" | awk '{print $NF}') / 1024" | bc -l)" "$(tail -n 1 "$WORK/out.txt" | cut -c1-110)"
}

updates() { # the nine rounds of updates, 100 rows per statement
  for round in 1 2 3 4 5 6 7 8 9; do
    for ((start = 1; start <= ROWS; start += 100)); do
      echo "UPDATE article SET amount = amount + 1, name = 'name $round ' || id WHERE id >= $start AND id < $((start + 100));"
    done
  done
}

run_suite() { # DB-ARGS...
  measure "seal (first)" "$CLI" "$@" seal
  measure "verify" "$CLI" "$@" verify
  measure "storage" "$CLI" "$@" storage
  measure "prune --keep-last 1" "$CLI" "$@" prune --keep-last 1 --batch-size "$BATCH"
  measure "verify after the prune" "$CLI" "$@" verify
  measure "storage after the prune" "$CLI" "$@" storage
}

if [ "$WHICH" = sqlite ] || [ "$WHICH" = both ]; then
  echo "SQLite, $ROWS articles, 9 rounds of updates"
  DB="$WORK/retention.sqlite"
  sqlite3 "$DB" "PRAGMA journal_mode = WAL; CREATE TABLE article (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, amount INTEGER, content TEXT);" > /dev/null
  "$CLI" --database "sqlite:$DB" init > /dev/null
  "$CLI" --database "sqlite:$DB" enable article > /dev/null
  sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
    INSERT INTO article (name, amount, content) SELECT 'name ' || i, i % 1000, printf('%.200c', 'x') FROM n;"
  updates | sqlite3 "$DB"
  run_suite --database "sqlite:$DB"
fi
if [ "$WHICH" = postgres ] || [ "$WHICH" = both ]; then
  source scripts/postgres.sh
  start_postgres
  echo "PostgreSQL, $ROWS articles, 9 rounds of updates"
  URL="postgres://$POSTGRES_USER@$POSTGRES_HOST:$POSTGRES_PORT/$POSTGRES_DB?sslmode=disable"
  PSQL=("$PGBIN/psql" -X -q -h "$POSTGRES_HOST" -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d "$POSTGRES_DB")
  "${PSQL[@]}" -c "CREATE TABLE article (id SERIAL PRIMARY KEY, name TEXT NOT NULL, amount INTEGER, content TEXT)"
  "$CLI" --database "$URL" init > /dev/null
  "$CLI" --database "$URL" enable article > /dev/null
  "${PSQL[@]}" -c "INSERT INTO article (name, amount, content) SELECT 'name ' || i, i % 1000, repeat('x', 200) FROM generate_series(1, $ROWS) AS i"
  updates | "${PSQL[@]}"
  run_suite --database "$URL"
fi
rm -rf "$WORK"
