#!/usr/bin/env bash
# A production-like viareferents on one machine: nginx (TLS) in front of two gunicorn instances,
# one PostgreSQL cluster of its own, one Redis of its own. Everything lives under $STATE_DIR and
# is removed by `stop`; the machine's own PostgreSQL and Redis are never touched.
#
#   deploy/local-cluster.sh start     # idempotent: starts whatever is not running
#   deploy/local-cluster.sh status
#   deploy/local-cluster.sh stop      # stops everything and deletes $STATE_DIR (KEEP_STATE=1 keeps it)
#
# Then open https://localhost:8443/ (self-signed certificate) and sign in with a demo account
# (password demo-referents-2026). See docs/deployment.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE_DIR=${STATE_DIR:-/tmp/viareferents-cluster}
VENV=${VENV:-$ROOT/.venv}
PG_PORT=${PG_PORT:-5499}
REDIS_PORT=${REDIS_PORT:-6399}
APP_PORTS=(${APP_PORTS:-8101 8102})
HTTP_PORT=${HTTP_PORT:-8080}
HTTPS_PORT=${HTTPS_PORT:-8443}
# Two instances share this 2-core box with PostgreSQL and nginx (docs/deployment.md, sizing).
GUNICORN_WORKERS=${GUNICORN_WORKERS:-2}
NGINX_WORKERS=${NGINX_WORKERS:-1}
# NGINX_ACCESS_LOG=off during load tests keeps the disk quiet; the default logs JSON lines.
NGINX_ACCESS_LOG=${NGINX_ACCESS_LOG:-on}
WITH_REDIS=${WITH_REDIS:-1}
DB_NAME=${DB_NAME:-viareferents}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

LOG_DIR=$STATE_DIR/log
RUN_DIR=$STATE_DIR/run
PGDATA=$STATE_DIR/pgdata
PGSOCK=$STATE_DIR/pgsock
NGINX_PREFIX=$STATE_DIR/nginx
ENV_FILE=$STATE_DIR/cluster.env

