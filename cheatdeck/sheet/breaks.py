"""Break opportunities for the PDF layout only: a very long unbreakable token (a pasted hash, a minified
line, a 50,000-character word) costs WeasyPrint time quadratic in its length, because each line is laid
out from the whole rest of the token. Inserting a zero-width space every few characters of such a token
gives the layout places to break; the text stays whole (the cards, the grid and the CSV never see this,
and the PDF's text has the same characters in the same order). Tokens of ordinary length, URLs included,
are left to the layout as they are.
"""

from __future__ import annotations

import re

LONGER_THAN = 200  # characters: no word or address a note prints is this long
EVERY = 8  # characters between break opportunities inside such a token
SPAN = 32  # pieces of EVERY characters per text box
ZERO_WIDTH_SPACE = "\u200b"

_TAG = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")
_RAW_TEXT = {"style", "script", "title", "textarea"}
_LONG_RUN = re.compile(rf"[^\s<]{{{LONGER_THAN + 1},}}")
_UNIT = re.compile(r"&#?[A-Za-z0-9]+;|.", re.DOTALL)  # a character, or a character reference whole


def breakable(html: str) -> str:
    """Return `html` with a zero-width space every `EVERY` characters of each text token longer than
    `LONGER_THAN` characters (outside tags, attributes, styles and scripts)."""
    if not _LONG_RUN.search(html):
        return html
    parts = _TAG.split(html)
    raw: str | None = None
    for index, part in enumerate(parts):
        if index % 2:  # a tag
            match = _TAG_NAME.match(part)
            name = match[1].lower() if match else ""
            if part.startswith("</") and name == raw:
                raw = None
            elif raw is None and name in _RAW_TEXT and not part.endswith("/>"):
                raw = name
        elif raw is None and len(part) > LONGER_THAN:
            parts[index] = _LONG_RUN.sub(_break_run, part)
    return "".join(parts)


def _break_run(match: re.Match[str]) -> str:
    units = _UNIT.findall(match[0])
    pieces = ["".join(units[start : start + EVERY]) for start in range(0, len(units), EVERY)]
    # Spans of a few hundred characters keep each text box short: WeasyPrint re-encodes the rest of a
    # box for every line, which is quadratic in a box's length.
    spans = (ZERO_WIDTH_SPACE.join(pieces[start : start + SPAN]) for start in range(0, len(pieces), SPAN))
    return ZERO_WIDTH_SPACE.join(f"<span>{span}</span>" for span in spans)
