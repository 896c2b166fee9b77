#!/usr/bin/env bash
# The example blog's end-to-end test: starts the built blog on a free port with a new SQLite
# database and drives it in headless Chromium with Selenium (Examples/Blog/e2e/blog_e2e.py),
# which saves a screenshot of every page it checks in .build/e2e/.
#
#   scripts/blog-e2e.sh [PATH_TO_BLOG_BINARY]
#
# Default binary: the debug build of Examples/Blog (built when missing). Chromium and its driver
# come from Debian's packages (`chromium`, `chromium-driver`), installed here when missing if
# this runs as root; without them the test fails, it never skips. Selenium comes from PyPI, in
# the virtualenv of scripts/python-env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh  # apt_install

BLOG=${1:-}
if [ -z "$BLOG" ]; then
  swift build --package-path Examples/Blog --product Blog
  BLOG="$(swift build --package-path Examples/Blog --show-bin-path)/Blog"
fi
[ -x "$BLOG" ] || { echo "blog-e2e.sh: no blog binary at $BLOG" >&2; exit 1; }

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  apt_install chromium chromium-driver
fi
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "blog-e2e.sh: Chromium and chromedriver are missing (apt-get install chromium chromium-driver, as root); the browser test cannot run" >&2
  exit 1
fi
PYTHON=$(scripts/python-env.sh)

# A free port on the loopback interface, and a working directory for the blog's SQLite file.
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
WORK=$(mktemp -d /tmp/blog-e2e.XXXXXX)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p .build/e2e
rm -f .build/e2e/*.png
(cd "$WORK" && exec env -u DATABASE_URL "$BLOG" serve --hostname 127.0.0.1 --port "$PORT") > .build/e2e/server.log 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 .build/e2e/server.log >&2; echo "blog-e2e.sh: the blog did not start" >&2; exit 1; }
  sleep 0.5
done
(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || { echo "blog-e2e.sh: the blog did not listen on port $PORT within 60 s" >&2; exit 1; }
echo "blog-e2e.sh: the blog runs on 127.0.0.1:$PORT (log in .build/e2e/server.log)"

if BLOG_URL="http://127.0.0.1:$PORT" SCREENSHOTS="$PWD/.build/e2e" "$PYTHON" Examples/Blog/e2e/blog_e2e.py; then
  echo "blog-e2e.sh: the browser test passed (screenshots in .build/e2e/)"
else
  tail -n 20 .build/e2e/server.log >&2
  echo "blog-e2e.sh: the browser test failed (screenshots in .build/e2e/)" >&2
  exit 1
fi
