"""sources.toml: the shipped file loads; bad configs fail with the field named."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from wire_ingest import sources
from wire_ingest.sources import SourceConfigError

GOOD: dict[str, Any] = {
    "base_url": "https://english.news.cn",
    "allowed_hosts": ["english.news.cn"],
    "listing_paths": ["/list/latestnews.htm"],
    "article_url_pattern": r"/\d{8}/[0-9a-f]{32}/c\.html$",
}


def _error(table: dict[str, Any], name: str = "wire") -> str:
    with pytest.raises(SourceConfigError) as caught:
        sources.parse_sources({"sources": {name: table}})
    return str(caught.value)


def test_shipped_sources_load_with_both_wires() -> None:
    declared = sources.load_sources()
    assert set(declared) >= {"china_org_cn", "xinhua_en"}
    china, xinhua = declared["china_org_cn"], declared["xinhua_en"]
    assert (china.adapter, china.dag) == ("china_org_cn", "wire_ingest")
    assert (xinhua.adapter, xinhua.dag) == ("news_cn", "wire_xinhua_en")
    assert xinhua.timezone == "Asia/Shanghai" and xinhua.suite == "wire_ingest.xinhua_en.articles"
    assert xinhua.is_article_url(
        "https://english.news.cn/20251231/0123456789abcdef0123456789abcdef/c.html"
    )
    assert not xinhua.is_article_url("https://english.news.cn/list/latestnews.htm")
    assert [s.name for s in sources.enabled_sources()] == ["china_org_cn", "xinhua_en"]


def test_defaults_fill_optional_fields() -> None:
    source = sources.parse_source("wire", GOOD)
    assert (source.adapter, source.paging, source.timezone, source.pool) == (
        "",
        "single",
        "UTC",
        "wire_fetch",
    )
    assert source.dag == "wire_wire"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"base_url": None}, "sources.wire.base_url: is required"),
        ({"base_url": "ftp://x.org"}, "sources.wire.base_url"),
        ({"allowed_hosts": []}, "sources.wire.allowed_hosts: must not be empty"),
        ({"allowed_hosts": ["other.org"]}, "sources.wire.allowed_hosts: must include"),
        ({"allowed_hosts": ["english.news.cn", "bad host"]}, "sources.wire.allowed_hosts[1]"),
        ({"allowed_hosts": "english.news.cn"}, "sources.wire.allowed_hosts: must be a list"),
        ({"listing_paths": ["list.htm"]}, "sources.wire.listing_paths[0]"),
        ({"paging": "infinite"}, "sources.wire.paging"),
        ({"max_listing_pages": 0}, "sources.wire.max_listing_pages"),
        ({"max_listing_pages": True}, "sources.wire.max_listing_pages: must be an integer"),
        ({"article_url_pattern": "("}, "sources.wire.article_url_pattern"),
        ({"timezone": "Mars/Olympus"}, "sources.wire.timezone"),
        ({"adapter": "nytimes"}, "sources.wire.adapter"),
        ({"rate_limit_rps": 0}, "sources.wire.rate_limit_rps"),
        ({"rate_limit_rps": "fast"}, "sources.wire.rate_limit_rps: must be a number"),
        ({"schedule": "daily"}, "sources.wire.schedule"),
        ({"pool": " "}, "sources.wire.pool"),
        ({"pool_slots": 0}, "sources.wire.pool_slots"),
        ({"min_day_articles": -1}, "sources.wire.min_day_articles"),
        ({"max_day_articles": 0}, "sources.wire.max_day_articles"),
        ({"min_day_articles": 50, "max_day_articles": 10}, "sources.wire.max_day_articles"),
        ({"colour": "red"}, "sources.wire.colour: unknown field"),
    ],
)
def test_bad_field_is_named_in_the_error(change: dict[str, Any], field: str) -> None:
    table = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    assert field in _error(table)


def test_bad_names_and_shapes_are_named() -> None:
    assert "sources.Bad-Name" in _error(GOOD, name="Bad-Name")
    with pytest.raises(SourceConfigError, match=r"^sources: needs at least one"):
        sources.parse_sources({})
    with pytest.raises(SourceConfigError, match=r"^sources\.wire: must be a table"):
        sources.parse_sources({"sources": {"wire": "x"}})
    with pytest.raises(SourceConfigError, match=r"^extra: unknown top-level key"):
        sources.parse_sources({"sources": {"wire": GOOD}, "extra": 1})


def test_two_sources_cannot_share_a_dag_id() -> None:
    with pytest.raises(SourceConfigError, match=re.escape("sources.bb.dag")):
        sources.parse_sources(
            {"sources": {"aa": {**GOOD, "dag": "wire_x"}, "bb": {**GOOD, "dag": "wire_x"}}}
        )


def test_file_errors_name_the_file_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "sources.toml"
    broken.write_text('[sources.wire]\nbase_url = "https://english.news.cn"\n')
    with pytest.raises(SourceConfigError, match=r"sources\.toml: sources\.wire\.allowed_hosts"):
        sources.load_sources(broken)
    broken.write_text("[sources.wire\n")
    with pytest.raises(SourceConfigError, match="not valid TOML"):
        sources.load_sources(broken)
    with pytest.raises(SourceConfigError, match="cannot read"):
        sources.load_sources(tmp_path / "missing.toml")


def test_env_points_at_another_file_and_edits_are_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "mine.toml"
    own.write_text(
        '[sources.wire]\nbase_url = "https://english.news.cn"\n'
        'allowed_hosts = ["english.news.cn"]\nlisting_paths = ["/a.htm"]\n'
        'article_url_pattern = "c\\\\.html$"\n'
    )
    monkeypatch.setenv("WIRE_SOURCES_FILE", str(own))
    assert list(sources.load_sources()) == ["wire"]
    own.write_text(own.read_text() + 'agency = "Xinhua"\nmax_listing_pages = 3\n')
    assert sources.get_source("wire").max_listing_pages == 3
    with pytest.raises(SourceConfigError, match="no source 'other'"):
        sources.get_source("other")


def test_pools_of_generated_dags_and_the_check_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sources.pools() == {
        "wire_fetch": {"slots": 4, "description": "Fetches of wire china_org_cn"},
        "wire_fetch_news_cn": {"slots": 2, "description": "Fetches of wire xinhua_en"},
    }
    assert sources.main(["pools"]) == 0
    assert '"wire_fetch_news_cn"' in capsys.readouterr().out
    assert sources.main([]) == 0
    assert "xinhua_en: news_cn adapter, DAG wire_xinhua_en" in capsys.readouterr().out
    broken = tmp_path / "broken.toml"
    broken.write_text("[sources.x1]\n")
    monkeypatch.setenv("WIRE_SOURCES_FILE", str(broken))
    assert sources.main(["check"]) == 1
    assert "sources.x1.base_url: is required" in capsys.readouterr().err


def test_fetch_settings_take_the_sources_rate_and_depth_unless_the_environment_sets_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pass

    source = sources.get_source("xinhua_en")
    monkeypatch.delenv("WIRE_MAX_RPS", raising=False)
    monkeypatch.delenv("WIRE_MAX_LISTING_PAGES", raising=False)
    declared = source.fetch_settings()
    assert declared.max_requests_per_second == source.rate_limit_rps
    assert declared.max_listing_pages == source.max_listing_pages
    monkeypatch.setenv("WIRE_MAX_LISTING_PAGES", "3")  # one set, the other still declared
    deeper = source.fetch_settings()
    assert (deeper.max_listing_pages, deeper.max_requests_per_second) == (3, source.rate_limit_rps)
    monkeypatch.setenv("WIRE_MAX_RPS", "0")
    assert source.fetch_settings().max_requests_per_second == 0


def test_day_article_bounds_are_the_sources_unless_the_environment_sets_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WIRE_MIN_DAY_ARTICLES", raising=False)
    monkeypatch.delenv("WIRE_MAX_DAY_ARTICLES", raising=False)
    wire = sources.parse_sources({"sources": {"wire": {**GOOD, "max_day_articles": 5000}}})["wire"]
    assert wire.day_article_band() == (1, 5000)
    plain = sources.parse_sources({"sources": {"wire": GOOD}})["wire"]
    assert plain.day_article_band() == (1, 10000)  # a 3,000-article day is no outlier for it
    assert sources.get_source("china_org_cn").day_article_band() == (1, 10000)
    monkeypatch.setenv("WIRE_MAX_DAY_ARTICLES", "4")
    assert wire.day_article_band() == (1, 4)
