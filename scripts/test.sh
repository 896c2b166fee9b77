#!/usr/bin/env bash
# Runs the whole test suite against SQLite files and a throwaway PostgreSQL server.
#
#   scripts/test.sh [swift test arguments...]
#
# On a fresh Debian machine, as root, it installs PostgreSQL (and the sqlite3 client the crash
# tests use) from Debian's packages when they are missing. It starts its own server (initdb into a temporary folder,
# listening on 127.0.0.1 only, on a free port) and stops it afterwards, so a server someone
# else left running never interferes. Tests read POSTGRES_HOST/PORT/USER/PASSWORD/DB.
set -euo pipefail
cd "$(dirname "$0")/.."

find_pg_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

PGBIN=$(find_pg_bin || true)
MISSING=()
[ -n "$PGBIN" ] || MISSING+=(postgresql postgresql-client)
command -v sqlite3 >/dev/null 2>&1 || MISSING+=(sqlite3)   # the crash tests kill a sqlite3 client
if [ ${#MISSING[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${MISSING[*]} from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${MISSING[@]}" >/dev/null
    PGBIN=$(find_pg_bin || true)
  fi
fi
if [ -z "$PGBIN" ]; then
  echo "test.sh: PostgreSQL server binaries not found and cannot be installed (run as root on Debian, or install postgresql)" >&2
  exit 1
fi

DATA=$(mktemp -d /tmp/continuum-pg.XXXXXX)
RUN_AS=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  chown postgres "$DATA"
  RUN_AS=(runuser -u postgres --)
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for candidate in $(seq 55432 55532); do
  if port_free "$candidate"; then PORT=$candidate; break; fi
done
[ -n "$PORT" ] || { echo "test.sh: no free port for PostgreSQL" >&2; exit 1; }

stop_server() {
  "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$DATA/db" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DATA"
}
trap stop_server EXIT

"${RUN_AS[@]}" "$PGBIN/initdb" -D "$DATA/db" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$DATA/db" -l "$DATA/server.log" -w -t 60 \
  -o "-p $PORT -k $DATA -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
echo "test.sh: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"

export POSTGRES_HOST=127.0.0.1 POSTGRES_PORT=$PORT POSTGRES_USER=postgres POSTGRES_PASSWORD="" POSTGRES_DB=postgres
export CONTINUUM_PSQL="$PGBIN/psql"
# SQLAlchemy-Continuum 2.0.0 from PyPI, for the interop tests.
export CONTINUUM_PYTHON=$(scripts/python-env.sh)
swift test "$@"
