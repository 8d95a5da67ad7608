"""The comparison grid: the tables the deck's kinds declare (by default, which service for which use case,
and how each algorithm learns and for what).

Cells come from the sources only: a field a note leaves out is an empty cell, never a guess.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from jinja2 import BaseLoader
from markupsafe import Markup

from cheatdeck.hashing import fingerprint, folder_texts
from cheatdeck.notes.kinds import LABELLED_FIELDS, GridColumn, GridTable, field_text
from cheatdeck.notes.model import Note, Notebook
from cheatdeck.notes.render import (
    UNSOURCED_GROUP_HTML,
    UNSOURCED_HTML,
    UNSOURCED_MARK,
    UNSOURCED_MEANING,
    render_inline,
)
from cheatdeck.outputs import (
    GRID_CSV,
    GRID_HTML,
    SHEET_FILE,
    Artefact,
    Output,
    Shared,
    rendered,
    stamp,
    write_text,
)
from cheatdeck.templating import format_day, free_names, make_environment, reads_other_templates

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.runtime import Context

_LINE_BREAK = re.compile(r"[^\S\r\n]*[\r\n]+\s*")
CSV_COLUMNS = ("table", "group", "name", *(field.name for field in LABELLED_FIELDS), "note_id")


@dataclass(frozen=True)
class GridRow:
    """One row of the grid, linked to its note."""

    table: str
    group: str
    note: Note
    label: str  # the group's name as the grid page prints it
    values: tuple[str, ...]  # the table's columns, as the source says them ("" where it says nothing)
    marks: tuple[bool, ...] = ()  # per column: the value is the author's addition (`unsourced:`)
    group_mark: bool = False  # the field the row is grouped by holds the author's addition

    def marked(self, index: int) -> bool:
        """Return True when the value in column `index` is the author's addition, not from the source."""
        return index < len(self.marks) and self.marks[index]

    def cells(self) -> dict[str, str]:
        """Return the row as CSV cells (empty string where the source has no value)."""
        note = self.note
        cells = {
            "table": self.table,
            "group": self.group,
            "name": note.title,
            **{field.name: _marked_text(note, field.name) for field in LABELLED_FIELDS},
            "note_id": note.id,
        }
        return {column: one_line(value) for column, value in cells.items()}


@dataclass(frozen=True)
class GridPart:
    """One table of the grid: its declaration and its rows, sorted and grouped."""

    spec: GridTable
    rows: tuple[GridRow, ...]

    @property
    def name(self) -> str:
        """The table's name (the CSV's `table` column)."""
        return self.spec.name

    @property
    def caption(self) -> str:
        """The line above the table."""
        return self.spec.caption

    @property
    def columns(self) -> tuple[GridColumn, ...]:
        """The columns after the name."""
        return self.spec.columns

    def group_class(self, group: str) -> str:
        """Return the class of a group's heading cell."""
        if not self.spec.group_classes or self.spec.group_by is None:
            return "group"
        return f"group {self.spec.group_by}-{group.replace(' ', '-')}"


@dataclass(frozen=True)
class Grid:
    """The grid's tables, in the order the deck's kinds declare them."""

    tables: tuple[GridPart, ...]

    def rows(self) -> tuple[GridRow, ...]:
        """Return every row, table by table."""
        return tuple(row for table in self.tables for row in table.rows)

    def has_marks(self) -> bool:
        """Return True when some row shows a value the notes' author added (its mark needs explaining)."""
        return any(row.group_mark or any(row.marks) for row in self.rows())

    def __getitem__(self, name: str) -> tuple[GridRow, ...]:
        """Return the rows of the table with this name (none if there is no such table)."""
        return next((table.rows for table in self.tables if table.name == name), ())


