#!/usr/bin/env bash
# Usage: scripts/bench.sh [Google Benchmark flags...]
# Builds the bench preset (Release, -O2) and runs calm_bench with the given flags.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh bench
binary=build/bench/bench/calm_bench
if [ ! -x "$binary" ]; then
  echo "bench.sh: no benchmarks yet (bench/*.cpp)" >&2
  exit 1
fi
exec "$binary" "$@"
