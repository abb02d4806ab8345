#!/usr/bin/env bash
# Runs every test: formatting, lints, the Rust suites (domain, stores, providers, tools,
# HTTP API, restarts of the real binary) and the browser end-to-end tests in Chromium.
# Sets up whatever is missing first, so it also works on a fresh machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh --test

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
step "site build (wasm and CSS; the end-to-end tests run the server the Rust tests built)"
cargo leptos build --frontend-only
step "end-to-end tests (Playwright, Chromium)"
(cd end2end && npx playwright test)
