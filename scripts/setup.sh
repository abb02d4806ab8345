#!/usr/bin/env bash
# Installs what Confab needs and is missing; fast when everything is already there.
#   scripts/setup.sh          toolchain to build and run (wasm target, wasm-bindgen-cli, and
#                             from npm wasm-opt, esbuild and lightningcss)
#   scripts/setup.sh --test   also what the tests need (Chromium, Playwright, PostgreSQL, the
#                             reference MCP servers, an OpenID Connect provider)
#   scripts/setup.sh --watch  also cargo-leptos, which only `cargo leptos watch` needs
# Sourcing it (". scripts/setup.sh") also puts the installed tools on PATH, and nothing
# else: the work runs in a child shell, so no shell option or variable leaks into yours.

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  _confab_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  bash "${BASH_SOURCE[0]}" "$@" || return $?
  export PATH="$HOME/.cargo/bin:$_confab_root/.tools/node_modules/.bin:$PATH"
  unset _confab_root
  return 0
fi

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION="0.3.10"
# Must equal the wasm-bindgen pinned in Cargo.toml, exactly.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$ROOT/Cargo.toml")"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root to run: $*" >&2; return 1; fi
}

apt_ready=""
apt_install() {
  if [ -z "$apt_ready" ]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_ready=1
  fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

setup_build() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 5 minutes, once)"
    # Not --locked: its lock file names a crate version the registry may not have.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
  # npm records what it installed in node_modules/.package-lock.json: older than the lock file
  # means a tool was added since.
  if [ ! -f "$ROOT/.tools/node_modules/.package-lock.json" ] \
    || [ "$ROOT/.tools/package-lock.json" -nt "$ROOT/.tools/node_modules/.package-lock.json" ]; then
    say "installing wasm-opt (npm's binaryen: Debian's is too old and breaks hydration), esbuild and lightningcss"
    (cd "$ROOT/.tools" && npm ci --no-audit --no-fund --silent)
  fi
  export PATH="$ROOT/.tools/node_modules/.bin:$PATH"
}

setup_test() {
  command -v chromium >/dev/null || apt_install chromium
  if ! command -v pg_ctl >/dev/null && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    apt_install postgresql
  fi
  # The API fuzzer (schemathesis) goes into a virtualenv made by scripts/fuzz-api.sh.
  python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
  # npm records what it installed in node_modules/.package-lock.json: older than the lock file
  # means a dependency was added since.
  if [ ! -f "$ROOT/end2end/node_modules/.package-lock.json" ] \
    || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    say "installing Playwright and axe (the browser is Debian's Chromium)"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund --silent)
  fi
  # A reference MCP server from PyPI for the MCP tests (the npm one comes with end2end's
  # packages); its own virtualenv, so its dependencies meet nothing else's.
  if [ ! -x "$ROOT/.tools/mcp-venv/bin/mcp-server-time" ]; then
    say "installing mcp-server-time from PyPI into .tools/mcp-venv"
    python3 -m venv "$ROOT/.tools/mcp-venv"
    "$ROOT/.tools/mcp-venv/bin/pip" install --quiet --disable-pip-version-check "mcp-server-time==2026.10.19"
  fi
  # A real OpenID Connect provider from PyPI for the single sign-on tests.
  if [ ! -x "$ROOT/.tools/oidc-venv/bin/oidc-provider-mock" ]; then
    say "installing oidc-provider-mock from PyPI into .tools/oidc-venv"
    python3 -m venv "$ROOT/.tools/oidc-venv"
    "$ROOT/.tools/oidc-venv/bin/pip" install --quiet --disable-pip-version-check "oidc-provider-mock==0.3.4"
  fi
  if ! cargo nextest --version >/dev/null 2>&1; then
    say "installing cargo-nextest"
    cargo install cargo-nextest --locked
  fi
}

setup_watch() {
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 20 minutes on 2 cores, once)"
    cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION" --features no_downloads
  fi
}

setup_build
# Anything else is ignored: sourced without arguments, this script sees its caller's (run.sh's
# flags for the server).
case "${1:-}" in
  --test) setup_test ;;
  --watch) setup_watch ;;
esac
