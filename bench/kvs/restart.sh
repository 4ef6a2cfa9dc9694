#!/usr/bin/env bash
# Restart of a server holding N keys: the time from starting the process until it answers PING,
# calm-kvs against redis-server (issue 13; docs/benchmarks.md#calm-kvs-with-many-keys-issue-13).
#
# redis-server (AOF, everysec) and one calm-kvs replica (--durability everysec) each get N SETs
# of B-byte values to distinct keys (bench/kvs/resp.py fill-strings), then, --settle seconds
# later (past the last once-a-second fsync, so nothing acknowledged is lost), for each signal
# of --signals and --runs times: the server is killed with that signal and waited for, and
# started again on its data directory. Prints each run's seconds from the exec to the first
# PONG (bench/kvs/resp.py ping-wait polls every 5 ms), and DBSIZE after each restart (the keys
# must all be back). Redis restarts from its AOF (no RDB: --save '', as compare.sh).
#
# Usage: bench/kvs/restart.sh [--preset P] [--no-build] [--kvs BINARY] [--keys 1000000]
#        [--bytes 64] [--runs 3] [--signals TERM,KILL] [--settle 2]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/kvs/lib.sh

kvs_options "$@"
set -- "${kvs_rest[@]}"
keys=1000000
bytes=64
runs=3
signals=TERM,KILL
settle=2
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) keys=$2; shift 2 ;;
    --bytes) bytes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --signals) signals=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
kvs_setup

declare -A took held loads

# restarts NAME START: START is start_redis or start_kvs; fills one server, then restarts it.
restarts() {
  local name=$1 start=$2 dir sig i
  dir=$(mktemp -d "$kvs_work/$name.XXXX")
  $start everysec "$dir"
  resp fill-strings --port "$port" --count "$keys" --bytes "$bytes"
  sleep "$settle"
  for sig in ${signals//,/ }; do
    for i in $(seq "$runs"); do
      kill_wait "$sig" "$pid"
      kvs_pids=()
      loads[$name,$sig,$i]=$(load_now)
      $start everysec "$dir"
      took[$name,$sig,$i]=$(awk -v a="$started_ns" -v b="$ready_ns" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
      held[$name,$sig,$i]=$(redis-cli -p "$port" DBSIZE)
    done
  done
  kvs_stop_all
}

kvs_describe
echo "restart after $keys SETs of $bytes-byte values: seconds from exec to the first PONG"
restarts redis start_redis
restarts calm start_kvs
printf '%-7s %4s %10s %10s %8s %12s %12s %6s\n' signal run 'redis s' 'calm s' ratio \
  'redis keys' 'calm keys' load
for sig in ${signals//,/ }; do
  for i in $(seq "$runs"); do
    printf '%-7s %4s %10s %10s %8s %12s %12s %6s\n' "SIG$sig" "$i" "${took[redis,$sig,$i]}" \
      "${took[calm,$sig,$i]}" "$(ratio "${took[calm,$sig,$i]}" "${took[redis,$sig,$i]}")" \
      "${held[redis,$sig,$i]}" "${held[calm,$sig,$i]}" "${loads[calm,$sig,$i]}"
  done
done
