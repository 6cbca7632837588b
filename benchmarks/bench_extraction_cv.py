"""Extraction, cross-validated: the generic fallback's options chosen on k-1 folds, scored on the held-out one.

    python -m benchmarks.bench_extraction_cv [--quick] [--folds 5]

The plain extraction benchmark scores the fallback on the pages its options were chosen on. Here
every candidate option set (OPTION_SETS) is scored once per page; then, for each of k folds,
the set with the best F1 on the other k-1 folds is "chosen" and scored on the held-out fold,
next to trafilatura's default call on the same fold. The report is the mean and the spread
(population standard deviation) of the held-out F1 over the folds. Pages, scorer and ground
truth are bench_extraction's (../shared/data/article-extraction-benchmark beside the repo).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.bench_extraction import (
    RESULTS_DIR,
    ROOT,
    BenchPage,
    PageScore,
    data_dir,
    load_pages,
    page_score,
    trafilatura_default,
)

FIGURE = "Extraction (cross-validated)"
FOLDS = 5
QUICK_FOLDS = 3
TRAFILATURA = "trafilatura default"

# The candidates: trafilatura options the fallback passes, and whether an empty precision-first
# reading is retried in trafilatura's balanced mode. "precision+retry" is what generic.py uses.
OPTION_SETS: dict[str, tuple[dict[str, Any], bool]] = {
    "precision+retry": ({"favor_precision": True}, True),
    "precision": ({"favor_precision": True}, False),
    "balanced": ({"favor_precision": False}, False),
    "recall": ({"favor_precision": False, "favor_recall": True}, False),
    "precision+tables+retry": ({"favor_precision": True, "include_tables": True}, True),
    "balanced+tables": ({"favor_precision": False, "include_tables": True}, False),
}


def fallback_body(page: BenchPage, options: dict[str, Any], balanced_retry: bool) -> str:
    """What the generic extractor (refusals included) makes of the page with these options."""
    from wire_ingest.adapters import base, generic

    try:
        return generic.generic_article(
            page.html, page.url, options=options, balanced_retry=balanced_retry
        ).body
    except base.NotAnArticle:
        return ""


def f1_of(scores: Sequence[PageScore]) -> float:
    """The benchmark's F1: of the precision and recall averaged over the pages."""
    precision = sum(s.precision for s in scores) / len(scores)
    recall = sum(s.recall for s in scores) / len(scores)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def folds_of(page_ids: Sequence[str], k: int) -> list[list[str]]:
    """k folds of about equal size; pages assigned by a hash of their id (stable, not by order)."""
    ordered = sorted(page_ids, key=lambda pid: hashlib.sha256(pid.encode()).hexdigest())
    return [ordered[i::k] for i in range(k)]


def cross_validate(
    scores: Mapping[str, Mapping[str, PageScore]], k: int, peer: str = TRAFILATURA
) -> dict[str, Any]:
    """Per fold: the option set chosen on the other folds and the held-out F1 of it and the peer."""
    candidates = [name for name in scores if name != peer]
    page_ids = sorted(scores[peer])
    folds = folds_of(page_ids, k)
    rows = []
    for index, held_out in enumerate(folds):
        held = set(held_out)
        train = [pid for pid in page_ids if pid not in held]
        chosen = max(candidates, key=lambda n: (f1_of([scores[n][p] for p in train]), n))
        rows.append(
            {
                "fold": index,
                "pages": len(held_out),
                "chosen": chosen,
                "train_f1": round(f1_of([scores[chosen][p] for p in train]), 4),
                "held_out_f1": round(f1_of([scores[chosen][p] for p in held_out]), 4),
                "peer_held_out_f1": round(f1_of([scores[peer][p] for p in held_out]), 4),
                "every_set_held_out_f1": {
                    n: round(f1_of([scores[n][p] for p in held_out]), 4) for n in candidates
                },
            }
        )
    ours = [r["held_out_f1"] for r in rows]
    theirs = [r["peer_held_out_f1"] for r in rows]
    return {
        "folds": rows,
        "held_out_mean": round(statistics.fmean(ours), 4),
        "held_out_sd": round(statistics.pstdev(ours), 4),
        "peer_held_out_mean": round(statistics.fmean(theirs), 4),
        "peer_held_out_sd": round(statistics.pstdev(theirs), 4),
        "folds_won": sum(o > t for o, t in zip(ours, theirs, strict=True)),
        "folds_tied": sum(o == t for o, t in zip(ours, theirs, strict=True)),
    }


