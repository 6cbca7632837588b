"""Records of the simulated site's pages and the rules that turn them into answer-key fields."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

ParagraphRole = Literal[
    "text",  # ordinary copy
    "subhead",  # <p><strong>SUBHEAD</strong></p>: copy too
    "photo",  # photo caption ending in a credit: copy too
    "separator",  # "- - - -" between news summary items: copy too
    "image",  # <p><img></p>: no text
    "empty",  # <p>&nbsp;</p>: no text
    "enditem",  # <p>Enditem</p>: the trailer on its own
    "leak",  # 2025+ page furniture inside the container: never copy
]
LEAK_ROLES = frozenset({"leak"})
Kind = Literal[
    "article",
    "summary",
    "urgent",
    "writethru",
    "update",  # a later version of an urgent story: "2nd LD Writethru:"
    "market",  # the daily stock market close: the same boilerplate every day
    "briefing",  # one of two stories from one press briefing, sharing its quotes
    "gallery",
    "error_page",
]
Template = Literal["standard", "sidebar", "gallery", "error_page"]
Defect = Literal["not_an_article", "published_out_of_window", "markup_in_body", "title_missing"]

# Where each defect is expected to be caught.
DEFECT_STAGE: dict[str, str] = {
    "not_an_article": "parse",
    "published_out_of_window": "validate",
    "markup_in_body": "validate",
    "title_missing": "parse",  # the adapter refuses an empty h1#title (issue 17)
}

ENDITEM_TRAILER = re.compile(r"\s*\bEnditem$")


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One <p> of an article body as the page shows it (text before HTML escaping)."""

    text: str
    role: ParagraphRole = "text"


@dataclass(frozen=True, slots=True)
class SiteArticle:
    """One article URL of the simulated site, with everything needed to render and grade it."""

    path: str  # e.g. /world/Off_the_Wire/2020-12/23/content_77041870.htm
    content_id: int
    section: str  # "world" | "china"
    page_date: dt.date  # the date in the URL
    published_date: dt.date  # the date line's date
    published_at: dt.datetime  # when the page appeared (Beijing time, aware)
    seq: int  # publication order within the page date, from 0
    title: str  # what h1#title shows ("" for the empty-title defect)
    listing_title: str  # what the listing and sidebars show
    keywords: tuple[str, ...]
    template: Template
    kind: Kind
    story_id: str
    paragraphs: tuple[Paragraph, ...]
    dateline: str | None  # "BEIJING", "BRISBANE, Australia" or None
    dateline_prefix: str  # the exact text the first paragraph opens with, "" if none
    duplicate_of_path: str | None = None  # earlier page with the identical body
    defect: Defect | None = None
    relisted_at: dt.datetime | None = None  # set when the listing shows it a second time
    gallery_captions: tuple[str, ...] = ()  # photo gallery pages only


def collapse_whitespace(text: str) -> str:
    """Whitespace runs (including no-break spaces) become one space; ends stripped."""
    return " ".join(text.split())


def expected_body(paragraphs: tuple[Paragraph, ...], dateline_prefix: str) -> str:
    """The body a correct parser outputs for these paragraphs (the answer key's rules)."""
    texts = [collapse_whitespace(p.text) for p in paragraphs if p.role not in LEAK_ROLES]
    texts = [t for t in texts if t]
    prefix = collapse_whitespace(dateline_prefix)
    if texts and prefix and texts[0].startswith(prefix):
        texts[0] = texts[0][len(prefix) :].strip()
    if texts:
        texts[-1] = ENDITEM_TRAILER.sub("", texts[-1]).strip()
    return "\n\n".join(t for t in texts if t)
