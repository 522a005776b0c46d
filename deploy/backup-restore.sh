#!/usr/bin/env bash
# Backup and restore drill on the local cluster (deploy/local-cluster.sh start first):
#
#   1. a person signs in through nginx (the session must survive in the copy);
#   2. pg_dump -Fc of the cluster's database;
#   3. pg_restore into a new, empty database; ANALYZE;
#   4. the row count of every table compared between the original and the copy;
#   5. a gunicorn of its own started against the copy (port 8109; sessions read from the copy's
#      database, not from the cluster's Redis): /readyz must answer 200, the session made
#      before the backup must still open "Mes référents", and a new sign-in must work;
#   6. that gunicorn stopped and the copy dropped (KEEP_RESTORED=1 keeps the copy).
#
# The same commands restore a production backup: see docs/deployment.md, "Backups".
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE_DIR=${STATE_DIR:-/tmp/viareferents-cluster}
VENV=${VENV:-$ROOT/.venv}
CHECK_PORT=${CHECK_PORT:-8109}
ENV_FILE=$STATE_DIR/cluster.env

die() { printf 'backup-restore: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f s", b - a }'; }

[ -s "$ENV_FILE" ] || die "no cluster at $STATE_DIR: run deploy/local-cluster.sh start first"
set -a
# shellcheck disable=SC1090
. "$ENV_FILE"
set +a
PG_BIN=$CLUSTER_PG_BIN
SOURCE_DB=${DATABASE_URL##*/}
RESTORE_DB=${RESTORE_DB:-${SOURCE_DB}_restore_$(date +%Y%m%d_%H%M%S)}
PG=(-h 127.0.0.1 -p "$CLUSTER_PG_PORT" -U postgres)
BASE=https://localhost:$CLUSTER_HTTPS_PORT
ORIGIN=$BASE
WORK=$(mktemp -d "$STATE_DIR/backup.XXXXXX")
GUNICORN_PID=

cleanup() {
    if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill -TERM "$GUNICORN_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    if [ "${KEEP_RESTORED:-0}" != 1 ]; then
        "$PG_BIN/dropdb" "${PG[@]}" --if-exists --force "$RESTORE_DB" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Sign-in with curl: CSRF cookie and token from the page, then the form. Prints the session id.
# BASE_URL [extra curl options...]
sign_in() {
    local base=$1 page token csrf headers
    shift
    page=$(curl -ksS -D "$WORK/get-headers" "$@" "$base/connexion/")
    token=$(sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' <<<"$page" | head -n 1)
    csrf=$(sed -n 's/^[Ss]et-[Cc]ookie: csrftoken=\([^;]*\);.*/\1/p' "$WORK/get-headers" | head -n 1)
    [ -n "$token" ] && [ -n "$csrf" ] || die "no CSRF token on $base/connexion/"
    headers=$(curl -ksS -o /dev/null -D - "$@" -H "Cookie: csrftoken=$csrf" \
        -H "Origin: $ORIGIN" -H "Referer: $ORIGIN/connexion/" \
        --data-urlencode "csrfmiddlewaretoken=$token" --data-urlencode "username=agent@demo.test" \
        --data-urlencode "password=demo-referents-2026" "$base/connexion/")
    sed -n 's/^[Ss]et-[Cc]ookie: sessionid=\([^;]*\);.*/\1/p' <<<"$headers" | head -n 1
}

# GET a page with a session: the status, and whether it is "Mes référents".
# BASE_URL SESSION [extra curl options...]
mine() {
    local base=$1 session=$2 status
    shift 2
    status=$(curl -ksS -o "$WORK/page.html" -w '%{http_code}' "$@" \
        -H "Cookie: sessionid=$session" "$base/referents/")
    if [ "$status" = 200 ] && grep -q '<h1>Mes référents</h1>' "$WORK/page.html"; then
        echo "200 Mes référents"
    else
        echo "$status"
    fi
}

table_counts() {  # DATABASE: "table rows" lines, every table of the public schema
    "$PG_BIN/psql" "${PG[@]}" -X -q -tA -F ' ' -d "$1" <<'SQL'
SELECT format('SELECT %L, count(*) FROM %I', tablename, tablename)
FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename
\gexec
SQL
}

echo "== 1. A session made before the backup (through nginx)"
SESSION=$(sign_in "$BASE")
[ -n "$SESSION" ] || die "sign-in through nginx failed"
echo "agent@demo.test signed in; /referents/ answers: $(mine "$BASE" "$SESSION")"

echo "== 2. pg_dump -Fc $SOURCE_DB"
DUMP=$STATE_DIR/backups/$SOURCE_DB-$(date +%Y%m%d_%H%M%S).dump
mkdir -p "$STATE_DIR/backups"
started=$(now)
"$PG_BIN/pg_dump" "${PG[@]}" -Fc -f "$DUMP" "$SOURCE_DB"
echo "$DUMP: $(du -h "$DUMP" | cut -f1) in $(since "$started") ($("$PG_BIN/pg_restore" --list "$DUMP" | grep -c ' TABLE DATA ') tables)"
table_counts "$SOURCE_DB" >"$WORK/source-counts"

echo "== 3. pg_restore into the new database $RESTORE_DB"
started=$(now)
"$PG_BIN/createdb" "${PG[@]}" -T template0 "$RESTORE_DB"
"$PG_BIN/pg_restore" "${PG[@]}" --no-owner --exit-on-error --jobs 2 -d "$RESTORE_DB" "$DUMP"
"$PG_BIN/psql" "${PG[@]}" -X -q -d "$RESTORE_DB" -c ANALYZE
echo "restored and analysed in $(since "$started")"

echo "== 4. Row counts, original and copy"
table_counts "$RESTORE_DB" >"$WORK/restore-counts"
if diff "$WORK/source-counts" "$WORK/restore-counts" >"$WORK/counts.diff"; then
    echo "identical: $(wc -l <"$WORK/source-counts") tables, $(awk '{ n += $2 } END { print n }' "$WORK/source-counts") rows"
else
    cat "$WORK/counts.diff"
    die "the copy differs from the original (was the cluster busy while dumping?)"
fi

echo "== 5. gunicorn on 127.0.0.1:$CHECK_PORT against the copy"
(
    cd "$ROOT"
    export DATABASE_URL="postgres://postgres@127.0.0.1:$CLUSTER_PG_PORT/$RESTORE_DB" \
        CACHE_URL=locmemcache:// GUNICORN_BIND=127.0.0.1:$CHECK_PORT GUNICORN_WORKERS=1 \
        GUNICORN_NAME=viareferents-restore-check
    exec setsid "$VENV/bin/gunicorn" -c "$ROOT/deploy/gunicorn.conf.py" viareferents.wsgi
) >"$STATE_DIR/log/gunicorn-restore-check.log" 2>&1 </dev/null &
GUNICORN_PID=$!
started=$(now)
DIRECT=http://127.0.0.1:$CHECK_PORT
# gunicorn is reached without nginx: say what nginx would (HTTPS, Host).
AS_PROXY=(-H "Host: localhost" -H "X-Forwarded-Proto: https")
status=000
for _ in $(seq 1 50); do
    status=$(curl -s -o "$WORK/readyz" -w '%{http_code}' -H 'Host: localhost' "$DIRECT/readyz" || true)
    [ "$status" = 200 ] && break
    sleep 0.2
done
echo "/readyz: $status $(cat "$WORK/readyz" 2>/dev/null) after $(since "$started")"
if [ "$status" != 200 ]; then
    grep -q "migrations pending" "$WORK/readyz" 2>/dev/null &&
        die "the code has migrations the backup has not: run manage.py migrate on the copy first"
    die "the copy is not ready (see $STATE_DIR/log/gunicorn-restore-check.log)"
fi
old_session=$(mine "$DIRECT" "$SESSION" "${AS_PROXY[@]}")
echo "the session made before the backup: $old_session"
NEW_SESSION=$(sign_in "$DIRECT" "${AS_PROXY[@]}")
[ -n "$NEW_SESSION" ] || die "signing in on the copy failed"
new_session=$(mine "$DIRECT" "$NEW_SESSION" "${AS_PROXY[@]}")
echo "a new sign-in on the copy: $new_session"
[ "$old_session" = "200 Mes référents" ] && [ "$new_session" = "200 Mes référents" ] ||
    die "signed-in pages do not work on the copy"

echo "== 6. Clean-up"
[ "${KEEP_RESTORED:-0}" = 1 ] && echo "kept database $RESTORE_DB" || echo "dropping $RESTORE_DB"
echo "Backup and restore: OK ($DUMP kept)"
