"""Tests for the Great Expectations validation stage (wire_ingest.quality.validation)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from wire_ingest.models import Article, Rejection
from wire_ingest.quality.validation import (
    BatchValidationError,
    ValidationResult,
    build_suite,
    check_batch,
    check_reject_share,
    host_pattern,
    raise_for_batch,
    validate_articles,
)

TARGET_DAY = dt.date(2020, 12, 23)
ALLOWED_HOSTS = ("www.china.org.cn", "127.0.0.1")
FEED = "china_org_cn"

# Each GX test is cheap (~0.1 s) but the first one in a process pays the ~10 s GX import.
gx_test = pytest.mark.slow


def make_article(n: int, **overrides: Any) -> Article:
    """A valid article; overrides replace fields (content_hash follows the final body)."""
    url = f"http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_7691{n:04d}.htm"
    fields: dict[str, Any] = {
        "article_id": f"china_org_cn:7691{n:04d}",
        "feed": FEED,
        "url": url,
        "canonical_url": url,
        "title": f"China, partners sign agreement number {n}",
        "source": "Xinhua",
        "published_at": "2020-12-23T00:00:00+08:00",
        "dateline": "BEIJING",
        "body": (
            f"China and its partners on Wednesday signed agreement number {n} on trade.\n\n"
            "Officials said the document. would take effect next year, and that its function "
            "(as a framework) was to ease customs checks."
        ),
        "section": "world",
        "content_hash": "",
        "page_date": "2020-12-23",
        "raw_ref": f"file:///data/landing/2020-12-23.warc.gz#urn:uuid:{n}",
    }
    fields.update(overrides)
    if "content_hash" not in overrides:
        body = fields["body"] or ""
        fields["content_hash"] = hashlib.sha256(body.encode()).hexdigest()
    return Article(**fields)


def valid_batch() -> list[Article]:
    local_url = "http://127.0.0.1:8765/world/Off_the_Wire/2020-12/23/content_76910100.htm"
    return [
        make_article(1),
        make_article(2, dateline=None, page_date="", raw_ref=None),
        make_article(3, published_at="2020-12-22T09:30:00+08:00"),  # the day before: allowed
        make_article(4, published_at="2020-12-22T17:00:00Z"),  # 01:00 on the 23rd in Beijing
        make_article(5, url=local_url, canonical_url=local_url),
        make_article(6, section="china", title="Urgent: x" * 33),  # 297 chars
        make_article(7, editor="huaxia"),
    ]


# name -> (overrides, expectation type, column, observed value)
DEFECTS: dict[str, tuple[dict[str, Any], str, str, Any]] = {
    "empty title": ({"title": ""}, "expect_column_value_lengths_to_be_between", "title", 0),
    "null title": ({"title": None}, "expect_column_values_to_not_be_null", "title", None),
    "markup in body": (
        {"body": "BEIJING -- Leaders met <b>today</b> to discuss the trade agreement at length."},
        "expect_column_values_to_not_match_regex",
        "body",
        "<b>",
    ),
    "nbsp in body": (
        {"body": "BEIJING -- Leaders met today&nbsp;to discuss the trade agreement at length."},
        "expect_column_values_to_not_match_regex",
        "body",
        "&nbsp;",
    ),
    "Enditem left": (
        {"body": "BEIJING -- Leaders met today to discuss the trade agreement at length. Enditem"},
        "expect_column_values_to_not_match_regex",
        "body",
        "Enditem",
    ),
    "boilerplate phrase": (
        {
            "body": "Leaders met today to discuss the trade agreement at length.\n\n"
            "Follow China.org.cn on Twitter and Facebook to join the conversation."
        },
        "expect_column_values_to_not_match_regex",
        "body",
        "Follow China.org.cn",
    ),
    "script text": (
        {"body": "Leaders met today to discuss the agreement. document.getElementById('x')"},
        "expect_column_values_to_not_match_regex",
        "body",
        "document.getElementById",
    ),
    "off-host url": (
        {"url": "http://www.example.com/world/Off_the_Wire/2020-12/23/content_1.htm"},
        "expect_column_values_to_match_regex",
        "url",
        "http://www.example.com/world/Off_the_Wire/2020-12/23/content_1.htm",
    ),
    "host suffix is not the host": (
        {"canonical_url": "http://www.china.org.cn.evil.test/world/content_1.htm"},
        "expect_column_values_to_match_regex",
        "canonical_url",
        "http://www.china.org.cn.evil.test/world/content_1.htm",
    ),
    "published 2 days before target": (
        {"published_at": "2020-12-21T10:00:00+08:00"},
        "expect_column_values_to_be_between",
        "published_date",
        "2020-12-21",
    ),
    "published after target day": (
        {"published_at": "2020-12-24T08:00:00+08:00"},
        "expect_column_values_to_be_between",
        "published_date",
        "2020-12-24",
    ),
    "after target day in Beijing time": (
        {"published_at": "2020-12-23T17:00:00Z"},
        "expect_column_values_to_be_between",
        "published_date",
        "2020-12-24",
    ),
    "bad published_at format": (
        {"published_at": "2020-12-23 10:00:00"},
        "expect_column_values_to_match_regex",
        "published_at",
        "2020-12-23 10:00:00",
    ),
    "published_at not a real date": (
        {"published_at": "2020-13-45T10:00:00+08:00"},
        "expect_column_values_to_not_be_null",
        "published_date",
        None,
    ),
    "too-short body": (
        {"body": "Too short."},
        "expect_column_value_lengths_to_be_between",
        "body",
        10,
    ),
    "markup in title": (
        {"title": "<b>Leaders meet</b> on trade"},
        "expect_column_values_to_not_match_regex",
        "title",
        "<b>",
    ),
    "bad content hash": (
        {"content_hash": "abc123"},
        "expect_column_values_to_match_regex",
        "content_hash",
        "abc123",
    ),
    "long dateline": (
        {"dateline": "X" * 61},
        "expect_column_value_lengths_to_be_between",
        "dateline",
        61,
    ),
    "blank section": ({"section": "  "}, "expect_column_values_to_match_regex", "section", "  "),
    "other feed": (
        {"feed": "other_feed"},
        "expect_column_values_to_be_in_set",
        "feed",
        "other_feed",
    ),
    "unknown agency": (
        {"source": "Xinhua Comment(s)"},
        "expect_column_values_to_be_in_set",
        "source",
        "Xinhua Comment(s)",
    ),
    "body not English": (
        {
            "body": "中国和伙伴国家周三签署了贸易协定。官员表示，该文件将于明年生效，以简化海关检查。"
        },
        "expect_column_values_to_be_between",
        "english_stopword_share",
        0.0,
    ),
    "body is a number table": (
        {
            "body": "Shanghai Composite 3,396.56 +0.12%\n\nShenzhen Component 14,017.06 -0.25%\n\nHang Seng 26,343.10 +0.85%"
        },
        "expect_column_values_to_be_between",
        "english_stopword_share",
        0.0,
    ),
    "empty editor": ({"editor": ""}, "expect_column_value_lengths_to_be_between", "editor", 0),
    "editor is a paragraph": (
        {"editor": "x" * 201},
        "expect_column_value_lengths_to_be_between",
        "editor",
        201,
    ),
}
DUPLICATE_ID = "china_org_cn:duplicate"


@pytest.fixture(scope="module")
def mixed_batch() -> tuple[list[Article], dict[str, Article], ValidationResult]:
    """Valid rows, one row per defect, and two rows sharing an article_id, validated once."""
    valid = valid_batch()
    defective = {
        name: make_article(100 + i, **overrides)
        for i, (name, (overrides, *_)) in enumerate(DEFECTS.items())
    }
    duplicates = [
        make_article(200, article_id=DUPLICATE_ID),
        make_article(201, article_id=DUPLICATE_ID),
    ]
    articles = [*valid[:3], *defective.values(), *duplicates, *valid[3:]]
    result = validate_articles(
        articles, target_day=TARGET_DAY, allowed_hosts=ALLOWED_HOSTS, run_id="test-run"
    )
    return articles, defective, result


def failures_of(result: ValidationResult, article: Article) -> list[dict[str, Any]]:
    matches = [r for r in result.rejected if r.url == article.url]
    assert len(matches) == 1, f"expected one rejection for {article.url}, got {matches}"
    failed: list[dict[str, Any]] = matches[0].details["failed"]
    return failed


def test_importing_module_is_light_and_empty_input_never_touches_gx() -> None:
    code = textwrap.dedent(
        """
        import datetime as dt, json, sys
        import wire_ingest.quality.validation as v
        after_import = sorted(m for m in ("great_expectations", "pandas") if m in sys.modules)
        result = v.validate_articles(
            [], target_day=dt.date(2020, 12, 23), allowed_hosts=["127.0.0.1"], run_id="r"
        )
        after_empty = sorted(m for m in ("great_expectations", "pandas") if m in sys.modules)
        print(json.dumps({"after_import": after_import, "after_empty": after_empty,
                          "result": result.to_dict()}))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    report = json.loads(run.stdout)
    assert report["after_import"] == []
    assert report["after_empty"] == []
    assert report["result"]["passed"] == [] and report["result"]["rejected"] == []
    assert report["result"]["suite_name"] == "wire_ingest.china_org_cn.articles"
    assert report["result"]["statistics"]["rows"] == 0


