"""The lock file: what every earlier build gave Anki, so modification times move only on real change.

Anki's default import updates a note only when the incoming modification time is newer than its own, and a
note type only when its modification time is newer. The lock records, for every note GUID and note type id,
a hash of what was written and the time it was first written that way. An unchanged note keeps its time
(byte-identical builds); a changed one gets a time newer than anything in the lock (so Anki takes it).
The lock also keeps each note's last fields, so a note removed from the sources can still be shipped,
tagged as retired, and each note type's field list, to refuse a change that would break updates.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cheatdeck.errors import LockError

LOCK_FILE = "cheatdeck.lock.json"
LOCK_VERSION = 1


@dataclass
class LockedNote:
    """What an earlier build wrote for one Anki note."""

    note_id: str
    notetype: str
    deck: str
    fields: list[str]
    tags: list[str]
    hash: str
    mod: int
    model_id: int = 0  # the note type it was shipped with (0: not recorded by older locks)


@dataclass
class LockedNotetype:
    """What an earlier build wrote for one note type."""

    name: str
    fields: list[str]
    hash: str
    mod: int


@dataclass
class Lock:
    """The whole lock: notes by GUID and note types by id."""

    notes: dict[str, LockedNote] = field(default_factory=dict)
    notetypes: dict[str, LockedNotetype] = field(default_factory=dict)

    def latest(self) -> int:
        """Return the newest modification time recorded (0 for an empty lock)."""
        times = [n.mod for n in self.notes.values()] + [t.mod for t in self.notetypes.values()]
        return max(times, default=0)


def content_hash(*parts: Any) -> str:
    """Return a short, stable hash of JSON-serialisable parts."""
    data = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def next_modification_time(lock: Lock) -> int:
    """Return a time newer than every time in the lock, and not earlier than now."""
    return max(int(time.time()), lock.latest() + 1)


def read_lock(path: Path) -> Lock:
    """Read the lock file; a missing file is an empty lock."""
    if not path.is_file():
        return Lock()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != LOCK_VERSION:
            raise LockError(f"{path}: unsupported lock version {data.get('version')!r}")
        lock = Lock(
            notes={guid: LockedNote(**note) for guid, note in data["notes"].items()},
            notetypes={key: LockedNotetype(**notetype) for key, notetype in data["notetypes"].items()},
        )
        for entry in [*lock.notes.values(), *lock.notetypes.values()]:
            _check_types(entry)
        return lock
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise LockError(f"{path}: unreadable lock file ({error}); restore it from version control") from None


def _check_types(entry: LockedNote | LockedNotetype) -> None:
    """Raise TypeError if a lock entry's values are not of the declared types."""
    for name, value in vars(entry).items():
        expected = {"mod": int, "model_id": int, "fields": list, "tags": list}.get(name, str)
        if not isinstance(value, expected) or isinstance(value, bool):
            raise TypeError(f"{name} should be {expected.__name__}, got {value!r}")
        if expected is list and not all(isinstance(item, str) for item in value):
            raise TypeError(f"{name} should be a list of text")


def dump_lock(lock: Lock) -> str:
    """Serialise the lock deterministically (sorted keys, one entry per line block)."""
    data = {
        "version": LOCK_VERSION,
        "notetypes": {key: vars(value) for key, value in sorted(lock.notetypes.items())},
        "notes": {guid: vars(value) for guid, value in sorted(lock.notes.items())},
    }
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
