"""The warehouse: tables, engines, loads, queries, fetch state and the migrations."""
