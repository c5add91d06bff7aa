#!/usr/bin/env bash
# After a failed ctest run: each failed test's assertion failures (GoogleTest's "Failure" lines
# with the lines that explain them, and its FAILED summary), printed last so that they are in
# the tail of a long CI log.
#   tests/failures.sh <build dir>
set -uo pipefail
dir="${1:?build dir}/Testing/Temporary"
[[ -f "$dir/LastTestsFailed.log" ]] || exit 0

echo "=== what failed ==="
while IFS=: read -r _ name; do
  [[ -n "$name" ]] || continue
  echo "--- $name"
  # The test's own output: from its "Testing: <name>" header to the end of that output.
  awk -v name="$name" '
    $0 ~ ("^[0-9]+/[0-9]+ Testing: " name "$") { inside = 1; next }
    inside && /^<end of output>/ { exit }
    inside { print }
  ' "$dir/LastTest.log" |
    grep -E -A8 ': Failure$|^\[  FAILED  \]|Timeout|Subprocess aborted|terminate called' |
    grep -v '^{"ts"' | head -n 60
done <"$dir/LastTestsFailed.log"
