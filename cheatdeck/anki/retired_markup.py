"""A retired note's fields, rebuilt from the lock with their layout but never as the lock's markup.

The lock is data a stranger may have edited. A retired note's text fields are rebuilt as escaped text;
its layout fields (the details list, a contrast's table, *More*'s references) keep the few elements the
build itself writes there: each element of an allow-list is written anew by this module, with only a
`class` of plain words and, on a link, an `http(s)` address; every other element is dropped (its text
kept, escaped), and a script's or style's text goes with it.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

LAYOUT_FIELDS = frozenset(
    {"Summary", "Details", "More", "Question", "Answer", "Learning card answer", "Task card answer"}
)
"""The fields whose layout a retired note keeps (the others are text: a name, a kind, an id)."""

_ELEMENTS = frozenset(
    {"p", "br", "b", "strong", "i", "em", "code", "sub", "sup", "ul", "ol", "li", "dl", "dt", "dd", "div",
     "span", "table", "thead", "tbody", "tr", "th", "td", "a", "details", "summary"}
)  # fmt: skip
_VOID = frozenset({"br"})
_DROPPED_WITH_TEXT = frozenset({"script", "style", "template", "iframe", "object", "svg", "math"})
_CLASS = re.compile(r"[A-Za-z0-9 _-]{1,80}")
_LINK = re.compile(r"https?://[^\s\"'<>`]+", re.IGNORECASE)


class _Rebuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []  # allowed elements written and not yet closed
        self.hidden = 0  # inside a script or style: its text is dropped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_WITH_TEXT:
            self.hidden += 1
            return
        if tag not in _ELEMENTS:
            return
        kept = ""
        values = dict(attrs)
        if values.get("class") and _CLASS.fullmatch(values["class"] or ""):
            kept += f' class="{escape(values["class"] or "", quote=True)}"'
        if tag == "a" and _LINK.fullmatch(values.get("href") or ""):
            kept += f' href="{escape(values["href"] or "", quote=True)}"'
        self.out.append(f"<{tag}{kept}>")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _DROPPED_WITH_TEXT:
            self.hidden -= 1
        elif tag in self.open and tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_WITH_TEXT:
            self.hidden = max(0, self.hidden - 1)
            return
        if tag not in self.open:
            return
        while self.open:  # close what was left open inside it, so the output stays well nested
            inner = self.open.pop()
            self.out.append(f"</{inner}>")
            if inner == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(escape(data, quote=True))


def rebuilt_layout(value: str) -> str:
    """Return a field read from the lock with the build's own layout elements written anew, everything
    else as escaped text: nothing in the lock can become a script, a handler or a foreign address."""
    parser = _Rebuilder()
    parser.feed(value)
    parser.close()
    parser.out += [f"</{tag}>" for tag in reversed(parser.open)]
    return "".join(parser.out).strip()
