#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster: created in a temporary folder, on a
# free loopback port, with its URL in CONFAB_TEST_POSTGRES_URL; stopped and deleted after.
#   scripts/with-postgres.sh cargo nextest run -p confab-store
# Needs Debian's postgresql package (scripts/setup.sh --test installs it). PostgreSQL will
# not run as root, so as root the cluster runs as the postgres user.
set -euo pipefail

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "with-postgres: PostgreSQL's server programs are missing (apt-get install postgresql)" >&2
  exit 1
fi
dir="$(mktemp -d "${TMPDIR:-/tmp}/confab-pg.XXXXXX")"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
as_owner=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi

stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U confab --auth=trust -E UTF8 --no-instructions >/dev/null
# fsync off: the cluster is thrown away afterwards, and the tests kill confab, not PostgreSQL.
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

export CONFAB_TEST_POSTGRES_URL="postgres://confab@127.0.0.1:$port/postgres"
"$@"
