# Sourced by the scripts: the PATH and variables every build uses.
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# `cargo leptos build --release ARGS…`: the site as it is served. The browser bundle is built on
# stable Rust and split (`--split`): the create form is a `#[lazy]` part of its own, fetched when
# it is wanted (docs/bundle.md).
leptos_release_build() {
  cargo leptos build --release --split "$@"
}
