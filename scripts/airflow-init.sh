#!/usr/bin/env bash
# Prepare the local Airflow home: migrate the metadata database and create the fetch pool.
set -euo pipefail
source "$(dirname "$0")/airflow-env.sh"
VENV="${VENV:-$ROOT/.venv}"
"$VENV/bin/airflow" db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || {
  cat "$AIRFLOW_HOME/db-migrate.log" >&2; exit 1; }
"$VENV/bin/airflow" pools set wire_fetch "${WIRE_FETCH_POOL_SLOTS:-4}" \
  "Fetches against the wire sites (caps concurrency across all runs)" >/dev/null
echo "airflow home ready: $AIRFLOW_HOME"
