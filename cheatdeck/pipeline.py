"""Run a build: load and validate everything first, then write each artefact atomically."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.lock import LOCK_FILE, dump_lock, read_lock
from cheatdeck.sources import load_sources

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildOptions:
    """What to build and how."""

    source: Path = Path("source")
    out: Path = Path("dist")
    templates: Path = SHIPPED_TEMPLATES
    dry_run: bool = False


@dataclass
class BuildReport:
    """What a build wrote, and what changed in the deck."""

    written: list[Path] = field(default_factory=list)
    deck_changes: str = ""
    deck_summary: str = ""


def build(options: BuildOptions) -> BuildReport:
    """Validate the sources, plan every artefact, then write them into `options.out`."""
    from cheatdeck.deck import plan_deck, write_deck

    notebook = load_sources(options.source)
    lock_path = options.source / LOCK_FILE
    lock = read_lock(lock_path)
    plan = plan_deck(notebook, options.templates, lock)
    report = BuildReport(deck_changes=plan.changes.describe(), deck_summary=plan.describe())
    log.info("deck: %s", report.deck_summary)
    log.info("changes since the last build: %s", report.deck_changes.replace("\n", "; "))
    if options.dry_run:
        return report

    options.out.mkdir(parents=True, exist_ok=True)
    deck_path = options.out / f"{notebook.deck.id}.apkg"
    report.written.append(write_atomically(deck_path, lambda tmp: write_deck(plan, tmp)))
    lock_text = dump_lock(plan.lock)
    if not lock_path.is_file() or lock_path.read_text(encoding="utf-8") != lock_text:
        write_atomically(lock_path, lambda tmp: tmp.write_text(lock_text, encoding="utf-8"))
    for path in report.written:
        log.info("wrote %s", path)
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


def write_atomically(target: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp)` and move the result onto `target`."""
    with atomic_path(target) as temporary:
        write(temporary)
    return target
