"""Plan and write the Anki deck (`.apkg`) so that re-importing it updates the learner's cards in place.

Identity never drifts: deck ids, note-type ids and note GUIDs are hashes of the deck id, the note-type
name and version, and the note ids, never of text or time. Modification times come from the lock
(`cheatdeck.lock.json`): they move only when what a note or note type would show changes.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cheatdeck.errors import LockError
from cheatdeck.lock import (
    Lock,
    LockedNote,
    LockedNotetype,
    content_hash,
    next_modification_time,
)
from cheatdeck.model import Kind, Note, Notebook
from cheatdeck.render import (
    render_formula,
    render_formula_cloze,
    render_markdown,
    render_references,
    render_text,
)
from cheatdeck.sources import MEDIA_DIR

log = logging.getLogger(__name__)

RETIRED_TAG = "cheatdeck::retired"
SUBDECKS = {
    Kind.SERVICE: "Services",
    Kind.ALGORITHM: "Algorithms",
    Kind.DEPLOYMENT: "Deployment",
    Kind.CONCEPT: "Concepts",
    Kind.METRIC: "Metrics",
    Kind.RESOURCE: "Resources",
}
CONTRAST_SUBDECK = "Contrasts"
REVERSE_KINDS = (Kind.SERVICE, Kind.ALGORITHM, Kind.DEPLOYMENT)
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_ID_BASE = 1_500_000_000_000  # first note/card id in the package; Anki matches notes by GUID, not id


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
_CARD_TRIGGERS = {"term": "Term", "reverse": "Reverse", "learning": "Learning"}


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


@dataclass(frozen=True)
class PlannedNotetype:
    """One note type with its templates, CSS and ids."""

    spec: Notetype
    model_id: int
    name: str
    templates: tuple[tuple[str, str, str], ...]  # (name, front, back)
    css: str
    mod: int = 0

    def digest(self) -> str:
        """Hash everything a learner's Anki stores of this note type."""
        return content_hash(self.name, self.spec.fields, self.templates, self.css)


@dataclass
class DeckChanges:
    """Which notes a build adds, edits and retires, by note id."""

    added: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    notetypes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """Return one line per kind of change, or 'no changes'."""
        parts = [
            f"{label}: {', '.join(sorted(set(ids)))}"
            for label, ids in (
                ("added", self.added),
                ("edited", self.edited),
                ("retired", self.retired),
                ("note types changed", self.notetypes),
            )
            if ids
        ]
        return "\n".join(parts) if parts else "no changes"


@dataclass(frozen=True)
class DeckPlan:
    """Everything `write_deck` needs: notes, note types, decks, media, and the lock to save."""

    title: str
    description: str
    deck_ids: dict[str, int]
    notetypes: dict[str, PlannedNotetype]
    notes: tuple[PlannedNote, ...]
    media: dict[str, Path]
    lock: Lock
    changes: DeckChanges

    def digest(self) -> str:
        """Hash everything the package will contain (ids, modification times, content, media names).

        The lock already holds each note's and note type's content hash and time: reuse them."""
        return content_hash(
            self.title,
            self.description,
            sorted(self.deck_ids.items()),
            sorted((key, t.hash, t.mod) for key, t in self.lock.notetypes.items()),
            sorted((guid, n.hash, n.mod) for guid, n in self.lock.notes.items()),
            sorted(self.media),
        )

    def card_counts(self) -> Counter[str]:
        """Count the cards per card kind (retired notes included)."""
        return Counter(card for note in self.notes for card in note.cards)

    def describe(self) -> str:
        """Return the build summary: notes and cards per kind."""
        counts = self.card_counts()
        kinds = ", ".join(f"{kind} {counts[kind]}" for kind in sorted(counts))
        return f"{len(self.notes)} notes, {sum(counts.values())} cards ({kinds})"


