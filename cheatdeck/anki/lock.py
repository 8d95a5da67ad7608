"""The lock file: what every earlier build gave Anki, so modification times move only on real change.

Anki's default import updates a note only when the incoming modification time is newer than its own, and a
note type only when its modification time is newer. The lock records, for every note GUID and note type id,
a hash of what was written and the time it was first written that way. An unchanged note keeps its time
(byte-identical builds); a changed one gets a time newer than anything in the lock (so Anki takes it).

The lock also records where each note is in its life cycle (`state`, see README *Removed notes*): `active`
(in the sources), `retired` (removed from the sources; still shipped, marked as removed, so the learner
can find and delete it) or `deleted` (the learner deleted it; never shipped again). It keeps a retired
note's last fields, the cards each note was shipped with, the time a build first shipped it (its *Added*
date in Anki), each note type's field list (to refuse a change that would break updates), and the deck it
belongs to (a lock of another deck is refused).

The lock is data, never markup: every value is checked when read, and fields taken from it are escaped
before they reach a card.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cheatdeck.clock import now
from cheatdeck.errors import LockError
from cheatdeck.notes.kinds import deck_name_problem

LOCK_FILE = "cheatdeck.lock.json"
LOCK_VERSION = 2
_READABLE_VERSIONS = (1, 2)  # version 1 (no states, no deck) is upgraded when read

ACTIVE = "active"
RETIRED = "retired"
DELETED = "deleted"
STATES = (ACTIVE, RETIRED, DELETED)
RETIRED_TAG = "cheatdeck::retired"

_GUID = re.compile(r"[0-9a-f]{20}")
_HASH = re.compile(r"[0-9a-f]{16}")
_SLUG = r"[a-z0-9]+(?:[-_][a-z0-9]+)*"
_NOTE_ID = re.compile(
    rf"{_SLUG}(?:(?:\+{_SLUG}){{1,2}}|#{_SLUG})?"
)  # a note id, a contrast `a+b` (or of three, `a+b+c`), a fact `note#id`
_KEY = re.compile(_SLUG)
_TAG = re.compile(r"[^\s]+")
MAX_TIME = 2**31 - 1  # seconds (2038-01-19); note and card ids are these times in milliseconds
_PROBLEMS_SHOWN = 20  # lock problems listed in the error; the rest are counted


@dataclass
class LockedNote:
    """What an earlier build wrote for one Anki note, and where the note is in its life cycle."""

    note_id: str
    notetype: str
    deck: str
    fields: list[str]
    tags: list[str]
    hash: str
    mod: int
    model_id: int = 0  # the note type it was shipped with (0: not recorded by older locks)
    added: int = 0  # when a build first shipped it: its *Added* date in Anki
    state: str = ACTIVE
    cards: list[str] = field(default_factory=list)  # the cards it was shipped with ([]: not recorded)
    retired_cards: list[str] = field(default_factory=list)  # cards no longer made, shipped as removed


@dataclass
class LockedNotetype:
    """What an earlier build wrote for one note type."""

    name: str
    fields: list[str]
    hash: str
    mod: int


@dataclass
class Lock:
    """The whole lock: the deck it belongs to, notes by GUID and note types by id."""

    notes: dict[str, LockedNote] = field(default_factory=dict)
    notetypes: dict[str, LockedNotetype] = field(default_factory=dict)
    deck: str = ""  # the deck's `id` ("" for an empty lock or one written before version 2)
    title: str = ""  # the deck's title when this lock was written (to notice a rename)

    def latest(self) -> int:
        """Return the newest modification time recorded (0 for an empty lock)."""
        times = [n.mod for n in self.notes.values()] + [t.mod for t in self.notetypes.values()]
        return max(times, default=0)


def next_modification_time(lock: Lock) -> int:
    """Return a time newer than every time in the lock, and not earlier than now."""
    return max(now(), lock.latest() + 1)


def read_lock(path: Path) -> Lock:
    """Read the lock file; a missing file is an empty lock. Every value is checked."""
    if not path.is_file():
        return Lock()
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise LockError(f"{path}: cannot read the lock file: {error.strerror or error}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise TypeError(f"expected an object, got {type(data).__name__}")
        if data.get("version") not in _READABLE_VERSIONS:
            raise LockError(f"{path}: unsupported lock version {data.get('version')!r}")
        return _parse(data, path)
    except RecursionError:
        reason = "nested too deeply"
    except UnicodeDecodeError as error:
        reason = f"not UTF-8: byte 0x{raw[error.start]:02x} at offset {error.start}"
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        reason = str(error)
    raise LockError(f"{path}: unreadable lock file ({reason}); restore it from version control")


def missing_lock_warning(path: Path, state_file: Path) -> str | None:
    """Return a warning if the lock is missing although an earlier build exists (a state file in the out
    folder, or the lock tracked by git), saying what the build will do and how to recover; else None."""
    if path.is_file():
        return None
    if state_file.is_file():
        evidence = f"{state_file.parent} holds an earlier build"
    elif _tracked_by_git(path):
        evidence = "git tracks it"
    else:
        return None
    return (
        f"{path} is missing, but {evidence}. This build starts a new lock: every note is shipped with "
        "a new time (Anki skips notes it holds with a newer one), notes removed since the last build are "
        f"not retired. To recover, restore the lock (`git checkout -- "
        f"{path}`, or a backup) and build again; if this deck was never imported into Anki, ignore this."
    )


def _tracked_by_git(path: Path) -> bool:
    """Return True if git (offline, one quick call) tracks `path`; False if git is absent or unsure."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "--error-unmatch", path.name],
            cwd=path.parent,
            capture_output=True,
            timeout=2,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def _parse(data: dict[str, Any], path: Path) -> Lock:
    problems: list[str] = []
    notes = _parse_notes(data, problems)
    notetypes = _parse_notetypes(data, problems)
    deck, title = data.get("deck", ""), data.get("title", "")
    if not (isinstance(deck, str) and (deck == "" or _KEY.fullmatch(deck))):
        problems.append(f"deck: expected a deck id, got {deck!r}")
    if not isinstance(title, str):
        problems.append(f"title: expected text, got {title!r}")
    if problems:
        shown = "\n  ".join(problems[:_PROBLEMS_SHOWN])
        more = len(problems) - _PROBLEMS_SHOWN
        rest = f"\n  … and {more} more" if more > 0 else ""
        raise LockError(f"{path}: invalid lock file:\n  {shown}{rest}\nrestore it from version control")
    return Lock(notes=notes, notetypes=notetypes, deck=deck, title=title)


