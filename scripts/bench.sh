#!/usr/bin/env bash
# Runs Confab's benchmarks: builds the release site and server and the benchmark tool, then
# measures every figure of BENCHMARKS.md against its target, the PostgreSQL ones on a
# throwaway cluster. Arguments go to the tool, e.g. `scripts/bench.sh --only polling,push`.
# The table lands in target/bench/results.md. Loopback only; takes about ten minutes warm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh --test
scripts/build-release.sh
cargo build --release -p confab-bench
# 10,000 SSE connections need as many descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec scripts/with-postgres.sh target/release/confab-bench run "$@"
