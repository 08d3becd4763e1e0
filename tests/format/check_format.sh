#!/usr/bin/env bash
# ctest "format": every C and C++ file of the repository is as .clang-format lays it out
# (clang-format 14, Debian bookworm's; another version lays some constructs out differently).
#   check_format.sh ROOT CLANG_FORMAT      exit 1 and name the files that differ
# To fix: clang-format-14 -i FILE...
set -euo pipefail
root=$1 clang_format=$2
cd "$root"
version=$("$clang_format" --version)
case "$version" in
  *"version 14."*) ;;
  *) echo "format check: needs clang-format 14, found: $version" >&2; exit 1 ;;
esac
mapfile -t files < <(git ls-files '*.hpp' '*.cpp' '*.h' '*.c' | grep -v '^tests/layers/upward_include/')
bad=()
for f in "${files[@]}"; do
  "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  printf 'not formatted as .clang-format says (fix with: %s -i FILE):\n' "$clang_format" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "format check: ${#files[@]} files as .clang-format lays them out"
