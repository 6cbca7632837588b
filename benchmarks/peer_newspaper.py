"""newspaper4k over the benchmark's pages, run by .venv-bench's Python (it cannot live in .venv).

Reads {"pages": [{"url", "html"}], "repeats": n} as JSON on stdin; writes JSON to stdout:
the seconds of each full pass and the fields of the last pass. Standard library + newspaper4k only.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from typing import Any


def extract(pages: list[dict[str, str]]) -> list[dict[str, Any]]:
    import newspaper

    found: list[dict[str, Any]] = []
    for page in pages:
        article = newspaper.Article(page["url"], fetch_images=False)  # images off: no downloads
        try:
            article.download(input_html=page["html"])
            article.parse()
        except Exception as exc:  # a page it cannot handle counts as a miss, like a wrong field
            found.append({"url": page["url"], "error": repr(exc)})
            continue
        date = article.publish_date
        found.append(
            {
                "url": page["url"],
                "title": article.title or "",
                "date": date.date().isoformat() if date is not None else "",
                "body": article.text or "",
            }
        )
    return found


def main() -> int:
    warnings.simplefilter("ignore")  # "nltk is not installed": NLP is not used here
    request = json.load(sys.stdin)
    pages = request["pages"]
    started = time.perf_counter()
    import newspaper

    import_seconds = time.perf_counter() - started
    extract(pages[:5])  # warm-up, untimed, like the in-process contenders
    seconds: list[float] = []
    fields: list[dict[str, Any]] = []
    for _ in range(int(request.get("repeats", 1))):
        began = time.perf_counter()
        fields = extract(pages)
        seconds.append(time.perf_counter() - began)
    json.dump(
        {
            "version": getattr(newspaper, "__version__", "?"),
            "import_seconds": import_seconds,
            "seconds": seconds,
            "fields": fields,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
