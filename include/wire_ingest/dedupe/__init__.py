"""Deduplication: exact copies of a body, and the versions of one story."""
