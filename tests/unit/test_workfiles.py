"""Stage files in the landing store: JSONL written whole, read back, a missing file said clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from wire_ingest import workfiles


def test_jsonl_round_trip_and_a_missing_file(tmp_path: Path) -> None:
    url = (tmp_path / "run" / "fetched.jsonl").as_uri()
    assert (
        workfiles.write_jsonl(url, iter([{"url": "a", "ok": True}, {"url": "b", "ok": False}])) == 2
    )
    assert list(workfiles.read_jsonl(url)) == [{"url": "a", "ok": True}, {"url": "b", "ok": False}]
    absent = (tmp_path / "run" / "absent.jsonl").as_uri()
    assert list(workfiles.read_jsonl(absent, missing_ok=True)) == []
    with pytest.raises(FileNotFoundError):
        list(workfiles.read_jsonl(absent))
