#!/usr/bin/env bash
# Builds the site the server serves from target/site: the browser half compiled to wasm and
# bound by wasm-bindgen (optimised by wasm-opt in release), the stylesheet, and the public
# assets. These are the files `cargo leptos build` makes, with the same tools and flags, so
# a first run need not compile cargo-leptos (20 minutes on 2 cores) only to call them;
# `cargo leptos watch` still works for those who want live reload.
#   scripts/build-site.sh [--release] [--precompress]
# --precompress writes a .br and a .gz beside every file (release only), which the server
# sends to browsers that accept them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

release="" precompress=""
for arg in "$@"; do
  case "$arg" in
    --release) release=1 ;;
    --precompress) precompress=1 ;;
    *) echo "build-site: unknown argument $arg" >&2; exit 2 ;;
  esac
done

# What [[workspace.metadata.leptos]] in Cargo.toml says; the site is served from SITE.
OUTPUT_NAME="confab"
SITE="target/site"
PKG="$SITE/pkg"
export PATH="$PWD/.tools/node_modules/.bin:$PATH"

say() { printf '\033[1mbuild-site:\033[0m %s\n' "$*"; }

profile="dev" profile_dir="debug" minify="false"
if [ -n "$release" ]; then profile="wasm-release" profile_dir="wasm-release" minify="true"; fi

# The environment cargo-leptos gives the wasm build, so the same code comes out.
export LEPTOS_OUTPUT_NAME="$OUTPUT_NAME" LEPTOS_SITE_ROOT="$SITE" LEPTOS_SITE_PKG_DIR="pkg" \
  LEPTOS_SITE_ADDR="127.0.0.1:3000" LEPTOS_RELOAD_PORT="3001" LEPTOS_LIB_DIR="frontend" \
  LEPTOS_BIN_DIR="server" LEPTOS_HASH_FILES="false" LEPTOS_JS_MINIFY="$minify"

say "compiling the browser half to wasm ($profile)"
cargo build --package=frontend --lib --target=wasm32-unknown-unknown --no-default-features --profile="$profile"
wasm="target/wasm32-unknown-unknown/$profile_dir/frontend.wasm"

rm -rf "$SITE"
mkdir -p "$PKG"
say "binding it with wasm-bindgen"
wasm-bindgen --target=web --out-name="$OUTPUT_NAME" --out-dir="$PKG" "$wasm"
mv "$PKG/${OUTPUT_NAME}_bg.wasm" "$PKG/$OUTPUT_NAME.wasm"

if [ -n "$release" ]; then
  say "optimising the wasm (wasm-opt -Oz) and minifying the JavaScript"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$PKG/$OUTPUT_NAME.wasm" -o "$PKG/$OUTPUT_NAME.wasm"
  esbuild "$PKG/$OUTPUT_NAME.js" --minify --format=esm --log-level=warning --outfile="$PKG/$OUTPUT_NAME.min.js"
  mv "$PKG/$OUTPUT_NAME.min.js" "$PKG/$OUTPUT_NAME.js"
fi

say "the stylesheet and the public assets"
css_flags=(--targets defaults)
if [ -n "$release" ]; then css_flags+=(--minify); fi
lightningcss "${css_flags[@]}" style/main.css -o "$PKG/$OUTPUT_NAME.css"
cp -R public/. "$SITE/"

if [ -n "$release" ] && [ -n "$precompress" ]; then
  say "precompressing (brotli and gzip)"
  node -e '
    const fs = require("fs"), path = require("path"), zlib = require("zlib");
    const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)]);
    for (const file of walk(process.argv[1]).filter((f) => !/\.(br|gz)$/.test(f))) {
      const bytes = fs.readFileSync(file);
      fs.writeFileSync(file + ".gz", zlib.gzipSync(bytes, { level: 9 }));
      fs.writeFileSync(file + ".br", zlib.brotliCompressSync(bytes, {
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
    }' "$SITE"
fi
say "done: $SITE"
