"""Printable double-sided flashcards: the deck's own cards, fronts and backs on alternate pages.

The cards are the deck's: the same card plan (`cheatdeck.cards.plan.plan_source_notes`, so the deck's
`cards:` switches hold), the same card templates (`templates/anki/*.html`, filled as Anki fills them), with
what the back folds away (*More*, *Side by side*) left out. Math, pictures and inline Markdown are set as on
the sheet (`cheatdeck.sheet.typeset`, the sheet's renderer and its fetcher).

Pages alternate: a page of fronts, then the page of their backs with the columns mirrored, so a page
printed on both sides, flipped on its long edge, puts each back behind its front. A face too long for its
cell is set smaller, step by step (measured in WeasyPrint's layout); one still too long at the smallest
step is named in the build output.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from markupsafe import Markup

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.cards.plan import NOTETYPES, PlannedNote, plan_source_notes
from cheatdeck.errors import UsageError
from cheatdeck.notes.model import Notebook
from cheatdeck.notes.render import render_text
from cheatdeck.options import FLASHCARD_SIZES, FlashcardOptions
from cheatdeck.outputs import Artefact, Output, Shared, rendered, stamp
from cheatdeck.sheet.typeset import typeset_formula, typeset_math
from cheatdeck.sheet.weasy import load_weasyprint
from cheatdeck.templating import format_day, make_environment

if TYPE_CHECKING:
    from cheatdeck.sheet.pdf import Renderer

log = logging.getLogger(__name__)

FLASHCARDS_FILE = "flashcards.pdf"
TEMPLATE = "flashcards.html.j2"

PAPER_MM = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
"""Page width and height in millimetres, portrait: cards are laid out on upright pages only, so a long-edge
flip mirrors the columns on every printer."""


@dataclass(frozen=True)
class CardGrid:
    """How cards sit on a page: columns × rows of cells, each `width` × `height` mm (None: the page
    less its margins, shared out), the block of cells centred on the page."""

    columns: int
    rows: int
    width: float | None = None
    height: float | None = None
    margin: float = 10.0  # mm, around the block of cells when the cells fill the page
    font_size: float = 9.5  # pt, at full size

    @property
    def per_page(self) -> int:
        """Cards on one page."""
        return self.columns * self.rows

    def cells(self, paper: str) -> list[Cell]:
        """The cells of a front page, row by row, left to right."""
        page_width, page_height = PAPER_MM[paper]
        width = self.width or (page_width - 2 * self.margin) / self.columns
        height = self.height or (page_height - 2 * self.margin) / self.rows
        left = (page_width - width * self.columns) / 2
        top = (page_height - height * self.rows) / 2
        return [
            Cell(left + column * width, top + row * height, width, height, row, column)
            for row in range(self.rows)
            for column in range(self.columns)
        ]

    def mirrored(self, cell: Cell, paper: str) -> Cell:
        """The cell behind `cell` on the back page: same row, mirrored column."""
        column = self.columns - 1 - cell.column
        return self.cells(paper)[cell.row * self.columns + column]


@dataclass(frozen=True)
class Cell:
    """One card's place on a page, in millimetres from the page's top left corner."""

    left: float
    top: float
    width: float
    height: float
    row: int
    column: int


GRIDS = {
    "8-up": CardGrid(columns=2, rows=4),
    "index-card": CardGrid(columns=1, rows=3, width=127.0, height=76.2, font_size=11.0),  # 5 × 3 in
}
"""The card sizes `--card-size` offers: eight cards to a page, or three 5 × 3 inch index cards."""
assert tuple(GRIDS) == FLASHCARD_SIZES

SCALES = (1.0, 0.9, 0.8, 0.7, 0.62, 0.55)
"""The sizes a face too long for its cell is set at in turn, as a share of the full size."""


@dataclass(frozen=True)
class Flashcard:
    """One card to print: its number, its kind, the note it asks about and its two faces' HTML."""

    number: int
    kind: str  # the card kind: term, reverse, learning, task, fact, cloze, contrast
    note_id: str  # the note (or pair of notes) it comes from
    label: str  # the note kind's label, printed with the badge
    badge: str
    colour: str
    front: str
    back: str


