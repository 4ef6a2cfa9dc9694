#!/usr/bin/env bash
# Fails, naming each file and line, when clang-format (the repository's .clang-format) would
# change a tracked C++ file: format drift cannot land (CTest format.clang_format).
# Usage: scripts/check-format.sh [CLANG_FORMAT]
set -euo pipefail
cd "$(dirname "$0")/.."
tool=${1:-clang-format}
command -v "$tool" >/dev/null || { echo "check-format: no $tool (scripts/install-deps.sh)" >&2; exit 1; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
else  # a source tree without git (an unpacked archive)
  mapfile -t files < <(find apps bench include protocols proptests tests -name '*.cpp' -o -name '*.hpp' -o -name '*.h')
fi
[ ${#files[@]} -gt 0 ] || { echo "check-format: no C++ files found" >&2; exit 1; }
if ! "$tool" --dry-run -Werror "${files[@]}"; then
  echo "check-format: run clang-format -i on the files above" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
