#!/usr/bin/env bash
# The developer loop: `cargo leptos watch` serves the dashboard at `site-addr` (127.0.0.1:3000)
# and reloads the open page after every rebuild; a style change is swapped in without a reload.
# Arguments go to `cargo leptos watch` (e.g. --hot-reload).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
source scripts/env.sh
# Its own target directory and site: watch builds the server with other RUSTFLAGS than the tests
# and the release build, and must not overwrite the release site the browser tests use.
export CARGO_TARGET_DIR="${WATCH_TARGET_DIR:-target/watch}"
export LEPTOS_SITE_ROOT="${WATCH_SITE_ROOT:-target/watch-site}"
# Plain bundle names: cargo-leptos swaps the stylesheet by its plain name, so with content-hashed
# names (release) a style change would never reach the page. A hashed build's leftover hash.txt
# would make the server link names that no longer exist.
export LEPTOS_HASH_FILES=false
rm -f "$CARGO_TARGET_DIR/debug/hash.txt"
exec cargo leptos watch "$@"
