"""What each card shows: the note types, their fields, and the Anki notes planned from each source note.

Identity lives here too, because a GUID names a note of one note type: GUIDs are hashes of the deck id, the
note-type name (and version, from 2 on) and the note id, never of text or time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from cheatdeck.kinds import FORMULA_FIELD, labelled_values
from cheatdeck.lock import content_hash
from cheatdeck.model import Note, Notebook
from cheatdeck.render import (
    render_formula,
    render_formula_cloze,
    render_markdown,
    render_references,
    render_text,
)
from cheatdeck.sources import MEDIA_DIR

CONTRAST_SUBDECK = "Contrasts"

_SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")  # a media name is built only from safe characters


@dataclass(frozen=True)
class Notetype:
    """A note type whose field list is fixed for a given version (see README, *Note types*)."""

    key: str
    version: int
    fields: tuple[str, ...]
    cards: tuple[str, ...]  # template names; each has <name>.front.html and <name>.back.html
    cloze: bool = False


# Changing a field list breaks updates in learners' collections: bump `version` instead (a new note type).
NOTETYPES = {
    "topic": Notetype(
        "topic",
        1,
        (
            "Id",
            "Title",
            "Kind",
            "Summary",
            "Body",
            "Details",
            "References",
            "Image",
            "Term",
            "Reverse",
            "Learning",
        ),
        ("term", "reverse", "learning"),
    ),
    "formula": Notetype("formula", 1, ("Id", "Title", "Text", "Extra"), ("formula",), cloze=True),
    "contrast": Notetype("contrast", 1, ("Id", "Question", "Left", "Right"), ("contrast",)),
}

CARD_TRIGGERS = {"term": "Term", "reverse": "Reverse", "learning": "Learning"}


@dataclass(frozen=True)
class PlannedNote:
    """One Anki note as it will be written."""

    guid: str
    note_id: str
    notetype: str
    deck: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    cards: tuple[str, ...]
    mod: int = 0

    def digest(self) -> str:
        """Hash what the learner sees of this note."""
        return content_hash(self.notetype, self.deck, self.fields, self.tags)


def stable_guid(*parts: str) -> str:
    """Return a note GUID derived from names only (Anki matches notes across imports by GUID)."""
    return hashlib.sha256("\x1f".join(("cheatdeck", *parts)).encode()).hexdigest()[:20]


def note_guid(deck_id: str, notetype: str, note_id: str) -> str:
    """Return a note's GUID. A note type's version 2 and later is part of it: after a version bump the
    notes arrive as new notes (Anki would refuse to move an existing GUID to another note type)."""
    version = NOTETYPES[notetype].version
    return stable_guid(deck_id, notetype if version == 1 else f"{notetype}-v{version}", note_id)


def plan_notes(notebook: Notebook, note: Note, media: dict[str, Path]) -> list[PlannedNote]:
    deck = notebook.deck
    switches = deck.cards
    kind = notebook.kinds[note.kind]
    subdeck = f"{deck.title}::{kind.subdeck}"
    tags = _tags(note)
    cards = kind.cards
    triggers = {
        "Term": "y" if switches.term and "term" in cards else "",
        "Reverse": _reverse_clue(note) if switches.reverse and "reverse" in cards else "",
        "Learning": _learning_answer(note) if switches.learning and "learning" in cards else "",
    }
    fields = {
        "Id": note.id,
        "Title": render_text(note.title),
        "Kind": kind.label,
        "Summary": render_text(note.summary),
        "Body": render_markdown(
            note.body, mathjax=True, images=lambda src: _media(notebook.source_dir / src, media)
        ),
        "Details": _details(note),
        "References": render_references(note),
        "Image": _image(notebook, note, media),
        **triggers,
    }
    topic = PlannedNote(
        guid=note_guid(deck.id, "topic", note.id),
        note_id=note.id,
        notetype="topic",
        deck=subdeck,
        fields=tuple(fields[name] for name in NOTETYPES["topic"].fields),
        tags=tags,
        cards=tuple(card for card, trigger in CARD_TRIGGERS.items() if triggers[trigger]),
    )
    planned = [topic] if topic.cards else []
    if note.formula and switches.cloze:
        planned.append(
            PlannedNote(
                guid=note_guid(deck.id, "formula", note.id),
                note_id=note.id,
                notetype="formula",
                deck=subdeck,
                fields=(
                    note.id,
                    render_text(note.title),
                    render_formula_cloze(note.formula),
                    render_text(note.summary),
                ),
                tags=tags,
                cards=("cloze",),
            )
        )
    return planned


def contrast_pairs(notebook: Notebook) -> list[tuple[str, str]]:
    """Return each related pair once, whichever side (or both) lists it, in a stable order."""
    pairs = {tuple(sorted((note.id, other))) for note in notebook.notes for other in note.related}
    return sorted((a, b) for a, b in pairs)


def contrast_note(notebook: Notebook, first: Note, second: Note) -> PlannedNote:
    deck = notebook.deck
    pair = f"{first.id}+{second.id}"
    return PlannedNote(
        guid=note_guid(deck.id, "contrast", pair),
        note_id=pair,
        notetype="contrast",
        deck=f"{deck.title}::{CONTRAST_SUBDECK}",
        fields=(
            pair,
            f"{render_text(first.title)} <span class=vs>vs</span> {render_text(second.title)}",
            _contrast_side(first),
            _contrast_side(second),
        ),
        tags=tuple(sorted({"cheatdeck::contrast", *_tags(first), *_tags(second)})),
        cards=("contrast",),
    )


def _contrast_side(note: Note) -> str:
    return f"<h2>{render_text(note.title)}</h2><p>{render_text(note.summary)}</p>{_details(note)}"


def _tags(note: Note) -> tuple[str, ...]:
    tags = {f"kind::{note.kind}", *note.tags}
    if note.learning is not None:
        tags.add(f"learning::{note.learning.value}")
    return tuple(sorted(tags))


def _details(note: Note) -> str:
    rows = labelled_values(note)
    cells = "".join(f"<dt>{label}</dt><dd>{render_text(value)}</dd>" for label, value in rows)
    if note.formula:
        cells += f"<dt>{FORMULA_FIELD.label}</dt><dd>{render_formula(note.formula)}</dd>"
    return f'<dl class="details">{cells}</dl>' if cells else ""


def _reverse_clue(note: Note) -> str:
    """Return the front of the 'which service/algorithm does this?' card, with the note's name hidden."""
    clue = note.use_case or note.summary
    for name in _names(note.title):
        clue = _blank_word(clue, name)
    return render_text(clue)