@gx_test
def test_clean_batch_passes_entirely(capfd: pytest.CaptureFixture[str]) -> None:
    articles = valid_batch()
    result = validate_articles(
        articles, target_day=TARGET_DAY, allowed_hosts=ALLOWED_HOSTS, run_id="clean"
    )
    assert result.rejected == []
    assert result.passed == articles
    assert result.suite_name == "wire_ingest.china_org_cn.articles"
    suite = build_suite()
    assert result.statistics == {
        "evaluated_expectations": len(suite.expectations),
        "successful_expectations": len(suite.expectations),
        "unsuccessful_expectations": 0,
        "rows": len(articles),
        "passed": len(articles),
        "rejected": 0,
    }
    # Progress bars are off: a validation run writes nothing to the terminal.
    captured = capfd.readouterr()
    assert "Calculating Metrics" not in captured.err + captured.out


@gx_test
@pytest.mark.parametrize("defect", list(DEFECTS))
def test_each_defect_is_rejected_naming_expectation_and_observed_value(
    mixed_batch: tuple[list[Article], dict[str, Article], ValidationResult], defect: str
) -> None:
    _, defective, result = mixed_batch
    _, expectation, column, observed = DEFECTS[defect]
    failures = failures_of(result, defective[defect])
    named = [(f["expectation"], f["column"], f["observed"]) for f in failures]
    assert (expectation, column, observed) in named
    assert defective[defect] not in result.passed


