"""Build a deterministic copy of the "Off the Wire" section over a date range, with its answer key."""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import itertools
import random
import re
import threading
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

from wire_ingest.models import Article
from wiresim import pages, prose
from wiresim import vocabulary as v
from wiresim.articles import (
    DEFECT_STAGE,
    ENDITEM_TRAILER,
    Defect,
    Kind,
    Paragraph,
    SiteArticle,
    Template,
    collapse_whitespace,
    expected_body,
)

BEIJING = dt.timezone(dt.timedelta(hours=8))
SHTML_FROM = dt.date(2025, 4, 20)  # article URLs end in .shtml from this day on
LEAKY_FROM = dt.date(2025, 1, 1)  # page furniture leaks into the body from this day on

# (day, content id) anchors from the docs; ids in between are interpolated.
_ID_ANCHORS: tuple[tuple[dt.date, int], ...] = (
    (dt.date(2019, 1, 1), 74_000_000),
    (dt.date(2020, 12, 23), 77_041_800),
    (dt.date(2022, 6, 30), 78_000_000),
    (dt.date(2023, 6, 30), 94_000_000),
    (dt.date(2024, 6, 30), 117_000_000),
    (dt.date(2026, 6, 30), 118_000_000),
)
_MIN_IDS_PER_DAY = 1_000  # slope used outside the anchors

_DEFECT_CYCLE: tuple[Defect, ...] = (
    "not_an_article",
    "published_out_of_window",
    "markup_in_body",
    "title_missing",
)
_SUMMARY_GMT_HOURS = (0, 3, 6, 9, 11, 14)
_LISTING_PATH = re.compile(rf"^/{pages.LISTING_SECTION}/{pages.LISTING_NODE}(?:_(\d+))?\.htm$")

RenderResult = tuple[int, dict[str, str], bytes]


def content_id_anchor(day: dt.date) -> int:
    """The first content id of a day, interpolated between the documented anchors."""
    first_day, first_id = _ID_ANCHORS[0]
    if day <= first_day:
        return first_id - (first_day - day).days * _MIN_IDS_PER_DAY
    for (d0, i0), (d1, i1) in itertools.pairwise(_ID_ANCHORS):
        if day <= d1:
            return i0 + (i1 - i0) * (day - d0).days // (d1 - d0).days
    last_day, last_id = _ID_ANCHORS[-1]
    return last_id + (day - last_day).days * _MIN_IDS_PER_DAY


def _day_rng(seed: int, day: dt.date, purpose: str) -> random.Random:
    # String seeds hash with SHA-512 inside random: stable across processes and PYTHONHASHSEED.
    return random.Random(f"wiresim/{seed}/{day.isoformat()}/{purpose}")


@dataclass(frozen=True, slots=True)
class _Plan:
    """What each publication slot of a day holds, before any text is written."""

    roles: list[str]  # plain | summary | urgent | writethru | copy | defect
    partner: dict[int, int]  # writethru -> urgent, copy -> original
    defects: dict[int, Defect]
    summary_hours: dict[int, int]
    lagged: set[int]
    relisted: dict[int, int]  # position -> seconds after midnight of the second listing


def _nearest_free(roles: list[str], index: int) -> int | None:
    for offset in range(len(roles)):
        for candidate in (index + offset, index - offset):
            if 0 <= candidate < len(roles) and roles[candidate] == "plain":
                return candidate
    return None


