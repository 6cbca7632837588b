"""Parse: the site adapter vs trafilatura and newspaper4k on the same local-site pages, one core."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.harness import Row, interleaved_rates, row, unavailable

ROOT = Path(__file__).resolve().parents[1]
BASE_URL = "http://127.0.0.1:8765"
FIGURE = "Parse"
# One day of each template: standard (2019), sidebar (late 2020), .shtml with leaked furniture (2025).
FULL_DAYS = (dt.date(2019, 1, 21), dt.date(2020, 12, 23), dt.date(2025, 4, 21))
QUICK_DAYS = (dt.date(2020, 12, 23),)


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    html: bytes
    key: dict[str, Any]  # the answer key's entry


@dataclass(frozen=True, slots=True)
class Accuracy:
    """Share of graded pages (the key's articles) with each field right."""

    graded: int
    title: float
    date: float
    body_exact: float  # same paragraphs, whitespace collapsed
    body_complete: float  # the key's body appears whole in the output (extra text allowed)
    all_exact: float  # title, date and body_exact together


def site_pages(days: Sequence[dt.date]) -> list[Page]:
    """Every article page the local site serves for these days, with its answer-key entry."""
    from wiresim.generate import build_site

    pages: list[Page] = []
    for day in days:
        site = build_site(day, day)
        for entry in site.answer_key(BASE_URL):
            rendered = site.render(entry["url"].removeprefix(BASE_URL), BASE_URL)
            if rendered is None or rendered[0] != 200:
                raise RuntimeError(f"the local site does not serve {entry['url']}")
            pages.append(Page(entry["url"], rendered[2], entry))
    return pages


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(text: str) -> list[str]:
    return [p for p in (_collapse(line) for line in text.split("\n")) if p]


def grade(pages: Sequence[Page], fields: dict[str, dict[str, Any]]) -> Accuracy:
    """Score extracted {url: {title, date, body}} against the key; a missing page scores nothing."""
    graded = [p for p in pages if p.key["reject_stage"] != "parse"]  # pages that are articles
    title = date = body_exact = body_complete = every = 0
    for page in graded:
        got = fields.get(page.url) or {}
        want = page.key
        title_ok = _collapse(got.get("title") or "") == want["title"]
        date_ok = (got.get("date") or "")[:10] == (want["published_at"] or "")[:10]
        body = got.get("body") or ""
        exact_ok = _paragraphs(body) == _paragraphs(want["body"])
        title += title_ok
        date += date_ok
        body_exact += exact_ok
        body_complete += bool(want["body"]) and _collapse(want["body"]) in _collapse(body)
        every += title_ok and date_ok and exact_ok
    n = max(len(graded), 1)
    return Accuracy(len(graded), title / n, date / n, body_exact / n, body_complete / n, every / n)


def adapter_fields(pages: Sequence[Page]) -> dict[str, dict[str, Any]]:
    from wire_ingest.adapters import base, china_org_cn

    found: dict[str, dict[str, Any]] = {}
    for page in pages:
        try:
            article = china_org_cn.parse_article(page.html, page.url)
        except base.NotAnArticle:
            continue
        found[page.url] = {
            "title": article.title,
            "date": article.published_at,
            "body": article.body,
        }
    return found


def adapter_strict_share(pages: Sequence[Page]) -> float:
    """Share of the key's articles whose title, published_at and body are byte-for-byte the key's."""
    from wire_ingest.adapters import base, china_org_cn

    graded = [p for p in pages if p.key["reject_stage"] != "parse"]
    right = 0
    for page in graded:
        try:
            article = china_org_cn.parse_article(page.html, page.url)
        except base.NotAnArticle:
            continue
        want = page.key
        right += (article.title, article.published_at, article.body) == (
            want["title"],
            want["published_at"],
            want["body"],
        )
    return right / max(len(graded), 1)


def trafilatura_fields(pages: Sequence[Page]) -> dict[str, dict[str, Any]]:
    import trafilatura

    found: dict[str, dict[str, Any]] = {}
    for page in pages:
        result = trafilatura.extract(
            page.html, url=page.url, output_format="json", with_metadata=True
        )
        if result:
            data = json.loads(result)
            found[page.url] = {
                "title": data.get("title") or "",
                "date": data.get("date") or "",
                "body": data.get("text") or "",
            }
    return found


def _each(pages: Sequence[Page], parse_one: Callable[[Page], object]) -> Callable[[], None]:
    def work() -> None:
        for page in pages:
            parse_one(page)

    return work


def contenders(pages: Sequence[Page]) -> dict[str, Callable[[], None]]:
    """Each in-process contender as one pass over all pages."""
    import lxml.html
    import trafilatura

    return {
        "adapter": _each(pages, _adapter_or_refusal),
        "trafilatura": _each(pages, lambda p: trafilatura.extract(p.html, url=p.url)),
        "lxml": _each(pages, lambda p: lxml.html.fromstring(p.html)),
    }


def _adapter_or_refusal(page: Page) -> object:
    from wire_ingest.adapters import base, china_org_cn

    try:
        return china_org_cn.parse_article(page.html, page.url)
    except base.NotAnArticle as refusal:  # refusing a non-article page is the adapter's job
        return refusal


def peer_python() -> Path:
    return Path(
        os.environ.get("WIRE_BENCH_PEER_PYTHON", str(ROOT / ".venv-bench" / "bin" / "python"))
    )


def newspaper_run(pages: Sequence[Page], repeats: int) -> dict[str, Any] | str:
    """newspaper4k's timings and fields from .venv-bench, or why it could not run."""
    python = peer_python()
    if not python.exists():
        return f"not measured: {python} missing (`make bench` creates .venv-bench)"
    request = {
        "pages": [{"url": p.url, "html": p.html.decode("utf-8")} for p in pages],
        "repeats": repeats,
    }
    proc = subprocess.run(
        [str(python), str(Path(__file__).with_name("peer_newspaper.py"))],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if proc.returncode != 0:
        return f"newspaper4k failed: {proc.stderr.strip()[-300:]}"
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def run(quick: bool) -> dict[str, Any]:
    from benchmarks.harness import median

    days = QUICK_DAYS if quick else FULL_DAYS
    pages = site_pages(days)
    repeats = 3
    for warm_up in contenders(pages[:20]).values():
        warm_up()  # imports, caches and first-call costs stay out of the timings
    work = contenders(pages)
    rates = interleaved_rates(work, len(pages), repeats)
    adapter = grade(pages, adapter_fields(pages))
    strict = adapter_strict_share(pages)
    traf = grade(pages, trafilatura_fields(pages))
    paper = newspaper_run(pages, 1 if quick else 2)

    rows: list[Row] = [
        row(
            FIGURE,
            f"site adapter, pages/s on one core ({len(pages)} pages of {len(days)} day(s))",
            rates["adapter"],
            "pages/s",
            peer="trafilatura.extract() default",
            peer_value=rates["trafilatura"],
            note="target: ratio >= 5x",
        ),
        row(
            FIGURE,
            "site adapter's share of lxml's bare parse speed",
            rates["adapter"],
            "pages/s",
            peer="lxml.html.fromstring",
            peer_value=rates["lxml"],
            note="the floor: ratio = share of a bare parse",
        ),
        row(
            FIGURE,
            "site adapter: title, published_at and body exactly the key's",
            strict * 100,
            "%",
            note=f"{adapter.graded} article pages; target >= 99%",
        ),
    ]
    peers: dict[str, Accuracy] = {"site adapter": adapter, "trafilatura": traf}
    paper_rate: float | None = None
    if isinstance(paper, dict):
        paper_rate = len(pages) / median(paper["seconds"])
        fields = {f["url"]: f for f in paper["fields"] if "error" not in f}
        peers[f"newspaper4k {paper['version']}"] = grade(pages, fields)
        rows.append(
            row(
                FIGURE,
                "site adapter vs newspaper4k (images off), pages/s",
                rates["adapter"],
                "pages/s",
                peer=f"newspaper4k {paper['version']}",
                peer_value=paper_rate,
                note="newspaper4k in .venv-bench, a subprocess of the same invocation",
            )
        )
    else:
        rows.append(unavailable(FIGURE, "site adapter vs newspaper4k (images off), pages/s", paper))
    for tool, acc in peers.items():
        rows.append(
            row(
                FIGURE,
                f"{tool}: exact title / date / body / all three",
                acc.all_exact * 100,
                "%",
                note=(
                    f"title {acc.title:.1%}, date {acc.date:.1%}, body {acc.body_exact:.1%} "
                    f"(whole key body inside output: {acc.body_complete:.1%})"
                ),
            )
        )
    return {
        "rows": [r.to_dict() for r in rows],
        "pages": len(pages),
        "pages_per_second": {**rates, "newspaper4k": paper_rate},
        "accuracy": {tool: _acc(acc) for tool, acc in peers.items()},
        "adapter_strict_exact": strict,
        "newspaper4k": paper
        if isinstance(paper, str)
        else {k: v for k, v in paper.items() if k != "fields"},
    }


def _acc(acc: Accuracy) -> dict[str, float]:  # int graded fits float
    return {
        "graded": acc.graded,
        "title": acc.title,
        "date": acc.date,
        "body_exact": acc.body_exact,
        "body_complete": acc.body_complete,
        "all_exact": acc.all_exact,
    }
