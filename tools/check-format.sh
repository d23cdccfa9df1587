#!/usr/bin/env bash
# Checks that the C++ sources are clang-formatted (.clang-format, Google
# style). Used by the ctest entry `clang_format` (label lint).
#
#   tools/check-format.sh [clang-format-binary]    (default: clang-format)
#
# Looks at *.h, *.cc and *.cpp under include src tests bench tools: files git
# tracks plus untracked ones it does not ignore (every file when the tree is
# not a git checkout). Exits non-zero and names the files when any is off.
set -euo pipefail

if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
  exit 0
fi

clang_format="${1:-clang-format}"
if ! command -v "$clang_format" >/dev/null 2>&1; then
  echo "check-format: '$clang_format' not found" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

dirs=()
for d in include src tests bench tools; do
  [[ -d "$d" ]] && dirs+=("$d")
done

files=()
if ((${#dirs[@]} > 0)); then
  if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # -co lists a file deleted from the worktree but still in the index:
    # keep only the ones that exist.
    while IFS= read -r -d '' f; do
      [[ -f "$f" ]] && files+=("$f")
    done < <(git ls-files -z -co --exclude-standard -- "${dirs[@]}" |
      grep -zE '\.(h|cc|cpp)$' || true)
  else
    while IFS= read -r -d '' f; do
      files+=("$f")
    done < <(find "${dirs[@]}" -type f \
      \( -name '*.h' -o -name '*.cc' -o -name '*.cpp' \) -print0 | sort -z)
  fi
fi

if ((${#files[@]} == 0)); then
  echo "check-format: no C++ files found under ${dirs[*]:-(none)}"
  exit 0
fi

bad=()
for f in "${files[@]}"; do
  if ! "$clang_format" --dry-run -Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done

if ((${#bad[@]} == 0)); then
  echo "check-format: ${#files[@]} files are clang-formatted"
  exit 0
fi

echo "check-format: ${#bad[@]} of ${#files[@]} files are not" \
  "clang-formatted:"
for f in "${bad[@]}"; do
  echo "  $f"
done
# Show the first offending file's diagnostics to make the problem concrete.
echo "--- first diagnostics for ${bad[0]}:"
"$clang_format" --dry-run -Werror "${bad[0]}" 2>&1 | head -n 20 || true
echo "---"
echo "Fix with (from $root):"
for f in "${bad[@]}"; do
  echo "  $clang_format -i $f"
done
exit 1
