#!/usr/bin/env bash
# calm-kvs against redis-server, in one run (issues 6 and 13; docs/benchmarks.md#calm-kvs-issue-6,
# docs/benchmarks.md#calm-kvs-with-many-keys-issue-13).
#
# Builds calm-kvs, then for each keyspace runs the same redis-benchmark commands against, one
# after the other, each on a fresh server:
#   redis       redis-server with AOF, fsync every second (appendfsync everysec, no RDB);
#   x1          one calm-kvs replica (--durability everysec);
#   x3          replica 1 of three calm-kvs replicas gossiping on loopback, the other two running
#               and receiving its deltas. After each command the run waits (untimed, at most
#               --catch-up seconds, default 60) until every replica's writes are acknowledged by
#               both peers (INFO's peers_in_sync), so that a command does not start behind the
#               last one's gossip, and prints those waits; at the end, the time replica 2 takes
#               to hold as many keys as replica 1;
#   always      redis-server --appendfsync always, then one calm-kvs replica --durability always;
# and prints requests per second per command with the ratio calm/redis, and the load average
# when each server's run began. Data directories are on the repository's disk (build/), so
# fsync costs what it costs there.
#
# Keyspaces (--keyspaces, default all three):
#   many  -r 100000           keys (and SADD's members, HSET's fields) drawn from 100,000
#   1k    -r 100000 -d 1024   the same with 1 KiB values (SET, GET, HSET)
#   one   (no -r)             one key per command, as issue 6 measured
#
# Usage: bench/kvs/compare.sh [--preset bench|release] [--no-build] [--kvs BINARY]
#        [--requests N] [--tests set,get,...] [--keyspaces many,1k,one] [--servers x1,x3,always]
#        [--timeout S] [--catch-up S] [-- extra redis-benchmark options]
# --kvs benchmarks that calm-kvs binary instead of building one (an older build, say).
# Each command is its own run, in the order given, each bounded by --timeout seconds (default
# 180): a run cut short shows the rate over the part that ran, marked "*".
# The command: redis-benchmark -p PORT -t TEST -P 16 -c 50 -n N [KEYSPACE] -q
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/kvs/lib.sh

kvs_options "$@"
set -- "${kvs_rest[@]}"
requests=200000
tests=set,get,incr,sadd,hset
keyspaces=many,1k,one
servers=x1,x3,always
limit=180
catch_up=60
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests=$2; shift 2 ;;
    --tests) tests=$2; shift 2 ;;
    --keyspaces) keyspaces=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    --catch-up) catch_up=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
kvs_setup

declare -A result load

# bench NAME: runs every test against $port; result[NAME,TEST] = requests per second, or the
# rate so far with "*" when the run reached its time limit.
bench() {
  local t out
  load[$1]=$(load_now)
  for t in ${tests//,/ }; do
    # shellcheck disable=SC2086 # the keyspace's options are words
    out=$(timeout -s INT "$limit" redis-benchmark -p "$port" -t "$t" -P 16 -c 50 \
      -n "$requests" ${keyspace_args[$keyspace]} "${extra[@]}" -q 2>/dev/null | tr '\r' '\n') || true
    [ "$1" = x3 ] && settle "$t"
    # A name may hold spaces ("LRANGE_100 (first 100 elements): ..."), never a colon.
    result[$1,$t]=$(sed -n 's/^[^:]*: \([0-9.]*\) requests per second.*/\1/p' <<<"$out" | tail -n 1)
    if [ -z "${result[$1,$t]}" ]; then
      result[$1,$t]=$(sed -n 's/.*(overall: \([0-9.]*\)) avg_msec.*/\1*/p' <<<"$out" | tail -n 1)
      result[$1,$t]=${result[$1,$t]:-timeout}
    fi
  done
}

# settle TEST: waits (at most --catch-up seconds) until all three replicas have every write
# acknowledged by both peers, so that the next test does not start behind the last one's
# gossip; settled[TEST] = the seconds it took.
declare -A settled
settle() {
  local waited=0 p quiet
  while [ "$waited" -lt $((catch_up * 10)) ]; do
    quiet=1
    for p in "${cluster_ports[@]}"; do
      [ "$(redis-cli -p "$p" INFO replication | tr -d '\r' | sed -n 's/^peers_in_sync://p')" = 2 ] ||
        { quiet=0; break; }
    done
    [ "$quiet" = 1 ] && break
    sleep 0.1; waited=$((waited + 1))
  done
  settled[$1]=$(awk -v w="$waited" -v q="$quiet" 'BEGIN { printf "%.1f%s", w / 10, (q ? "" : "+") }')
}

has() { [[ ",$servers," == *",$1,"* ]]; }

kvs_describe
echo "command: redis-benchmark -p PORT -t TEST -P 16 -c 50 -n $requests KEYSPACE ${extra[*]:+${extra[*]} }-q"
echo "(* = the run reached its ${limit}s limit: the rate over the part that ran)"
for keyspace in ${keyspaces//,/ }; do
  [ -n "${keyspace_args[$keyspace]+set}" ] || { echo "unknown keyspace $keyspace" >&2; exit 2; }
  gossip=
  start_redis everysec; bench redis; kvs_stop_all
  if has x1; then start_kvs everysec; bench x1; kvs_stop_all; fi
  if has x3; then
    start_cluster everysec; bench x3
    # The others must have heard of the writes: the cluster really was gossiping. How long
    # replica 2 takes to hold as many keys as replica 1 (at most --catch-up seconds).
    want=$(redis-cli -p "$port" DBSIZE) waited=0
    while held=$(redis-cli -p "${cluster_ports[1]}" DBSIZE) && [ "$held" -lt "$want" ] &&
      [ "$waited" -lt $((catch_up * 2)) ]; do
      sleep 0.5; waited=$((waited + 1))
    done
    gossip="replica 2 held $held of replica 1's $want keys $(awk -v w="$waited" 'BEGIN { printf "%.1f", w / 2 }') s after the last test"
    kvs_stop_all
  fi
  if has always; then
    start_redis always; bench redis_always; kvs_stop_all
    start_kvs always; bench always; kvs_stop_all
  fi

  echo
  echo "keyspace $keyspace: ${keyspace_args[$keyspace]:-(one key)}"
  header=(test redis)
  has x1 && header+=('calm x1' ratio)
  has x3 && header+=('calm x3' ratio)
  has always && header+=('redis always' 'calm always' ratio)
  row() { printf '%-6s' "$1"; shift; printf ' %12s' "$@"; echo; }
  row "${header[@]}"
  for t in ${tests//,/ }; do
    r=${result[redis,$t]}
    cells=("$(whole "$r")")
    for s in x1 x3; do
      has $s || continue
      cells+=("$(whole "${result[$s,$t]}")" "$(ratio "${result[$s,$t]}" "$r")")
    done
    if has always; then
      ra=${result[redis_always,$t]} ca=${result[always,$t]}
      cells+=("$(whole "$ra")" "$(whole "$ca")" "$(ratio "$ca" "$ra")")
    fi
    row "${t^^}" "${cells[@]}"
  done
  loads=("${load[redis]}")
  has x1 && loads+=("${load[x1]}" '')
  has x3 && loads+=("${load[x3]}" '')
  has always && loads+=("${load[redis_always]}" "${load[always]}" '')
  row load "${loads[@]}"
  if has x3; then
    line="x3 settled after each test (s until every replica's writes were acknowledged):"
    for t in ${tests//,/ }; do line+=" ${t^^} ${settled[$t]}"; done
    echo "$line"
  fi
  [ -z "$gossip" ] || echo "$gossip"
done
