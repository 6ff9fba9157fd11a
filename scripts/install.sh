#!/usr/bin/env bash
# Installs whatever is missing to build and run the dashboard; does nothing that is already done.
# Sources: rustup (wasm target), crates.io (cargo-leptos, wasm-bindgen-cli), npm (end2end/:
# Playwright, binaryen's wasm-opt), and with --for-tests Debian (chromium, PostgreSQL).
# Nothing is downloaded from anywhere else: cargo-leptos finds every helper on PATH first.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
for_tests=false
[[ "${1:-}" == "--for-tests" ]] && for_tests=true

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The system and npm packages download while the Rust tools compile (those take both cores; the
# downloads mostly wait on the network), so a fresh machine waits for the longer of the two only.
apt_updated=false
apt_install() {
  if [[ $apt_updated == false ]]; then
    apt-get update -qq
    apt_updated=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
packages() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    log "installing Node.js and npm (Debian)"
    apt_install nodejs npm
  fi
  # npm packages: Playwright (the test runner, no browser download) and binaryen's wasm-opt
  # (Debian's older binaryen produces wasm that fails to hydrate).
  if [[ ! -x end2end/node_modules/.bin/wasm-opt || end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]]; then
    log "installing npm packages in end2end/"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [[ $for_tests == true ]]; then
    if [[ ! -x /usr/bin/chromium ]]; then
      log "installing Debian's chromium for the browser tests"
      apt_install chromium
    fi
    if ! command -v pg_ctlcluster >/dev/null && ! command -v psql >/dev/null; then
      log "installing PostgreSQL for the storage contract tests"
      apt_install postgresql
    fi
  fi
}
packages &
packages_pid=$!

# The two build tools are compiled without their own release profile's link-time optimisation
# (cargo-leptos asks for fat LTO over one codegen unit, a long link on one core): neither
# tool's speed is what a build waits on. Cargo's environment overrides apply to these two
# installs only.
tool_install() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_DEBUG=false cargo install "$@"
}

if [[ "$(cargo leptos --version 2>/dev/null || true)" != *"$CARGO_LEPTOS_VERSION"* ]]; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 18 minutes on 2 cores, once)"
  tool_install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

# wasm-bindgen-cli must equal the wasm-bindgen version in Cargo.lock. Not --locked: its own lock
# file pins a crate version the registry no longer serves.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wb_version" ]]; then
  log "installing wasm-bindgen-cli $wb_version"
  tool_install wasm-bindgen-cli --version "$wb_version" --force
fi

if ! wait "$packages_pid"; then
  echo "installing the system or npm packages failed (see above)" >&2
  exit 1
fi
