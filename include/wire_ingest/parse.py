"""Parse a china.org.cn article page into an Article; `wire-ingest parse FILE --url URL`."""

from __future__ import annotations

import argparse
import calendar
import codecs
import datetime as dt
import gzip
import hashlib
import json
import re
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html

from wire_ingest import adapters, extract, settings, sources, urls
from wire_ingest.models import Article


class NotAnArticle(ValueError):
    """The page holds no article: neither a title nor body paragraphs, or it is not HTML at all."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# ---------------------------------------------------------------- decoding

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
# Chinese legacy labels all decode correctly as their superset GB18030.
_CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _codec_name(label: str | None) -> str | None:
    """A Python codec for a charset label, or None when the label is missing or unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _CHARSET_SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(html: bytes, charset: str | None = None) -> str:
    """Text of the page: the given charset, else a BOM or `<meta>` charset, else UTF-8, else GB18030."""
    for bom, bom_codec in _BOMS:
        if html.startswith(bom):
            return html.decode(bom_codec, errors="replace")
    meta = _META_CHARSET.search(html[:4096])
    candidates: list[str | None] = [
        _codec_name(charset),
        _codec_name(meta.group(1).decode("ascii") if meta else None),
        "utf-8",
    ]
    for codec in candidates:
        if codec is None:
            continue
        try:
            return html.decode(codec)
        except UnicodeDecodeError:
            continue  # a wrong declaration is common on old Chinese sites: try the next guess
    return html.decode("gb18030", errors="replace")


# ---------------------------------------------------------------- text helpers

_INVISIBLE_CHARS = (
    "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # zero-width spaces/joiners, BOM, soft hyphen
)
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS))


def _clean_text(text: str) -> str:
    """Collapse every run of whitespace (incl. no-break and ideographic spaces) to one space."""
    return " ".join(text.translate(_INVISIBLE).split())


# ---------------------------------------------------------------- source and date line

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
# Noise that shares the `#guild > dd` box with the source line. The counter's digits are left
# alone: "2019 0 Comment(s)" must keep its year, and a stray "0" never reaches the source.
_GUILD_NOISE = re.compile(
    r"Comments?(?:\(s\))?|\bPrint\b|\bE-?mail\b|Bookmark and Share|Adjust font size:?",
    re.IGNORECASE,
)
_SOURCE_DATE = re.compile(
    r"(?P<source>[^\n,]*?)\s*,\s*(?P<month>"
    + "|".join(_MONTHS)
    + r")\s+(?P<day>\d{1,2})\s*,\s*(?P<year>\d{4})\b",
    re.IGNORECASE,
)
_SITE_TZ = ZoneInfo(settings.TIMEZONE)


def source_and_published_at(guild_text: str) -> tuple[str, str]:
    """(source, ISO published_at) from the date line's text, or ("", "") when there is no date line.

    The text's chunks are separated by newlines where the page had element boundaries, so a
    comment counter or a link never runs into the source name.
    """
    text = _GUILD_NOISE.sub("\n", guild_text)
    for match in _SOURCE_DATE.finditer(text):
        try:
            day = dt.date(int(match["year"]), _MONTHS[match["month"].lower()], int(match["day"]))
        except ValueError:
            continue  # "February 30": not a date line
        published = dt.datetime(day.year, day.month, day.day, tzinfo=_SITE_TZ)
        return _clean_text(match["source"]), published.isoformat()
    return "", ""


# ---------------------------------------------------------------- body

# `PLACE, Mon. D (Xinhua) --` where PLACE is an upper-case city with optional ", Country" parts.
_DATELINE_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
    r"|January|February|March|April|May|June|July|August|September|October|November|December"
)
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z0-9.'’ -]*?(?:,\s*(?:the\s+)?[A-Z][\w.'’ -]*?){0,2})\s*,\s*"
    r"(?:" + _DATELINE_MONTH + r")\s*\d{1,2}\s*\((?:Xinhua|XINHUA)\)\s*(?:--|—|–)\s*"
)
_COMMENT_RESIDUE = re.compile(r"^(?:<!--|-->|--!?>|<!|\s)+$")
_SHARE_LINE = re.compile(
    r"^(?:\s|[|:/•·]|\d+\s*Comments?(?:\(s\))?|Print|E-?mail|Bookmark and Share|Share(?: to)?"
    r"|Adjust font size:?|Tweet|Facebook|Twitter|Weibo|WeChat|LinkedIn|Reddit)+$",
    re.IGNORECASE,
)
_COPYRIGHT_LINE = re.compile(
    r"^(?:Copyright|©).{0,200}(?:©|\(c\)|All Rights Reserved|China\.org\.cn|\d{4})", re.IGNORECASE
)
_FOLLOW_BLOCK = re.compile(r"^Follow China\.org\.cn on\b", re.IGNORECASE)
_APP_DOWNLOAD = re.compile(r"^(?:Download\s+)?ChinaNews App(?:\s+Download)?$", re.IGNORECASE)


