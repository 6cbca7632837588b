"""Great Expectations Data Docs per run: a GX site built by GX, made to render offline."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wire_ingest import settings
from wire_ingest.landing import safe_key
from wire_ingest.warehouse import tables

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

# GX's page templates hard-code CDN URLs and offer no setting for them (a site's config takes a
# store backend only; templates in a plugins' custom_data_docs/views folder come after GX's own,
# so they cannot replace them). The one rewrite left: each CDN resource -> the vendored copy, any
# other CDN resource dropped, and the site's static/ -> the copy shared by every run.
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
# GX's page templates end every page with a newsletter footer (cloud-footer.j2, included without
# a condition): the one element the offline rewrite removes besides CDN resources.
_NEWSLETTER_FOOTER = re.compile(
    r"<footer>(?:(?!</footer>).)*greatexpectations\.io/newsletter(?:(?!</footer>).)*</footer>\s*",
    re.DOTALL,
)
_STATIC_LINK = re.compile(r"""(?P<attr>\b(?:href|src))=(?P<q>["'])(?:\./|(?:\.\./)+)static/""")


@dataclass(frozen=True, slots=True)
class DocsPage:
    """One page of a run's site: a suite's expectations or its validation result."""

    kind: str  # "expectations" or "validations"
    suite_name: str
    path: str  # relative to the run's folder
    success: bool | None = None


def docs_name(feed: str, target_day: dt.date | str) -> str:
    """What a run's Data Docs are called (site title and data asset): `<feed> <day>`."""
    day = target_day.isoformat() if isinstance(target_day, dt.date) else target_day
    return f"{feed} {day}"


def run_dir(run_id: str, *, root: Path | None = None) -> Path:
    """The folder of one run's site: `<data docs root>/<run key>/`."""
    return (root or settings.data_docs_dir()) / safe_key(run_id)


def suite_page(suite_name: str) -> str:
    """Where GX's site builder writes a suite's page: `expectations/a/b/c.html` for suite a.b.c."""
    return "/".join(["expectations", *suite_name.split(".")]) + ".html"


def validation_page(result_id: Any) -> str:
    """Where GX's site builder writes the page of a validation result (a ValidationResultIdentifier):
    `validations/<suite path>/<run name>/<run time>/<batch id>.html`."""
    suite_name = result_id.expectation_suite_identifier.name
    parts = ["validations", *suite_name.split("."), *result_id.run_id.to_tuple()]
    return "/".join([*parts, result_id.batch_identifier]) + ".html"


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
    """Point GX's CDN resources at the vendored copies, drop the rest, use the shared static/.

    depth is how many folders below the run's folder the page sits (index.html: 0).
    """
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
    page = _NEWSLETTER_FOOTER.sub("", page)

    return _STATIC_LINK.sub(lambda m: f"{m.group('attr')}={m.group('q')}{to_static}", page)


def ensure_static(root: Path, *, gx_static: Path) -> Path:
    """Copy the vendored CSS/JS and the images GX's pages show (from gx_static, the static/
    folder GX wrote into a site) into `<root>/static/`, shared by every run."""
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
    for name in GX_STATIC_IMAGES:
        target = images / name
        if not target.exists() and (gx_static / "images" / name).exists():
            shutil.copyfile(gx_static / "images" / name, target)
    return static


def build_run_docs(
    run_id: str,
    *,
    name: str,
    results: Mapping[Any, bool],
    summary: Mapping[str, Any],
    counts: Mapping[str, int] | None = None,
    root: Path | None = None,
) -> Path:
    """GX builds the run's site (index, suite pages, result pages); returns the index's path.

    name: the site's title and each result's data asset (docs_name()). results: the
    ValidationResultIdentifier of each of the run's checkpoint results -> success. counts: the
    run's stage counts as the Data quality tab shows them, shown in each result's page.
    """
    from wire_ingest.quality import docs_views, validation

    docs_root = root or settings.data_docs_dir()
    folder = run_dir(run_id, root=docs_root)
    context = validation.gx_context()
    _label_results(context, results, name=name, counts=counts or {})
    # Any: GX's DataDocsSiteConfigTypedDict lacks show_how_to_buttons ("may be incomplete"),
    # the flag GX's own footer says to set to hide its tutorial footer and pop-up.
    # The views are GX's own with the process's compiled templates (docs_views): the same
    # pages, without compiling GX's templates again for every run.
    page_view = docs_views.view("PageView")
    site: Any = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "view": docs_views.view("IndexPageView"),
        },
        "site_section_builders": {
            section: {"view": page_view} for section in ("expectations", "validations", "profiling")
        },
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(folder),
        },
    }
    # The site is named after the run (its index reads "Data Docs | <feed> <day>"), so it exists
    # only while this run's pages are built.
    if name in context.list_data_docs_sites():
        context.update_data_docs_site(name, site)
    else:
        context.add_data_docs_site(name, site)
    suite_ids = {
        key.expectation_suite_identifier.name: key.expectation_suite_identifier for key in results
    }
    try:
        context.build_data_docs(
            site_names=[name], resource_identifiers=[*suite_ids.values(), *results]
        )
    finally:
        context.delete_data_docs_site(name)
    # GX copies its 4 MB of static files (fonts, animated GIFs) into every site; the pages use
    # the copy shared by all runs instead (make_offline), so the run's own is dropped.
    ensure_static(docs_root, gx_static=folder / "static")
    shutil.rmtree(folder / "static", ignore_errors=True)

    pages = [DocsPage("expectations", name, suite_page(name)) for name in suite_ids]
    pages += [
        DocsPage(
            "validations", key.expectation_suite_identifier.name, validation_page(key), success
        )
        for key, success in results.items()
    ]
    missing = [page.path for page in pages if not (folder / page.path).is_file()]
    if missing:  # a GX whose site layout changed: the report would link to nothing
        raise FileNotFoundError(f"GX did not write {missing} in {folder}")
    for path in ["index.html", *(page.path for page in pages)]:  # what this build wrote
        _make_page_offline(folder, path)
    record = {
        "run_id": run_id,
        "name": name,
        "built_at": dt.datetime.now(dt.UTC).isoformat(),
        "pages": [dataclasses.asdict(page) for page in pages],
        "counts": dict(counts or {}),
        **dict(summary),
    }
    (folder / SUMMARY_FILE).write_text(json.dumps(record, indent=1, sort_keys=True, default=str))
    return folder / "index.html"


