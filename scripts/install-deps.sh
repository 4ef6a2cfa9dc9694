#!/usr/bin/env bash
# Installs the Debian packages calm builds and tests with. Idempotent: it asks apt only
# for what is missing, and prints nothing when everything is already present.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev clang-format lld
  libboost-dev libcereal-dev librapidcheck-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  librocksdb-dev libssl-dev libjemalloc-dev nlohmann-json3-dev zlib1g-dev
  python3 python3-redis redis-tools redis-server ccache
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