def score_everything(pages: Sequence[BenchPage]) -> dict[str, dict[str, PageScore]]:
    """Per-page scores of every option set and of trafilatura's default (each page read once)."""
    scores: dict[str, dict[str, PageScore]] = {name: {} for name in [*OPTION_SETS, TRAFILATURA]}
    for page in pages:
        for name, (options, retry) in OPTION_SETS.items():
            scores[name][page.page_id] = page_score(fallback_body(page, options, retry), page.truth)
        scores[TRAFILATURA][page.page_id] = page_score(trafilatura_default(page), page.truth)
    return scores


def run(quick: bool, folds: int | None = None) -> dict[str, Any]:
    """The harness's entry point: the held-out rows next to trafilatura's; writes the results."""
    from benchmarks.harness import row, unavailable

    folder = data_dir()
    if not (folder / "ground-truth.json").is_file():
        why = f"no benchmark pages at {folder}: set WIRE_EXTRACTION_BENCHMARK_DIR"
        return {"rows": [unavailable(FIGURE, "fallback body F1, held-out folds", why).to_dict()]}
    k = folds or (QUICK_FOLDS if quick else FOLDS)
    pages = load_pages(folder)
    scores = score_everything(pages)
    result = cross_validate(scores, k)
    in_sample = {name: round(f1_of(list(s.values())), 4) for name, s in scores.items()}
    note = (
        f"{k} folds of {len(pages)} pages; options chosen on the other folds; "
        f"sd {result['held_out_sd']:.3f} vs {result['peer_held_out_sd']:.3f}"
    )
    rows = [
        row(
            FIGURE,
            "fallback body F1, mean of held-out folds",
            result["held_out_mean"],
            peer=TRAFILATURA,
            peer_value=result["peer_held_out_mean"],
            note=note,
        ),
        row(
            FIGURE,
            "folds where the fallback beats trafilatura default",
            result["folds_won"],
            f"of {k}",
        ),
    ]
    document = {
        "mode": "quick" if quick else "full",
        "data": os.path.relpath(folder, ROOT),
        "pages": len(pages),
        "k": k,
        "option_sets": {
            n: {"options": o, "balanced_retry": r} for n, (o, r) in OPTION_SETS.items()
        },
        "in_sample_f1": in_sample,
        **result,
        "fallback_at_least_trafilatura_held_out": result["held_out_mean"]
        >= result["peer_held_out_mean"],
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    name = "extraction-cv-quick.json" if quick else "extraction-cv.json"
    (RESULTS_DIR / name).write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    return {"rows": rows, **document}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_extraction_cv")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_FOLDS} folds")
    parser.add_argument("--folds", type=int, default=None, help=f"k (default {FOLDS})")
    args = parser.parse_args(argv)
    result = run(args.quick, args.folds)
    if "folds" not in result:
        print(result["rows"][0]["note"])
        return 2
    for fold in result["folds"]:
        print(
            f"fold {fold['fold']}: chose {fold['chosen']:<24} held-out F1 "
            f"{fold['held_out_f1']:.4f} vs trafilatura default {fold['peer_held_out_f1']:.4f}"
        )
    print(
        f"held-out mean {result['held_out_mean']:.4f} (sd {result['held_out_sd']:.4f}) vs "
        f"trafilatura default {result['peer_held_out_mean']:.4f} "
        f"(sd {result['peer_held_out_sd']:.4f})"
    )
    print("in-sample F1 per option set:", json.dumps(result["in_sample_f1"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
