"""Read a learner's review history out of their Anki collection, read-only.

The collection is found as `sync` finds it (`--collection`, or `--profile` in Anki's data folder). It is
never opened where it lies: it is copied (with its write-ahead log) to a scratch folder and the copy is
opened with Anki's backend. If Anki holds the collection open (a copy could be caught halfway through a
write), the newest automatic backup in the profile's `backups` folder is read instead, unpacked into the
scratch folder by Anki's own restore code. Neither the collection nor the backup is ever written.

The deck's notes are found by the GUIDs the lock records; notes of the deck's own Anki decks that the
lock does not know were added in Anki by hand, and are kept apart.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cheatdeck.anki.sync import (
    COLLECTION_FILE,
    check_collection,
    copy_collection,
    find_collection,
    refuse_if_held,
)
from cheatdeck.errors import SyncError

if TYPE_CHECKING:
    from anki.collection import Collection

BACKUPS_FOLDER = "backups"
AGAIN = 1  # the answer button a revlog entry records: 1 Again, 2 Hard, 3 Good, 4 Easy
_ANSWERED = (0, 1, 2, 3)  # revlog types that are answers: learn, review, relearn, filtered (not a reschedule)
NEW, LEARNING, REVIEW, RELEARNING = 0, 1, 2, 3  # a card's type


@dataclass(frozen=True)
class CardHistory:
    """One card's record: where it stands and every answer it was given (times in seconds)."""

    note_guid: str
    card_type: int  # NEW, LEARNING, REVIEW or RELEARNING
    ease: float | None  # SM-2's ease factor (2.5 at the start); None for a new card or under FSRS
    difficulty: float | None  # FSRS's difficulty (1 … 10); None under SM-2
    lapses: int
    answers: tuple[tuple[int, int], ...]  # (time, button), oldest first


@dataclass(frozen=True)
class HandAdded:
    """A note of this deck's Anki decks that the sources never made: added in Anki by hand."""

    first_field: str
    lapses: int
    agains: int


@dataclass(frozen=True)
class History:
    """What was read, from where: the deck's cards (by their note's GUID) and the notes added by hand."""

    read: Path  # the collection, or the backup read in its place
    held: bool  # Anki held the collection open: `read` is its newest backup
    cards: tuple[CardHistory, ...]
    hand_added: tuple[HandAdded, ...]

    @property
    def answers(self) -> int:
        """How many answers the deck's cards were given, ever."""
        return sum(len(card.answers) for card in self.cards)


def read_history(
    collection: Path | None, profile: str | None, guids: set[str], deck_title: str, base: Path | None = None
) -> History:
    """Read the history of the cards of the notes with these GUIDs, and the notes added by hand to the
    deck `deck_title` (or its subdecks), from the learner's collection or, if Anki holds it open, from
    its newest backup."""
    path = find_collection(collection, profile, base)
    check_collection(path)
    try:
        refuse_if_held(path)
        held = False
    except SyncError:
        held = True
    read = newest_backup(path) if held else path
    with _copy_opened(read, from_backup=held) as col:
        cards, hand_added = _read(col, guids, deck_title)
    return History(read, held, cards, hand_added)


def newest_backup(collection: Path) -> Path:
    """Return the newest automatic backup Anki made of the collection (its profile's `backups` folder)."""
    folder = collection.parent / BACKUPS_FOLDER
    backups = sorted(folder.glob("*.colpkg"), key=lambda path: (path.stat().st_mtime, path.name))
    if not backups:
        raise SyncError(
            f"{collection}: Anki has this collection open and {folder} holds no backup to read instead; "
            "close Anki (or switch it to another profile) and run focus again"
        )
    return backups[-1]


@contextmanager
def _copy_opened(path: Path, *, from_backup: bool) -> Iterator[Collection]:
    """Open a copy of the collection (or the collection a backup holds) in a scratch folder."""
    from anki.collection import Collection

    with tempfile.TemporaryDirectory(prefix="cheatdeck-focus-") as scratch:
        copy = Path(scratch, COLLECTION_FILE)
        if from_backup:
            from anki._backend import RustBackend

            try:
                RustBackend().import_collection_package(
                    col_path=str(copy),
                    backup_path=str(path),
                    media_folder=str(Path(scratch, "media")),
                    media_db=str(Path(scratch, "media.db2")),
                )
            except Exception as error:  # the backend raises its own kinds on a damaged package
                raise SyncError(f"{path}: Anki cannot read this backup ({error})") from None
        else:
            copy_collection(path, copy.parent)
        col = Collection(str(copy))
        try:
            yield col
        finally:
            col.close()


def _read(
    col: Collection, guids: set[str], deck_title: str
) -> tuple[tuple[CardHistory, ...], tuple[HandAdded, ...]]:
    assert col.db is not None
    notes = {nid: (guid, fields) for nid, guid, fields in col.db.all("select id, guid, flds from notes")}
    decks = {
        deck.id
        for deck in col.decks.all_names_and_ids()
        if deck.name == deck_title or deck.name.startswith(f"{deck_title}::")
    }
    answers: dict[int, list[tuple[int, int]]] = {}
    for stamp, cid, button, kind in col.db.all("select id, cid, ease, type from revlog order by id"):
        if kind in _ANSWERED and button:
            answers.setdefault(cid, []).append((stamp // 1000, button))
    cards: list[CardHistory] = []
    hand: dict[int, list[Any]] = {}
    for cid, nid, did, card_type, factor, lapses, data in col.db.all(
        "select id, nid, did, type, factor, lapses, data from cards order by id"
    ):
        guid, fields = notes.get(nid, ("", ""))
        if guid in guids:
            difficulty = _difficulty(data)
            ease = factor / 1000 if factor and difficulty is None and card_type != NEW else None
            cards.append(CardHistory(guid, card_type, ease, difficulty, lapses, tuple(answers.get(cid, ()))))
        elif did in decks:
            entry = hand.setdefault(nid, [fields.split("\x1f", 1)[0], 0, 0])
            entry[1] += lapses
            entry[2] += sum(1 for _, button in answers.get(cid, ()) if button == AGAIN)
    added = tuple(HandAdded(_plain(first), lapses, agains) for first, lapses, agains in hand.values())
    return tuple(cards), added


def _difficulty(data: str) -> float | None:
    """FSRS's difficulty from a card's `data` (JSON with `d`), if FSRS has scheduled it."""
    try:
        value = json.loads(data or "{}").get("d")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def _plain(html: str) -> str:
    """A field's text without its markup, on one line."""
    import re
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]*>", " ", html)).split())
