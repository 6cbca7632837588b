"""The harness's pure parts: result rows, medians, ratios, the machine description and the table."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Row:
    """One figure of the table; `ratio` is value / peer_value, both measured in the same invocation."""

    figure: str  # e.g. "Parse"
    measure: str  # e.g. "site adapter, pages/s on one core"
    value: float | None  # None: not measured (see note)
    unit: str = ""
    peer: str = ""
    peer_value: float | None = None
    ratio: float | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def row(
    figure: str,
    measure: str,
    value: float | None,
    unit: str = "",
    *,
    peer: str = "",
    peer_value: float | None = None,
    note: str = "",
) -> Row:
    """A row whose ratio is computed from its value and its peer's."""
    return Row(figure, measure, value, unit, peer, peer_value, ratio(value, peer_value), note)


def ratio(value: float | None, peer_value: float | None) -> float | None:
    """value / peer_value, or None when either is missing or the peer is zero."""
    if value is None or peer_value is None or peer_value == 0:
        return None
    return value / peer_value


def median(values: Iterable[float]) -> float:
    found = list(values)
    if not found:
        raise ValueError("median of no values")
    return float(statistics.median(found))


def timed_runs(work: Callable[[], object], repeats: int, *, warmup: int = 0) -> list[float]:
    """Wall seconds of `repeats` calls of `work` (after `warmup` untimed calls)."""
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    for _ in range(warmup):
        work()
    seconds: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return seconds


def interleaved_rates(
    contenders: Mapping[str, Callable[[], object]], items: int, repeats: int
) -> dict[str, float]:
    """Median items/s of each contender; rounds alternate contenders so noise hits them alike."""
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, work in contenders.items():
            seconds[name].extend(timed_runs(work, 1))
    return {name: items / median(times) for name, times in seconds.items()}


def unavailable(figure: str, measure: str, why: str) -> Row:
    """A row that says a figure is missing and why, instead of a made-up number."""
    return Row(figure, measure, None, note=why)


def rows_from_result(figure: str, result: Mapping[str, Any]) -> list[Row]:
    """Rows from a benchmark module's `run()` result: its `rows`, else one row per scalar entry."""
    given = result.get("rows")
    if isinstance(given, list) and given:
        rows: list[Row] = []
        names = {f.name for f in dataclasses.fields(Row)}
        for entry in given:
            if isinstance(entry, Row):
                rows.append(entry)
            elif isinstance(entry, Mapping):
                values = {k: v for k, v in entry.items() if k in names}
                values.setdefault("figure", figure)
                values.setdefault("measure", "?")
                values.setdefault("value", None)
                found = Row(**values)
                if found.ratio is None:
                    found = dataclasses.replace(found, ratio=ratio(found.value, found.peer_value))
                rows.append(found)
        return rows
    return [_scalar_row(figure, key, value) for key, value in _flatten(result)]


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            found.extend(_flatten(value, name + " / "))
        elif isinstance(value, bool | int | float | str) or value is None:
            found.append((name, value))
    return found


def _scalar_row(figure: str, key: str, value: Any) -> Row:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Row(figure, key, float(value))
    return Row(figure, key, None, note=str(value))


# ---------------------------------------------------------------- the machine


def machine_info() -> dict[str, Any]:
    """CPU model, cores, RAM, Python and the date: what a reader needs to weigh the numbers."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 0,
        "ram_gb": round(_ram_bytes() / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_start": load_average(),
    }


def load_average() -> float | None:
    """The 1-minute load average: other work on the machine skews absolute numbers."""
    try:
        return round(os.getloadavg()[0], 1)
    except OSError:
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


# ---------------------------------------------------------------- the table


def format_number(value: float | None) -> str:
    """Whole numbers as they are, others to about three significant digits; '-' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    magnitude = abs(value)
    if float(value).is_integer():
        return f"{int(value):,}"  # counts: 64 requests, not 64.0
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    if magnitude == 0:
        return "0"
    return f"{value:.3g}"


def _load_text(machine: Mapping[str, Any]) -> str:
    start, end = machine.get("load_average_start"), machine.get("load_average_end")
    if start is None:
        return ""
    return f"; load average {start}" + (
        f" at the start, {end} at the end" if end is not None else ""
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: Sequence[Row], machine: Mapping[str, Any], *, mode: str = "full") -> str:
    """The results as Markdown: the machine line, then one table row per figure."""
    lines = [
        f"Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
        f"{machine.get('ram_gb', '?')} GB RAM, Python {machine.get('python', '?')}; "
        f"{machine.get('date', '?')}; `make bench{'-quick' if mode == 'quick' else ''}`"
        + _load_text(machine)
        + ".",
        "",
        "| figure | measure | value | peer | peer value | ratio | note |",
        "|---|---|---:|---|---:|---:|---|",
    ]
    for item in rows:
        value = format_number(item.value)
        if item.value is not None and item.unit:
            value += f" {item.unit}"
        peer_value = format_number(item.peer_value) if item.peer else ""
        shown_ratio = f"{format_number(item.ratio)}x" if item.ratio is not None else ""
        lines.append(
            "| "
            + " | ".join(
                _cell(text)
                for text in (
                    item.figure,
                    item.measure,
                    value,
                    item.peer,
                    peer_value,
                    shown_ratio,
                    item.note,
                )
            )
            + " |"
        )
    return "\n".join(lines) + "\n"
