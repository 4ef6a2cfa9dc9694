#!/usr/bin/env bash
# calm-kvs's linearizable keys against its coordination-free ones, in one run (issue 16;
# docs/benchmarks.md#calm-kvs-linearizable-keys-issue-16).
#
# Three replicas on loopback, twice, each time fresh: first with every key coordination-free,
# then with redis-benchmark's keys linearizable (--linearizable 'key:*,counter:*'). Against
# each cluster: redis-benchmark -t set,get,incr -P 16 -c 50 -n N -q, at replica 1 (free keys),
# at the log's leader and at a follower (linearizable keys: the follower forwards every
# command to the leader). Prints requests per second and the ratio linearizable / free.
#
# Usage: bench/kvs/linearizable.sh [--preset bench|release] [--no-build] [--kvs BINARY]
#        [--requests N] [--rounds R] (the best of R runs of each command; default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/kvs/lib.sh

kvs_options "$@"
set -- "${kvs_rest[@]}"
requests=300000
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
kvs_setup
tests=(set get incr)
declare -A rate

# measure NAME PORT: the best of $rounds runs of each command against PORT.
measure() {
  local name=$1 at=$2 t r best line
  for t in "${tests[@]}"; do
    best=0
    for r in $(seq "$rounds"); do
      line=$(redis-benchmark -p "$at" -t "$t" -P 16 -c 50 -n "$requests" -q 2>/dev/null |
        tr '\r' '\n' | grep 'requests per second' | tail -n 1)
      r=$(awk '{ print $2 }' <<<"$line")
      best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b + 0 > a + 0 ? b : a) }')
    done
    rate[$name,$t]=$best
  done
}

# The replica whose INFO says it leads the log (waits up to 10 s for an election).
leader_port() {
  local p
  for _ in $(seq 100); do
    for p in "${cluster_ports[@]}"; do
      if redis-cli -p "$p" INFO coordination | grep -q '^log_role:leader'; then
        echo "$p"
        return
      fi
    done
    sleep 0.1
  done
  echo "no leader" >&2
  exit 1
}

kvs_describe
echo "command: redis-benchmark -t TEST -P 16 -c 50 -n $requests -q (best of $rounds)"
start_cluster everysec
measure free "$port"
kvs_stop_all
start_cluster everysec --linearizable 'key:*,counter:*'
leader=$(leader_port)
follower=${cluster_ports[0]}
[ "$follower" = "$leader" ] && follower=${cluster_ports[1]}
measure leader "$leader"
measure follower "$follower"
redis-cli -p "$leader" INFO coordination | grep -E '^(log_elections_started|log_commit_index|log_commands_applied):'
kvs_stop_all

printf '%-6s %14s %14s %8s %14s %8s\n' test free linearizable ratio "via follower" ratio
for t in "${tests[@]}"; do
  printf '%-6s %14s %14s %8s %14s %8s\n' "$t" "$(whole "${rate[free,$t]}")" \
    "$(whole "${rate[leader,$t]}")" "$(ratio "${rate[leader,$t]}" "${rate[free,$t]}")" \
    "$(whole "${rate[follower,$t]}")" "$(ratio "${rate[follower,$t]}" "${rate[free,$t]}")"
done
