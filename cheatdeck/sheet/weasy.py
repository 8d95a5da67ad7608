"""WeasyPrint run reproducibly: a part's PDF as rendered, the date it is stamped with, its warnings
collected for the build to report, and the files an HTML document shows."""

from __future__ import annotations

import contextlib
import ctypes.util
import functools
import io
import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

_REFERENCES = re.compile(r'\bsrc="([^"]*)"|url\(([^)]*)\)')
PART_EPOCH = 0
"""SOURCE_DATE_EPOCH for a part: its dates are dropped when the parts are joined, so a part does not
depend on the day the sources changed (which the frame prints) and stays cached across edits."""


@functools.cache
def load_weasyprint() -> None:
    """Import WeasyPrint without searching for its libraries, where the loader finds them by name.

    WeasyPrint asks for each library under every platform's name in turn; on Linux each name the dynamic
    loader does not know makes `ctypes.util.find_library` run ldconfig, gcc and ld (22 searches, 0.3–0.6 s
    of every process that prints). Its lists hold each library's Linux file name too, which the loader
    finds at once, so the search is skipped; where that fails (a system that names its libraries
    otherwise), WeasyPrint is imported again as it would import itself."""
    if not sys.platform.startswith("linux") or "weasyprint" in sys.modules:
        return
    search = ctypes.util.find_library
    ctypes.util.find_library = _not_searched
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its advice to install the libraries, printed
            import weasyprint  # noqa: F401
    except OSError:
        for name in [name for name in sys.modules if name.split(".")[0] == "weasyprint"]:
            del sys.modules[name]  # half imported: imported again below, with the search
    finally:
        ctypes.util.find_library = search


def _not_searched(name: str) -> None:
    return None


@dataclass(frozen=True)
class Rendered:
    """One part rendered: its PDF, what WeasyPrint warned about, the files it read (path → sha256), and
    its page count (None where not known: a part taken from the cache). Laid out by this process or
    its worker (not from the cache), it also says how its pages end and begin (`Fit`)."""

    pdf: bytes
    warnings: tuple[str, ...]
    files: Mapping[str, str]
    pages: int | None = None
    fit: Fit | None = None


@dataclass(frozen=True)
class Fit:
    """How a laid-out document's pages end and begin, to tell whether a part laid out after another on
    the same page would have started a page of its own: `room`, the height left below the body's content
    on its last page; `lead`, the height of the body's first box on its first page, and whether it
    avoids a break inside (`break-inside: avoid`: WeasyPrint then moves it whole to the next page where
    it does not fit). Heights in CSS pixels, as WeasyPrint lays out."""

    room: float
    lead: float
    lead_avoids_break: bool


def fit_of(pages: list[Any]) -> Fit | None:
    """The `Fit` of a laid-out WeasyPrint document (its `pages`); None where it has no content."""
    if not pages:
        return None
    last, first = _body(pages[-1]._page_box), _body(pages[0]._page_box)
    if last is None or first is None:
        return None
    bottom = pages[-1]._page_box.content_box_y() + pages[-1]._page_box.height
    ends = [box.border_box_y() + box.border_height() for box in last.children if box.is_in_normal_flow()]
    leads = [box for box in first.children if box.is_in_normal_flow()]
    if not leads:
        return None
    avoids = leads[0].style["break_inside"] in ("avoid", "avoid-page")
    return Fit(bottom - max(ends, default=last.content_box_y()), leads[0].border_height(), avoids)


def _body(page: Any) -> Any:
    """The body's box on a page (the root's first child), None where the page shows none."""
    for root in getattr(page, "children", ()):
        if getattr(root, "element_tag", None) == "html":
            for body in getattr(root, "children", ()):
                if getattr(body, "element_tag", None) == "body":
                    return body
    return None


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
