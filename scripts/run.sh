#!/usr/bin/env bash
# Installs whatever is missing, builds the release site and runs the dashboard on the embedded
# defaults (SQLite file under ./data, embedded ARM simulator, dev sign-in) at http://127.0.0.1:3000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
source scripts/env.sh
leptos_release_build --precompress
exec "${CARGO_TARGET_DIR:-target}/release/aks-dashboard" "$@"