# --- Anki's templates, filled as Anki fills them ---------------------------------------------------------

_FIELD_REF = re.compile(r"\{\{\s*([#^/]?)\s*([^{}]+?)\s*\}\}")
_CLOZE = re.compile(r"\{\{c\d+::(?P<text>.*?)(?:::(?P<hint>.*?))?\}\}", re.DOTALL)
_ANSWER_RULE = re.compile(r'<hr id="?answer"?\s*/?>')
_FOLDED = re.compile(r'<details class="more">.*?</details>', re.DOTALL)
_EMPTY_FIELD = re.compile(r"^(\s|<br\s*/?>|<div>\s*</div>)*$")


def fill_template(template: str, fields: Mapping[str, str], *, front_side: str = "", answer: bool) -> str:
    """Fill an Anki card template: `{{Field}}`, `{{#Field}}…{{/Field}}`, `{{^Field}}…{{/Field}}`,
    `{{cloze:Field}}` (the clozes hidden on the front, shown on the back) and `{{FrontSide}}`. A field's
    HTML goes in as it is, as Anki puts it (the fields are the deck's own, safe HTML)."""
    out: list[str] = []
    shown: list[bool] = []
    position = 0
    for match in _FIELD_REF.finditer(template):
        if all(shown):
            out.append(template[position : match.start()])
        position = match.end()
        kind, name = match[1], match[2]
        *filters, field = (part.strip() for part in name.split(":"))
        if kind in "#^" and kind:
            filled = not _EMPTY_FIELD.match(fields.get(field, ""))
            shown.append(filled if kind == "#" else not filled)
        elif kind == "/":
            if shown:
                shown.pop()
        elif all(shown):
            value = front_side if field == "FrontSide" else fields.get(field, "")
            out.append(_cloze(value, answer) if "cloze" in filters else value)
    if all(shown):
        out.append(template[position:])
    return "".join(out)


def _cloze(value: str, answer: bool) -> str:
    def one(match: re.Match[str]) -> str:
        if answer:
            return f'<span class="cloze">{match["text"]}</span>'
        return f'<span class="cloze">[{match["hint"] or "…"}]</span>'

    return _CLOZE.sub(one, value)


_MATHJAX = re.compile(r'<(?P<tag>span|div) class="math">\\[(\[](?P<tex>.*?)\\[)\]]</(?P=tag)>', re.DOTALL)


def for_paper(card_html: str) -> str:
    """Turn a card's HTML (math for MathJax) into the sheet's: TeX typeset to drawings."""
    plain = _MATHJAX.sub(lambda m: f'<{m["tag"]} class="math">{m["tex"]}</{m["tag"]}>', card_html)
    return typeset_math(plain)


# --- The cards -----------------------------------------------------------------------------------------

CARD_SWITCHES = {"fact": "facts"}
"""A card kind's name in deck.yaml's `cards:` switches (and `--cards`) where it differs."""
_CONTRAST = ("Contrast", "vs", "#566074")


def plan_flashcards(notebook: Notebook, templates: Path, chosen: Sequence[str] = ()) -> list[Flashcard]:
    """Return the deck's cards as flashcards, in the deck's order (the order Anki shows new cards): the
    card kinds the deck makes, or only those `chosen` (deck.yaml's switch names: term, facts …)."""
    _check_chosen(notebook, chosen)
    media: dict[str, Path] = {}
    planned = sorted(plan_source_notes(notebook, media, templates), key=lambda note: note.position)
    pictures = {name: _picture_url(notebook.source_dir, path) for name, path in media.items()}
    cards: list[Flashcard] = []
    for note in planned:
        for card in note.cards:
            if chosen and CARD_SWITCHES.get(card, card) not in chosen:
                continue
            label, badge, colour = _looks(notebook, note)
            front, back = (
                _without_label(face, label) for face in _faces(notebook, templates, note, card, pictures)
            )
            cards.append(Flashcard(len(cards) + 1, card, note.note_id, label, badge, colour, front, back))
    return cards


