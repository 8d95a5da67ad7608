"""Math on paper: TeX typeset to inline SVG paths by ziamath (pure Python, no TeX installation).

The sheet shows the same TeX the cards give MathJax: `$…$`, `$$…$$` and the `formula` field. Each
expression becomes an `<svg>` of glyph outlines (so nothing depends on an installed font), sized in `em`
so it follows the surrounding text, and shifted so its baseline sits on the text baseline.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from html import escape, unescape
from pathlib import Path

from cheatdeck.notes.render import split_formula

log = logging.getLogger(__name__)

_SIZE = 10.0  # ziamath's font size; the SVG is then scaled to 1 em per _SIZE units
_MATH = re.compile(r'<(?P<tag>span|div) class="math">(?P<tex>[^<]*)</(?P=tag)>')
_VIEWBOX = re.compile(r'<svg [^>]*viewBox="(?P<box>[^"]+)"[^>]*>')
_FRACTION = re.compile(r"^(?P<numerator>\(.*\)|[^/]+?)\s*/\s*(?P<denominator>\(.*\)|[^/]+)$")
_DRAWING = re.compile(
    r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="[-0-9. ]+" style="[-a-z0-9.:;]+">'
    r'(?:<(?:path d="[-0-9A-Za-z. ,]*"|rect(?: [a-z]+="[-0-9.]+")*) fill="black" />)*</svg>\Z'
)  # what `_draw` makes: a drawing read back from the cache must be nothing else
_TEX_SPECIALS = {c: "\\" + c for c in "#$%&{}"} | {"\\": r"\backslash ", "~": r"\sim "}


def typeset_math(html: str, *, blocks: bool = True) -> str:
    """Replace every `<span class="math">TeX</span>` (inline) and `<div class="math">` (display) the
    Markdown renderer wrote with the typeset expression. Without `blocks` (a one-line field), display
    math stays in the line, set in text style."""
    if 'class="math"' not in html:
        return html
    return _MATH.sub(lambda m: _math_html(unescape(m["tex"]), blocks and m["tag"] == "div"), html)


def typeset_formula(formula: str) -> str:
    """Typeset a `formula` field (`Name = a / b`, or TeX) as display math, with its name upright."""
    return _math_html(formula_tex(formula), display=True)


def formula_tex(formula: str) -> str:
    """Return the TeX of a `formula` field: TeX as written, or `Name = a / b` as a stacked fraction."""
    if "\\" in formula or "$" in formula:
        return formula.strip().strip("$").strip()
    name, expression = split_formula(formula)
    match = _FRACTION.match(expression)
    if match:
        numerator, denominator = (_plain_tex(_unwrap(match[part])) for part in ("numerator", "denominator"))
        body = f"\\frac{{{numerator}}}{{{denominator}}}"
    else:
        body = _plain_tex(expression)
    return f"\\text{{{_escape_tex(name)}}} = {body}" if name and expression else _plain_tex(formula)


def _math_html(tex: str, display: bool) -> str:
    svg = _svg(tex, display)
    if svg is None:  # not TeX ziamath understands: print the source rather than nothing
        return f'<code class="math-source">{escape(tex)}</code>'
    tag = "div" if display else "span"
    return f'<{tag} class="math{" display" if display else ""}">{svg}</{tag}>'


_DRAWN: dict[str, str] = {}  # "display|TeX" → its <svg>, for this process and, saved, the next build


def _svg(tex: str, display: bool) -> str | None:
    """Return the expression as an `<svg>` sized in em with its baseline on the text's, or None."""
    key = f"{'display' if display else 'inline'}|{tex}"
    if key not in _DRAWN:
        svg = _draw(tex, display)
        if svg is None:
            return None
        _DRAWN[key] = svg
    return _DRAWN[key]


_DRAWINGS_LIMIT = 64 * 2**20  # bytes: far more than the drawings of any sheet


