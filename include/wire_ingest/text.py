"""The text of wire copy: decoding, cleaning, dateline and trailer, boilerplate, the body hash."""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections.abc import Sequence

import lxml.etree
import lxml.html

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


_INVISIBLE_CHARS = (
    "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # zero-width spaces/joiners, BOM, soft hyphen
)


_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS))


def clean_text(text: str) -> str:
    """Collapse every run of whitespace (incl. no-break and ideographic spaces) to one space."""
    if not text.isascii():  # an ASCII text has no invisible character: no per-character pass
        text = text.translate(_INVISIBLE)
    return " ".join(text.split())


# `PLACE, Mon. D (Xinhua) --` where PLACE is an upper-case city with optional ", Country" parts.
_DATELINE_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
    r"|January|February|March|April|May|June|July|August|September|October|November|December"
)
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


# The ASCII characters the translation changes (the backtick): an ASCII text without them needs
# no per-character pass.
_HASH_ASCII = "".join(chr(code) for code in _HASH_TRANSLATION if code < 128)


_DASH_RUN = re.compile(r"-{2,}")  # "--" and "—" are the same dash in different copies


_NORMALISED_DATELINE = re.compile(
    r"^.{1,80}?,\s*(?:" + _DATELINE_MONTH + r")\s*\d{1,2}\s*\(xinhua\)\s*-\s*", re.IGNORECASE
)


def normalise_body(body: str) -> str:
    """The body reduced to what makes two copies the same story (case, quotes, dashes, spacing)."""
    if body.isascii() and not any(c in body for c in _HASH_ASCII):  # NFKC leaves ASCII as is
        text = body
    else:
        text = unicodedata.normalize("NFKC", body).translate(_HASH_TRANSLATION)
    if "--" in text:  # the substitution's scan costs more than this test
        text = _DASH_RUN.sub("-", text)
    text = " ".join(text.split())
    text = _NORMALISED_DATELINE.sub("", text, count=1)
    return strip_trailer(text).lower()


def content_hash(body: str) -> str:
    """sha256 hex of the normalised body: equal for exact duplicates."""
    return hashlib.sha256(normalise_body(body).encode("utf-8")).hexdigest()


_TEXT_AND_BREAKS_XPATH = lxml.etree.XPath(
    ".//text()[not(ancestor::script) and not(ancestor::style)] | .//br"
)


def element_text(element: lxml.html.HtmlElement) -> str:
    """The element's visible text; a <br> counts as a space (text_content() would glue the words)."""
    nodes = _TEXT_AND_BREAKS_XPATH(element)
    return "".join(node if isinstance(node, str) else " " for node in nodes)


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
    return clean_text(match["place"]), paragraph[match.end() :]


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
    paragraphs = [text for text in map(clean_text, raw_paragraphs) if text]
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
