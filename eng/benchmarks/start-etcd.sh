#!/usr/bin/env bash
# Starts (or stops) a throwaway 3-member etcd cluster on loopback for the etcd provider of EFCore.Lsm.DbBench.
#
#   eng/benchmarks/start-etcd.sh          # install Debian's etcd-server if needed, start 3 members on 127.0.0.1
#   eng/benchmarks/start-etcd.sh stop     # stop them and remove their folder
#
# The members live in $EFBENCH_ETCD_DIR (default /tmp/efcore-lsm-etcd-bench, on disk: every write is fsynced by a
# majority before it is acknowledged), serve clients on 127.0.0.1:23791-23793 (the harness's default --etcd) and run with
# --max-txn-ops 2048 (etcd's default is 128), because ef-bulkinsert saves 1,000 entities per SaveChanges; the harness's
# etcd provider is configured with the same limit.
set -euo pipefail

dir="${EFBENCH_ETCD_DIR:-/tmp/efcore-lsm-etcd-bench}"
members=(m1 m2 m3)
client_ports=(23791 23792 23793)
peer_ports=(23801 23802 23803)

stop() {
    for name in "${members[@]}"; do
        if [[ -f "$dir/$name.pid" ]]; then
            kill "$(cat "$dir/$name.pid")" 2>/dev/null || true
        fi
    done
    sleep 1
    rm -rf "$dir"
}

if [[ "${1:-start}" == "stop" ]]; then
    stop
    exit 0
fi

if ! command -v etcd >/dev/null 2>&1; then
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "etcd is not installed; run as root (apt-get install -y etcd-server) or install it first." >&2
        exit 1
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server
fi

stop
mkdir -p "$dir"
cluster=""
for i in 0 1 2; do
    cluster+="${cluster:+,}${members[$i]}=http://127.0.0.1:${peer_ports[$i]}"
done

for i in 0 1 2; do
    name="${members[$i]}"
    nohup etcd --name "$name" --data-dir "$dir/$name" \
        --listen-client-urls "http://127.0.0.1:${client_ports[$i]}" --advertise-client-urls "http://127.0.0.1:${client_ports[$i]}" \
        --listen-peer-urls "http://127.0.0.1:${peer_ports[$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${peer_ports[$i]}" \
        --initial-cluster "$cluster" --initial-cluster-token efbench --initial-cluster-state new \
        --max-txn-ops 2048 --logger zap --log-outputs stderr --log-level warn \
        >"$dir/$name.log" 2>&1 &
    echo $! >"$dir/$name.pid"
done

echo "etcd $(etcd --version | awk 'NR==1 {print $3}') running: http://127.0.0.1:23791,http://127.0.0.1:23792,http://127.0.0.1:23793 (logs: $dir/*.log)"
