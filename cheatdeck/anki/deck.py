"""Write a planned deck as a reproducible `.apkg`: the genanki and zip adapter.

Everything the package holds is decided by `cheatdeck.anki.reconcile.plan_deck`; this module only turns that
plan into genanki objects, with the planned ids and modification times, has genanki write them into the
collection, and zips it once with fixed stamps.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from cheatdeck.anki.reconcile import DeckPlan, PlannedNotetype
from cheatdeck.cards.plan import PlannedNote
from cheatdeck.outputs import Artefact, Output, Shared, stamp

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

_ID_BASE = 1_500_000_000_000  # genanki's own id counter (unused: every id is set below)


def write_deck(plan: DeckPlan, target: Path) -> Path:
    """Write the planned deck to `target` as a reproducible `.apkg` (fixed ids, times and zip stamps)."""
    import genanki

    class _Model(genanki.Model):
        def __init__(self, planned: PlannedNotetype):
            super().__init__(
                planned.model_id,
                planned.name,
                fields=[
                    {"name": name, **({"collapsed": True} if name in planned.collapsed else {})}
                    for name in planned.spec.fields
                ],
                templates=[
                    {"name": name, "qfmt": front, "afmt": back} for name, front, back in planned.templates
                ],
                css=planned.css,
                model_type=genanki.Model.CLOZE if planned.spec.cloze else genanki.Model.FRONT_BACK,
                sort_field_index=0,
            )
            self.mod = planned.mod

        def to_json(self, timestamp: float, deck_id: int) -> dict[str, Any]:
            json: dict[str, Any] = super().to_json(self.mod, deck_id)
            return json

    class _Note(genanki.Note):
        cards: list[Any]  # genanki's, untyped

        def __init__(self, model: _Model, planned: PlannedNote, gone: tuple[int, ...], due: int):
            super().__init__(
                model=model, fields=list(planned.fields), tags=list(planned.tags), guid=planned.guid
            )
            self.mod = planned.mod
            self.due = due  # new cards come note by note in source order
            self.ids: list[int] = []
            self.gone = gone  # template ordinals of the cards the notes no longer make

        def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Any) -> None:
            # A card the notes no longer make (a retired note's, or a card kind switched off) is not in the
            # package: a collection that has it keeps it and sees the notice its note's fields now carry;
            # a collection that never had it does not get it. Ids stay those of every card the note had.
            note_id, *card_ids = self.ids
            ids = dict(zip((card.ord for card in self.cards), card_ids, strict=True))
            self.cards = [card for card in self.cards if card.ord not in self.gone]
            super().write_to_db(
                cursor, self.mod, deck_id, iter([note_id, *(ids[card.ord] for card in self.cards)])
            )

    models = {key: _Model(notetype) for key, notetype in plan.notetypes.items()}
    decks = {
        name: genanki.Deck(deck_id, name, description=plan.description if name == plan.title else "")
        for name, deck_id in sorted(plan.deck_ids.items())
    }
    ranks = {note.guid: rank for rank, note in enumerate(sorted(plan.notes, key=lambda n: n.position))}
    notes = [
        _Note(models[note.notetype], note, plan.suspended.get(note.guid, ()), ranks[note.guid])
        for note in plan.notes
    ]
    _assign_ids(notes, [plan.lock.notes[note.guid].added for note in plan.notes])
    for planned, note in zip(plan.notes, notes, strict=True):
        decks[planned.deck].add_note(note)

    package = genanki.Package(list(decks.values()))
    media = sorted(plan.media.items())
    with tempfile.TemporaryDirectory(prefix="cheatdeck-") as scratch:
        collection = _collection(package, Path(scratch, "collection.anki2"))
    members = [
        ("collection.anki2", collection),
        ("media", json.dumps({index: name for index, (name, _) in enumerate(media)}).encode()),
        *((str(index), path.read_bytes()) for index, (_, path) in enumerate(media)),
    ]
    _write_zip(members, target)
    return target


def _collection(package: Any, database: Path) -> bytes:
    """Return the collection genanki writes for a package, as `Package.write_to_file` writes it (the
    same ids and times, so the same bytes) but into `database` (genanki's own leaves its file in the
    temporary folder) and without waiting for the disk (a scratch file, read back at once)."""
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA journal_mode = MEMORY")
        timestamp = _ID_BASE / 1000
        package.write_to_db(connection.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
        connection.commit()
    finally:
        connection.close()
    return database.read_bytes()


def _assign_ids(notes: list[Any], added: list[int]) -> None:
    """Give each note and its cards ids from the time a build first shipped the note (Anki shows them as
    the *Added* date), unique and increasing, in a reproducible order."""
    last = 0
    for index in sorted(range(len(notes)), key=lambda i: (added[i], notes[i].guid)):
        note = notes[index]
        note.ids = []
        for _ in range(1 + len(note.cards)):
            last = max(added[index] * 1000, last + 1)
            note.ids.append(last)


def _write_zip(members: list[tuple[str, bytes]], target: Path) -> None:
    """Write the package's members, in genanki's order, as a zip with fixed member times and attributes,
    so identical content gives identical bytes."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, data)


def _deck_artefact(shared: Shared) -> Artefact:
    from importlib.metadata import version

    plan = shared.plan
    name = f"{shared.notebook.deck.id}.apkg"
    return Artefact(
        "deck", stamp(version("genanki"), plan.digest()), {name: lambda tmp: write_deck(plan, tmp)}
    )


OUTPUT = Output("deck", needs=("plan",), plan=_deck_artefact)
