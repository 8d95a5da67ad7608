"""What the last build consumed and produced, so an unchanged build touches nothing.

`dist/.cheatdeck-state.json` records a fingerprint of every input (sources, lock, templates, options,
the tool's own code, the fonts fontconfig finds) and the hash of every output. A build whose fingerprint
matches, with every output still as written, stops before loading anything. Otherwise each artefact is
rebuilt only if what it would contain changed. The file holds hashes and a stat cache (size, mtime,
inode → hash) so a no-op build does not re-read unchanged files, however large the media.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from cheatdeck import PACKAGE_DIR, __version__
from cheatdeck.hashing import file_hash
from cheatdeck.anki.lock import LOCK_FILE
from cheatdeck.options import DRAWN, BuildOptions
from cheatdeck.tree import walk

STATE_FILE = ".cheatdeck-state.json"
_PACKAGE = PACKAGE_DIR
# A file changed less than this long before it was hashed may change again within the same timestamp
# tick (2 s on FAT): its hash is not cached, so the next build reads it again.
_SETTLED_NS = 2_000_000_000

CacheEntry = list[int | str]  # [size, mtime_ns, inode, sha256]


@dataclass
class BuildState:
    """The fingerprint of the last build's inputs, per artefact its stamp and output hashes, and the
    stat cache of every file hashed."""

    fingerprint: str = ""
    stamps: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)  # file name in out/ → sha256
    files: dict[str, CacheEntry] = field(default_factory=dict)  # "source/x.yaml", "out/x.pdf" → entry
    pending: list[str] = field(default_factory=list)  # artefacts not yet rebuilt from the latest sources

    def outputs_intact(self, out: Path, hasher: Hasher, names: Iterable[str] | None = None) -> bool:
        """Return True if the named outputs (default: all recorded) still hold what was written."""
        names = list(self.outputs if names is None else names)
        return bool(names) and all(
            hasher.hash(f"out/{name}", out / name) == self.outputs.get(name) for name in names
        )


class Hasher:
    """sha256 of files, taken from the stat cache when a file's size, mtime and inode are unchanged."""

    def __init__(self, cache: dict[str, CacheEntry]):
        self.cache = cache
        self.fresh: dict[str, CacheEntry] = {}  # what the next state file caches
        self.started = time.time_ns()

    def hash(self, key: str, path: Path, *, settled: bool = False) -> str:
        """Return the file's sha256 ('' if it is missing or unreadable). `settled`: the caller wrote the
        file itself and nothing else writes it, so it is cached however recent."""
        try:
            info = os.stat(path)
        except OSError:
            return ""
        signature: list[int | str] = [info.st_size, info.st_mtime_ns, info.st_ino]
        entry = self.cache.get(key)
        if entry is not None and entry[:3] == signature:
            self.fresh[key] = entry
            return str(entry[3])
        try:
            digest = file_hash(path)
        except OSError as error:
            return f"unreadable:{error.errno}"
        if settled or info.st_mtime_ns < self.started - _SETTLED_NS:
            self.fresh[key] = [*signature, digest]
        return digest


def input_fingerprint(options: BuildOptions, hasher: Hasher) -> str:
    """Hash everything a build reads except the lock: source and template files, options, the tool's
    own code, the versions of the libraries that shape the outputs, and (for the PDFs) the fonts."""
    digest = hashlib.sha256()
    digest.update(__version__.encode())
    for library in _LIBRARIES:
        digest.update(f"{library}={_version(library)}\0".encode())
    if set(DRAWN) & set(options.artefacts):
        from cheatdeck.sheet.fonts import fonts_digest

        digest.update(f"fonts={fonts_digest()}\0".encode())
    # Folders count by content, not by path: a copied project is as up to date as the original.
    ignored = ("source", "templates", "out", "dry_run", "force", "collection", "profile", "deleted_in_anki")
    settings = {key: value for key, value in asdict(options).items() if key not in ignored}
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for label, folder in (("source", options.source), ("templates", options.templates), ("code", _PACKAGE)):
        tree = walk(folder)
        for path in tree.files:
            relative = path.relative_to(folder).as_posix()
            if (label == "source" and relative == LOCK_FILE) or "__pycache__" in path.parts:
                continue
            key = f"{label}/{relative}"
            digest.update(f"{key}\0{hasher.hash(key, path)}\0".encode())
        for skipped in tree.skipped:  # the loader reports these; a change among them is a change
            digest.update(
                f"{label}/{skipped.path.relative_to(folder).as_posix()}\0{skipped.reason}\0".encode()
            )
    return digest.hexdigest()


def with_lock(inputs: str, lock: bytes) -> str:
    """Combine the inputs' fingerprint with the lock's bytes into the build's fingerprint."""
    return hashlib.sha256(inputs.encode() + b"\0" + lock).hexdigest()


def lock_bytes(options: BuildOptions) -> bytes:
    """Return the lock file's bytes (empty if there is none or it cannot be read)."""
    try:
        return (options.source / LOCK_FILE).read_bytes()
    except OSError:
        return b""


def current_fingerprint(options: BuildOptions, hasher: Hasher) -> str:
    """Return the fingerprint of the inputs as they are on disk now, lock included."""
    return with_lock(input_fingerprint(options, hasher), lock_bytes(options))


def _version(library: str) -> str:
    try:
        return version(library)
    except PackageNotFoundError:
        return "absent"


_LIBRARIES = (
    "genanki",
    "weasyprint",
    "jinja2",
    "markdown-it-py",
    "mdit-py-plugins",
    "ftfy",
    "pyyaml",
    "pydantic",
    "ziamath",
)


def read_state(out: Path) -> BuildState:
    """Read the state of the last build into `out` (empty if there is none or it is unreadable)."""
    try:
        data = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
        state = BuildState(**data)
    except (OSError, ValueError, TypeError, RecursionError):
        return BuildState()
    valid = (
        isinstance(state.fingerprint, str)
        and all(isinstance(part, dict) for part in (state.stamps, state.outputs, state.files))
        and isinstance(state.pending, list)
        and all(isinstance(entry, list) and len(entry) == 4 for entry in state.files.values())
    )
    return state if valid else BuildState()


def dump_state(state: BuildState) -> str:
    """Serialise the state deterministically."""
    return json.dumps(asdict(state), indent=1, sort_keys=True) + "\n"
