#!/usr/bin/env bash
# Installs whatever is missing and runs every test: formatting and lints, Rust unit and
# black-box tests (SQLite and PostgreSQL), the release build, and the Playwright browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --for-tests
source scripts/env.sh
scripts/ensure-postgres.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy --all-features --all-targets -- -D warnings"
cargo clippy --all-features --all-targets -- -D warnings

step "cargo test --features ssr (unit, black-box server, storage on SQLite and PostgreSQL)"
cargo test --features ssr

step "cargo leptos build --release --split --precompress (stable; scripts/env.sh)"
leptos_release_build --precompress

step "browser bundle within its ceiling (scripts/wasm-size.mjs; goal and ceiling: docs/bundle.md)"
scripts/wasm-budget.sh

step "Playwright (Debian chromium)"
# Two free loopback ports for the two dashboards the browser tests start.
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
E2E_PORT="${E2E_PORT:-$(free_port)}"
E2E_SLOW_PORT="${E2E_SLOW_PORT:-$(free_port)}"
while [[ "$E2E_SLOW_PORT" == "$E2E_PORT" ]]; do E2E_SLOW_PORT=$(free_port); done
export E2E_PORT E2E_SLOW_PORT
(cd end2end && npx playwright test)
