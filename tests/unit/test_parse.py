"""Tests for the article parser: golden pages, field rules, decoding, duplicate hash and the CLI."""

from __future__ import annotations

import dataclasses
import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from wire_ingest import cli, text
from wire_ingest.adapters import base, china_org_cn
from wire_ingest.models import Article

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
SEED_URL = "http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187.htm"
GOLDEN_NAMES = sorted(p.name.removesuffix(".expected.json") for p in PAGES.glob("*.expected.json"))


def _expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAGES / f"{name}.expected.json").read_text(encoding="utf-8"))
    return data


def _page(name: str) -> bytes:
    return (PAGES / f"{name}.html").read_bytes()


def _html(
    container: str, *, title: str = "A title", guild: str = "Xinhua, January 21, 2019"
) -> bytes:
    """A minimal page in the site's template with the given body container contents."""
    return (
        f'<html><body><div class="wrapper"><h1 id="title">{title}</h1>'
        f'<dl id="guild"><dd>{guild}</dd></dl>'
        f'<div class="apDiv1"><div id="container_txt">{container}</div></div></div></body></html>'
    ).encode()


# ---------------------------------------------------------------- golden pages


def test_every_fixture_page_has_an_expectation() -> None:
    pages = sorted(p.name.removesuffix(".html") for p in PAGES.glob("*.html"))
    assert pages == GOLDEN_NAMES
    assert len(GOLDEN_NAMES) >= 8


@pytest.mark.parametrize("name", [n for n in GOLDEN_NAMES if "article" in _expected(n)])
def test_golden_page_gives_exactly_the_expected_article(name: str) -> None:
    expected = _expected(name)
    article = china_org_cn.parse_article(_page(name), expected["url"])
    # Fields a fixture does not name (added to Article later) must hold their defaults.
    defaults = {f.name: f.default for f in dataclasses.fields(Article)}
    assert article.to_dict() == {**defaults, **expected["article"]}


@pytest.mark.parametrize("name", [n for n in GOLDEN_NAMES if "not_an_article" in _expected(n)])
def test_golden_non_article_page_is_refused(name: str) -> None:
    expected = _expected(name)
    with pytest.raises(base.NotAnArticle) as caught:
        china_org_cn.parse_article(_page(name), expected["url"])
    assert caught.value.reason == expected["not_an_article"]


def test_seed_page_matches_reference() -> None:
    expected = _expected("seed-2020-12-23")
    article = china_org_cn.parse_article(_page("seed-2020-12-23"), expected["url"])
    assert article.url == SEED_URL == expected["url"]
    assert article.title == expected["title"]
    assert article.source == expected["source"]
    assert article.published_at == f"{expected['published_date']}T00:00:00+08:00"
    assert article.dateline is expected["dateline"] is None
    assert len(article.body.split("\n\n")) == expected["paragraph_count"]
    assert article.body.startswith(expected["body_starts_with"])
    assert article.body.endswith(expected["body_ends_with"])
    for phrase in expected["body_must_not_contain"]:
        assert phrase not in article.body
    assert "&#x27;" not in article.body and "two countries' relations" in article.body
    assert article.section == "world"
    assert article.page_date == "2020-12-23"
    assert article.canonical_url == SEED_URL.replace("http://", "https://")
    assert article.content_hash == text.content_hash(article.body)


def test_raw_ref_and_feed_pass_through() -> None:
    article = china_org_cn.parse_article(
        _page("seed-2020-12-23"), SEED_URL, feed="other_feed", raw_ref="file:///x.warc.gz#rec-1"
    )
    assert (article.feed, article.raw_ref, article.duplicate_of) == (
        "other_feed",
        "file:///x.warc.gz#rec-1",
        None,
    )


def test_gb18030_page_decodes_without_declaration_and_with_header() -> None:
    page = _page("gb18030-no-charset-2020-01-10")
    url = _expected("gb18030-no-charset-2020-01-10")["url"]
    assert "(春运)" in china_org_cn.parse_article(page, url).body
    assert (
        china_org_cn.parse_article(page, url, charset="GB2312").title
        == "China’s Spring Festival travel rush begins"
    )
    # A header that claims UTF-8 for GB bytes is wrong; strict decoding notices and falls back.
    assert "农历新年" in china_org_cn.parse_article(page, url, charset="utf-8").body


# ---------------------------------------------------------------- decoding


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        ("café".encode(), None, "café"),
        ("café".encode("latin-1"), "iso-8859-1", "café"),  # the HTTP header wins
        (b'<meta charset="windows-1252">caf\xe9', None, '<meta charset="windows-1252">café'),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
            + "中国".encode("gbk"),
            None,
            '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">中国',
        ),
        ("中国".encode("gb18030"), None, "中国"),  # no declaration, not UTF-8
        ("中国".encode("gb18030"), "no-such-charset", "中国"),
        (b"\xef\xbb\xbfBOM", "gbk", "BOM"),
    ],
)
def test_decode_html(data: bytes, charset: str | None, expected: str) -> None:
    assert text.decode_html(data, charset) == expected