@gx_test
def test_valid_rows_pass_next_to_defective_ones(
    mixed_batch: tuple[list[Article], dict[str, Article], ValidationResult],
) -> None:
    articles, defective, result = mixed_batch
    assert result.passed == valid_batch()  # input order kept
    assert len(result.rejected) == len(defective) + 2
    assert result.statistics["rows"] == len(articles)
    assert result.statistics["passed"] == len(valid_batch())
    assert result.statistics["rejected"] == len(defective) + 2
    assert result.statistics["unsuccessful_expectations"] > 0


@gx_test
def test_duplicate_article_id_rejects_every_duplicated_row(
    mixed_batch: tuple[list[Article], dict[str, Article], ValidationResult],
) -> None:
    _, _, result = mixed_batch
    duplicated = [r for r in result.rejected if r.article_id == DUPLICATE_ID]
    assert len(duplicated) == 2
    for rejection in duplicated:
        assert rejection.details["failed"] == [
            {
                "expectation": "expect_column_values_to_be_unique",
                "column": "article_id",
                "description": "article_id is unique in the batch",
                "kwargs": {},
                "observed": DUPLICATE_ID,
            }
        ]


@gx_test
def test_rejection_carries_article_identity_and_a_one_line_message(
    mixed_batch: tuple[list[Article], dict[str, Article], ValidationResult],
) -> None:
    _, defective, result = mixed_batch
    article = defective["markup in body"]
    (rejection,) = [r for r in result.rejected if r.url == article.url]
    assert rejection.feed == FEED
    assert rejection.stage == "validate"
    assert rejection.reason == "expectation_failed"
    assert rejection.article_id == article.article_id
    assert rejection.raw_ref == article.raw_ref
    assert "\n" not in rejection.message
    assert "expect_column_values_to_not_match_regex(body)" in rejection.message
    assert "'<b>'" in rejection.message
    (failure,) = rejection.details["failed"]
    assert failure["kwargs"] == {"regex": r"<[A-Za-z!/][^>]*>"}
    multi_line = defective["boilerplate phrase"]
    (rejection,) = [r for r in result.rejected if r.url == multi_line.url]
    assert "\n" not in rejection.message