def _is_boilerplate(paragraph: str) -> bool:
    """Site furniture that ends up in `<p>`s of the body container on some templates."""
    return bool(
        "appproperty" in paragraph.lower()  # residue of a broken HTML comment (2025 template)
        or _FOLLOW_BLOCK.match(paragraph)
        or _APP_DOWNLOAD.match(paragraph)
        or _SHARE_LINE.match(paragraph)
        or _COPYRIGHT_LINE.match(paragraph)
        or _COMMENT_RESIDUE.match(paragraph)
    )


def split_dateline(paragraph: str) -> tuple[str | None, str]:
    """(PLACE, rest) when the paragraph opens with a Xinhua dateline, else (None, paragraph)."""
    match = _DATELINE.match(paragraph)
    if match is None:
        return None, paragraph
    return _clean_text(match["place"]), paragraph[match.end() :]


def _strip_trailer_once(text: str) -> str:
    # Plain string tests: a `\s*...$` regex rescans every space of a long body (the hot path).
    text = text.rstrip()
    if text.endswith("■"):
        return text[:-1].rstrip()
    core = text[:-1] if text.endswith(".") else text
    if core[-7:].lower() == "enditem" and not core[-8:-7].isalnum():
        return core[:-7].rstrip()
    return text


def strip_trailer(paragraph: str) -> str:
    """The paragraph without its closing `Enditem` and/or `■` (in either order)."""
    previous = None
    while previous != paragraph:
        previous, paragraph = paragraph, _strip_trailer_once(paragraph)
    return paragraph


def clean_paragraphs(raw_paragraphs: Sequence[str]) -> tuple[str | None, list[str]]:
    """(dateline, body paragraphs) from the container's raw `<p>` texts."""
    paragraphs = [text for text in map(_clean_text, raw_paragraphs) if text]
    paragraphs = [text for text in paragraphs if not _is_boilerplate(text)]
    dateline = None
    if paragraphs:
        dateline, paragraphs[0] = split_dateline(paragraphs[0])
        paragraphs[0] = paragraphs[0].strip()
        if not paragraphs[0]:
            paragraphs.pop(0)
    while paragraphs:
        paragraphs[-1] = strip_trailer(paragraphs[-1])
        if paragraphs[-1]:
            break
        paragraphs.pop()  # the paragraph was only the trailer
    return dateline, paragraphs


# ---------------------------------------------------------------- exact-duplicate hash

_CURLY_SINGLE = "‘’‚‛′`"
_CURLY_DOUBLE = "“”„‟″«»"
_DASH_CHARS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_HASH_TRANSLATION = str.maketrans(
    {
        **dict.fromkeys(map(ord, _INVISIBLE_CHARS)),
        **dict.fromkeys(map(ord, _CURLY_SINGLE), "'"),
        **dict.fromkeys(map(ord, _CURLY_DOUBLE), '"'),
        **dict.fromkeys(map(ord, _DASH_CHARS), "-"),
    }
)
_DASH_RUN = re.compile(r"-{2,}")  # "--" and "—" are the same dash in different copies
_NORMALISED_DATELINE = re.compile(
    r"^.{1,80}?,\s*(?:" + _DATELINE_MONTH + r")\s*\d{1,2}\s*\(xinhua\)\s*-\s*", re.IGNORECASE
)


def normalise_body(body: str) -> str:
    """The body reduced to what makes two copies the same story (case, quotes, dashes, spacing)."""
    text = unicodedata.normalize("NFKC", body).translate(_HASH_TRANSLATION)
    text = " ".join(_DASH_RUN.sub("-", text).split())
    text = _NORMALISED_DATELINE.sub("", text, count=1)
    return strip_trailer(text).lower()


