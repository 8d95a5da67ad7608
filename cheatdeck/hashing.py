"""Hashes every stage takes: of JSON-serialisable content (a note, a note type), of a file's bytes, and of
any value's content for an in-memory cache's key."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
from collections.abc import Mapping
from pathlib import Path, PurePath
from types import FunctionType
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
    own that no other value has, so a cache never takes it for another."""
    digest = hashlib.sha256()
    _feed(digest, value, 0)
    return digest.hexdigest()


_SCALARS = (type(None), bool, int, float, complex)
_MODELS: dict[int, tuple[Any, str]] = {}  # frozen models printed lately, by identity (a notebook's notes)
_MODELS_KEPT = 1 << 13


def _model_print(model: Any) -> str:
    """A digest of a pydantic model's fields; a frozen model's is remembered for the model itself (the
    notes of one notebook are printed by the sheet, the deck and the grid of a build)."""
    kept = _MODELS.get(id(model))
    if kept is not None and kept[0] is model:
        return kept[1]
    printed = hashlib.sha256(model.model_dump_json().encode()).hexdigest()
    if model.model_config.get("frozen"):
        if len(_MODELS) >= _MODELS_KEPT:
            _MODELS.clear()
        _MODELS[id(model)] = (model, printed)
    return printed


_DEPTH = 64
_TAGS: dict[type, bytes] = {}
_FIELDS: dict[type, tuple[str, ...]] = {}


def _tag(kind: type) -> bytes:
    tag = _TAGS.get(kind)
    if tag is None:
        tag = _TAGS[kind] = f"{kind.__module__}.{kind.__qualname__}\0".encode()
    return tag


def _text(value: str) -> bytes:
    return f"{len(value)}\0{value}".encode("utf-8", "surrogatepass")


def _feed(digest: Any, value: Any, depth: int) -> None:  # noqa: C901, PLR0912 (one branch per kind)
    kind = type(value)
    digest.update(_tag(kind))
    if kind is str:  # the most common, first
        digest.update(_text(value))
    elif depth > _DEPTH:
        digest.update(secrets.token_bytes(16))
    elif isinstance(value, _SCALARS):
        digest.update(repr(value).encode() + b"\0")
    elif isinstance(value, str):
        digest.update(_text(value))
    elif isinstance(value, bytes):
        digest.update(f"{len(value)}\0".encode() + value)
    elif isinstance(value, PurePath):
        _feed(digest, str(value), depth + 1)
    elif hasattr(value, "model_dump_json") and hasattr(type(value), "model_fields"):  # a pydantic model
        digest.update(_model_print(value).encode())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS.get(kind)
        if names is None:
            names = _FIELDS[kind] = tuple(item.name for item in dataclasses.fields(value))
        for name in names:
            digest.update(_text(name))
            _feed(digest, getattr(value, name), depth + 1)
    elif isinstance(value, Mapping):
        keys = value.keys()
        if all(type(key) is str for key in keys):  # sorted by the keys themselves
            ordered = [(_text(key), value[key]) for key in sorted(keys)]
        else:
            ordered = sorted((fingerprint(key).encode(), item) for key, item in value.items())
        digest.update(f"{len(ordered)}\0".encode())
        for key, item in ordered:
            digest.update(key)
            _feed(digest, item, depth + 1)
    elif isinstance(value, (list, tuple)):
        digest.update(f"{len(value)}\0".encode())
        for item in value:
            _feed(digest, item, depth + 1)
    elif isinstance(value, (set, frozenset)):
        members = sorted(fingerprint(item) for item in value)
        digest.update(f"{len(members)}\0{''.join(members)}".encode())
    elif isinstance(value, FunctionType):  # code (in cheatdeck's digest) and what it closes over
        digest.update(f"{value.__module__}.{value.__qualname__}\0".encode())
        _feed(digest, value.__defaults__, depth + 1)
        _feed(digest, [cell.cell_contents for cell in value.__closure__ or ()], depth + 1)
    else:
        digest.update(secrets.token_bytes(16))
