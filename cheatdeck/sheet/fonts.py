"""Which characters of the notes no installed font can draw (the PDF would show a box for them)."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import time
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

from cheatdeck.errors import Problem
from cheatdeck.notes.kinds import labelled_values
from cheatdeck.notes.model import Notebook
from cheatdeck.sheet.weasy import load_weasyprint

log = logging.getLogger(__name__)

FONT_PACKAGES = "fonts-noto-cjk (Chinese, Japanese, Korean) or fonts-noto-color-emoji (emoji)"
_GLYPHS_SHOWN = 5  # missing characters named in the warning; the rest are counted
_LAST_ASCII = 0x7E  # "~": printable ASCII is taken as drawn; only later characters are looked up


@cache
def covered_codepoints() -> frozenset[int] | None:
    """Return every code point some installed font covers, or None if fontconfig cannot be asked."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        log.debug("fc-list not found: glyph coverage not checked")
        return None
    listing = subprocess.run(
        [fc_list, "--format", "%{charset}\n"], capture_output=True, text=True, check=False
    ).stdout
    covered: set[int] = set()
    for line in listing.splitlines():
        for span in line.split():
            first, _, last = span.partition("-")
            covered.update(range(int(first, 16), int(last or first, 16) + 1))
    return frozenset(covered)


def missing_glyphs(texts: Iterable[str]) -> list[str]:
    """Return the visible characters of `texts` that no installed font covers, in order of appearance."""
    seen: dict[str, None] = {}
    for text in texts:
        for char in text:
            if ord(char) > _LAST_ASCII and char not in seen and unicodedata.category(char)[0] not in "CZM":
                seen[char] = None
    if not seen:
        return []
    covered = covered_codepoints()
    if covered is None:
        return []
    return [char for char in seen if ord(char) not in covered]


@lru_cache(maxsize=1 << 14)
def _missing_in(texts: tuple[str, ...]) -> tuple[str, ...]:
    """`missing_glyphs`, kept for the notes read last: an edit looks again at the notes it changed."""
    return tuple(missing_glyphs(texts))


def fonts_digest() -> str:
    """Return a hash of the fonts fontconfig finds (file, face, version): installing or removing a font
    changes it, so the sheet is rebuilt. Cheap: `fc-list` answers from fontconfig's cache (≈ 6 ms), and
    the answer is reused for a second, so one build asks once."""
    now = time.monotonic()
    if not _FONTS or now - _FONTS[0][0] > 1.0:
        _FONTS[:] = [(now, _list_fonts())]
    return _FONTS[0][1]


_FONTS: list[tuple[float, str]] = []  # the last answer and when it was given


def _list_fonts() -> str:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return "no fc-list"
    try:
        listing = subprocess.run(
            [fc_list, "--format", "%{file}|%{index}|%{fontversion}\n"], capture_output=True, check=False
        ).stdout
    except OSError as error:
        return f"fc-list failed: {error.errno}"
    return hashlib.sha256(b"\n".join(sorted(set(listing.splitlines())))).hexdigest()


SUBSET_PACKAGE = "libharfbuzz-subset0"
"""The Debian/Ubuntu package of HarfBuzz's font subsetter, which WeasyPrint uses when it is installed."""
_FALLBACK_WORDS = ("Using fontTools instead of HarfBuzz-Subset", "HarfBuzz-Subset will be required")


class _QuietSubsetFallback(logging.Filter):
    """Drop WeasyPrint's own word on the fontTools fallback: it comes once per font of every part."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_FALLBACK_WORDS)


def subset_notice() -> str | None:
    """Return the one notice a build that writes a PDF gives when HarfBuzz's font subsetter is missing
    (and silence WeasyPrint's repeats of it), or None when WeasyPrint subsets with HarfBuzz."""
    import warnings

    with warnings.catch_warnings():  # WeasyPrint warns as it is first imported; the notice says it once
        warnings.filterwarnings("ignore", message=_FALLBACK_WORDS[1])
        load_weasyprint()
        from weasyprint.pdf import fonts as pdf_fonts

    harfbuzz, subset = getattr(pdf_fonts, "harfbuzz", None), getattr(pdf_fonts, "harfbuzz_subset", True)
    if subset and (harfbuzz is None or harfbuzz.hb_version_atleast(4, 1, 0)):
        return None
    weasyprint_log = logging.getLogger("weasyprint")
    if not any(isinstance(known, _QuietSubsetFallback) for known in weasyprint_log.filters):
        weasyprint_log.addFilter(_QuietSubsetFallback())
    return (
        "HarfBuzz's font subsetter is not installed, so the PDF's fonts are subset with fontTools, which is"
        f" slower; install it for faster builds (Debian/Ubuntu: {SUBSET_PACKAGE})"
    )


CONDENSED_FAMILY = "DejaVu Sans Condensed"
"""The sheet's type, as the shipped `sheet.css` names it first."""
CONDENSED_PACKAGE = "fonts-dejavu-extra"
"""Its Debian/Ubuntu package (`fonts-dejavu-core` has only the regular width)."""


def font_families() -> frozenset[str] | None:
    """Return the family names of the installed fonts, or None if fontconfig cannot be asked."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listing = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return None
    return frozenset(name.strip() for line in listing.splitlines() for name in line.split(","))


def missing_face_notice(templates: Path) -> str | None:
    """Return a notice if the sheet's stylesheet asks for DejaVu Sans Condensed and no installed font is
    of that family: the sheet would fall back to a wider face without a word."""
    try:
        css = (templates / "sheet.css").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    families = font_families() if CONDENSED_FAMILY in css else None
    if families is None or CONDENSED_FAMILY in families:
        return None
    return (
        f"the sheet's type, {CONDENSED_FAMILY}, is not installed, so the sheet is set in a wider face and"
        f" takes more room; install it for the sheet as designed (Debian/Ubuntu: {CONDENSED_PACKAGE})"
    )


def glyph_warnings(notebook: Notebook) -> list[Problem]:
    """Name each note holding characters no installed font can draw, with the font packages to install."""
    warnings = []
    for note in notebook.notes:
        labelled = [text for _, text in labelled_values(note)]
        texts = (note.title, note.summary, note.body, *labelled, note.formula or "")
        missing = _missing_in(texts)
        if missing:
            chars = ", ".join(f"{char} (U+{ord(char):04X})" for char in missing[:_GLYPHS_SHOWN])
            more = f" and {len(missing) - _GLYPHS_SHOWN} more" if len(missing) > _GLYPHS_SHOWN else ""
            location = notebook.locations[note.id]
            warnings.append(
                Problem(
                    location.path,
                    location.line,
                    note.id,
                    f"no installed font can draw {chars}{more}; the PDF would show empty boxes. "
                    f"Install {FONT_PACKAGES}.",
                )
            )
    return warnings
