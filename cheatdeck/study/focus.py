"""The focus page: the notes a learner keeps missing, ranked from their own Anki reviews, on one page.

Each source note is scored from the cards it made (its topic card, its fact and formula cards, and the
contrast cards it shares), with the weights below; the notes with the highest scores that fit one page are
printed as on the cheat sheet, each with a line of its numbers.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.anki.lock import ACTIVE, LOCK_FILE, Lock, read_lock
from cheatdeck.errors import UsageError
from cheatdeck.notes.model import Note, Notebook
from cheatdeck.options import SheetOptions
from cheatdeck.sheet.weasy import load_weasyprint
from cheatdeck.study.reviews import AGAIN, LEARNING, RELEARNING, CardHistory, History, read_history
from cheatdeck.templating import format_day, make_environment

log = logging.getLogger(__name__)

FOCUS_FILE = "focus.pdf"
TEMPLATE = "focus.html.j2"
DAY = 86_400

LAPSE = 3.0  # points per lapse: a card forgotten after it was learned
AGAIN_RECENT = 2.0  # points per Again answer in the window (--since, default 30 days)
EASE_START = 2.5  # SM-2's starting ease; below it, each 0.1 lost is worth EASE points / 10
EASE = 10.0  # points per 1.0 of ease below EASE_START
DIFFICULTY_MIDDLE = 5.0  # FSRS's difficulty runs 1 … 10; above the middle, each point is worth DIFFICULTY
DIFFICULTY = 2.0
NOT_LEARNED = 2.0  # points per card seen but still in (re)learning
WEIGHTS_TEXT = (
    f"{LAPSE:g} per lapse, {AGAIN_RECENT:g} per Again answer in the window, {EASE:g} per 1.0 of ease below "
    f"{EASE_START:g} (SM-2) or {DIFFICULTY:g} per point of difficulty above {DIFFICULTY_MIDDLE:g} (FSRS), "
    f"{NOT_LEARNED:g} per card still being learned"
)
DEFAULT_SINCE = 30  # days
MOST_NOTES = 60  # notes ever laid out to find how many fit one page


@dataclass
class Weakness:
    """One source note's cost to the learner, and the numbers it is made of."""

    note: Note
    lapses: int = 0
    agains: int = 0  # Again answers in the window
    last_missed: int | None = None  # the newest Again answer, ever
    ease: list[float] = field(default_factory=list)
    difficulty: list[float] = field(default_factory=list)
    learning: int = 0  # cards seen but not yet learned
    answers: int = 0

    def parts(self) -> list[tuple[str, float]]:
        """Each reason with its points."""
        parts = []
        if self.lapses:
            parts.append((f"{self.lapses} lapse{'s' * (self.lapses != 1)}", LAPSE * self.lapses))
        if self.agains:
            parts.append((f"{self.agains} Again in the window", AGAIN_RECENT * self.agains))
        if self.ease and min(self.ease) < EASE_START:
            lowest = min(self.ease)
            parts.append((f"ease {lowest:.2f}", EASE * (EASE_START - lowest)))
        if self.difficulty and max(self.difficulty) > DIFFICULTY_MIDDLE:
            highest = max(self.difficulty)
            parts.append((f"difficulty {highest:.1f}", DIFFICULTY * (highest - DIFFICULTY_MIDDLE)))
        if self.learning:
            parts.append(
                (
                    f"{self.learning} card{'s' * (self.learning != 1)} not yet learned",
                    NOT_LEARNED * self.learning,
                )
            )
        return parts

    @property
    def score(self) -> float:
        """The note's cost: the sum of its reasons' points."""
        return round(sum(points for _, points in self.parts()), 2)

    def numbers(self, now: int, window: int) -> str:
        """The line printed under the note: "4 lapses · 3× Again in 30 d · last missed 2 d ago"."""
        bits = [f"{self.lapses} lapse{'s' * (self.lapses != 1)}"] if self.lapses else []
        if self.agains:
            bits.append(f"{self.agains}× Again in {window} d")
        if self.last_missed is not None:
            bits.append(f"last missed {_ago(now - self.last_missed)}")
        if self.ease and min(self.ease) < EASE_START:
            bits.append(f"ease {min(self.ease):.2f}")
        if self.difficulty and max(self.difficulty) > DIFFICULTY_MIDDLE:
            bits.append(f"difficulty {max(self.difficulty):.1f}")
        if self.learning:
            bits.append("not yet learned")
        return " · ".join(bits)

    def explain(self) -> str:
        """The score and how it is made, for `--explain`."""
        parts = " + ".join(f"{words} ({points:g})" for words, points in self.parts())
        return f"{self.note.id}: {self.score:g} = {parts}"