def _check_chosen(notebook: Notebook, chosen: Sequence[str]) -> None:
    switches = [name for name in type(notebook.deck.cards).model_fields if name != "resources"]
    unknown = [name for name in chosen if name not in switches]
    if unknown:
        raise UsageError(f"--cards {', '.join(unknown)}: card kinds are {', '.join(switches)}")
    off = [name for name in chosen if not getattr(notebook.deck.cards, name)]
    if off:
        raise UsageError(
            f"--cards {', '.join(off)}: deck.yaml switches these cards off (cards: {off[0]}: no)"
        )


def _template_name(note: PlannedNote, card: str) -> str:
    spec = NOTETYPES[note.notetype]
    return spec.cards[0] if spec.cloze else card


def _faces(
    notebook: Notebook, templates: Path, note: PlannedNote, card: str, pictures: Mapping[str, str]
) -> tuple[str, str]:
    """Return a card's front and back as the deck's templates show them, for paper: the back without
    the question it repeats (what Anki shows above the answer rule) nor what it folds away."""
    anki = templates / "anki"
    name = _template_name(note, card)
    fields = dict(zip(NOTETYPES[note.notetype].fields, note.fields, strict=True))
    fields = {key: _with_pictures(value, pictures) for key, value in fields.items()}
    front = fill_template(_read(anki / f"{name}.front.html"), fields, answer=False)
    if NOTETYPES[note.notetype].cloze and "Formula" in fields:  # typeset as the sheet sets formulas
        formula = notebook.note(note.note_id).formula
        if formula:
            fields["Formula"] = typeset_formula(formula)
    back = fill_template(_read(anki / f"{name}.back.html"), fields, front_side=front, answer=True)
    parts = _ANSWER_RULE.split(back, maxsplit=1)
    answer = parts[1] if len(parts) == 2 else back
    return for_paper(front.strip()), for_paper(_FOLDED.sub("", answer).strip())


def _without_label(face: str, label: str) -> str:
    """Drop the template's line naming the note's kind: the card's head names it, with the badge."""
    return face.replace(f'<div class="kind">{render_text(label)}</div>', "", 1).strip()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


_MEDIA_SRC = re.compile(r'src="(cheatdeck-[0-9a-f]{16}(?:\.[a-z0-9]{1,8})?)"')


def _with_pictures(value: str, pictures: Mapping[str, str]) -> str:
    """Point the deck's media names back at the pictures in the notes folder (what the renderer reads)."""
    return _MEDIA_SRC.sub(lambda m: f'src="{pictures.get(m[1], m[1])}"', value)


def _picture_url(source: Path, path: Path) -> str:
    relative = path.resolve().relative_to(source.resolve()).as_posix()
    return html.escape(quote(relative), quote=True)


def _looks(notebook: Notebook, note: PlannedNote) -> tuple[str, str, str]:
    """Return the label, badge and colour of the kind a card's note is of."""
    if note.notetype == "contrast":
        return _CONTRAST
    kind = notebook.kinds[notebook.note(note.note_id.split("#", 1)[0]).kind]
    return kind.label, kind.badge, kind.colour


# --- Pages ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Face:
    """One side of a card in its cell on a page: `key` names it in the layout (`12f`, `12b`)."""

    card: Flashcard
    cell: Cell
    back: bool

    @property
    def key(self) -> str:
        """The face's name in the HTML and the layout."""
        return f"{self.card.number}{'b' if self.back else 'f'}"

    @property
    def html(self) -> Markup:
        """The face's content."""
        return Markup(self.card.back if self.back else self.card.front)


