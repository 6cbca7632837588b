#!/usr/bin/env bash
# Prepare the local Airflow home (deploy time): migrate Airflow's metadata database, create every
# source's fetch pool (from sources.toml), migrate the warehouse the wire_warehouse connection names.
set -euo pipefail
source "$(dirname "$0")/airflow-env.sh"
VENV="${VENV:-$ROOT/.venv}"
"$VENV/bin/airflow" db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || {
  cat "$AIRFLOW_HOME/db-migrate.log" >&2; exit 1; }
pools="$AIRFLOW_HOME/pools.json"
"$VENV/bin/python" -m wire_ingest.sources pools >"$pools"
"$VENV/bin/airflow" pools import "$pools" >/dev/null
# A profile's Variables (PROFILE=local: config/local.env's LOCAL_VARIABLES), set in the metadata
# database: the UI shows them and a later change there takes effect (an AIRFLOW_VAR_* would win).
LOCAL_VARIABLES=()
if [ -n "${PROFILE:-}" ]; then
  # shellcheck source=../config/local.env
  source "$ROOT/config/$PROFILE.env"
fi
for assignment in "${LOCAL_VARIABLES[@]}"; do
  "$VENV/bin/airflow" variables set "${assignment%%=*}" "${assignment#*=}" >/dev/null
done
# AIRFLOW_CONN_WIRE_WAREHOUSE when set (a URI), else the embedded SQLite default
"$VENV/bin/wire-ingest" migrate ${AIRFLOW_CONN_WIRE_WAREHOUSE:+--warehouse "$AIRFLOW_CONN_WIRE_WAREHOUSE"} >/dev/null
echo "airflow home ready: $AIRFLOW_HOME"
