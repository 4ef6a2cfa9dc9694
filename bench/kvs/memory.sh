#!/usr/bin/env bash
# Resident memory after N SETs of B-byte values to N distinct keys, calm-kvs against redis-server
# (issue 13; docs/benchmarks.md#calm-kvs-with-many-keys-issue-13).
#
# Against redis-server (AOF, everysec) and then one calm-kvs replica (--durability everysec),
# each fresh: bench/kvs/resp.py fill-strings SETs key:000000000 .. key:N-1 to a B-byte value,
# 1000 commands in flight on one connection; after --settle seconds (the last fsync, a memtable
# flush), prints each process's VmRSS (/proc/PID/status) before and after the fill, Redis's own
# INFO memory used_memory (what its allocator holds for data, without fragmentation or code),
# the data directory's size on disk, and the ratio calm/redis of RSS.
#
# Usage: bench/kvs/memory.sh [--preset P] [--no-build] [--kvs BINARY] [--keys 1000000]
#        [--bytes 64] [--settle 3]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/kvs/lib.sh

kvs_options "$@"
set -- "${kvs_rest[@]}"
keys=1000000
bytes=64
settle=3
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) keys=$2; shift 2 ;;
    --bytes) bytes=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
kvs_setup

# measure DIR: fills $port; sets rss0, rss1 (KiB), fill (s), disk (KiB), keys_held, load.
measure() {
  local t0 t1
  load=$(load_now)
  rss0=$(rss_kib "$pid")
  t0=$(date +%s.%N)
  resp fill-strings --port "$port" --count "$keys" --bytes "$bytes"
  t1=$(date +%s.%N)
  fill=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  sleep "$settle"
  rss1=$(rss_kib "$pid")
  keys_held=$(redis-cli -p "$port" DBSIZE)
  disk=$(du -sk "$1" | cut -f1)
}

kvs_describe
echo "fill: $keys SETs of $bytes-byte values to distinct keys (bench/kvs/resp.py fill-strings), then ${settle}s"
dir=$(mktemp -d "$kvs_work/redis.XXXX")
start_redis everysec "$dir"
measure "$dir"
used=$(redis-cli -p "$port" INFO memory | tr -d '\r' | sed -n 's/^used_memory://p')
r=("$rss0" "$rss1" "$fill" "$disk" "$keys_held" "$load")
kvs_stop_all
dir=$(mktemp -d "$kvs_work/kvs.XXXX")
start_kvs everysec "$dir"
measure "$dir"
c=("$rss0" "$rss1" "$fill" "$disk" "$keys_held" "$load")
kvs_stop_all

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
printf '%-8s %12s %12s %14s %10s %12s %10s %6s\n' server 'RSS empty' 'RSS full' 'used_memory' \
  'fill s' 'disk' keys load
printf '%-8s %9s MiB %9s MiB %10s MiB %10s %8s MiB %10s %6s\n' redis "$(mib "${r[0]}")" \
  "$(mib "${r[1]}")" "$(mib $((used / 1024)))" "${r[2]}" "$(mib "${r[3]}")" "${r[4]}" "${r[5]}"
printf '%-8s %9s MiB %9s MiB %14s %10s %8s MiB %10s %6s\n' calm "$(mib "${c[0]}")" \
  "$(mib "${c[1]}")" - "${c[2]}" "$(mib "${c[3]}")" "${c[4]}" "${c[5]}"
echo "RSS full, calm/redis: $(ratio "${c[1]}" "${r[1]}"); calm RSS / redis used_memory: $(ratio "$((c[1] * 1024))" "$used")"
