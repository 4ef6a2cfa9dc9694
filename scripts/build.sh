#!/usr/bin/env bash
# Usage: scripts/build.sh [PRESET]   (release by default; see CMakePresets.json)
# Installs the dependencies, then configures and builds build/PRESET.
set -euo pipefail
cd "$(dirname "$0")/.."

preset=${1:-release}
bash scripts/install-deps.sh
cmake --preset "$preset"
cmake --build --preset "$preset"
