"""Hashes every stage takes: of JSON-serialisable content (a note, a note type), of a file's bytes, and of
any value's content for an in-memory cache's key."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import secrets
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath
from types import FunctionType, SimpleNamespace
from typing import Any


def content_hash(*parts: Any) -> str:
    """Return a short, stable hash of JSON-serialisable parts."""
    data = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def file_hash(path: Path) -> str:
    """Return the sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def folder_texts(folder: Path) -> list[tuple[str, str]]:
    """The text of every file under `folder` (subfolders too), by path relative to it and in sorted order,
    for a cache's key: a file that cannot be read as UTF-8 text is "unreadable"; no folder, no files."""
    found: list[tuple[str, str]] = []
    try:
        paths = sorted(path for path in folder.rglob("*") if path.is_file())
    except OSError:
        return found
    for path in paths:
        try:
            found.append((path.relative_to(folder).as_posix(), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            found.append((path.relative_to(folder).as_posix(), "unreadable"))
    return found


def fingerprint(value: Any) -> str:
    """Return a digest of a value's content, for the keys of in-memory caches: values of equal content and
    type have equal digests. A value whose content it cannot read (no known kind) gets a digest of its
    own that no other value has, so a cache never takes it for another.

    A record (a dataclass or a pydantic model) is digested apart, and the digest of a frozen one whose
    content is all immutable (text, numbers, tuples and frozen records of them) is kept for the object
    itself while it lives (`PRINTS`): the notes one load gives back unchanged, and the grid rows made of
    them, are digested once, not on every build (issue 26)."""
    digest = hashlib.sha256()
    _feed(digest, value, 0)
    return digest.hexdigest()


class Prints:
    """The digests of immutable records, by the record's identity, each kept only while its record lives
    (a weak reference, checked on every use, so a new object given a dead one's `id` is never taken for
    it): what is kept is what the program still holds, the last notebook's notes and what is made of
    them. Emptied by `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.kept: dict[int, tuple[weakref.ref[Any], bytes]] = {}

    def cache_info(self) -> SimpleNamespace:
        """How many digests are kept."""
        return SimpleNamespace(currsize=len(self.kept), maxsize=1 << 30)

    def cache_clear(self) -> None:
        """Forget every digest."""
        self.kept.clear()

    def get(self, record: object) -> bytes | None:
        """The digest kept for this very object, if any."""
        kept = self.kept.get(id(record))
        return kept[1] if kept is not None and kept[0]() is record else None

    def keep(self, record: object, printed: bytes) -> None:
        """Keep the digest of an immutable record while it lives (not at all if it cannot be watched)."""
        key, kept = id(record), self.kept

        def forget(reference: weakref.ref[Any]) -> None:
            if kept.get(key, (None,))[0] is reference:
                del kept[key]

        with contextlib.suppress(TypeError):  # a record with slots and no weak references: not kept
            kept[key] = (weakref.ref(record, forget), printed)


PRINTS = Prints()
_SCALARS = (type(None), bool, int, float, complex)
_DEPTH = 64
_TAGS: dict[type, bytes] = {}
_KINDS: dict[type, int] = {}
_STR, _SCALAR, _BYTES, _PATH, _MODEL, _DATACLASS, _MAPPING, _SEQUENCE, _SET, _FUNCTION, _UNKNOWN = range(11)


def _tag(kind: type) -> bytes:
    tag = _TAGS.get(kind)
    if tag is None:
        tag = _TAGS[kind] = f"{kind.__module__}.{kind.__qualname__}\0".encode()
    return tag


def _text(value: str) -> bytes:
    return f"{len(value)}\0{value}".encode("utf-8", "surrogatepass")


def _kind_of(kind: type) -> int:
    """What a type's values are digested as (worked out once per type)."""
    for test, what in _KIND_TESTS:
        if test(kind):
            return what
    return _UNKNOWN


_KIND_TESTS: tuple[tuple[Callable[[type], bool], int], ...] = (
    (lambda kind: issubclass(kind, _SCALARS), _SCALAR),
    (lambda kind: issubclass(kind, str), _STR),
    (lambda kind: issubclass(kind, bytes), _BYTES),
    (lambda kind: issubclass(kind, PurePath), _PATH),
    (lambda kind: hasattr(kind, "model_dump_json") and hasattr(kind, "model_fields"), _MODEL),  # pydantic
    (dataclasses.is_dataclass, _DATACLASS),
    (lambda kind: issubclass(kind, Mapping), _MAPPING),
    (lambda kind: issubclass(kind, (list, tuple)), _SEQUENCE),
    (lambda kind: issubclass(kind, (set, frozenset)), _SET),
    (lambda kind: issubclass(kind, FunctionType), _FUNCTION),
)


def _feed(digest: Any, value: Any, depth: int) -> bool:  # noqa: C901, PLR0912 (one branch per kind)
    """Feed a value's content to `digest`; return True when the value is immutable, all of it (a tuple of
    text, a frozen record of numbers …), so a record holding it may keep its digest."""
    kind = type(value)
    digest.update(_tag(kind))
    if kind is str:  # the most common, first
        digest.update(_text(value))
        return True
    if depth > _DEPTH:
        digest.update(secrets.token_bytes(16))
        return False
    what = _KINDS.get(kind)
    if what is None:
        what = _KINDS[kind] = _kind_of(kind)
    if what == _STR:
        digest.update(_text(value))
    elif what == _SCALAR:
        digest.update(repr(value).encode() + b"\0")
    elif what == _BYTES:
        digest.update(f"{len(value)}\0".encode() + value)
    elif what == _PATH:
        _feed(digest, str(value), depth + 1)
    elif what in (_MODEL, _DATACLASS):
        return _feed_record(digest, value, what, depth)
    elif what == _MAPPING:
        _feed_mapping(digest, value, depth)
        return False
    elif what == _SEQUENCE:
        digest.update(f"{len(value)}\0".encode())
        frozen = isinstance(value, tuple)
        for item in value:
            frozen = _feed(digest, item, depth + 1) and frozen
        return frozen
    elif what == _SET:
        printed = [_printed(item, depth + 1) for item in value]
        members = sorted(member for member, _ in printed)
        digest.update(f"{len(members)}\0{''.join(members)}".encode())
        return isinstance(value, frozenset) and all(frozen for _, frozen in printed)
    elif what == _FUNCTION:  # code (in cheatdeck's digest) and what it closes over
        digest.update(f"{value.__module__}.{value.__qualname__}\0".encode())
        _feed(digest, value.__defaults__, depth + 1)
        _feed(digest, [cell.cell_contents for cell in value.__closure__ or ()], depth + 1)
        return False
    else:
        digest.update(secrets.token_bytes(16))
        return False
    return True


def _printed(value: Any, depth: int) -> tuple[str, bool]:
    digest = hashlib.sha256()
    frozen = _feed(digest, value, depth)
    return digest.hexdigest(), frozen


def _feed_mapping(digest: Any, value: Mapping[Any, Any], depth: int) -> None:
    keys = value.keys()
    if all(type(key) is str for key in keys):  # sorted by the keys themselves
        ordered = [(_text(key), value[key]) for key in sorted(keys)]
    else:
        ordered = sorted((_printed(key, depth + 1)[0].encode(), item) for key, item in value.items())
    digest.update(f"{len(ordered)}\0".encode())
    for key, item in ordered:
        digest.update(key)
        _feed(digest, item, depth + 1)


def _feed_record(digest: Any, value: Any, what: int, depth: int) -> bool:
    """Feed a dataclass's or a pydantic model's digest, kept for the object when it is all immutable."""
    printed = PRINTS.get(value)
    if printed is not None:
        digest.update(printed)
        return True
    kind = type(value)
    fields, frozen = _RECORDS.get(kind) or _record_kind(kind)
    own = hashlib.sha256()
    for name, attribute in fields:
        own.update(name)
        frozen = _feed(own, getattr(value, attribute), depth + 1) and frozen
    if what == _MODEL and (value.__pydantic_extra__ is not None or value.__pydantic_private__ is not None):
        _feed(own, (value.__pydantic_extra__, value.__pydantic_private__), depth + 1)  # content too
        frozen = False
    printed = own.digest()
    digest.update(printed)
    if frozen:
        PRINTS.keep(value, printed)
    return frozen


_RECORDS: dict[type, tuple[tuple[tuple[bytes, str], ...], bool]] = {}


def _record_kind(kind: Any) -> tuple[tuple[tuple[bytes, str], ...], bool]:
    """A record type's fields (each name, digested and plain) and whether it is frozen."""
    if hasattr(kind, "model_fields"):
        names, frozen = list(kind.model_fields), bool(kind.model_config.get("frozen"))
    else:
        names, frozen = [field.name for field in dataclasses.fields(kind)], kind.__dataclass_params__.frozen
    found = _RECORDS[kind] = (tuple((_text(name), name) for name in names), frozen)
    return found
