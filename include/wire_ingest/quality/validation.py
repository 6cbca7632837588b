"""Validate parsed articles against a Great Expectations suite and split them row by row."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import math
import os
import re
import string
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from wire_ingest import settings
from wire_ingest.models import Article, Rejection
from wire_ingest.sources import DEFAULT_SOURCE as FEED

TIMEZONE = "Asia/Shanghai"  # Xinhua dates are Beijing time

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations import Checkpoint
    from great_expectations.core import ExpectationSuite
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.data_context import AbstractDataContext

log = logging.getLogger(__name__)

# Helper columns added to the DataFrame next to the Article fields.
BATCH_ROW = "batch_row"  # position in the input: article_id alone cannot tell duplicates apart
PUBLISHED_DATE = "published_date"  # Beijing calendar date of published_at, for the window check
STOPWORD_SHARE = "english_stopword_share"  # share of the body's words that are English stopwords
BATCH_REJECTED = "rejected"  # batch-level frame: 1 for a rejected article, 0 for a passed one

RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [BATCH_ROW, "article_id"],
}
BATCH_RESULT_FORMAT = "SUMMARY"

# Suite parameters: what a run decides (its day, the hosts it read, the settings of the moment).
# The suites refer to them as {"$PARAMETER": name}; each run passes their values to its checkpoint.
URL_PATTERN = "url_pattern"  # host_pattern() of the hosts the run may see
EARLIEST_PUBLISHED = "earliest_published"  # publication_window() of the target day
LATEST_PUBLISHED = "latest_published"
MIN_ENGLISH_SHARE = "min_english_share"  # settings.min_english_stopword_share()
MIN_ROWS = "min_rows"  # the day's article band, less the pages the site answered "not modified"
MAX_ROWS = "max_rows"
MAX_REJECT_SHARE = "max_reject_share"  # settings.max_reject_share()

NON_BLANK = r"\S"
ISO_DATETIME_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2}|Z)$"
SHA256_HEX = r"^[0-9a-f]{64}$"
OPTIONAL_ISO_DATE = r"^(?:\d{4}-\d{2}-\d{2})?$"
HTML_TAG = r"<[A-Za-z!/][^>]*>"
HTML_ENTITY = r"&[A-Za-z]+;|&#\d+;|&#[xX][0-9A-Fa-f]+;"
ENDITEM = r"(?i)enditem"
BOILERPLATE_PHRASES = (
    "Follow China.org.cn",
    "Adjust font size",
    "You are here",
    "Comment(s)",
    "appproperty",
    "ChinaNews App",
)
BOILERPLATE = "|".join(re.escape(phrase) for phrase in BOILERPLATE_PHRASES)
# Script residue; `document.` needs a following identifier so prose ("signed the document.") passes.
SCRIPT_TEXT = (
    r"\bfunction\(|\bfunction\s*\([^)]*\)\s*\{"
    r"|\bvar\s+[A-Za-z_$][\w$]*\s*="
    r"|\bdocument\.[A-Za-z_]\w*"
)
REQUIRED_COLUMNS = (
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
)

# Agencies whose copy the wire section republishes; anything else is a parse slip or a new source.
KNOWN_AGENCIES = (
    "Xinhua",
    "Xinhua News Agency",
    "China.org.cn",
    "China Daily",
    "CGTN",
    "Global Times",
    "People's Daily",
    "People's Daily Online",
)
# Language plausibility, cheaply: English wire copy has 20-45% stopwords; other languages, markup
# or number tables have few. The threshold is settings.min_english_stopword_share() (0.1).
_STOPWORD_TEXT = """a about after against all also an and are as at be been before but by can could did do
    does for from had has have he her his how i if in into is it its may more most no not of on
    one or our out over she so some such than that the their them then there these they this
    those to under up was we were what when where which while who will with would you"""
ENGLISH_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|[^\W\d_]+")
# The same words, faster, for a text whose only letters are ASCII (most wire copy): every other
# character separates words just as a space does, so the text folds to lowercase ASCII bytes
# (letters and apostrophes kept, anything else a space) that split() or a bytes regex tokenise.
_NON_ASCII_LETTER = re.compile(r"[^\W\d_\x00-\x7f]")  # a non-ASCII character _WORD counts
_ASCII_FOLD = bytes(
    byte + 32 if 65 <= byte <= 90 else byte if 97 <= byte <= 122 or byte == 39 else 32
    for byte in range(256)
)
_FOLDED_WORD = re.compile(rb"[a-z]+(?:'[a-z]+)?")
_FOLDED_STOPWORDS = frozenset(word.encode() for word in ENGLISH_STOPWORDS)

_OBSERVED_MAX_CHARS = 200
_MESSAGE_OBSERVED_MAX_CHARS = 60


class BatchValidationError(Exception):
    """Too large a share of a batch failed validation: the run must stop."""


class ValidationSuiteError(RuntimeError):
    """An expectation could not be evaluated, so the split into passed and rejected is unknown."""


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Articles that met every expectation, and rejections for those that did not."""

    passed: list[Article]
    rejected: list[Rejection]
    statistics: dict[str, int]
    suite_name: str
    # The GX ExpectationSuiteValidationResult and the ValidationResultIdentifier the checkpoint
    # stored it under (what Data Docs render); not part of to_dict().
    suite_result: Any = dataclasses.field(default=None, compare=False, repr=False)
    result_id: Any = dataclasses.field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": [article.to_dict() for article in self.passed],
            "rejected": [rejection.to_dict() for rejection in self.rejected],
            "statistics": dict(self.statistics),
            "suite_name": self.suite_name,
        }


