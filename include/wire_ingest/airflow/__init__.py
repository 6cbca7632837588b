"""Airflow glue: run context to plan, connection to URL, alerts, the DAG factory, the Celery worker hook."""
