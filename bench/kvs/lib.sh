# shellcheck shell=bash disable=SC2034 # it sets variables for the scripts that source it
# Helpers shared by the calm-kvs benchmark scripts (compare.sh, sadd_scale.sh, memory.sh,
# restart.sh, profile.sh, all.sh); sourced, not run. docs/benchmarks.md#calm-kvs-with-many-keys-issue-13
#
# A script sources it from the repository root, calls `kvs_options "$@"` and then `set --
# "${kvs_rest[@]}"` for its own options, then `kvs_setup`. Servers run one after another in a
# temporary directory on the same disk as the repository (not tmpfs: the fsync figures must pay
# for a real fsync), on free ports, and are stopped and removed on exit.

kvs_preset=bench
kvs_build=1
kvs=
kvs_rest=()
kvs_pids=()
kvs_work=

# Takes the options every script shares: --preset P, --no-build, --kvs BINARY (measure that
# build, do not build). The others are left in kvs_rest.
kvs_options() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --preset) kvs_preset=$2; shift 2 ;;
      --no-build) kvs_build=0; shift ;;
      --kvs) kvs=$2; kvs_build=0; shift 2 ;;
      *) kvs_rest+=("$1"); shift ;;
    esac
  done
}

kvs_need() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$0 needs $tool" >&2; exit 1; }
  done
}

# Builds calm-kvs unless told not to, checks the tools, makes the work directory.
kvs_setup() {
  kvs_need redis-server redis-benchmark redis-cli "$kvs_python"
  if [ "$kvs_build" = 1 ]; then
    [ -f "build/$kvs_preset/build.ninja" ] || cmake --preset "$kvs_preset" >/dev/null
    cmake --build "build/$kvs_preset" --target calm-kvs >/dev/null
  fi
  kvs=${kvs:-build/$kvs_preset/apps/calm-kvs}
  [ -x "$kvs" ] || { echo "no $kvs: build it or drop --no-build" >&2; exit 1; }
  # The data directory's flag is --data today; a build that names it --data-dir works too.
  kvs_data_flag=--data
  if "$kvs" --help 2>&1 | grep -q -- '--data-dir'; then kvs_data_flag=--data-dir; fi
  mkdir -p build
  kvs_work=$(mktemp -d "$PWD/build/kvs-bench.XXXXXX")
  trap kvs_cleanup EXIT
  trap 'exit 130' INT TERM
}

kvs_cleanup() {
  kvs_stop_all
  [ -n "$kvs_work" ] && rm -rf "$kvs_work"
}

# Debian's python3 when there is one: a pyenv shim first on PATH takes seconds to start on a
# loaded machine, and the scripts start python often.
kvs_python=$(command -v /usr/bin/python3 || command -v python3)
resp() { "$kvs_python" bench/kvs/resp.py "$@"; }

# A free port, drawn as the tests draw theirs (tests/support/ports.py: below the kernel's
# ephemeral range, where no process's outgoing connection takes it before the server binds it)
# and never one this run was handed before. Called in $(...), a subshell: the ports handed out
# are kept in a file, not a variable.
free_port() {
  "$kvs_python" - "$kvs_work/ports.used" <<'PY'
import sys
sys.path.insert(0, "tests/support")
import ports
used_path = sys.argv[1]
try:
    with open(used_path) as f:
        used = {int(word) for word in f.read().split()}
except OSError:
    used = set()
port = ports.free_ports(1, avoid=used)[0]
with open(used_path, "a") as f:
    f.write(f"{port}\n")
print(port)
PY
}

