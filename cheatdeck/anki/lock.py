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
from types import SimpleNamespace
from typing import Any, NoReturn

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


class Texts(list[str]):
    """A list of a lock entry (its fields, tags, cards): it refuses to be changed in place, as the entry
    refuses a new value, because an entry is kept by identity (its JSON text when written, its checks when
    read: `_EntryTexts`, `_Checked`). A new value is a new entry (`dataclasses.replace`)."""

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError(
            "a lock entry's list is never changed in place: make a new entry (dataclasses.replace)"
        )

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __reduce__(self) -> tuple[type[Texts], tuple[list[str]]]:
        return (Texts, (list(self),))


def _freeze_lists(entry: object) -> None:
    """Make the plain lists of a new entry `Texts` (a value of another type is left for the checks)."""
    for name, value in vars(entry).items():
        if type(value) is list:
            object.__setattr__(entry, name, Texts(value))


@dataclass(frozen=True)
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

    def __post_init__(self) -> None:
        _freeze_lists(self)


@dataclass(frozen=True)
class LockedNotetype:
    """What an earlier build wrote for one note type."""

    name: str
    fields: list[str]
    hash: str
    mod: int

    def __post_init__(self) -> None:
        _freeze_lists(self)


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
    known = _TEXTS.lock_of(raw, path)
    if known is not None:
        return known
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise TypeError(f"expected an object, got {type(data).__name__}")
        if data.get("version") not in _READABLE_VERSIONS:
            raise LockError(f"{path}: unsupported lock version {data.get('version')!r}")
        return _TEXTS.read(raw, _parse(data, path))
    except RecursionError:
        reason = "nested too deeply"
    except UnicodeDecodeError as error:
        reason = f"not UTF-8: byte 0x{raw[error.start]:02x} at offset {error.start}"
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        reason = str(error)
    raise LockError(f"{path}: unreadable lock file ({reason}); restore it from version control")