class _Rows:
    """The grid's rows as the last grids made them, by table, group and note (the very note object, kept
    with its row): a note a load gives back unchanged keeps its row object, whose digest
    (`hashing.fingerprint`, the grid's cache keys) is then kept too (issue 26). Holds the rows of the last
    whole grid and of the grids of subsets made since; emptied by `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str, int], tuple[Note, GridRow]] = {}
        self.made: dict[tuple[str, str, int], tuple[Note, GridRow]] = {}

    def cache_info(self) -> SimpleNamespace:
        """How many rows are kept."""
        return SimpleNamespace(currsize=len(self.kept), maxsize=1 << 20)

    def cache_clear(self) -> None:
        """Forget every row."""
        self.kept.clear()
        self.made.clear()

    def row(self, spec: GridTable, table: str, group: str, note: Note) -> GridRow:
        """The row of `note` in the table `spec` (whose digest is `table`), in `group`."""
        key = (table, group, id(note))
        kept = self.made.get(key) or self.kept.get(key)
        if kept is None or kept[0] is not note:
            kept = (note, _row(spec, group, note))
        self.made[key] = kept
        return kept[1]

    def finish(self, whole: bool) -> None:
        """Keep the rows just made: instead of the others after a whole grid, beside them after a part."""
        self.kept = self.made if whole else {**self.kept, **self.made}
        self.made = {}


_ROWS = _Rows()


def grid_rows(notebook: Notebook, notes: tuple[Note, ...] | None = None) -> Grid:
    """Group and sort the grid rows (of `notes`, default all) so a learner scans them in seconds."""
    chosen = notebook.notes if notes is None else notes
    try:
        return Grid(tuple(GridPart(spec, _table_rows(chosen, spec)) for spec in notebook.kinds.grid))
    finally:
        _ROWS.finish(whole=notes is None)


def _table_rows(notes: tuple[Note, ...], spec: GridTable) -> tuple[GridRow, ...]:
    """Return a table's rows: each kind's notes in turn, sorted by group rank, group, `sort_by`, title."""
    rows: list[GridRow] = []
    table = fingerprint(spec)
    for source in spec.rows:
        of_kind = [note for note in notes if note.kind == source.kind]
        part = [_ROWS.row(spec, table, source.group or _group(spec, note), note) for note in of_kind]
        part.sort(
            key=lambda row: (
                _rank(row.group, spec.group_order),
                row.group,
                *((field_text(row.note, name) or "~").lower() for name in spec.sort_by),
                row.note.title.lower(),
            )
        )
        rows += part
    return tuple(rows)


def _group(spec: GridTable, note: Note) -> str:
    value = field_text(note, spec.group_by) if spec.group_by else None
    return (value or "").lower() or spec.ungrouped


def _row(spec: GridTable, group: str, note: Note) -> GridRow:
    label = spec.group_labels.get(group, group)
    values = tuple(field_text(note, column.field) or "" for column in spec.columns)
    marks = tuple(
        bool(value) and note.is_unsourced(column.field)
        for value, column in zip(values, spec.columns, strict=True)
    )
    group_mark = spec.group_by is not None and note.is_unsourced(spec.group_by)
    return GridRow(spec.name, group, note, label[:1].upper() + label[1:], values, marks, group_mark)


def _marked_text(note: Note, name: str) -> str:
    """Return a field's CSV text, the unsourced mark appended when the author added the value."""
    text = field_text(note, name) or ""
    return f"{text}{UNSOURCED_MARK}" if text and note.is_unsourced(name) else text


CSV_BYTE_ORDER_MARK = "\ufeff"
"""Starts grid.csv: Excel reads a CSV without it in the system's legacy code page (an en-dash becomes
"â€“"); LibreOffice, Numbers, pandas (`encoding="utf-8-sig"`) and Python's csv read past it."""


