"""The printable cheat sheet: notes rendered to HTML by Jinja, then to PDF by WeasyPrint.

The PDF is reproducible: its dates are the date the sources last changed, its identifier is a hash of
the HTML, and WeasyPrint's font subsetting is pinned with SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

from markupsafe import Markup

from cheatdeck.cards.plan import contrast_pairs, differences
from cheatdeck.errors import Advice
from cheatdeck.grid import ROW_CALL, Grid, RowsHtml, _SourcesSeen, grid_rows, unsourced_globals
from cheatdeck.hashing import fingerprint
from cheatdeck.notes.kinds import LABELLED_FIELDS, KindSpec, labelled_values
from cheatdeck.notes.model import CLOZE_SPAN, Fact, Note, Notebook, Reference
from cheatdeck.notes.render import render_correction, render_fact, render_inline, render_markdown
from cheatdeck.options import SheetOptions
from cheatdeck.outputs import CACHE_FOLDER, SHEET_FILE, Artefact, Output, Shared, rendered, stamp
from cheatdeck.sheet.anchors import anchors_in, anchors_of_text, with_stubs
from cheatdeck.sheet.fonts import glyph_warnings
from cheatdeck.sheet.items import ITEMS
from cheatdeck.sheet.typeset import (
    drawings_kept,
    forget_drawings,
    load_drawings,
    save_drawings,
    typeset_formula,
    typeset_math,
)
from cheatdeck.templating import format_day, make_environment

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.runtime import Context

    from cheatdeck.sheet.pdf import Renderer

log = logging.getLogger(__name__)


_SPACE_BEFORE_INLINE = re.compile(r" <(mark|strong|em|code|b|i|a|span)\b([^>]*)>")
_SPACE_BEFORE_BLOCK_END = re.compile(r"\s+(</(?:div|p|li|h[1-6]|td|th)>)")
"""Whitespace WeasyPrint 70 mislays: a space just before an inline element, or spaces before the end of a
block, may make it break a nearly full line after its first word ("About | a week before …"). Moved
inside the element, or dropped where CSS collapses it anyway, the text reads the same."""


def _tidy_spaces(html: str) -> str:
    return _SPACE_BEFORE_BLOCK_END.sub(r"\1", _SPACE_BEFORE_INLINE.sub(r"<\1\2> ", html))


class _Tidied:
    """Each item's HTML tidied (`_tidy_spaces`), by its text: an edit tidies the items it changed. Emptied
    by `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.kept: dict[str, str] = {}

    def cache_info(self) -> SimpleNamespace:
        """How many items' HTML are kept."""
        return SimpleNamespace(currsize=len(self.kept), maxsize=1 << 15)

    def cache_clear(self) -> None:
        """Forget every item's."""
        self.kept.clear()

    def tidy(self, html: str) -> str | None:
        """`_tidy_spaces(html + FLOW_ITEM)`, or None where a rule's match might run past the mark's end."""
        tidied = self.kept.get(html)
        if tidied is None:
            if len(self.kept) >= self.cache_info().maxsize:
                self.kept.clear()
            tidied = self.kept[html] = _tidy_spaces(html + FLOW_ITEM)
        return tidied if tidied.endswith(">") else None


_TIDIED = _Tidied()


def _tidy_by_item(html: str) -> str:
    """`_tidy_spaces(html)`, cut after each FLOW_ITEM mark and each cut tidied once for its text. The same:
    a cut ends with the mark's ">", and still ends with a ">" once tidied, so no match of either rule runs
    across it (each match ends at its first ">", and the block rule's spaces are just before a tag) and the
    rules read each cut as they read it whole. Else the HTML is tidied whole."""
    *cuts, last = html.split(FLOW_ITEM)
    if len(cuts) < 2:
        return _tidy_spaces(html)
    tidied = [_TIDIED.tidy(cut) for cut in cuts]
    if None in tidied:
        return _tidy_spaces(html)
    return "".join(tidied) + _tidy_spaces(last)  # type: ignore[arg-type]


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


PARTS_FROM = 120
"""A long sheet (PARTS_FROM notes or more) is laid out in parts of a page (`cheatdeck.sheet.flow`), so a
change lays out only the page holding it (and the next, if the notes it holds change). A shorter sheet that
prints its notes alone is one document: its parts, frame and join would cost it more than the seconds
saved. A shorter sheet with back matter (the grid) and SIDE_BY_SIDE_FROM characters of notes or more lays
its notes and its back matter out side by side, on two cores, and is one document after all where its back
matter follows the notes on their last page (`SheetParts.whole`). The shipped notes are a page of notes and
a page of grid, laid out side by side."""

SIDE_BY_SIDE_FROM = 6_000
"""Characters of text in a short sheet's notes from which its back matter is laid out beside them (see
PARTS_FROM). With less, the back matter usually fits under the notes on their page, so it would be laid out
apart for nothing and the one document laid out after all (the CLF-C02 example: 3,400 characters of
notes, one page; the shipped notes: 10,000, a full page). A cost estimate only: what a sheet looks like
never depends on it."""
_DRAWING = re.compile(r"<svg\b.*?</svg>", re.DOTALL)
_MARKUP = re.compile(r"<[^>]*>")


def _text_length(html: str) -> int:
    """How many characters of text HTML shows (its tags and drawings aside, runs of spaces as one)."""
    from html import unescape

    return len(" ".join(unescape(_MARKUP.sub(" ", _DRAWING.sub(" ", html))).split()))


@dataclass(frozen=True)
class Chapter:
    """Consecutive kind sections laid out together (the whole sheet's notes are one chapter; `starts_page`
    stays for templates written when a long sheet had several)."""

    sections: tuple[Section, ...]
    starts_page: bool


FLOW_ITEM = "<!-- item -->"
"""Written by the template before each item of the notes (a note, the first of a kind with its kind's
heading) and after the last: where the notes' HTML is cut into items."""


@dataclass(frozen=True)
class Flow:
    """The notes of a long sheet as items laid out in order, a page at a time (`cheatdeck.sheet.flow`):
    each part's HTML is `prefix`, some consecutive items, then `suffix`. `anchors` names every anchor
    the sheet lays out anywhere (a link to one a part does not hold gets a stand-in there)."""

    prefix: str
    items: tuple[str, ...]
    suffix: str
    anchors: frozenset[str]

    def html(self, start: int, stop: int) -> str:
        """The HTML of a part holding items `start` … `stop - 1`."""
        return self.prefix + "".join(self.items[start:stop]) + self.suffix


FLOW_OPEN = "<!-- open -->"
"""Written by the template before a box of the back matter that holds items (a group's table, a table's
part of the grid, a list's columns): what follows, up to the next mark, opens it, and is written again in
every part it runs on (a table continued on the next page repeats its header row); its `id`s only where it
begins."""
FLOW_HEAD = "<!-- head -->"
"""Before a heading of the back matter (one element): printed with the item after it, in its part only."""
FLOW_CLOSE = "<!-- close -->"
"""Before the end of the box the last FLOW_OPEN opened: what follows, up to the next mark, closes it."""
FLOW_END = "<!-- end -->"
"""After the back matter's last box: what follows ends every part's HTML."""
_MARKS = re.compile(
    "(" + "|".join(map(re.escape, (FLOW_OPEN, FLOW_HEAD, FLOW_CLOSE, FLOW_END, FLOW_ITEM))) + ")"
)
_FIRST_TAG = re.compile(r"\A(\s*<[A-Za-z][^\s/>]*)")
_START_TAG = re.compile(r"<[A-Za-z][^\s/>]*(?:\s+[^\s=/>]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*\s*/?>")
_ATTRIBUTE = re.compile(r"""\s+([^\s=/>]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?""")


def _without_ids(html: str) -> str:
    """`html` with the `id` attribute of each start tag left out; its text as it was."""
    return _START_TAG.sub(
        lambda tag: _ATTRIBUTE.sub(lambda found: "" if found[1].lower() == "id" else found[0], tag[0]), html
    )


@dataclass(frozen=True)
class _Box:
    """A box of the nested flow: its opening and closing HTML, the items it holds (`first` … `end - 1`)
    and what it holds in order (boxes, headings, items)."""

    open: str
    close: str
    first: int
    end: int
    children: tuple[_Box | _Head | int, ...]


@dataclass(frozen=True)
class _Head:
    """A heading, printed in the part holding the item after it (`item`)."""

    html: str
    item: int


@dataclass(frozen=True)
class NestedFlow:
    """The back matter of a long sheet as items inside boxes (`cheatdeck.sheet.flow` cuts it by the page as
    it cuts the notes): a grid row inside its group's table inside its table's part of the grid, a
    resource inside its list's columns, a reference inside the list of references. A part holding items
    `start` … `stop - 1` opens every box they are in (a box begun before `start` is continued: its
    opening again, without its ids and marked `data-continued`, so a table repeats its header row and
    sheet.css can leave out what a box shows only where it begins) and prints the headings just
    before its items. `leads[i]` is what item `i` brings with it beside itself (the headings before it,
    the boxes it begins); `context[i]` the boxes it is in."""

    prefix: str
    boxes: tuple[_Box | _Head | int, ...]
    suffix: str
    items: tuple[str, ...]
    leads: tuple[str, ...]
    contexts: tuple[str, ...]
    anchors: frozenset[str]

    def html(self, start: int, stop: int, marked: bool = False) -> str:
        """The HTML of a part holding items `start` … `stop - 1`. `marked`: each item's element gets
        `data-flow-item`, each heading `data-flow-lead` and each box begun there `data-flow-from`, all
        numbered by the item (from 0 at `start`), for the layout to find them."""
        out = [self.prefix]
        self._emit(self.boxes, start, stop, marked, out)
        out.append(self.suffix)
        return "".join(out)

    def _emit(
        self, nodes: tuple[_Box | _Head | int, ...], start: int, stop: int, marked: bool, out: list[str]
    ) -> None:
        for node in nodes:
            if isinstance(node, int):
                if start <= node < stop:
                    out.append(_mark(self.items[node], "item", node - start) if marked else self.items[node])
            elif isinstance(node, _Head):
                if start <= node.item < stop:
                    out.append(_mark(node.html, "lead", node.item - start) if marked else node.html)
            elif node.first < stop and node.end > start:
                if node.first >= start:
                    out.append(_mark(node.open, "from", node.first - start) if marked else node.open)
                else:  # continued from the page before: no ids (they are there), `data-continued`
                    out.append(_FIRST_TAG.sub(r"\1 data-continued", _without_ids(node.open), count=1))
                self._emit(node.children, start, stop, marked, out)
                out.append(node.close)


def _mark(html: str, what: str, number: int) -> str:
    return _FIRST_TAG.sub(lambda match: f'{match[1]} data-flow-{what}="{number}"', html, count=1)


def split_nested(html: str) -> NestedFlow | None:
    """Read the back matter's HTML as boxes, headings and items at the template's marks (FLOW_OPEN …
    FLOW_END). None: the template writes none, or they do not nest (it is then laid out whole)."""
    pieces = _MARKS.split(html)
    if len(pieces) < 3 or pieces[-2] != FLOW_END:
        return None
    prefix, suffix = pieces[0], pieces[-1]
    marks = list(zip(pieces[1:-2:2], pieces[2:-2:2], strict=True))
    items: list[str] = []
    leads: list[str] = []
    contexts: list[str] = []
    pending: list[str] = []  # headings and boxes begun, waiting for the next item
    stack: list[tuple[str, list[_Box | _Head | int], int]] = [("", [], 0)]
    waiting: list[tuple[list[_Box | _Head | int], int, str]] = []  # headings placed, item not yet known
    for mark, text in marks:
        if mark == FLOW_OPEN:
            stack.append((text, [], len(items)))
            pending.append(text)
        elif mark == FLOW_HEAD:
            waiting.append((stack[-1][1], len(stack[-1][1]), text))
            stack[-1][1].append(_Head(text, -1))
            pending.append(text)
        elif mark == FLOW_ITEM:
            for children, at, heading in waiting:
                children[at] = _Head(heading, len(items))
            waiting.clear()
            leads.append("".join(pending))
            pending.clear()
            contexts.append("\0".join(opening for opening, _, _ in stack))
            stack[-1][1].append(len(items))
            items.append(text)
        elif mark == FLOW_CLOSE:
            if len(stack) < 2 or stack[-1][2] == len(items) or waiting:
                return None  # a box closed that was not opened, holds no item, or ends on a heading
            opening, children, first = stack.pop()
            stack[-1][1].append(_Box(opening, text, first, len(items), tuple(children)))
        else:
            return None  # FLOW_END before the last mark
    if len(stack) != 1 or waiting or not items:
        return None  # a box left open, a heading with no item after it, or no item at all
    return NestedFlow(
        prefix,
        tuple(stack[0][1]),
        suffix,
        tuple(items),
        tuple(leads),
        tuple(contexts),
        frozenset(),
    )


@dataclass(frozen=True)
class SheetParts:
    """The sheet as documents laid out apart and joined page after page (see `cheatdeck.sheet.pdf`):
    the notes' flow, laid out a page at a time, then the parts laid out whole (the back matter: grid,
    lists, references), each without page margins; and the frame, which draws the margins (title,
    legend, date, "page x of y") on every page and carries the document's metadata."""

    parts: tuple[str, ...]
    frame: str | None  # holds FRAME_PAGES where the frame's pages go; None: one part, margins and all
    flow: Flow | None = None  # the notes, laid out in parts of a page before `parts`
    back: NestedFlow | None = None  # the back matter, laid out in parts of a page after the notes
    whole: Callable[[], str] | None = None
    """A short sheet's one document (its HTML, rendered when asked): its notes and its back matter are
    laid out apart, side by side, and joined only where the back matter starts a page in this document
    too; where it would follow the notes on their last page, this document is laid out instead. None: a
    long sheet, whose back matter always starts a page."""

    def frame_for(self, pages: int) -> str:
        """The frame's HTML for a sheet of `pages` pages."""
        assert self.frame is not None
        return self.frame.replace(FRAME_PAGES, '<div class="frame-page"></div>' * pages, 1)

    def text(self) -> str:
        """Every part's HTML (not the frame's), for what depends on all the sheet shows."""
        flow = (self.flow.prefix + "".join(self.flow.items)) if self.flow else ""
        back = self.back.html(0, len(self.back.items)) if self.back else ""
        return flow + back + "".join(self.parts)


FRAME_PAGES = "<!-- frame pages -->"


def split_flow(html: str) -> tuple[str, tuple[str, ...], str] | None:
    """Cut the notes' HTML into its prefix, items and suffix at the template's FLOW_ITEM marks (None: the
    template writes none, so the notes are one part)."""
    pieces = html.split(FLOW_ITEM)
    if len(pieces) < 3:
        return None
    return pieces[0], tuple(pieces[1:-1]), pieces[-1]


def render_sheet_html(
    notebook: Notebook, templates: Path, options: SheetOptions, changed: int, grid: Grid | None = None
) -> str:
    """Render the cheat sheet (notes by kind, then the grid page) to one HTML document; `grid` is the
    whole notebook's grid, if already computed (used when the sheet prints every note)."""
    render, chapters = _sheet_renderer(notebook, templates, options, changed, grid)
    return render(chapters=chapters, back_matter=True, margins=True)


def render_sheet_parts(
    notebook: Notebook, templates: Path, options: SheetOptions, changed: int, grid: Grid | None = None
) -> SheetParts:
    """Render the cheat sheet as parts laid out apart: its notes' flow, its back matter and its frame.
    Joined, they show what `render_sheet_html`'s single document shows. A sheet under PARTS_FROM notes is
    that single document where it has no second part to lay out beside its notes (no back matter), or
    too few notes to fill their page; else it has parts and `whole` (see `SheetParts.whole`)."""
    render, chapters = _sheet_renderer(notebook, templates, options, changed, grid)

    def whole() -> str:
        return render(chapters=chapters, back_matter=True, margins=True)

    short = sum(len(section.notes) for chapter in chapters for section in chapter.sections) < PARTS_FROM
    back = render(chapters=[], back_matter=True)
    if short and not (chapters and anchors_in(back)):
        # a short sheet of notes alone (or of back matter alone): one document costs less than its
        # parts, a frame and a join, and there is no second part to lay out beside the first
        return SheetParts((whole(),), None)
    notes = render(chapters=chapters, back_matter=False)
    split = split_flow(notes)
    if short and not (split and _text_length("".join(split[1])) >= SIDE_BY_SIDE_FROM):
        # a template from before the flow, or notes that leave room for the back matter on their page
        return SheetParts((whole(),), None)
    frame = render(frame=True, margins=True)
    if FRAME_PAGES not in frame:  # a template copied before the sheet had parts: one document, as then
        return SheetParts((whole(),), None)
    parts = [notes] if chapters and not split else []  # a template from before the flow: one part
    nested = None if short else split_nested(back)  # a short sheet's back matter: whole, beside its notes
    if nested is None and (anchors_in(back) or not (parts or split)):
        parts.append(back)  # the back matter printed something, or nothing else did: laid out whole
    pieces = (split[0], *split[1], split[2]) if split else (notes,)
    texts = (*parts, *pieces, back)  # a note's item is read once, whatever the edits after it
    everywhere = {name for text in texts for name in anchors_of_text(text)}
    flow = Flow(*split, frozenset(everywhere)) if split else None
    nested = replace(nested, anchors=frozenset(everywhere)) if nested else None
    parts_html = tuple(with_stubs(part, everywhere) for part in parts)
    return SheetParts(parts_html, frame, flow, nested, whole if short else None)


class _SheetRows:
    """The grid rows' HTML the sheet's back matter printed, each kept as the grid page keeps its own
    (`grid.RowsHtml`: the row with its note, the columns, the text of its template, the context values
    it reads) and apart from the grid page's (the sheet's filters typeset math), while the formulas'
    drawings and the fields the grid shows (what the sheet's filters read) stay the same: a one-note edit
    renders that note's row. Emptied by `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.kept: dict[str, Markup] = {}
        self.state: object = None

    def cache_info(self) -> SimpleNamespace:
        """How many rows are kept (those of the last render)."""
        return SimpleNamespace(currsize=len(self.kept), maxsize=1 << 20)

    def cache_clear(self) -> None:
        """Forget every row."""
        self.kept = {}
        self.state = None

    def rows(self, environment: Environment, sources: _SourcesSeen, state: object) -> RowsHtml:
        """`remember_row` for one build's renders, whose filters read `state`."""
        if state != self.state:
            self.kept, self.state = {}, state
        return RowsHtml(environment, sources, self.kept)

    def finish(self, rows: RowsHtml) -> None:
        """Keep the rows the build's renders made or took so far (a render without rows keeps the last)."""
        if rows.made:
            self.kept = dict(rows.made)


