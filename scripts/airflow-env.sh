# shellcheck shell=bash
# Environment for this project's local Airflow (sourced by the Makefile's scripts and by tests).
# Everything lives in the project: AIRFLOW_HOME=.airflow, data (warehouse, landing) in data/.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$ROOT/.airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$ROOT/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# LocalExecutor that imports the pipeline and GX once, before forking its workers: a task no
# longer pays GX's multi-second import (include/wire_ingest/executor.py).
export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-wire_ingest.airflow.executor.PreloadedLocalExecutor}"
# The scheduler looks for the next task every 0.25 s when idle (Airflow's default: 1 s): a day's
# 7 chained tasks start ~3 s sooner, for a few % more idle CPU of one core.
export AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME="${AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME:-0.25}"
# 32 workers took ~1 GB here: keep a laptop-sized parallelism.
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="${AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL:-30}"
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-INFO}"
export GX_ANALYTICS_ENABLED=False
export WIRE_DATA_DIR="${WIRE_DATA_DIR:-$ROOT/data}"
# Files made from here on (the JWT secret, Airflow's generated passwords, logs) are the owner's
# only: anyone who can read the JWT secret can forge an admin token.
umask 077
mkdir -p "$AIRFLOW_HOME" "$WIRE_DATA_DIR"
# A per-home random JWT secret (64 bytes), made on first use and never committed.
if [ ! -s "$AIRFLOW_HOME/jwt_secret" ]; then
  python3 -c 'import secrets; print(secrets.token_urlsafe(64))' > "$AIRFLOW_HOME/jwt_secret"
fi
# Homes made before umask 077 was set here: tighten what holds a secret.
for secret in "$AIRFLOW_HOME/jwt_secret" "$AIRFLOW_HOME"/simple_auth_manager_passwords.json*; do
  [ -e "$secret" ] && chmod 600 "$secret"
done
chmod 700 "$AIRFLOW_HOME"
export AIRFLOW__API_AUTH__JWT_SECRET="${AIRFLOW__API_AUTH__JWT_SECRET:-$(cat "$AIRFLOW_HOME/jwt_secret")}"
