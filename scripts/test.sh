#!/usr/bin/env bash
# The whole test suite, what CI runs: every test compiled by clang with AddressSanitizer and
# UBSan (preset sanitize); the tests of the code that runs on several threads, compiled by
# clang with ThreadSanitizer (preset tsan); then everything again compiled by g++, optimized
# (preset release). Not g++ for the sanitizers: it takes three times clang's time to compile
# with them (docs/design-decisions.md, "CI's time").
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
trap 'status=$?; result=passed; [ $status -eq 0 ] || result=FAILED
      echo "== test.sh: $result in $((SECONDS - start))s =="' EXIT
# Each phase's time, so that a run near the 40-minute bound shows where it went.
for preset in sanitize tsan release; do
  echo "== test.sh: $preset =="
  phase=$SECONDS
  bash scripts/build.sh "$preset"
  built=$SECONDS
  ctest --preset "$preset"
  echo "== test.sh: $preset built in $((built - phase))s, tested in $((SECONDS - built))s =="
done
