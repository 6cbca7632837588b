"""Benchmarks of wire-ingest on the local wire site (`make bench`, `make bench-quick`)."""