def stable_id(*parts: str) -> int:
    """Return an id in genanki's recommended range [2**30, 2**31) derived from names only."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def stable_guid(*parts: str) -> str:
    """Return a note GUID derived from names only (Anki matches notes across imports by GUID)."""
    return hashlib.sha256("\x1f".join(("cheatdeck", *parts)).encode()).hexdigest()[:20]


def note_guid(deck_id: str, notetype: str, note_id: str) -> str:
    """Return a note's GUID. A note type's version 2 and later is part of it: after a version bump the
    notes arrive as new notes (Anki would refuse to move an existing GUID to another note type)."""
    version = NOTETYPES[notetype].version
    return stable_guid(deck_id, notetype if version == 1 else f"{notetype}-v{version}", note_id)


def plan_deck(notebook: Notebook, templates: Path, lock: Lock) -> DeckPlan:
    """Work out every note, note type and modification time; raise `LockError` on a breaking change."""
    deck = notebook.deck
    notetypes = {key: _plan_notetype(spec, deck.id, templates) for key, spec in NOTETYPES.items()}
    media: dict[str, Path] = {}
    planned: list[PlannedNote] = []
    for note in notebook.notes:
        planned.extend(_plan_notes(notebook, note, media))
    pairs = sorted({tuple(sorted((note.id, other))) for note in notebook.notes for other in note.related})
    if deck.cards.contrast:  # a pair counts once, whichever side (or both) lists it
        planned.extend(_contrast(notebook, notebook.note(a), notebook.note(b)) for a, b in pairs)
    planned.sort(key=lambda n: (n.note_id, n.notetype))
    # Notes still in the sources are never retired, even when every card kind they had is switched off.
    in_sources = {note_guid(deck.id, key, note.id) for note in notebook.notes for key in ("topic", "formula")}
    in_sources |= {note_guid(deck.id, "contrast", f"{a}+{b}") for a, b in pairs}

    changes = DeckChanges()
    new_lock = Lock()
    now = next_modification_time(lock)
    for key, notetype in notetypes.items():
        locked = lock.notetypes.get(str(notetype.model_id))
        if locked and tuple(locked.fields) != notetype.spec.fields:
            raise LockError(
                f"note type {notetype.name!r} (id {notetype.model_id}) would change its fields from "
                f"{locked.fields} to {list(notetype.spec.fields)}: Anki would then refuse every update. "
                f"Bump NOTETYPES[{key!r}].version in cheatdeck/deck.py instead (see README, Note types)."
            )
        digest = notetype.digest()
        mod = locked.mod if locked and locked.hash == digest else now
        if locked and locked.hash != digest:
            changes.notetypes.append(notetype.name)
        notetypes[key] = replace(notetype, mod=mod)
        new_lock.notetypes[str(notetype.model_id)] = LockedNotetype(
            notetype.name, list(notetype.spec.fields), digest, mod
        )

    current = {note.guid for note in planned}
    outdated: list[str] = []
    for guid, locked_note in sorted(lock.notes.items()):
        if guid in current or locked_note.notetype not in notetypes:
            continue
        if guid in in_sources:  # switched off for now: keep its record, so switching back changes nothing
            new_lock.notes[guid] = locked_note
            continue
        model_id = notetypes[locked_note.notetype].model_id
        if locked_note.model_id not in (0, model_id):
            outdated.append(locked_note.note_id)
            continue
        if len(locked_note.fields) != len(notetypes[locked_note.notetype].spec.fields):
            log.warning("lock: note %s has a stale field list; it is no longer shipped", locked_note.note_id)
            continue
        if RETIRED_TAG not in locked_note.tags:
            changes.retired.append(locked_note.note_id)
        planned.append(_retired(guid, locked_note))

    if outdated:
        log.warning(
            "%d notes of an older note-type version are no longer shipped; in Anki, find them with "
            '"note:cheatdeck*" and sort by note type (see README, Note types)',
            len(outdated),
        )
    notes: list[PlannedNote] = []
    for note in planned:
        locked_note = lock.notes.get(note.guid)
        digest = note.digest()
        if locked_note is None:
            changes.added.append(note.note_id)
        elif locked_note.hash != digest and RETIRED_TAG not in note.tags:
            changes.edited.append(note.note_id)
        mod = locked_note.mod if locked_note and locked_note.hash == digest else now
        notes.append(replace(note, mod=mod))
        new_lock.notes[note.guid] = LockedNote(
            note.note_id,
            note.notetype,
            note.deck,
            list(note.fields),
            list(note.tags),
            digest,
            mod,
            notetypes[note.notetype].model_id,
        )

    deck_names = sorted({note.deck for note in notes})
    return DeckPlan(
        title=deck.title,
        description=render_markdown(deck.description),
        deck_ids={name: stable_id(deck.id, "deck", name) for name in deck_names},
        notetypes=notetypes,
        notes=tuple(notes),
        media=media,
        lock=new_lock,
        changes=changes,
    )


def write_deck(plan: DeckPlan, target: Path) -> Path:
    """Write the planned deck to `target` as a reproducible `.apkg` (fixed ids, times and zip stamps)."""
    import genanki

    class _Model(genanki.Model):
        def __init__(self, planned: PlannedNotetype):
            super().__init__(
                planned.model_id,
                planned.name,
                fields=[{"name": name} for name in planned.spec.fields],
                templates=[
                    {"name": name, "qfmt": front, "afmt": back} for name, front, back in planned.templates
                ],
                css=planned.css,
                model_type=genanki.Model.CLOZE if planned.spec.cloze else genanki.Model.FRONT_BACK,
                sort_field_index=1,
            )
            self.mod = planned.mod

        def to_json(self, timestamp: float, deck_id: int) -> dict[str, Any]:
            return super().to_json(self.mod, deck_id)

    class _Note(genanki.Note):
        def __init__(self, model: _Model, planned: PlannedNote):
            super().__init__(
                model=model, fields=list(planned.fields), tags=list(planned.tags), guid=planned.guid
            )
            self.mod = planned.mod

        def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Any) -> None:
            super().write_to_db(cursor, self.mod, deck_id, id_gen)

    models = {key: _Model(notetype) for key, notetype in plan.notetypes.items()}
    decks = {
        name: genanki.Deck(deck_id, name, description=plan.description if name == plan.title else "")
        for name, deck_id in plan.deck_ids.items()
    }
    for note in plan.notes:
        decks[note.deck].add_note(_Note(models[note.notetype], note))

    with tempfile.TemporaryDirectory(prefix="cheatdeck-") as scratch:
        media_paths = []
        for name, path in sorted(plan.media.items()):
            copy = Path(scratch, name)
            shutil.copyfile(path, copy)
            media_paths.append(str(copy))
        package = genanki.Package(list(decks.values()), media_files=media_paths)
        raw = Path(scratch, "raw.apkg")
        package.write_to_file(str(raw), timestamp=_ID_BASE / 1000)
        _normalise_zip(raw, target)
    return target


def _normalise_zip(raw: Path, target: Path) -> None:
    """Copy a zip with fixed member times and attributes, so identical content gives identical bytes."""
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, source.read(member))


def _plan_notetype(spec: Notetype, deck_id: str, templates: Path) -> PlannedNotetype:
    anki = templates / "anki"
    cards = tuple(
        (
            card.capitalize(),
            (anki / f"{card}.front.html").read_text(encoding="utf-8"),
            (anki / f"{card}.back.html").read_text(encoding="utf-8"),
        )
        for card in spec.cards
    )
    return PlannedNotetype(
        spec=spec,
        model_id=stable_id(deck_id, "notetype", spec.key, str(spec.version)),
        name=f"cheatdeck {spec.key} v{spec.version} ({deck_id})",
        templates=cards,
        css=(anki / "card.css").read_text(encoding="utf-8"),
    )


def _plan_notes(notebook: Notebook, note: Note, media: dict[str, Path]) -> list[PlannedNote]:
    deck = notebook.deck
    switches = deck.cards
    subdeck = f"{deck.title}::{SUBDECKS[note.kind]}"
    tags = _tags(note)
    triggers = {
        "Term": "y" if switches.term else "",
        "Reverse": _reverse_clue(note) if switches.reverse else "",
        "Learning": _learning_answer(note) if switches.learning else "",
    }
    fields = {
        "Id": note.id,
        "Title": render_text(note.title),
        "Kind": note.kind.value.capitalize(),
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
        cards=tuple(card for card, trigger in _CARD_TRIGGERS.items() if triggers[trigger]),
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


def _contrast(notebook: Notebook, first: Note, second: Note) -> PlannedNote:
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


def _retired(guid: str, locked: LockedNote) -> PlannedNote:
    tags = tuple(sorted({*locked.tags, RETIRED_TAG}))
    spec = NOTETYPES[locked.notetype]
    if spec.cloze:
        cards: tuple[str, ...] = ("cloze",)
    elif locked.notetype == "contrast":
        cards = spec.cards
    else:  # a topic note has the cards whose trigger field is filled
        fields = dict(zip(spec.fields, locked.fields, strict=True))
        cards = tuple(card for card, trigger in _CARD_TRIGGERS.items() if fields[trigger])
    return PlannedNote(guid, locked.note_id, locked.notetype, locked.deck, tuple(locked.fields), tags, cards)


def _tags(note: Note) -> tuple[str, ...]:
    tags = {f"kind::{note.kind.value}", *note.tags}
    if note.learning is not None:
        tags.add(f"learning::{note.learning.value}")
    return tuple(sorted(tags))


def _details(note: Note) -> str:
    rows = [
        ("Use case", note.use_case),
        ("Domain", note.domain),
        ("Learning", note.learning.value if note.learning else None),
        ("Task", note.task),
        ("Input", note.input),
    ]
    cells = "".join(f"<dt>{label}</dt><dd>{render_text(value)}</dd>" for label, value in rows if value)
    if note.formula:
        cells += f"<dt>Formula</dt><dd>{render_formula(note.formula)}</dd>"
    return f'<dl class="details">{cells}</dl>' if cells else ""


def _reverse_clue(note: Note) -> str:
    """Return the front of the 'which service/algorithm does this?' card, with the note's name hidden."""
    if note.kind not in REVERSE_KINDS:
        return ""
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
    if note.kind != Kind.ALGORITHM or note.learning is None:
        return ""
    answer = f"<b>{render_text(note.learning.value)}</b>"
    if note.task:
        answer += f" — {render_text(note.task)}"
    return answer


def _image(notebook: Notebook, note: Note, media: dict[str, Path]) -> str:
    if not note.image:
        return ""
    name = _media(notebook.source_dir / MEDIA_DIR / note.image, media)
    return f'<img src="{name}" alt="{render_text(note.title)}">'


def _media(path: Path, media: dict[str, Path]) -> str:
    """Register a file for the package's media under a flat, content-hashed name; return that name."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    name = f"cheatdeck-{digest}{path.suffix.lower()}"
    media[name] = path
    return name