def render_grid_csv(grid: Grid) -> str:
    """Return the grid as CSV text with a header row and LF line endings; each row's line is taken from
    the last render when the row is the same (by content)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(CSV_COLUMNS)
    made: dict[str, str] = {}
    for row in grid.rows():
        key = fingerprint(row)
        line = made.get(key) or _ROW_TEXTS.csv.get(key) or csv_line(row)
        made[key] = line
        buffer.write(line)
    _ROW_TEXTS.csv = made
    return buffer.getvalue()


def csv_line(row: GridRow) -> str:
    """Return one row of the grid as a line of CSV (each cell a spreadsheet would run made text)."""
    buffer = io.StringIO()
    cells = row.cells()
    csv.writer(buffer, lineterminator="\n").writerow([neutralise_cell(cells[name]) for name in CSV_COLUMNS])
    return buffer.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage
    return) with an apostrophe, so it is shown as text (OWASP's advice against CSV injection)."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def render_grid_html(
    notebook: Notebook, templates: Path, changed: int, sheet_name: str, grid: Grid | None = None
) -> str:
    """Render the standalone grid page (of `grid`, if already computed); each name links to its note in
    the cheat sheet PDF. A row the template wraps in `remember_row` is taken from the last render when
    everything it is made from is the same (see `RowsHtml`)."""
    from jinja2 import pass_context

    environment = make_environment(templates)
    sources = _SourcesSeen(environment.loader)
    environment.loader = sources
    environment.filters["inline"] = lambda text: Markup(render_inline(text))
    environment.globals.update(unsourced_globals())
    rows = RowsHtml(environment, sources, _ROW_TEXTS.html)

    def remember_row(context: Context, *args: object, caller: Callable[..., str]) -> Markup:
        return rows.remember(context, *args, caller=caller)

    environment.globals[ROW_CALL] = pass_context(remember_row)
    html = environment.get_template("grid.html.j2").render(
        deck=notebook.deck,
        grid=grid if grid is not None else grid_rows(notebook),
        note_href=lambda note: f"{sheet_name}#note-{note.id}",
        changed=format_day(changed),
    )
    _ROW_TEXTS.html = rows.made
    return html


def unsourced_globals() -> dict[str, object]:
    """Return what the grid templates need to mark an unsourced value and explain the mark once, and
    `remember_row` (here: each row rendered every time; the grid page keeps them, `render_grid_html`)."""
    return {
        "unsourced_mark": Markup(UNSOURCED_HTML),
        "unsourced_group_mark": Markup(UNSOURCED_GROUP_HTML),
        "unsourced_note": f"{UNSOURCED_MARK} {UNSOURCED_MEANING[:1].upper()}{UNSOURCED_MEANING[1:]}"
        " (after a name: the value the row is grouped by).",
        ROW_CALL: _render_row,
    }


ROW_CALL = "remember_row"
"""What `_grid.html.j2` wraps each row's markup in (`{% call(row, columns) remember_row(row,
table.columns) %}`): the markup reads the caller's arguments and the context, not the template's loop
variables."""


def _render_row(*args: object, caller: Callable[..., str]) -> Markup:
    """Render a row's markup (the one place it is rendered)."""
    return Markup(caller(*args))


class _SourcesSeen(BaseLoader):
    """A loader that remembers the text of each template it gave (the text Jinja compiled): a row's key
    holds the text of the template that wrote it, exactly as it ran (None: it changed during the render)."""

    def __init__(self, loader: BaseLoader | None) -> None:
        assert loader is not None
        self.loader = loader
        self.seen: dict[str, str | None] = {}

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Any]:
        """The template's text, as the wrapped loader reads it."""
        source, filename, uptodate = self.loader.get_source(environment, template)
        self.seen[template] = source if self.seen.get(template, source) == source else None
        return source, filename, uptodate


class RowsHtml:
    """`remember_row` for one render of the grid page: a row's HTML is kept under a key of everything it
    is made from (issue 26): the caller's arguments (the row, with its note; the table's columns), the
    text of the template that wraps it, cheatdeck's code, and each value of the context its markup reads
    (found in the template, its macros followed: `note_href`, `unsourced_mark` …). A row whose markup
    reads what a key cannot hold (a loop variable of the template, a variable it sets, an included
    template) is rendered every time: the cache only ever saves time, never changes a byte."""

    def __init__(self, environment: Environment, sources: _SourcesSeen, kept: dict[str, Markup]) -> None:
        self.environment, self.sources, self.kept = environment, sources, kept
        self.made: dict[str, Markup] = {}
        self.prefixes: dict[tuple[int, str], tuple[object, str]] = {}

    def remember(self, context: Context, *args: object, caller: Callable[..., str]) -> Markup:
        """The row's HTML: kept, or rendered now (`context`: the render's; `args`: the call's)."""
        function = getattr(caller, "_func", None)  # the call's markup, compiled in the template that wrote it
        name = getattr(function, "__globals__", {}).get("name")
        site = getattr(getattr(function, "__code__", None), "co_firstlineno", None)  # which of its calls
        prefix = self._prefix(context, name) if isinstance(name, str) and site is not None else ""
        if not prefix:
            return _render_row(*args, caller=caller)
        key = hashlib.sha256(f"{prefix}\0{site}\0{fingerprint(args)}".encode()).hexdigest()
        html = self.made.get(key) or self.kept.get(key)
        if html is None:
            html = _render_row(*args, caller=caller)
        self.made[key] = html
        return html

    def _prefix(self, context: Context, name: str) -> str:
        kept = self.prefixes.get((id(context), name))
        if kept is not None and kept[0] is context:
            return kept[1]
        prefix = self._prefix_of(context, name)
        self.prefixes[(id(context), name)] = (context, prefix)
        return prefix

    def _prefix_of(self, context: Context, name: str) -> str:
        from jinja2.utils import missing

        from cheatdeck.outputs import code_digest

        source = self.sources.seen.get(name)
        reads = row_reads(self.environment, source) if source is not None else None
        if reads is None:
            return ""
        values = []
        for read in sorted(reads):
            value = context.resolve_or_missing(read)
            values.append((read, "\0missing" if value is missing else value))
        return fingerprint((code_digest(), name, source, values))


class _RowTexts:
    """The grid rows' HTML (`RowsHtml`) and CSV lines as the last render made them, by key: a one-row
    edit renders one row. Emptied by `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.html: dict[str, Markup] = {}
        self.csv: dict[str, str] = {}

    def cache_info(self) -> SimpleNamespace:
        """How many rows are kept (those of the last render)."""
        return SimpleNamespace(currsize=len(self.html) + len(self.csv), maxsize=1 << 20)

    def cache_clear(self) -> None:
        """Forget every row."""
        self.html.clear()
        self.csv.clear()


