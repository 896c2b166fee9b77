#!/usr/bin/env bash
# Instructions per statement of PostgreSQL's versioned writes, counted by callgrind on a
# single-user backend (`postgres --single`): exactly repeatable, unlike wall-clock figures on a
# busy machine. Each workload runs on a fresh copy of one prepared database: tables `t`
# (versioned, statement-level update trigger) and `u` (unversioned), `(id int PRIMARY KEY, name
# text, n int)` with 10,000 rows, `transaction` holding 20,000 rows, analyzed. A workload is
# 2,000 statements, each a top-level statement as a client sends it; the figure is
# (instructions of the run − instructions of an empty run) ÷ 2,000.
#
#   scripts/bench-pg-instructions.sh [CONTINUUM_BINARY] [WORKLOAD...]
#
# CONTINUUM_BINARY: the command line that installs versioning (default: the debug build in
# CLI/.build). Workloads (default: all): update, noop (an UPDATE that changes nothing), insert
# and delete, each as 2,000 single-statement transactions (suffix 1: what an ORM's save does
# outside a transaction) and as 20 transactions of 100 statements (suffix 100); each also runs
# on `u`, its unversioned baseline. `bulk`: one UPDATE of all 10,000 rows, per row; `bulknoop`: the same changing nothing. Needs valgrind and PostgreSQL 15's
# binaries (PGBIN); runs as root (the server runs as the postgres user).
set -euo pipefail
cd "$(dirname "$0")/.."
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
CLI=${1:-CLI/.build/debug/continuum}
shift || true
WORKLOADS=("$@")
[ ${#WORKLOADS[@]} -gt 0 ] || WORKLOADS=(update1 update100 noop1 noop100 insert1 insert100 delete1 delete100 bulk)
command -v valgrind >/dev/null || { echo "bench-pg-instructions.sh: valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
CLI=$(realpath "$CLI")

WORK=$(mktemp -d /tmp/pg-instructions.XXXXXX)
chown postgres "$WORK"
trap 'su postgres -c "$PGBIN/pg_ctl -D $WORK/template -w stop -m immediate" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
as_postgres() { su postgres -c "$*"; }
as_postgres "$PGBIN/initdb -D $WORK/template -A trust -U postgres" >/dev/null
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_postgres "$PGBIN/pg_ctl -D $WORK/template -l $WORK/server.log -o '-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off' -w start" >/dev/null
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE cg"
"${PSQL[@]}" -d cg <<'SQL'
CREATE TABLE t (id int PRIMARY KEY, name text, n int);
CREATE TABLE u (id int PRIMARY KEY, name text, n int);
INSERT INTO t SELECT g, 'name ' || g, g FROM generate_series(1, 10000) AS g;
INSERT INTO u SELECT g, 'name ' || g, g FROM generate_series(1, 10000) AS g;
SQL
"$CLI" -d "postgres://postgres@127.0.0.1:$PORT/cg" init >/dev/null
# CONTINUUM_BENCH_ENABLE: more arguments for `enable t` (such as `--update-trigger per-row`).
# shellcheck disable=SC2086
"$CLI" -d "postgres://postgres@127.0.0.1:$PORT/cg" enable t ${CONTINUUM_BENCH_ENABLE:-} >/dev/null
"${PSQL[@]}" -d cg <<'SQL'
INSERT INTO "transaction" ("issued_at", "native_transaction_id")
SELECT now() AT TIME ZONE 'UTC' - make_interval(secs => g), '1'::xid8 FROM generate_series(1, 19999) AS g;
VACUUM ANALYZE;
SQL
# CONTINUUM_BENCH_PATCH: an SQL file run after versioning is enabled (to measure a variant of
# the generated functions before generating it).
if [ -n "${CONTINUUM_BENCH_PATCH:-}" ]; then "${PSQL[@]}" -d cg -f "$CONTINUUM_BENCH_PATCH" >/dev/null; fi
"${PSQL[@]}" -d cg -c CHECKPOINT
as_postgres "$PGBIN/pg_ctl -D $WORK/template -w stop" >/dev/null

# The workloads: 2,000 statements each.
statements() {
  local workload=$1 table=$2 i per
  case $workload in
    bulk) echo "UPDATE $table SET n = n + 1;"; return 0 ;;
    bulknoop) echo "UPDATE $table SET n = n;"; return 0 ;;
    *100) per=100 ;;
    *1) per=1 ;;
    *) return 0 ;;
  esac
  for ((i = 1; i <= 2000; i++)); do
    ((per > 1 && i % per == 1)) && echo "BEGIN;"
    case $workload in
      update*) echo "UPDATE $table SET n = n + 1 WHERE id = $((i * 5));" ;;
      noop*) echo "UPDATE $table SET n = n WHERE id = $((i * 5));" ;;
      delete*) echo "DELETE FROM $table WHERE id = $((i * 5));" ;;
      insert*) echo "INSERT INTO $table (id, name, n) VALUES ($((10000 + i)), 'new $i', $i);" ;;
    esac
    ((per > 1 && i % per == 0)) && echo "COMMIT;"
  done
  return 0
}

count() {  # workload table -> instructions of the whole run
  local workload=$1 table=$2 dir="$WORK/run"
  rm -rf "$dir"
  cp -a "$WORK/template" "$dir"
  statements "$workload" "$table" > "$WORK/input.sql"
  chown postgres "$WORK/input.sql"
  as_postgres "valgrind --tool=callgrind --callgrind-out-file=$WORK/cg.out $PGBIN/postgres --single -D $dir -c fsync=off cg < $WORK/input.sql > $WORK/output.txt 2> $WORK/valgrind.txt"
  if grep -q "ERROR" "$WORK/output.txt"; then
    grep -m 3 "ERROR" "$WORK/output.txt" >&2
    echo "bench-pg-instructions.sh: $workload on $table failed" >&2
    exit 1
  fi
  if [ -n "${CONTINUUM_CALLGRIND_KEEP:-}" ]; then cp "$WORK/cg.out" "$CONTINUUM_CALLGRIND_KEEP.$workload.$table"; fi
  sed -n 's/^summary: //p' "$WORK/cg.out"
}

empty=$(count empty t)
printf '%-10s %14s %14s %14s\n' workload unversioned versioned "versioning's"
for workload in "${WORKLOADS[@]}"; do
  versioned=$(count "$workload" t)
  unversioned=$(count "$workload" u)
  per=2000000  # thousands of instructions per statement; per row for the bulk UPDATE
  [ "${workload#bulk}" != "$workload" ] && per=10000000
  printf '%-10s %13sk %13sk %13sk\n' "$workload" \
    $(( (unversioned - empty) / per )) $(( (versioned - empty) / per )) $(( (versioned - unversioned) / per ))
done