@dataclass(frozen=True, slots=True)
class DayRows:
    """What the day already holds outside this run's batch: the gate judges the whole day.

    `loaded` articles of the day and `open_rejects` (validate stage, unresolved) whose URLs the
    batch does not judge again; `judged_share` is the reject share earlier successful runs left
    the day with, so a run is never failed by rows an earlier run already judged.
    """

    loaded: int = 0
    open_rejects: int = 0
    judged_share: float = 0.0


@dataclass(frozen=True, slots=True)
class BatchCheck:
    """The batch-level expectations' verdict: one readable line per failed expectation."""

    failures: list[str]
    suite_name: str
    statistics: dict[str, Any]
    suite_result: Any = dataclasses.field(default=None, compare=False, repr=False)
    result_id: Any = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def success(self) -> bool:
        return not self.failures


def suite_name_for(feed: str) -> str:
    return f"wire_ingest.{feed}.articles"


def batch_suite_name_for(feed: str) -> str:
    return f"wire_ingest.{feed}.batch"


def host_pattern(allowed_hosts: Sequence[str]) -> str:
    """Regex for an http(s) URL on one of the allowed hosts, any port."""
    if not allowed_hosts:
        raise ValueError("allowed_hosts must name at least one host")
    hosts = "|".join(re.escape(host) for host in allowed_hosts)
    return rf"^https?://(?:{hosts})(?::\d+)?/"


def publication_window(target_day: dt.date) -> tuple[dt.date, dt.date]:
    """A page dated target_day may carry a story dated the day before, never a later one."""
    return target_day - dt.timedelta(days=1), target_day


def parameter(name: str) -> dict[str, str]:
    """A reference to a suite parameter, resolved from the values a run passes to its checkpoint."""
    return {"$PARAMETER": name}


def suite_parameters(*, target_day: dt.date, allowed_hosts: Sequence[str]) -> dict[str, Any]:
    """The values of the row suite's parameters for one run (settings read now)."""
    earliest, latest = publication_window(target_day)
    return {
        URL_PATTERN: host_pattern(allowed_hosts),
        EARLIEST_PUBLISHED: earliest,
        LATEST_PUBLISHED: latest,
        MIN_ENGLISH_SHARE: settings.min_english_stopword_share(),
    }


def batch_suite_parameters(
    *, min_rows: int, max_rows: int, max_reject_share: float
) -> dict[str, Any]:
    """The values of the batch suite's parameters for one run."""
    return {MIN_ROWS: min_rows, MAX_ROWS: max_rows, MAX_REJECT_SHARE: max_reject_share}