# launch PORT LOG COMMAND...: starts COMMAND in the background, its output appended to LOG
# (pid = its pid), and waits until PORT answers PING, at most 300 s (a replica restoring many
# keys takes a while). started_ns is the clock just before the exec, ready_ns at the first PONG:
# the poller starts first, so python's own start-up is not counted.
launch() {
  local port=$1 log=$2 poll out
  shift 2
  out="$kvs_work/poll.$port"
  resp ping-wait --port "$port" --timeout 300 >"$out" &
  poll=$!
  for _ in $(seq 3000); do [ -s "$out" ] && break; sleep 0.01; done  # "polling": it is up
  started_ns=$(date +%s%N)
  "$@" >>"$log" 2>&1 &
  pid=$!
  kvs_pids+=("$pid")
  if ! wait "$poll"; then
    echo "nothing answers on port $port" >&2
    tail -n 20 "$kvs_work"/*.log >&2
    exit 1
  fi
  ready_ns=$(tail -n 1 "$out")
}

# running PID: PID exists and has not exited (an exited child stays a zombie until waited for).
running() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

# kill_wait SIGNAL PID: sends SIGNAL to PID and waits for it to exit; after 120 s, SIGKILL.
# (bash's "Killed" notice of the job goes to /dev/null: SIGKILL is what restart.sh means.)
kill_wait() {
  local stuck=0
  {
    kill -s "$1" "$2" || true
    for _ in $(seq 1200); do running "$2" || break; sleep 0.1; done
    if running "$2"; then
      stuck=1
      kill -s KILL "$2" || true
    fi
    wait "$2" || true
  } 2>/dev/null
  [ "$stuck" = 0 ] || echo "pid $2 still running 120 s after SIG$1: killed" >&2
}

# Stops every server started (SIGTERM) and waits for each to exit (bounded, see kill_wait).
kvs_stop_all() {
  for p in "${kvs_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${kvs_pids[@]}"; do kill_wait TERM "$p"; done
  kvs_pids=()
}

# start_redis FSYNC [DIR]: redis-server with AOF (appendfsync FSYNC, no RDB snapshots) in DIR
# (default: a new one). Sets port, pid, started_ns (the clock just before the exec) and ready_ns.
start_redis() {
  local dir=${2:-$(mktemp -d "$kvs_work/redis.XXXX")}
  port=$(free_port)
  launch "$port" "$kvs_work/redis.log" redis-server --port "$port" --bind 127.0.0.1 \
    --dir "$dir" --appendonly yes --appendfsync "$1" --save '' --daemonize no
}

# start_kvs DURABILITY [DIR]: one calm-kvs replica, alone. Sets port, pid, started_ns, ready_ns.
start_kvs() {
  local dir=${2:-$(mktemp -d "$kvs_work/kvs.XXXX")} peer_port
  port=$(free_port) peer_port=$(free_port)
  launch "$port" "$kvs_work/kvs.log" "$kvs" --id 1 --port "$port" --peer-port "$peer_port" \
    "$kvs_data_flag" "$dir" --durability "$1"
}

# start_cluster DURABILITY [OPTION...]: three calm-kvs replicas gossiping on loopback, each
# with the options given. Sets cluster_ports (their RESP ports; replica 1 first), and port and
# pid to replica 1's.
start_cluster() {
  local peer=() i peers durability=$1
  shift
  cluster_ports=()
  for i in 0 1 2; do cluster_ports+=("$(free_port)"); peer+=("$(free_port)"); done
  peers="1@127.0.0.1:${peer[0]},2@127.0.0.1:${peer[1]},3@127.0.0.1:${peer[2]}"
  for i in 0 1 2; do
    launch "${cluster_ports[$i]}" "$kvs_work/kvs.log" "$kvs" --id $((i + 1)) \
      --port "${cluster_ports[$i]}" --peer-port "${peer[$i]}" --peers "$peers" \
      "$kvs_data_flag" "$(mktemp -d "$kvs_work/r$((i + 1)).XXXX")" --durability "$durability" "$@"
  done
  port=${cluster_ports[0]} pid=${kvs_pids[0]}
}

# redis-benchmark's options for each keyspace of issue 13: keys (and SADD's members, HSET's
# fields) drawn from 100,000; the same with 1 KiB values; one key per command.
declare -A keyspace_args=([many]="-r 100000" [1k]="-r 100000 -d 1024" [one]="")

load_now() { cut -d' ' -f1 /proc/loadavg; }

# Resident memory of PID in KiB (VmRSS).
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# A figure is a number, or a number and "*" when it is partial (a run cut short by its time
# limit: the rate over the part that ran), or a word ("-", "timeout").
# ratio A R: A/R as "0.42x" or "0.042x" ("0.42x*" if either is partial), or "-" when either
# is no number.
ratio() {
  awk -v a="$1" -v r="$2" 'BEGIN {
    if (r + 0 > 0 && a ~ /^[0-9.]+\*?$/ && r ~ /^[0-9.]+\*?$/)
      printf (a / r < 0.1 ? "%.3fx%s" : "%.2fx%s"), a / r, (a r ~ /\*/ ? "*" : "")
    else printf "-" }'
}

# whole X: X rounded to an integer if it is a figure, else X as it is.
whole() {
  awk -v x="$1" 'BEGIN { if (x ~ /^[0-9.]+\*?$/) printf "%.0f%s", x, (x ~ /\*/ ? "*" : ""); else printf "%s", x }'
}

# What was measured, where: printed above every table.
kvs_describe() {
  local dirty
  git diff --quiet HEAD -- apps include protocols 2>/dev/null || dirty=', modified'
  echo "calm-kvs: $kvs (worktree at $(git rev-parse --short HEAD)${dirty:-})"
  echo "redis: $(redis-server --version | cut -d' ' -f3)"
  echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/^Mem:/ { print $2 }') GiB"
}
