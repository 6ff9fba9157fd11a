# Sourced by the scripts: the PATH and variables every build uses.
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# The release site's browser bundle is built with a pinned nightly: std rebuilt for the wasm
# (-Zbuild-std) with panics as immediate aborts, no panic locations and no `Debug` formatting
# (`{:?}` writes nothing), which makes the bundle about 11 % smaller (docs/bundle.md, "Nightly
# for the browser build"). Nothing the page shows is written with `Debug`. The server, the tests,
# clippy and `scripts/watch.sh` stay on stable. AKS_WASM_STABLE=1 builds the bundle on stable
# instead (bigger, but a browser panic then prints its message and location in the console).
WASM_NIGHTLY=nightly-2026-10-30
WASM_NIGHTLY_RUSTFLAGS="-Cpanic=immediate-abort -Zunstable-options -Zlocation-detail=none -Zfmt-debug=none"
export WASM_NIGHTLY WASM_NIGHTLY_RUSTFLAGS

# `cargo leptos build --release ARGS…` with the browser bundle on $WASM_NIGHTLY (see above).
leptos_release_build() {
  if [[ "${AKS_WASM_STABLE:-}" == 1 ]]; then
    cargo leptos build --release "$@"
    return
  fi
  RUSTUP_TOOLCHAIN="$WASM_NIGHTLY" \
    LEPTOS_BIN_CARGO_COMMAND="cargo +stable" \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$WASM_NIGHTLY_RUSTFLAGS" \
    cargo leptos build --release --lib-cargo-args=-Zbuild-std=std,panic_abort "$@"
}
