"""A local copy of Xinhua English (english.news.cn): article pages, listing and answer key.

Served by the same server as the china.org.cn copy, on its own port
(`python -m wiresim.newscn --port 8766`). Every third clean story of the
china.org.cn copy's day is republished here (identical body, often another headline, an
earlier time, a `■` trailer), so both sources hold one story twice; `own_per_day` stories a
day are this site's alone. Raw-HTML labels (`新华网`, `华夏`), multi-page articles in one file
(`<img id="xinhuabreak">` or a hidden `pagebreak` paragraph) and paged listings
(`list/latestnews.htm`, `latestnews_2.htm`, ... with a rel=next link: a *guess*) follow
shared/docs/wire-site.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import random
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from wiresim import prose
from wiresim.articles import (
    Paragraph,
    SiteArticle,
    collapse_whitespace,
    expected_body,
)
from wiresim.generate import RenderResult, Site, build_site, text_response
from wiresim.pages import e

BEIJING = dt.timezone(dt.timedelta(hours=8))
ITEMS_PER_LISTING_PAGE = 30
LISTING_PATH = "/list/latestnews.htm"
_LISTING = re.compile(r"^/list/latestnews(?:_(\d+))?\.htm$")
BreakStyle = Literal["", "img", "hidden"]

# How the raw HTML names source and editor (the page script shows the English in a browser).
_SOURCE_SPELLINGS = ("新华网", "来源：新华网", "Source: Xinhua")
_EDITORS = (
    ("华夏", "huaxia"),
    ("责任编辑：华夏", "huaxia"),
    ("王璐", "Wang Lu"),
    ("Editor: huaxia", "huaxia"),
)
_DROPPED_ROLES = frozenset({"leak", "enditem"})
_ENDITEM = re.compile(r"\s*\bEnditem$")


@dataclass(frozen=True, slots=True)
class NewsCnArticle:
    """One english.news.cn article page of the local copy."""

    path: str  # /20201223/<32 hex>/c.html
    title: str
    published_at: dt.datetime  # Beijing time, to the second
    source_raw: str
    editor_raw: str
    editor: str  # what a browser shows, e.g. "huaxia"
    pages: tuple[tuple[Paragraph, ...], ...]  # one tuple per page of a multi-page article
    break_style: BreakStyle
    dateline: str | None
    dateline_prefix: str
    trailer: str  # "■" (newer copy) or "Enditem"
    story_id: str
    shared_with_path: str | None  # the china.org.cn page of the same copy, if any


def _clean_copy(paragraphs: Sequence[Paragraph]) -> tuple[Paragraph, ...]:
    """The copy without page furniture or its trailer (the renderer adds this site's trailer)."""
    kept = [p for p in paragraphs if p.role not in _DROPPED_ROLES]
    while kept and not kept[-1].text.strip():
        kept.pop()
    if kept:
        kept[-1] = Paragraph(_ENDITEM.sub("", kept[-1].text), kept[-1].role)
    return tuple(kept)


def _split(
    rng: random.Random, paragraphs: tuple[Paragraph, ...]
) -> tuple[tuple[tuple[Paragraph, ...], ...], BreakStyle]:
    if len(paragraphs) < 6 or rng.random() >= 0.3:
        return (paragraphs,), ""
    parts = 3 if len(paragraphs) >= 9 and rng.random() < 0.5 else 2
    cuts = sorted(rng.sample(range(2, len(paragraphs) - 1), parts - 1))
    bounds = [0, *cuts, len(paragraphs)]
    pages = tuple(paragraphs[a:b] for a, b in itertools.pairwise(bounds))
    return pages, rng.choice(("img", "hidden"))


def _hex_id(seed: int, key: str) -> str:
    return hashlib.sha256(f"newscn/{seed}/{key}".encode()).hexdigest()[:32]


def _shareable(article: SiteArticle) -> bool:
    return (
        article.kind in ("article", "writethru")
        and article.defect is None
        and article.duplicate_of_path is None
    )


def build_articles(wire: Site, *, seed: int = 7, own_per_day: int = 20) -> list[NewsCnArticle]:
    """The news.cn pages for the wire copy's days: a third of its stories plus its own."""
    found: list[NewsCnArticle] = []
    by_day: dict[dt.date, list[SiteArticle]] = {}
    for article in wire.articles:
        by_day.setdefault(article.page_date, []).append(article)
    for day in sorted(by_day):
        rng = random.Random(f"newscn/{seed}/{day.isoformat()}")
        shared = [a for a in by_day[day] if _shareable(a)][::3]
        for index, original in enumerate(shared):
            earlier = original.published_at - dt.timedelta(minutes=rng.randint(5, 90))
            when = max(earlier, dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING))
            title = original.title if rng.random() < 0.5 else original.listing_title
            found.append(
                _article(
                    rng,
                    seed,
                    f"{day}/s{index}",
                    when,
                    title,
                    _clean_copy(original.paragraphs),
                    original.dateline,
                    original.dateline_prefix,
                    original.story_id,
                    original.path,
                )
            )
        seconds = sorted(rng.sample(range(60, 86_340), own_per_day))
        for index, second in enumerate(seconds):
            story = prose.make_story(rng, day, with_dateline=rng.random() < 0.9)
            when = dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING) + dt.timedelta(
                seconds=second
            )
            found.append(
                _article(
                    rng,
                    seed,
                    f"{day}/o{index}",
                    when,
                    story.title,
                    story.paragraphs,
                    story.dateline,
                    story.dateline_prefix,
                    f"newscn-{day:%Y%m%d}-{index:04d}",
                    None,
                )
            )
    found.sort(key=lambda a: (a.published_at, a.path))
    return found