def load_drawings(path: Path) -> None:
    """Start from the drawings an earlier build saved at `path`: ziamath takes 10–15 ms a formula, paid
    again by every fresh process. Only drawings made of plain paths and rectangles are taken, each only
    for the formula it was saved for (its check binds the two); a damaged file is named and ignored."""
    from cheatdeck.outputs import DamagedCache, code_digest, json_from_cache

    try:
        saved = json_from_cache(path, _DRAWINGS_LIMIT)
    except DamagedCache as damage:
        log.warning("%s; formulas drawn again", damage)
        return
    if not isinstance(saved, dict):
        return
    made_here = saved.get("ziamath") == _ziamath_version() and saved.get("code") == code_digest()
    drawings = saved.get("drawings")
    if not made_here or not isinstance(drawings, dict):
        return
    for key, entry in drawings.items():
        if (
            isinstance(entry, list)
            and len(entry) == 2
            and all(isinstance(part, str) for part in entry)
            and entry[1] == _check(key, entry[0])
            and _DRAWING.match(entry[0])
        ):
            _DRAWN[key] = entry[0]


def forget_drawings() -> None:
    """Forget every drawing made or read so far (`--force` draws each formula afresh)."""
    global _FORGOTTEN  # noqa: PLW0603 (the module's drawings are the process's)
    _DRAWN.clear()
    _FORGOTTEN += 1


_FORGOTTEN = 0


def drawings_kept() -> tuple[int, int]:
    """Which drawings this process keeps: rendering a formula keeps its drawing (saved for the next build
    by `save_drawings`), so HTML kept from an earlier render is kept only while they are
    (`cheatdeck.sheet.items`)."""
    return id(_DRAWN), _FORGOTTEN


def save_drawings(path: Path, *used: str) -> None:
    """Save the drawings that appear in `used` (the HTML just rendered, maybe in pieces: a long sheet's
    items) for the next build, each with a check binding it to its formula, and the versions of ziamath
    and of cheatdeck's code that drew them."""
    from cheatdeck.outputs import code_digest, keep_in_cache

    shown = frozenset().union(*(_svgs_in(text) for text in used))  # each piece read once
    whole = "\0".join(used) if any(svg not in shown for svg in _DRAWN.values()) else ""
    kept = {
        key: [svg, _check(key, svg)]
        for key, svg in sorted(_DRAWN.items())
        if svg in shown or svg in whole  # a drawing inside another markup is found as text
    }
    made = {"ziamath": _ziamath_version(), "code": code_digest()}
    keep_in_cache(path, json.dumps({**made, "drawings": kept}).encode())


_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


@functools.lru_cache(maxsize=1 << 14)
def _svgs_in(text: str) -> frozenset[str]:
    """The drawings a piece of HTML shows, as they are written there."""
    return frozenset(_SVG.findall(text)) if "<svg" in text else frozenset()


def _check(key: str, svg: str) -> str:
    """Return what binds a drawing to the formula it draws: a drawing moved to another formula fails it."""
    return hashlib.sha256(f"{key}\0{svg}".encode()).hexdigest()


def _ziamath_version() -> str:
    from importlib.metadata import version

    return version("ziamath")


def _draw(tex: str, display: bool) -> str | None:
    from ziamath.config import config
    from ziamath.zmath import Latex

    previous = config.svg2
    config.svg2 = False  # glyphs as plain <path>s: no <symbol>/<use> ids shared across the page
    try:
        svg = Latex(tex, size=_SIZE, inline=not display).svg()
    except Exception as error:  # ziamath raises bare AssertionError, KeyError … on TeX it cannot parse
        log.warning("cannot typeset $%s$ (%s); printed as TeX", tex, type(error).__name__)
        return None
    finally:
        config.svg2 = previous
    match = _VIEWBOX.match(svg)
    if match is None:
        return None
    _, top, width, height = (float(value) for value in match["box"].split())
    below = top + height  # how far the drawing reaches under the baseline (y = 0)
    style = f"width:{width / _SIZE:.3f}em;height:{height / _SIZE:.3f}em;vertical-align:{-below / _SIZE:.3f}em"
    opening = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{match["box"]}" style="{style}">'
    return opening + svg[match.end() :]


def _plain_tex(text: str) -> str:
    """Turn a plain expression (`TP + FP`, `2 * P * R`) into TeX: words upright, operators as signs."""
    text = _escape_tex(text).replace("*", r" \cdot ")
    return re.sub(r"(?<![\\A-Za-z])[A-Za-z]{4,}", lambda m: f"\\text{{{m[0]}}}", text)


def _escape_tex(text: str) -> str:
    return "".join(_TEX_SPECIALS.get(char, char) for char in text)


def _unwrap(part: str) -> str:
    part = part.strip()
    if part.startswith("(") and part.endswith(")") and part.count("(") == 1:
        return part[1:-1].strip()
    return part