_SHEET_ROWS = _SheetRows()


def _sheet_renderer(
    notebook: Notebook, templates: Path, options: SheetOptions, changed: int, grid: Grid | None
) -> tuple[Callable[..., str], list[Chapter]]:
    """Return a function rendering the sheet's template with the given switches, and the chapters."""
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
    shown_grid = grid if grid is not None and every else grid_rows(notebook, None if every else notes)
    environment = make_environment(templates)
    add_sheet_filters(environment)
    in_grid = grid_fields(shown_grid)
    environment.filters["unlisted"] = lambda note: [
        (label, text) for name, label, text in note_fields(note) if name not in in_grid.get(note.kind, ())
    ]
    environment.filters["unsourced_labels"] = lambda note: {
        label for name, label, _ in note_fields(note) if note.is_unsourced(name)
    }
    environment.globals.update(unsourced_globals())
    from jinja2 import pass_context

    sources = _SourcesSeen(environment.loader)  # the grid rows' key holds the text of their template
    environment.loader = sources
    rows = _SHEET_ROWS.rows(environment, sources, (drawings_kept(), fingerprint(in_grid)))

    def remember_row(context: Context, *args: object, caller: Callable[..., str]) -> Markup:
        return rows.remember(context, *args, caller=caller)

    environment.globals[ROW_CALL] = pass_context(remember_row)
    shown = tuple(note for section in sections for note in section.notes)
    compared = comparison_tables(shown, environment) if options.layout == "sheet" else []
    template = environment.get_template("sheet.html.j2")
    context = {
        "layout": options.layout,
        "numbered_references": numbered,
        "reference_numbers": numbers,
        "deck": notebook.deck,
        "kinds": kinds,
        "sections": sections,  # every section, for templates written before chapters
        "lists": lists,
        "resources": resources,
        "grid": shown_grid,
        "comparisons": compared,
        "compared": {note.id for note, _ in compared},
        "unsourced_printed": any(note.unsourced for note in printed),
        "contrasts": contrasts_by_note(notebook, printed),
        "titles": {note.id: note.title for note in notebook.notes},
        "note_href": lambda note: f"#note-{note.id}",
        "changed": format_day(changed),
        "paper": options.paper,
        "orientation": options.orientation,
        "columns": options.columns,
        "legend_text": legend,
        "frame_pages": Markup(FRAME_PAGES),
        "flow_item": Markup(FLOW_ITEM),
        "flow_open": Markup(FLOW_OPEN),
        "flow_head": Markup(FLOW_HEAD),
        "flow_close": Markup(FLOW_CLOSE),
        "flow_end": Markup(FLOW_END),
    }

    def render(
        *,
        chapters: Sequence[Chapter] = (),
        back_matter: bool = False,
        margins: bool = False,
        frame: bool = False,
    ) -> str:
        switches = {"chapters": chapters, "back_matter": back_matter, "margins": margins, "frame": frame}
        values = {**context, **switches}
        html = ITEMS.render(environment, template, values, in_grid)  # `unlisted` reads in_grid
        _SHEET_ROWS.finish(rows)
        return _tidy_by_item(html)

    return render, [Chapter(tuple(sections), starts_page=False)] if sections else []


