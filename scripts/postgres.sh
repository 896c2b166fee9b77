# Sourced by test.sh and bench.sh: starts a throwaway PostgreSQL server and stops it on exit.
#
# On a fresh Debian machine, as root, installs PostgreSQL from Debian's packages when missing.
# The server is initdb'd into a temporary folder, listens on 127.0.0.1 only, on a free port
# from 55432 (or from $CONTINUUM_PG_PORT, so that concurrent runs need not probe the same ports),
# and runs without fsync (a throwaway: durability is not what is measured or tested).
# Exports POSTGRES_HOST/PORT/USER/PASSWORD/DB and PGBIN.

find_pg_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

# apt_install PACKAGE...: installs Debian packages when running as root.
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "$(basename "$0"): installing $* from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

start_postgres() {
  PGBIN=$(find_pg_bin || true)
  if [ -z "$PGBIN" ]; then
    apt_install postgresql postgresql-client
    PGBIN=$(find_pg_bin || true)
  fi
  if [ -z "$PGBIN" ]; then
    echo "$(basename "$0"): PostgreSQL server binaries not found and cannot be installed (run as root on Debian, or install postgresql)" >&2
    exit 1
  fi

  PG_RUN_AS=()
  PGDATA_DIR=$(mktemp -d /tmp/continuum-pg.XXXXXX)
  trap stop_postgres EXIT
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    chown postgres "$PGDATA_DIR"
    PG_RUN_AS=(runuser -u postgres --)
  fi

  "${PG_RUN_AS[@]}" "$PGBIN/initdb" -D "$PGDATA_DIR/db" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # A free port can be taken between the check and the start: try the next one, up to 5 times.
  local candidate attempts=0
  PORT=""
  local first=${CONTINUUM_PG_PORT:-55432}
  for candidate in $(seq "$first" $((first + 100))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null && continue
    if "${PG_RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA_DIR/db" -l "$PGDATA_DIR/server.log" -w -t 60 \
      -o "-p $candidate -k $PGDATA_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null; then
      PORT=$candidate
      break
    fi
    echo "$(basename "$0"): PostgreSQL did not start on port $candidate:" >&2
    tail -n 5 "$PGDATA_DIR/server.log" >&2 || true
    attempts=$((attempts + 1))
    [ "$attempts" -lt 5 ] || break
  done
  [ -n "$PORT" ] || { echo "$(basename "$0"): could not start PostgreSQL" >&2; exit 1; }
  echo "$(basename "$0"): PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"
  export POSTGRES_HOST=127.0.0.1 POSTGRES_PORT=$PORT POSTGRES_USER=postgres POSTGRES_PASSWORD="" POSTGRES_DB=postgres PGBIN
}

stop_postgres() {
  "${PG_RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA_DIR/db" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA_DIR"
}
