#!/usr/bin/env bash
# Where calm-kvs's time goes under one redis-benchmark command: `perf record -g` of the replica
# for the whole run, then the top of `perf report` (issue 13; docs/benchmarks.md#calm-kvs-with-
# many-keys-issue-13). perf: Debian's linux-perf (apt-get install linux-perf); it needs
# /proc/sys/kernel/perf_event_paranoid <= 1 or root.
#
# Usage: bench/kvs/profile.sh [--preset P] [--no-build] [--kvs BINARY] [--test sadd]
#        [--keyspace many|1k|one] [--server x1|x3] [--durability everysec|always]
#        [--requests 200000] [--out perf.data] [-- extra perf record options]
# --server x3 profiles replica 1 of three gossiping replicas. The bench preset builds with -O2
# and frame pointers omitted, so `-g` call chains stop early; `-- --call-graph dwarf` gives
# whole ones at the cost of a much larger perf.data. Open the full profile with
# `perf report -i OUT` (or `--no-children --sort symbol`).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/kvs/lib.sh

kvs_options "$@"
set -- "${kvs_rest[@]}"
test=sadd
keyspace=many
server=x1
durability=everysec
requests=200000
out=perf.data
perf_extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --test) test=$2; shift 2 ;;
    --keyspace) keyspace=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    --durability) durability=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --) shift; perf_extra=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "${keyspace_args[$keyspace]+set}" ] || { echo "unknown keyspace $keyspace" >&2; exit 2; }
kvs_need perf
kvs_setup

case "$server" in
  x1) start_kvs "$durability" ;;
  x3) start_cluster "$durability" ;;
  *) echo "--server x1 or x3" >&2; exit 2 ;;
esac
kvs_describe
echo "load average $(load_now)"
perf record -g "${perf_extra[@]}" -o "$out" -p "$pid" 2>"$kvs_work/perf.log" &
perf_pid=$!
sleep 0.5  # perf attaches
# shellcheck disable=SC2086 # the keyspace's options are words
redis-benchmark -p "$port" -t "$test" -P 16 -c 50 -n "$requests" ${keyspace_args[$keyspace]} -q |
  tr '\r' '\n' | grep 'requests per second'
kill -INT "$perf_pid"
wait "$perf_pid" || true
kvs_stop_all
echo "self time by function, over 1.5% (names cut at 150 characters):"
perf report -i "$out" --stdio --no-children -g none --sort dso,symbol --percent-limit 1.5 \
  2>/dev/null | grep -E '^ +[0-9.]+%' | cut -c1-150 | sed 's/ *$//' | head -40
echo "whole profile: perf report -i $out   (callers: perf report -i $out --no-children -G)"
