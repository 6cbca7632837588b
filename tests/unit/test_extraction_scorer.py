"""The article-extraction benchmark's scorer: 4-word shingle precision/recall averaged, then F1."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_extraction as bench  # noqa: E402


def test_shingles_are_overlapping_four_word_sequences_after_whitespace_split() -> None:
    assert bench.shingles("a b  c\nd e") == {("a", "b", "c", "d"), ("b", "c", "d", "e")}
    assert bench.shingles("one two") == {("one", "two")}  # shorter than 4: one shingle
    assert bench.shingles("") == set() and bench.shingles(None) == set()


def test_page_score_counts_shared_shingles() -> None:
    truth = "the quick brown fox jumps over"  # 3 shingles
    predicted = "the quick brown fox likes cats"  # 3 shingles, 1 shared
    page = bench.page_score(predicted, truth)
    assert page.precision == pytest.approx(1 / 3)
    assert page.recall == pytest.approx(1 / 3)


def test_empty_extraction_has_precision_one_and_recall_zero() -> None:
    assert bench.page_score("", "some true body text here") == bench.PageScore(1.0, 0.0)
    assert bench.page_score(None, "") == bench.PageScore(1.0, 1.0)  # nothing to find


def test_score_averages_precision_and_recall_over_pages_then_takes_f1() -> None:
    truths = {"a": "w1 w2 w3 w4 w5", "b": "x1 x2 x3 x4 x5"}
    predictions = {"a": "w1 w2 w3 w4 w5", "b": ""}  # a perfect, b empty
    result = bench.score(predictions, truths)
    assert (result.precision, result.recall) == (1.0, 0.5)
    assert result.f1 == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert result.empty == 1 and result.pages == 2


def test_missing_prediction_counts_as_empty_and_extra_text_costs_precision() -> None:
    truths = {"a": "w1 w2 w3 w4 w5"}
    assert bench.score({}, truths).recall == 0.0
    padded = bench.score({"a": "w1 w2 w3 w4 w5 menu login share subscribe"}, truths)
    assert padded.recall == 1.0 and padded.precision == pytest.approx(2 / 6)
    with pytest.raises(ValueError):
        bench.score({}, {})


def test_data_dir_resolves_beside_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WIRE_EXTRACTION_BENCHMARK_DIR", raising=False)
    assert bench.data_dir() == ROOT.parent / "shared" / "data" / "article-extraction-benchmark"
    monkeypatch.setenv("WIRE_EXTRACTION_BENCHMARK_DIR", "/elsewhere")
    assert bench.data_dir() == Path("/elsewhere")


def test_missing_pages_give_a_row_that_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WIRE_EXTRACTION_BENCHMARK_DIR", str(tmp_path / "nowhere"))
    result = bench.run(quick=True)
    [only] = result["rows"]
    assert only["value"] is None
    assert str(tmp_path / "nowhere") in only["note"]
    assert "WIRE_EXTRACTION_BENCHMARK_DIR" in only["note"]


# ---------------------------------------------------------------- cross-validation (bench_extraction_cv)


def test_folds_cover_every_page_once_in_a_stable_order() -> None:
    from benchmarks import bench_extraction_cv as cv

    ids = [f"page{i}" for i in range(11)]
    folds = cv.folds_of(ids, 3)
    assert sorted(p for fold in folds for p in fold) == sorted(ids)
    assert [len(f) for f in folds] == [4, 4, 3]
    assert cv.folds_of(list(reversed(ids)), 3) == folds  # by id hash, not by input order


def test_cross_validation_chooses_on_the_other_folds_and_scores_the_held_out_one() -> None:
    from benchmarks import bench_extraction_cv as cv

    good, bad = bench.PageScore(1.0, 1.0), bench.PageScore(0.0, 0.0)
    ids = [f"p{i}" for i in range(6)]
    folds = cv.folds_of(ids, 2)
    # "tuned" is perfect on fold 0 only, "steady" is right on 5 of 6 pages everywhere.
    tuned = {p: good if p in folds[0] else bad for p in ids}
    steady = {p: (bad if p == folds[0][0] else good) for p in ids}
    peer = dict.fromkeys(ids, bench.PageScore(0.5, 0.5))
    result = cv.cross_validate({"tuned": tuned, "steady": steady, cv.TRAFILATURA: peer}, 2)
    by_fold = {row["fold"]: row for row in result["folds"]}
    # Fold 1 is held out: chosen on fold 0, where "tuned" looks perfect, it scores 0 on fold 1.
    assert by_fold[1]["chosen"] == "tuned" and by_fold[1]["held_out_f1"] == 0.0
    assert by_fold[0]["chosen"] == "steady"
    assert result["peer_held_out_mean"] == 0.5
    assert result["held_out_mean"] == round((by_fold[0]["held_out_f1"] + 0.0) / 2, 4)