def _only_plain_python(value: Any) -> bool:
    if value is None or type(value) in (str, int, float, bool):
        return True
    if type(value) is list:
        return all(_only_plain_python(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _only_plain_python(v) for k, v in value.items())
    return False


@gx_test
def test_results_are_json_serialisable_plain_python(
    mixed_batch: tuple[list[Article], dict[str, Article], ValidationResult],
) -> None:
    _, _, result = mixed_batch
    as_dict = result.to_dict()
    assert _only_plain_python(as_dict)
    round_tripped = json.loads(json.dumps(as_dict, allow_nan=False))
    rejections = [Rejection.from_dict(r) for r in round_tripped["rejected"]]
    assert rejections == result.rejected


@gx_test
def test_reject_share_check_on_a_real_result(
    mixed_batch: tuple[list[Article], dict[str, Article], ValidationResult],
) -> None:
    articles, _, result = mixed_batch
    with pytest.raises(BatchValidationError, match=r"failed validation; the limit is 20\.0%"):
        check_reject_share(result, max_share=0.2)
    check_reject_share(result, max_share=len(result.rejected) / len(articles))


@gx_test
def test_entirely_null_columns_do_not_crash_and_null_required_fields_reject() -> None:
    no_titles = [make_article(i, title=None, dateline=None, raw_ref=None) for i in range(3)]
    result = validate_articles(
        no_titles, target_day=TARGET_DAY, allowed_hosts=ALLOWED_HOSTS, run_id="nulls"
    )
    assert result.passed == []
    for rejection in result.rejected:
        assert [(f["expectation"], f["column"]) for f in rejection.details["failed"]] == [
            ("expect_column_values_to_not_be_null", "title")
        ]


@gx_test
def test_rows_with_every_field_null_or_empty_are_rejected() -> None:
    empty = {f.name: None for f in dataclasses.fields(Article)} | {"content_hash": None}
    blank = {f.name: "" for f in dataclasses.fields(Article)} | {"content_hash": ""}
    articles = [Article(**empty), Article(**empty), Article(**blank), make_article(1)]
    result = validate_articles(
        articles, target_day=TARGET_DAY, allowed_hosts=ALLOWED_HOSTS, run_id="empty"
    )
    assert result.passed == [make_article(1)]
    assert len(result.rejected) == 3
    null_columns = {
        f["column"]
        for f in result.rejected[0].details["failed"]
        if f["expectation"] == "expect_column_values_to_not_be_null"
    }
    assert null_columns >= {
        "article_id",
        "feed",
        "url",
        "canonical_url",
        "title",
        "source",
        "published_at",
        "body",
        "section",
        "content_hash",
    }
    blank_columns = {f["column"] for f in result.rejected[2].details["failed"]}
    assert blank_columns >= {"title", "body", "url", "published_at", "content_hash", "dateline"}


@gx_test
def test_suite_is_named_per_feed_and_covers_every_article_column() -> None:
    suite = build_suite()
    assert suite.name == "wire_ingest.china_org_cn.articles"
    covered = {e.column for e in suite.expectations}
    assert {f.name for f in dataclasses.fields(Article)} <= covered
    descriptions = [e.description for e in suite.expectations]
    assert all(descriptions) and len(set(descriptions)) == len(descriptions)
    other = build_suite(feed="xinhua_en")
    assert other.name == "wire_ingest.xinhua_en.articles"


@gx_test
def test_one_suite_per_source_the_runs_values_are_suite_parameters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wire_ingest.quality import validation

    checkpoint = validation.checkpoint_for(FEED)
    local_url = "http://127.0.0.1:8765/world/Off_the_Wire/2020-12/24/content_76910300.htm"
    article = make_article(
        300, published_at="2020-12-24T09:00:00+08:00", url=local_url, canonical_url=local_url
    )
    next_day = TARGET_DAY + dt.timedelta(days=1)

    def run(day: dt.date, hosts: tuple[str, ...]) -> ValidationResult:
        return validate_articles([article], target_day=day, allowed_hosts=hosts, run_id="p")

    assert run(next_day, ALLOWED_HOSTS).passed == [article]
    (too_late,) = run(TARGET_DAY, ALLOWED_HOSTS).rejected
    assert "published on 2020-12-22 or 2020-12-23: observed '2020-12-24'" in too_late.message
    (off_host,) = run(next_day, ("www.china.org.cn",)).rejected
    assert {f["column"] for f in off_host.details["failed"]} == {"url", "canonical_url"}
    monkeypatch.setenv("WIRE_MIN_ENGLISH_STOPWORD_SHARE", "0.9")  # read at each run
    (not_english,) = run(next_day, ALLOWED_HOSTS).rejected
    assert "stopword share >= 0.9" in not_english.message

    # The same checkpoint and one stored suite throughout, its run values left as parameters.
    assert validation.checkpoint_for(FEED) is checkpoint
    stored = validation.gx_context().suites.get("wire_ingest.china_org_cn.articles")
    (window,) = [e for e in stored.expectations if e.description.startswith("published on")]
    assert (window.min_value, window.max_value) == (
        {"$PARAMETER": "earliest_published"},
        {"$PARAMETER": "latest_published"},
    )


def test_host_pattern_allows_listed_hosts_on_any_port_only() -> None:
    pattern = re.compile(host_pattern(ALLOWED_HOSTS))
    assert pattern.search("http://www.china.org.cn/world/x.htm")
    assert pattern.search("https://www.china.org.cn/world/x.htm")
    assert pattern.search("http://127.0.0.1:8765/world/x.htm")
    assert not pattern.search("http://127.0.0.10/world/x.htm")
    assert not pattern.search("http://wwwxchina.org.cn/world/x.htm")
    assert not pattern.search("ftp://www.china.org.cn/world/x.htm")
    with pytest.raises(ValueError):
        host_pattern([])


@pytest.mark.parametrize(
    "text",
    [
        "The cat's toy and the dog",
        "rock'n'roll of the 'tis' it's '' ' x' 'y",
        "It is — “quoted” – of the 2nd_day… and 3,000 tons",
        "Café au lait: the café's menu, naïve of it",  # non-ASCII letters: the regex path
        "Exponent x² of a, ½ of the rest",  # numeric non-digits are words too
        "٣ digits ٤ of the",  # non-ASCII digits separate words
        "中文 and the 内容",
        "!!! 123 ...",
        "İstanbul is in the news",
    ],
)
def test_english_stopword_share_counts_the_words_of_its_regex(text: str) -> None:
    from wire_ingest.quality.validation import ENGLISH_STOPWORDS, english_stopword_share

    # The definition: words are what _WORD finds; the ASCII fast path must agree with it.
    words = re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)?|[^\W\d_]+", text)
    stop = sum(word.lower() in ENGLISH_STOPWORDS for word in words)
    expected = round(stop / len(words), 4) if words else 0.0
    assert english_stopword_share(text) == expected