def _article(
    rng: random.Random,
    seed: int,
    key: str,
    when: dt.datetime,
    title: str,
    paragraphs: tuple[Paragraph, ...],
    dateline: str | None,
    dateline_prefix: str,
    story_id: str,
    shared_with: str | None,
) -> NewsCnArticle:
    pages, style = _split(rng, paragraphs)
    editor_raw, editor = rng.choice(_EDITORS)
    return NewsCnArticle(
        path=f"/{when:%Y%m%d}/{_hex_id(seed, key)}/c.html",
        title=title,
        published_at=when,
        source_raw=rng.choice(_SOURCE_SPELLINGS),
        editor_raw=editor_raw,
        editor=editor,
        pages=pages,
        break_style=style,
        dateline=dateline,
        dateline_prefix=dateline_prefix,
        trailer="■" if rng.random() < 0.7 else "Enditem",
        story_id=story_id,
        shared_with_path=shared_with,
    )


# ---------------------------------------------------------------- HTML


def _paragraph_html(paragraph: Paragraph) -> str:
    if paragraph.role == "image":
        return '<p style="text-align: center;"><img src="/titlepic/photo.jpg" alt="" /></p>'
    if paragraph.role == "empty":
        return "<p>&nbsp;</p>"
    if paragraph.role == "subhead":
        return f"<p><strong>{e(paragraph.text)}</strong></p>"
    if paragraph.role == "photo":
        return f'<p style="text-align: center;">{e(paragraph.text)}</p>'
    return f"<p>{e(paragraph.text)}</p>"


def _break_html(style: BreakStyle) -> str:
    if style == "img":
        return '<p><img id="xinhuabreak" src="/static/break.gif" alt="" /></p>'
    return '<p style="display:none">pagebreak</p>'


def article_html(article: NewsCnArticle) -> str:
    """One article page: every page of a multi-page article is in this one file."""
    parts: list[str] = []
    for number, page in enumerate(article.pages):
        if number:
            parts.append(_break_html(article.break_style))
        paragraphs = list(page)
        if number == len(article.pages) - 1 and paragraphs:
            last = paragraphs[-1]
            paragraphs[-1] = Paragraph(f"{last.text} {article.trailer}", last.role)
        parts.extend(_paragraph_html(p) for p in paragraphs)
    pager = ""
    if len(article.pages) > 1:
        links = " ".join(f'<a href="#page{n}">{n}</a>' for n in range(1, len(article.pages) + 1))
        pager = f'<div id="div_currpage">{links} <a href="#next">Next</a></div>\n'
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8" />\n'
        f"<title>{e(article.title)}-Xinhua</title>\n"
        '<meta name="robots" content="index,follow" />\n</head>\n<body>\n'
        '<div class="header"><a href="/"><img src="/static/logo.png" alt="Xinhua" /></a>'
        '<ul class="nav"><li><a href="/china/index.htm">China</a></li>'
        '<li><a href="/world/index.htm">World</a></li>'
        '<li><a href="/list/latestnews.htm">Latest</a></li></ul></div>\n'
        '<div class="conBox">\n  <div class="conTop">\n'
        f"    <h1>{e(article.title)}</h1>\n"
        '    <div class="infoBox">\n'
        f'      <div class="info"><span class="source">{e(article.source_raw)}</span> '
        f'<span class="editor">{e(article.editor_raw)}</span></div>\n'
        f'      <div class="time">{article.published_at:%Y-%m-%d %H:%M:%S}</div>\n'
        "    </div>\n  </div>\n"
        '  <div class="conLeft">\n    <div id="detail">\n      <span id="detailContent">'
        + "\n".join(parts)
        + "</span>\n"
        + pager
        + "    </div>\n"
        '    <div class="share">Share: <a href="#fb">Facebook</a> <a href="#tw">X</a></div>\n'
        "  </div>\n"
        '  <div class="conRight"><div class="hotNews"><h3>Most viewed</h3><ul>'
        '<li><a href="/list/latestnews.htm">Latest news</a></li></ul></div></div>\n'
        "</div>\n"
        "<script>var s = document.querySelector('.info .source'); "
        "s.innerText = s.innerText.indexOf('\\u65b0\\u534e') >= 0 ? 'Source: Xinhua' : s.innerText;"
        "</script>\n"
        '<div class="footer">Copyright &copy; 2000-2026 XINHUANET.com All rights reserved.</div>\n'
        "</body>\n</html>\n"
    )


