#!/usr/bin/env bash
# Runs every test: formatting, lints, the Rust suites (domain, stores, providers, tools,
# HTTP API, restarts of the real binary) and the browser end-to-end tests in Chromium.
# Sets up whatever is missing first, so it also works on a fresh machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh --test

# A fresh clone (CI) gains nothing from incremental compilation but gigabytes of disk and time.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "format"
cargo fmt --all --check
step "lints"
cargo clippy --workspace --all-targets -- -D warnings
# The browser half of the app only compiles for wasm; lint it there too.
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
step "Rust tests (SQLite, and PostgreSQL on a throwaway cluster)"
# The PostgreSQL suite, the two-process tests and the tests against the reference MCP
# servers (installed by setup.sh) must run here, never be skipped.
CONFAB_REQUIRE_POSTGRES=1 CONFAB_REQUIRE_MCP=1 CONFAB_REQUIRE_OIDC=1 scripts/with-postgres.sh cargo nextest run --workspace --no-fail-fast
step "API fuzzing (schemathesis against the OpenAPI document, on SQLite and on PostgreSQL)"
scripts/fuzz-api.sh
step "release build (the site and server scripts/run.sh runs)"
scripts/build-release.sh
step "end-to-end tests (Playwright, Chromium, against the release build)"
(cd end2end && npx playwright test)