def build_suite(*, feed: str = FEED) -> ExpectationSuite:
    """The code-defined suite of a feed's articles; every Article column is covered.

    It is the same for every run of the feed: what a run decides (its day's window, the hosts
    it read, the English threshold) are suite parameters, given by suite_parameters(). A
    description may name the expectation's arguments as `$min_value`, GX's template syntax;
    a rejection states it with the values the run used.
    """
    gx = import_gx()
    gxe = gx.expectations
    url_pattern = parameter(URL_PATTERN)

    expectations: list[Any] = []
    for column in REQUIRED_COLUMNS:
        expectations.append(
            gxe.ExpectColumnValuesToNotBeNull(column=column, description=f"{column} is present")
        )
        expectations.append(
            gxe.ExpectColumnValuesToMatchRegex(
                column=column, regex=NON_BLANK, description=f"{column} is not blank"
            )
        )
    expectations += [
        gxe.ExpectColumnValuesToBeUnique(
            column="article_id", description="article_id is unique in the batch"
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="feed", value_set=[feed], description=f"feed is {feed}"
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="url", regex=url_pattern, description="url is on an allowed host"
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="canonical_url",
            regex=url_pattern,
            description="canonical_url is on an allowed host",
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="title", min_value=5, max_value=300, description="title has 5 to 300 chars"
        ),
        gxe.ExpectColumnValuesToNotMatchRegex(
            column="title", regex=HTML_TAG, description="title has no HTML tags"
        ),
        gxe.ExpectColumnValuesToNotMatchRegex(
            column="title", regex=HTML_ENTITY, description="title has no HTML entities"
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="published_at",
            regex=ISO_DATETIME_WITH_OFFSET,
            description="published_at is ISO 8601 with an offset",
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column=PUBLISHED_DATE, description="published_at is a real date and time"
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column=PUBLISHED_DATE,
            min_value=parameter(EARLIEST_PUBLISHED),
            max_value=parameter(LATEST_PUBLISHED),
            description="published on $min_value or $max_value",
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="dateline",
            min_value=2,
            max_value=60,
            description="dateline is null or 2 to 60 chars",
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="body",
            min_value=40,
            max_value=100_000,
            description="body has 40 to 100000 chars",
        ),
        gxe.ExpectColumnValuesToNotMatchRegex(
            column="body", regex=HTML_TAG, description="body has no HTML tags"
        ),
        gxe.ExpectColumnValuesToNotMatchRegex(
            column="body", regex=HTML_ENTITY, description="body has no HTML entities"
        ),
        gxe.ExpectColumnValuesToNotMatchRegex(
            column="body", regex=ENDITEM, description="body has no Enditem trailer"
        ),
        gxe.ExpectColumnValuesToNotMatchRegex(
            column="body", regex=BOILERPLATE, description="body has no page boilerplate"
        ),
        gxe.ExpectColumnValuesToNotMatchRegex(
            column="body", regex=SCRIPT_TEXT, description="body has no script text"
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column=STOPWORD_SHARE,
            min_value=parameter(MIN_ENGLISH_SHARE),
            description="body reads as English (stopword share >= $min_value)",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="source",
            value_set=list(KNOWN_AGENCIES),
            description="source is a known agency",
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="content_hash", regex=SHA256_HEX, description="content_hash is 64 hex digits"
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="page_date",
            regex=OPTIONAL_ISO_DATE,
            description="page_date is empty or YYYY-MM-DD",
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="raw_ref", min_value=1, description="raw_ref is null or not empty"
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="duplicate_of", min_value=1, description="duplicate_of is null or not empty"
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="story_id", min_value=1, description="story_id is null or not empty"
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="editor",
            min_value=1,
            max_value=200,
            description="editor is null or a name of 1-200 characters",
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="extraction",
            value_set=["adapter", "fallback", "generic"],
            description="extraction names its method",
        ),
    ]
    # Passed to the constructor, not add_expectation(), which needs a current data context.
    return gx.ExpectationSuite(name=suite_name_for(feed), expectations=expectations)


def build_batch_suite(*, feed: str = FEED) -> ExpectationSuite:
    """Expectations on the batch as a whole: a plausible size for a day, few enough rejects.

    No descriptions: a description replaces GX's own wording in Data Docs, which shows the
    run's values of the parameters ("greater than or equal to 1 and less than or equal to 4").
    """
    gx = import_gx()
    gxe = gx.expectations
    expectations = [
        gxe.ExpectTableRowCountToBeBetween(
            min_value=parameter(MIN_ROWS), max_value=parameter(MAX_ROWS)
        ),
        gxe.ExpectColumnMeanToBeBetween(
            column=BATCH_REJECTED, min_value=0, max_value=parameter(MAX_REJECT_SHARE)
        ),
    ]
    return gx.ExpectationSuite(name=batch_suite_name_for(feed), expectations=expectations)


