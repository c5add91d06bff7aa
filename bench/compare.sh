#!/usr/bin/env bash
# Runs one benchmark of an earlier revision and of this checkout in turns (old, new, old, new, ...)
# and prints the median of each RESULT key for both: the machine's speed drifts within minutes,
# so a figure is only compared with one measured beside it.
#
#   bench/compare.sh <revision> [benchmark] [rounds]     e.g. bench/compare.sh 0cf831e commands_bench 3
#
# The revision is checked out as a git worktree under build/compare/<revision> and built with the
# release preset there (kept for the next comparison); this checkout's build/release is built too.
# Every line of RESULT output is kept in build/compare/<revision>-<benchmark>.results.
set -euo pipefail
rev=${1:?usage: bench/compare.sh <revision> [benchmark] [rounds]}
bench=${2:-commands_bench}
rounds=${3:-3}
root=$(git rev-parse --show-toplevel)
cd "$root"
old=build/compare/$rev
if [ ! -d "$old" ]; then
  mkdir -p build/compare
  git worktree add --detach "$old" "$rev" >/dev/null
fi
for dir in "$old" "$root"; do
  (cd "$dir" && cmake --preset release >/dev/null &&
    cmake --build --preset release -j2 --target "$bench" >/dev/null)
done
results=build/compare/$rev-$bench.results
: >"$results"
for i in $(seq 1 "$rounds"); do
  for side in old new; do
    dir=$root
    [ "$side" = old ] && dir=$root/$old
    line=$(cd "$dir" && "build/release/bench/$bench" 2>/dev/null | grep '^RESULT ' | tail -1 || true)
    if [ -z "$line" ]; then
      echo "$side round $i: no RESULT line" >&2
      continue
    fi
    echo "$side $i ${line#RESULT }" | tee -a "$results"
  done
done
python3 - "$results" <<'EOF'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    side, _, result = line.split(" ", 2)
    runs.setdefault(side, []).append(json.loads(result))
keys = [k for k in runs.get("new", [{}])[0] if all(k in r for r in runs.get("old", []))]
print("%-24s %12s %12s   runs (old | new)" % ("median of", "old", "new"))
for k in keys:
    o = [r[k] for r in runs.get("old", [])]
    n = [r[k] for r in runs.get("new", [])]
    print("%-24s %12.4g %12.4g   %s | %s" % (k, statistics.median(o) if o else float("nan"),
                                              statistics.median(n) if n else float("nan"), o, n))
EOF
