#!/usr/bin/env bash
# Fuzzes the release server's GraphQL schema with schemathesis, as a clinician and as an admin
# at once, and fails on any 5xx or INTERNAL_SERVER_ERROR (see hooks.py). Schemathesis's own
# `not_a_server_error` is not used: on GraphQL it flags every error in a body, a correct
# FORBIDDEN or CONFLICT included (ST113); hooks.py checks the status and the codes instead.
#
#   scripts/fuzz/run.sh sqlite 10        # minutes per role, on a fresh embedded database
#   scripts/fuzz/run.sh postgres 10      # on a fresh PostgreSQL database (127.0.0.1:5432)
#
# Needs: pip install schemathesis (4.x). Prints the request counts per role and where the
# server log is.
set -euo pipefail
cd "$(dirname "$0")/../.."
BACKEND="${1:-sqlite}"
MINUTES="${2:-10}"
PORT="${FUZZ_PORT:-18080}"
WORK="$(mktemp -d /tmp/cadre-fuzz.XXXXXX)"
SECRET="fuzz-secret-fuzz-secret-fuzz-secret-0123456789"
PG_ADMIN="${FUZZ_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

[ -n "${FUZZ_NO_BUILD:-}" ] || cargo build --release --quiet
BIN=target/release/cadre-health

case "$BACKEND" in
    sqlite) URL="sqlite://$WORK/fuzz.db?mode=rwc" ;;
    postgres)
        NAME="cadre_fuzz_$(date +%s)"
        psql "$PG_ADMIN" -qc "CREATE DATABASE $NAME"
        URL="${PG_ADMIN%/*}/$NAME"
        ;;
    *) echo "usage: $0 sqlite|postgres [minutes]" >&2; exit 2 ;;
esac

export DATABASE_URL="$URL" CADRE_HEALTH_JWT_SECRET="$SECRET" CADRE_HEALTH_DATA_DIR="$WORK"
"$BIN" serve --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 1
done

status=0
for role in clinician admin; do
    token=$("$BIN" token --board 40 --role "$role" --sub "fuzz-$role" --ttl 2h)
    FUZZ_COUNT_FILE="$WORK/$role.count" SCHEMATHESIS_HOOKS=hooks PYTHONPATH=scripts/fuzz \
        st run "http://127.0.0.1:$PORT/graphql" \
        -H "Authorization: Bearer $token" \
        --checks no_internal_error \
        --max-time $((MINUTES * 60)) --workers 2 --continue-on-failure \
        --suppress-health-check all >"$WORK/$role.st.log" 2>&1 &
    eval "ST_$role=\$!"
done
wait "$ST_clinician" || status=1
wait "$ST_admin" || status=1

for role in clinician admin; do
    n=$(wc -l <"$WORK/$role.count" 2>/dev/null || echo 0)
    errors=$(grep -c "^5" "$WORK/$role.count" 2>/dev/null || true)
    echo "$BACKEND $role: $n requests, ${errors:-0} with a 5xx status; schemathesis log $WORK/$role.st.log"
    tail -n 15 "$WORK/$role.st.log"
done
if curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; then
    echo "server still answers /healthz"
else
    echo "server no longer answers /healthz" >&2
    status=1
fi
if grep -qiE "panicked|stack overflow|fatal runtime error" "$WORK/server.log"; then
    echo "the server log shows a crash: $WORK/server.log" >&2
    status=1
fi
echo "server log: $WORK/server.log"
exit $status