def check_batch(
    result: ValidationResult,
    *,
    min_rows: int,
    max_rows: int,
    max_reject_share: float,
    feed: str = FEED,
    day: DayRows | None = None,
    run_id: str | None = None,
) -> BatchCheck:
    """Run the batch-level suite over the day: this run's validated batch plus what the day
    already holds (`day`), one row per article, 1 = rejected. run_id names the GX run when the
    batch was empty (no rows' result to share its run with)."""
    import pandas as pd

    day = day or DayRows()
    passed = len(result.passed) + day.loaded
    rejected = len(result.rejected) + day.open_rejects
    flags = [0] * passed + [1] * rejected
    share = rejected / len(flags) if flags else 0.0
    frame = pd.DataFrame({BATCH_REJECTED: pd.Series(flags, dtype="int64")})
    # The same run as the rows' validation, so Data Docs list the two results together.
    run = result.result_id.run_id if result.result_id is not None else None
    result_id, suite_result = _run_checkpoint(
        batch_checkpoint_for(feed),
        frame,
        batch_suite_parameters(
            min_rows=min_rows, max_rows=max_rows, max_reject_share=max_reject_share
        ),
        run_name=run_id,
        run=run,
    )
    failures: list[str] = []
    for outcome in suite_result.to_json_dict().get("results", []):
        # An empty batch has no reject share (GX fails a mean over no rows): the row count speaks.
        is_share = outcome["expectation_config"]["type"].startswith("expect_column_")
        if outcome.get("success") or (is_share and not flags):
            continue
        if is_share and share <= day.judged_share:
            continue  # the run left the day no worse than earlier runs judged it: not its fault
        failures.append(_batch_failure_line(result, outcome, passed=passed, rejected=rejected))
    statistics = {
        "rows": len(flags),
        "rejected": rejected,
        "reject_share": round(share, 4),
        "batch_rows": len(result.passed) + len(result.rejected),
        "day_loaded": day.loaded,
        "day_open_rejects": day.open_rejects,
        "judged_share": round(day.judged_share, 4),
        "min_rows": min_rows,
        "max_rows": max_rows,
        "max_reject_share": max_reject_share,
    }
    return BatchCheck(
        failures=failures,
        suite_name=batch_suite_name_for(feed),
        statistics=statistics,
        suite_result=suite_result,
        result_id=result_id,
    )


def raise_for_batch(check: BatchCheck, *, run_id: str) -> None:
    """Fail the run with what was expected and what was seen."""
    if check.failures:
        raise BatchValidationError(
            f"run {run_id}: the batch failed {len(check.failures)} of its expectations: "
            + " | ".join(check.failures)
        )


def _batch_failure_line(
    result: ValidationResult, outcome: Mapping[str, Any], *, passed: int, rejected: int
) -> str:
    config = outcome["expectation_config"]
    kwargs = config["kwargs"]
    kind = config["type"]
    observed = (outcome.get("result") or {}).get("observed_value")
    if kind == "expect_table_row_count_to_be_between":
        return (
            f"{kind}: expected {kwargs.get('min_value')} to {kwargs.get('max_value')} articles "
            f"for the day, saw {observed}"
        )
    if kind == "expect_column_mean_to_be_between" and kwargs.get("column") == BATCH_REJECTED:
        total = passed + rejected
        return (
            f"{kind}({BATCH_REJECTED}): {rejected} of {total} articles "
            f"({rejected / max(total, 1):.1%}) failed validation; the limit is "
            f"{float(kwargs.get('max_value') or 0):.1%}. Top failures: "
            f"{_top_failures(result) or 'none recorded'}"
        )
    error = _raised_exception(outcome.get("exception_info") or {})
    return f"{kind}{kwargs}: observed {_short_repr(observed)}" + (f" ({error})" if error else "")