def _parse_notes(data: dict[str, Any], problems: list[str]) -> dict[str, LockedNote]:
    """Return the lock's valid notes by GUID; add a message to `problems` for each bad one."""
    notes: dict[str, LockedNote] = {}
    for guid, raw in _mapping(data, "notes").items():
        where = f"notes.{guid}"
        if not _GUID.fullmatch(guid):
            problems.append(f"{where}: expected a 20-digit hexadecimal GUID")
        if not isinstance(raw, dict):
            problems.append(f"{where}: expected an object, got {type(raw).__name__}")
            continue
        entry = raw
        if data["version"] == 1:  # upgrade: a retired note was recognised by its tag alone
            retired = RETIRED_TAG in raw.get("tags", [])
            entry = {"added": raw.get("mod", 0), "state": RETIRED if retired else ACTIVE, **raw}
        try:
            note = LockedNote(**entry)
        except TypeError as error:
            problems.append(f"{where}: {error}")
            continue
        problems += [f"{where}.{problem}" for problem in _CHECKED.problems(note)]
        notes[guid] = note
    return notes


def _parse_notetypes(data: dict[str, Any], problems: list[str]) -> dict[str, LockedNotetype]:
    """Return the lock's valid note types by id; add a message to `problems` for each bad one."""
    notetypes: dict[str, LockedNotetype] = {}
    for key, entry in _mapping(data, "notetypes").items():
        try:
            notetype = LockedNotetype(**entry) if isinstance(entry, dict) else None
        except TypeError as error:
            problems.append(f"notetypes.{key}: {error}")
            continue
        if notetype is None or not key.isdigit():
            problems.append(f"notetypes.{key}: expected a numeric id and an object")
            continue
        problems += [f"notetypes.{key}.{problem}" for problem in _check_values(notetype)]
        notetypes[key] = notetype
    return notetypes


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data[key]
    if not isinstance(value, dict):
        raise TypeError(f"{key} should be an object")
    return value


def _check_values(entry: LockedNote | LockedNotetype) -> list[str]:
    """Return a message for each value that is not of the declared type and form."""
    problems = []
    value: Any
    for name, value in vars(entry).items():
        expected = _TYPES.get(name, str)
        if not isinstance(value, expected) or isinstance(value, bool):
            problems.append(f"{name}: {name} should be {expected.__name__}, got {value!r}")
        elif isinstance(value, list) and not all(isinstance(item, str) for item in value):
            problems.append(f"{name}: {name} should be a list of text")
        elif isinstance(value, int) and not 0 <= value <= MAX_TIME and name != "model_id":
            problems.append(f"{name}: expected a time in seconds, got {value!r}")
        elif name == "hash" and isinstance(value, str) and not _HASH.fullmatch(value):
            problems.append(f"hash: expected 16 hexadecimal digits, got {value!r}")
    return problems


def _values(entry: LockedNote) -> tuple[Any, ...]:
    """An entry's values as a key (with their types: True == 1, but they are not the same value here)."""
    return tuple(
        (name, type(value), tuple(value) if isinstance(value, list) else value)
        for name, value in vars(entry).items()
    )


