#!/usr/bin/env bash
# Runs the whole test suite against SQLite files and a throwaway PostgreSQL server.
#
#   scripts/test.sh [swift test arguments...]     (runs `swift test --traits Vapor ARGS`)
#
# First it checks that users of the libraries resolve only what the libraries need
# (scripts/check-dependencies.sh, resolution only). Without arguments (as in CI) it also builds
# the command line (CLI/, its own package) and runs the README's demo command before the tests;
# the command-line tests run the binary it builds (CONTINUUM_CLI). Then it builds the example
# blog (Examples/Blog), runs its route tests and its browser test (scripts/blog-e2e.sh), and the
# test suites of SQLiteNIO and SQLiteKit with the statement-cache patch (scripts/patched-sqlite.sh).
#
# On a fresh Debian machine, as root, it installs what the tests need from Debian's packages
# when missing: PostgreSQL, the sqlite3 client (the crash tests kill one), Python's venv
# (the interop tests run SQLAlchemy-Continuum 2.0.0 from PyPI, the browser test Selenium) and
# Chromium with its driver (the blog's browser test). It starts its own server
# (scripts/postgres.sh) and stops it afterwards, so a server someone else left running never
# interferes. Tests read POSTGRES_HOST/PORT/USER/PASSWORD/DB, CONTINUUM_PSQL, CONTINUUM_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/check-dependencies.sh
scripts/check-format.sh
source scripts/postgres.sh

command -v sqlite3 >/dev/null 2>&1 || apt_install sqlite3
start_postgres
export CONTINUUM_PSQL="$PGBIN/psql"
CONTINUUM_PYTHON=$(scripts/python-env.sh)
export CONTINUUM_PYTHON
# The command line (its own package): the command-line tests run this binary.
swift build --package-path CLI
CONTINUUM_CLI="$(swift build --package-path CLI --show-bin-path)/continuum"
export CONTINUUM_CLI
if [ $# -eq 0 ]; then
  # The README's run command (output kept in .build/continuum-demo.txt; shown if it fails).
  mkdir -p .build
  swift run --package-path CLI continuum demo --file .build/continuum-demo.sqlite > .build/continuum-demo.txt 2>&1 \
    || { tail -n 40 .build/continuum-demo.txt >&2; echo "test.sh: swift run --package-path CLI continuum demo failed" >&2; exit 1; }
  echo "test.sh: the demo ran (swift run --package-path CLI continuum demo)"
  # The example blog (Examples/Blog, its own package): one build for its route tests (SQLite and
  # this PostgreSQL) and for the binary the browser test drives in headless Chromium
  # (scripts/blog-e2e.sh installs Chromium from Debian's packages when missing; screenshots in
  # .build/e2e/). It builds in this package's .build: the same Vapor, Fluent and NIO builds serve
  # the blog and `swift test --traits Vapor` below, so only Leaf and the blog itself are extra.
  BLOG=(--package-path Examples/Blog --scratch-path .build)
  swift build "${BLOG[@]}" --build-tests
  swift test "${BLOG[@]}" --skip-build
  scripts/blog-e2e.sh "$(swift build "${BLOG[@]}" --show-bin-path)/Blog"
  # The statement-cache patch kept for SQLiteNIO and SQLiteKit (patches/sqlite-statement-cache):
  # applied to their tagged sources in .build-patched/ and run with their own test suites.
  scripts/patched-sqlite.sh --test
fi
# The trait Vapor builds VaporContinuum and its tests (Tests/ContinuumSQLTests/Vapor/); users of
# the other libraries never resolve Vapor (scripts/check-dependencies.sh, above).
swift test --traits Vapor "$@"