def _label_results(
    context: Any, results: Mapping[Any, bool], *, name: str, counts: Mapping[str, int]
) -> None:
    """Name each stored result's data asset and add the run's counts to it, in the result's
    `meta` (GX: "reserved for user-defined information"). GX's result page takes the asset's name
    from `batch_kwargs`, else from the batch spec, which a DataFrame asset's batch lacks ("Data
    asset: None"); it shows `batch_kwargs` as a table of its own, and the index lists the name."""
    store = context.validation_results_store
    for key in results:
        stored = store.get(key)
        stored.meta["batch_kwargs"] = {"data_asset_name": name, **counts}
        store.set(key, stored)


def _make_page_offline(folder: Path, relative: str) -> None:
    page = folder / relative
    offline = make_offline(page.read_text(encoding="utf-8"), depth=relative.count("/"))
    left = external_resources(offline)
    if left:  # a new GX template with a CDN we do not know yet: fail the docs, not the page
        raise ValueError(f"{relative} would still load {left[:3]} from the network")
    page.write_text(offline, encoding="utf-8")


def build_validation_docs(
    ctx: RunContext,
    result: ValidationResult,
    check: BatchCheck,
    *,
    counts: Mapping[str, int] | None = None,
    root: Path | None = None,
) -> Path | None:
    """The validate step's Data Docs, passed or failed; a rendering problem is logged, never
    fails the run. counts: the run's counts as the Data quality tab shows them
    (docs_counts())."""
    outcomes = [o for o in (result, check) if o.result_id is not None]
    if not outcomes:
        return None  # nothing reached GX
    try:
        summary = {
            "target_day": ctx.target_day.isoformat(),
            "feed": ctx.feed,
            "rows": len(result.passed) + len(result.rejected),
            "passed": len(result.passed),
            "rejected_rows": len(result.rejected),
            "batch_expectations": "met" if check.success else "failed",
            "batch_failures": list(check.failures),
        }
        results = {o.result_id: bool(o.suite_result.success) for o in outcomes}
        return build_run_docs(
            ctx.run_id,
            name=docs_name(ctx.feed, ctx.target_day),
            results=results,
            summary=summary,
            counts=counts,
            root=root,
        )
    except Exception:
        log.warning("data docs for run %s could not be built", ctx.run_id, exc_info=True)
        return None


def docs_counts(run_counts: Mapping[Any, Any]) -> dict[str, int]:
    """The counts of the Data quality tab's columns (tables.STAGE_COUNTS), by their labels."""
    return {label: int(run_counts.get(column, 0)) for label, column in tables.STAGE_COUNTS}
