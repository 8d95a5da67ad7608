"""The printable cheat sheet: notes rendered to HTML by Jinja, then to PDF by WeasyPrint.

The PDF is reproducible: its dates are the date the sources last changed, its identifier is a hash of
the HTML, and WeasyPrint's font subsetting is pinned with SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from cheatdeck.grid import Grid, grid_rows
from cheatdeck.kinds import KindSpec, labelled_values
from cheatdeck.model import Note, Notebook, Reference
from cheatdeck.options import SheetOptions
from cheatdeck.outputs import SHEET_FILE, Artefact, Output, Shared, rendered, stamp
from cheatdeck.render import render_fact, render_inline, render_markdown
from cheatdeck.templating import format_day, make_environment
from cheatdeck.typeset import typeset_formula, typeset_math

if TYPE_CHECKING:
    from jinja2 import Environment

log = logging.getLogger(__name__)
_GLYPHS_SHOWN = 5  # missing characters named in the warning; the rest are counted


_SPACE_BEFORE_INLINE = re.compile(r" <(mark|strong|em|code|b|i|a|span)\b([^>]*)>")
_SPACE_BEFORE_BLOCK_END = re.compile(r"\s+(</(?:div|p|li|h[1-6]|td|th)>)")
"""Whitespace WeasyPrint 70 mislays: a space just before an inline element, or spaces before the end of a
block, may make it break a nearly full line after its first word ("About | a week before …"). Moved
inside the element, or dropped where CSS collapses it anyway, the text reads the same."""


def _tidy_spaces(html: str) -> str:
    return _SPACE_BEFORE_BLOCK_END.sub(r"\1", _SPACE_BEFORE_INLINE.sub(r"<\1\2> ", html))


@dataclass(frozen=True)
class Section:
    """The notes of one kind, with the label and badge the sheet shows."""

    kind: KindSpec
    notes: tuple[Note, ...]

    @property
    def label(self) -> str:
        """The section's heading: the kind's plural."""
        return self.kind.plural

    @property
    def badge(self) -> str:
        """The kind's badge letter."""
        return self.kind.badge


def select_notes(notebook: Notebook, options: SheetOptions) -> tuple[Note, ...]:
    """Return the notes the sheet prints: all, or those of the chosen kinds and tags."""
    notes = notebook.notes
    if options.only_kinds:
        notes = tuple(note for note in notes if note.kind.value in options.only_kinds)
    if options.tags:
        notes = tuple(note for note in notes if set(note.tags) & set(options.tags))
    return notes


def render_sheet_html(
    notebook: Notebook, templates: Path, options: SheetOptions, changed: int, grid: Grid | None = None
) -> str:
    """Render the cheat sheet (notes by kind, then the grid page) to an HTML string; `grid` is the whole
    notebook's grid, if already computed (used when the sheet prints every note)."""
    notes = select_notes(notebook, options)
    kinds = notebook.kinds
    by_kind = [Section(kind, tuple(note for note in notes if note.kind == kind.name)) for kind in kinds]
    sections = [section for section in by_kind if section.notes and section.kind.layout == "section"]
    lists = [section for section in by_kind if section.notes and section.kind.layout == "list"]
    every = len(notes) == len(notebook.notes)
    resources = tuple(note for section in lists for note in section.notes)
    legend = "   ".join(f"{section.badge} {section.label.lower()}" for section in sections + lists)
    printed = tuple(note for section in sections for note in section.notes) + resources
    numbered, numbers = number_references(printed) if options.layout == "sheet" else ((), {})
    environment = make_environment(templates)
    add_sheet_filters(environment)
    html = environment.get_template("sheet.html.j2").render(
        layout=options.layout,
        numbered_references=numbered,
        reference_numbers=numbers,
        deck=notebook.deck,
        kinds=kinds,
        sections=sections,
        lists=lists,
        resources=resources,
        grid=grid if grid is not None and every else grid_rows(notebook, None if every else notes),
        titles={note.id: note.title for note in notebook.notes},
        note_href=lambda note: f"#note-{note.id}",
        changed=format_day(changed),
        paper=options.paper,
        orientation=options.orientation,
        columns=options.columns,
        legend_text=legend,
    )
    return _tidy_spaces(html)