def validate_articles(
    articles: Sequence[Article],
    *,
    target_day: dt.date,
    allowed_hosts: Sequence[str],
    run_id: str,
    feed: str = FEED,
) -> ValidationResult:
    """Run the suite once over the batch; articles with any failed expectation are rejected."""
    suite_name = suite_name_for(feed)
    if not articles:
        return ValidationResult(
            passed=[], rejected=[], statistics=_statistics({}, 0, 0, 0), suite_name=suite_name
        )
    checkpoint = checkpoint_for(feed)
    result_id, suite_validation = _run_checkpoint(
        checkpoint,
        articles_frame(articles),
        suite_parameters(target_day=target_day, allowed_hosts=allowed_hosts),
        run_name=run_id,
    )
    suite_result = _unsuccessful_json(suite_validation)
    suite = checkpoint.validation_definitions[0].suite
    failures_by_row = failures_by_batch_row(suite_result, suite_order=_suite_order(suite))

    passed: list[Article] = []
    rejected: list[Rejection] = []
    for row, article in enumerate(articles):
        failures = failures_by_row.get(row)
        if failures:
            rejected.append(_rejection(article, failures))
        else:
            passed.append(article)
    statistics = _statistics(
        suite_result.get("statistics", {}), len(articles), len(passed), len(rejected)
    )
    log.debug(
        "run %s: validated %d articles with %s: %d passed, %d rejected",
        run_id,
        len(articles),
        suite_name,
        len(passed),
        len(rejected),
    )
    return ValidationResult(
        passed=passed,
        rejected=rejected,
        statistics=statistics,
        suite_name=suite_name,
        suite_result=suite_validation,
        result_id=result_id,
    )


def check_reject_share(result: ValidationResult, *, max_share: float) -> None:
    """Raise BatchValidationError when more than max_share of the batch was rejected."""
    total = len(result.passed) + len(result.rejected)
    if total == 0 or len(result.rejected) / total <= max_share:
        return
    top = _top_failures(result)
    raise BatchValidationError(
        f"{len(result.rejected)} of {total} articles ({len(result.rejected) / total:.1%}) "
        f"failed validation; the limit is {max_share:.1%}. Top failures: {top or 'none recorded'}"
    )


def top_failed_expectations(rejections: Sequence[Rejection]) -> list[tuple[str, int]]:
    """`expectation(column)` labels by how many rejected rows failed them, most first."""
    counts: Counter[str] = Counter()
    for rejection in rejections:
        labels = {
            f"{failure['expectation']}({failure['column']})"
            for failure in rejection.details.get("failed", [])
        }
        counts.update(sorted(labels))  # sorted: ties keep a stable order
    return counts.most_common()


def _top_failures(result: ValidationResult) -> str:
    top = top_failed_expectations(result.rejected)[:5]
    return ", ".join(f"{label} ({count})" for label, count in top)


def articles_frame(articles: Sequence[Article]) -> pd.DataFrame:
    """One row per article: every Article field plus the batch row number and published date."""
    import pandas as pd

    # Built column by column from the (flat) fields: no per-row dict, no deep copy.
    names = [f.name for f in dataclasses.fields(Article)]
    data: dict[str, list[Any]] = {
        name: [getattr(article, name) for article in articles] for name in names
    }
    data[BATCH_ROW] = list(range(len(articles)))
    data[PUBLISHED_DATE] = [beijing_date(article.published_at) for article in articles]
    data[STOPWORD_SHARE] = [english_stopword_share(article.body) for article in articles]
    # object dtype keeps None and datetime.date as they are, whatever pandas' string default is.
    columns = [*names, BATCH_ROW, PUBLISHED_DATE, STOPWORD_SHARE]
    return pd.DataFrame(data, columns=columns).astype(object)


def english_stopword_share(text: str | None) -> float | None:
    """Share of the words of text that are common English stopwords (None for no words)."""
    if not text:
        return None
    if text.isascii() or _NON_ASCII_LETTER.search(text) is None:
        folded = text.encode("ascii", "replace").translate(_ASCII_FOLD)
        # Without an apostrophe every run of letters is a word.
        folded_words = _FOLDED_WORD.findall(folded) if b"'" in folded else folded.split()
        if not folded_words:
            return 0.0
        stopwords = sum(map(_FOLDED_STOPWORDS.__contains__, folded_words))
        return round(stopwords / len(folded_words), 4)
    words = _WORD.findall(text)
    if not words:
        return 0.0
    stopwords = sum(map(ENGLISH_STOPWORDS.__contains__, map(str.lower, words)))
    return round(stopwords / len(words), 4)


def beijing_date(published_at: str | None) -> dt.date | None:
    """The Beijing calendar date of an ISO timestamp (naive ones are taken as Beijing time)."""
    if not published_at:
        return None
    try:
        moment = dt.datetime.fromisoformat(published_at)
    except ValueError:
        return None
    beijing = ZoneInfo(TIMEZONE)
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(beijing).date()


