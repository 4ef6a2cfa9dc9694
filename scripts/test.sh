#!/usr/bin/env bash
# The whole test suite, what CI runs: every test under g++ with AddressSanitizer and UBSan
# (preset sanitize), then everything again compiled by clang (preset clang).
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
trap 'status=$?; result=passed; [ $status -eq 0 ] || result=FAILED
      echo "== test.sh: $result in $((SECONDS - start))s =="' EXIT
for preset in sanitize clang; do
  echo "== test.sh: $preset =="
  bash scripts/build.sh "$preset"
  ctest --preset "$preset"
done
