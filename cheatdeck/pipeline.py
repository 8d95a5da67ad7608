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
from cheatdeck.sheet import SheetOptions
from cheatdeck.sources import load_sources

log = logging.getLogger(__name__)

SHEET_FILE = "cheatsheet.pdf"
GRID_CSV = "grid.csv"
GRID_HTML = "grid.html"
ARTEFACTS = ("deck", "sheet", "grid")


@dataclass(frozen=True)
class BuildOptions:
    """What to build and how."""

    source: Path = Path("source")
    out: Path = Path("dist")
    templates: Path = SHIPPED_TEMPLATES
    sheet: SheetOptions = field(default_factory=SheetOptions)
    artefacts: tuple[str, ...] = ARTEFACTS
    dry_run: bool = False


@dataclass
class BuildReport:
    """What a build wrote, and what changed in the deck."""

    written: list[Path] = field(default_factory=list)
    deck_changes: str = ""
    deck_summary: str = ""
    sheet_pages: int = 0


def build(options: BuildOptions) -> BuildReport:
    """Validate the sources and plan every artefact, then write them into `options.out`."""
    from cheatdeck.deck import plan_deck, write_deck
    from cheatdeck.grid import grid_rows, render_grid_csv, render_grid_html
    from cheatdeck.sheet import render_sheet_html, write_sheet_pdf

    notebook = load_sources(options.source)
    lock_path = options.source / LOCK_FILE
    plan = plan_deck(notebook, options.templates, read_lock(lock_path))
    changed = plan.lock.latest()
    sheet_html = render_sheet_html(notebook, options.templates, options.sheet, changed)
    grid_csv = render_grid_csv(grid_rows(notebook))
    grid_html = render_grid_html(notebook, options.templates, changed, SHEET_FILE)
    report = BuildReport(deck_changes=plan.changes.describe(), deck_summary=plan.describe())
    log.info("deck: %s", report.deck_summary)
    log.info("changes since the last build: %s", report.deck_changes.replace("\n", "; "))
    if options.dry_run:
        return report

    out = options.out
    out.mkdir(parents=True, exist_ok=True)
    report.written.append(
        write_atomically(out / f"{notebook.deck.id}.apkg", lambda tmp: write_deck(plan, tmp))
    )

    def write_sheet(tmp: Path) -> None:
        report.sheet_pages = write_sheet_pdf(sheet_html, tmp, changed, options.source)

    report.written.append(write_atomically(out / SHEET_FILE, write_sheet))
    log.info("cheat sheet: %d pages", report.sheet_pages)
    report.written.append(write_text_atomically(out / GRID_CSV, grid_csv))
    report.written.append(write_text_atomically(out / GRID_HTML, grid_html))
    write_text_atomically(lock_path, dump_lock(plan.lock), only_if_changed=True)
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


def write_text_atomically(target: Path, text: str, only_if_changed: bool = False) -> Path:
    """Write UTF-8 text (LF line endings) to `target` atomically; optionally skip identical content."""
    if only_if_changed and target.is_file() and target.read_text(encoding="utf-8") == text:
        return target
    return write_atomically(target, lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""))