def content_hash(body: str) -> str:
    """sha256 hex of the normalised body: equal for exact duplicates."""
    return hashlib.sha256(normalise_body(body).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- the page

_LOOKS_LIKE_HTML = re.compile(
    r"<\s*(?:!doctype|html|head|body|div|p|h1|title|meta)\b", re.IGNORECASE
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_TITLE_XPATH = lxml.etree.XPath("//h1[@id='title']")
_GUILD_TEXT_XPATH = lxml.etree.XPath("//*[@id='guild']/dd//text()[not(ancestor::*[@id='pinglun'])]")
_BODY_XPATH = lxml.etree.XPath(
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' apDiv1 ')]//div[@id='container_txt']//p"
)
_ANY_BODY_XPATH = lxml.etree.XPath("//div[@id='container_txt']//p")


def _document(text: str) -> lxml.html.HtmlElement:
    # lxml refuses str input that carries an XML encoding declaration; the text is decoded already.
    text = _XML_DECLARATION.sub("", text, count=1)
    try:
        return lxml.html.document_fromstring(text)
    except lxml.etree.ParserError as exc:
        raise NotAnArticle("empty_page", f"page has no HTML content ({exc})") from exc


_TEXT_AND_BREAKS_XPATH = lxml.etree.XPath(
    ".//text()[not(ancestor::script) and not(ancestor::style)] | .//br"
)


def _element_text(element: lxml.html.HtmlElement) -> str:
    """The element's visible text; a <br> counts as a space (text_content() would glue the words)."""
    nodes = _TEXT_AND_BREAKS_XPATH(element)
    return "".join(node if isinstance(node, str) else " " for node in nodes)


def page_text(html: bytes, charset: str | None = None) -> str:
    """The decoded page; NotAnArticle when it is empty or not HTML at all."""
    if not html.strip():
        raise NotAnArticle("empty_page", f"page is empty ({len(html)} bytes)")
    text = decode_html(html, charset)
    if "\x00" in text[:2048] or not _LOOKS_LIKE_HTML.search(text):
        raise NotAnArticle("not_html", "page does not look like HTML")
    return text


def article_from_parts(
    *,
    url: str,
    feed: str,
    title: str,
    source: str,
    published_at: str,
    dateline: str | None,
    paragraphs: Sequence[str],
    raw_ref: str | None,
    extraction: str = extract.ADAPTER,
    section: str | None = None,
    editor: str | None = None,
) -> Article:
    """The Article for fields an adapter (or the generic extractor) read; ids and hash derived."""
    body = "\n\n".join(paragraphs)
    canonical = urls.canonical_url(url)
    page_date = urls.page_date_from_url(url) or extract.url_date(url)
    return Article(
        article_id=urls.article_id(canonical),
        feed=feed,
        url=url,
        canonical_url=canonical,
        title=title,
        source=source,
        published_at=published_at,
        dateline=dateline,
        body=body,
        section=urls.section_from_url(url) if section is None else section,
        content_hash=content_hash(body),
        page_date=page_date.isoformat() if page_date else "",
        raw_ref=raw_ref,
        extraction=extraction,
        editor=editor or None,
    )


def generic_from_text(
    text: str,
    url: str,
    *,
    feed: str,
    raw_ref: str | None = None,
    timezone: str = settings.TIMEZONE,
    extraction: str = extract.GENERIC,
    title: str = "",
    source: str = "",
    published_at: str = "",
    raw_paragraphs: Sequence[str] = (),
) -> Article:
    """An Article by the generic extractor; fields an adapter did find (given here) are kept.

    Raises extract.GenericExtractionFailed when the page does not read as an article.
    """
    page = extract.extract_page(text, url, timezone=timezone)
    raw = list(raw_paragraphs) or list(page.paragraphs)
    title = title or page.title
    dateline, paragraphs = clean_paragraphs(raw)
    reason = extract.not_article_reason(title, paragraphs)
    if reason is not None:
        raise extract.GenericExtractionFailed(
            reason, f"the generic extractor found no article ({reason})"
        )
    return article_from_parts(
        url=url,
        feed=feed,
        title=title,
        source=source or extract.agency_in(raw) or page.site_name or urls.host_of(url),
        published_at=published_at or page.published_at,
        dateline=dateline,
        paragraphs=paragraphs,
        raw_ref=raw_ref,
        extraction=extraction,
    )


