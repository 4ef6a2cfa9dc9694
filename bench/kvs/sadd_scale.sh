#!/usr/bin/env bash
# SADD into one large set: per-command cost at each set size, calm-kvs against redis-server
# (issue 13; docs/benchmarks.md#calm-kvs-with-many-keys-issue-13).
#
# For each size S (--sizes, default 1000 and 1000000), against redis-server (AOF, everysec) and
# one calm-kvs replica (--durability everysec), each fresh: bench/kvs/resp.py sadd-cost times
# --rounds rounds of --batch single-member SADDs of new members, pipelined on one connection
# (all of a round in flight at once), into a set of S members filled beforehand with 1000-member
# SADDs (not timed). Below 100,000 members each round gets its own set filled to S, so every
# round sees S members, not S plus the rounds before; from 100,000 up one set is filled once
# and grows by rounds x batch (1% at 1M with the defaults). Prints microseconds per SADD, the
# ratio calm/redis (of costs: above 1 means calm-kvs is slower) and the fill's seconds.
#
# Usage: bench/kvs/sadd_scale.sh [--preset P] [--no-build] [--kvs BINARY]
#        [--sizes 1000,1000000] [--rounds 10] [--batch 1000]
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/kvs/lib.sh

kvs_options "$@"
set -- "${kvs_rest[@]}"
sizes=1000,1000000
rounds=10
batch=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
kvs_setup

# cost SIZE: prints "MICROSECONDS_PER_SADD FILL_SECONDS" against $port.
cost() {
  local fresh=() t0 t1 us
  t0=$(date +%s.%N)
  if [ "$1" -lt 100000 ]; then
    fresh=(--fresh "$1")  # filled inside each round
  else
    resp fill-set --port "$port" --key big --count "$1"
  fi
  t1=$(date +%s.%N)
  us=$(resp sadd-cost --port "$port" --key big --rounds "$rounds" \
    --batch "$batch" "${fresh[@]}")
  echo "$us $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
}

kvs_describe
echo "SADD of new members: $rounds rounds of $batch, pipelined on one connection (bench/kvs/resp.py sadd-cost)"
printf '%-9s %12s %12s %8s %14s %14s %7s %7s\n' members 'redis us' 'calm us' ratio \
  'redis fill s' 'calm fill s' 'load r' 'load c'
for size in ${sizes//,/ }; do
  lr=$(load_now); start_redis everysec; read -r ru rf < <(cost "$size"); kvs_stop_all
  lc=$(load_now); start_kvs everysec; read -r cu cf < <(cost "$size"); kvs_stop_all
  [ "$size" -lt 100000 ] && rf=- cf=-
  printf '%-9s %12s %12s %8s %14s %14s %7s %7s\n' "$size" "$ru" "$cu" "$(ratio "$cu" "$ru")" \
    "$rf" "$cf" "$lr" "$lc"
done
