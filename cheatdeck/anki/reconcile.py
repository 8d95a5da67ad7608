"""Reconcile the planned notes with the lock: what is added, edited and retired, and each modification time.

Modification times come from the lock (`cheatdeck.lock.json`): they move only when what a note or note type
would show changes, so Anki's import (which updates only when the incoming time is newer) takes every edit.

Retirement (README, *Removed notes and cards*). An `.apkg` import never deletes anything and never changes a
learner's existing cards (Anki's importer adds missing cards and leaves existing ones alone), so removal is
a life cycle the lock records:
- A note the build no longer makes (removed from the sources, every card kind it had switched off, a metric
  whose formula was removed) is `retired`: still shipped, tagged `cheatdeck::retired`, each card
  saying it was removed, its new cards suspended in the package. Its fields are the lock's, escaped.
- The learner deletes it in Anki (one search) and runs `build --forget-retired` (or `sync` deletes it):
  it becomes `deleted` and is never shipped again. Should its id come back to the sources, it is a new note.
- A card the build stops making in a note it still ships (a card kind switched off, a kind changed) keeps
  a non-empty front: the fields that made it are kept, holding a notice that the card was removed, and the
  note is tagged `cheatdeck::removed-card::<card>`. Never a blank-front card.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from cheatdeck.anki.badges import kind_css, with_kind_colours
from cheatdeck.anki.lock import (
    ACTIVE,
    DELETED,
    MAX_TIME,
    RETIRED,
    RETIRED_TAG,
    Lock,
    LockedNote,
    LockedNotetype,
    next_modification_time,
)
from cheatdeck.anki.retired_markup import LAYOUT_FIELDS, rebuilt_layout
from cheatdeck.cards.plan import (
    NOTETYPES,
    Notetype,
    PlannedNote,
    note_guid,
    plan_source_notes,
)
from cheatdeck.clock import now
from cheatdeck.errors import Advice, LockError
from cheatdeck.hashing import content_hash
from cheatdeck.identity import deck_id_of, notetype_id, notetype_name
from cheatdeck.notes.kinds import Kinds
from cheatdeck.notes.model import Notebook
from cheatdeck.notes.render import render_markdown

_FOREIGN_SHOWN = 5  # foreign lock entries named in the error; the rest are counted

REMOVED_CARD_TAG = "cheatdeck::removed-card"  # + "::<card>": a card of a live note no longer made
REMOVED_CLASS = "cheatdeck-removed"
_NOTE_NOTICE = (
    f'<div class="{REMOVED_CLASS}">Removed from your notes: delete this note '
    f"(in the browser, search <code>tag:{RETIRED_TAG}</code>).</div>"
)
# Shown on a card front whose trigger field is not displayed (term, learning): only the notice is visible.
_STATUS_CSS = f"""
.cheatdeck-status {{ font-size: 0; line-height: 0; }}
.cheatdeck-status > :not(.{REMOVED_CLASS}) {{ display: none; }}
.{REMOVED_CLASS} {{ font-size: 1rem; line-height: 1.4; margin: 0 0 .8em; padding: .5em .7em;
  border: 2px solid #b3261e; border-radius: .4em; color: #b3261e; background: #fff4f3; }}
.nightMode .{REMOVED_CLASS}, .night_mode .{REMOVED_CLASS} {{ color: #ffb4ab; background: #3b1411;
  border-color: #ffb4ab; }}
"""
_FIELD_REF = re.compile(r"\{\{\s*([#^/]?)\s*([^{}]+?)\s*\}\}")


COLLAPSED_FIELDS = frozenset({"Source id", "Term card on", "Reverse card clue"})
"""Fields the build fills for its own bookkeeping (which note, whether a card is made, the reverse card's
clue): Anki's editor shows them collapsed ("Collapse by default"), a click away, under the fields a
learner reads. Renaming or moving them would change the field list: a new note-type version."""


@dataclass(frozen=True)
class PlannedNotetype:
    """One note type with its templates, CSS and ids."""

    spec: Notetype
    model_id: int
    name: str
    templates: tuple[tuple[str, str, str], ...]  # (name, front, back)
    css: str
    mod: int = 0

    @property
    def collapsed(self) -> tuple[str, ...]:
        """Return the fields Anki's editor shows collapsed: the mechanical ones (see COLLAPSED_FIELDS)."""
        return tuple(name for name in self.spec.fields if name in COLLAPSED_FIELDS)

    def digest(self) -> str:
        """Hash everything a learner's Anki stores of this note type."""
        return content_hash(self.name, self.spec.fields, self.templates, self.css, self.collapsed)


@dataclass
class DeckChanges:
    """Which notes a build adds, edits and retires, by note id."""

    added: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    removed_cards: list[str] = field(default_factory=list)  # "note (card)"
    forgotten: list[str] = field(default_factory=list)
    notetypes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """Return one line per kind of change, or 'no changes'."""
        parts = [
            f"{label}: {', '.join(sorted(set(ids)))}"
            for label, ids in (
                ("added", self.added),
                ("edited", self.edited),
                ("retired", self.retired),
                ("cards no longer made", self.removed_cards),
                ("forgotten (never shipped again)", self.forgotten),
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
    suspended: dict[str, tuple[int, ...]] = field(default_factory=dict)  # GUID → template ordinals
    advice: tuple[Advice, ...] = ()  # what the learner should know or do, for the command to say

    def digest(self) -> str:
        """Hash everything the package will contain (ids, modification times, content, media names, and
        the notes' order, which orders their new cards).

        The lock already holds each note's and note type's content hash and time: reuse them."""
        return content_hash(
            self.title,
            self.description,
            sorted(self.deck_ids.items()),
            sorted((key, t.hash, t.mod) for key, t in self.lock.notetypes.items()),
            sorted((guid, n.hash, n.mod, n.added) for guid, n in self.lock.notes.items()),
            sorted(self.suspended.items()),
            sorted(self.media),
            [note.guid for note in sorted(self.notes, key=lambda note: note.position)],
        )

    def card_counts(self) -> Counter[str]:
        """Count the cards the package holds, per card kind: not those the notes no longer make (a
        retired note's, a card kind switched off), which only a collection that has them keeps."""
        return Counter(card for note in self.notes for card in self._made(note))

    def _made(self, note: PlannedNote) -> list[str]:
        gone = self.suspended.get(note.guid, ())
        return [card for card in note.cards if _template(self.notetypes[note.notetype], card)[0] not in gone]

    def describe(self) -> str:
        """Return the build summary: notes and cards per kind, then what is shipped only as a notice."""
        counts = self.card_counts()
        kinds = ", ".join(f"{kind} {counts[kind]}" for kind in sorted(counts))
        retired = sum(RETIRED_TAG in note.tags for note in self.notes)
        gone = sum(len(note.cards) for note in self.notes) - sum(counts.values())
        of_retired = sum(len(note.cards) for note in self.notes if RETIRED_TAG in note.tags)
        summary = f"{len(self.notes) - retired} notes, {sum(counts.values())} cards ({kinds})"
        if gone:
            whose = f" ({of_retired} of retired notes)" if of_retired else ""
            summary += (
                f"; {_count(gone, 'card')} no longer made{whose} reach only the collections that have them"
            )
        return summary


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"


SourceNotes = tuple[tuple[PlannedNote, ...], dict[str, Path]]
"""The notes the sources make, before any lock is read (see `plan_notes`), and the media they use."""


def plan_notes(notebook: Notebook, templates: Path) -> SourceNotes:
    """Plan every note's fields and cards from the notebook and the templates alone: the costly part of
    `plan_deck` (most of it at 1,000 notes), and the part that reads no lock, so a second build of the same
    notebook and templates can hand it to `plan_deck` again."""
    media: dict[str, Path] = {}
    planned = plan_source_notes(notebook, media, templates)
    return tuple(planned), media


def note_types_now() -> dict[str, Notetype]:
    """A copy of the note types the notes are planned with: code, but a version bump changes them."""
    return dict(NOTETYPES)


def plan_deck(
    notebook: Notebook,
    templates: Path,
    lock: Lock,
    *,
    forget_retired: bool = False,
    deleted_in_anki: frozenset[str] | None = None,
    source_notes: SourceNotes | None = None,
) -> DeckPlan:
    """Work out every note, note type and modification time; raise `LockError` on a breaking change.

    `deleted_in_anki`, when the build could read the learner's collection, holds the GUIDs of the retired
    notes no longer there: those are forgotten (never shipped again) as `forget_retired` forgets them all.
    `source_notes`, if given, is what `plan_notes` returned for this notebook and these templates: it is
    reconciled against `lock` as a fresh plan would be (nothing of it depends on the lock)."""
    deck = notebook.deck
    _check_lock_belongs(lock, deck.id)
    notetypes = {
        key: _plan_notetype(spec, deck.id, templates, notebook.kinds) for key, spec in NOTETYPES.items()
    }
    found, found_media = plan_notes(notebook, templates) if source_notes is None else source_notes
    media = dict(found_media)
    planned = sorted(found, key=lambda n: (n.note_id, n.notetype))
    run = _Reconciliation(lock, Lock(deck=deck.id, title=deck.title), next_modification_time(lock))
    run.advice += _title_changed(lock.title, deck.title)
    run.notetypes = _reconcile_notetypes(run, notetypes)
    run.kept, run.kept_shapes = _RECONCILED.of(run.notetypes), _RECONCILED.shapes
    live = _reconcile_live(run, planned)
    forget = (lambda guid: True) if forget_retired else (deleted_in_anki or frozenset()).__contains__
    retired = _reconcile_missing(run, {note.guid for note, _ in live}, deck.title, forget)
    reminder = retired_reminder(len(retired), sees_collection=deleted_in_anki is not None)
    if reminder:
        run.advice.append(reminder)
    notes = [_lock_note(run, note, gone) for note, gone in [*live, *((note, ()) for note in retired)]]
    if run.new_lock.latest() > MAX_TIME:
        raise LockError(
            f"the lock holds modification times up to {lock.latest()}, in 2038: a changed note needs a newer "
            f"one, and {MAX_TIME} (2038-01-19) is the last time Anki's note ids hold. The lock was edited "
            "by hand or written by a machine whose clock was wrong: restore it from version control"
        )

    changes = run.changes
    if changes.edited:
        run.advice.append(
            Advice(
                "the next import replaces the text and tags of the edited notes in Anki, overwriting any "
                f"change made to them there: {', '.join(sorted(set(changes.edited)))}",
                warning=False,
                imports_only=True,  # sync compares each field with the collection instead
            )
        )
    _RECONCILED.keep(run)
    subdecks = sorted({note.deck for note in notes} - {deck.title})
    deck_ids = {deck.title: deck_id_of(deck.id)}
    deck_ids |= {name: deck_id_of(deck.id, name.removeprefix(f"{deck.title}::")) for name in subdecks}
    return DeckPlan(
        title=deck.title,
        description=render_markdown(deck.description),
        deck_ids=deck_ids,
        notetypes=run.notetypes,
        notes=tuple(notes),
        media=media,
        lock=run.new_lock,
        changes=changes,
        suspended=run.suspended,
        advice=tuple(run.advice),
    )


@dataclass
class _Reconciliation:
    """What `plan_deck`'s steps share: the old lock, the lock being written, the clock and the findings."""

    lock: Lock
    new_lock: Lock
    now: int
    notetypes: dict[str, PlannedNotetype] = field(default_factory=dict)
    changes: DeckChanges = field(default_factory=DeckChanges)
    suspended: dict[str, tuple[int, ...]] = field(default_factory=dict)
    advice: list[Advice] = field(default_factory=list)
    kept: dict[str, _Reconciled] = field(default_factory=dict)  # the last plan's notes
    made: dict[str, _Reconciled] = field(default_factory=dict)  # this plan's
    kept_shapes: dict[tuple[str, str], tuple[tuple[Any, ...], PlannedNote]] = field(default_factory=dict)
    made_shapes: dict[tuple[str, str], tuple[tuple[Any, ...], PlannedNote]] = field(default_factory=dict)


def _shaped(
    run: _Reconciliation,
    key: tuple[str, str],
    made_of: tuple[Any, ...],
    make: Callable[..., PlannedNote],
) -> PlannedNote:
    """Return `make(*made_of)`: the note the last plan made of the same (or equal) values if it made one,
    so that a note shipped as retired, or with cards it no longer makes, is the very note it was (and
    `_lock_note` finds it as it was at once)."""
    kept = run.kept_shapes.get(key)
    if kept is not None and all(a is b or a == b for a, b in zip(kept[0], made_of, strict=True)):
        note = kept[1]
    else:
        note = make(*made_of)
    run.made_shapes[key] = (made_of, note)
    return note


@dataclass(frozen=True)
class _Reconciled:
    """A note as a deck plan reconciled it: the entry it wrote for it into the new lock, and the note
    with its time. A plan of the lock that one wrote, reading the very same note (planned, frozen), the
    very same entry (frozen) and the same cards no longer made, under the same note type, reconciles it
    the same way: the entry says it is known, with this content and this time (and its first time), so
    nothing of it is worked out again and no clock is read."""

    planned: PlannedNote
    gone: tuple[str, ...]
    entry: LockedNote
    shipped: PlannedNote


class _ReconciledNotes:
    """The notes of the last deck plan as it reconciled them, with the note types it reconciled them
    under: a `watch` save plans the deck twice, each time against the lock the last build wrote, where
    every note but the edited ones is as it was (issue 26). Emptied by `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.notes: dict[str, _Reconciled] = {}
        self.notetypes: dict[str, PlannedNotetype] = {}
        self.shapes: dict[tuple[str, str], tuple[tuple[Any, ...], PlannedNote]] = {}

    def of(self, notetypes: dict[str, PlannedNotetype]) -> dict[str, _Reconciled]:
        """The notes kept whose note type is the same now."""
        same = {key for key, notetype in notetypes.items() if self.notetypes.get(key) == notetype}
        if len(same) == len(notetypes):
            return self.notes
        return {guid: note for guid, note in self.notes.items() if note.planned.notetype in same}

    def keep(self, run: _Reconciliation) -> None:
        """Keep the notes of the plan just made (only), and the notes it shaped."""
        self.notes, self.notetypes, self.shapes = run.made, dict(run.notetypes), run.made_shapes

    def cache_info(self) -> SimpleNamespace:
        """How many notes are kept."""
        return SimpleNamespace(currsize=len(self.notes), maxsize=1 << 20)

    def cache_clear(self) -> None:
        """Forget every note."""
        self.notes, self.notetypes, self.shapes = {}, {}, {}


_RECONCILED = _ReconciledNotes()


def _title_changed(old: str, new: str) -> list[Advice]:
    """Warn that Anki, which matches decks by name, needs the deck renamed by hand."""
    if not old or old == new:
        return []
    return [
        Advice(
            f"the deck's title changed from {old!r} to {new!r}. Anki matches decks by name: before "
            f"importing the next package, rename the deck {old!r} to {new!r} in Anki (the subdecks "
            "follow), or new cards land in a second deck tree (see README, Importing)"
        )
    ]


def _reconcile_notetypes(
    run: _Reconciliation, notetypes: dict[str, PlannedNotetype]
) -> dict[str, PlannedNotetype]:
    """Return the note types with their modification times, recorded in the new lock."""
    result: dict[str, PlannedNotetype] = {}
    for key, notetype in notetypes.items():
        locked = run.lock.notetypes.get(str(notetype.model_id))
        if locked and tuple(locked.fields) != notetype.spec.fields:
            raise LockError(
                f"note type {notetype.name!r} (id {notetype.model_id}) would change its fields from "
                f"{locked.fields} to {list(notetype.spec.fields)}: Anki would then refuse every update. Bump "
                f"NOTETYPES[{key!r}].version in cheatdeck/cards/plan.py instead (see README, Note types)."
            )
        digest = notetype.digest()
        mod = locked.mod if locked and locked.hash == digest else run.now
        if locked and locked.hash != digest:
            run.changes.notetypes.append(notetype.name)
        result[key] = replace(notetype, mod=mod)
        run.new_lock.notetypes[str(notetype.model_id)] = LockedNotetype(
            notetype.name, list(notetype.spec.fields), digest, mod
        )
    return result


def _reconcile_live(
    run: _Reconciliation, planned: list[PlannedNote]
) -> list[tuple[PlannedNote, tuple[str, ...]]]:
    """Return each planned note with the cards it no longer makes (their fields keep a notice)."""
    live: list[tuple[PlannedNote, tuple[str, ...]]] = []
    for note in planned:
        locked_note = run.lock.notes.get(note.guid)
        notetype = run.notetypes[note.notetype]
        gone: tuple[str, ...] = ()
        earlier = _predecessor(run, note) if locked_note is None else None
        if locked_note is not None and locked_note.state != DELETED:
            shipped = locked_note.cards or _cards_of(notetype, locked_note.fields)
            gone = tuple(c for c in (*shipped, *locked_note.retired_cards) if c not in note.cards)
            gone = tuple(dict.fromkeys(gone))
        elif earlier is not None:  # a new note-type version: the cards its older version shipped
            gone = tuple(
                dict.fromkeys(c for c in (*earlier.cards, *earlier.retired_cards) if c not in note.cards)
            )
        if not gone:
            live.append((note, gone))
            continue
        known = locked_note or earlier
        before = set(known.retired_cards) if known else set()
        run.changes.removed_cards += [f"{note.note_id} ({card})" for card in gone if card not in before]
        run.suspended[note.guid] = _ordinals(notetype, gone)
        shaped = _shaped(run, ("removed", note.guid), (note, gone, notetype), _with_removed_cards)
        live.append((shaped, gone))
    return live


def _reconcile_missing(
    run: _Reconciliation, current: set[str], title: str, forget: Callable[[str], bool]
) -> list[PlannedNote]:
    """Return the retired notes: locked, no longer made, not yet deleted; mark the forgotten ones deleted."""
    outdated: list[LockedNote] = []
    retired: list[PlannedNote] = []
    for guid, locked_note in sorted(run.lock.notes.items()):
        if guid in current:
            continue
        notetype = run.notetypes[locked_note.notetype]
        if locked_note.model_id not in (0, notetype.model_id):  # an older note-type version
            if locked_note.state != DELETED and not forget(guid):
                outdated.append(locked_note)  # kept in the lock until sync moves it, or it is forgotten
                run.new_lock.notes[guid] = locked_note
            continue
        if locked_note.state == DELETED or (locked_note.state == RETIRED and forget(guid)):
            if locked_note.state == RETIRED:
                run.changes.forgotten.append(locked_note.note_id)
            deleted = replace(locked_note, state=DELETED, fields=[], tags=[], cards=[])
            run.new_lock.notes[guid] = locked_note if deleted == locked_note else deleted
            continue
        if len(locked_note.fields) != len(notetype.spec.fields):
            run.advice.append(
                Advice(f"lock: note {locked_note.note_id} has a stale field list; it is no longer shipped")
            )
            continue
        if locked_note.state != RETIRED:
            run.changes.retired.append(locked_note.note_id)
        note = _shaped(run, ("retired", guid), (guid, locked_note, notetype, title), _retired)
        run.suspended[guid] = _ordinals(notetype, note.cards)
        retired.append(note)
    advice = older_version_advice(outdated, run.lock.deck)
    if advice:
        run.advice.append(advice)
    return retired


def older_versions(lock: Lock) -> dict[str, LockedNote]:
    """Return the lock's notes (by GUID) shipped under an older version of their note type, not yet
    moved or forgotten."""
    current = {notetype_id(lock.deck, key, spec.version) for key, spec in NOTETYPES.items()}
    return {
        guid: note
        for guid, note in lock.notes.items()
        if note.state != DELETED and note.model_id not in (0, *current) and note.notetype in NOTETYPES
    }


def older_version_advice(outdated: list[LockedNote], deck_id: str) -> Advice | None:
    """Return what an import does to notes shipped under an older note-type version, and that `sync` is
    the way to move them (None: there are none)."""
    if not outdated:
        return None
    versions = {
        notetype_id(deck_id, key, version): f"{key} v{version}"
        for key, spec in NOTETYPES.items()
        for version in range(1, spec.version)
    }
    names = sorted({versions.get(note.model_id, f"{note.notetype}, an older version") for note in outdated})
    return Advice(
        f"{len(outdated)} notes were shipped under an older note-type version ({', '.join(names)}): "
        "an import adds each again as a new note of the current version, beside the old one and "
        "without its review history (the deck doubles). To keep every review, run sync instead: it "
        "moves them to the current version with their cards and history (and, after an import, folds "
        "the new copies into the old ones). Or delete the old notes in Anki and build once with "
        "--forget-retired (see docs/anki.md, Note types)",
        imports_only=True,  # sync moves them itself
    )


def retired_in_lock(lock: Lock) -> int:
    """Return how many retired notes a build from this lock ships (those of the current note types)."""
    current = {0} | {notetype_id(lock.deck, key, spec.version) for key, spec in NOTETYPES.items()}
    return sum(note.state == RETIRED and note.model_id in current for note in lock.notes.values())


def retired_reminder(count: int, *, sees_collection: bool) -> Advice | None:
    """Return the reminder a build gives each time it still ships retired notes: how many, and the one
    step that finishes their removal (None: it ships none)."""
    if not count:
        return None
    notes = "1 retired note is" if count == 1 else f"{count} retired notes are"
    if sees_collection:
        step = (
            "delete them in Anki (search tag:cheatdeck::retired, Notes, Delete); the next build sees that "
            "in your collection and stops shipping them. Or run sync, which does both"
        )
    else:
        step = (
            "run sync (it deletes them from your collection and records that), or delete them in Anki "
            "(search tag:cheatdeck::retired) and build once with --forget-retired; set CHEATDECK_PROFILE "
            "to your Anki profile and every build sees the deletion itself"
        )
    return Advice(
        f"{notes} still shipped, marked removed (a collection that never had them gets none of their "
        f"cards): to finish, {step}",
        warning=False,
        imports_only=True,  # sync deletes them itself
    )


def _predecessor(run: _Reconciliation, note: PlannedNote) -> LockedNote | None:
    """Return the lock's entry for this note under an older version of its note type, if it has one
    (the lock keeps those until sync moves them): the same note to the learner."""
    for version in range(NOTETYPES[note.notetype].version - 1, 0, -1):
        found = run.lock.notes.get(note_guid(run.new_lock.deck, note.notetype, note.note_id, version))
        if found is not None and found.state != DELETED:
            return found
    return None


def _lock_note(run: _Reconciliation, note: PlannedNote, gone: tuple[str, ...]) -> PlannedNote:
    """Return the note with its modification time, recorded in the new lock with its state and cards."""
    locked_note = run.lock.notes.get(note.guid)
    kept = run.kept.get(note.guid)
    if kept is not None and kept.planned is note and kept.entry is locked_note and kept.gone == gone:
        run.new_lock.notes[note.guid] = kept.entry
        run.made[note.guid] = kept
        return kept.shipped
    known = locked_note is not None and locked_note.state != DELETED
    state = RETIRED if RETIRED_TAG in note.tags else ACTIVE
    digest = note.digest()
    if not known:
        run.changes.added.append(note.note_id)
    elif locked_note and locked_note.hash != digest and state == ACTIVE:
        run.changes.edited.append(note.note_id)
    mod = locked_note.mod if known and locked_note and locked_note.hash == digest else run.now
    # first shipped now (never later than the clock: Anki refuses to export ids from the future), or when
    # its older note-type version was (the same note to the learner)
    earlier = _predecessor(run, note) if locked_note is None else None
    first = (earlier.added or earlier.mod) if earlier else min(mod, now())
    added = (locked_note.added or locked_note.mod) if known and locked_note else first
    notetype = run.notetypes[note.notetype]
    _check_not_blank(note, notetype)
    entry = LockedNote(
        note.note_id,
        note.notetype,
        note.deck,
        list(note.fields),
        list(note.tags),
        digest,
        mod,
        notetype.model_id,
        added=added,
        state=state,
        cards=[card for card in note.cards if card not in gone],
        retired_cards=list(gone),
    )
    if entry == locked_note:  # as the lock has it: the lock's own entry goes on
        entry = locked_note
    shipped = replace(note, mod=mod)
    if entry.added:  # reconciled again against this entry, the note gives it back (`_Reconciled`)
        run.made[note.guid] = _Reconciled(note, gone, entry, shipped)
    run.new_lock.notes[note.guid] = entry
    return shipped


def _check_lock_belongs(lock: Lock, deck_id: str) -> None:
    """Refuse a lock written for another deck: its notes would be shipped into this one."""
    if lock.deck and lock.deck != deck_id:
        raise LockError(
            f"the lock file belongs to deck {lock.deck!r}, not {deck_id!r} (deck.yaml `id`): it was copied "
            "from another notes folder. Put that deck's lock back and restore this deck's from version "
            "control, or delete it if this deck was never imported into Anki"
        )
    _check_card_names(lock)
    foreign = sorted(
        note.note_id
        for guid, note in lock.notes.items()
        if note.notetype not in NOTETYPES or guid not in _possible_guids(deck_id, note.notetype, note.note_id)
    )
    foreign += sorted(t.name for t in lock.notetypes.values() if not t.name.endswith(f"({deck_id})"))
    if foreign:
        more = len(foreign) - _FOREIGN_SHOWN
        shown = ", ".join(foreign[:_FOREIGN_SHOWN]) + (f" and {more} more" if more > 0 else "")
        raise LockError(
            f"the lock file holds {len(foreign)} entries that were not written for deck {deck_id!r} "
            f"({shown}): it belongs to another deck, or was edited by hand. Restore this deck's lock from "
            "version control, or delete it if this deck was never imported into Anki"
        )


def _check_card_names(lock: Lock) -> None:
    """Refuse a lock whose notes name cards their note type does not have (a hand edit)."""
    found = []
    for note in lock.notes.values():
        spec = NOTETYPES.get(note.notetype)
        if spec is None:
            continue  # a note type of another program: refused with the foreign entries
        names = (*spec.cards, "cloze") if spec.cloze else spec.cards
        for key, cards in (("cards", note.cards), ("retired_cards", note.retired_cards)):
            if not set(cards) <= set(names):
                found.append(
                    (
                        note.note_id,
                        f"note {note.note_id}: {key}: expected cards of a {note.notetype} note "
                        f"({', '.join(names)}), got {list(cards)!r}",
                    )
                )
    wrong = [message for _, message in sorted(found, key=lambda item: item[0])]  # by note, stable
    if wrong:
        more = len(wrong) - _FOREIGN_SHOWN
        shown = "\n  ".join(wrong[:_FOREIGN_SHOWN]) + (f"\n  … and {more} more" if more > 0 else "")
        raise LockError(
            f"the lock file names cards its note types do not have:\n  {shown}\nit was edited by hand: "
            "restore it from version control"
        )


def _possible_guids(deck_id: str, notetype: str, note_id: str) -> frozenset[str]:
    """Return the GUIDs this note id has had in this deck, one per note-type version so far."""
    return _guids_up_to(deck_id, notetype, note_id, NOTETYPES[notetype].version)


@lru_cache(maxsize=1 << 16)
def _guids_up_to(deck_id: str, notetype: str, note_id: str, version: int) -> frozenset[str]:
    """Return the GUIDs of a note id under each version of its note type up to `version`."""
    return frozenset(note_guid(deck_id, notetype, note_id, each) for each in range(1, version + 1))


def _plan_notetype(spec: Notetype, deck_id: str, templates: Path, kinds: Kinds) -> PlannedNotetype:
    """Return a note type with its templates and CSS; one whose notes know their kind (a `Kind` field)
    colours its badges by kind (`cheatdeck.anki.badges`)."""
    anki = templates / "anki"
    coloured = "Kind" in spec.fields
    cards = []
    for card in spec.cards:
        front = (anki / f"{card}.front.html").read_text(encoding="utf-8")
        back = (anki / f"{card}.back.html").read_text(encoding="utf-8")
        if coloured:
            front, back = with_kind_colours(front, kinds), with_kind_colours(back, kinds)
        cards.append((card.capitalize(), _with_status(front, back), back))
    css = (anki / "card.css").read_text(encoding="utf-8") + _STATUS_CSS
    return PlannedNotetype(
        spec=spec,
        model_id=notetype_id(deck_id, spec.key, spec.version),
        name=notetype_name(deck_id, spec.key, spec.version),
        templates=tuple(cards),
        css=css + kind_css(kinds) if coloured else css,
    )


def _with_status(front: str, back: str) -> str:
    """Show, on a card front, each field that makes the card but that the card never displays (a card
    kind's on switch): its text stays invisible (CSS) except a removal notice, so a retired card says so.
    A switch the card displays (a clue, an answer) shows the notice in its own place: no answer is put
    on a front, even hidden."""
    shown = {*_plain_fields(front), *_plain_fields(back)}
    hidden = [name for name in _sections(front) if name not in shown]
    status = "".join(
        f'{{{{#{name}}}}}<div class="cheatdeck-status">{{{{{name}}}}}</div>{{{{/{name}}}}}' for name in hidden
    )
    return status + front


@cache
def _sections(template: str) -> tuple[str, ...]:
    """Return the fields a template's `{{#Field}}` sections test: the fields that make its card."""
    return tuple(dict.fromkeys(name for kind, name in _FIELD_REF.findall(template) if kind == "#"))


@cache
def _plain_fields(template: str) -> tuple[str, ...]:
    """Return the fields a template shows as they are (`{{Field}}`, no filter, not FrontSide)."""
    filtered = {name.rsplit(":", 1)[-1] for kind, name in _FIELD_REF.findall(template) if ":" in name}
    names = (name for kind, name in _FIELD_REF.findall(template) if not kind and ":" not in name)
    return tuple(dict.fromkeys(n for n in names if n not in filtered and n != "FrontSide"))


def _template(notetype: PlannedNotetype, card: str) -> tuple[int, str]:
    """Return the ordinal and front template of a card (a cloze note type has one template)."""
    for index, (name, front, _back) in enumerate(notetype.templates):
        if name.lower() == card or len(notetype.templates) == 1:
            return index, front
    raise KeyError(card)


def _ordinals(notetype: PlannedNotetype, cards: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(sorted({_template(notetype, card)[0] for card in cards}))


def _cards_of(notetype: PlannedNotetype, fields: list[str]) -> tuple[str, ...]:
    """Return the cards a note with these fields has (for locks that did not record them)."""
    values = dict(zip(notetype.spec.fields, fields, strict=False))
    if notetype.spec.cloze:
        return ("cloze",)
    return tuple(
        name.lower()
        for name, front, _back in notetype.templates
        if all(values.get(f) for f in _sections(front))
    )


def _with_removed_cards(note: PlannedNote, gone: tuple[str, ...], notetype: PlannedNotetype) -> PlannedNote:
    """Keep the cards a note no longer makes, each front saying so (never blank, never an orphan)."""
    fields = dict(zip(notetype.spec.fields, note.fields, strict=True))
    for card in gone:
        index, front = _template(notetype, card)
        for name in _sections(front):
            if not fields[name]:
                fields[name] = _card_notice(card, notetype.templates[index][0])
    tags = {*note.tags, *(f"{REMOVED_CARD_TAG}::{card}" for card in gone)}
    return replace(
        note,
        fields=tuple(fields[name] for name in notetype.spec.fields),
        tags=tuple(sorted(tags)),
        cards=(*note.cards, *gone),
    )


def _card_notice(card: str, template: str) -> str:
    """Return the notice a card the build no longer makes shows on its front: what to do, how to find it."""
    search = f"tag:{REMOVED_CARD_TAG}::{card} card:{template}"
    return (
        f'<div class="{REMOVED_CLASS}">This card is no longer made from your notes: suspend it '
        f"(in the browser's card mode, search <code>{search}</code>).</div>"
    )


def _retired(guid: str, locked: LockedNote, notetype: PlannedNotetype, title: str) -> PlannedNote:
    """Rebuild a note the build no longer makes from the lock: its text fields as text, its layout fields
    with the build's own layout elements written anew (the lock is data, never markup: see
    `retired_markup`), every card's front saying it was removed, in the current title's subdeck."""
    names = notetype.spec.fields
    fields = {
        name: rebuilt_layout(value) if name in LAYOUT_FIELDS else _as_text(value)
        for name, value in zip(names, locked.fields, strict=True)
    }
    cards = tuple(locked.cards) + tuple(locked.retired_cards) or _cards_of(notetype, locked.fields)
    for card in dict.fromkeys(cards):
        front = _template(notetype, card)[1]
        sections = _sections(front)
        for name in sections:
            fields[name] = _NOTE_NOTICE
        # no switch field: the notice goes before the last field the front shows (its question)
        plain = [name for name in _plain_fields(front) if fields.get(name)]
        if not sections and plain and not fields[plain[-1]].startswith(_NOTE_NOTICE):
            fields[plain[-1]] = _NOTE_NOTICE + fields[plain[-1]]
    tags = {tag for tag in locked.tags if not tag.startswith(REMOVED_CARD_TAG)} | {RETIRED_TAG}
    subdeck = locked.deck.rsplit("::", 1)[-1]
    return PlannedNote(
        guid,
        locked.note_id,
        locked.notetype,
        f"{title}::{subdeck}",
        tuple(fields[name] for name in names),
        tuple(sorted(tags)),
        tuple(dict.fromkeys(cards)),
    )


def _check_not_blank(note: PlannedNote, notetype: PlannedNotetype) -> None:
    """Refuse to ship a card whose front would be blank in Anki (a card must be made, or kept)."""
    values = dict(zip(notetype.spec.fields, note.fields, strict=True))
    for card in note.cards:
        front = _template(notetype, card)[1]
        sections, plain = _sections(front), _plain_fields(front)
        shown = all(values[name] for name in sections) if sections else any(values[name] for name in plain)
        if not (shown or notetype.spec.cloze):
            raise LockError(f"note {note.note_id}: its {card} card would have a blank front (please report)")


class _Text(HTMLParser):
    """Collect the text of an HTML fragment; block ends become spaces."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"p", "li", "dd", "dt", "div", "tr", "h1", "h2", "h3", "pre", "blockquote"}:
            self.parts.append(" ")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append(" ")


def _as_text(value: str) -> str:
    """Return a field read from the lock as escaped plain text: nothing in it can become markup."""
    parser = _Text()
    parser.feed(value)
    parser.close()
    return escape(re.sub(r"\s+", " ", "".join(parser.parts)).strip(), quote=True)
