"""Reconcile the planned notes with the lock: what is added, edited and retired, and each modification time.

Modification times come from the lock (`cheatdeck.lock.json`): they move only when what a note or note type
would show changes, so Anki's import (which updates only when the incoming time is newer) takes every edit.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from cheatdeck.cards import (
    CARD_TRIGGERS,
    NOTETYPES,
    Notetype,
    PlannedNote,
    contrast_note,
    contrast_pairs,
    note_guid,
    plan_notes,
)
from cheatdeck.errors import LockError
from cheatdeck.lock import (
    Lock,
    LockedNote,
    LockedNotetype,
    content_hash,
    next_modification_time,
)
from cheatdeck.model import Notebook
from cheatdeck.render import render_markdown

log = logging.getLogger(__name__)

RETIRED_TAG = "cheatdeck::retired"


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


def plan_deck(notebook: Notebook, templates: Path, lock: Lock) -> DeckPlan:
    """Work out every note, note type and modification time; raise `LockError` on a breaking change."""
    deck = notebook.deck
    notetypes = {key: _plan_notetype(spec, deck.id, templates) for key, spec in NOTETYPES.items()}
    media: dict[str, Path] = {}
    planned: list[PlannedNote] = []
    for note in notebook.notes:
        planned.extend(plan_notes(notebook, note, media))
    pairs = contrast_pairs(notebook)
    if deck.cards.contrast:  # a pair counts once, whichever side (or both) lists it
        planned.extend(contrast_note(notebook, notebook.note(a), notebook.note(b)) for a, b in pairs)
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
                f"Bump NOTETYPES[{key!r}].version in cheatdeck/cards.py instead (see README, Note types)."
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


def _retired(guid: str, locked: LockedNote) -> PlannedNote:
    tags = tuple(sorted({*locked.tags, RETIRED_TAG}))
    spec = NOTETYPES[locked.notetype]
    if spec.cloze:
        cards: tuple[str, ...] = ("cloze",)
    elif locked.notetype == "contrast":
        cards = spec.cards
    else:  # a topic note has the cards whose trigger field is filled
        fields = dict(zip(spec.fields, locked.fields, strict=True))
        cards = tuple(card for card, trigger in CARD_TRIGGERS.items() if fields[trigger])
    return PlannedNote(guid, locked.note_id, locked.notetype, locked.deck, tuple(locked.fields), tags, cards)
