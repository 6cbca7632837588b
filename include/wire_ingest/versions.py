"""Wire-copy version labels read from headline prefixes (`Urgent:`, `1st LD Writethru:`, `Roundup:`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Ranks order a story's versions from the first flash to the most complete rewrite; the
# representative of a story is its highest-ranked version (see docs/deduplication.md).
RANK_URGENT = 0
RANK_PLAIN = 1
RANK_UPDATE = 2
RANK_LD_BASE = 2  # "1st LD" -> 3, "2nd LD" -> 4, ...
RANK_ROUNDUP = 20

_ORDINAL_LD = re.compile(r"^(\d+)\s*(?:st|nd|rd|th)\s+LD(?:[\s-]+Writethru)?$", re.IGNORECASE)
_PREFIX = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9 -]{0,30}?)\s*:\s+\S")
_SIMPLE_KINDS: dict[str, tuple[str, int]] = {
    "urgent": ("urgent", RANK_URGENT),
    "flash": ("urgent", RANK_URGENT),
    "bulletin": ("urgent", RANK_URGENT),
    "update": ("update", RANK_UPDATE),
    "writethru": ("writethru", RANK_UPDATE),
    "refiled": ("update", RANK_UPDATE),
    "correction": ("update", RANK_UPDATE),
    "roundup": ("roundup", RANK_ROUNDUP),
}


@dataclass(frozen=True, slots=True)
class HeadlineVersion:
    """What a headline says about which version of its story a page is."""

    kind: str  # "" (plain), urgent, update, writethru, ld_writethru, roundup
    rank: int  # higher = later, more complete version
    number: int = 0  # the n of "nth LD"


def strip_headline_prefix(title: str) -> str:
    """The headline without its `Label:` prefix (`Urgent:`, `2nd LD Writethru:`, `Roundup:`,
    `China Focus:` ...): what versions of one story keep in common."""
    match = _PREFIX.match(title or "")
    if match is None:
        return (title or "").strip()
    return title[title.index(":", match.start(1)) + 1 :].strip()


def is_version_label(version: HeadlineVersion) -> bool:
    """The prefix says an earlier version of the story exists or is coming (an urgent, a
    writethru, an LD, an update or a roundup)."""
    return version.kind != ""


def headline_version(title: str) -> HeadlineVersion:
    """`Urgent: X` -> urgent/0, `2nd LD Writethru: X` -> ld_writethru/4, `X` -> plain/1."""
    match = _PREFIX.match(title or "")
    if match:
        label = " ".join(match.group(1).split())
        simple = _SIMPLE_KINDS.get(label.lower())
        if simple is not None:
            return HeadlineVersion(simple[0], simple[1])
        ordinal = _ORDINAL_LD.match(label)
        if ordinal:
            number = int(ordinal.group(1))
            return HeadlineVersion("ld_writethru", RANK_LD_BASE + number, number)
    return HeadlineVersion("", RANK_PLAIN)
