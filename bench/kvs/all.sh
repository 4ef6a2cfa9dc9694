#!/usr/bin/env bash
# Every calm-kvs figure of issue 13, against redis-server, in one command
# (docs/benchmarks.md#calm-kvs-with-many-keys-issue-13): builds calm-kvs once, then runs
#   compare.sh      requests per second, three keyspaces, one and three replicas, fsync always
#                   (each redis-benchmark test stopped after 120 s)
#   sadd_scale.sh   SADD's cost into a set of 1,000 and of 1,000,000 members
#   memory.sh       RSS after 1,000,000 SETs of 64-byte values
#   restart.sh      restart of a replica holding 1,000,000 keys, SIGTERM and SIGKILL, 3 runs each
# each printing its table (with the load average of each run). The profile of the slowest row
# is separate: bench/kvs/profile.sh.
#
# Usage: bench/kvs/all.sh [--preset P] [--no-build] [--kvs BINARY] [--quick]
# --quick: a tenth of everything (20,000 requests, at most 20 s per test; 100,000 keys and
# members), to try a build.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/kvs/lib.sh

kvs_options "$@"
set -- "${kvs_rest[@]}"
quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
kvs_setup
kvs=$(realpath "$kvs")
if [ "$quick" = 1 ]; then
  sizes=(--requests 20000 --timeout 20) scale=(--sizes "1000,100000") keys=(--keys 100000)
else
  sizes=(--timeout 120) scale=() keys=()  # 120 s: as the before figures in docs/benchmarks.md
fi
echo "== requests per second (compare.sh) =="; bench/kvs/compare.sh --kvs "$kvs" "${sizes[@]}"
echo; echo "== SADD into one set (sadd_scale.sh) =="; bench/kvs/sadd_scale.sh --kvs "$kvs" "${scale[@]}"
echo; echo "== memory (memory.sh) =="; bench/kvs/memory.sh --kvs "$kvs" "${keys[@]}"
echo; echo "== restart (restart.sh) =="; bench/kvs/restart.sh --kvs "$kvs" "${keys[@]}"
