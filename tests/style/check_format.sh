#!/usr/bin/env bash
# Fails when a C++ file of the repository differs from what clang-format (the repository's
# .clang-format) makes of it, or when a C++, proto or CMake line is longer than 100 columns.
#   tests/style/check_format.sh [source root]      (fix with: clang-format -i <files>)
set -euo pipefail
cd "${1:-$(dirname "${BASH_SOURCE[0]}")/../..}"

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t cpp < <(git ls-files '*.cc' '*.h')
  mapfile -t other < <(git ls-files '*.proto' '*.cmake' 'CMakeLists.txt' '*/CMakeLists.txt')
else
  mapfile -t cpp < <(find libs services tools tests bench -name '*.cc' -o -name '*.h')
  mapfile -t other < <(find . -path ./build -prune -o \( -name '*.proto' -o -name '*.cmake' \
                         -o -name CMakeLists.txt \) -print)
fi

status=0
if ! clang-format --dry-run --Werror "${cpp[@]}" 2>/tmp/check_format.$$; then
  grep -E '^[^ ].*: (error|warning):' /tmp/check_format.$$ | cut -d: -f1 | sort | uniq -c |
    sed 's/^/format: needs clang-format: /' >&2
  status=1
fi
rm -f /tmp/check_format.$$
if awk 'length > 100 { printf "format: %s:%d is %d columns (at most 100)\n", FILENAME, FNR,
                       length; bad = 1 } END { exit bad }' "${cpp[@]}" "${other[@]}" >&2; then :
else
  status=1
fi
[ "$status" -eq 0 ] && echo "format: ${#cpp[@]} C++ files and ${#other[@]} others are clean"
exit "$status"