def _blank_word(text: str, word: str) -> str:
    """Replace every whole-word, case-insensitive occurrence of `word` with an ellipsis (no regex:
    a pattern per title would be compiled thousands of times in a large deck)."""
    lower, target, parts, start = text.lower(), word.lower(), [], 0
    if len(lower) != len(text):  # lowercasing changed lengths (e.g. 'İ'): positions would not match
        return re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", "\u2026", text, flags=re.IGNORECASE)
    position = lower.find(target)
    while position != -1 and target:
        end = position + len(target)
        before = text[position - 1] if position else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            parts.append(text[start:position] + "\u2026")
            start = end
        position = lower.find(target, end if start == end else position + 1)
    return "".join(parts) + text[start:]


def _names(title: str) -> list[str]:
    """Return the ways a title may be written: 'Amazon Polly' → Amazon Polly, Polly; 'LDA (x)' → both."""
    names = {title}
    for part in re.split(r"\s*[()/]\s*", title):
        if part.strip():
            names.add(part.strip())
    for prefix in ("Amazon SageMaker ", "Amazon ", "SageMaker "):
        names |= {name.removeprefix(prefix) for name in list(names) if name.startswith(prefix)}
    return sorted(names, key=len, reverse=True)


def _learning_answer(note: Note) -> str:
    if note.learning is None:
        return ""
    answer = f"<b>{render_text(note.learning.value)}</b>"
    if note.task:
        answer += f" — {render_text(note.task)}"
    return answer


def _image(notebook: Notebook, note: Note, media: dict[str, Path]) -> str:
    if not note.image:
        return ""
    name = _media(notebook.source_dir / MEDIA_DIR / note.image, media)
    return f'<img src="{escape(name, quote=True)}" alt="{render_text(note.title)}">'


def _media(path: Path, media: dict[str, Path]) -> str:
    """Register a file for the package's media under a flat, content-hashed name; return that name."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    suffix = path.suffix.lower()
    name = f"cheatdeck-{digest}{suffix if _SAFE_SUFFIX.fullmatch(suffix) else ''}"
    media[name] = path
    return name
