#!/usr/bin/env bash
# Builds the release preset and runs every example.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh release
shopt -s nullglob
sources=(examples/*.cpp)
if [ ${#sources[@]} -eq 0 ]; then
  echo "run.sh: no examples yet (examples/*.cpp)"
fi
for source in "${sources[@]}"; do
  stem=$(basename "$source" .cpp)
  echo "== example_$stem =="
  "build/release/examples/example_$stem"
done
