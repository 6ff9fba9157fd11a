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

step "cargo leptos build --release"
cargo leptos build --release

step "Playwright (Debian chromium)"
(cd end2end && npx playwright test)
