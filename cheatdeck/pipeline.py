"""Run a build: load and validate everything first, then write each artefact atomically."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cheatdeck.sources import load_sources

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildOptions:
    """What to build and how."""

    source: Path = Path("source")
    out: Path = Path("dist")


@dataclass
class BuildReport:
    """What a build wrote."""

    written: list[Path] = field(default_factory=list)


def build(options: BuildOptions) -> BuildReport:
    """Validate the sources, then write every artefact into `options.out`."""
    notebook = load_sources(options.source)
    report = BuildReport()
    options.out.mkdir(parents=True, exist_ok=True)
    log.info("%d notes loaded from %s", len(notebook.notes), options.source)
    return report


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomically(target: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` and move the result onto `target`."""
    with atomic_path(target) as temporary:
        write(temporary)
    return target
