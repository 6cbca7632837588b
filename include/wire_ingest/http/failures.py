"""What a failed fetch means: a reason code and whether a retry could help."""

from __future__ import annotations

import re

from wire_ingest.models import FailureKind, FetchResult

ROBOTS_DISALLOWED = "robots_disallowed"


ROBOTS_UNAVAILABLE = "robots_unavailable"


LINK_REFUSED = "link_refused"


BROKEN_BODY = "incomplete_body"


READ_TIMEOUT = "read_timeout"


BAD_GZIP = "bad_gzip"


# Failures a fetch retries within the run once a response has arrived (urllib3 retries those
# before one): a body cut short, a stall in the middle of the body, a corrupt compressed body.
RETRIED_IN_RUN = frozenset({BROKEN_BODY, READ_TIMEOUT, BAD_GZIP})


_REDIRECT_LOOP = re.compile(r"redirect loop|more than \d+ redirects")


def classify_failure(result: FetchResult) -> FailureKind:
    """Reason code for a failed fetch; 4xx (but 408/429), oversize, non-HTML, refused redirects and
    robots are permanent; timeouts, connection errors, broken bodies and 5xx are worth a retry."""
    error = (result.error or "").lower()
    if error.startswith("disallowed by robots.txt"):
        return FailureKind(ROBOTS_DISALLOWED, True)
    if error.startswith("robots.txt unavailable"):
        return FailureKind(ROBOTS_UNAVAILABLE, False)
    if error.startswith("link refused"):
        return FailureKind(LINK_REFUSED, True)
    if "redirect to other host refused" in error:
        return FailureKind("redirect_refused", True)
    if _REDIRECT_LOOP.search(error):
        return FailureKind("redirect_loop", True)
    if error.startswith("body exceeds"):
        return FailureKind("body_too_large", True)
    if error.startswith("content type"):
        return FailureKind("not_html", True)
    status = result.status
    if status is not None and not 200 <= status < 400 and error.startswith("http "):
        transient = status >= 500 or status in (408, 429)
        return FailureKind(f"http_{status}", not transient)
    if any(word in error for word in ("contentdecodingerror", "decompress", "incorrect header")):
        return FailureKind(BAD_GZIP, False)
    if error.startswith("timeout") and "read timed out" in error:
        return FailureKind(READ_TIMEOUT, False)
    if error.startswith("timeout"):
        return FailureKind("timeout", False)
    if error.startswith("connection error"):
        return FailureKind("connection_error", False)
    if any(word in error for word in ("chunkedencoding", "incompleteread", "protocolerror")):
        return FailureKind(BROKEN_BODY, False)
    return FailureKind("fetch_error", False)
