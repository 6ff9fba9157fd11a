#!/usr/bin/env bash
# Writes bench/BUNDLE.md: the size of every .wasm the release site serves (raw, gzip, brotli),
# their total against the budget, and where the bytes go (twiggy top, monos, dominators, and the
# same grouped by crate and by our module).
#
#   scripts/wasm-size.sh              build the release front end, then measure
#   scripts/wasm-size.sh --no-build   measure the site as built (after `cargo leptos build --release`)
#
# twiggy needs names, which the served wasm no longer has: the script runs wasm-bindgen on the
# `wasm-release` build again and wasm-opt with the same flags plus `-g` (keep names) into a
# temporary folder. Needs twiggy (`cargo install twiggy`), wasm-bindgen and wasm-opt on PATH
# (scripts/install.sh, scripts/env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

build=true
[[ "${1:-}" == "--no-build" ]] && build=false

target_dir="${CARGO_TARGET_DIR:-target}"
site_root="${LEPTOS_SITE_ROOT:-target/site}"
pkg_dir="$site_root/pkg"
rustc_wasm="$target_dir/front/wasm32-unknown-unknown/wasm-release/aks_dashboard.wasm"
# cargo-leptos' own wasm-opt flags (src/compile/front.rs of 0.3.10), unless the project sets them.
wasm_opt_flags=(-Oz --enable-bulk-memory --enable-nontrapping-float-to-int)

command -v twiggy >/dev/null || { echo "twiggy is required: cargo install twiggy --locked" >&2; exit 1; }

if [[ $build == true ]]; then
  leptos_release_build --precompress --frontend-only
fi
[[ -f "$rustc_wasm" ]] || { echo "no release wasm at $rustc_wasm: run without --no-build" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

wasm-bindgen --target=web --out-name=aks-dashboard --out-dir="$work" "$rustc_wasm"
wasm-opt "${wasm_opt_flags[@]}" -g "$work/aks-dashboard_bg.wasm" -o "$work/named.wasm"
twiggy top --format csv "$work/named.wasm" > "$work/top.csv"
twiggy monos -m 20 -n 0 --format csv "$work/named.wasm" > "$work/monos.csv"
twiggy dominators -d 3 -r 12 "$work/named.wasm" | cut -c1-160 > "$work/dominators.txt"

served_raw=0
for f in "$pkg_dir"/*.wasm; do served_raw=$((served_raw + $(stat -c %s "$f"))); done
commit=$(git rev-parse --short HEAD)
# Only what goes into the wasm counts as a change.
dirty=false
[[ -n "$(git status --porcelain -- src Cargo.toml Cargo.lock scripts/env.sh)" ]] && dirty=true
# The toolchain leptos_release_build (scripts/env.sh) compiles the bundle with.
toolchain="$WASM_NIGHTLY, std rebuilt, immediate-abort"
[[ "${AKS_WASM_STABLE:-}" == 1 ]] && toolchain="stable"
cat > "$work/meta.json" <<EOF
{"date": "$(date -u '+%Y-%m-%d %H:%M') (UTC)", "commit": "$commit", "dirty": $dirty,
 "toolchain": "$toolchain",
 "pkgDir": "$pkg_dir", "servedRaw": $served_raw, "wasmOpt": "${wasm_opt_flags[*]}"}
EOF

node scripts/wasm-size.mjs report "$pkg_dir" "$work" bench/BUNDLE.md
node scripts/wasm-size.mjs check "$pkg_dir" || true
