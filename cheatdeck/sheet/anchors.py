"""Anchors and links across the sheet's parts: each part is laid out alone, so a link to a target in another
part gets a stand-in target here, and the joined PDF points it at the real one."""

from __future__ import annotations

import functools
import re
from html import escape, unescape
from urllib.parse import unquote

_IDS = re.compile(r'\bid="([^"]+)"')
_INTERNAL_LINKS = re.compile(r'\bhref="#([^"]+)"')
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


_STUBS = '<div class="anchor-stubs" style="position: absolute; top: 0; left: 0; width: 0; height: 0">'


def anchors_of(html: str) -> frozenset[str]:
    """The anchors a part lays out itself, not its stand-ins for targets in other parts."""
    return frozenset(anchors_in(html.split(_STUBS, 1)[0]))


def anchors_in(html: str) -> set[str]:
    """The anchors the HTML names, as WeasyPrint names them in the PDF (`&amp;` is `&`)."""
    return {unescape(name) for name in _IDS.findall(html)}


@functools.lru_cache(maxsize=1 << 14)
def anchors_of_text(html: str) -> frozenset[str]:
    """`anchors_in`, kept for the texts read last (a long sheet's items: an edit reads only those it
    changed)."""
    return frozenset(anchors_in(html))


def with_stubs(html: str, everywhere: set[str]) -> str:
    """Give every link to another part a stand-in target here, so WeasyPrint keeps the link; the joined
    PDF points it at the real target. A link to no target anywhere is left to WeasyPrint (it drops it)."""
    links = {unquote(unescape(name)) for name in _INTERNAL_LINKS.findall(html)} & everywhere  # as WeasyPrint
    missing = sorted(links - anchors_in(html))
    if not missing:
        return html
    stubs = _STUBS + "".join(f'<div id="{escape(name)}"></div>' for name in missing) + "</div>"
    ends = list(_BODY_END.finditer(html))
    at = ends[-1].start() if ends else len(html)  # HTML may leave `</body>` out
    return f"{html[:at]}{stubs}{html[at:]}"
