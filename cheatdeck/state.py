"""What the last build consumed and produced, so an unchanged build touches nothing.

`dist/.cheatdeck-state.json` records a fingerprint of every input (sources, lock, templates, options,
the tool's own code) and the hash of every output. A build whose fingerprint matches, with every output
still as written, stops before loading anything. Otherwise each artefact is rebuilt only if what it
would contain changed. The file holds hashes only, never times.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from cheatdeck import __version__
from cheatdeck.lock import LOCK_FILE
from cheatdeck.options import BuildOptions

STATE_FILE = ".cheatdeck-state.json"
_PACKAGE = Path(__file__).resolve().parent


@dataclass
class BuildState:
    """The fingerprint of the last build's inputs and, per artefact, its stamp and output hashes."""

    fingerprint: str = ""
    stamps: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)  # file name in out/ → sha256

    def outputs_intact(self, out: Path, names: Iterable[str] | None = None) -> bool:
        """Return True if the named outputs (default: all recorded) still hold what was written."""
        names = list(self.outputs if names is None else names)
        return bool(names) and all(
            (out / name).is_file() and file_hash(out / name) == self.outputs.get(name) for name in names
        )


def file_hash(path: Path) -> str:
    """Return the sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def input_fingerprint(options: BuildOptions) -> str:
    """Hash everything a build reads except the lock: source and template files, options, the tool's
    own code and the versions of the libraries that shape the outputs."""
    digest = hashlib.sha256()
    digest.update(__version__.encode())
    for library in _LIBRARIES:
        digest.update(f"{library}={_version(library)}\0".encode())
    # Folders count by content, not by path: a copied project is as up to date as the original.
    ignored = ("source", "templates", "out", "dry_run", "force")
    settings = {key: value for key, value in asdict(options).items() if key not in ignored}
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for label, folder in (("source", options.source), ("templates", options.templates), ("code", _PACKAGE)):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            if label == "source" and path == options.source / LOCK_FILE:
                continue
            digest.update(f"{label}/{path.relative_to(folder).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def with_lock(inputs: str, lock_text: str) -> str:
    """Combine the inputs' fingerprint with the lock's text into the build's fingerprint."""
    return hashlib.sha256(f"{inputs}\0{lock_text}".encode()).hexdigest()


def current_fingerprint(options: BuildOptions) -> str:
    """Return the fingerprint of the inputs as they are on disk now, lock included."""
    lock = options.source / LOCK_FILE
    return with_lock(input_fingerprint(options), lock.read_text(encoding="utf-8") if lock.is_file() else "")


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
)


def read_state(out: Path) -> BuildState:
    """Read the state of the last build into `out` (empty if there is none or it is unreadable)."""
    try:
        return BuildState(**json.loads((out / STATE_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return BuildState()


def dump_state(state: BuildState) -> str:
    """Serialise the state deterministically."""
    return json.dumps(asdict(state), indent=1, sort_keys=True) + "\n"
