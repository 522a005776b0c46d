#!/usr/bin/env bash
# Every reliability scenario of docs/reliability.md, in order, on a fresh local cluster.
# About 8 minutes, most of it under load: run it when nobody else benchmarks on the machine.
# Output: the terminal and bench/out/reliability-<date>.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=$ROOT/.venv/bin/python
HERE=$ROOT/bench/reliability
mkdir -p "$ROOT/bench/out"
LOG=$ROOT/bench/out/reliability-$(date +%Y%m%d-%H%M%S).txt

run() { printf '\n##### %s  (load average: %s)\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)"; "$@"; }

{
    "$ROOT/deploy/local-cluster.sh" stop
    "$ROOT/deploy/local-cluster.sh" start
    run "$PY" "$HERE/load.py"
    run "$PY" "$HERE/kill_app_server.py"
    run "$PY" "$HERE/database_outage.py"
    run "$PY" "$HERE/database_outage.py" --connections 0 --seconds 15 --stop-at 5
    run "$PY" "$HERE/redis_outage.py"
    run "$PY" "$HERE/import_killed.py"
    run "$PY" "$HERE/load.py"  # now with 100,000 more establishments to search
    run "$ROOT/deploy/backup-restore.sh"
    "$ROOT/deploy/local-cluster.sh" stop
} 2>&1 | tee "$LOG"
echo "Saved: $LOG"
