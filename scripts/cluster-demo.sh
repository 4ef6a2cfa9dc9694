#!/usr/bin/env bash
# A three-replica calm-kvs cluster on loopback, driven by redis-cli: coordination-free writes at
# different replicas converging; a lock and ids on linearizable keys, through the Paxos log; a
# replica cut off from the others (the other two paused) that keeps serving the former and
# refuses the latter; one replica stopped and restarted, and every replica converging.
# Usage: scripts/cluster-demo.sh [path/to/calm-kvs]
set -euo pipefail
cd "$(dirname "$0")/.."
kvs=${1:-build/release/apps/calm-kvs}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

resp=(6391 6392 6393)
peer=(16391 16392 16393)
peers="1@127.0.0.1:${peer[0]},2@127.0.0.1:${peer[1]},3@127.0.0.1:${peer[2]}"
start() {  # start REPLICA_INDEX
  local i=$1
  "$kvs" --id $((i + 1)) --port "${resp[$i]}" --peer-port "${peer[$i]}" --peers "$peers" \
    --data "$work/r$((i + 1))" --gossip-ms 50 --linearizable 'lock:*,id:*' \
    --coordination-timeout-ms 1000 2>>"$work/log" &
  pids[$i]=$!
  for _ in $(seq 100); do redis-cli -p "${resp[$i]}" PING >/dev/null 2>&1 && return; sleep 0.05; done
  echo "replica $((i + 1)) did not start"; cat "$work/log"; exit 1
}
say() { printf '\n== %s\n' "$*"; }
on() { local i=$1; shift; printf 'replica %d> %s\n' $((i + 1)) "$*"; redis-cli -p "${resp[$i]}" "$@" | sed 's/^/    /'; }

say "three replicas on 127.0.0.1:${resp[*]}"
for i in 0 1 2; do start $i; done
say "writes at different replicas, no coordination"
on 0 SADD cart milk bread
on 1 SADD cart eggs
sleep 0.3  # replica 3 hears of bread first: a remove takes away only what it has seen
on 2 SREM cart bread
on 0 INCRBY visits 3
on 1 INCR visits
on 2 HSET user:1 name ada lang c++
sleep 0.5
say "every replica reads the same state"
for i in 0 1 2; do on $i SMEMBERS cart; on $i GET visits; done
say "linearizable keys (lock:*, id:*): a lock and ids through the Paxos log, at any replica"
on 0 SET lock:deploy alice NX PX 30000
on 1 SET lock:deploy bob NX PX 30000
on 2 GET lock:deploy
on 0 INCR id:order
on 1 INCR id:order
on 2 INCR id:order
on 1 SETNX cart x
say "a partition: replicas 2 and 3 paused; replica 1 alone serves coordination-free keys and refuses linearizable ones"
kill -STOP "${pids[1]}" "${pids[2]}"
on 0 SADD cart tea
on 0 INCR visits
on 0 SET lock:other carol NX PX 30000
kill -CONT "${pids[1]}" "${pids[2]}"
say "healed: the log answers again, and every replica has the writes made meanwhile"
for _ in $(seq 100); do
  [ "$(redis-cli -p "${resp[0]}" GET id:order)" = 3 ] && break; sleep 0.05
done
sleep 0.3
for i in 0 1 2; do on $i SISMEMBER cart tea; done
on 0 INFO coordination
say "replica 3 stops; the others keep taking writes"
kill "${pids[2]}"; wait "${pids[2]}" 2>/dev/null || true
on 0 SADD cart coffee
on 1 INCRBY visits 10
say "replica 3 restarts from its data directory and catches up"
start 2
for _ in $(seq 100); do
  [ "$(redis-cli -p "${resp[2]}" GET visits)" = 15 ] && break; sleep 0.05
done
on 2 SMEMBERS cart
on 2 GET visits
on 2 HGETALL user:1
on 2 INFO replication
