#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL cluster on loopback for the EF workloads of EFCore.Lsm.DbBench.
#
#   eng/benchmarks/start-postgres.sh          # install Debian's postgresql if needed, initdb, start on 127.0.0.1:54329
#   eng/benchmarks/start-postgres.sh stop     # stop it and remove its folder
#
# The cluster lives in $EFBENCH_PG_DIR (default /tmp/efcore-lsm-pg), listens only on 127.0.0.1 at $EFBENCH_PG_PORT
# (default 54329) and trusts local connections as user "postgres"; the harness's default --postgres connection string
# matches. Server settings are Debian's defaults (fsync on); the harness sets synchronous_commit per connection.
set -euo pipefail

dir="${EFBENCH_PG_DIR:-/tmp/efcore-lsm-pg}"
port="${EFBENCH_PG_PORT:-54329}"

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [[ -z "$bindir" ]]; then
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "PostgreSQL is not installed; run as root (apt-get install -y postgresql) or install it first." >&2
        exit 1
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
fi

# PostgreSQL refuses to run as root: run the server as the "postgres" account Debian's package creates.
as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if [[ "${1:-start}" == "stop" ]]; then
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop
    fi
    rm -rf "$dir"
    exit 0
fi

if [[ -f "$dir/data/postmaster.pid" ]] && as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    echo "PostgreSQL already running: Host=127.0.0.1;Port=$port;Username=postgres"
    exit 0
fi

rm -rf "$dir"
mkdir -p "$dir"
if [[ "$(id -u)" -eq 0 ]]; then
    chown postgres:postgres "$dir"
fi

as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-instructions >/dev/null
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir" start >/dev/null
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') running: Host=127.0.0.1;Port=$port;Username=postgres (log: $dir/server.log)"
