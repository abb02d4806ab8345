#!/usr/bin/env bash
# Fuzzes the running API with schemathesis, driven by its own OpenAPI document: every
# operation gets generated valid and invalid requests; any 5xx, any undocumented status
# code or content type, and any response that breaks the schema fails the run.
#   scripts/fuzz-api.sh              a short bounded pass (what the test command runs)
#   FUZZ_EXAMPLES=200 scripts/fuzz-api.sh   a longer one
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EXAMPLES="${FUZZ_EXAMPLES:-15}"
BINARY="${CONFAB_BINARY:-target/debug/confab}"

if [ ! -x .tools/venv/bin/schemathesis ]; then
  echo "fuzz: installing schemathesis from PyPI into .tools/venv"
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi
[ -x "$BINARY" ] || cargo build -p confab

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$BINARY" --addr "127.0.0.1:$port" --database-url "sqlite://$work/confab.db" \
  --builtin-token-delay-ms 0 --rate-limit-reads 0 --rate-limit-actions 0 --rate-limit-sign-in 0 \
  >"$work/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done
token="$(curl -fs -X POST "$base/api/auth/register" -H 'content-type: application/json' \
  -d '{"username":"fuzzer","password":"fuzzing-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"

status=0
timeout 600 .tools/venv/bin/schemathesis run "$base/api/openapi.json" --url "$base" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-path /api/auth/logout \
  --max-examples "$EXAMPLES" --seed 1 --no-color --request-timeout 1 || status=$?
if grep -q "panicked" "$work/server.log"; then
  echo "fuzz: the server panicked:"; grep -A5 panicked "$work/server.log"; status=1
fi
exit "$status"
