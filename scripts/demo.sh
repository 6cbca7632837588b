#!/usr/bin/env bash
# `make demo`: one day of the local wire site, through the real Airflow DAG, into the SQLite warehouse.
set -euo pipefail
source "$(dirname "$0")/airflow-env.sh"
VENV="${VENV:-$ROOT/.venv}"
DAY="${DEMO_DAY:-2020-12-23}"
SITE_START="${DEMO_SITE_START:-2020-12-20}"
SITE_END="${DEMO_SITE_END:-2020-12-26}"
export WIRE_DATA_DIR="$ROOT/data/demo"
export WIRE_MAX_RPS=0  # our own local site: no politeness delay needed
export AIRFLOW_CONN_WIRE_WAREHOUSE="sqlite:///$WIRE_DATA_DIR/warehouse.db"
mkdir -p "$WIRE_DATA_DIR"

"$ROOT/scripts/airflow-init.sh"

ready="$WIRE_DATA_DIR/site.url"
rm -f "$ready"
# A fixed port: article URLs (and so article ids) stay the same from one demo to the next.
"$VENV/bin/wiresim" --port "${DEMO_PORT:-8765}" --start "$SITE_START" --end "$SITE_END" \
  --ready-file "$ready" >"$WIRE_DATA_DIR/site.log" 2>&1 &
site_pid=$!
cleanup() {
  kill "$site_pid" 2>/dev/null || true
  wait "$site_pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
for _ in $(seq 1 100); do
  [ -s "$ready" ] && break
  kill -0 "$site_pid" 2>/dev/null || {
    cat "$WIRE_DATA_DIR/site.log" >&2
    echo "the local wire site could not start (is port ${DEMO_PORT:-8765} taken? set DEMO_PORT)" >&2
    exit 1
  }
  sleep 0.2
done
[ -s "$ready" ] || { echo "the local wire site did not start" >&2; exit 1; }
export AIRFLOW_VAR_WIRE_BASE_URL="$(cat "$ready")"
echo "local wire site: $AIRFLOW_VAR_WIRE_BASE_URL ($SITE_START .. $SITE_END)"

echo "running DAG wire_ingest for $DAY with real Airflow (airflow dags test) ..."
log="$WIRE_DATA_DIR/dags-test-$DAY.log"
if ! "$ROOT/scripts/airflow.sh" dags test wire_ingest "$DAY" >"$log" 2>&1 \
  || ! grep -q "DagRun Finished: dag_id=wire_ingest.*state=success" "$log"; then
  echo "the DAG run failed; last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
"$VENV/bin/wire-ingest" report --warehouse "sqlite:///$WIRE_DATA_DIR/warehouse.db" --sample 5
