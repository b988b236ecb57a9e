#!/usr/bin/env bash
# Installs the peer engines the benchmark harness compares against: RocksDB and LevelDB shared libraries (their C
# APIs are called from .NET, no packages) and RocksDB's own tools (db_bench, ldb, sst_dump). Debian/Ubuntu, as root
# or with sudo. Debian builds these libraries with assertions on; say so next to any peer figure.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

$SUDO apt-get update
$SUDO apt-get install -y librocksdb-dev libleveldb-dev rocksdb-tools

echo "Installed:"
ls /usr/lib/*/librocksdb.so* /usr/lib/*/libleveldb.so* 2>/dev/null || true
