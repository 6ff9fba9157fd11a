#!/usr/bin/env bash
# Writes bench/LEVERS.md: what each build lever does to the browser bundle, each measured alone
# from the same baseline: the `wasm-release` profile and wasm-opt flags as committed, built on
# stable, unsplit (the whole bundle in one file: the create form's part included, so the rows
# compare with "everything" in bench/BUNDLE.md). The site is built on stable; the nightly rows
# are an opt-in for whoever wants the last few per cent (the bundle never needs them): they run
# when the toolchain below is installed (`rustup toolchain install nightly-2026-10-30 --profile
# minimal --component rust-src --target wasm32-unknown-unknown`).
#
#   scripts/wasm-levers.sh
#
# Every Cargo lever is one environment override of the committed profile, built in its own
# target folder under $CARGO_TARGET_DIR/levers (removed afterwards; about 0.5 GB and 4–5 minutes
# each on 2 cores), then put through wasm-bindgen and wasm-opt as cargo-leptos does. wasm-opt
# levers reuse the baseline's wasm-bindgen output. The site in target/site is not touched.
# Levers that need code changes (dropping the panic hook, islands) are measured in docs/bundle.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

# The nightly the opt-in rows build with, and the flags of "std rebuilt, immediate abort".
WASM_NIGHTLY=nightly-2026-10-30
WASM_NIGHTLY_RUSTFLAGS="-Cpanic=immediate-abort -Zunstable-options -Zlocation-detail=none"
target_dir="${CARGO_TARGET_DIR:-target}"
# cargo-leptos 0.3.10's wasm-opt flags (src/compile/front.rs).
wasm_opt_flags=(-Oz --enable-bulk-memory --enable-nontrapping-float-to-int)
work=$(mktemp -d)
trap 'rm -rf "$work" "$target_dir/levers"' EXIT
list="$work/levers.tsv"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Builds the browser lib as cargo-leptos does (same command, same LEPTOS_OUTPUT_NAME, which
# Leptos compiles in) and leaves wasm-bindgen's output in $work/NAME/. The output name stays
# the site's: every import of the wasm names its JS module, so another name changes the size.
# NIGHTLY_ARGS, when set, builds with the pinned nightly ($WASM_NIGHTLY) and those -Z flags.
build_front() {
  local name=$1 dir=$2
  shift 2
  local cargo=(cargo)
  [[ -n "${NIGHTLY_ARGS:-}" ]] && cargo=(cargo "+$WASM_NIGHTLY")
  log "lever $name: $* ${cargo[*]} build ${NIGHTLY_ARGS:-}(wasm-release)"
  # shellcheck disable=SC2086 # NIGHTLY_ARGS is a list of flags
  env "$@" LEPTOS_OUTPUT_NAME=aks-dashboard "${cargo[@]}" build ${NIGHTLY_ARGS:-} \
    --package=aks-dashboard --lib --target-dir="$dir" --target=wasm32-unknown-unknown \
    --no-default-features --features=hydrate --profile=wasm-release
  wasm-bindgen --target=web --out-name=aks-dashboard --out-dir="$work/$name" \
    "$dir/wasm32-unknown-unknown/wasm-release/aks_dashboard.wasm"
}

# NAME, CHANGE (for the table), FROM, wasm-opt flags…: optimises FROM's wasm-bindgen output
# into $work/NAME.wasm.
optimise() {
  local name=$1 change=$2 from=$3
  shift 3
  log "lever $name: wasm-opt $*"
  local start=$SECONDS
  wasm-opt "$@" "$work/$from/aks-dashboard_bg.wasm" -o "$work/$name.wasm"
  printf '%s\t%s\t%s\twasm-opt %s s\n' "$name" "$change" "$work/$name.wasm" $((SECONDS - start)) >> "$list"
}

# The baseline: the committed profile on stable, in a folder of its own (the site's front folder
# holds the split build).
build_front baseline "$target_dir/levers/baseline"
optimise baseline "committed: \`opt-level = \"z\"\`, \`lto = true\`, \`codegen-units = 1\`, \`panic = \"abort\"\`; wasm-opt \`${wasm_opt_flags[*]}\`" baseline "${wasm_opt_flags[@]}"

# wasm-opt levers, on the baseline's wasm-bindgen output.
cp "$work/baseline/aks-dashboard_bg.wasm" "$work/no-wasm-opt.wasm"
printf '%s\t%s\t%s\t%s\n' "no wasm-opt" "wasm-opt not run (what it buys)" "$work/no-wasm-opt.wasm" "" >> "$list"
optimise wasm-opt-Os "wasm-opt \`-Os\`" baseline -Os --enable-bulk-memory --enable-nontrapping-float-to-int
optimise wasm-opt-converge "wasm-opt \`-Oz --converge\`" baseline "${wasm_opt_flags[@]}" --converge

# Cargo levers: one override each, in a folder of its own.
cargo_lever() {
  local name=$1 change=$2
  shift 2
  local dir="$target_dir/levers/$name"
  build_front "$name" "$dir" "$@"
  optimise "$name" "$change" "$name" "${wasm_opt_flags[@]}"
  rm -rf "$dir"
}
cargo_lever opt-level-s "\`opt-level = \"s\"\`" CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL=s
cargo_lever lto-thin "\`lto = \"thin\"\`" CARGO_PROFILE_WASM_RELEASE_LTO=thin
cargo_lever codegen-units-16 "\`codegen-units = 16\`" CARGO_PROFILE_WASM_RELEASE_CODEGEN_UNITS=16
cargo_lever strip "\`strip = true\`" CARGO_PROFILE_WASM_RELEASE_STRIP=true
cargo_lever erase-components "\`--cfg erase_components\` (front only)" \
  "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS=--cfg erase_components"

# Nightly levers (std rebuilt for the wasm: -Zbuild-std), when the pinned nightly has rust-src
# (scripts/install.sh installs it). Cargo's `panic = "immediate-abort"` needs `cargo-features`
# in Cargo.toml, so the panic strategy is the rustc flag, after the profile's (the last wins).
if rustup component list --toolchain "$WASM_NIGHTLY" --installed 2>/dev/null | grep -q '^rust-src'; then
  NIGHTLY_ARGS="-Zbuild-std=std,panic_abort" cargo_lever \
    nightly-immediate-abort "$WASM_NIGHTLY, \`-Zbuild-std\`, \`-Cpanic=immediate-abort\`" \
    "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS=-Cpanic=immediate-abort -Zunstable-options"
  NIGHTLY_ARGS="-Zbuild-std=std,panic_abort" cargo_lever \
    nightly-no-location "the same, and \`-Zlocation-detail=none\`" \
    "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS=$WASM_NIGHTLY_RUSTFLAGS"
  NIGHTLY_ARGS="-Zbuild-std=std,panic_abort" cargo_lever \
    nightly-no-fmt-debug "the same, and \`-Zfmt-debug=none\` (not used: it empties every \`{:?}\`)" \
    "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS=$WASM_NIGHTLY_RUSTFLAGS -Zfmt-debug=none"
else
  log "no $WASM_NIGHTLY with rust-src: the opt-in nightly rows are skipped"
fi

commit=$(git rev-parse --short HEAD)
# Only what goes into the wasm counts as a change.
changes=""
[[ -n "$(git status --porcelain -- src Cargo.toml Cargo.lock)" ]] && changes=" (with uncommitted changes)"
{
  echo "# Browser bundle: what each build lever buys"
  echo
  echo "Generated by \`scripts/wasm-levers.sh\` on $(date -u '+%Y-%m-%d %H:%M') (UTC) from commit \`$commit\`$changes."
  echo "Each row changes one thing from the baseline (the committed \`wasm-release\` profile and"
  echo "cargo-leptos' wasm-opt flags) and measures the one \`.wasm\` the site would serve: raw, and brotli"
  echo "at quality 11 as \`--precompress\` serves it. 1 KB = 1,000 B. Current bundle and where its bytes"
  echo "go: [BUNDLE.md](BUNDLE.md); the levers that need code changes and the plan: [docs/bundle.md](../docs/bundle.md)."
  echo
} > "$work/LEVERS.md"
node scripts/wasm-size.mjs levers "$list" "$work/table.md"
cat "$work/table.md" >> "$work/LEVERS.md"
cp "$work/LEVERS.md" bench/LEVERS.md
log "wrote bench/LEVERS.md"
