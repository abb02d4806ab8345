#!/usr/bin/env bash
# Sets up whatever is missing, builds the release site and server, and runs Confab on
# http://127.0.0.1:3000 with the embedded defaults: SQLite at data/confab.db and the
# built-in offline model. Flags after the command go to the server (see --help).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
scripts/build-release.sh
export LEPTOS_SITE_ROOT=target/site
exec target/release/confab "$@"
