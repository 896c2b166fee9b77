#!/usr/bin/env bash
# Prints the path of a Python interpreter that has SQLAlchemy-Continuum 2.0.0 and psycopg2
# (scripts/python-requirements.txt), for the interop tests and the benchmarks.
#
# The virtualenv lives in .build/python-venv and is made again when the requirements change.
# On a Debian machine without Python's venv module it installs python3-venv (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.build/python-venv
REQUIREMENTS=scripts/python-requirements.txt

if [ -x "$VENV/bin/python" ] && cmp -s "$REQUIREMENTS" "$VENV/requirements.txt"; then
  echo "$PWD/$VENV/bin/python"
  exit 0
fi

make_venv() { rm -rf "$VENV"; python3 -m venv "$VENV" >/dev/null 2>&1; }
if ! command -v python3 >/dev/null 2>&1 || ! make_venv; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "python-env.sh: installing python3 and python3-venv from Debian's packages" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null 2>&1
  fi
  make_venv || { echo "python-env.sh: cannot create a Python virtualenv (install python3 and python3-venv)" >&2; exit 1; }
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2
cp "$REQUIREMENTS" "$VENV/requirements.txt"
echo "$PWD/$VENV/bin/python"