def pages_of(cards: Sequence[Flashcard], grid: CardGrid, paper: str) -> list[list[Face]]:
    """Lay the cards out: a page of fronts, then the page of their backs in mirrored columns, and so on."""
    cells = grid.cells(paper)
    pages: list[list[Face]] = []
    for start in range(0, len(cards), grid.per_page):
        batch = list(zip(cards[start : start + grid.per_page], cells, strict=False))
        pages.append([Face(card, cell, back=False) for card, cell in batch])
        pages.append([Face(card, grid.mirrored(cell, paper), back=True) for card, cell in batch])
    return pages


def render_flashcards_html(
    notebook: Notebook,
    templates: Path,
    cards: Sequence[Flashcard],
    options: FlashcardOptions,
    paper: str,
    changed: int,
    scales: Mapping[str, float] | None = None,
    cut: frozenset[str] = frozenset(),
) -> str:
    """Render every page of flashcards to one HTML document; `scales` sets a face smaller (by key), and
    each face in `cut` says on the card that it is cut off."""
    grid = GRIDS[options.size]
    environment = make_environment(templates if (templates / TEMPLATE).is_file() else SHIPPED_TEMPLATES)
    return environment.get_template(TEMPLATE).render(
        deck=notebook.deck,
        pages=pages_of(cards, grid, paper),
        cells=grid.cells(paper),
        paper=paper,
        page_size=PAPER_MM[paper],
        font_size=grid.font_size,
        scales=scales or {},
        cut=cut,
        changed=format_day(changed),
        count=len(cards),
    )


@dataclass(frozen=True)
class Overflow:
    """A face still too long for its cell at the smallest size."""

    card: Flashcard
    back: bool

    def __str__(self) -> str:
        side = "back" if self.back else "front"
        return (
            f"flashcard {self.card.number} ({self.card.kind} card of {self.card.note_id}): its {side} is "
            f"too long for a card even at {SCALES[-1]:.0%} size; it is cut off at the card's edge"
        )


def fit_faces(
    layout: Callable[[Mapping[str, float], frozenset[str]], Any], cards: Sequence[Flashcard]
) -> tuple[Any, dict[str, float], list[Overflow]]:
    """Lay the pages out, setting each face too long for its cell smaller until it fits or is at the
    smallest size; a face that still does not fit is laid out once more saying on the card that it is cut
    off. Return the last layout (a WeasyPrint document), the sizes chosen and the faces cut off."""
    scales: dict[str, float] = {}
    while True:
        document = layout(scales, frozenset())
        over = dict(_overflowing(document))
        moved = False
        for key, (needed, room) in over.items():
            current = scales.get(key, 1.0)
            smaller = [s for s in SCALES if s < current]
            if not smaller:
                continue
            # a face's height goes roughly with the square of its size (narrower lines, fewer of them)
            fitting = [s for s in smaller if needed * (s / current) ** 2 <= room]
            scales[key] = fitting[0] if fitting else smaller[-1]
            moved = True
        if not moved:
            break
    if over:
        document = layout(scales, frozenset(over))
    by_number = {card.number: card for card in cards}
    left = [Overflow(by_number[int(key[:-1])], key.endswith("b")) for key in sorted(over, key=_key_order)]
    return document, scales, left


def _key_order(key: str) -> tuple[int, str]:
    return int(key[:-1]), key[-1]


