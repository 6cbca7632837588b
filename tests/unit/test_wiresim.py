"""Tests of the local wire site simulator: determinism, listing, HTTP, answer key and page layout."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import requests

from wiresim import pages, prose
from wiresim import vocabulary as v
from wiresim.articles import Paragraph
from wiresim.generate import Site, build_site, content_id_anchor
from wiresim.server import start_in_thread

SEED_PAGE = Path("/work/shared/pages/seed-2020-12-23.html")
BASE = "http://127.0.0.1:8765"
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
AP_MONTH = r"(?:Jan\.|Feb\.|March|April|May|June|July|Aug\.|Sept\.|Oct\.|Nov\.|Dec\.)"
DATELINE = re.compile(rf"^(?P<place>.+?), {AP_MONTH} \d{{1,2}} ?\(Xinhua\) -- ")
LEAK_MARKERS = (
    "Follow China.org.cn on Twitter and Facebook",
    "ChinaNews App Download",
    "appproperty",
)


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(dt.date(2020, 12, 22), dt.date(2020, 12, 24), seed=7)


@pytest.fixture(scope="module")
def key(site: Site) -> list[dict[str, Any]]:
    return site.answer_key(BASE)


def page_text(site: Site, path: str) -> str:
    result = site.render(path, BASE)
    assert result is not None, path
    return result[2].decode("utf-8")


def collapse(text: str) -> str:
    return " ".join(text.split())


def reference_extract(html: str) -> dict[str, Any] | None:
    """An independent reading of a page by the rules the answer key promises (None: not an article)."""
    doc = lxml.html.fromstring(html)
    titles = doc.xpath('//*[contains(concat(" ", @class, " "), " wrapper ")]//h1[@id="title"]')
    paragraphs = doc.xpath(
        '//div[contains(concat(" ", @class, " "), " apDiv1 ")]/div[@id="container_txt"]//p'
    )
    if not titles and not paragraphs:
        return None
    date_line = collapse(doc.xpath('//*[@id="guild"]/dd')[0].text_content())
    match = re.search(rf"(Xinhua), ?({MONTHS}) (\d{{1,2}}), (\d{{4}})", date_line)
    assert match, date_line
    month = MONTHS.split("|").index(match.group(2)) + 1
    published = dt.date(int(match.group(4)), month, int(match.group(3)))
    texts = [collapse(p.text_content()) for p in paragraphs]
    texts = [t for t in texts if t and not any(marker in t for marker in LEAK_MARKERS)]
    dateline = None
    if texts and (found := DATELINE.match(texts[0])):
        dateline = found.group("place")
        texts[0] = texts[0][found.end() :].strip()
    if texts:
        texts[-1] = re.sub(r"\s*\bEnditem$", "", texts[-1]).strip()
    return {
        "title": collapse(titles[0].text_content()),
        "source": match.group(1),
        "published_at": f"{published.isoformat()}T00:00:00+08:00",
        "dateline": dateline,
        "body": "\n\n".join(t for t in texts if t),
    }


# -- determinism and speed ----------------------------------------------------------------


def test_same_arguments_build_identical_sites() -> None:
    first = build_site(dt.date(2020, 12, 23), dt.date(2020, 12, 24), seed=11, per_day=120)
    second = build_site(dt.date(2020, 12, 23), dt.date(2020, 12, 24), seed=11, per_day=120)
    assert first.answer_key(BASE) == second.answer_key(BASE)
    paths = [a.path for a in first.articles] + [
        pages.listing_path(n) for n in range(1, first.listing_pages() + 1)
    ]
    for path in paths:
        assert first.render(path, BASE) == second.render(path, BASE), path
    other_seed = build_site(dt.date(2020, 12, 23), dt.date(2020, 12, 24), seed=12, per_day=120)
    assert [a.title for a in other_seed.articles] != [a.title for a in first.articles]


SITE_DIGEST = """
import datetime as dt, hashlib, json
from wiresim.generate import build_site
site = build_site(dt.date(2020, 12, 23), dt.date(2020, 12, 23), seed=5, per_day=80)
digest = hashlib.sha256(json.dumps(site.answer_key("http://a")).encode())
for article in site.articles:
    digest.update(site.render(article.path, "http://a")[2])
