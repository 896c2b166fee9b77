#!/usr/bin/env bash
# Checks that every Swift file of the repository is formatted as .swift-format says
# (swift-format, which ships with the toolchain: `swift format`). Fails on any finding.
#
#   scripts/check-format.sh          lint (what CI runs)
#   scripts/check-format.sh --fix    format the files in place, then lint
#
# Files: the Swift files git tracks or would add (Sources, Tests, CLI, Benchmarks, Examples and
# every Package.swift), never a build folder's checkouts.
set -euo pipefail
cd "$(dirname "$0")/.."

FILES=()
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  while IFS= read -r -d '' file; do
    [ -f "$file" ] && FILES+=("$file")
  done < <(git ls-files -z --cached --others --exclude-standard -- '*.swift')
else
  while IFS= read -r -d '' file; do FILES+=("$file"); done < <(
    find Sources Tests CLI Benchmarks Examples Package.swift -name '*.swift' -not -path '*/.build*' -print0 2>/dev/null)
fi
[ ${#FILES[@]} -gt 0 ] || { echo "check-format.sh: no Swift files found" >&2; exit 1; }

if [ "${1:-}" = --fix ]; then
  swift format format --in-place --parallel --configuration .swift-format "${FILES[@]}"
fi
if ! swift format lint --strict --parallel --configuration .swift-format "${FILES[@]}"; then
  echo "check-format.sh: formatting findings above; scripts/check-format.sh --fix formats the files in place" >&2
  exit 1
fi
echo "check-format.sh: ${#FILES[@]} files formatted as .swift-format says"
