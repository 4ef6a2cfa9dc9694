#!/usr/bin/env bash
# calm-kvs against redis-server, in one run (issue 6; docs/benchmarks.md#calm-kvs-issue-6).
#
# Builds calm-kvs, then runs the same redis-benchmark command against, one after the other:
#   1. redis-server with AOF, fsync every second (appendfsync everysec, no RDB snapshots);
#   2. one calm-kvs replica (--durability everysec);
#   3. replica 1 of a three-replica calm-kvs cluster gossiping on loopback, the other two
#      running and receiving its deltas.
# and prints requests per second per command with the ratio calm/redis. Each server runs in a
# temporary directory on free ports and is stopped before the next starts, so the runs do not
# share the CPU; everything is removed on exit.
#
# Usage: bench/kvs/compare.sh [--preset bench|release] [--requests N] [--no-build]
#        [--kvs BINARY] [-- extra redis-benchmark options]
# --kvs benchmarks that calm-kvs binary instead of building one (an older build, say).
# The command is: redis-benchmark -p PORT -t set,get,incr,sadd -P 16 -c 50 -n N --csv
set -euo pipefail
cd "$(dirname "$0")/../.."

preset=bench
requests=200000
build=1
kvs=
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --preset) preset=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --kvs) kvs=$2; build=0; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
tests=set,get,incr,sadd
bench_cmd=(redis-benchmark -t "$tests" -P 16 -c 50 -n "$requests" "${extra[@]}")

for tool in redis-server redis-benchmark redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "compare.sh needs $tool" >&2; exit 1; }
done

if [ "$build" = 1 ]; then
  [ -f "build/$preset/build.ninja" ] || cmake --preset "$preset" >/dev/null
  cmake --build "build/$preset" --target calm-kvs >/dev/null
fi
kvs=${kvs:-build/$preset/apps/calm-kvs}
[ -x "$kvs" ] || { echo "no $kvs: build it or drop --no-build" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_ready() {  # PORT
  for _ in $(seq 200); do redis-cli -p "$1" PING >/dev/null 2>&1 && return; sleep 0.05; done
  echo "nothing answers on port $1" >&2; cat "$work"/*.log >&2; exit 1
}
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
# Runs the benchmark against PORT; prints "TEST RPS" lines.
run_bench() {
  "${bench_cmd[@]}" -p "$1" --csv 2>/dev/null | tr -d '"' | awk -F, 'NR > 1 { print $1, $2 }'
}

declare -A redis one three

port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --appendonly yes \
  --appendfsync everysec --save '' --daemonize no >"$work/redis.log" 2>&1 &
pids+=($!)
wait_ready "$port"
while read -r t r; do redis[$t]=$r; done < <(run_bench "$port")
stop_all

port=$(free_port)
"$kvs" --id 1 --port "$port" --peer-port "$(free_port)" --data "$work/one" \
  --durability everysec 2>"$work/one.log" &
pids+=($!)
wait_ready "$port"
while read -r t r; do one[$t]=$r; done < <(run_bench "$port")
stop_all

resp=() peer=()
for i in 0 1 2; do resp+=("$(free_port)"); peer+=("$(free_port)"); done
peers="1@127.0.0.1:${peer[0]},2@127.0.0.1:${peer[1]},3@127.0.0.1:${peer[2]}"
for i in 0 1 2; do
  "$kvs" --id $((i + 1)) --port "${resp[$i]}" --peer-port "${peer[$i]}" --peers "$peers" \
    --data "$work/r$((i + 1))" --durability everysec 2>"$work/r$((i + 1)).log" &
  pids+=($!)
done
for i in 0 1 2; do wait_ready "${resp[$i]}"; done
while read -r t r; do three[$t]=$r; done < <(run_bench "${resp[0]}")
# The others must have heard of the writes: the cluster really was gossiping.
gossip=$(redis-cli -p "${resp[1]}" GET key:__rand_int__ || true)
stop_all

echo "command: ${bench_cmd[*]} -p PORT"
echo "calm-kvs: $kvs (worktree at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- apps include protocols || echo ', modified'))"
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "replica 2 of the cluster read back SET's key: ${gossip:-(nothing)}"
echo
printf '%-6s %14s %14s %8s %14s %8s\n' test redis 'calm x1' ratio 'calm x3' ratio
for t in SET GET INCR SADD; do
  r=${redis[$t]:-0} a=${one[$t]:-0} b=${three[$t]:-0}
  printf '%-6s %14.0f %14.0f %8s %14.0f %8s\n' "$t" "$r" "$a" \
    "$(awk -v a="$a" -v r="$r" 'BEGIN { printf (r > 0 ? "%.2fx" : "-"), a / r }')" "$b" \
    "$(awk -v b="$b" -v r="$r" 'BEGIN { printf (r > 0 ? "%.2fx" : "-"), b / r }')"
done