_STRONG = re.compile(r"<strong>(.*?)</strong>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_TABLE = re.compile(r"<table>.*?</table>", re.DOTALL)
_ROW_HEAD = re.compile(r"<tr>\s*<t[hd][^>]*>(.*?)</t[hd]>", re.DOTALL)


def tables_of(html: str) -> list[Markup]:
    """Return the tables of a rendered note body: the sheet layout prints them (a small comparison the
    notes make) and leaves the rest of the body to the study guide."""
    return [Markup(table) for table in _TABLE.findall(html)]


def comparison_tables(notes: tuple[Note, ...], environment: Environment) -> list[tuple[Note, list[Markup]]]:
    """Return the notes whose body holds tables, each with its tables as the sheet prints them: with the
    comparison grid, where the notes page has no room for them and the grid's page has (the note links
    there). The study guide prints the whole body, tables in place."""
    render = environment.filters["markdown"]
    found = [
        (note, tables_of(keep_asked_bold(render(note.body), note))) for note in notes if "|" in note.body
    ]
    return [(note, tables) for note, tables in found if tables]


def asked_words(note: Note) -> frozenset[str]:
    """Return what a note's cards ask, folded for comparison: its title, its labelled values, each fact's
    cloze answers and each question's answer, but for those the note calls trivia (`trivia:`)."""
    answers = [note.title, *(text for _, _, text in note_fields(note))]
    answers += [answer for fact in note.facts for answer in fact.answers() if not note.is_trivia(answer)]
    return frozenset(_folded(answer) for answer in answers)


def trivia_plain(fact: Fact, note: Note | None = None) -> Fact:
    """Return a fact with the hidden parts its note calls trivia (`trivia:`) unmarked: the sheet prints
    them plain, keeping bold for what is worth it. Its card still hides them."""
    if note is None or not note.trivia or fact.text is None:
        return fact
    text = CLOZE_SPAN.sub(
        lambda match: match["hidden"] if note.is_trivia(match["hidden"]) else match[0], fact.text
    )
    return fact if text == fact.text else fact.model_copy(update={"text": text})


def _folded(text: str) -> str:
    """Return a text without markup, case and runs of spaces, for comparing words."""
    return " ".join(_TAG.sub("", text).casefold().split())


def keep_asked_bold(html: str, note: Note) -> Markup:
    """Return rendered note text with its bold kept only where the bolded words are what one of the
    note's cards asks: other bold the source made (trivia) prints plain, so bold means "exam key"."""
    asked = asked_words(note)
    return Markup(_STRONG.sub(lambda match: match[0] if _folded(match[1]) in asked else match[1], html))


def grid_fields(grid: Grid) -> dict[str, frozenset[str]]:
    """Return, per kind, the fields the grid page shows for its notes (its columns and its grouping): the
    notes page leaves them out, so each field is printed once."""
    shown: dict[str, set[str]] = {}
    for table in grid.tables:
        if not table.rows:
            continue
        fields = {column.field for column in table.columns} | (
            {table.spec.group_by} if table.spec.group_by else set()
        )
        for rows in table.spec.rows:
            shown.setdefault(rows.kind, set()).update(fields)
    return {kind: frozenset(fields) for kind, fields in shown.items()}


def note_fields(note: Note) -> list[tuple[str, str, str]]:
    """Return (field, label, text) for each labelled field the note fills, as `labelled_values` says them."""
    values = labelled_values(note)
    names = [field.name for field in LABELLED_FIELDS if getattr(note, field.name)]
    names += [getattr(value, "name", value.label) for value in getattr(note, "declared", ())]
    return [(name, label, text) for name, (label, text) in zip(names, values, strict=True)]


def contrasts_by_note(notebook: Notebook, printed: tuple[Note, ...]) -> dict[str, list[tuple[str, str]]]:
    """Return, per note, the notes it is contrasted with and what tells them apart (or '' for a link only).

    A pair's `difference:` sentences are printed once, under whichever of the two the sheet prints first;
    the other note links to it. A pair a printed comparison table shows (a row for each) is printed by
    the table: both notes link to each other."""
    order = {note.id: index for index, note in enumerate(printed)}
    tabled = tabled_pairs(printed)
    result: dict[str, list[tuple[str, str]]] = {}
    for first_id, second_id in contrast_pairs(notebook):
        first, second = notebook.note(first_id), notebook.note(second_id)
        shown_by_table = frozenset((first_id, second_id)) in tabled
        sentence = "" if shown_by_table else " ".join(differences(first, second))
        owner, other = sorted((first, second), key=lambda note: order.get(note.id, len(order)))
        result.setdefault(owner.id, []).append((other.id, sentence))
        result.setdefault(other.id, []).append((owner.id, ""))
    return result


def tabled_pairs(printed: tuple[Note, ...]) -> set[frozenset[str]]:
    """Return the pairs of printed notes one printed note's comparison table shows: a table with a row
    headed by each note's title (case aside)."""
    by_title = {_folded(note.title): note.id for note in printed}
    pairs: set[frozenset[str]] = set()
    for note in printed:
        for heads in _row_heads(note.body):
            ids = sorted({by_title[head] for head in heads if head in by_title})
            pairs |= {frozenset((a, b)) for a in ids for b in ids if a < b}
    return pairs


@functools.lru_cache(maxsize=1 << 14)
def _row_heads(body: str) -> tuple[tuple[str, ...], ...]:
    """The heads of the body rows of each table a note's body holds, folded (read once per body)."""
    if "|" not in body:  # no Markdown table
        return ()
    tables = tables_of(render_markdown(body))
    return tuple(
        tuple(_folded(row) for row in _ROW_HEAD.findall(table.split("<tbody>", 1)[-1])) for table in tables
    )


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
    filters["fact"] = lambda fact, note=None: Markup(
        typeset_math(render_fact(trivia_plain(fact, note)), blocks=False)
    )  # `fact(note)`: the words the note calls trivia print plain
    filters["correction"] = lambda item: Markup(typeset_math(render_correction(item), blocks=False))
    filters["markdown"] = lambda text: Markup(typeset_math(render_markdown(text)))
    filters["formula"] = lambda text: Markup(typeset_formula(text))
    filters["asked_bold"] = keep_asked_bold
    filters["tables"] = tables_of


def write_sheet_pdf(
    sheet: SheetParts,
    target: Path,
    changed: int,
    base_url: Path,
    *,
    templates: Path | None = None,
    source_url: str | None = None,
    cache: Path | None = None,
    reuse: bool = True,
) -> int:
    """Render the sheet's parts to a reproducible PDF at `target`; return its page count. Parts kept in
    `cache` are reused unless `reuse` is false. The renderer reads only files inside the notes folder
    (`base_url`) and the templates folder (see `cheatdeck.sheet.fetch`)."""
    from cheatdeck.sheet.pdf import write_parts_pdf

    renderer = sheet_renderer(base_url, templates, source_url)
    return write_parts_pdf(sheet, target, changed, renderer, cache, reuse=reuse, jobs=_cores())


def sheet_renderer(notes: Path, templates: Path | None, source_url: str | None) -> Renderer:
    """How WeasyPrint reads the sheet: relative URLs resolve against `source_url` (or a base that names
    no machine) and may reach only the notes and templates folders."""
    from cheatdeck.sheet.fetch import TEMPLATES_URL, notes_url
    from cheatdeck.sheet.pdf import Renderer

    base = notes_url(source_url)
    return Renderer(base, {base: notes, **({TEMPLATES_URL: templates} if templates else {})})


def _cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def _sheet_artefact(shared: Shared) -> Artefact:
    from importlib.metadata import version

    from cheatdeck.sheet.fonts import fonts_digest

    notebook, options, changed = shared.notebook, shared.options, shared.date
    cache = options.out / CACHE_FOLDER
    if options.force:  # --force makes every cache again, the formulas' drawings included
        forget_drawings()
    else:
        load_drawings(cache / "formulas.json")
    sheet = rendered(
        lambda: render_sheet_parts(notebook, options.templates, options.sheet, changed, shared.grid)
    )
    shared.report.advice += [Advice(str(warning)) for warning in glyph_warnings(notebook)]  # as `check` says

    source_url = notebook.deck.source_url

    def write(tmp: Path) -> None:
        shared.report.sheet_pages = write_sheet_pdf(
            sheet,
            tmp,
            changed,
            options.source,
            templates=options.templates,
            source_url=source_url,
            cache=cache / "sheet",
            reuse=not options.force,  # --force lays out every part afresh (and keeps them)
        )
        save_drawings(cache / "formulas.json", *pieces, *sheet.parts)
        log.info("cheat sheet: %d pages", shared.report.sheet_pages)

    # the fonts found and the files shown (by the parts, and by the frame in the margins) shape the PDF
    flow = sheet.flow
    pieces = (flow.prefix, *flow.items, flow.suffix) if flow else ()
    back = sheet.back
    pieces += ("back matter", back.html(0, len(back.items))) if back else ()
    shown = (*pieces, *sheet.parts, sheet.frame or "")  # each read apart: an item is read once
    files = sheet_renderer(options.source, options.templates, source_url).files_read(*shown)
    content = stamp(version("weasyprint"), fonts_digest(), *pieces, *sheet.parts, sheet.frame or "", *files)
    return Artefact("sheet", content, {SHEET_FILE: write})


OUTPUT = Output("sheet", needs=("date", "grid"), plan=_sheet_artefact)
