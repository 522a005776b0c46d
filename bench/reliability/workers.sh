#!/usr/bin/env bash
# Worker sizing on the local cluster: the load mix (32 connections) with 2, 3, 4 and 5 sync
# workers per gunicorn instance (two instances), SECONDS each (default 30).
#   deploy/local-cluster.sh start && bench/reliability/workers.sh [2 3 4 5]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE_DIR=${STATE_DIR:-/tmp/viareferents-cluster}
DURATION=${DURATION:-30}
[ -d "$STATE_DIR/run" ] || { echo "start the cluster first: deploy/local-cluster.sh start" >&2; exit 1; }

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2 3 4 5)
for workers in "${sizes[@]}"; do
    for pidfile in "$STATE_DIR"/run/gunicorn-*.pid; do
        pid=$(cat "$pidfile")
        kill -TERM "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    done
    GUNICORN_WORKERS=$workers "$ROOT/deploy/local-cluster.sh" start >/dev/null
    printf '\n##### %s workers per instance (load average: %s)\n' "$workers" "$(cut -d' ' -f1-3 /proc/loadavg)"
    "$ROOT/.venv/bin/python" "$ROOT/bench/reliability/load.py" --seconds "$DURATION" | sed -n '2,3p;5p;7p'
done
