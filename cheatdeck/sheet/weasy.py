"""WeasyPrint run reproducibly: a part's PDF as rendered, the date it is stamped with, its warnings
collected for the build to report, and the files an HTML document shows."""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

_REFERENCES = re.compile(r'\bsrc="([^"]*)"|url\(([^)]*)\)')
PART_EPOCH = 0
"""SOURCE_DATE_EPOCH for a part: its dates are dropped when the parts are joined, so a part does not
depend on the day the sources changed (which the frame prints) and stays cached across edits."""


@dataclass(frozen=True)
class Rendered:
    """One part rendered: its PDF, what WeasyPrint warned about, the files it read (path → sha256), and
    its page count (None where not known: a part taken from the cache)."""

    pdf: bytes
    warnings: tuple[str, ...]
    files: Mapping[str, str]
    pages: int | None = None


def shown_urls(html: str, base: str) -> set[str]:
    """The URLs of what the HTML shows (images, CSS `url()`), resolved against `base`."""
    from html import unescape
    from urllib.parse import urljoin

    return {
        urljoin(base, unescape(next(filter(None, reference))).strip("'\""))
        for reference in _REFERENCES.findall(html)
    }


@functools.lru_cache(maxsize=1 << 14)
def shown_urls_kept(html: str, base: str) -> frozenset[str]:
    """`shown_urls`, kept for the texts read last (a long sheet's items)."""
    return frozenset(shown_urls(html, base))


@contextmanager
def source_date_epoch(timestamp: int) -> Iterator[None]:
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(timestamp)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


class _Collect(logging.Handler):
    def __init__(self, messages: list[str]):
        super().__init__(level=logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def collected_warnings() -> Iterator[list[str]]:
    """Collect WeasyPrint's warnings (silent when used as a library), to be reported by the build."""
    messages: list[str] = []
    weasy = logging.getLogger("weasyprint")
    handler = _Collect(messages)
    weasy.addHandler(handler)
    try:
        yield messages
    finally:
        weasy.removeHandler(handler)
