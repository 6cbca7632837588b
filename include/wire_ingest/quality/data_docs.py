"""Great Expectations Data Docs per run, as a small static site that renders offline."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import logging
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wire_ingest import settings
from wire_ingest.landing import safe_key

if TYPE_CHECKING:
    from wire_ingest.models import RunContext
    from wire_ingest.quality.validation import BatchCheck, ValidationResult

log = logging.getLogger(__name__)

SUMMARY_FILE = "run.json"  # what the run report reads next to the pages
VENDOR_FILES = (
    "bootstrap.min.css",
    "bootstrap-table.min.css",
    "jquery.min.js",
    "bootstrap.bundle.min.js",
    "bootstrap-table.min.js",
    "wire-icons.css",
)
GX_STATIC_IMAGES = ("favicon.ico", "logo-long.png")

# CDN resources of GX's page templates -> the vendored copy; any other CDN resource is dropped.
_CDN_REPLACEMENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"bootstrap@4\.[\d.]+/.*/bootstrap\.min\.css$|bootstrap/4\.[\d.]+/css/"), "vendor/bootstrap.min.css"),
    (re.compile(r"bootstrap-table@[\d.]+/dist/bootstrap-table\.min\.css$"), "vendor/bootstrap-table.min.css"),
    (re.compile(r"jquery-3\.[\d.]+(?:\.min)?\.js$"), "vendor/jquery.min.js"),
    (re.compile(r"bootstrap/4\.[\d.]+/js/bootstrap(?:\.bundle)?\.min\.js$"), "vendor/bootstrap.bundle.min.js"),
    (re.compile(r"bootstrap-table@[\d.]+/dist/bootstrap-table\.min\.js$"), "vendor/bootstrap-table.min.js"),
    (re.compile(r"/logo-long\.png(?:\?.*)?$"), "images/logo-long.png"),
)  # fmt: skip
_RESOURCE_ATTR = re.compile(
    r"""(?P<attr>\b(?:href|src))=(?P<q>["'])(?P<url>https?://[^"']+)(?P=q)"""
)
_TAG_WITH_URL = re.compile(r"<(?P<tag>link|script|img|iframe)\b[^>]*>", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(?P<q>["']?)(?P<url>https?://[^"')]+)(?P=q)\s*\)""")
_SITE_LINK = re.compile(
    r"""(?P<attr>\b(?:href|src))=(?P<q>["'])(?:\.\./)+(?P<path>index\.html|expectations/|validations/|static/)"""
)


@dataclass(frozen=True, slots=True)
class DocsPage:
    """One page of a run's site: a suite's expectations or its validation result."""

    kind: str  # "expectations" or "validations"
    suite_name: str
    path: str  # relative to the run's folder
    success: bool | None = None


def run_dir(run_id: str, *, root: Path | None = None) -> Path:
    """The folder of one run's site: `<data docs root>/<run key>/`."""
    return (root or settings.data_docs_dir()) / safe_key(run_id)


def page_path(kind: str, suite_name: str) -> str:
    """Where GX's own links expect a suite's page: `expectations/a/b/c.html` for suite a.b.c."""
    return f"{kind}/{'/'.join(suite_name.split('.'))}.html"


def external_resources(page: str) -> list[str]:
    """http(s) URLs a page would load (stylesheets, scripts, images, frames, CSS url())."""
    found: list[str] = []
    for tag in _TAG_WITH_URL.finditer(page):
        text = tag.group(0)
        if tag.group("tag").lower() == "link" and not re.search(
            r"rel=[\"']?(?:stylesheet|icon|shortcut icon|preload)", text, re.IGNORECASE
        ):
            continue
        found.extend(m.group("url") for m in _RESOURCE_ATTR.finditer(text))
    found.extend(m.group("url") for m in _CSS_URL.finditer(page))
    return found


def make_offline(page: str, *, depth: int) -> str:
    """Point GX's CDN resources at the vendored copies, drop the rest, fix the site's links.

    depth is how many folders below the run's folder the page sits (index.html: 0).
    """
    to_run = "../" * depth
    to_static = "../" * (depth + 1) + "static/"

    def local(url: str) -> str | None:
        for pattern, target in _CDN_REPLACEMENTS:
            if pattern.search(url):
                return to_static + target
        return None

    def rewrite_tag(match: re.Match[str]) -> str:
        text = match.group(0)
        urls = [m.group("url") for m in _RESOURCE_ATTR.finditer(text)]
        if not urls:
            return text
        replacement = local(urls[0])
        if replacement is None:
            return ""  # a CDN resource without an offline copy (vega, fonts, dark theme): skip it
        text = text.replace(urls[0], replacement)
        return re.sub(r'\s(?:integrity|crossorigin)="[^"]*"', "", text)

    page = _TAG_WITH_URL.sub(rewrite_tag, page)
    # Dropped <script src> tags leave their closing tag behind: harmless, browsers ignore it.
    page = _CSS_URL.sub("none", page)
    icons = f'<link rel="stylesheet" href="{to_static}vendor/wire-icons.css">'
    page = page.replace("</head>", f"{icons}\n</head>", 1)

    def site_link(match: re.Match[str]) -> str:
        path = match.group("path")
        prefix = to_static[: -len("static/")] if path == "static/" else to_run
        return f"{match.group('attr')}={match.group('q')}{prefix}{path}"

    return _SITE_LINK.sub(site_link, page)


def ensure_static(root: Path) -> Path:
    """Copy the vendored CSS/JS and GX's images into `<root>/static/` (shared by every run)."""
    static = root / "static"
    vendor = static / "vendor"
    images = static / "images"
    vendor.mkdir(parents=True, exist_ok=True)
    images.mkdir(parents=True, exist_ok=True)
    source = resources.files("wire_ingest.quality") / "docs_static"
    for name in VENDOR_FILES:
        target = vendor / name
        if not target.exists():
            target.write_bytes((source / name).read_bytes())
    gx_images = _gx_static_dir() / "images"
    for name in GX_STATIC_IMAGES:
        target = images / name
        if not target.exists() and (gx_images / name).exists():
            shutil.copyfile(gx_images / name, target)
    return static


def _gx_static_dir() -> Path:
    import great_expectations

    return Path(great_expectations.__file__).parent / "render" / "view" / "static"


def build_run_docs(
    run_id: str,
    *,
    suites: Sequence[Any],
    results: Sequence[Any],
    summary: Mapping[str, Any],
    root: Path | None = None,
) -> Path:
    """Render each suite and its validation result, plus an index; returns the index's path."""
    from great_expectations.render.renderer import (
        ExpectationSuitePageRenderer,
        ValidationResultsPageRenderer,
    )
    from great_expectations.render.view import DefaultJinjaPageView

    docs_root = root or settings.data_docs_dir()
    ensure_static(docs_root)
    folder = run_dir(run_id, root=docs_root)
    view = DefaultJinjaPageView()
    pages: list[DocsPage] = []
    for suite in suites:
        path = page_path("expectations", suite.name)
        _write_page(folder, path, view.render(ExpectationSuitePageRenderer().render(suite)))
        pages.append(DocsPage("expectations", suite.name, path))
    for result in results:
        _plain_observed_values(result)
        suite_name = result.suite_name
        path = page_path("validations", suite_name)
        _write_page(folder, path, view.render(ValidationResultsPageRenderer().render(result)))
        pages.append(DocsPage("validations", suite_name, path, bool(result.success)))
    record = {
        "run_id": run_id,
        "built_at": dt.datetime.now(dt.UTC).isoformat(),
        "pages": [dataclasses.asdict(page) for page in pages],
        **dict(summary),
    }
    (folder / SUMMARY_FILE).write_text(json.dumps(record, indent=1, sort_keys=True, default=str))
    index = folder / "index.html"
    index.write_text(index_html(run_id, pages, summary), encoding="utf-8")
    return index


def _plain_observed_values(suite_result: Any) -> None:
    """numpy scalars as observed values break GX's renderers (num_to_str): make them plain."""
    for outcome in suite_result.results:
        observed: Any = (outcome.result or {}).get("observed_value")
        if hasattr(observed, "item") and not isinstance(observed, list | dict | str):
            outcome.result["observed_value"] = observed.item()


def _write_page(folder: Path, relative: str, page: str) -> None:
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    offline = make_offline(page, depth=relative.count("/"))
    left = external_resources(offline)
    if left:  # a new GX template with a CDN we do not know yet: fail the docs, not the page
        raise ValueError(f"{relative} would still load {left[:3]} from the network")
    target.write_text(offline, encoding="utf-8")


def index_html(run_id: str, pages: Iterable[DocsPage], summary: Mapping[str, Any]) -> str:
    """The run's landing page: verdicts and links to each suite's pages (vendored styles only)."""
    rows = []
    for page in pages:
        verdict = (
            ""
            if page.success is None
            else '<span class="badge badge-success">passed</span>'
            if page.success
            else '<span class="badge badge-danger">failed</span>'
        )
        rows.append(
            f'<tr><td>{html.escape(page.kind)}</td><td><a href="{html.escape(page.path)}">'
            f"{html.escape(page.suite_name)}</a></td><td>{verdict}</td></tr>"
        )
    facts = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in summary.items()
        if not isinstance(v, Mapping | list)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Data Docs: {html.escape(run_id)}</title>
<link rel="stylesheet" href="../static/vendor/bootstrap.min.css">
<link rel="icon" href="../static/images/favicon.ico">
</head><body><div class="container my-4">
<h1 class="h3">Data Docs for run <code>{html.escape(run_id)}</code></h1>
<table class="table table-sm w-auto">{facts}</table>
<table class="table table-striped w-auto"><thead><tr><th>page</th><th>suite</th><th>verdict</th></tr>
</thead><tbody>{"".join(rows)}</tbody></table>
</div></body></html>
"""


def build_validation_docs(
    ctx: RunContext,
    result: ValidationResult,
    check: BatchCheck,
    *,
    allowed_hosts: Sequence[str],
    root: Path | None = None,
) -> Path | None:
    """The validate step's Data Docs; a rendering problem is logged, never fails the run."""
    from wire_ingest.quality import validation

    if result.suite_result is None:
        return None  # an empty batch never reached GX: nothing to render for the rows
    try:
        suites = [
            validation.build_suite(
                target_day=ctx.target_day, allowed_hosts=allowed_hosts, feed=ctx.feed
            ),
            validation.build_batch_suite(
                min_rows=int(check.statistics["min_rows"]),
                max_rows=int(check.statistics["max_rows"]),
                max_reject_share=float(check.statistics["max_reject_share"]),
                feed=ctx.feed,
            ),
        ]
        summary = {
            "target_day": ctx.target_day.isoformat(),
            "feed": ctx.feed,
            "rows": len(result.passed) + len(result.rejected),
            "passed": len(result.passed),
            "rejected": len(result.rejected),
            "batch_expectations": "met" if check.success else "failed",
            "batch_failures": list(check.failures),
        }
        return build_run_docs(
            ctx.run_id,
            suites=suites,
            results=[result.suite_result, check.suite_result],
            summary=summary,
            root=root,
        )
    except Exception:
        log.warning("data docs for run %s could not be built", ctx.run_id, exc_info=True)
        return None