say() { printf '%s\n' "$*"; }
die() { printf 'local-cluster: %s\n' "$*" >&2; exit 1; }

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_http() {  # URL [seconds] [curl options...]: until it answers 200
    local url=$1 seconds=${2:-30}
    shift 2 || shift $#
    for _ in $(seq 1 $((seconds * 5))); do
        if [ "$(curl -ks -o /dev/null -w '%{http_code}' -H 'Host: localhost' "$@" "$url")" = 200 ]; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

write_env() {
    [ -s "$ENV_FILE" ] && return 0
    local secret
    secret=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')
    # One file for the application's environment (same SECRET_KEY on every server: sessions and
    # signed values must verify on both) and for the scripts of bench/reliability.
    umask 077
    cat >"$ENV_FILE" <<EOF
DEBUG=false
SECRET_KEY=$secret
ALLOWED_HOSTS=localhost
CSRF_TRUSTED_ORIGINS=https://localhost:$HTTPS_PORT
SITE_URL=https://localhost:$HTTPS_PORT
DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/$DB_NAME
CONN_MAX_AGE=60
CACHE_URL='$([ "$WITH_REDIS" = 1 ] && echo "redis://127.0.0.1:$REDIS_PORT/0?socket_connect_timeout=1&socket_timeout=1" || echo "locmemcache://")'
SESSIONS_IN_CACHE=${SESSIONS_IN_CACHE:-false}
EMAIL_URL=consolemail://
SECURE_HSTS_SECONDS=0
LOG_LEVEL=INFO
CLUSTER_STATE_DIR=$STATE_DIR
CLUSTER_PG_BIN=$PG_BIN
CLUSTER_PGDATA=$PGDATA
CLUSTER_PG_PORT=$PG_PORT
CLUSTER_APP_PORTS=$(IFS=,; echo "${APP_PORTS[*]}")
CLUSTER_HTTP_PORT=$HTTP_PORT
CLUSTER_HTTPS_PORT=$HTTPS_PORT
EOF
    umask 022
}

load_env() {
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
}

start_postgresql() {
    [ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL binaries not found (set PG_BIN)"
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        mkdir -p "$PGDATA" "$PGSOCK"
        [ "$(id -u)" = 0 ] && chown postgres: "$PGDATA" "$PGSOCK"
        chmod 700 "$PGDATA"
        as_pg "$PG_BIN/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
            --no-sync >/dev/null
        # Written into the configuration, so that a plain `pg_ctl start` (the reliability
        # scripts restart it) can never land on the machine's own port 5432.
        as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null <<EOF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGSOCK'
EOF
    fi
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        port_busy "$PG_PORT" && die "port $PG_PORT is taken (set PG_PORT)"
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 start >/dev/null
        say "PostgreSQL   127.0.0.1:$PG_PORT  ($PGDATA)"
    fi
    local psql=("$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres)
    if [ -z "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
        "${psql[@]}" -c "CREATE DATABASE \"$DB_NAME\""
    fi
}

start_redis() {
    [ "$WITH_REDIS" = 1 ] || return 0
    pid_alive "$RUN_DIR/redis.pid" && return 0
    command -v redis-server >/dev/null || die "redis-server not found (or WITH_REDIS=0)"
    port_busy "$REDIS_PORT" && die "port $REDIS_PORT is taken (set REDIS_PORT)"
    mkdir -p "$STATE_DIR/redis"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
        --pidfile "$RUN_DIR/redis.pid" --logfile "$LOG_DIR/redis.log" --dir "$STATE_DIR/redis" \
        --save '' --appendonly no --maxmemory 64mb --maxmemory-policy allkeys-lru
    for _ in $(seq 1 50); do pid_alive "$RUN_DIR/redis.pid" && break; sleep 0.1; done
    say "Redis        127.0.0.1:$REDIS_PORT"
}

prepare_application() {
    # Once per cluster (a later `start` only restarts what is missing); PREPARE=1 forces it.
    [ -e "$STATE_DIR/prepared" ] && [ "${PREPARE:-0}" != 1 ] && return 0
    local manage=("$VENV/bin/python" "$ROOT/manage.py")
    (
        cd "$ROOT"
        load_env
        "${manage[@]}" migrate --noinput -v 0
        "${manage[@]}" collectstatic --noinput -v 0
        "${manage[@]}" seed_demo --force -v 0 >/dev/null
        # SECURE_HSTS_SECONDS=0 here (a browser would remember HSTS for "localhost"): its
        # warning is expected; errors stop the start.
        "${manage[@]}" check --deploy --fail-level ERROR >"$LOG_DIR/check-deploy.log" 2>&1 ||
            { cat "$LOG_DIR/check-deploy.log" >&2; exit 1; }
    )
    touch "$STATE_DIR/prepared"
}

start_gunicorn() {
    local port=$1 pidfile=$RUN_DIR/gunicorn-$1.pid
    pid_alive "$pidfile" && return 0
    port_busy "$port" && die "port $port is taken (set APP_PORTS)"
    (
        cd "$ROOT"
        load_env
        export GUNICORN_BIND=127.0.0.1:$port GUNICORN_PIDFILE=$pidfile \
            GUNICORN_NAME=viareferents-$port GUNICORN_WORKERS
        exec setsid "$VENV/bin/gunicorn" -c "$ROOT/deploy/gunicorn.conf.py" viareferents.wsgi
    ) >>"$LOG_DIR/gunicorn-$port.log" 2>&1 </dev/null &
    wait_http "http://127.0.0.1:$port/healthz" 30 || die "gunicorn on $port did not start (see $LOG_DIR/gunicorn-$port.log)"
    say "gunicorn     127.0.0.1:$port  ($GUNICORN_WORKERS sync workers, pid $(cat "$pidfile"))"
}

make_certificate() {
    [ -s "$STATE_DIR/tls/localhost.crt" ] && return 0
    mkdir -p "$STATE_DIR/tls"
    openssl req -x509 -newkey rsa:2048 -sha256 -days 30 -nodes -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$STATE_DIR/tls/localhost.key" -out "$STATE_DIR/tls/localhost.crt" 2>/dev/null
    chmod 600 "$STATE_DIR/tls/localhost.key"
}

nginx_cmd() { nginx -p "$NGINX_PREFIX/" -c nginx.conf -e "$LOG_DIR/nginx-error.log" "$@"; }

start_nginx() {
    pid_alive "$NGINX_PREFIX/nginx.pid" && return 0
    for port in "$HTTP_PORT" "$HTTPS_PORT"; do
        port_busy "$port" && die "port $port is taken (set HTTP_PORT / HTTPS_PORT)"
    done
    make_certificate
    mkdir -p "$NGINX_PREFIX/temp"
    local access_log="$LOG_DIR/nginx-access.log json buffer=64k flush=5s"
    [ "$NGINX_ACCESS_LOG" = off ] && access_log=off
    sed -e "s|@STATE_DIR@|$STATE_DIR|g" -e "s|@LOG_DIR@|$LOG_DIR|g" \
        -e "s|@ACCESS_LOG@|$access_log|g" -e "s|@NGINX_WORKERS@|$NGINX_WORKERS|g" \
        -e "s|@APP_PORT_1@|${APP_PORTS[0]}|g" -e "s|@APP_PORT_2@|${APP_PORTS[1]}|g" \
        -e "s|@HTTP_PORT@|$HTTP_PORT|g" -e "s|@HTTPS_PORT@|$HTTPS_PORT|g" \
        "$ROOT/deploy/nginx.conf.template" >"$NGINX_PREFIX/nginx.conf"
    nginx_cmd -t -q >>"$LOG_DIR/nginx-error.log" 2>&1 || die "bad nginx configuration (see $LOG_DIR/nginx-error.log)"
    nginx_cmd >>"$LOG_DIR/nginx-error.log" 2>&1 </dev/null
    for _ in $(seq 1 50); do pid_alive "$NGINX_PREFIX/nginx.pid" && break; sleep 0.1; done
    say "nginx        https://localhost:$HTTPS_PORT/  (http://localhost:$HTTP_PORT/ redirects; probes /healthz /readyz)"
}

start() {
    mkdir -p "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
    chmod 755 "$STATE_DIR"
    write_env
    start_postgresql
    start_redis
    prepare_application
    for port in "${APP_PORTS[@]}"; do start_gunicorn "$port"; done
    start_nginx
    wait_http "https://localhost:$HTTPS_PORT/readyz" 30 || die "https://localhost:$HTTPS_PORT/readyz is not ready"
    wait_http "http://localhost:$HTTP_PORT/readyz" 10 || die "http://localhost:$HTTP_PORT/readyz is not ready"
    say "Ready: https://localhost:$HTTPS_PORT/ (demo accounts: README.md; state in $STATE_DIR)"
}

stop_pidfile() {  # PIDFILE NAME [seconds] [signal]: signal (TERM), then SIGKILL after the delay
    local pidfile=$1 name=$2 seconds=${3:-35} signal=${4:-TERM} pid
    pid=$(cat "$pidfile" 2>/dev/null || true)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((seconds * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name did not stop in ${seconds}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    say "stopped $name"
}

stop() {
    [ -d "$STATE_DIR" ] || { say "nothing to stop ($STATE_DIR does not exist)"; return 0; }
    # QUIT: nginx finishes the requests in flight, then exits.
    stop_pidfile "$NGINX_PREFIX/nginx.pid" nginx 10 QUIT
    for pidfile in "$RUN_DIR"/gunicorn-*.pid; do
        [ -e "$pidfile" ] || continue
        local port=${pidfile##*/gunicorn-}
        stop_pidfile "$pidfile" "gunicorn ${port%.pid}"
    done
    stop_pidfile "$RUN_DIR/redis.pid" redis 10
    if [ -s "$PGDATA/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
        say "stopped PostgreSQL"
    fi
    if [ "${KEEP_STATE:-0}" = 1 ]; then
        say "kept $STATE_DIR"
    else
        rm -rf "$STATE_DIR"
        say "removed $STATE_DIR"
    fi
}

status() {
    [ -d "$STATE_DIR" ] || { say "not running ($STATE_DIR does not exist)"; return 3; }
    local failed=0 code
    line() {  # NAME DETAIL COMMAND...: up when the command succeeds
        local name=$1 detail=$2
        shift 2
        if "$@" >/dev/null 2>&1; then
            printf '%-24s up    %s\n' "$name" "$detail"
        else
            printf '%-24s DOWN  %s\n' "$name" "$detail"
            failed=1
        fi
    }
    line "PostgreSQL :$PG_PORT" "$PGDATA" as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status
    if [ "$WITH_REDIS" = 1 ]; then
        line "Redis :$REDIS_PORT" "" pid_alive "$RUN_DIR/redis.pid"
    fi
    for port in "${APP_PORTS[@]}"; do
        code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: localhost' "http://127.0.0.1:$port/readyz" || true)
        line "gunicorn :$port" "readyz $code, pid $(cat "$RUN_DIR/gunicorn-$port.pid" 2>/dev/null || echo -)" \
            test "$code" = 200
    done
    line "nginx :$HTTP_PORT :$HTTPS_PORT" "" pid_alive "$NGINX_PREFIX/nginx.pid"
    code=$(curl -ks -o /dev/null -w '%{http_code}' "https://localhost:$HTTPS_PORT/readyz" || true)
    line "https://localhost:$HTTPS_PORT/readyz" "$code" test "$code" = 200
    return $failed
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) say "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
