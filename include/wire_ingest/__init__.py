"""wire-ingest: fetch, parse, deduplicate, validate and load news wire copy."""

__version__ = "0.1.0"
