"""Why lxml and not BeautifulSoup: both pull title and body paragraphs from the reference page.

The page is tests/fixtures/pages/seed-2020-12-23.html (the reference article, a copy of
shared/pages/). Each side parses the same bytes and returns the same fields; the run checks that
they agree before it times them, so the figure compares equal work.

python -m benchmarks.bench_html_parsers [--quick]   # prints ms/page for each and the ratio

beautifulsoup4 is a dev dependency (requirements-dev.in) for this benchmark only: the pipeline
does not import it (docs/dependencies.md).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import Row, interleaved_rates, row, unavailable

FIGURE = "HTML parsers"
PAGE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "pages" / "seed-2020-12-23.html"
SEED_URL = "http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187.htm"
PAGES_PER_ROUND = 50  # one timed call parses the page this many times: above timer noise
Fields = tuple[str, list[str]]  # (title, body paragraphs)


def lxml_fields(html: bytes) -> Fields:
    """lxml.html + XPath, as the site adapter reads the page."""
    import lxml.html

    document = lxml.html.fromstring(html)
    titles = document.xpath("//h1[@id='title']")
    paragraphs = document.xpath("//div[@id='container_txt']//p")
    return (
        titles[0].text_content().strip() if titles else "",
        [p.text_content().strip() for p in paragraphs],
    )


def bs4_fields(html: bytes) -> Fields:
    """BeautifulSoup on its lxml tree builder + CSS selectors, the same fields."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    title = soup.select_one("h1#title")
    return (
        title.get_text().strip() if title else "",
        [p.get_text().strip() for p in soup.select("div#container_txt p")],
    )


def adapter_fields(html: bytes) -> Fields:
    """The pipeline's whole china.org.cn parse (decoding, cleaning, source line, date): context."""
    from wire_ingest.adapters import china_org_cn

    article = china_org_cn.parse_article(html, SEED_URL)
    return article.title, article.body.split("\n\n")


def _repeat(extract: Callable[[bytes], Fields], html: bytes) -> Callable[[], object]:
    def work() -> object:
        for _ in range(PAGES_PER_ROUND):
            extract(html)
        return None

    return work


def run(quick: bool) -> dict[str, Any]:
    """ms/page of each parser on one core (median of interleaved rounds) and their ratio."""
    try:
        import bs4  # noqa: F401  (a dev-only dependency: absent from a runtime venv)
    except ImportError:
        return {"rows": [unavailable(FIGURE, "ms/page", "beautifulsoup4 is not installed")]}
    html = PAGE.read_bytes()
    ours, theirs = lxml_fields(html), bs4_fields(html)
    if ours != theirs or not ours[0] or not ours[1]:
        raise RuntimeError("lxml and BeautifulSoup disagree on the reference page's fields")
    rates = interleaved_rates(
        {
            "lxml": _repeat(lxml_fields, html),
            "bs4": _repeat(bs4_fields, html),
            "adapter": _repeat(adapter_fields, html),
        },
        items=PAGES_PER_ROUND,
        repeats=5 if quick else 21,
    )
    lxml_ms, bs4_ms, adapter_ms = (1000 / rates[k] for k in ("lxml", "bs4", "adapter"))
    rows: list[Row] = [
        row(
            FIGURE,
            "BeautifulSoup(html, 'lxml') + CSS select, ms/page (title + paragraphs)",
            bs4_ms,
            "ms",
            peer="lxml.html + XPath",
            peer_value=lxml_ms,
            note=f"{PAGE.name}, {len(ours[1])} paragraphs; ratio = how many times slower bs4 is",
        ),
        row(
            FIGURE,
            "BeautifulSoup(html, 'lxml') + CSS select, ms/page (title + paragraphs)",
            bs4_ms,
            "ms",
            peer="site adapter parse_article (whole article)",
            peer_value=adapter_ms,
            note="the adapter also decodes, cleans, reads source and date: more work than bs4's",
        ),
    ]
    return {
        "rows": rows,
        "bs4_ms_per_page": round(bs4_ms, 3),
        "lxml_ms_per_page": round(lxml_ms, 3),
        "adapter_ms_per_page": round(adapter_ms, 3),
        "ratio": round(bs4_ms / lxml_ms, 1),
        "ratio_to_adapter": round(bs4_ms / adapter_ms, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_html_parsers")
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args(argv)
    result = run(args.quick)
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