print(digest.hexdigest())
"""


def test_pages_do_not_depend_on_the_process_hash_seed() -> None:
    digests = {
        subprocess.run(
            [sys.executable, "-c", SITE_DIGEST],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1 and len(digests.pop()) == 64


def test_a_day_does_not_depend_on_the_rest_of_the_range(site: Site) -> None:
    alone = build_site(dt.date(2020, 12, 23), dt.date(2020, 12, 23), seed=7)
    in_range = [a for a in site.articles if a.page_date == dt.date(2020, 12, 23)]
    assert [(a.path, a.title, a.paragraphs) for a in alone.articles] == [
        (a.path, a.title, a.paragraphs) for a in in_range
    ]


def test_a_week_at_240_a_day_has_every_article() -> None:
    # build speed is a benchmark concern (make bench), not a test assertion
    week = build_site(dt.date(2021, 3, 1), dt.date(2021, 3, 7), per_day=240)
    assert len(week.articles) == 7 * 240


def test_every_template_slot_resolves() -> None:
    rng = random.Random(3)
    templates = [
        (topic, t)
        for topic, spec in v.TOPICS.items()
        for part in (*(titles + leads for titles, leads in spec.angles), spec.details)
        for t in part
    ]
    shared = (*v.GENERIC_SENTENCES, *v.QUOTE_SENTENCES, *v.QUOTE_BODIES, *v.CLAUSES)
    templates += [(topic, t) for topic in v.TOPICS for t in shared]
    for topic, template in templates:
        text = prose.StoryContext(rng, dt.date(2021, 5, 4), topic).sentence(template)
        assert "{" not in text and "}" not in text, (topic, template, text)


# -- listing --------------------------------------------------------------------------------


def read_listing(site: Site) -> list[tuple[str, dt.datetime]]:
    """Follow the pagination from page 1 like a crawler; return (url, listed at) in page order."""
    by_page: dict[int, list[tuple[str, dt.datetime]]] = {}
    queue = [BASE + pages.listing_path(1)]
    seen: set[str] = set()
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        doc = lxml.html.fromstring(page_text(site, url.removeprefix(BASE)))
        number = int(doc.xpath('//div[@class="columns1"]/div[@id="autopage"]/center/span')[0].text)
        links = doc.xpath('//div[@class="columns1"]/div[@id="autopage"]/center/a')
        assert [int(a.text) for a in links] == [
            n for n in range(1, site.listing_pages() + 1) if n != number
        ]
        queue.extend(a.get("href") for a in links)
        rows = doc.xpath('//div[@class="columns1"]/ul/li')
        assert len(rows) <= pages.ITEMS_PER_LISTING_PAGE
        by_page[number] = [
            (
                row.xpath("a")[0].get("href"),
                dt.datetime.strptime(row.xpath("span")[0].text, "%Y-%m-%d %H:%M"),
            )
            for row in rows
        ]
    assert sorted(by_page) == list(range(1, site.listing_pages() + 1))
    assert all(
        len(by_page[n]) == pages.ITEMS_PER_LISTING_PAGE for n in range(1, site.listing_pages())
    )
    return [item for number in sorted(by_page) for item in by_page[number]]


def test_listing_shows_every_article_newest_first(site: Site) -> None:
    listed = read_listing(site)
    relisted = {BASE + a.path for a in site.articles if a.relisted_at is not None}
    counts = Counter(url for url, _ in listed)
    assert set(counts) == {BASE + a.path for a in site.articles}
    assert {url for url, n in counts.items() if n == 2} == relisted
    assert max(counts.values()) <= 2
    assert 0.01 <= len(relisted) / len(site.articles) <= 0.04
    stamps = [stamp for _, stamp in listed]
    assert stamps == sorted(stamps, reverse=True)
    assert len(listed) == len(site.articles) + len(relisted)
    assert site.listing_pages() == -(-len(listed) // 50)
    titles = {a.path: a.listing_title for a in site.articles}
    doc = lxml.html.fromstring(page_text(site, pages.listing_path(1)))
    first = doc.xpath('//div[@class="columns1"]/ul/li/a')[0]
    assert first.text == titles[first.get("href").removeprefix(BASE)]


def test_pages_past_the_end_and_unknown_paths_are_missing(site: Site) -> None:
    assert site.render(pages.listing_path(site.listing_pages() + 1), BASE) is None
    assert site.render("/world/node_7075238_1.htm", BASE) is None
    assert site.render("/world/Off_the_Wire/2020-12/23/content_1.htm", BASE) is None
    robots = site.render("/robots.txt", BASE)
    assert robots is not None and robots[2] == b"User-agent: *\nDisallow:\n"


# -- HTTP -----------------------------------------------------------------------------------


def test_real_http_listing_article_404_and_conditional_requests() -> None:
    small = build_site(dt.date(2020, 12, 23), dt.date(2020, 12, 23), per_day=60)
    article = small.articles[-5]  # on listing page 1 (newest first)
    with start_in_thread(small) as running, requests.Session() as http:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", running.base_url)
        listing = http.get(running.base_url + pages.listing_path(1), timeout=5)
        assert listing.status_code == 200
        assert listing.headers["Content-Type"] == "text/html; charset=utf-8"
        assert running.base_url + article.path in listing.text

        page = http.get(running.base_url + article.path, timeout=5)
        assert page.status_code == 200
        assert page.content == small.render(article.path, running.base_url)[2]  # type: ignore[index]
        etag, modified = page.headers["ETag"], page.headers["Last-Modified"]
        assert etag and modified.endswith("GMT")

        assert http.get(running.base_url + "/world/nothing.htm", timeout=5).status_code == 404
        again = http.get(
            running.base_url + article.path, headers={"If-None-Match": etag}, timeout=5
        )
        assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
        assert (
            http.get(
                running.base_url + article.path, headers={"If-None-Match": '"other"'}, timeout=5
            ).status_code
            == 200
        )
        since = http.get(
            running.base_url + article.path, headers={"If-Modified-Since": modified}, timeout=5
        )
        assert since.status_code == 304
        older = "Mon, 21 Dec 2020 00:00:00 GMT"
        assert (
            http.get(
                running.base_url + article.path, headers={"If-Modified-Since": older}, timeout=5
            ).status_code
            == 200
        )
        head = http.head(running.base_url + article.path, timeout=5)
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["Content-Length"]) == len(page.content)

        log = running.request_log
        assert log[0] == ("GET", pages.listing_path(1), 200)
        assert ("GET", "/world/nothing.htm", 404) in log
        assert [status for method, path, status in log if path == article.path] == [
            200,
            304,
            200,
            304,
            200,
            200,
        ]
    with pytest.raises(requests.ConnectionError):
        requests.get(running.base_url + "/robots.txt", timeout=2)


def test_site_command_serves_writes_key_and_stops_on_sigterm(tmp_path: Path) -> None:
    ready, key_file = tmp_path / "ready.txt", tmp_path / "key.json"
    command = [
        sys.executable,
        "-c",
        "import sys; from wiresim.server import main; sys.exit(main())",
        "--port",
        "0",
        "--start",
        "2020-12-23",
        "--end",
        "2020-12-23",
        "--per-day",
        "30",
        "--ready-file",
        str(ready),
        "--answer-key",
        str(key_file),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy()
    )
    try:
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert ready.exists(), process.stderr.read() if process.stderr else ""
        base_url = ready.read_text().strip()
        entries = json.loads(key_file.read_text())
        assert len(entries) == 30 and all(e["url"].startswith(base_url + "/") for e in entries)
        assert requests.get(entries[0]["url"], timeout=5).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert not ready.exists()


# -- answer key -----------------------------------------------------------------------------


def test_key_fields_and_invariants(site: Site, key: list[dict[str, Any]]) -> None:
    assert len(key) == len(site.articles) == 3 * 240
    urls = [e["url"] for e in key]
    assert len(set(urls)) == len(urls)
    ids = [a.content_id for a in site.articles]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    assert abs(ids[0] - 77_040_000) < 5_000
    expected_fields = {
        "url",
        "canonical_url",
        "title",
        "source",
        "published_at",
        "page_date",
        "dateline",
        "body",
        "section",
        "template",
        "story_id",
        "kind",
        "duplicate_of_url",
        "outcome",
        "reject_stage",
        "reject_reason",
    }
    for entry in key:
        assert set(entry) == expected_fields
        assert entry["canonical_url"] == entry["url"]
        assert re.fullmatch(
            r"http://127\.0\.0\.1:8765/(world|china)/Off_the_Wire/\d{4}-\d\d/\d\d/content_\d{8}\.htm",
            entry["url"],
        )
        assert entry["page_date"] == "-".join(entry["url"].split("/")[5:7]).replace("/", "-")
        assert "2020-12-22" <= entry["page_date"] <= "2020-12-24"
        if entry["published_at"] is not None:
            assert entry["published_at"][:10] <= entry["page_date"]
            assert entry["published_at"].endswith("T00:00:00+08:00")
        if entry["outcome"] == "load":
            assert entry["source"] == "Xinhua" and entry["title"] and entry["body"]
            assert 30 <= len(entry["title"]) <= 120
            assert "Enditem" not in entry["body"] and "(Xinhua) --" not in entry["body"]
            assert not re.search(r"<[a-z]+>|&[a-z]+;", entry["body"])
            published = dt.date.fromisoformat(entry["published_at"][:10])
            assert (dt.date.fromisoformat(entry["page_date"]) - published).days in (0, 1)
        else:
            assert entry["reject_stage"] in ("parse", "validate") and entry["reject_reason"]
    json.dumps(key)  # serialisable


def test_key_shares_of_duplicates_defects_and_lag(site: Site, key: list[dict[str, Any]]) -> None:
    by_url = {e["url"]: e for e in key}
    for day in ("2020-12-22", "2020-12-23", "2020-12-24"):
        entries = [e for e in key if e["page_date"] == day]
        defects = [e for e in entries if e["outcome"] == "reject"]
        assert 0.01 <= len(defects) / len(entries) < 0.10
        assert {e["reject_reason"] for e in defects} == {
            "not_an_article",
            "published_out_of_window",
            "markup_in_body",
            "title_missing",
        }
        lagged = [
            e
            for e in entries
            if e["published_at"] and e["published_at"][:10] < day and e["outcome"] == "load"
        ]
        assert 0.05 <= len(lagged) / len(entries) <= 0.16
    copies = [e for e in key if e["duplicate_of_url"]]
    assert 0.03 <= len(copies) / len(key) <= 0.07
    for copy in copies:
        original = by_url[copy["duplicate_of_url"]]
        assert copy["body"] == original["body"] and copy["story_id"] == original["story_id"]
        assert (copy["section"], copy["title"]) != (original["section"], original["title"])
        copy_page = site.article_for_path(copy["url"].removeprefix(BASE))
        original_page = site.article_for_path(original["url"].removeprefix(BASE))
        assert copy_page is not None and original_page is not None
        assert (copy_page.page_date, copy_page.seq) > (original_page.page_date, original_page.seq)
        assert copy_page.page_date == original_page.page_date
    stories = [e for e in key if e["kind"] in ("urgent", "writethru")]
    pairs: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in stories:
        pairs.setdefault(entry["story_id"], {})[entry["kind"]] = entry
    assert 0.02 <= len(stories) / len(key) <= 0.06
    for pair in pairs.values():
        urgent, writethru = pair["urgent"], pair["writethru"]
        assert urgent["title"].removeprefix("Urgent: ") == writethru["title"].removeprefix(
            "1st LD Writethru: "
        )
        assert "\n\n" not in urgent["body"] and 1 <= urgent["body"].count(". ") + 1 <= 3
        assert writethru["body"].startswith(urgent["body"] + "\n\n")
        assert urgent["dateline"] and urgent["dateline"] == writethru["dateline"]
    summaries = [e for e in key if e["kind"] == "summary"]
    assert len(summaries) == 3 * 4
    for summary in summaries:
        assert re.fullmatch(
            r"Xinhua world news summary at \d{4} GMT, Dec\. 2[234]", summary["title"]
        )
        items = summary["body"].split("\n\n- - - -\n\n")
        assert len(items) >= 5
        assert all(
            re.match(r"^[A-Z][A-Z .'-]+ -- ", item) and re.search(r"\([\w.]+(-\w+)+\)$", item)
            for item in items
        )
    shares = sum(
        1
        for a, b in itertools.pairwise(summaries)
        if a["page_date"] == b["page_date"]
        and set(a["body"].split("\n\n")) & set(b["body"].split("\n\n")) - {"- - - -"}
    )
    assert shares >= 6


def test_key_matches_an_independent_reading_of_every_page(
    site: Site, key: list[dict[str, Any]]
) -> None:
    for entry in key:
        seen = reference_extract(page_text(site, entry["url"].removeprefix(BASE)))
        if entry["reject_reason"] == "not_an_article":
            assert seen is None, entry["url"]
            assert entry["title"] == "" and entry["body"] == ""
            continue
        assert seen is not None, entry["url"]
        for field in ("title", "source", "published_at", "dateline", "body"):
            assert seen[field] == entry[field], (entry["url"], field)


def test_defects_look_like_what_they_claim(site: Site, key: list[dict[str, Any]]) -> None:
    for entry in key:
        reason = entry["reject_reason"]
        if reason == "published_out_of_window":
            assert entry["published_at"][:10] < str(
                dt.date.fromisoformat(entry["page_date"]) - dt.timedelta(days=300)
            )
        elif reason == "markup_in_body":
            assert re.search(r"<strong>|&nbsp;", entry["body"])
        elif reason == "title_missing":
            assert entry["title"] == "" and entry["body"]
            assert '<h1 id="title"></h1>' in page_text(site, entry["url"].removeprefix(BASE))


def test_unrelated_stories_share_little_text(key: list[dict[str, Any]]) -> None:
    def shingles(text: str) -> set[tuple[str, ...]]:
        words = text.lower().split()
        return {tuple(words[i : i + 5]) for i in range(max(1, len(words) - 4))}

    bodies = [
        (e["story_id"], e["kind"], shingles(e["body"]))
        for e in key
        if e["body"] and e["page_date"] == "2020-12-23"
    ]
    worst = 0.0
    for (story_a, kind_a, a), (story_b, kind_b, b) in itertools.combinations(bodies, 2):
        if story_a != story_b and "summary" not in (kind_a, kind_b):
            worst = max(worst, len(a & b) / len(a | b))
    assert worst < 0.3


# -- page templates -------------------------------------------------------------------------


def test_sidebar_template_reproduces_the_seed_page() -> None:
    seed = SEED_PAGE.read_text(encoding="utf-8")
    doc = lxml.html.fromstring(seed)
    sidebar = [
        (a.get("href"), a.text_content()) for a in doc.xpath('//div[@class="offwire"]//li/a')
    ]
    paragraphs = [Paragraph(p.text_content()) for p in doc.xpath('//div[@id="container_txt"]/p')]
    rendered = pages.sidebar_page(
        base="http://www.china.org.cn",
        title=doc.xpath('//h1[@id="title"]')[0].text_content(),
        keywords=doc.xpath('//meta[@name="keywords"]/@content')[0].split(", "),
        published=dt.date(2020, 12, 23),
        sidebar=sidebar,
        body=pages.body_html(paragraphs, content_id=77042187, image_dir="", wrap=False),
    )
    assert rendered == seed


def test_generated_pages_have_the_documented_structure(site: Site) -> None:
    sidebar = next(
        a for a in site.articles if a.template == "sidebar" and a.kind == "article" and not a.defect
    )
    standard = next(
        a
        for a in site.articles
        if a.template == "standard" and a.kind == "article" and not a.defect
    )
    for article, date_line in (
        (sidebar, f"Xinhua,{article_date(sidebar.published_date, pad=True)} Adjust font size:"),
        (
            standard,
            f"0 Comment(s)Print E-mail Xinhua, {article_date(standard.published_date, pad=False)} Adjust",
        ),
    ):
        html = page_text(site, article.path)
        assert '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />' in html
        doc = lxml.html.fromstring(html)
        assert (
            collapse(doc.xpath('//div[@class="wrapper"]//h1[@id="title"]')[0].text_content())
            == article.title
        )
        assert collapse(doc.xpath('//dl[@id="guild"]/dd')[0].text_content()).startswith(date_line)
        assert len(doc.xpath('//div[@class="apDiv1"]/div[@id="container_txt"]/p')) >= 2
        if "'" in article.title:
            assert "&#x27;" in html
    doc = lxml.html.fromstring(page_text(site, sidebar.path))
    headlines = doc.xpath('//div[@class="offwire"]/h3/text()') + doc.xpath(
        '//div[@class="offwire"]//li/a/text()'
    )
    assert headlines[0] == "Off the wire" and len(headlines) == 11
    same_day = {
        a.listing_title
        for a in site.articles
        if a.page_date == sidebar.page_date and a is not sidebar
    }
    assert set(headlines[1:]) <= same_day
    assert doc.xpath('//div[@class="crumb"]')[0].text_content().startswith("You are here:")
    standard_doc = lxml.html.fromstring(page_text(site, standard.path))
    outside = standard_doc.xpath('//div[@class="follow"]')[0].text_content()
    assert outside == pages.FOLLOW_TEXT
    assert standard_doc.xpath('//font[@id="pinglun"]')[0].text == "0"


def article_date(day: dt.date, *, pad: bool) -> str:
    return pages.long_date(day, pad=pad)


def test_pages_from_2025_leak_furniture_into_the_body_and_use_shtml() -> None:
    late = build_site(dt.date(2025, 4, 19), dt.date(2025, 4, 20), per_day=60)
    key = late.answer_key(BASE)
    by_day = Counter((e["page_date"], e["url"].rsplit(".", 1)[1]) for e in key)
    assert by_day == {("2025-04-19", "htm"): 60, ("2025-04-20", "shtml"): 60}
    assert {e["template"] for e in key} <= {"standard", "gallery", "error_page"}
    leaky = [a for a in late.articles if any(p.role == "leak" for p in a.paragraphs)]
    assert len(leaky) >= 0.7 * len(late.articles)
    for article in leaky:
        doc = lxml.html.fromstring(page_text(late, article.path))
        inside = [collapse(p.text_content()) for p in doc.xpath('//div[@id="container_txt"]/p')]
        assert pages.FOLLOW_TEXT in inside
        assert not doc.xpath('//div[@class="follow"]')
    assert any("appproperty" in p.text for a in leaky for p in a.paragraphs)
    for entry in key:
        assert "appproperty" not in entry["body"] and "Follow China.org.cn" not in entry["body"]
        seen = reference_extract(page_text(late, entry["url"].removeprefix(BASE)))
        if seen is not None:
            assert seen["body"] == entry["body"] and seen["title"] == entry["title"]
    assert 117_000_000 < late.articles[0].content_id < 118_000_000


def test_content_ids_follow_the_documented_anchors() -> None:
    assert 73_000_000 < content_id_anchor(dt.date(2019, 6, 1)) < 76_000_000
    assert 77_000_000 < content_id_anchor(dt.date(2020, 12, 23)) < 77_100_000
    assert 77_500_000 < content_id_anchor(dt.date(2022, 1, 1)) < 79_000_000
    assert 90_000_000 < content_id_anchor(dt.date(2023, 6, 1)) < 100_000_000
    assert 115_000_000 < content_id_anchor(dt.date(2024, 6, 1)) < 118_000_000
    days = [dt.date(2018, 1, 1) + dt.timedelta(days=n) for n in range(0, 3_300, 7)]
    anchors = [content_id_anchor(d) for d in days]
    assert anchors == sorted(anchors)


def test_copy_conventions_show_up_in_the_key(key: list[dict[str, Any]]) -> None:
    datelines = [e["dateline"] for e in key if e["dateline"]]
    assert 0.6 <= len(datelines) / len(key) <= 0.9
    assert any(", " in d for d in datelines) and any(", " not in d for d in datelines)
    assert all(d == d.split(", ")[0].upper() + d[len(d.split(", ")[0]) :] for d in datelines)
    bodies = "\n".join(e["body"] for e in key)
    assert re.search(r"\(Xinhua/[A-Z]", bodies) and re.search(r"\(Photo by [^)]+/Xinhua\)", bodies)
    prefixes = Counter(e["title"].split(": ")[0] for e in key if ": " in e["title"])
    assert {"Urgent", "1st LD Writethru"} <= set(prefixes)
    assert len(set(prefixes) - {"Urgent", "1st LD Writethru"}) >= 4
    assert any(e["section"] == "china" for e in key)
    assert 0.05 <= sum(e["section"] == "china" for e in key) / len(key) <= 0.18
    templates = Counter(e["template"] for e in key)
    assert 0.35 <= templates["sidebar"] / len(key) <= 0.65


def test_recent_window_always_holds_yesterday_in_beijing() -> None:
    """`wiresim --recent N` (the local profile): the scheduled run's day is always served."""
    from wiresim.server import recent_window

    # 17:00 UTC is already the next day in Beijing (UTC+8)
    late = dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC)
    assert recent_window(7, late) == (dt.date(2026, 11, 26), dt.date(2026, 12, 3))
    start, end = recent_window(1)
    assert end - start == dt.timedelta(days=1)