class _Checked:
    """The problems of the lock's note entries, by their values: a build reads the lock its last build
    wrote, where most entries are as they were (a `watch` save reads it twice; issue 26)."""

    def __init__(self) -> None:
        self.kept: dict[tuple[Any, ...], tuple[str, ...]] = {}

    def problems(self, entry: LockedNote) -> list[str]:
        """`_check_note(entry)`."""
        try:
            key = _values(entry)
            found = self.kept.get(key)
        except TypeError:  # a value no JSON lock this writes holds (an object in a list): not kept
            return _check_note(entry)
        if found is None:
            found = tuple(_check_note(entry))
            if len(self.kept) >= 1 << 16:
                self.kept.clear()
            self.kept[key] = found
        return list(found)

    def cache_info(self) -> Any:
        """How many entries' checks are kept."""
        from types import SimpleNamespace

        return SimpleNamespace(currsize=len(self.kept), maxsize=1 << 16)

    def cache_clear(self) -> None:
        """Forget every check."""
        self.kept.clear()


_CHECKED = _Checked()


def _check_note(note: LockedNote) -> list[str]:
    problems = _check_values(note)
    if problems:
        return problems
    checks = [
        ("note_id", _NOTE_ID.fullmatch(note.note_id), "expected a note id"),
        ("notetype", _KEY.fullmatch(note.notetype), "expected a note type key"),
        ("state", note.state in STATES, f"expected one of {', '.join(STATES)}"),
        ("deck", deck_name_problem(note.deck) is None, "expected an Anki deck name (names joined by ::)"),
        ("tags", all(_TAG.fullmatch(tag) for tag in note.tags), "expected tags without spaces"),
        (
            "cards",
            all(_KEY.fullmatch(card) for card in note.cards + note.retired_cards),
            "expected card names",
        ),
        ("model_id", 0 <= note.model_id < 2**63, "expected a note type id"),
    ]
    return [f"{name}: {message}, got {getattr(note, name)!r}" for name, ok, message in checks if not ok]


_TYPES: dict[str, type] = {
    "mod": int,
    "model_id": int,
    "added": int,
    "fields": list,
    "tags": list,
    "cards": list,
    "retired_cards": list,
}


def dump_lock(lock: Lock) -> str:
    """Serialise the lock deterministically (sorted keys, one entry per line block): the text of
    `json.dumps(…, ensure_ascii=False, indent=1, sort_keys=True)`, each entry's block written once for its
    values (a build that changed one note writes one block afresh, issue 26)."""
    notes = "".join(
        f"{',' if index else ''}\n  {_string(guid)}: {_ENTRIES.text(entry)}"
        for index, (guid, entry) in enumerate(sorted(lock.notes.items()))
    )
    _ENTRIES.finish()
    notetypes = {key: vars(value) for key, value in sorted(lock.notetypes.items())}
    return (
        f'{{\n "deck": {_string(lock.deck)},\n "notes": '
        + (f"{{{notes}\n }}" if lock.notes else "{}")
        + f',\n "notetypes": {_pretty(notetypes, 1)},\n "title": {_string(lock.title)},'
        + f'\n "version": {_pretty(LOCK_VERSION, 1)}\n}}\n'
    )


_string = json.encoder.encode_basestring  # JSON text of a str, unicode kept


def _pretty(value: Any, level: int) -> str:
    """JSON text of a value as `json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)` writes it
    `level` deep."""
    if isinstance(value, str):
        return str(_string(value))
    if isinstance(value, dict) and value:
        inner = " " * (level + 1)
        items = (f"{inner}{_string(key)}: {_pretty(item, level + 1)}" for key, item in sorted(value.items()))
        return "{\n" + ",\n".join(items) + "\n" + " " * level + "}"
    if isinstance(value, list) and value:
        inner = " " * (level + 1)
        return (
            "[\n"
            + ",\n".join(f"{inner}{_pretty(item, level + 1)}" for item in value)
            + "\n"
            + " " * level
            + "]"
        )
    return json.dumps(value, ensure_ascii=False)


class _EntryTexts:
    """The JSON text of the lock's note entries, by their values (those of the last lock written)."""

    def __init__(self) -> None:
        self.kept: dict[tuple[Any, ...], str] = {}
        self.made: dict[tuple[Any, ...], str] = {}

    def text(self, entry: LockedNote) -> str:
        """The entry's JSON text, as it stands in the notes' object."""
        key = _values(entry)
        text = self.made.get(key) or self.kept.get(key)
        if text is None:
            text = _pretty(vars(entry), 2)
        self.made[key] = text
        return text

    def finish(self) -> None:
        """Keep the texts of the lock just written (only: an earlier lock's are dropped)."""
        self.kept, self.made = self.made, {}

    def cache_info(self) -> Any:
        """How many entries' texts are kept."""
        from types import SimpleNamespace

        return SimpleNamespace(currsize=len(self.kept) + len(self.made), maxsize=1 << 20)

    def cache_clear(self) -> None:
        """Forget every text."""
        self.kept.clear()
        self.made.clear()


_ENTRIES = _EntryTexts()
