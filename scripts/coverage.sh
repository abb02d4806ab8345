#!/usr/bin/env bash
# Line coverage of the Rust suites, per crate (cargo-llvm-cov over cargo-nextest, on SQLite
# and on a throwaway PostgreSQL cluster, as the test command runs them).
#   scripts/coverage.sh            per-crate table
#   scripts/coverage.sh --html     also an HTML report in target/llvm-cov/html
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh --test

if ! rustup component list --installed | grep -q '^llvm-tools'; then
  rustup component add llvm-tools-preview
fi
if ! cargo llvm-cov --version >/dev/null 2>&1; then
  cargo install cargo-llvm-cov --locked
fi

cargo llvm-cov clean --workspace
CONFAB_REQUIRE_POSTGRES=1 scripts/with-postgres.sh \
  cargo llvm-cov nextest --workspace --exclude frontend --no-report --no-fail-fast
if [ "${1:-}" = "--html" ]; then
  cargo llvm-cov report --ignore-filename-regex "/(tests|benches)/" --html
fi
mkdir -p target/llvm-cov
cargo llvm-cov report --ignore-filename-regex "/(tests|benches)/" --json --summary-only --output-path target/llvm-cov/summary.json
python3 - target/llvm-cov/summary.json "$PWD" <<'PY'
import json, sys, collections
summary, root = json.load(open(sys.argv[1])), sys.argv[2].rstrip("/") + "/"
lines = collections.defaultdict(lambda: [0, 0])
for data in summary["data"]:
    for file in data["files"]:
        name = file["filename"]
        if not name.startswith(root):
            continue
        crate = name[len(root):].split("/")[0]
        counts = file["summary"]["lines"]
        lines[crate][0] += counts["covered"]
        lines[crate][1] += counts["count"]
print(f"{'crate':<10} {'lines':>8} {'covered':>8} {'coverage':>9}")
for crate, (covered, count) in sorted(lines.items()):
    print(f"{crate:<10} {count:>8} {covered:>8} {100 * covered / max(count, 1):>8.1f}%")
PY