_ROW_TEXTS = _RowTexts()
_READS: dict[tuple[str, tuple[str, ...], tuple[str, ...]], frozenset[str] | None] = {}


def row_reads(environment: Environment, source: str) -> frozenset[str] | None:
    """The names of the context a template's `remember_row` markup reads (its macros' too), or None if
    it reads what a key cannot hold: a variable of the template (a loop's, a `set`), the enclosing
    `loop`, another template."""
    key = (source, tuple(sorted(environment.filters)), tuple(sorted(environment.globals)))
    if key not in _READS:
        if len(_READS) >= 8:
            _READS.clear()
        _READS[key] = _row_reads(environment, source)
    return _READS[key]


_UNKEYED = frozenset({"loop", "caller", "self", "super", "varargs", "kwargs"})


def _row_reads(environment: Environment, source: str) -> frozenset[str] | None:
    from jinja2 import nodes

    tree = environment.parse(source)
    macros = {macro.name: macro for macro in tree.find_all(nodes.Macro)}
    assigned = {name.name for name in tree.find_all(nodes.Name) if name.ctx in ("store", "param")}
    calls = [
        block
        for block in tree.find_all(nodes.CallBlock)
        if isinstance(block.call.node, nodes.Name) and block.call.node.name == ROW_CALL
    ]
    uses = [name for name in tree.find_all(nodes.Name) if name.name == ROW_CALL]
    if len(uses) != len(calls):
        return None  # `remember_row` called otherwise than as a call block: its markup is not known here
    names: set[str] = set()
    for block in calls:
        call = block.call
        if (
            call.kwargs
            or call.dyn_args
            or call.dyn_kwargs
            or reads_other_templates([*block.body, *block.defaults])
        ):
            return None
        names |= free_names(environment, [*block.body, *block.defaults]) - {arg.name for arg in block.args}
    followed: set[str] = set()
    while pending := (names & macros.keys()) - followed:
        for name in pending:
            followed.add(name)
            macro = macros[name]
            if reads_other_templates([*macro.body, *macro.defaults]):
                return None
            own = {arg.name for arg in macro.args} | {"caller"}
            names |= free_names(environment, [*macro.body, *macro.defaults]) - own
    names -= followed
    if names & (assigned | _UNKEYED):
        return None  # read from a variable the template sets or loops over: not the context's
    return frozenset(names)


def one_line(text: str) -> str:
    """Join the lines of a cell with single spaces, so every CSV row is one line of text."""
    return _LINE_BREAK.sub(" ", text)


def _rank(value: str, order: tuple[str, ...]) -> int:
    return order.index(value) if value in order else len(order)


class _GridTexts:
    """The grid's CSV and HTML as the last build rendered them, under a key of everything they are made
    from (the grid's rows with their notes, the deck, the printed day, the templates' text, cheatdeck's
    code): a `watch` save builds twice and an edit outside the grid leaves it as it was, so neither renders
    it again (issue 26). Emptied by `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[str, str]] = {}

    def cache_info(self) -> SimpleNamespace:
        """How many grids are kept (one at most)."""
        return SimpleNamespace(currsize=len(self.last), maxsize=1)

    def cache_clear(self) -> None:
        """Forget the grid."""
        self.last.clear()

    def texts(self, shared: Shared) -> tuple[str, str]:
        """The grid's CSV and HTML for this build."""
        from cheatdeck.outputs import code_digest

        options, grid = shared.options, shared.grid
        day = format_day(shared.date)
        parts = (
            code_digest(),
            folder_texts(options.templates),  # the grid's templates and whatever they include
            shared.notebook.deck,
            grid,
            day,
            SHEET_FILE,
        )
        key = fingerprint(parts)
        if key not in self.last:
            csv_text = render_grid_csv(grid)
            html_text = rendered(
                lambda: render_grid_html(shared.notebook, options.templates, shared.date, SHEET_FILE, grid)
            )
            self.last = {key: (csv_text, html_text)}
        return self.last[key]


_GRID_TEXTS = _GridTexts()


def _grid_artefact(shared: Shared) -> Artefact:
    csv_text, html_text = _GRID_TEXTS.texts(shared)
    writers = {
        GRID_CSV: lambda tmp: write_text(tmp, CSV_BYTE_ORDER_MARK + csv_text),
        GRID_HTML: lambda tmp: write_text(tmp, html_text),
    }
    return Artefact("grid", stamp(csv_text, html_text), writers)


OUTPUT = Output("grid", needs=("date", "grid"), plan=_grid_artefact)
