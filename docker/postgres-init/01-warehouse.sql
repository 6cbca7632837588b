-- Runs once, when the postgres volume is first initialised (docker-entrypoint-initdb.d):
-- the pipeline's warehouse lives in its own database next to Airflow's metadata database.
-- psql runs this as POSTGRES_USER, which therefore owns the new database.
CREATE DATABASE warehouse;