def test_meta_charset_is_used_when_no_header_is_given() -> None:
    page = (
        '<html><head><meta charset="gbk"></head><body><h1 id="title">中文标题</h1>'
        '<dl id="guild"><dd>Xinhua, January 21, 2019</dd></dl>'
        '<div id="container_txt"><p>正文。</p></div></body></html>'
    )
    assert china_org_cn.parse_article(page.encode("gbk"), SEED_URL).title == "中文标题"


# ---------------------------------------------------------------- source and date line


@pytest.mark.parametrize(
    ("text", "source", "published_at"),
    [
        ("Xinhua, January 21, 2019", "Xinhua", "2019-01-21T00:00:00+08:00"),
        ("Xinhua,December 23, 2020 ", "Xinhua", "2020-12-23T00:00:00+08:00"),
        ("Xinhua, March 05, 2021", "Xinhua", "2021-03-05T00:00:00+08:00"),
        ("China.org.cn, May 26, 2015", "China.org.cn", "2015-05-26T00:00:00+08:00"),
        (
            "0\n Comment(s)\nPrint\n \nE-mail\n Xinhua, January 21, 2019",
            "Xinhua",
            "2019-01-21T00:00:00+08:00",
        ),
        (
            "0 Comment(s)Print E-mail Xinhua, January 21, 2019",
            "Xinhua",
            "2019-01-21T00:00:00+08:00",
        ),
        (
            "Xinhua, January 21, 2019\nAdjust font size:\nA\n \nA\n \nA",
            "Xinhua",
            "2019-01-21T00:00:00+08:00",
        ),
        ("Xinhua, January 21, 2019\n Comment(s)", "Xinhua", "2019-01-21T00:00:00+08:00"),
        ("Xinhua, January 21, 2019 0 Comment(s)Print", "Xinhua", "2019-01-21T00:00:00+08:00"),
        ("China  Daily ,  July 1, 2022", "China Daily", "2022-07-01T00:00:00+08:00"),
        ("Adjust font size:", "", ""),
        ("Xinhua, February 30, 2021", "", ""),  # not a real day: not a date line
        ("Xinhua, 2021-03-05", "Xinhua", "2021-03-05T00:00:00+08:00"),
        ("", "", ""),
    ],
)
def test_source_and_published_at(text: str, source: str, published_at: str) -> None:
    assert china_org_cn.source_and_published_at(text) == (source, published_at)


def test_page_without_date_line_is_never_an_article_with_empty_source_and_date() -> None:
    with pytest.raises(base.NotAnArticle):
        china_org_cn.parse_article(
            _html("<p>Text.</p>", guild="0 Comment(s) Print E-mail"), SEED_URL
        )


def test_pinglun_counter_does_not_leak_into_source() -> None:
    guild = (
        '<font id="pinglun">12</font>Comment(s) <a>Print</a> <a>E-mail</a> Xinhua, April 30, 2025'
    )
    article = china_org_cn.parse_article(_html("<p>Text.</p>", guild=guild), SEED_URL)
    assert (article.source, article.published_at) == ("Xinhua", "2025-04-30T00:00:00+08:00")


# ---------------------------------------------------------------- body


@pytest.mark.parametrize(
    ("paragraph", "dateline", "rest"),
    [
        ("BEIJING, Dec. 23 (Xinhua) -- China said.", "BEIJING", "China said."),
        ("BRISBANE, Australia, Jan. 1(Xinhua) -- Smoke.", "BRISBANE, Australia", "Smoke."),
        ("UNITED NATIONS, Sept. 3 (Xinhua) -- The UN.", "UNITED NATIONS", "The UN."),
        ("WASHINGTON, March 4 (Xinhua) -- The U.S.", "WASHINGTON", "The U.S."),
        ("XI'AN, July 12 (Xinhua) -- Tourists.", "XI'AN", "Tourists."),
        ("CEBU, the Philippines, Oct. 2 (Xinhua) -- A storm.", "CEBU, the Philippines", "A storm."),
        ("ST. PETERSBURG, Russia, June 5 (Xinhua) -- Forum.", "ST. PETERSBURG, Russia", "Forum."),
        ("DAR ES SALAAM, Tanzania, Feb. 9 (Xinhua)—Port.", "DAR ES SALAAM, Tanzania", "Port."),
        ("HO CHI MINH CITY, April 30 (Xinhua) -- Vietnam.", "HO CHI MINH CITY", "Vietnam."),
        (
            "KUALA LUMPUR, Malaysia, Aug. 9 (Xinhua) --Palm oil.",
            "KUALA LUMPUR, Malaysia",
            "Palm oil.",
        ),
        (
            "The more turbulent the world is, Jan. 2 (Xinhua) -- x",
            None,
            "The more turbulent the world is, Jan. 2 (Xinhua) -- x",
        ),
        ("MEXICO CITY -- The death toll rose.", None, "MEXICO CITY -- The death toll rose."),
        ("BEIJING, Dec. 23 -- No agency.", None, "BEIJING, Dec. 23 -- No agency."),
    ],
)
def test_split_dateline(paragraph: str, dateline: str | None, rest: str) -> None:
    assert text.split_dateline(paragraph) == (dateline, rest)


