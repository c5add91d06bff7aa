#!/usr/bin/env bash
# Runs every benchmark of a build directory, one after the other (they measure the machine).
#   bench/run.sh build/release
set -euo pipefail
build=${1:-build/release}
ran=0
for b in "$build"/bench/*_bench; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
  ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || { echo "no benchmarks found in $build/bench" >&2; exit 1; }