class _LockTexts:
    """The lock text last read and the one last written, each with its lock: a `watch` save reads the
    lock its last build wrote, twice (issue 26). A text read is the lock its parse gave; a text written
    is the lock written, whose entries are checked as a parse of that text checks them (each entry
    once: `_Checked`). Read by content: the bytes of the file now, compared whole. The locks handed out
    are copies (their entries are frozen). Emptied by `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.last_read: tuple[bytes, Lock] | None = None
        self.last_written: tuple[bytes, Lock] | None = None

    def lock_of(self, raw: bytes, path: Path) -> Lock | None:
        """The lock of this text, if it is the text last read or written (None: parse it)."""
        if self.last_read is not None and self.last_read[0] == raw:
            return _copy(self.last_read[1])
        if self.last_written is not None and self.last_written[0] == raw:
            written = self.last_written[1]
            data = {
                "version": LOCK_VERSION,
                "deck": written.deck,
                "title": written.title,
                "notes": written.notes,
                "notetypes": written.notetypes,
            }
            return self.read(raw, _parse(data, path))
        return None

    def read(self, raw: bytes, lock: Lock) -> Lock:
        """Keep the lock a text was read as; return a copy of it."""
        self.last_read = (raw, lock)
        return _copy(lock)

    def wrote(self, text: str, lock: Lock) -> None:
        """Keep the lock a text was written for (its notes and note types in the text's order)."""
        try:
            raw = text.encode("utf-8")
        except UnicodeEncodeError:  # no file can hold it
            self.last_written = None
            return
        self.last_written = (raw, lock)

    def cache_info(self) -> SimpleNamespace:
        """How many texts are kept (two at most)."""
        return SimpleNamespace(
            currsize=(self.last_read is not None) + (self.last_written is not None), maxsize=2
        )

    def cache_clear(self) -> None:
        """Forget both texts."""
        self.last_read = self.last_written = None


def _copy(lock: Lock) -> Lock:
    return Lock(dict(lock.notes), dict(lock.notetypes), lock.deck, lock.title)


_TEXTS = _LockTexts()


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
        if isinstance(raw, LockedNote):  # an entry of a lock written (`_LockTexts`): checked as read
            note = raw
        elif not isinstance(raw, dict):
            problems.append(f"{where}: expected an object, got {type(raw).__name__}")
            continue
        else:
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
    _CHECKED.finish()
    return notes


def _parse_notetypes(data: dict[str, Any], problems: list[str]) -> dict[str, LockedNotetype]:
    """Return the lock's valid note types by id; add a message to `problems` for each bad one."""
    notetypes: dict[str, LockedNotetype] = {}
    for key, entry in _mapping(data, "notetypes").items():
        try:
            notetype = (
                entry
                if isinstance(entry, LockedNotetype)
                else LockedNotetype(**entry)
                if isinstance(entry, dict)
                else None
            )
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
    """The problems of the lock's note entries: a build reads the lock its last build wrote, where most
    entries are as they were (a `watch` save reads it twice; issue 26). Kept by the entry itself (frozen,
    kept alive here) for the entries of the last lock read, and by their values."""

    def __init__(self) -> None:
        self.kept: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self.entries: dict[int, tuple[LockedNote, tuple[str, ...]]] = {}
        self.made: dict[int, tuple[LockedNote, tuple[str, ...]]] = {}

    def problems(self, entry: LockedNote) -> list[str]:
        """`_check_note(entry)`."""
        known = self.entries.get(id(entry)) or self.made.get(id(entry))
        if known is not None and known[0] is entry:
            found = known[1]
        else:
            try:
                key = _values(entry)
                kept = self.kept.get(key)
            except TypeError:  # a value no JSON lock this writes holds (an object in a list): not kept
                return _check_note(entry)
            found = tuple(_check_note(entry)) if kept is None else kept
            if len(self.kept) >= 1 << 16:
                self.kept.clear()
            self.kept[key] = found
        self.made[id(entry)] = (entry, found)
        return list(found)

    def finish(self) -> None:
        """Keep the entries of the lock just read (only: an earlier lock's are dropped)."""
        self.entries, self.made = self.made, {}

    def cache_info(self) -> Any:
        """How many entries' checks are kept."""
        return SimpleNamespace(currsize=len(self.kept) + len(self.entries) + len(self.made), maxsize=1 << 16)

    def cache_clear(self) -> None:
        """Forget every check."""
        self.kept.clear()
        self.entries.clear()
        self.made.clear()


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
    `json.dumps(…, ensure_ascii=False, indent=1, sort_keys=True)`, each entry's block written once (a
    build that changed one note writes one block afresh, issue 26)."""
    entries = sorted(lock.notes.items())
    notes = "".join(
        f"{',' if index else ''}\n  {_string(guid)}: {_ENTRIES.text(entry)}"
        for index, (guid, entry) in enumerate(entries)
    )
    _ENTRIES.finish()
    notetypes = sorted(lock.notetypes.items())
    text = (
        f'{{\n "deck": {_string(lock.deck)},\n "notes": '
        + (f"{{{notes}\n }}" if lock.notes else "{}")
        + f',\n "notetypes": {_pretty({key: vars(value) for key, value in notetypes}, 1)},'
        + f'\n "title": {_string(lock.title)},\n "version": {_pretty(LOCK_VERSION, 1)}\n}}\n'
    )
    _TEXTS.wrote(text, Lock(dict(entries), dict(notetypes), lock.deck, lock.title))
    return text


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
    """The JSON text of the lock's note entries (those of the last lock written), by the entry itself
    (frozen, kept alive here: a build hands on the entries of the notes it did not change), else by
    the entry's values."""

    def __init__(self) -> None:
        self.kept: dict[int, tuple[LockedNote, str]] = {}
        self.made: dict[int, tuple[LockedNote, str]] = {}
        self.by_values: dict[tuple[Any, ...], str] = {}
        self.made_by_values: dict[tuple[Any, ...], str] = {}

    def text(self, entry: LockedNote) -> str:
        """The entry's JSON text, as it stands in the notes' object."""
        known = self.made.get(id(entry)) or self.kept.get(id(entry))
        if known is not None and known[0] is entry:
            text = known[1]
        else:
            key = _values(entry)
            text = self.made_by_values.get(key) or self.by_values.get(key) or _pretty(vars(entry), 2)
            self.made_by_values[key] = text
        self.made[id(entry)] = (entry, text)
        return text

    def finish(self) -> None:
        """Keep the texts of the lock just written (only: an earlier lock's are dropped)."""
        self.kept, self.made = self.made, {}
        self.by_values, self.made_by_values = self.made_by_values, {}

    def cache_info(self) -> Any:
        """How many entries' texts are kept."""
        return SimpleNamespace(currsize=len(self.kept) + len(self.made), maxsize=1 << 20)

    def cache_clear(self) -> None:
        """Forget every text."""
        self.kept.clear()
        self.made.clear()
        self.by_values.clear()
        self.made_by_values.clear()


_ENTRIES = _EntryTexts()
