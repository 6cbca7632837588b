"""Extraction: the project's generic extraction vs trafilatura's default call on real article pages.

    python -m benchmarks.bench_extraction [--quick]

Pages and ground truth: ../shared/data/article-extraction-benchmark beside the repository
(WIRE_EXTRACTION_BENCHMARK_DIR overrides), never copied into it. Scoring, as that benchmark's
README describes it: whitespace tokens, sets of overlapping 4-word shingles, per-page precision
and recall, each averaged over the pages, F1 of the two averages. An empty extraction has
precision 1.0 and recall 0.0 (1.0 when the truth is empty too). A text shorter than four words
is one shingle (as the upstream evaluate.py does).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "benchmarks" / "results"
FIGURE = "Extraction"
SHINGLE_WORDS = 4
QUICK_ROUNDS = 1
FULL_ROUNDS = 3


def data_dir() -> Path:
    """The benchmark's folder: <repo>/../shared/data/article-extraction-benchmark unless overridden."""
    override = os.environ.get("WIRE_EXTRACTION_BENCHMARK_DIR", "").strip()
    if override:
        return Path(override)
    return ROOT.parent / "shared" / "data" / "article-extraction-benchmark"


# ---------------------------------------------------------------- the scorer (pure)


def shingles(text: str | None, size: int = SHINGLE_WORDS) -> set[tuple[str, ...]]:
    """The set of overlapping `size`-word sequences of the whitespace-split text."""
    tokens = (text or "").split()
    if not tokens:
        return set()
    if len(tokens) < size:
        return {tuple(tokens)}
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


@dataclass(frozen=True, slots=True)
class PageScore:
    precision: float
    recall: float


def page_score(predicted: str | None, truth: str | None) -> PageScore:
    """Shingle precision and recall of one page's extracted body against its true body."""
    got, want = shingles(predicted), shingles(truth)
    common = len(got & want)
    precision = common / len(got) if got else 1.0
    recall = common / len(want) if want else 1.0
    return PageScore(precision, recall)


@dataclass(frozen=True, slots=True)
class Score:
    """The benchmark's figures for one extractor over a set of pages."""

    pages: int
    precision: float
    recall: float
    f1: float
    empty: int  # pages with no extracted text


def score(predictions: Mapping[str, str | None], truths: Mapping[str, str]) -> Score:
    """Average precision and recall over the truth's pages, and the F1 of the two averages."""
    if not truths:
        raise ValueError("no pages to score")
    scores = [page_score(predictions.get(page_id), truth) for page_id, truth in truths.items()]
    precision = sum(s.precision for s in scores) / len(scores)
    recall = sum(s.recall for s in scores) / len(scores)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    empty = sum(1 for page_id in truths if not (predictions.get(page_id) or "").strip())
    return Score(len(scores), precision, recall, f1, empty)


# ---------------------------------------------------------------- the extractors


@dataclass(frozen=True, slots=True)
class BenchPage:
    page_id: str
    url: str
    html: bytes
    truth: str