def number_references(notes: tuple[Note, ...]) -> tuple[tuple[Reference, ...], dict[str, list[int]]]:
    """Number every reference once, in the order the notes cite them; return them and each note's numbers."""
    numbered: dict[str, tuple[int, Reference]] = {}
    numbers: dict[str, list[int]] = {}
    for note in notes:
        for reference in note.references:
            number, _ = numbered.setdefault(reference.url, (len(numbered) + 1, reference))
            if number not in numbers.setdefault(note.id, []):
                numbers[note.id].append(number)
    return tuple(reference for _, reference in numbered.values()), numbers


def add_sheet_filters(environment: Environment) -> None:
    """Give the sheet's templates its renderers: inline Markdown and facts with math typeset for paper."""
    filters = environment.filters
    filters["inline"] = lambda text: Markup(typeset_math(render_inline(text), blocks=False))
    filters["fact"] = lambda fact: Markup(typeset_math(render_fact(fact), blocks=False))
    filters["markdown"] = lambda text: Markup(typeset_math(render_markdown(text)))
    filters["formula"] = lambda text: Markup(typeset_formula(text))


def write_sheet_pdf(
    html: str,
    target: Path,
    changed: int,
    base_url: Path,
    *,
    templates: Path | None = None,
    source_url: str | None = None,
) -> int:
    """Render HTML to a reproducible PDF at `target`; return its page count. The renderer reads only
    files inside the notes folder (`base_url`) and the templates folder (see `cheatdeck.fetch`)."""
    import weasyprint

    from cheatdeck.breaks import breakable
    from cheatdeck.fetch import TEMPLATES_URL, local_fetcher, notes_url

    base = notes_url(source_url)
    fetcher = local_fetcher({base: base_url, **({TEMPLATES_URL: templates} if templates else {})})
    with _source_date_epoch(changed), _forward_weasyprint_warnings():
        # Very long tokens get break opportunities for the layout only (see `cheatdeck.breaks`).
        document = weasyprint.HTML(string=breakable(html), base_url=base, url_fetcher=fetcher).render()
        identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
        document.write_pdf(target, pdf_identifier=identifier)
    return len(document.pages)


@contextmanager
def _source_date_epoch(timestamp: int) -> Iterator[None]:
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(timestamp)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


class _Forward(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log.warning("weasyprint: %s", record.getMessage())


@contextmanager
def _forward_weasyprint_warnings() -> Iterator[None]:
    """Route WeasyPrint's warnings (silent when used as a library) into the build's output."""
    weasy = logging.getLogger("weasyprint")
    handler = _Forward(level=logging.WARNING)
    weasy.addHandler(handler)
    try:
        yield
    finally:
        weasy.removeHandler(handler)


def glyph_warnings(notebook: Notebook) -> list[str]:
    """Name each note holding characters no installed font can draw, with the font packages to install."""
    from cheatdeck.fonts import FONT_PACKAGES, missing_glyphs

    warnings = []
    for note in notebook.notes:
        labelled = [text for _, text in labelled_values(note)]
        texts = (note.title, note.summary, note.body, *labelled, note.formula or "")
        missing = missing_glyphs(texts)
        if missing:
            chars = ", ".join(f"{char} (U+{ord(char):04X})" for char in missing[:_GLYPHS_SHOWN])
            more = f" and {len(missing) - _GLYPHS_SHOWN} more" if len(missing) > _GLYPHS_SHOWN else ""
            warnings.append(
                f"{notebook.locations[note.id]}: {note.id}: no installed font can draw {chars}{more}; "
                f"the PDF would show empty boxes. Install {FONT_PACKAGES}."
            )
    return warnings


def _sheet_artefact(shared: Shared) -> Artefact:
    from importlib.metadata import version

    from cheatdeck.fonts import fonts_digest

    notebook, options, changed = shared.notebook, shared.options, shared.date
    html = rendered(
        lambda: render_sheet_html(notebook, options.templates, options.sheet, changed, shared.grid)
    )
    for warning in glyph_warnings(notebook):
        log.warning("%s", warning)

    source_url = notebook.deck.source_url

    def write(tmp: Path) -> None:
        shared.report.sheet_pages = write_sheet_pdf(
            html, tmp, changed, options.source, templates=options.templates, source_url=source_url
        )
        log.info("cheat sheet: %d pages", shared.report.sheet_pages)

    # the fonts found shape the PDF
    return Artefact("sheet", stamp(version("weasyprint"), fonts_digest(), html), {SHEET_FILE: write})


OUTPUT = Output("sheet", needs=("date", "grid"), plan=_sheet_artefact)
