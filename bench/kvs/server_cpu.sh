#!/usr/bin/env bash
# The CPU a calm-kvs server spends on a fixed load, for two or more builds in turn
# (docs/benchmarks.md, "Where LPUSH's server time went"). On this VM a server's request rate
# moves with its neighbours (redis-server's own LPUSH rate moved from 450,000 to 800,000 a
# second within an hour), while the CPU seconds a server spends on the same requests move
# far less: the figure to bisect a slowdown with, or to compare two builds.
#
# For each run and each binary in turn: one replica (--durability everysec) on a fresh data
# directory, then for each test redis-benchmark -P 16 -c 50 -n N (one list, `mylist`, for the
# list tests); prints each test's requests a second and the server's user + system CPU over
# all the tests (from /proc/PID/stat, in seconds), all threads included (RocksDB's too).
#
# Usage: bench/kvs/server_cpu.sh [--runs 5] [--requests 200000] [--tests lpush,rpush]
#        [--random N] BINARY [BINARY...]
# --random N: keys drawn from N (redis-benchmark -r N, the many-keys keyspace at 100000);
# without it every request names the same key.
# --servers x3: three gossiping replicas, the load sent to replica 1; the CPU is that of all
# three, counted once every replica's writes are acknowledged by both peers (at most 60 s).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/kvs/lib.sh

kvs_build=0
runs=5
requests=200000
tests=lpush,rpush
random_args=()
servers=x1
binaries=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --tests) tests=$2; shift 2 ;;
    --random) random_args=(-r "$2"); shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) binaries+=("$1"); shift ;;
  esac
done
[ "${#binaries[@]}" -gt 0 ] || { echo "usage: $0 [options] BINARY [BINARY...]" >&2; exit 2; }
kvs=${binaries[0]}
kvs_setup

ticks_per_second=$(getconf CLK_TCK)
# cpu_ticks PID...: the processes' user + system time so far, in clock ticks.
cpu_ticks() {
  local p
  for p in "$@"; do cat "/proc/$p/stat"; done | awk '{ t += $14 + $15 } END { print t }'
}
# settled: waits (at most 60 s) until every replica's writes are acknowledged by both peers.
settled() {
  local waited=0 p quiet
  while [ "$waited" -lt 600 ]; do
    quiet=1
    for p in "${cluster_ports[@]}"; do
      [ "$(redis-cli -p "$p" INFO replication | tr -d '\r' | sed -n 's/^peers_in_sync://p')" = 2 ] ||
        { quiet=0; break; }
    done
    [ "$quiet" = 1 ] && return 0
    sleep 0.1; waited=$((waited + 1))
  done
  return 1
}

echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "each: redis-benchmark -P 16 -c 50 -n $requests ${random_args[*]} -t TEST; server CPU over the tests ($servers)"
for run in $(seq "$runs"); do
  for binary in "${binaries[@]}"; do
    kvs=$binary
    case "$servers" in
      x1) start_kvs everysec; pids=("$pid") ;;
      x3) start_cluster everysec; pids=("${kvs_pids[@]}") ;;
      *) echo "--servers x1 or x3" >&2; exit 2 ;;
    esac
    before=$(cpu_ticks "${pids[@]}")
    line="run $run  $binary"
    for test in ${tests//,/ }; do
      rate=$(redis-benchmark -p "$port" -t "$test" -P 16 -c 50 -n "$requests" "${random_args[@]}" -q 2>/dev/null |
        tr '\r' '\n' | grep -a 'requests per second' | tail -n 1 | awk '{ print $2 }')
      line+="  ${test^^} ${rate:-failed}"
    done
    if [ "$servers" = x3 ] && ! settled; then line+="  (not settled in 60 s)"; fi
    after=$(cpu_ticks "${pids[@]}")
    cpu=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" 'BEGIN { printf "%.2f", t / hz }')
    echo "$line  cpu ${cpu} s"
    kvs_stop_all
  done
done
