#!/usr/bin/env bash
# Checks that users of the libraries resolve only what the libraries need.
#
#   scripts/check-dependencies.sh [PACKAGE_PATH]     (default: this repository)
#
# Makes, in a temporary folder, one package that depends on ContinuumSQL only and one that depends
# on FluentContinuum only (by path, so the working tree is what is checked), runs
# `swift package resolve` in each (resolution only, nothing is built) and fails if Package.resolved
# or the fetched checkouts hold anything outside the allow-list.
#
# The allow-list is derived, not written down: whatever sql-kit and fluent-kit themselves depend
# on, as resolved (`swift package show-dependencies`), is allowed. Packages that only the tests,
# the command line (CLI/), the benchmarks, the examples or a disabled trait need must never
# appear; a few are named below so that a broken derivation cannot hide them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(cd "${1:-.}" && pwd)
command -v python3 >/dev/null 2>&1 || { echo "check-dependencies.sh: needs python3 (to read swift package show-dependencies)" >&2; exit 1; }
FORBIDDEN=(fluent-sqlite-driver fluent-postgres-driver sqlite-nio postgres-nio swift-argument-parser vapor leaf leaf-kit)

WORK=$(mktemp -d /tmp/continuum-deps.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# scratch NAME DEPENDENCIES PRODUCTS: a package with one library target using PRODUCTS.
scratch() {
  mkdir -p "$WORK/$1/Sources/App"
  cat > "$WORK/$1/Package.swift" <<EOF
// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "$1",
    platforms: [.macOS(.v13)],
    dependencies: [
$2
    ],
    targets: [
        .target(name: "App", dependencies: [$3]),
    ]
)
EOF
  echo "// resolution only" > "$WORK/$1/Sources/App/App.swift"
}

scratch uses-continuum-sql "        .package(name: \"swift-continuum\", path: \"$ROOT\")," \
  '.product(name: "ContinuumSQL", package: "swift-continuum")'
scratch uses-fluent-continuum "        .package(name: \"swift-continuum\", path: \"$ROOT\")," \
  '.product(name: "FluentContinuum", package: "swift-continuum")'
SCRATCH=(uses-continuum-sql uses-fluent-continuum)

# Both resolve in parallel (seconds each from the package cache; nothing is built).
PIDS=()
for name in "${SCRATCH[@]}"; do
  (cd "$WORK/$name" && swift package resolve > "$WORK/$name.log" 2>&1) &
  PIDS+=($!)
done
FAILED=0
for pid in "${PIDS[@]}"; do wait "$pid" || FAILED=1; done
if [ "$FAILED" = 1 ]; then
  for name in "${SCRATCH[@]}"; do
    echo "--- swift package resolve in $name:" >&2
    cat "$WORK/$name.log" >&2
  done
  echo "check-dependencies.sh: resolution failed" >&2
  exit 1
fi

# pins NAME: the identities in NAME's Package.resolved, and those fetched (cloned, checked out).
pins() {
  { [ -f "$WORK/$1/Package.resolved" ] && sed -n 's/^ *"identity" *: *"\([^"]*\)".*/\1/p' "$WORK/$1/Package.resolved"
    ls "$WORK/$1/.build/repositories" 2>/dev/null | sed 's/-[0-9a-f]*$//' || true
    ls "$WORK/$1/.build/checkouts" 2>/dev/null || true; } | tr 'A-Z' 'a-z' | sort -u
}

# allowed NAME: sql-kit, fluent-kit and everything below them in NAME's resolved graph.
allowed() {
  (cd "$WORK/$1" && swift package show-dependencies --format json 2>/dev/null) | python3 -c '
import json, sys
found = set()
def walk(node, inside):
    inside = inside or node["identity"] in ("sql-kit", "fluent-kit")
    if inside:
        found.add(node["identity"].lower())
    for child in node.get("dependencies", []):
        walk(child, inside)
walk(json.load(sys.stdin), False)
print("\n".join(sorted(found)))
'
}

ALLOWED=$( { allowed uses-continuum-sql; allowed uses-fluent-continuum; } | sort -u) || true
for package in sql-kit fluent-kit; do
  grep -qx "$package" <<<"$ALLOWED" || { echo "check-dependencies.sh: $package is not in the resolved graph: is $ROOT the package?" >&2; exit 1; }
done
STATUS=0
for package in "${FORBIDDEN[@]}"; do
  if grep -qx "$package" <<<"$ALLOWED"; then
    echo "check-dependencies.sh: sql-kit or fluent-kit now depends on $package: review FORBIDDEN" >&2
    STATUS=1
  fi
done
echo "allowed (sql-kit, fluent-kit and their dependencies): $(echo $ALLOWED)"
for name in "${SCRATCH[@]}"; do
  RESOLVED=$(pins "$name")
  EXTRA=$(comm -13 <(echo "$ALLOWED") <(echo "$RESOLVED"))
  if ! grep -qx sql-kit <<<"$RESOLVED"; then
    echo "$name: FAIL: resolved nothing (sql-kit missing): is $ROOT the package?" >&2
    STATUS=1
  elif [ -n "$EXTRA" ]; then
    echo "$name: FAIL: resolves $(echo $EXTRA), outside the allow-list" >&2
    echo "  Move what needs them into its own package (CLI/, Benchmarks/, Examples/) or behind a" >&2
    echo "  trait that is off by default; see \"Packages and products\" in README.md." >&2
    STATUS=1
  else
    echo "$name: ok ($(echo "$RESOLVED" | grep -c .) packages)"
  fi
done
exit "$STATUS"
