#!/usr/bin/env bash
# `make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD`: one wire_ingest run per Beijing day FROM..TO
# (inclusive), through the running scheduler; prints progress until every run has finished.
#   scripts/backfill.sh FROM TO    env: MAX_ACTIVE_RUNS (default 2), REPROCESS (none|failed|completed),
#                                       NO_WAIT=1 (return at once), DAG_ID (default wire_ingest)
set -euo pipefail
source "$(dirname "$0")/airflow-env.sh"
VENV="${VENV:-$ROOT/.venv}"
DAG_ID="${DAG_ID:-wire_ingest}"
FROM="${1:-}"
TO="${2:-}"
MAX_ACTIVE_RUNS="${MAX_ACTIVE_RUNS:-2}"
REPROCESS="${REPROCESS:-none}"
POLL_SECONDS="${POLL_SECONDS:-5}"
PORT="${AIRFLOW_PORT:-8080}"
HEALTH_URL="${AIRFLOW_HEALTH_URL:-${AIRFLOW__API__BASE_URL:-http://127.0.0.1:$PORT}/api/v2/monitor/health}"
AIRFLOW=("$VENV/bin/airflow")

usage() { echo "usage: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD" >&2; exit 2; }
is_date() { [[ "$1" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] && date -d "$1" +%F >/dev/null 2>&1; }
is_date "$FROM" && is_date "$TO" || usage
[[ "$FROM" > "$TO" ]] && { echo "FROM ($FROM) is after TO ($TO)" >&2; exit 2; }

# A backfill only queues runs: the scheduler, the dag-processor and the api-server must run.
if ! curl -fsS --max-time 5 "$HEALTH_URL" 2>/dev/null | "$VENV/bin/python" -c '
import json, sys
health = json.load(sys.stdin)
sys.exit(0 if all((health.get(p) or {}).get("status") == "healthy"
                  for p in ("metadatabase", "scheduler", "dag_processor")) else 1)' 2>/dev/null; then
  echo "Airflow is not running (no healthy scheduler, dag-processor and api-server at $HEALTH_URL)." >&2
  echo "Start them with: make airflow   (stop them later with: make airflow-stop)" >&2
  exit 3
fi
# The CLI can print warnings before its JSON: decode from the first place JSON starts.
JSON_FROM_TEXT='
import json
def json_from_text(text):
    for at, char in enumerate(text):
        if char in "[{":
            try:
                return json.JSONDecoder().raw_decode(text[at:])[0]
            except ValueError:
                pass
    raise ValueError("no JSON in the output")
'
paused="$("${AIRFLOW[@]}" dags details "$DAG_ID" -o json 2>/dev/null | "$VENV/bin/python" -c "$JSON_FROM_TEXT"'
import sys
details = json_from_text(sys.stdin.read())
details = details[0] if isinstance(details, list) else details
print(str(details.get("is_paused")).lower())')" || {
  echo "DAG $DAG_ID is not known to Airflow yet (the dag-processor parses dags/ every 30 s)." >&2
  exit 3
}
if [ "$paused" = "true" ]; then
  echo "DAG $DAG_ID is paused: its backfill runs would wait for ever." >&2
  echo "Unpause it in the UI or with: scripts/airflow.sh dags unpause $DAG_ID" >&2
  exit 3
fi

# The DAG's days are Beijing days (00:00 Asia/Shanghai). A bare date would mean 00:00 UTC, which is
# 08:00 in Beijing: the window would then start with the day after FROM. Pass Beijing midnights.
echo "backfill $DAG_ID: $FROM .. $TO (Beijing days), at most $MAX_ACTIVE_RUNS runs at once"
airflow_write backfill create --dag-id "$DAG_ID" \
  --from-date "${FROM}T00:00:00+08:00" --to-date "${TO}T00:00:00+08:00" \
  --max-active-runs "$MAX_ACTIVE_RUNS" --reprocess-behavior "$REPROCESS"

if [ "${NO_WAIT:-0}" = "1" ]; then
  echo "runs queued; watch them in the UI (/dags/$DAG_ID) or: scripts/airflow.sh dags list-runs $DAG_ID"
  exit 0
fi

# Progress: the latest run of every day in the window, until all have finished.
while true; do
  runs_json="$("${AIRFLOW[@]}" dags list-runs "$DAG_ID" -o json 2>/dev/null || echo '[]')"
  set +e
  RUNS_JSON="$runs_json" JSON_FROM_TEXT="$JSON_FROM_TEXT" "$VENV/bin/python" - "$FROM" "$TO" <<'PY'
import datetime as dt, json, os, sys
exec(os.environ["JSON_FROM_TEXT"])

start, end = (dt.date.fromisoformat(d) for d in sys.argv[1:3])
beijing = dt.timezone(dt.timedelta(hours=8))
days = [start + dt.timedelta(n) for n in range((end - start).days + 1)]
latest: dict[dt.date, dict] = {}
try:
    found = json_from_text(os.environ["RUNS_JSON"])
except ValueError:
    found = []
for run in found:
    if not run.get("logical_date"):
        continue
    logical = dt.datetime.fromisoformat(run["logical_date"]).astimezone(beijing)
    if logical.time() == dt.time(0) and logical.date() in days:
        seen = latest.get(logical.date())
        if seen is None or run["run_after"] > seen["run_after"]:
            latest[logical.date()] = run
states = [latest[d]["state"] if d in latest else "none" for d in days]
done = sum(s in ("success", "failed") for s in states)
failed = [d.isoformat() for d in days if d in latest and latest[d]["state"] == "failed"]
width = 30
bar = "#" * (width * done // len(days)) + "-" * (width - width * done // len(days))
counts = {s: states.count(s) for s in ("success", "failed", "running", "queued")}
print(f"[{bar}] {done}/{len(days)} runs done  " + " ".join(f"{k}={v}" for k, v in counts.items()),
      flush=True)
if done == len(days):
    if failed:
        print("failed days: " + ", ".join(failed) + " (see the runs in the UI; re-run: "
              "REPROCESS=failed make backfill ...)")
        sys.exit(1)
    sys.exit(0)
sys.exit(10)
PY
  status=$?
  set -e
  [ "$status" -eq 10 ] || exit "$status"
  sleep "$POLL_SECONDS"
done
