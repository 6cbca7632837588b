# shellcheck shell=bash
# Environment for this project's local Airflow (sourced by the Makefile's scripts and by tests).
# Everything lives in the project: AIRFLOW_HOME=.airflow, data (warehouse, landing) in data/.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$ROOT/.airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$ROOT/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# EXECUTOR=local (default): Airflow's LocalExecutor, tasks run under the scheduler.
# EXECUTOR=celery: CeleryExecutor, tasks run on `airflow celery worker` processes (make airflow
# starts CELERY_WORKERS of them) through the Redis at WIRE_CELERY_BROKER_URL; task states go to
# the metadata database, which must then be PostgreSQL (AIRFLOW__DATABASE__SQL_ALCHEMY_CONN).
EXECUTOR="${EXECUTOR:-local}"
case "$EXECUTOR" in
  local) export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}" ;;
  celery)
    export AIRFLOW__CORE__EXECUTOR=CeleryExecutor
    export AIRFLOW__CELERY__BROKER_URL="${WIRE_CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}"
    if [ -n "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-}" ]; then
      export AIRFLOW__CELERY__RESULT_BACKEND="${AIRFLOW__CELERY__RESULT_BACKEND:-db+$AIRFLOW__DATABASE__SQL_ALCHEMY_CONN}"
    fi
    # each worker process imports the pipeline and GX once, before its first task
    export AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=wire_ingest.airflow.celery_worker.CELERY_CONFIG
    ;;
  *) echo "EXECUTOR=$EXECUTOR: use local or celery" >&2; exit 2 ;;
esac
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

# The CLI's writes beside running services (make trigger, make backfill). On the default SQLite
# metadata database the CLI can meet the scheduler's write lock ("database is locked"); the
# transaction is rolled back then, so the same write is tried again, at most five times.
airflow_write() {
  local attempt output
  for attempt in 1 2 3 4 5; do
    if output="$("${VENV:-$ROOT/.venv}/bin/airflow" "$@" 2>&1)"; then
      printf '%s\n' "$output"
      return 0
    fi
    if [ "$attempt" -lt 5 ] && grep -q "database is locked" <<<"$output"; then
      echo "the metadata database is busy; trying again ($((attempt + 1)) of 5)" >&2
      sleep "$attempt"
      continue
    fi
    printf '%s\n' "$output" >&2
    return 1
  done
}
