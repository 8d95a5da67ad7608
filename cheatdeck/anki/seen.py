"""What a build may learn from the learner's collection, read-only: which of the deck's notes it holds.

The collection is found as `sync` finds it (a profile in Anki's data folder, or a collection file). It is
never opened where it lies: the file (and its write-ahead log) is copied to a scratch folder and the copy
is read with SQLite, so neither Anki's backend nor a lock of the learner's file is needed. A collection
Anki holds open is not read at all (a copy could be caught halfway through a write).
"""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cheatdeck.anki.sync import check_collection, copy_collection, find_collection, refuse_if_held
from cheatdeck.errors import SyncError


@dataclass(frozen=True)
class Seen:
    """The collection read, and the GUIDs of every note in it."""

    path: Path
    guids: frozenset[str]


def notes_in_collection(collection: Path | None, profile: str | None, base: Path | None = None) -> Seen:
    """Return the GUIDs of the notes in the learner's collection, read from a copy; raise `SyncError`
    (naming the file) if it cannot be found or read, or Anki holds it open."""
    path = find_collection(collection, profile, base)
    check_collection(path)
    try:
        refuse_if_held(path)
    except SyncError:
        raise SyncError(
            f"{path}: Anki has this collection open, so it is not read (close Anki and build again)"
        ) from None
    with tempfile.TemporaryDirectory(prefix="cheatdeck-seen-") as scratch:
        copy = copy_collection(path, Path(scratch))
        try:
            database = sqlite3.connect(copy)
            try:
                guids = frozenset(row[0] for row in database.execute("select guid from notes"))
            finally:
                database.close()
        except sqlite3.Error as error:
            raise SyncError(f"{path}: cannot read this collection ({error})") from None
    return Seen(path, guids)