def _age(seconds: int) -> str:
    """How long ago, in the largest whole unit: "40 min ago", "5 h ago", "3 d ago"."""
    seconds = max(0, seconds)
    for unit, size in (("d", DAY), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def _ago(seconds: int) -> str:
    days = max(0, seconds) // DAY
    if days == 0:
        return "today"
    return f"{days} d ago"


def rank(
    notebook: Notebook, lock: Lock, history: History, now: int, since: int | None, tags: Sequence[str] = ()
) -> list[Weakness]:
    """Score every source note from its cards' history; return those with a cost, costliest first. With
    `since`, only notes answered Again in that many days are listed."""
    window = now - (since or DEFAULT_SINCE) * DAY
    by_guid = {guid: locked.note_id for guid, locked in lock.notes.items() if locked.state == ACTIVE}
    known = {note.id for note in notebook.notes}
    found: dict[str, Weakness] = {}
    for card in history.cards:
        for note_id in _source_notes(by_guid.get(card.note_guid, "")):
            if note_id not in known:  # a note removed from the sources since
                continue
            _add(found.setdefault(note_id, Weakness(notebook.note(note_id))), card, window)
    ranked = [w for w in found.values() if w.score > 0 and (since is None or w.agains)]
    if tags:
        ranked = [w for w in ranked if set(w.note.tags) & set(tags)]
    return sorted(ranked, key=lambda w: (-w.score, -(w.last_missed or 0), w.note.id))


def _source_notes(note_id: str) -> list[str]:
    """The source notes an Anki note was made from: `lda`, `lda#2` (a fact), `a+b` (a contrast: both)."""
    if not note_id:
        return []
    return note_id.split("#", 1)[0].split("+")


def _add(weakness: Weakness, card: CardHistory, window: int) -> None:
    weakness.lapses += card.lapses
    weakness.answers += len(card.answers)
    missed = [time for time, button in card.answers if button == AGAIN]
    weakness.agains += sum(1 for time in missed if time >= window)
    if missed:
        weakness.last_missed = max(weakness.last_missed or 0, missed[-1])
    if card.ease is not None:
        weakness.ease.append(card.ease)
    if card.difficulty is not None:
        weakness.difficulty.append(card.difficulty)
    if card.card_type in (LEARNING, RELEARNING):
        weakness.learning += 1


@dataclass(frozen=True)
class FocusOptions:
    """What `focus` reads and prints."""

    source: Path
    out: Path
    templates: Path = SHIPPED_TEMPLATES
    collection: Path | None = None
    profile: str | None = None
    limit: int | None = None
    since: int | None = None
    tags: tuple[str, ...] = ()
    sheet: SheetOptions = field(default_factory=SheetOptions)


@dataclass
class FocusReport:
    """What `focus` read and wrote, in words for the learner."""

    lines: list[str] = field(default_factory=list)
    explained: list[str] = field(default_factory=list)
    written: Path | None = None
    printed: list[Weakness] = field(default_factory=list)


def focus(options: FocusOptions) -> FocusReport:
    """Read the learner's reviews and write the focus page of the notes they keep missing."""
    from cheatdeck.clock import now as clock_now
    from cheatdeck.notes.sources import load_sources

    notebook = load_sources(options.source)
    lock = read_lock(options.source / LOCK_FILE)
    if not lock.notes:
        raise UsageError(
            f"{options.source / LOCK_FILE}: no note shipped yet; build the deck, import it in Anki and "
            "study a while first"
        )
    guids = {guid for guid, locked in lock.notes.items() if locked.state == ACTIVE}
    history = read_history(options.collection, options.profile, guids, notebook.deck.title)
    now = clock_now()
    report = FocusReport()
    if history.held:
        age = _age(now - int(history.read.stat().st_mtime))
        report.lines.append(
            f"Anki has the collection open: read its newest backup instead, {history.read} (made {age})"
        )
    else:
        report.lines.append(f"read {history.read} (a copy; the collection is not changed)")
    if history.hand_added:
        report.lines.append(
            f"{len(history.hand_added)} note(s) of this deck were added in Anki, not in your notes "
            "(not ranked): "
            + "; ".join(
                f"{note.first_field[:60]} ({note.lapses} lapses, {note.agains}× Again)"
                for note in history.hand_added
            )
        )
    if not history.answers:
        report.lines.append(
            f"no review of this deck's cards in {history.read} yet: study in Anki first; nothing written"
        )
        return report
    ranked = rank(notebook, lock, history, now, options.since, options.tags)
    if not ranked:
        window = f"in the last {options.since} days" if options.since else "yet"
        report.lines.append(f"no note of this deck was missed {window}: nothing to focus on; nothing written")
        return report
    chosen = ranked[: options.limit] if options.limit else ranked[:MOST_NOTES]
    report.explained = [weakness.explain() for weakness in ranked]
    printed = _write_page(notebook, options, chosen, history, now)
    report.printed = printed
    report.written = options.out / FOCUS_FILE
    left = len(ranked) - len(printed)
    report.lines.append(
        f"wrote {report.written}: {len(printed)} note(s) missed most"
        + (
            f" ({left} more did not fit on one page{' or beyond --limit' * bool(options.limit)})"
            if left
            else ""
        )
    )
    return report


def render_focus_html(
    notebook: Notebook, options: FocusOptions, chosen: Sequence[Weakness], history: History, now: int
) -> str:
    """Render the focus page: the chosen notes as on the cheat sheet, each with its numbers."""
    from cheatdeck.sheet.document import add_sheet_filters

    templates = options.templates if (options.templates / TEMPLATE).is_file() else SHIPPED_TEMPLATES
    environment = make_environment(templates)
    add_sheet_filters(environment)
    kinds = notebook.kinds
    return environment.get_template(TEMPLATE).render(
        deck=notebook.deck,
        kinds=kinds,
        weaknesses=chosen,
        badges={kind.name: kind.badge for kind in kinds},
        numbers={w.note.id: w.numbers(now, options.since or DEFAULT_SINCE) for w in chosen},
        paper=options.sheet.paper,
        orientation=options.sheet.orientation,
        columns=options.sheet.columns,
        day=format_day(now),
        read=history.read.name,
        held=history.held,
        weights=WEIGHTS_TEXT,
        frame_pages=Markup(""),
    )


def _write_page(
    notebook: Notebook, options: FocusOptions, ranked: list[Weakness], history: History, now: int
) -> list[Weakness]:
    """Lay out the ranked notes, keep those that fit the first page, and write that page (all or
    nothing: a temporary file renamed into place). Return the notes printed."""
    load_weasyprint()
    import weasyprint

    from cheatdeck.sheet.breaks import breakable
    from cheatdeck.sheet.document import sheet_renderer
    from cheatdeck.sheet.fetch import local_fetcher

    renderer = sheet_renderer(options.source, options.templates, notebook.deck.source_url)
    fetcher = local_fetcher(renderer.roots)

    def layout(chosen: Sequence[Weakness]) -> Any:
        html = render_focus_html(notebook, options, chosen, history, now)
        return weasyprint.HTML(string=breakable(html), base_url=renderer.base, url_fetcher=fetcher).render()

    chosen = ranked
    while True:
        document = layout(chosen)
        if len(document.pages) <= 1 or len(chosen) == 1:
            break
        on_first = _notes_on_page(document, 0) - _notes_on_page(document, 1)
        fitting = [w for w in chosen if f"note-{w.note.id}" in on_first]
        chosen = fitting if 0 < len(fitting) < len(chosen) else chosen[:-1]
    html = render_focus_html(notebook, options, chosen, history, now)
    rendered = renderer.render(html, now)
    options.out.mkdir(parents=True, exist_ok=True)
    target = options.out / FOCUS_FILE
    temporary = target.with_name(f".{target.name}.cheatdeck-{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(rendered.pdf)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)
    log.debug("focus page: %s", hashlib.sha256(rendered.pdf).hexdigest()[:12])
    return list(chosen)


def _notes_on_page(document: Any, index: int) -> set[str]:
    """The ids of the notes (`note-…` elements) with a box on page `index`."""
    if index >= len(document.pages):
        return set()
    found = set()
    stack = [document.pages[index]._page_box]
    while stack:
        box = stack.pop()
        element = getattr(box, "element", None)
        if element is not None and (element.get("id") or "").startswith("note-"):
            found.add(element.get("id"))
        stack.extend(getattr(box, "children", []))
    return found