@pytest.mark.parametrize(
    ("paragraph", "stripped"),
    [
        ("It ended. Enditem", "It ended."),
        ("It ended.Enditem", "It ended."),
        ("It ended. Enditem.", "It ended."),
        ("It ended. ■", "It ended."),
        ("It ended. Enditem ■", "It ended."),
        ("Enditem", ""),
        ("■", ""),
        ("It ended in the Senditem", "It ended in the Senditem"),
        ("No trailer here.", "No trailer here."),
    ],
)
def test_strip_trailer(paragraph: str, stripped: str) -> None:
    assert text.strip_trailer(paragraph) == stripped


def test_body_drops_boilerplate_and_empty_paragraphs() -> None:
    container = (
        "<p>BEIJING, Jan. 21 (Xinhua) -- First.</p><p>&nbsp;</p><p>  </p><p><img src='x.jpg'></p>"
        "<p>Second (Photo by Li Hua/Xinhua).</p>"
        "<p>Third. Enditem</p>"
        "<p>Follow China.org.cn on Twitter and Facebook to join the conversation.</p>"
        "<p>ChinaNews App Download</p>"
        "<p>Print E-mail Bookmark and Share</p>"
        "<p>0 Comment(s)</p>"
        "<p>Copyright © China.org.cn. All Rights Reserved</p>"
        '<p><!-- <div appproperty="x" --> appproperty="y"&gt; --&gt;</p>'
        "<p>--&gt;</p>"
    )
    article = china_org_cn.parse_article(_html(container), SEED_URL)
    assert article.dateline == "BEIJING"
    assert article.body == "First.\n\nSecond (Photo by Li Hua/Xinhua).\n\nThird."


def test_body_keeps_ordinary_paragraphs_that_mention_boilerplate_words() -> None:
    container = (
        "<p>Copyright disputes rose by 12 percent, the court said.</p>"
        "<p>Users can print and e-mail the forms, officials said.</p>"
    )
    article = china_org_cn.parse_article(_html(container), SEED_URL)
    assert article.body.split("\n\n") == [
        "Copyright disputes rose by 12 percent, the court said.",
        "Users can print and e-mail the forms, officials said.",
    ]


def test_body_text_decodes_entities_and_ignores_scripts_and_comments() -> None:
    container = (
        "<p>Tom &amp; Jerry&#x27;s <b>bold</b>\n  move<br>over <!-- hidden --> here"
        "<script>var x = 1;</script>.</p>"
    )
    article = china_org_cn.parse_article(_html(container), SEED_URL)
    assert article.body == "Tom & Jerry's bold move over here."


def test_dateline_only_first_paragraph_is_dropped() -> None:
    container = "<p>BEIJING, Jan. 21 (Xinhua) --</p><p>Body.</p>"
    article = china_org_cn.parse_article(_html(container), SEED_URL)
    assert (article.dateline, article.body) == ("BEIJING", "Body.")


def test_dateline_is_only_taken_from_the_first_paragraph() -> None:
    container = "<p>Intro.</p><p>BEIJING, Jan. 21 (Xinhua) -- Second.</p>"
    article = china_org_cn.parse_article(_html(container), SEED_URL)
    assert article.dateline is None
    assert article.body == "Intro.\n\nBEIJING, Jan. 21 (Xinhua) -- Second."


def test_body_outside_apdiv1_is_still_found() -> None:
    page = (
        b'<html><body><h1 id="title">T</h1><dl id="guild"><dd>Xinhua, December 23, 2020</dd></dl>'
        b'<div id="container_txt"><p>Only here.</p></div></body></html>'
    )
    assert china_org_cn.parse_article(page, SEED_URL).body == "Only here."


def test_page_with_body_but_no_title_is_refused_not_an_empty_title() -> None:
    page = b'<html><body><div class="apDiv1"><div id="container_txt"><p>Body.</p></div></div></body></html>'
    with pytest.raises(base.NotAnArticle) as caught:
        china_org_cn.parse_article(page, SEED_URL)
    assert caught.value.reason == "no_title_no_body"  # "Body." is no sentence of running prose