def load_pages(folder: Path) -> list[BenchPage]:
    """Every page of the benchmark with its ground truth, sorted by id."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        entry = truth[page_id]
        pages.append(BenchPage(page_id, entry.get("url", ""), html, entry.get("articleBody", "")))
    return pages


def project_extraction(page: BenchPage) -> str:
    """What `wire-ingest parse FILE --url URL --source generic` makes of the page: its body."""
    from wire_ingest.adapters import base, generic

    try:
        return generic.generic_article(page.html, page.url).body
    except base.NotAnArticle:
        return ""


def trafilatura_default(page: BenchPage) -> str:
    """trafilatura's default call, as the benchmark's own runner makes it."""
    import trafilatura

    return trafilatura.extract(page.html.decode("utf-8", errors="replace")) or ""


EXTRACTORS: dict[str, Callable[[BenchPage], str]] = {
    "wire-ingest generic": project_extraction,
    "trafilatura default": trafilatura_default,
}


def measure(pages: Sequence[BenchPage], rounds: int) -> dict[str, dict[str, Any]]:
    """Score and pages/s (median over interleaved rounds, one core) of every extractor."""
    for extractor in EXTRACTORS.values():
        extractor(pages[0])  # imports and caches are start-up, not throughput
    outputs: dict[str, dict[str, str]] = {name: {} for name in EXTRACTORS}
    seconds: dict[str, list[float]] = {name: [] for name in EXTRACTORS}
    for _ in range(rounds):
        for name, extractor in EXTRACTORS.items():
            started = time.perf_counter()
            found = {page.page_id: extractor(page) for page in pages}
            seconds[name].append(time.perf_counter() - started)
            outputs[name] = found
    truths = {page.page_id: page.truth for page in pages}
    results: dict[str, dict[str, Any]] = {}
    for name in EXTRACTORS:
        graded = score(outputs[name], truths)
        elapsed = sorted(seconds[name])[len(seconds[name]) // 2]
        results[name] = {
            "f1": round(graded.f1, 4),
            "precision": round(graded.precision, 4),
            "recall": round(graded.recall, 4),
            "empty": graded.empty,
            "pages": graded.pages,
            "pages_per_s": round(len(pages) / elapsed, 1),
        }
    return results


def table(results: Mapping[str, Mapping[str, Any]]) -> str:
    lines = [
        f"{'extractor':<22} {'F1':>6} {'prec.':>6} {'recall':>6} {'empty':>5} {'pages/s':>8}",
    ]
    for name, r in results.items():
        lines.append(
            f"{name:<22} {r['f1']:>6.3f} {r['precision']:>6.3f} {r['recall']:>6.3f} "
            f"{r['empty']:>5} {r['pages_per_s']:>8.1f}"
        )
    return "\n".join(lines)


def run(quick: bool) -> dict[str, Any]:
    """The harness's entry point: rows for the table, plus the raw figures; writes the results."""
    from benchmarks.harness import row

    folder = data_dir()
    if not (folder / "ground-truth.json").is_file():
        # The real pages live beside the repository (../shared/data), not in it.
        from benchmarks.harness import unavailable

        why = f"no benchmark pages at {folder}: set WIRE_EXTRACTION_BENCHMARK_DIR"
        return {"rows": [unavailable(FIGURE, "generic extraction, body F1", why).to_dict()]}
    pages = load_pages(folder)
    results = measure(pages, QUICK_ROUNDS if quick else FULL_ROUNDS)
    ours, theirs = results["wire-ingest generic"], results["trafilatura default"]
    note = f"{len(pages)} pages of {folder.name}, 4-gram shingle F1"
    rows = [
        row(
            FIGURE,
            "generic extraction, body F1",
            ours["f1"],
            peer="trafilatura default",
            peer_value=theirs["f1"],
            note=note,
        ),
        row(
            FIGURE,
            "generic extraction, pages/s on one core",
            ours["pages_per_s"],
            "pages/s",
            peer="trafilatura default",
            peer_value=theirs["pages_per_s"],
        ),
    ]
    document = {
        "mode": "quick" if quick else "full",
        "data": os.path.relpath(folder, ROOT),  # beside the repository, never inside it
        "pages": len(pages),
        "extractors": results,
        "project_at_least_trafilatura_default": ours["f1"] >= theirs["f1"],
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    name = "extraction-quick.json" if quick else "extraction.json"
    (RESULTS_DIR / name).write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    return {"rows": rows, **document}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_extraction")
    parser.add_argument("--quick", action="store_true", help="one timing round instead of three")
    args = parser.parse_args(argv)
    result = run(args.quick)
    print(table(result["extractors"]))
    ok = result["project_at_least_trafilatura_default"]
    print(f"project F1 >= trafilatura default F1: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
