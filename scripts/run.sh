#!/usr/bin/env bash
# The main job: builds the release preset, runs every example, then a three-replica calm-kvs
# cluster on loopback driven by redis-cli (scripts/cluster-demo.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh release
shopt -s nullglob
for source in examples/*.cpp; do
  stem=$(basename "$source" .cpp)
  echo "== example_$stem =="
  "build/release/examples/example_$stem"
done
echo "== calm-kvs: a three-replica cluster =="
bash scripts/cluster-demo.sh build/release/apps/calm-kvs
