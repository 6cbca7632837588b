"""GX's Data Docs page views with their Jinja templates compiled once per process, not per build."""

from __future__ import annotations

import threading
from typing import Any

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

MODULE = __name__


class _CompiledTemplates(BytecodeCache):
    """Jinja's compiled code of each template, in memory for the life of the process.

    GX makes a new Jinja Environment for every view of every site build, so each run's Data Docs
    parsed and compiled GX's ~50 page templates again (about 0.7 s of CPU, most of an empty
    batch's docs). Jinja checks a cached template's source checksum before using its code, so a
    changed template is compiled again.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code


TEMPLATES = _CompiledTemplates()


class PageView(DefaultJinjaPageView):
    """GX's page view (suite and result pages), sharing the process's compiled templates."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = TEMPLATES


class IndexPageView(DefaultJinjaIndexPageView):
    """GX's index page view, sharing the process's compiled templates."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = TEMPLATES


def view(class_name: str) -> dict[str, str]:
    """A site config's `view` entry naming one of these classes (GX imports it when it builds)."""
    return {"module_name": MODULE, "class_name": class_name}
