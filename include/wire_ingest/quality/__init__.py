"""Data quality: the GX suites and their runner, the batch gate, Data Docs, the report tab."""
