# wire-ingest: the commands people expect. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
BENCH_VENV ?= .venv-bench

.DEFAULT_GOAL := help

.PHONY: help install demo test test-fast lint format site bench bench-quick backfill trigger airflow airflow-stop up down lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check uv==0.13.9
	# Bytecode at install time: imports stay fast where PYTHONDONTWRITEBYTECODE is set (CI
	# images, containers); GX's import alone is ~4 s slower from source on every process.
	$(BIN)/uv pip install -q --compile-bytecode --python $(PY) -r requirements.txt -r requirements-dev.txt
	$(BIN)/uv pip install -q --python $(PY) --no-deps -e . -e tools/wiresim
	$(PY) -m compileall -q include dags plugins tools >/dev/null
	touch $@

install: $(VENV)/.installed  ## create .venv with the pinned requirements and the project

demo: install  ## run the DAG for one day of the local wire site into SQLite, print the result
	VENV=$(VENV) bash scripts/demo.sh

test: install  ## the whole test suite (PostgreSQL: WIRE_TEST_POSTGRES_URL, else a throwaway server)
	bash scripts/ensure-browser.sh
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install  ## unit tests only
	$(PY) -m pytest tests/unit tests/dags $(PYTEST_ARGS)

lint: install  ## ruff (lint + format check) and mypy on include/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

site: install  ## serve the local wire site on 127.0.0.1:8765, the last 7 days and today (Ctrl-C stops it)
	$(BIN)/wiresim --port 8765 --recent 7

# newspaper4k (a benchmark peer) needs python-dateutil 2.x, which Airflow forbids: its own venv.
$(BENCH_VENV)/.installed: benchmarks/requirements-peers.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --disable-pip-version-check -r benchmarks/requirements-peers.txt
	touch $@

bench: install $(BENCH_VENV)/.installed  ## every benchmark, peers side by side (10-17 min on 2 cores): benchmarks/results/latest.md
	$(PY) -m benchmarks.run $(BENCH_ARGS)

bench-quick: install $(BENCH_VENV)/.installed  ## a subset of the benchmarks in under 2 minutes
	$(PY) -m benchmarks.run --quick $(BENCH_ARGS)

# uv keeps the pins already in the output file unless a range excludes them (add --upgrade to move).
lock:  ## re-pin requirements.txt from pyproject.toml, requirements-dev.txt from requirements-dev.in
	$(BIN)/uv pip compile -q --python-version 3.11 pyproject.toml -o requirements.txt
	$(BIN)/uv pip compile -q --python-version 3.11 requirements-dev.in -o requirements-dev.txt

# EXECUTOR=celery: CeleryExecutor and CELERY_WORKERS `airflow celery worker` processes on the Redis at
# WIRE_CELERY_BROKER_URL (default redis://127.0.0.1:6379/0); needs a PostgreSQL metadata database.
EXECUTOR ?= local
airflow: install  ## scheduler, dag-processor, triggerer, api-server in the background (logs in .airflow/logs); PROFILE=local: with the local wire site; EXECUTOR=celery: + workers
	VENV=$(VENV) PROFILE=$(PROFILE) EXECUTOR=$(EXECUTOR) bash scripts/airflow-services.sh start

airflow-stop:  ## stop what `make airflow` started
	VENV=$(VENV) bash scripts/airflow-services.sh stop

backfill: install  ## one run per Beijing day: make backfill FROM=2024-06-01 TO=2024-06-07
	VENV=$(VENV) bash scripts/backfill.sh "$(FROM)" "$(TO)"

trigger: install  ## a manual run of one Beijing day, its id naming the day: make trigger DAY=2024-06-03 [DRY_RUN=1]
	VENV=$(VENV) DRY_RUN=$(DRY_RUN) MAX_PAGES=$(MAX_PAGES) bash scripts/trigger.sh "$(DAY)"

up:  ## the full stack in containers (Airflow 3 + PostgreSQL); needs .env (see .env.example)
	@test -f .env || { echo "cp .env.example .env and fill in the secrets first" >&2; exit 1; }
	docker compose up -d --build

down:  ## stop the containers
	docker compose down

clean:  ## remove the local Airflow home and data (keeps .venv)
	rm -rf .airflow data