def listing_html(items: Sequence[NewsCnArticle], *, page: int, pages: int, base: str) -> str:
    rows = "".join(
        f'  <div class="item"><div class="tit"><a href="{e(base + a.path)}">{e(a.title)}</a></div>'
        f'<div class="time">{a.published_at:%Y-%m-%d %H:%M:%S}</div></div>\n'
        for a in items
    )
    pager = ""
    if page < pages:
        pager = f'<div id="pager"><a rel="next" href="{base}/list/latestnews_{page + 1}.htm">Next</a></div>\n'
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8" />\n'
        "<title>Latest News-Xinhua</title>\n</head>\n<body>\n"
        '<div class="header"><a href="/">Xinhua</a></div>\n'
        '<div id="list">\n' + rows + "</div>\n" + pager + "</body>\n</html>\n"
    )


# ---------------------------------------------------------------- the site


class NewsCnSite(Site):
    """The english.news.cn copy for a date range; renders with the same server as the wire copy."""

    def __init__(
        self,
        start: dt.date,
        end: dt.date,
        *,
        seed: int = 7,
        per_day: int = 240,
        own_per_day: int = 20,
    ) -> None:
        wire = build_site(start, end, seed=seed, per_day=per_day)
        super().__init__(start, end, seed, per_day, [])
        self.wire = wire
        self.pages = build_articles(wire, seed=seed, own_per_day=own_per_day)
        self._pages_by_path = {a.path: a for a in self.pages}
        self.newest_first = sorted(self.pages, key=lambda a: (a.published_at, a.path), reverse=True)

    def listing_page_count(self) -> int:
        return max(1, -(-len(self.newest_first) // ITEMS_PER_LISTING_PAGE))

    def _render(self, path: str, base: str) -> RenderResult | None:
        if path == "/robots.txt":
            return super()._render(path, base)
        listing = _LISTING.match(path)
        if listing:
            number = int(listing.group(1) or 1)
            if listing.group(1) == "1" or not 1 <= number <= self.listing_page_count():
                return None
            size = ITEMS_PER_LISTING_PAGE
            chunk = self.newest_first[(number - 1) * size : number * size]
            newest = (
                self.newest_first[0].published_at if self.newest_first else dt.datetime.now(BEIJING)
            )
            html = listing_html(chunk, page=number, pages=self.listing_page_count(), base=base)
            return text_response(html, "text/html; charset=utf-8", newest)
        article = self._pages_by_path.get(path)
        if article is None:
            return None
        return text_response(
            article_html(article), "text/html; charset=utf-8", article.published_at
        )

    def answer_key(self, base_url: str) -> list[dict[str, Any]]:
        """What a correct adapter makes of every article page (editor included)."""
        base = base_url.rstrip("/")
        return [_key_entry(article, base) for article in self.pages]


def _key_entry(article: NewsCnArticle, base: str) -> dict[str, Any]:
    paragraphs = tuple(p for page in article.pages for p in page)
    return {
        "url": base + article.path,
        "canonical_url": base + article.path,
        "title": collapse_whitespace(article.title),
        "source": "Xinhua",
        "editor": article.editor,
        "published_at": article.published_at.isoformat(),
        "page_date": f"{article.published_at:%Y-%m-%d}",
        "dateline": article.dateline,
        "body": expected_body(paragraphs, article.dateline_prefix),
        "pages": len(article.pages),
        "story_id": article.story_id,
        "shared_with_url": None
        if article.shared_with_path is None
        else base + article.shared_with_path,
        "outcome": "load",
    }


def main(argv: list[str] | None = None) -> int:
    """Serve the english.news.cn copy: `python -m wiresim.newscn --port 8766`."""
    from wiresim.server import serve

    parser = argparse.ArgumentParser(prog="python -m wiresim.newscn")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2020, 12, 20))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2020, 12, 26))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--answer-key", type=Path)
    args = parser.parse_args(argv)
    site = NewsCnSite(args.start, args.end, seed=args.seed)

    def announce(base_url: str) -> None:
        if args.answer_key is not None:
            key = site.answer_key(base_url)
            args.answer_key.write_text(json.dumps(key, ensure_ascii=False, indent=1) + "\n")
        print(f"news.cn copy ({len(site.pages)} articles) at {base_url}{LISTING_PATH}", flush=True)

    try:
        serve(site, args.host, args.port, on_listening=announce)
    except OSError as error:
        print(f"cannot serve on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
