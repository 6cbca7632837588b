# wire-ingest: the official Airflow image + the pinned requirements + the wire_ingest package.
# Keep the tag equal to the apache-airflow pin in requirements.txt (tests/unit/test_compose.py checks).
FROM apache/airflow:3.3.2-python3.11

# The official image installs Python packages as the `airflow` user, never as root.
USER airflow

# Third-party pins first: this slow layer survives edits to our own code.
COPY --chown=airflow:0 requirements.txt /requirements.txt
RUN pip install --no-cache-dir -r /requirements.txt

# Editable install: `wire_ingest` and the `wire-ingest` command resolve to /opt/airflow/include, so
# the image works on its own and a bind mount of ./include (docker-compose.yml) replaces the code
# in place; a regular install would keep a site-packages copy that silently shadows the mount.
COPY --chown=airflow:0 pyproject.toml README.md /opt/airflow/
COPY --chown=airflow:0 include/ /opt/airflow/include/
RUN pip install --no-cache-dir --no-deps -e /opt/airflow

# DAGs and plugins baked in, so the image also runs where nothing is mounted (e.g. Kubernetes pods).
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/

ENV WIRE_DATA_DIR=/opt/airflow/data
