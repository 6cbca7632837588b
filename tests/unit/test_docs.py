"""The README stays a short front page, and no link in it or in docs/ leads nowhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MAX_README_BYTES = 12 * 1024
USER_TASKS = ("Run the daily DAG", "Backfill a range", "Monitor runs")
TOC_HEADING = "Contents"

_PARSER = MarkdownIt("commonmark").enable("table")


def _tokens(path: Path) -> list[Token]:
    return _PARSER.parse(path.read_text(encoding="utf-8"))


def _inline_children(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield from token.children or ()


def links(path: Path) -> list[str]:
    """Every link and image target in the file (code spans and blocks are not links)."""
    found = []
    for child in _inline_children(_tokens(path)):
        if child.type == "link_open":
            found.append(str(child.attrGet("href")))
        elif child.type == "image":
            found.append(str(child.attrGet("src")))
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but '-' and '_' dropped, ' ' -> '-'."""
    kept = "".join(c for c in heading.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def _headings(tokens: list[Token]) -> Iterator[tuple[int, str]]:
    """(token index, plain text) of every heading, in order."""
    for index, (opening, inline) in enumerate(pairwise(tokens)):
        if opening.type == "heading_open":
            yield index, "".join(child.content for child in inline.children or ())


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the file's headings (a repeated slug gets -1, -2, ...)."""
    seen: dict[str, int] = {}
    result = set()
    for _, text in _headings(_tokens(path)):
        base = slug(text)
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def _is_relative(target: str) -> bool:
    """A path from the linking file's folder: no scheme, no host, not from the site's root."""
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not parts.path.startswith("/")


def test_slug_follows_github_rules() -> None:
    assert slug("Exact copies (`duplicate_of`)") == "exact-copies-duplicate_of"
    assert slug("Reading a run's report") == "reading-a-runs-report"
    assert slug("Xinhua English (english.news.cn)") == "xinhua-english-englishnewscn"
    assert slug("Fetching: politeness, faults") == "fetching-politeness-faults"


def test_readme_is_a_short_front_page() -> None:
    size = len(README.read_bytes())
    assert size <= MAX_README_BYTES, f"README.md is {size} bytes; move depth into docs/"


def test_readme_starts_with_the_two_commands() -> None:
    first_code = next(t for t in _tokens(README) if t.type == "fence")
    assert "make demo" in first_code.content
    assert "make test" in first_code.content


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_is_relative_and_leads_somewhere(path: Path) -> None:
    broken = []
    for target in links(path):
        if urlsplit(target).scheme in {"http", "https", "mailto"}:
            continue  # a page outside the repository
        assert _is_relative(target), f"{path.name}: {target} is not a relative link"
        file_part, _, anchor = target.partition("#")
        linked = path if not file_part else (path.parent / unquote(file_part)).resolve()
        if not linked.exists():
            broken.append(f"{target}: no file {linked}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading with the anchor #{anchor} in {linked.name}")
    assert not broken, f"{path.name}: " + "; ".join(broken)


def test_readme_toc_links_the_three_user_tasks() -> None:
    tokens = _tokens(README)
    starts = [index for index, _ in _headings(tokens)]
    start = next(index for index, text in _headings(tokens) if text == TOC_HEADING)
    end = next((index for index in starts if index > start), len(tokens))
    toc = {
        str(child.attrGet("href"))
        for child in _inline_children(tokens[start:end])
        if child.type == "link_open"
    }
    readme_anchors = anchors(README)
    for task in USER_TASKS:
        assert f"#{slug(task)}" in toc, f"the table of contents does not link {task!r}"
        assert slug(task) in readme_anchors, f"README.md has no section {task!r}"


def test_docs_use_their_own_screenshots_folder() -> None:
    for path in [README, *DOCS]:
        for target in links(path):
            if re.search(r"\.(png|jpe?g|gif|svg)$", target):
                resolved = (path.parent / target).resolve()
                assert resolved.parent == ROOT / "docs" / "screenshots", f"{path.name}: {target}"
