"""The comparison grid: which service for which use case, and how each algorithm learns and for what.

Cells come from the sources only: a field a note leaves out is an empty cell, never a guess.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from cheatdeck.model import Kind, Learning, Note, Notebook
from cheatdeck.render import render_inline
from cheatdeck.templating import format_day, make_environment

_DOMAIN_ORDER = ("language", "vision", "speech", "conversation")
_LEARNING_ORDER = tuple(Learning)
_LINE_BREAK = re.compile(r"[^\S\r\n]*[\r\n]+\s*")
NO_LEARNING_TYPE = "no learning type"
GROUP_LABELS = {
    "both": "supervised and unsupervised",
    "not-learning": "not learning",
}
"""How a group key reads on the grid page, where it differs from the key itself."""
CSV_COLUMNS = ("table", "group", "name", "use_case", "domain", "learning", "task", "input", "note_id")


@dataclass(frozen=True)
class GridRow:
    """One row of the grid, linked to its note."""

    table: str
    group: str
    note: Note

    @property
    def label(self) -> str:
        """Return the group's name as the grid page prints it."""
        label = GROUP_LABELS.get(self.group, self.group)
        return label[:1].upper() + label[1:]

    def cells(self) -> dict[str, str]:
        """Return the row as CSV cells (empty string where the source has no value)."""
        note = self.note
        cells = {
            "table": self.table,
            "group": self.group,
            "name": note.title,
            "use_case": note.use_case or "",
            "domain": note.domain or "",
            "learning": note.learning.value if note.learning else "",
            "task": note.task or "",
            "input": note.input or "",
            "note_id": note.id,
        }
        return {column: one_line(value) for column, value in cells.items()}


@dataclass(frozen=True)
class Grid:
    """The grid's two tables: services (and deployment options) and algorithms."""

    services: tuple[GridRow, ...]
    algorithms: tuple[GridRow, ...]

    def rows(self) -> tuple[GridRow, ...]:
        """Return every row, services first."""
        return self.services + self.algorithms


def grid_rows(notebook: Notebook) -> Grid:
    """Group and sort the grid rows so a learner scans them in seconds."""
    services = [
        GridRow("services", (note.domain or "").lower() or "other", note)
        for note in notebook.by_kind(Kind.SERVICE)
    ]
    services.sort(key=lambda row: (_rank(row.group, _DOMAIN_ORDER), row.group, row.note.title.lower()))
    deployment = sorted(
        (GridRow("services", "deployment", note) for note in notebook.by_kind(Kind.DEPLOYMENT)),
        key=lambda row: row.note.title.lower(),
    )
    algorithms = [
        GridRow("algorithms", note.learning.value if note.learning else NO_LEARNING_TYPE, note)
        for note in notebook.by_kind(Kind.ALGORITHM)
    ]
    algorithms.sort(
        key=lambda row: (
            _rank(row.group, [v.value for v in _LEARNING_ORDER]),
            (row.note.task or "~").lower(),
            row.note.title.lower(),
        )
    )
    return Grid(tuple(services + deployment), tuple(algorithms))


def render_grid_csv(grid: Grid) -> str:
    """Return the grid as CSV text with a header row and LF line endings."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in grid.rows():
        writer.writerow(row.cells())
    return buffer.getvalue()


def render_grid_html(notebook: Notebook, templates: Path, changed: int, sheet_name: str) -> str:
    """Render the standalone grid page; each name links to its note in the cheat sheet PDF."""
    environment = make_environment(templates)
    environment.filters["inline"] = lambda text: Markup(render_inline(text))
    return environment.get_template("grid.html.j2").render(
        deck=notebook.deck,
        grid=grid_rows(notebook),
        note_href=lambda note: f"{sheet_name}#note-{note.id}",
        changed=format_day(changed),
    )


def one_line(text: str) -> str:
    """Join the lines of a cell with single spaces, so every CSV row is one line of text."""
    return _LINE_BREAK.sub(" ", text)


def _rank(value: str, order: tuple[str, ...] | list[str]) -> int:
    return order.index(value) if value in order else len(order)