def _plan_day(rng: random.Random, per_day: int, seconds: list[int]) -> _Plan:
    n = per_day
    roles = ["plain"] * n
    partner: dict[int, int] = {}
    defects: dict[int, Defect] = {}
    summary_hours: dict[int, int] = {}

    for hour in sorted(rng.sample(_SUMMARY_GMT_HOURS, min(len(_SUMMARY_GMT_HOURS), n // 50))):
        at = (hour + 8) * 3600 + rng.randint(300, 2400)
        slot = _nearest_free(roles, min(n - 1, bisect.bisect_left(seconds, at)))
        if slot is not None:
            roles[slot] = "summary"
            summary_hours[slot] = hour

    for _ in range(round(n * 0.02)):
        free = [i for i in range(n - 1) if roles[i] == "plain"]
        if not free:
            break
        urgent = rng.choice(free)
        later = [
            j for j in range(urgent + 1, min(n, urgent + max(4, n // 8))) if roles[j] == "plain"
        ]
        if not later:
            continue
        writethru = rng.choice(later)
        roles[urgent], roles[writethru] = "urgent", "writethru"
        partner[writethru] = urgent

    defect_kinds = list(_DEFECT_CYCLE)
    rng.shuffle(defect_kinds)
    n_defects = round(n * 0.03)
    defect_kinds += [
        rng.choice(_DEFECT_CYCLE) for _ in range(max(0, n_defects - len(defect_kinds)))
    ]
    for kind in defect_kinds[:n_defects]:
        free = [i for i in range(n) if roles[i] == "plain"]
        if len(free) < 2:
            break
        slot = rng.choice(free)
        roles[slot] = "defect"
        defects[slot] = kind

    originals: set[int] = set()
    for _ in range(round(n * 0.045)):
        free = [i for i in range(3, n) if roles[i] == "plain" and i not in originals]
        if not free:
            break
        copy = rng.choice(free)
        candidates = [i for i in range(copy) if roles[i] == "plain" and i not in originals]
        if not candidates:
            continue
        roles[copy] = "copy"
        partner[copy] = rng.choice(candidates)
        originals.add(partner[copy])

    # Beijing mornings still carry the previous day's date in about a tenth of the pages.
    lagged: set[int] = set()
    early = int(n * 0.3)
    for index in range(early):
        can_lag = roles[index] in ("plain", "urgent", "defect")
        if can_lag and defects.get(index) != "published_out_of_window" and rng.random() < 0.34:
            lagged.add(index)
    for index, role in enumerate(roles):
        if role in ("writethru", "copy") and partner[index] in lagged:
            lagged.add(index)

    relisted: dict[int, int] = {}
    for index in rng.sample(range(n), min(n, round(n * 0.02))):
        if seconds[index] < 86_000:
            relisted[index] = min(86_399, seconds[index] + rng.randint(1_800, 4 * 3_600))
    return _Plan(roles, partner, defects, summary_hours, lagged, relisted)


def _plan_near_misses(rng: random.Random, plan: _Plan, seconds: list[int]) -> None:
    """More versions and near-misses for dedupe (own rng: the rest of the plan is unchanged).

    A 2nd LD writethru after some writethrus, lightly edited republications, the daily market
    close (shared boilerplate across days) and two stories from one press briefing (shared quotes).
    """
    roles, n = plan.roles, len(plan.roles)
    reserved = set(plan.partner.values())

    def free_near(at: int, after: int = -1) -> int | None:
        start = max(after + 1, min(n - 1, bisect.bisect_left(seconds, at)))
        for index in [*range(start, n), *range(start - 1, after, -1)]:
            if roles[index] == "plain" and index not in reserved:
                return index
        return None

    if n >= 40:
        market = free_near(15 * 3600 + rng.randint(300, 1800))
        if market is not None:
            roles[market] = "market"
            plan.lagged.discard(market)
    if n >= 60:
        first = free_near(16 * 3600 + rng.randint(0, 1800))
        second = None if first is None else free_near(seconds[first] + rng.randint(60, 900), first)
        if first is not None and second is not None:
            roles[first], roles[second] = "briefing", "briefing"
            plan.partner[second] = first
            plan.lagged.difference_update({first, second})
    for writethru in sorted(i for i, role in enumerate(roles) if role == "writethru"):
        if rng.random() < 0.5:
            later = [
                j
                for j in range(writethru + 1, min(n, writethru + max(4, n // 8)))
                if roles[j] == "plain" and j not in reserved
            ]
            if later:
                update = rng.choice(later)
                roles[update] = "update"
                plan.partner[update] = writethru
                reserved.add(writethru)
    for _ in range(round(n * 0.015)):
        free = [i for i in range(3, n) if roles[i] == "plain" and i not in reserved]
        if not free:
            break
        copy = rng.choice(free)
        originals = [i for i in range(copy) if roles[i] == "plain"]
        if originals:
            roles[copy] = "near_copy"
            plan.partner[copy] = rng.choice(originals)
            reserved.update({copy, plan.partner[copy]})
    for index, role in enumerate(roles):
        if role in ("update", "near_copy"):
            if plan.partner[index] in plan.lagged:
                plan.lagged.add(index)
            else:
                plan.lagged.discard(index)


def _decorate(
    rng: random.Random, story: prose.Story, day: dt.date, *, photos: bool = True
) -> list[Paragraph]:
    """Page-level habits: photo blocks, stray empty paragraphs, the Enditem trailer."""
    body = list(story.paragraphs)
    if photos and len(body) > 1 and rng.random() < 0.15:
        caption = prose.photo_caption(rng, day, story.country, story.city)
        body[1:1] = [Paragraph("", "image"), Paragraph(caption, "photo")]
    if len(body) > 2 and rng.random() < 0.08:
        body.insert(rng.randint(1, len(body) - 1), Paragraph("\xa0", "empty"))
    return _with_enditem(rng, body)


def _with_enditem(rng: random.Random, body: list[Paragraph]) -> list[Paragraph]:
    roll = rng.random()
    last = body[-1]
    if roll < 0.8:
        body[-1] = Paragraph(last.text + " Enditem", last.role)
    elif roll < 0.92:
        body.append(Paragraph("Enditem", "enditem"))
    return body


def _leaks(rng: random.Random, content_id: int) -> list[Paragraph]:
    leaks = [Paragraph(pages.FOLLOW_TEXT, "leak")]
    if rng.random() < 0.7:
        leaks.append(Paragraph(pages.APP_TEXT, "leak"))
    if rng.random() < 0.8:
        payload = f'{{"type":"news","id":"{content_id}","share":"1"}} -->'
        leaks.append(Paragraph(pages.APP_PROPERTY_PREFIX + payload, "leak"))
    return leaks


def _story(
    rng: random.Random,
    story_date: dt.date,
    *,
    max_title: int = 120,
    prefix: str = "",
    **kwargs: Any,
) -> prose.Story:
    story = prose.make_story(rng, story_date, prefix=prefix, **kwargs)
    for _ in range(5):
        if len(story.title) <= max_title and len(story.alt_title) <= max_title:
            break
        story = prose.make_story(rng, story_date, prefix=prefix, **kwargs)
    return story


@dataclass(frozen=True, slots=True)
class _Draft:
    """A page's content before URL, ids and times are attached."""

    kind: Kind
    story_key: int  # position of the story's first page this day
    title: str
    listing_title: str
    paragraphs: tuple[Paragraph, ...]
    dateline: str | None
    dateline_prefix: str
    keywords: tuple[str, ...]
    published_date: dt.date
    section: str
    template: Template
    defect: Defect | None = None
    gallery_captions: tuple[str, ...] = ()


def _draft_day(text_rng: random.Random, day: dt.date, plan: _Plan) -> dict[int, _Draft]:
    """Write every page of the day: stories first, then their copies, then the news summaries."""
    modern = day >= LEAKY_FROM

    def template() -> Template:
        return "standard" if modern or text_rng.random() < 0.5 else "sidebar"

    def section() -> str:
        return "china" if text_rng.random() < 0.1 else "world"

    drafts: dict[int, _Draft] = {}
    stories: dict[int, prose.Story] = {}
    for index, role in enumerate(plan.roles):
        story_date = day - dt.timedelta(days=1) if index in plan.lagged else day
        if role == "plain":
            prefix = text_rng.choice(v.HEADLINE_PREFIXES) if text_rng.random() < 0.15 else ""
            with_dateline = text_rng.random() < 0.78
            story = _story(
                text_rng,
                story_date,
                prefix=prefix,
                with_dateline=with_dateline,
                tight_dateline=with_dateline and text_rng.random() < 0.06,
            )
            stories[index] = story
            drafts[index] = _draft_from_story(
                "article",
                index,
                story,
                _decorate(text_rng, story, story_date),
                story_date,
                section(),
                template(),
            )
        elif role == "urgent":
            story = _story(
                text_rng,
                story_date,
                max_title=100,
                topic=text_rng.choice(v.URGENT_TOPICS),
                tight_dateline=text_rng.random() < 0.06,
            )
            stories[index] = story
            lead = (
                _with_enditem(text_rng, [story.paragraphs[0]])
                if text_rng.random() < 0.7
                else [story.paragraphs[0]]
            )
            drafts[index] = _draft_from_story(
                "urgent",
                index,
                story,
                lead,
                story_date,
                section(),
                template(),
                title=f"Urgent: {story.title}",
            )
        elif role == "writethru":
            urgent = plan.partner[index]
            story = stories[urgent]
            drafts[index] = _draft_from_story(
                "writethru",
                urgent,
                story,
                _decorate(text_rng, story, story_date),
                story_date,
                drafts[urgent].section,
                template(),
                title=f"1st LD Writethru: {story.title}",
            )
        elif role == "update":
            writethru = plan.partner[index]
            story = stories[plan.partner[writethru]]
            # The 1st LD's copy with a longer lead and new paragraphs at the end.
            previous = [
                Paragraph(ENDITEM_TRAILER.sub("", p.text), p.role)
                for p in drafts[writethru].paragraphs
                if p.role != "enditem"
            ]
            new_lead = previous[0].text + " " + text_rng.choice(prose.UPDATE_SENTENCES)
            extra = prose.make_story(text_rng, story_date, topic=story.topic, paragraphs=3)
            drafts[index] = _draft_from_story(
                "update",
                drafts[writethru].story_key,
                story,
                _with_enditem(
                    text_rng, [Paragraph(new_lead), *previous[1:], *extra.paragraphs[1:]]
                ),
                story_date,
                drafts[writethru].section,
                template(),
                title=f"2nd LD Writethru: {story.title}",
            )
        elif role == "market":
            story = prose.market_report(text_rng, story_date)
            drafts[index] = _draft_from_story(
                "market",
                index,
                story,
                _with_enditem(text_rng, list(story.paragraphs)),
                story_date,
                "china",
                template(),
            )
        elif role == "briefing" and index not in plan.partner:
            second = next(j for j, first in plan.partner.items() if first == index)
            for slot, story in zip(
                (index, second), prose.briefing_pair(text_rng, story_date), strict=True
            ):
                drafts[slot] = _draft_from_story(
                    "briefing",
                    slot,
                    story,
                    _with_enditem(text_rng, list(story.paragraphs)),
                    story_date,
                    "china",
                    template(),
                )
        elif role == "defect":
            drafts[index] = _defect_draft(
                text_rng, plan.defects[index], index, day, story_date, template()
            )
    for index, role in enumerate(plan.roles):
        if role == "copy":
            original = drafts[plan.partner[index]]
            story = stories[plan.partner[index]]
            retitle = text_rng.random() < 0.6
            other_section = not retitle or text_rng.random() < 0.4
            section_name = (
                ("china" if original.section == "world" else "world")
                if other_section
                else original.section
            )
            title = story.alt_title if retitle else original.title
            drafts[index] = _Draft(
                kind=original.kind,
                story_key=original.story_key,
                title=title,
                listing_title=title,
                paragraphs=original.paragraphs,
                dateline=original.dateline,
                dateline_prefix=original.dateline_prefix,
                keywords=original.keywords,
                published_date=original.published_date,
                section=section_name,
                template=template(),
            )
        elif role == "near_copy":
            original = drafts[plan.partner[index]]
            story = stories[plan.partner[index]]
            # Republished with a long story's last paragraph cut, or a short one's added: not the
            # same text, the same story.
            kept = [
                Paragraph(ENDITEM_TRAILER.sub("", p.text), p.role)
                for p in original.paragraphs
                if p.role != "enditem"
            ]
            if len(kept) >= 7:
                kept = kept[:-1]
            else:
                kept.append(Paragraph(text_rng.choice(prose.UPDATE_SENTENCES)))
            drafts[index] = _draft_from_story(
                original.kind,
                original.story_key,
                story,
                _with_enditem(text_rng, kept),
                original.published_date,
                section(),
                template(),
                title=story.alt_title,
            )
    previous_items: list[str] = []
    pool = sorted(stories)
    for index, role in enumerate(plan.roles):
        if role == "summary":
            drafts[index], previous_items = _summary_draft(
                text_rng,
                day,
                plan.summary_hours[index],
                index,
                [stories[i] for i in pool],
                previous_items,
                template(),
            )
    return drafts


def _build_day(
    day: dt.date, seed: int, per_day: int, id_start: int, id_span: int
) -> list[SiteArticle]:
    rng = _day_rng(seed, day, "plan")
    seconds = sorted(rng.sample(range(60, 86_340), per_day))
    plan = _plan_day(rng, per_day, seconds)
    _plan_near_misses(_day_rng(seed, day, "near-misses"), plan, seconds)
    drafts = _draft_day(_day_rng(seed, day, "text"), day, plan)
    modern = day >= LEAKY_FROM
    ids = sorted(rng.sample(range(id_start, id_start + id_span), per_day))
    extension = ".shtml" if day >= SHTML_FROM else ".htm"
    paths: list[str] = []
    for index in range(per_day):
        paths.append(
            f"/{drafts[index].section}/Off_the_Wire/{day:%Y-%m}/{day:%d}/content_{ids[index]}{extension}"
        )
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    articles: list[SiteArticle] = []
    for index in range(per_day):
        draft = drafts[index]
        paragraphs = draft.paragraphs
        if (
            modern
            and draft.template == "standard"
            and draft.kind not in ("gallery", "error_page")
            and rng.random() < 0.85
        ):
            paragraphs = paragraphs + tuple(_leaks(rng, ids[index]))
        relisted = plan.relisted.get(index)
        articles.append(
            SiteArticle(
                path=paths[index],
                content_id=ids[index],
                section=draft.section,
                page_date=day,
                published_date=draft.published_date,
                published_at=midnight + dt.timedelta(seconds=seconds[index]),
                seq=index,
                title=draft.title,
                listing_title=draft.listing_title,
                keywords=draft.keywords,
                template=draft.template,
                kind=draft.kind,
                story_id=f"{day:%Y%m%d}-{draft.story_key:04d}",
                paragraphs=paragraphs,
                dateline=draft.dateline,
                dateline_prefix=draft.dateline_prefix,
                duplicate_of_path=paths[plan.partner[index]]
                if plan.roles[index] == "copy"
                else None,
                defect=draft.defect,
                relisted_at=None if relisted is None else midnight + dt.timedelta(seconds=relisted),
                gallery_captions=draft.gallery_captions,
            )
        )
    return articles


def _draft_from_story(
    kind: Kind,
    story_key: int,
    story: prose.Story,
    paragraphs: list[Paragraph],
    published: dt.date,
    section: str,
    template: Template,
    *,
    title: str | None = None,
) -> _Draft:
    headline = story.title if title is None else title
    return _Draft(
        kind=kind,
        story_key=story_key,
        title=headline,
        listing_title=headline,
        paragraphs=tuple(paragraphs),
        dateline=story.dateline,
        dateline_prefix=story.dateline_prefix,
        keywords=story.keywords,
        published_date=published,
        section=section,
        template=template,
    )


def _defect_draft(
    rng: random.Random,
    defect: Defect,
    index: int,
    day: dt.date,
    story_date: dt.date,
    template: Template,
) -> _Draft:
    if defect == "not_an_article":
        story = _story(rng, day)
        if rng.random() < 0.5:
            captions = tuple(
                prose.photo_caption(rng, day, story.country, story.city)
                for _ in range(rng.randint(4, 8))
            )
            headline = f"In pictures: {story.city}, {day:%B} {day.day}"
            return _not_an_article("gallery", index, headline, story.keywords, day, captions)
        return _not_an_article("error_page", index, story.title, story.keywords, day, ())
    if defect == "published_out_of_window":
        story_date = day - dt.timedelta(days=rng.randint(400, 2_000))
    story = _story(rng, story_date, with_dateline=rng.random() < 0.8)
    body = _decorate(rng, story, story_date, photos=False)
    title = story.title
    if defect == "markup_in_body":
        # Copy pasted from an already escaped source: the markup shows as text.
        spaced = [i for i, p in enumerate(body) if i and p.role == "text" and " " in p.text]
        if rng.random() < 0.5 or not spaced:
            target = rng.randint(1, max(1, len(body) - 1))
            body.insert(target, Paragraph(f"<strong>{rng.choice(v.SUBHEADS)}</strong>"))
        else:
            target = rng.choice(spaced)
            body[target] = Paragraph(body[target].text.replace(" ", "&nbsp;", 1))
    elif defect == "title_missing":
        title = ""
    return _Draft(
        kind="article",
        story_key=index,
        title=title,
        listing_title=story.title,
        paragraphs=tuple(body),
        dateline=story.dateline,
        dateline_prefix=story.dateline_prefix,
        keywords=story.keywords,
        published_date=story_date,
        section="china" if rng.random() < 0.1 else "world",
        template=template,
        defect=defect,
    )


def _not_an_article(
    kind: Kind,
    index: int,
    listing_title: str,
    keywords: tuple[str, ...],
    day: dt.date,
    captions: tuple[str, ...],
) -> _Draft:
    return _Draft(
        kind=kind,
        story_key=index,
        title="",
        listing_title=listing_title,
        paragraphs=(),
        dateline=None,
        dateline_prefix="",
        keywords=keywords,
        published_date=day,
        section="world",
        template="gallery" if kind == "gallery" else "error_page",
        defect="not_an_article",
        gallery_captions=captions,
    )


def _summary_draft(
    rng: random.Random,
    day: dt.date,
    gmt_hour: int,
    index: int,
    stories: list[prose.Story],
    previous_items: list[str],
    template: Template,
) -> tuple[_Draft, list[str]]:
    count = rng.randint(5, 8)
    # Consecutive summaries repeat a few items: shared text, different articles.
    carried = (
        rng.sample(previous_items, min(len(previous_items), rng.randint(1, 2)))
        if previous_items
        else []
    )
    fresh = [
        prose.summary_item(s, rng)
        for s in rng.sample(stories, min(len(stories), count - len(carried)))
    ]
    items = fresh[:1] + carried + fresh[1:]
    body: list[Paragraph] = []
    for item in items:
        if body:
            body.append(Paragraph("- - - -", "separator"))
        body.append(Paragraph(item))
    if rng.random() < 0.6:
        body = _with_enditem(rng, body)
    title = prose.summary_title(gmt_hour, day)
    draft = _Draft(
        kind="summary",
        story_key=index,
        title=title,
        listing_title=title,
        paragraphs=tuple(body),
        dateline=None,
        dateline_prefix="",
        keywords=("Xinhua", "world news", "summary"),
        published_date=day,
        section="world",
        template=template,
    )
    return draft, items


class Site:
    """The simulated site: its articles, listing and answer key; renders pages on demand (cached)."""

    def __init__(
        self, start: dt.date, end: dt.date, seed: int, per_day: int, articles: list[SiteArticle]
    ) -> None:
        self.start = start
        self.end = end
        self.seed = seed
        self.per_day = per_day
        self.articles = articles
        self._by_path = {a.path: a for a in articles}
        entries = [(a.published_at, a) for a in articles]
        entries += [(a.relisted_at, a) for a in articles if a.relisted_at is not None]
        entries.sort(key=lambda item: (item[0], item[1].content_id), reverse=True)
        self.listing: list[tuple[dt.datetime, SiteArticle]] = entries
        self._by_day: dict[dt.date, list[SiteArticle]] = {}
        for article in articles:
            self._by_day.setdefault(article.page_date, []).append(article)
        self._cache: dict[tuple[str, str], RenderResult | None] = {}
        self._lock = threading.Lock()

    def listing_pages(self) -> int:
        return max(1, -(-len(self.listing) // pages.ITEMS_PER_LISTING_PAGE))

    def article_for_path(self, path: str) -> SiteArticle | None:
        return self._by_path.get(path)

    def render(self, path: str, base_url: str) -> RenderResult | None:
        """(status, headers, body) for a request path, or None for 404."""
        path = path.split("?", 1)[0].split("#", 1)[0]
        base = base_url.rstrip("/")
        key = (path, base)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        result = self._render(path, base)
        with self._lock:
            self._cache[key] = result
        return result

    def _render(self, path: str, base: str) -> RenderResult | None:
        if path == "/robots.txt":
            return text_response(
                pages.ROBOTS_TXT, "text/plain; charset=utf-8", _midnight(self.start)
            )
        listing = _LISTING_PATH.match(path)
        if listing:
            number = int(listing.group(1) or 1)
            if listing.group(1) == "1" or not 1 <= number <= self.listing_pages():
                return None
            return text_response(
                self._listing_html(number, base),
                "text/html; charset=utf-8",
                self.listing[0][0] if self.listing else _midnight(self.end),
            )
        article = self._by_path.get(path)
        if article is None:
            return None
        return text_response(
            self._article_html(article, base), "text/html; charset=utf-8", article.published_at
        )

    def _listing_html(self, number: int, base: str) -> str:
        size = pages.ITEMS_PER_LISTING_PAGE
        chunk = self.listing[(number - 1) * size : number * size]
        items = [(base + a.path, a.listing_title, at) for at, a in chunk]
        first = self.articles[0] if self.articles else None
        most_viewed = []
        if first is not None:
            day = self.end
            most_viewed = [
                f"{base}/china/{day:%Y-%m}/{day:%d}/content_{first.content_id - 997 * (k + 1)}.htm"
                for k in range(5)
            ]
        return pages.listing_page(
            base=base, page=number, pages=self.listing_pages(), items=items, most_viewed=most_viewed
        )

    def _article_html(self, article: SiteArticle, base: str) -> str:
        if article.kind == "gallery":
            return pages.gallery_page(base=base, article=article, captions=article.gallery_captions)
        if article.kind == "error_page":
            return pages.error_page(base=base)
        body = pages.body_html(
            article.paragraphs,
            content_id=article.content_id,
            image_dir=f"http://images.china.cn/site1007/{article.page_date:%Y-%m/%d}",
            wrap=article.template == "standard",
        )
        if article.template == "sidebar":
            return pages.sidebar_page(
                base=base,
                title=article.title,
                keywords=article.keywords,
                published=article.published_date,
                sidebar=[(base + a.path, a.listing_title) for a in self._sidebar_for(article)],
                body=body,
            )
        furniture_inside = any(p.role == "leak" for p in article.paragraphs)
        return pages.standard_page(
            base=base, article=article, body=body, furniture_inside=furniture_inside
        )

    def _sidebar_for(self, article: SiteArticle) -> list[SiteArticle]:
        """Ten other headlines of the same day: the ones published just before, else just after."""
        day = self._by_day[article.page_date]
        before = day[max(0, article.seq - 10) : article.seq]
        after = day[article.seq + 1 : article.seq + 1 + 10 - len(before)]
        return list(reversed(before)) + after

    def answer_key(self, base_url: str) -> list[dict[str, Any]]:
        """One dict per article URL served: what a correct pipeline makes of it."""
        base = base_url.rstrip("/")
        return [_key_entry(article, base) for article in self.articles]


def _key_entry(article: SiteArticle, base: str) -> dict[str, Any]:
    url = base + article.path
    is_page = article.kind not in ("gallery", "error_page")
    return {
        "url": url,
        "canonical_url": url,
        "title": collapse_whitespace(article.title),
        "source": "Xinhua" if is_page else "",
        "published_at": f"{article.published_date.isoformat()}T00:00:00+08:00" if is_page else None,
        "page_date": article.page_date.isoformat(),
        "dateline": article.dateline,
        "body": expected_body(article.paragraphs, article.dateline_prefix),
        "section": article.section,
        "template": article.template,
        "story_id": article.story_id,
        "kind": article.kind,
        "duplicate_of_url": None
        if article.duplicate_of_path is None
        else base + article.duplicate_of_path,
        "outcome": "reject" if article.defect else "load",
        "reject_stage": DEFECT_STAGE[article.defect] if article.defect else None,
        "reject_reason": article.defect,
    }


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING)


def text_response(text: str, content_type: str, modified: dt.datetime) -> RenderResult:
    body = text.encode("utf-8")
    headers = {
        "Content-Type": content_type,
        "ETag": '"' + hashlib.sha1(body).hexdigest()[:20] + '"',
        "Last-Modified": format_datetime(modified.astimezone(dt.UTC), usegmt=True),
        "Cache-Control": "max-age=300",
    }
    return 200, headers, body


def build_site(start: dt.date, end: dt.date, *, seed: int = 7, per_day: int = 240) -> Site:
    """The site for days start..end (inclusive): same arguments, same pages and answer key."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if per_day < 1:
        raise ValueError("per_day must be at least 1")
    articles: list[SiteArticle] = []
    day = start
    next_free = 0
    while day <= end:
        anchor = content_id_anchor(day)
        span = max(content_id_anchor(day + dt.timedelta(days=1)) - anchor, 2 * per_day)
        # Ids only get pushed off their anchor when a day holds more pages than the id range allows.
        id_start = max(anchor, next_free)
        articles.extend(_build_day(day, seed, per_day, id_start, span))
        next_free = id_start + span
        day += dt.timedelta(days=1)
    return Site(start, end, seed, per_day, articles)


def key_article(entry: dict[str, Any], *, feed: str = "china_org_cn") -> Article:
    """The Article a correct parse makes of one answer-key entry (tests and benchmarks feed these
    straight to dedupe, validate and load)."""
    from wire_ingest import text, urls

    return Article(
        article_id=urls.article_id(entry["canonical_url"]),
        feed=feed,
        url=entry["url"],
        canonical_url=entry["canonical_url"],
        title=entry["title"],
        source=entry["source"],
        published_at=entry["published_at"],
        dateline=entry["dateline"],
        body=entry["body"],
        section=entry["section"],
        content_hash=text.content_hash(entry["body"]),
        page_date=entry["page_date"],
    )
