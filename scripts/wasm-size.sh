#!/usr/bin/env bash
# Writes bench/BUNDLE.md: the size of every .wasm the release site serves (raw, gzip, brotli),
# the first load and everything against their limits, the slow-connection timings of
# bench/first-load.json, and where the bytes go (twiggy top, monos, dominators, by crate and by
# our module) in the main module and in the create form's part.
#
#   scripts/wasm-size.sh              build the release front end, then measure
#   scripts/wasm-size.sh --no-build   measure the site as built (after `cargo leptos build --release --split`)
#
# twiggy needs names, which the served wasm no longer has: the script builds the front end once
# more into a temporary site with the same flags and wasm-opt's `-g` (keep names), from the same
# compiled wasm (cargo's cache). Needs twiggy (`cargo install twiggy --locked`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

build=true
[[ "${1:-}" == "--no-build" ]] && build=false

site_root="${LEPTOS_SITE_ROOT:-target/site}"
pkg_dir="$site_root/pkg"
# cargo-leptos' own wasm-opt flags (src/compile/front.rs of 0.3.10), and -g to keep the names.
wasm_opt_flags="-Oz,--enable-bulk-memory,--enable-nontrapping-float-to-int"

command -v twiggy >/dev/null || { echo "twiggy is required: cargo install twiggy --locked" >&2; exit 1; }

if [[ $build == true ]]; then
  leptos_release_build --precompress --frontend-only
fi
ls "$pkg_dir"/*.wasm >/dev/null 2>&1 || { echo "no wasm in $pkg_dir: run without --no-build" >&2; exit 1; }

work=$(mktemp -d)
# The named build writes the served site's hash file (`hash-files`: the names the server links
# to) as well: keep the served one, and put it back, or the server would link to files that are
# not in the site.
hash_file="${CARGO_TARGET_DIR:-target}/release/hash.txt"
[[ -f "$hash_file" ]] && cp "$hash_file" "$work/hash.txt"
restore() {
  [[ -f "$work/hash.txt" ]] && cp "$work/hash.txt" "$hash_file"
  rm -rf "$work"
}
trap restore EXIT

LEPTOS_SITE_ROOT="$work/site" LEPTOS_WASM_OPT_FEATURES="$wasm_opt_flags,-g" \
  cargo leptos build --release --split --frontend-only >/dev/null
for wasm in "$work"/site/pkg/*.wasm; do
  part=main
  [[ "$(basename "$wasm")" == split_* ]] && part=split
  mkdir -p "$work/$part"
  twiggy top --format csv "$wasm" > "$work/$part/top.csv"
  twiggy monos -m 20 -n 0 --format csv "$wasm" > "$work/$part/monos.csv"
  twiggy dominators -d 3 -r 12 "$wasm" | cut -c1-160 > "$work/$part/dominators.txt"
done

commit=$(git rev-parse --short HEAD)
# Only what goes into the wasm counts as a change.
dirty=false
[[ -n "$(git status --porcelain -- src Cargo.toml Cargo.lock)" ]] && dirty=true
cat > "$work/meta.json" <<EOF
{"date": "$(date -u '+%Y-%m-%d %H:%M') (UTC)", "commit": "$commit", "dirty": $dirty,
 "pkgDir": "$pkg_dir", "wasmOpt": "${wasm_opt_flags//,/ }"}
EOF

node scripts/wasm-size.mjs report "$pkg_dir" "$work" bench/BUNDLE.md
node scripts/wasm-size.mjs check "$pkg_dir" || true
