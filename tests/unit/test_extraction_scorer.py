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
