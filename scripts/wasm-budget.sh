#!/usr/bin/env bash
# Fails when the browser bundle (every .wasm the release site serves, added up) is over its
# budget, raw or brotli. The limits live in scripts/wasm-size.mjs. Run after
# `cargo leptos build --release`; scripts/wasm-size.sh explains where the bytes go.
set -euo pipefail
cd "$(dirname "$0")/.."
site_root="${LEPTOS_SITE_ROOT:-target/site}"
exec node scripts/wasm-size.mjs check "$site_root/pkg"
