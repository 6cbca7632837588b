"""A run's stage files in the landing store: rows between stages, counts, rejects, notes.

Tasks of one run may run on different workers that share no disk, so every file a later task
reads lives under the run's work URL in the landing store (a local folder on one machine,
`s3://...` or any fsspec location in production), never on a worker's own disk.
"""

from __future__ import annotations

import datetime as dt
import json
import posixpath
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

from fsspec.core import url_to_fs

from wire_ingest.models import Rejection, RunContext


def work_url_for(landing_url: str, feed: str, day: dt.date, run_key: str) -> str:
    """`{landing_url}/work/source={feed}/date={day}/run={run_key}`: beside the raw pages."""
    return f"{landing_url.rstrip('/')}/work/source={feed}/date={day.isoformat()}/run={run_key}"


def work_path(ctx: RunContext, name: str) -> str:
    """The URL of one of the run's stage files."""
    return f"{ctx.work_url}/{name}"


@contextmanager
def _replacing(url: str) -> Iterator[IO[str]]:
    """A text stream whose content appears under `url` only once it is complete: a killed writer
    never leaves a half-written stage file under its real name."""
    fs, path = url_to_fs(url)
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with fs.open(tmp, "w", encoding="utf-8") as out:
        yield out
    fs.mv(tmp, path)


def write_text(url: str, text: str) -> None:
    with _replacing(url) as out:
        out.write(text)


def read_text(url: str) -> str | None:
    """A file's text, or None when it does not exist."""
    fs, path = url_to_fs(url)
    try:
        with fs.open(path, "r", encoding="utf-8") as src:
            return str(src.read())
    except FileNotFoundError:
        return None


def remove(url: str) -> None:
    fs, path = url_to_fs(url)
    if fs.exists(path):
        fs.rm(path)


def write_jsonl(url: str, rows: Iterable[Mapping[str, Any]]) -> int:
    count = 0
    with _replacing(url) as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count


def read_jsonl(url: str, *, missing_ok: bool = False) -> Iterator[dict[str, Any]]:
    """The rows of a JSONL file; none when it does not exist and `missing_ok` (else an error)."""
    fs, path = url_to_fs(url)
    try:
        src = fs.open(path, "r", encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return
        raise
    with src:
        for line in src:
            if line.strip():
                yield json.loads(line)


def _stage_files(ctx: RunContext, pattern: str) -> list[str]:
    """URLs of the run's stage files matching a glob pattern, sorted by name."""
    fs, directory = url_to_fs(ctx.work_url)
    names = sorted(p.rsplit("/", 1)[-1] for p in fs.glob(f"{directory.rstrip('/')}/{pattern}"))
    return [work_path(ctx, name) for name in names]


def save_counts(ctx: RunContext, stage: str, counts: Mapping[str, int]) -> None:
    write_text(work_path(ctx, f"counts-{stage}.json"), json.dumps(dict(counts), sort_keys=True))


def load_counts(ctx: RunContext) -> dict[str, int]:
    merged: dict[str, int] = {}
    for url in _stage_files(ctx, "counts-*.json"):
        merged.update(json.loads(read_text(url) or "{}"))
    return merged


def save_rejects(ctx: RunContext, stage: str, rejections: Iterable[Rejection]) -> int:
    return write_jsonl(work_path(ctx, f"rejects-{stage}.jsonl"), (r.to_dict() for r in rejections))


def all_rejects(ctx: RunContext) -> list[Rejection]:
    found: list[Rejection] = []
    for url in _stage_files(ctx, "rejects-*.jsonl"):
        found.extend(Rejection.from_dict(row) for row in read_jsonl(url))
    return found


def run_notes(ctx: RunContext) -> str:
    """What a stage wants the run's report to say (e.g. a jump in fallback extractions)."""
    return (read_text(work_path(ctx, "notes.txt")) or "").strip()


def mark_started(ctx: RunContext) -> None:
    """Record when the run started, once: task retries and later tasks keep the first time."""
    url = work_path(ctx, "started_at")
    if read_text(url) is None:
        write_text(url, dt.datetime.now(dt.UTC).isoformat())


def started_at(ctx: RunContext) -> dt.datetime:
    started = read_text(work_path(ctx, "started_at"))
    if started:
        return dt.datetime.fromisoformat(started.strip())
    return dt.datetime.now(dt.UTC)