def _rejection(n: int, *expectations: tuple[str, str]) -> Rejection:
    return Rejection(
        feed=FEED,
        url=f"http://www.china.org.cn/{n}.htm",
        stage="validate",
        reason="expectation_failed",
        message="failed",
        details={
            "failed": [
                {"expectation": e, "column": c, "kwargs": {}, "observed": None}
                for e, c in expectations
            ]
        },
    )


def test_check_reject_share_raises_with_a_readable_message() -> None:
    body_markup = ("expect_column_values_to_not_match_regex", "body")
    short_body = ("expect_column_value_lengths_to_be_between", "body")
    rejected = [_rejection(i, body_markup) for i in range(10)]
    rejected += [_rejection(10 + i, body_markup, short_body) for i in range(2)]
    rejected += [_rejection(20 + i, short_body) for i in range(2)]
    result = ValidationResult(
        passed=[make_article(i) for i in range(36)],
        rejected=rejected,
        statistics={},
        suite_name="wire_ingest.china_org_cn.articles",
    )
    with pytest.raises(BatchValidationError) as raised:
        check_reject_share(result, max_share=0.2)
    assert str(raised.value) == (
        "14 of 50 articles (28.0%) failed validation; the limit is 20.0%. Top failures: "
        "expect_column_values_to_not_match_regex(body) (12), "
        "expect_column_value_lengths_to_be_between(body) (4)"
    )


