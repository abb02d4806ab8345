#!/usr/bin/env bash
# Builds what scripts/run.sh runs: the release site (target/site, precompressed) and the
# release server (target/release/confab). The end-to-end tests and the benchmarks run this
# same build. Expects the tools scripts/setup.sh installs on PATH.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/build-site.sh --release --precompress
cargo build --release --package=confab --bin=confab