def _overflowing(document: Any) -> Iterator[tuple[str, tuple[float, float]]]:
    """Yield each face whose content is taller or wider than its cell's room: its key, and what it
    needs and has, as heights (a face too wide gives the squares of its widths: a face's height goes with
    the square of its size, its width with the size, so `fit_faces` estimates both alike)."""
    for page in document.pages:
        for box in _walk(page._page_box):
            element = getattr(box, "element", None)
            if element is None or getattr(box, "element_tag", "") != "div":
                continue
            key = element.get("data-face")
            if not key or "content" not in (element.get("class") or "").split():
                continue
            room, needed = _room(box), box.margin_height()
            right = max((inner.position_x + inner.margin_width() for inner in _walk(box)), default=0.0)
            width_needed, width = right - box.position_x, box.width
            if width_needed > width + 0.5 and (width_needed / width) ** 2 > needed / room:
                yield key, (width_needed**2, width**2)
            elif needed > room + 0.5:  # CSS px; half a pixel is rounding
                yield key, (needed, room)


def _room(content: Any) -> float:
    """The height a face's content may take, in CSS pixels: its `data-room` (mm, set by the template)."""
    return float(content.element.get("data-room")) * 96 / 25.4


def _walk(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", []):
        yield from _walk(child)


def write_flashcards_pdf(
    html_for: Callable[[Mapping[str, float], frozenset[str]], str],
    cards: Sequence[Flashcard],
    target: Path,
    changed: int,
    renderer: Renderer,
) -> tuple[int, list[Overflow]]:
    """Lay out the flashcards (faces too long set smaller), write the PDF at `target`; return its page
    count and the faces that still do not fit."""
    import hashlib

    load_weasyprint()
    import weasyprint

    from cheatdeck.sheet.breaks import breakable
    from cheatdeck.sheet.fetch import local_fetcher
    from cheatdeck.sheet.weasy import collected_warnings as _collected_warnings
    from cheatdeck.sheet.weasy import source_date_epoch as _source_date_epoch

    fetcher = local_fetcher(renderer.roots)
    final: dict[str, str] = {}

    def layout(scales: Mapping[str, float], cut: frozenset[str]) -> Any:
        final["html"] = html_for(scales, cut)
        page = weasyprint.HTML(string=breakable(final["html"]), base_url=renderer.base, url_fetcher=fetcher)
        return page.render()

    with _source_date_epoch(changed), _collected_warnings() as warnings:
        document, scales, left = fit_faces(layout, cards)
        identifier = hashlib.sha256(final["html"].encode()).hexdigest()[:32].encode()
        target.write_bytes(document.write_pdf(pdf_identifier=identifier))
    for warning in warnings:
        log.warning("weasyprint: %s", warning)
    if scales:
        log.info("flashcards: %d face(s) set smaller to fit their card", len(scales))
    return len(document.pages), left


def _flashcards_artefact(shared: Shared) -> Artefact:
    from importlib.metadata import version

    from cheatdeck.sheet.document import sheet_renderer
    from cheatdeck.sheet.fonts import fonts_digest

    notebook, options, changed = shared.notebook, shared.options, shared.date
    chosen = options.flashcards
    cards = plan_flashcards(notebook, options.templates, chosen.cards)
    if not cards:
        raise UsageError(
            "flashcards: the deck makes no cards" + (" of the kinds --cards names" * bool(chosen.cards))
        )
    paper = options.sheet.paper

    def html_for(scales: Mapping[str, float], cut: frozenset[str]) -> str:
        return rendered(
            lambda: render_flashcards_html(
                notebook, options.templates, cards, chosen, paper, changed, scales, cut
            )
        )

    first = html_for({}, frozenset())
    renderer = sheet_renderer(options.source, options.templates, notebook.deck.source_url)

    def write(tmp: Path) -> None:
        pages, left = write_flashcards_pdf(html_for, cards, tmp, changed, renderer)
        for overflow in left:
            log.warning("%s", overflow)
        log.info(
            "flashcards: %d cards on %d pages (print both sides, flip on the long edge)", len(cards), pages
        )

    files = renderer.files_read(first)
    content = stamp(version("weasyprint"), fonts_digest(), first, *files)
    return Artefact("flashcards", content, {FLASHCARDS_FILE: write})


OUTPUT = Output("flashcards", needs=("date",), plan=_flashcards_artefact)
