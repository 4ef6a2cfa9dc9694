#!/usr/bin/env bash
# Usage: scripts/build.sh [PRESET]   (release by default; see CMakePresets.json)
# Installs the dependencies, then configures and builds build/PRESET.
set -euo pipefail
cd "$(dirname "$0")/.."

preset=${1:-release}
bash scripts/install-deps.sh
# Configure quietly; its output is shown only when it fails.
if ! log=$(cmake --preset "$preset" 2>&1); then
  echo "$log"
  exit 1
fi
cmake --build --preset "$preset"
