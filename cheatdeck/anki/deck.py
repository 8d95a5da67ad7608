"""Write a planned deck as a reproducible `.apkg`: the genanki and zip adapter.

Everything the package holds is decided by `cheatdeck.anki.reconcile.plan_deck`; this module only turns that
plan into genanki objects, with the planned ids and modification times, has genanki write them into the
collection, and zips it with fixed stamps (compressed piece by piece, so an edit compresses what changed).
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path
from types import SimpleNamespace
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


_PIECE = 1 << 18
"""A member is compressed 256 KiB at a time, each piece on its own (`_Pieces`)."""
_LAST_BLOCK = b"\x03\x00"  # an empty final deflate block (fixed codes): what ends every member's data
_DOS_DAY = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the zip's day for every member (_ZIP_EPOCH), at 00:00
_ZIP_LIMIT = 0xFFFFFFFF  # sizes and offsets past this need zip64: such a package is written by zipfile


class _Pieces:
    """Each 256 KiB piece of the last package's members, deflated on its own (raw deflate ended by a
    full flush, so pieces join into one stream), kept by the piece's bytes: a one-note edit changes a
    page or two of the collection, so a save compresses those pieces, not the whole collection (issue
    26). The bytes are a function of the members alone, whatever is kept. Emptied by
    `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.kept: dict[bytes, bytes] = {}
        self.made: dict[bytes, bytes] = {}

    def deflate(self, data: bytes) -> bytes:
        """Return `data` as one raw deflate stream, piece after piece."""
        out = []
        for start in range(0, len(data), _PIECE):
            piece = data[start : start + _PIECE]
            done = self.made.get(piece) or self.kept.get(piece)
            if done is None:
                done = _deflate_piece(piece)
            self.made[piece] = done
            out.append(done)
        out.append(_LAST_BLOCK)
        return b"".join(out)

    def finish(self) -> None:
        """Keep the pieces of the package just written (only)."""
        self.kept, self.made = self.made, {}

    def cache_info(self) -> SimpleNamespace:
        """How many pieces are kept."""
        return SimpleNamespace(currsize=len(self.kept) + len(self.made), maxsize=1 << 16)

    def cache_clear(self) -> None:
        """Forget every piece."""
        self.kept, self.made = {}, {}


_PIECES = _Pieces()


def _deflate_piece(piece: bytes) -> bytes:
    """Deflate one piece at zlib's default level, ending on a byte boundary with nothing carried over."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(piece) + compressor.flush(zlib.Z_FULL_FLUSH)


def _write_zip(members: list[tuple[str, bytes]], target: Path) -> None:
    """Write the package's members, in genanki's order, as a zip whose every member is deflated, dated
    1980-01-01 and readable by all (mode 0644), so identical content gives identical bytes."""
    local, central = bytearray(), bytearray()
    for name, data in members:
        packed = _PIECES.deflate(data)
        if max(len(data), len(packed), len(local), len(members)) >= _ZIP_LIMIT:
            break
        crc, raw = zlib.crc32(data), name.encode("ascii")
        common = struct.pack("<4H3L2H", 0, 8, 0, _DOS_DAY, crc, len(packed), len(data), len(raw), 0)
        central += struct.pack("<4s2H", b"PK\x01\x02", 3 << 8 | 20, 20) + common
        central += struct.pack("<3H2L", 0, 0, 0, 0o644 << 16, len(local)) + raw
        local += struct.pack("<4sH", b"PK\x03\x04", 20) + common + raw + packed
    else:
        if max(len(local), len(central)) < _ZIP_LIMIT and len(members) < 0xFFFF:
            _PIECES.finish()
            count = len(members)
            end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), len(local), 0)
            target.write_bytes(bytes(local + central + end))
            return
    _PIECES.finish()
    _write_zipfile(members, target)  # zip64 is needed


def _write_zipfile(members: list[tuple[str, bytes]], target: Path) -> None:
    """Write the members as `_write_zip` does, with zipfile (which writes zip64 records where needed)."""
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