def generic_article(
    html: bytes,
    url: str,
    *,
    feed: str = "generic",
    charset: str | None = None,
    raw_ref: str | None = None,
    timezone: str = "UTC",
    source: str = "",
) -> Article:
    """An Article from any article page by the generic extractor; NotAnArticle when it finds none."""
    text = page_text(html, charset)
    try:
        return generic_from_text(
            text, url, feed=feed, raw_ref=raw_ref, timezone=timezone, source=source
        )
    except extract.GenericExtractionFailed as exc:
        raise NotAnArticle(exc.reason, str(exc)) from exc


def parse_article(
    html: bytes,
    url: str,
    *,
    feed: str = settings.FEED,
    charset: str | None = None,
    raw_ref: str | None = None,
    fallback: bool = True,
) -> Article:
    """An Article from one china.org.cn article page; NotAnArticle when it holds none.

    When the page has no h1#title or no body container at all (the layout changed), the generic
    extractor fills in what is missing and the article is marked extraction="fallback".
    """
    text = page_text(html, charset)
    document = _document(text)

    titles = _TITLE_XPATH(document)
    title = _clean_text(titles[0].text_content()) if titles else ""
    source, published_at = source_and_published_at("\n".join(_GUILD_TEXT_XPATH(document)))
    paragraph_elements = _BODY_XPATH(document) or _ANY_BODY_XPATH(document)
    raw_paragraphs = [_element_text(p) for p in paragraph_elements]
    if fallback and not (titles and paragraph_elements):
        try:
            return generic_from_text(
                text,
                url,
                feed=feed,
                raw_ref=raw_ref,
                timezone=settings.TIMEZONE,
                extraction=extract.FALLBACK,
                title=title,
                source=source,
                published_at=published_at,
                raw_paragraphs=raw_paragraphs,
            )
        except extract.GenericExtractionFailed:
            pass  # no article there either: what the adapter found (if anything) stands
    dateline, paragraphs = clean_paragraphs(raw_paragraphs)
    if not title and not paragraphs:
        raise NotAnArticle("no_title_no_body", "page has neither an h1#title nor body paragraphs")
    return article_from_parts(
        url=url,
        feed=feed,
        title=title,
        source=source,
        published_at=published_at,
        dateline=dateline,
        paragraphs=paragraphs,
        raw_ref=raw_ref,
    )


# ---------------------------------------------------------------- command line


def _read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _page_reader(source: str | None, feed: str | None) -> adapters.PageReader:
    """How the CLI reads the page: the default adapter, the generic extractor or a source's."""
    if source is None:
        return adapters.page_reader("china_org_cn", feed=feed or settings.FEED)
    if source == "generic":
        return adapters.page_reader("", feed=feed or "generic")
    declared = sources.get_source(source)
    return adapters.page_reader(
        declared.adapter,
        feed=feed or declared.name,
        timezone=declared.timezone,
        agency=declared.agency,
    )


def main(argv: list[str] | None = None) -> int:
    """`wire-ingest parse FILE --url URL [--source S] [--feed F]`: print the article as JSON."""
    parser = argparse.ArgumentParser(
        prog="wire-ingest parse",
        description="Parse one saved article page (may be .gz) and print it as JSON.",
    )
    parser.add_argument("file", type=Path, help="saved HTML page, optionally gzip-compressed")
    parser.add_argument("--url", required=True, help="the URL the page was fetched from")
    parser.add_argument(
        "--feed", default=None, help=f"feed id (default: the source's name, or {settings.FEED})"
    )
    parser.add_argument("--charset", default=None, help="charset from the HTTP header, if known")
    parser.add_argument(
        "--source",
        default=None,
        help="a source declared in sources.toml (its adapter reads the page), or 'generic' for "
        "the generic extractor (default: the china.org.cn adapter)",
    )
    args = parser.parse_args(argv)
    try:
        read_page = _page_reader(args.source, args.feed)
    except ValueError as exc:  # an unknown source or a broken sources file
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        html = _read_page(args.file)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        reason = getattr(exc, "strerror", None) or exc
        print(f"error: cannot read {args.file}: {reason}", file=sys.stderr)
        return 2
    try:
        article = read_page(
            html, args.url, charset=args.charset, raw_ref=args.file.resolve().as_uri()
        )
    except NotAnArticle as exc:
        print(f"not an article: {exc.reason}", file=sys.stderr)
        return 1
    print(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
