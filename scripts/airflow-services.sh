#!/usr/bin/env bash
# `make airflow` / `make airflow-stop`: the scheduler, dag-processor, triggerer and api-server in
# the background (the triggerer runs deferred work; without it the Home page shows it red).
# EXECUTOR=celery adds CELERY_WORKERS (default 1) `airflow celery worker` processes (CeleryExecutor
# against the Redis at WIRE_CELERY_BROKER_URL; needs a PostgreSQL metadata database).
#   scripts/airflow-services.sh start|stop|status
#   PROFILE=local (make airflow PROFILE=local): also serve the local wire site and point the DAG at
#   it, without the rate limit (config/local.env)
# Logs: $AIRFLOW_HOME/logs/<service>.log (.airflow/logs/), pid files: $AIRFLOW_HOME/run/<service>.pid.
set -euo pipefail
source "$(dirname "$0")/airflow-env.sh"
VENV="${VENV:-$ROOT/.venv}"
PORT="${AIRFLOW_PORT:-8080}"
# The api-server listens on this machine only unless told otherwise (AIRFLOW_HOST=0.0.0.0).
HOST="${AIRFLOW_HOST:-127.0.0.1}"
LOG_DIR="$AIRFLOW_HOME/logs"
PID_DIR="$AIRFLOW_HOME/run"
SERVICES=(scheduler dag-processor triggerer api-server)
PROFILE="${PROFILE:-}"
if [ -n "$PROFILE" ]; then
  [ -f "$ROOT/config/$PROFILE.env" ] || { echo "no profile $PROFILE (config/$PROFILE.env)" >&2; exit 2; }
  # shellcheck source=../config/local.env
  source "$ROOT/config/$PROFILE.env"
  export PROFILE
fi
CELERY_WORKERS="${CELERY_WORKERS:-1}"
if [ "$EXECUTOR" = celery ]; then
  for i in $(seq 1 "$CELERY_WORKERS"); do SERVICES+=("celery-worker-$i"); done
fi
export AIRFLOW__API__BASE_URL="${AIRFLOW__API__BASE_URL:-http://127.0.0.1:$PORT}"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="${AIRFLOW__CORE__EXECUTION_API_SERVER_URL:-http://127.0.0.1:$PORT/execution/}"
HEALTH_URL="http://127.0.0.1:$PORT/api/v2/monitor/health"

alive() { [ -s "$PID_DIR/$1.pid" ] && kill -0 "$(cat "$PID_DIR/$1.pid")" 2>/dev/null; }

# Celery prints `celery@<hostname> ready.` once a worker consumes its queue.
workers_ready() {
  local service
  for service in "${SERVICES[@]}"; do
    [[ "$service" == celery-worker-* ]] || continue
    grep -q "@$service ready\." "$LOG_DIR/$service.log" 2>/dev/null || return 1
  done
}

healthy() {
  curl -fsS --max-time 5 "$HEALTH_URL" 2>/dev/null | "$VENV/bin/python" -c '
import json, sys
health = json.load(sys.stdin)
parts = ("metadatabase", "scheduler", "dag_processor", "triggerer")
sys.exit(0 if all((health.get(p) or {}).get("status") == "healthy" for p in parts) else 1)' 2>/dev/null
}

start_site() {
  if alive wiresim; then echo "wiresim already running (pid $(cat "$PID_DIR/wiresim.pid"))"; return 0; fi
  setsid "$VENV/bin/wiresim" --port "$WIRESIM_PORT" --recent "$WIRESIM_DAYS" \
    --ready-file "$PID_DIR/wiresim.url" >"$LOG_DIR/wiresim.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/wiresim.pid"
  for _ in $(seq 1 60); do [ -s "$PID_DIR/wiresim.url" ] && break; sleep 0.5; done
  [ -s "$PID_DIR/wiresim.url" ] || { echo "wiresim did not start; see $LOG_DIR/wiresim.log" >&2; return 1; }
  echo "started wiresim (pid $(cat "$PID_DIR/wiresim.pid")): $(cat "$PID_DIR/wiresim.url")"
}

start() {
  mkdir -p "$LOG_DIR" "$PID_DIR"
  if [ "$EXECUTOR" = celery ] && [[ "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite}" == sqlite* ]]; then
    echo "EXECUTOR=celery needs a PostgreSQL metadata database (Celery keeps task states there):" >&2
    echo "  export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg://user@127.0.0.1:5432/airflow" >&2
    exit 2
  fi
  "$ROOT/scripts/airflow-init.sh" >/dev/null
  if [ "$PROFILE" = local ]; then start_site; fi
  for service in "${SERVICES[@]}"; do
    if alive "$service"; then
      echo "$service already running (pid $(cat "$PID_DIR/$service.pid"))"
      continue
    fi
    args=("$service")
    [ "$service" = api-server ] && args+=(--host "$HOST" --port "$PORT")
    # Workers write task logs to $AIRFLOW_HOME/logs, where the api-server reads them: no log
    # server (Airflow's would listen on every interface).
    [[ "$service" == celery-worker-* ]] && args=(celery worker --celery-hostname "$service" --skip-serve-logs)
    # setsid: each service leads its own process group, so stop can end its workers too
    setsid "$VENV/bin/airflow" "${args[@]}" >"$LOG_DIR/$service.log" 2>&1 </dev/null &
    echo $! >"$PID_DIR/$service.pid"
    echo "started $service (pid $!, log $LOG_DIR/$service.log)"
  done
  printf 'waiting for the services to be healthy '
  for _ in $(seq 1 120); do
    if healthy && workers_ready; then
      echo
      echo "Airflow UI: $AIRFLOW__API__BASE_URL"
      local passwords="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated}"
      [ -s "$passwords" ] && echo "login: the user and password in $passwords"
      echo "stop them: make airflow-stop"
      return 0
    fi
    printf '.'
    sleep 2
  done
  echo
  echo "the services did not become healthy; see the logs in $LOG_DIR" >&2
  return 1
}

stop() {
  # every service with a pid file, whatever EXECUTOR and CELERY_WORKERS were at start
  local service
  for pidfile in "$PID_DIR"/*.pid; do
    [ -e "$pidfile" ] || continue
    service="$(basename "$pidfile" .pid)"
    if alive "$service"; then
      pid="$(cat "$PID_DIR/$service.pid")"
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      # Airflow services can take a while to stop on SIGTERM: SIGKILL the group after 30 s.
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      if kill -0 "$pid" 2>/dev/null; then
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      fi
      echo "stopped $service"
    fi
    rm -f "$PID_DIR/$service.pid"
  done
}

status() {
  for service in "${SERVICES[@]}" wiresim; do
    if alive "$service"; then echo "$service: running (pid $(cat "$PID_DIR/$service.pid"))"
    else echo "$service: stopped"; fi
  done
  if healthy && workers_ready; then echo "health: ok ($HEALTH_URL)"; else echo "health: not healthy ($HEALTH_URL)"; return 1; fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
