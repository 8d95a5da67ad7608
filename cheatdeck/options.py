"""Build options: plain data, importable without any heavy dependency."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cheatdeck import SHIPPED_TEMPLATES

OUTPUTS = {
    "deck": "cheatdeck.anki.deck",
    "sheet": "cheatdeck.sheet.document",
    "grid": "cheatdeck.grid",
    "flashcards": "cheatdeck.study.flashcards",
}
"""The outputs a build can make, in build order: each name's module defines `OUTPUT` (see outputs.py)."""
ARTEFACTS = tuple(OUTPUTS)
ON_REQUEST = ("flashcards",)
"""Outputs built only when `--artefact` names them (slow to lay out, and not everyone prints them)."""
DEFAULT_ARTEFACTS = tuple(name for name in OUTPUTS if name not in ON_REQUEST)
"""What a build makes unless `--artefact` names others."""
DRAWN = ("sheet", "flashcards")
"""Outputs drawn with the installed fonts and shaped by the layout options: either changing rebuilds them."""
FLASHCARD_SIZES = ("8-up", "index-card")
PAPERS = ("a4", "letter")
ORIENTATIONS = ("landscape", "portrait")
LAYOUTS = ("sheet", "guide")
"""`sheet`: the condensed cheat sheet (summary, facts, formula, fields); `guide`: the full notes."""


@dataclass(frozen=True)
class SheetOptions:
    """How the cheat sheet is laid out and which notes it prints."""

    paper: str = "a4"
    orientation: str = "landscape"
    only_kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    layout: str = "sheet"

    @property
    def columns(self) -> int:
        """Return the number of text columns for this page shape."""
        return 5 if self.orientation == "landscape" else 3


@dataclass(frozen=True)
class FlashcardOptions:
    """How the flashcards are cut and which card kinds they print."""

    size: str = "8-up"
    cards: tuple[
        str, ...
    ] = ()  # deck.yaml's card switch names (term, facts …); none: every kind the deck makes


@dataclass(frozen=True)
class BuildOptions:
    """What to build, from where, and how."""

    source: Path = Path("source")
    out: Path = Path("dist")
    templates: Path = SHIPPED_TEMPLATES
    sheet: SheetOptions = field(default_factory=SheetOptions)
    flashcards: FlashcardOptions = field(default_factory=FlashcardOptions)
    artefacts: tuple[str, ...] = DEFAULT_ARTEFACTS
    dry_run: bool = False
    force: bool = False
    forget_retired: bool = False  # notes already retired become `deleted`: never shipped again
    collection: Path | None = None  # the learner's collection, read (a copy) to see retired notes deleted
    profile: str | None = None  # or the Anki profile whose collection that is, found as `sync` finds it
    deleted_in_anki: frozenset[str] | None = None  # retired GUIDs no longer in it (None: not read)
    pending: tuple[str, ...] = ()  # artefacts left out now and built next (watch): recorded as not current
