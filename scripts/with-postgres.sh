#!/usr/bin/env bash
# Run a command with HUIFANG_DATABASE_URL pointing at a throw-away PostgreSQL server:
# Debian's postgresql package, a fresh data directory, 127.0.0.1 on a free port; stopped and
# removed afterwards whatever the command's outcome.
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "with-postgres: Debian's postgresql package is not installed" >&2; exit 2; }
dir=$(mktemp -d /tmp/huifang-pg.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
cleanup() { as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
as_pg "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
# Durability is not under test: fsync off makes the throw-away server quick. HUIFANG_PG_OPTIONS adds
# server settings (bench/bench_queue.py: "-c max_connections=300", one for each of its 200 agents).
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off ${HUIFANG_PG_OPTIONS:-}" \
  start >/dev/null
as_pg "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE huifang" >/dev/null
echo "with-postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
export HUIFANG_DATABASE_URL="postgres://postgres@127.0.0.1:$port/huifang"
"$@"