def failures_by_batch_row(
    suite_result: Mapping[str, Any], *, suite_order: Mapping[str, int] | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Map each failed expectation's unexpected rows back to batch rows (JSON-plain details)."""
    order = suite_order or {}
    results = sorted(
        suite_result.get("results", []),
        key=lambda r: order.get(r["expectation_config"].get("description") or "", len(order)),
    )
    failures: dict[int, list[dict[str, Any]]] = {}
    for result in results:
        config = result["expectation_config"]
        error = _raised_exception(result.get("exception_info") or {})
        if error is not None:
            raise ValidationSuiteError(
                f"{config['type']} on {config['kwargs'].get('column')} could not run: {error}"
            )
        if result.get("success"):
            continue
        unexpected = (result.get("result") or {}).get("unexpected_index_list")
        if not unexpected:
            raise ValidationSuiteError(
                f"{config['type']} on {config['kwargs'].get('column')} failed without naming rows"
            )
        column = config["kwargs"].get("column")
        kwargs = {
            k: _plain(v) for k, v in config["kwargs"].items() if k not in ("batch_id", "column")
        }
        description = _described(config.get("description"), kwargs)
        for entry in unexpected:
            failures.setdefault(int(entry[BATCH_ROW]), []).append(
                {
                    "expectation": config["type"],
                    "column": column,
                    "description": description,
                    "kwargs": kwargs,
                    "observed": observed_value(config["type"], kwargs, entry.get(column)),
                }
            )
    return failures


def observed_value(expectation_type: str, kwargs: Mapping[str, Any], value: Any) -> Any:
    """What was wrong, kept short: the offending text, the length, or the (trimmed) value."""
    value = _plain(value)
    if not isinstance(value, str):
        return value
    if expectation_type == "expect_column_value_lengths_to_be_between":
        return len(value)
    if expectation_type == "expect_column_values_to_not_match_regex":
        match = re.search(kwargs["regex"], value)
        if match:
            return match.group(0)[:_OBSERVED_MAX_CHARS]
    return value[:_OBSERVED_MAX_CHARS]


def _described(description: str | None, kwargs: Mapping[str, Any]) -> str | None:
    """The description with its `$argument` names replaced by the values the run used."""
    if not description:
        return description
    return string.Template(description).safe_substitute({k: str(v) for k, v in kwargs.items()})


def _rejection(article: Article, failures: list[dict[str, Any]]) -> Rejection:
    parts = [
        f"{f['expectation']}({f['column']}) {f['description'] or ''}: observed "
        f"{_short_repr(f['observed'])}"
        for f in failures
    ]
    return Rejection(
        feed=article.feed,
        url=article.url,
        stage="validate",
        reason="expectation_failed",
        message=f"{len(failures)} expectation(s) failed: " + "; ".join(parts),
        article_id=article.article_id,
        details={"failed": failures},
        raw_ref=article.raw_ref,
    )


def _short_repr(value: Any) -> str:
    text = repr(value)  # repr escapes newlines, so the message stays on one line
    if len(text) > _MESSAGE_OBSERVED_MAX_CHARS:
        return text[: _MESSAGE_OBSERVED_MAX_CHARS - 3] + "..."
    return text


def _statistics(
    gx_statistics: Mapping[str, Any], rows: int, passed: int, rejected: int
) -> dict[str, int]:
    return {
        "evaluated_expectations": int(gx_statistics.get("evaluated_expectations", 0)),
        "successful_expectations": int(gx_statistics.get("successful_expectations", 0)),
        "unsuccessful_expectations": int(gx_statistics.get("unsuccessful_expectations", 0)),
        "rows": rows,
        "passed": passed,
        "rejected": rejected,
    }


def _unsuccessful_json(suite_validation: Any) -> dict[str, Any]:
    """The suite result as failures_by_batch_row() reads it: its statistics and, as JSON, only
    the expectations that did not succeed (GX fails an expectation that raised). The whole
    result's to_json_dict() deep-copies and converts every expectation's result, passed ones
    included: about as much CPU as the rest of the split at 1,000 rows."""
    return {
        "statistics": dict(suite_validation.statistics),
        "results": [
            outcome.to_json_dict() for outcome in suite_validation.results if not outcome.success
        ],
    }


def _suite_order(suite: ExpectationSuite) -> dict[str, int]:
    """Position of each expectation by its (unique) description, to report in suite order."""
    return {
        expectation.description or "": position
        for position, expectation in enumerate(suite.expectations)
    }


def _raised_exception(exception_info: Mapping[str, Any]) -> str | None:
    # GX nests the info per metric when a metric fails, and keeps it flat otherwise.
    candidates = [exception_info, *(v for v in exception_info.values() if isinstance(v, Mapping))]
    for info in candidates:
        if info.get("raised_exception"):
            return str(info.get("exception_message") or "unknown error")
    return None


def _plain(value: Any) -> Any:
    """JSON-plain python: no numpy scalars, no NaN, dates as ISO strings."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return _plain(value.item())
    return str(value)


def import_gx() -> ModuleType:
    """Import GX quietly: analytics off and its INFO logs muted unless configured otherwise."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    gx_logger = logging.getLogger("great_expectations")
    if gx_logger.level == logging.NOTSET:
        gx_logger.setLevel(logging.WARNING)
    already_imported = "great_expectations" in sys.modules
    began = time.perf_counter()
    import great_expectations as gx

    if not already_imported:
        # In an Airflow task this line means the worker was not preloaded (wire_ingest.airflow.celery_worker).
        log.info("imported Great Expectations in %.1f s", time.perf_counter() - began)
    if gx_logger.level >= logging.WARNING:
        # A few GX modules pin their own logger to INFO ("Created temporary directory ..."):
        # let them follow the muted parent.
        for name, logger in list(logging.Logger.manager.loggerDict.items()):
            if not isinstance(logger, logging.Logger) or not name.startswith("great_expectations."):
                continue
            if logger.level == logging.INFO:
                logger.setLevel(logging.NOTSET)
    return gx


@functools.cache
def gx_context() -> AbstractDataContext:
    """One ephemeral GX context per process: suites, checkpoints and results live in memory."""
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Progress bars end up as error-level log lines in Airflow task logs.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


@functools.cache
def batch_definition() -> BatchDefinition:
    """A pandas asset whose batch is a whole DataFrame, given to each checkpoint run."""
    source = gx_context().data_sources.add_pandas(name="wire_ingest")
    asset = source.add_dataframe_asset(name="articles")
    return asset.add_batch_definition_whole_dataframe(name="whole_dataframe")


@functools.cache
def checkpoint_for(feed: str) -> Checkpoint:
    """The feed's row-level checkpoint: its suite, added once per process (Airflow: at preload)."""
    return _add_checkpoint(build_suite(feed=feed), RESULT_FORMAT)


@functools.cache
def batch_checkpoint_for(feed: str) -> Checkpoint:
    """The feed's batch-level checkpoint, added once per process like checkpoint_for()."""
    return _add_checkpoint(build_batch_suite(feed=feed), BATCH_RESULT_FORMAT)


def prepare(feeds: Iterable[str]) -> None:
    """Build the checkpoints of these feeds now, e.g. before a scheduler forks its workers."""
    for feed in feeds:
        checkpoint_for(feed)
        batch_checkpoint_for(feed)


def _add_checkpoint(suite: ExpectationSuite, result_format: Any) -> Checkpoint:
    """The suite, one ValidationDefinition of it over the whole-DataFrame batch, a Checkpoint."""
    gx = import_gx()
    context = gx_context()
    suite = context.suites.add_or_update(suite)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite.name, data=batch_definition(), suite=suite)
    )
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=suite.name, validation_definitions=[definition], result_format=result_format
        )
    )


def _run_checkpoint(
    checkpoint: Checkpoint,
    frame: pd.DataFrame,
    parameters: Mapping[str, Any],
    *,
    run_name: str | None = None,
    run: Any = None,
) -> tuple[Any, Any]:
    """Run a one-definition checkpoint over frame: (result identifier, suite validation result).

    The run is named by the run key (Data Docs use it in paths), unless an earlier result's run
    identifier is given.
    """
    gx = import_gx()
    from wire_ingest.landing import safe_key

    if run is None:
        run = gx.RunIdentifier(run_name=safe_key(run_name) if run_name else None)
    outcome = checkpoint.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=dict(parameters),
        run_id=run,
    )
    ((result_id, suite_result),) = outcome.run_results.items()
    return result_id, suite_result