def test_check_reject_share_accepts_shares_up_to_the_limit() -> None:
    result = ValidationResult(
        passed=[make_article(i) for i in range(8)],
        rejected=[
            _rejection(i, ("expect_column_values_to_not_be_null", "title")) for i in range(2)
        ],
        statistics={},
        suite_name="wire_ingest.china_org_cn.articles",
    )
    check_reject_share(result, max_share=0.2)  # exactly 20% is allowed
    with pytest.raises(BatchValidationError, match=r"2 of 10 articles \(20\.0%\)"):
        check_reject_share(result, max_share=0.1)
    empty = ValidationResult(passed=[], rejected=[], statistics={}, suite_name="s")
    check_reject_share(empty, max_share=0.0)


# ---------------------------------------------------------------- batch-level expectations


def _result_of(passed: int, rejected: int) -> ValidationResult:
    failing = _rejection(0, ("expect_column_values_to_not_match_regex", "body"))
    return ValidationResult(
        passed=[make_article(i) for i in range(passed)],
        rejected=[failing] * rejected,
        statistics={},
        suite_name="wire_ingest.china_org_cn.articles",
    )


@gx_test
def test_batch_within_band_and_reject_share_passes() -> None:
    check = check_batch(_result_of(9, 1), min_rows=5, max_rows=20, max_reject_share=0.2)
    assert check.success and check.failures == []
    assert check.suite_name == "wire_ingest.china_org_cn.batch"
    assert check.statistics["reject_share"] == 0.1
    assert check.suite_result is not None and check.suite_result.success
    raise_for_batch(check, run_id="ok")  # does not raise


@gx_test
def test_batch_row_count_out_of_band_fails_saying_expected_and_seen() -> None:
    too_few = check_batch(_result_of(3, 0), min_rows=5, max_rows=20, max_reject_share=0.2)
    too_many = check_batch(_result_of(25, 0), min_rows=5, max_rows=20, max_reject_share=0.2)
    nothing = check_batch(_result_of(0, 0), min_rows=1, max_rows=20, max_reject_share=0.2)
    assert too_few.failures == [
        "expect_table_row_count_to_be_between: expected 5 to 20 articles for the day, saw 3"
    ]
    assert too_many.failures == [
        "expect_table_row_count_to_be_between: expected 5 to 20 articles for the day, saw 25"
    ]
    assert nothing.failures == [
        "expect_table_row_count_to_be_between: expected 1 to 20 articles for the day, saw 0"
    ]
    with pytest.raises(BatchValidationError, match=r"^run r1: the batch failed 1 of its"):
        raise_for_batch(too_few, run_id="r1")
    assert check_batch(_result_of(0, 0), min_rows=0, max_rows=20, max_reject_share=0.2).success


@gx_test
def test_batch_reject_share_over_limit_fails_naming_top_failures() -> None:
    check = check_batch(_result_of(7, 3), min_rows=1, max_rows=20, max_reject_share=0.2)
    (line,) = check.failures
    assert line == (
        "expect_column_mean_to_be_between(rejected): 3 of 10 articles (30.0%) failed "
        "validation; the limit is 20.0%. Top failures: "
        "expect_column_values_to_not_match_regex(body) (3)"
    )
    with pytest.raises(BatchValidationError, match=r"3 of 10 articles \(30\.0%\)"):
        raise_for_batch(check, run_id="r2")
