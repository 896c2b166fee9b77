#!/usr/bin/env bash
# Runs the whole test suite against SQLite files and a throwaway PostgreSQL server.
#
#   scripts/test.sh [swift test arguments...]
#
# On a fresh Debian machine, as root, it installs what the tests need from Debian's packages
# when missing: PostgreSQL, the sqlite3 client (the crash tests kill one) and Python's venv
# (the interop tests run SQLAlchemy-Continuum 2.0.0 from PyPI). It starts its own server
# (scripts/postgres.sh) and stops it afterwards, so a server someone else left running never
# interferes. Tests read POSTGRES_HOST/PORT/USER/PASSWORD/DB, CONTINUUM_PSQL, CONTINUUM_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh

command -v sqlite3 >/dev/null 2>&1 || apt_install sqlite3
start_postgres
export CONTINUUM_PSQL="$PGBIN/psql"
CONTINUUM_PYTHON=$(scripts/python-env.sh)
export CONTINUUM_PYTHON
swift test "$@"
