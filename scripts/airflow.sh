#!/usr/bin/env bash
# Run the project's Airflow CLI with the project's settings: scripts/airflow.sh dags list
set -euo pipefail
source "$(dirname "$0")/airflow-env.sh"
exec "${VENV:-$ROOT/.venv}/bin/airflow" "$@"
