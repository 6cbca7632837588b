#!/usr/bin/env bash
# `make trigger DAY=YYYY-MM-DD`: a manual run of DAY (a Beijing day) through the running scheduler,
# its run id naming the day (manual__day_2020-12-23__20261203T134501Z), so the Runs list shows it.
#   scripts/trigger.sh DAY    env: DAG_ID (default wire_ingest), DRY_RUN=1, MAX_PAGES=N
set -euo pipefail
source "$(dirname "$0")/airflow-env.sh"
VENV="${VENV:-$ROOT/.venv}"
DAG_ID="${DAG_ID:-wire_ingest}"
DAY="${1:-}"
[[ "$DAY" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] && date -d "$DAY" +%F >/dev/null 2>&1 || {
  echo "usage: make trigger DAY=YYYY-MM-DD [DRY_RUN=1] [MAX_PAGES=N]" >&2; exit 2; }
conf="{\"day\": \"$DAY\""
[ "${DRY_RUN:-0}" = 1 ] && conf+=", \"dry_run\": true"
[ -n "${MAX_PAGES:-}" ] && conf+=", \"max_pages\": $((MAX_PAGES))"
conf+="}"
run_id="manual__day_${DAY}__$(date -u +%Y%m%dT%H%M%SZ)"
airflow_write dags trigger "$DAG_ID" --run-id "$run_id" --conf "$conf" >/dev/null
echo "$run_id"
