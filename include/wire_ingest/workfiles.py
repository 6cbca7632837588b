"""A run's stage files in its work folder: rows between stages, counts, rejects, notes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from wire_ingest.models import Rejection, RunContext


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    count = 0
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    tmp.replace(path)  # a killed task never leaves a half-written stage file under its real name
    return count


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as src:
        for line in src:
            if line.strip():
                yield json.loads(line)


def work_path(ctx: RunContext, name: str) -> Path:
    return Path(ctx.work_dir) / name


def save_counts(ctx: RunContext, stage: str, counts: Mapping[str, int]) -> None:
    work_path(ctx, f"counts-{stage}.json").write_text(json.dumps(dict(counts), sort_keys=True))


def load_counts(ctx: RunContext) -> dict[str, int]:
    merged: dict[str, int] = {}
    for path in sorted(Path(ctx.work_dir).glob("counts-*.json")):
        merged.update(json.loads(path.read_text()))
    return merged


def save_rejects(ctx: RunContext, stage: str, rejections: Iterable[Rejection]) -> int:
    return write_jsonl(work_path(ctx, f"rejects-{stage}.jsonl"), (r.to_dict() for r in rejections))


def all_rejects(ctx: RunContext) -> list[Rejection]:
    found: list[Rejection] = []
    for path in sorted(Path(ctx.work_dir).glob("rejects-*.jsonl")):
        found.extend(Rejection.from_dict(row) for row in read_jsonl(path))
    return found


def run_notes(ctx: RunContext) -> str:
    """What a stage wants the run's report to say (e.g. a jump in fallback extractions)."""
    notes = work_path(ctx, "notes.txt")
    return notes.read_text().strip() if notes.exists() else ""


def started_at(ctx: RunContext) -> dt.datetime:
    started = Path(ctx.work_dir) / "started_at"
    if started.exists():
        return dt.datetime.fromisoformat(started.read_text().strip())
    return dt.datetime.now(dt.UTC)