def test_page_with_title_but_no_body_is_refused_not_an_empty_body() -> None:
    with pytest.raises(base.NotAnArticle) as caught:
        china_org_cn.parse_article(_html(""), SEED_URL)
    assert caught.value.reason == "no_body"


# ---------------------------------------------------------------- not an article


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty_page"),
        (b"  \n\t ", "empty_page"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_html"),
        (b'{"title": "x", "body": "y"}', "not_html"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not_html"),
        (b"<html><body><p>Page not found</p></body></html>", "soft_404"),
        (
            b"<html><body><h1 id='title'> </h1><div id='container_txt'><p>&nbsp;</p></div></body></html>",
            "not_an_article: no_title",
        ),
    ],
)
def test_not_an_article(data: bytes, reason: str) -> None:
    with pytest.raises(base.NotAnArticle) as caught:
        china_org_cn.parse_article(data, SEED_URL)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) and "\n" not in str(caught.value)


# ---------------------------------------------------------------- exact-duplicate hash


def test_normalise_body() -> None:
    body = (
        "BEIJING, Dec. 23 (Xinhua) -- “China’s” economy — grew\u00a0 fast.\n\nSecond  LINE. Enditem"
    )
    assert text.normalise_body(body) == '"china\'s" economy - grew fast. second line.'


@pytest.mark.parametrize(
    "variant",
    [
        "China's economy -- grew fast.\n\nSecond line.",
        "CHINA’S ECONOMY — GREW FAST.\n\nSECOND LINE.",
        "  China's   economy – grew fast.\nSecond line. Enditem",
        "BEIJING, Dec. 23 (Xinhua) -- China's economy - grew fast. Second line. ■",
        "Ｃｈｉｎａ's economy -- grew fast.\n\nSecond line.",  # full-width letters (NFKC)
    ],
)
def test_content_hash_equal_for_exact_duplicates(variant: str) -> None:
    assert text.content_hash(variant) == text.content_hash(
        "China's economy - grew fast.\n\nSecond line."
    )


@pytest.mark.parametrize(
    "different",
    [
        "China's economy - grew fast.\n\nSecond line, updated.",
        "China's economy - grew slowly.\n\nSecond line.",
        "China's economy - grew fast.",
    ],
)
def test_content_hash_differs_for_different_text(different: str) -> None:
    assert text.content_hash(different) != text.content_hash(
        "China's economy - grew fast.\n\nSecond line."
    )


def test_content_hash_is_sha256_hex() -> None:
    digest = text.content_hash("x")
    assert len(digest) == 64 and int(digest, 16) >= 0


# ---------------------------------------------------------------- command line


def test_main_prints_article_json(capsys: pytest.CaptureFixture[str]) -> None:
    path = PAGES / "seed-2020-12-23.html"
    assert cli.main(["parse", str(path), "--url", SEED_URL]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = china_org_cn.parse_article(
        path.read_bytes(), SEED_URL, raw_ref=path.resolve().as_uri()
    )
    assert Article.from_dict(printed) == expected


def test_main_reads_gzip_and_keeps_non_ascii(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "gb18030-no-charset-2020-01-10"
    gz = tmp_path / "page.html.gz"
    gz.write_bytes(gzip.compress(_page(name)))
    assert cli.main(["parse", str(gz), "--url", _expected(name)["url"], "--feed", "f2"]) == 0
    out = capsys.readouterr().out
    assert "(春运)" in out  # ensure_ascii=False
    assert json.loads(out)["feed"] == "f2"
    assert json.loads(out)["body"] == _expected(name)["article"]["body"]


def test_main_not_an_article(capsys: pytest.CaptureFixture[str]) -> None:
    path = PAGES / "listing-node-7075238.html"
    assert (
        cli.main(["parse", str(path), "--url", "http://www.china.org.cn/world/node_7075238.htm"])
        == 1
    )
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "not an article: listing\n"


def test_main_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["parse", str(tmp_path / "nope.html"), "--url", SEED_URL]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.html" in err


def test_cli_subprocess(tmp_path: Path) -> None:
    command = [str(Path(sys.executable).with_name("wire-ingest")), "parse"]
    page = tmp_path / "seed.html"
    shutil.copy(PAGES / "seed-2020-12-23.html", page)
    done = subprocess.run(
        [*command, str(page), "--url", SEED_URL],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["title"] == _expected("seed-2020-12-23")["title"]
    assert printed["raw_ref"] == page.resolve().as_uri()
    refused = subprocess.run(
        [*command, str(PAGES / "listing-node-7075238.html"), "--url", SEED_URL],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (refused.returncode, refused.stderr) == (
        1,
        "not an article: listing\n",
    )
