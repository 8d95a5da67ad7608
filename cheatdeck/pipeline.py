"""Run a build: validate everything, render every changed artefact to temporary files, then move them in.

A build whose inputs are unchanged stops before loading anything and touches no file. Otherwise only the
artefacts whose content changed are rendered; if any step fails, nothing in `out/` changes.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from cheatdeck.errors import TemplateProblem
from cheatdeck.lock import LOCK_FILE, dump_lock, missing_lock_warning, read_lock
from cheatdeck.options import BuildOptions
from cheatdeck.state import (
    STATE_FILE,
    BuildState,
    current_fingerprint,
    dump_state,
    file_hash,
    input_fingerprint,
    read_state,
    with_lock,
)

log = logging.getLogger(__name__)

SHEET_FILE = "cheatsheet.pdf"
GRID_CSV = "grid.csv"
GRID_HTML = "grid.html"


@dataclass
class BuildReport:
    """What a build wrote, what it found unchanged, and what changed in the deck."""

    written: list[Path] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    up_to_date: bool = False
    deck_changes: str = ""
    deck_summary: str = ""
    sheet_pages: int | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class _Artefact:
    """One artefact: a stamp of its content and a writer per output file."""

    name: str
    stamp: str
    writers: dict[str, Callable[[Path], object]]


def build(options: BuildOptions) -> BuildReport:
    """Build every requested artefact whose inputs changed (all of them with `force`)."""
    started = time.perf_counter()
    state = read_state(options.out)
    if _up_to_date(options, state):
        log.info("nothing to do: every output is up to date")
        return BuildReport(up_to_date=True, seconds=time.perf_counter() - started)

    # Fingerprint the inputs before reading them: a file saved during the build makes the next build run.
    inputs = input_fingerprint(options)
    with _cyclic_gc_paused():
        report, artefacts, lock_text = _plan_or_explain(options)
    if options.dry_run:
        return report
    lock_path = options.source / LOCK_FILE
    todo = [a for a in artefacts if options.force or not _intact(a, state, options.out)]
    report.unchanged = [a.name for a in artefacts if a not in todo]
    writers = [(options.out / name, writer) for a in todo for name, writer in a.writers.items()]
    if "deck" in options.artefacts:  # the lock records what the deck gave Anki: only a deck build moves it
        writers += _text_if_changed(lock_path, lock_text)
    options.out.mkdir(parents=True, exist_ok=True)
    report.written = [path for path in _write_all(writers) if path != lock_path]

    written_lock = lock_path.read_text(encoding="utf-8") if lock_path.is_file() else ""
    new_state = BuildState(with_lock(inputs, written_lock), dict(state.stamps), dict(state.outputs))
    for artefact in artefacts:
        new_state.stamps[artefact.name] = artefact.stamp
        for name in artefact.writers:
            new_state.outputs[name] = file_hash(options.out / name)
    _write_all(_text_if_changed(options.out / STATE_FILE, dump_state(new_state)))
    report.seconds = time.perf_counter() - started
    for path in report.written:
        log.info("wrote %s", path)
    if report.unchanged:
        log.info("unchanged: %s", ", ".join(report.unchanged))
    return report


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while planning: a large build allocates millions of small objects,
    none in reference cycles worth collecting, and the collector's passes over them cost a third of the
    time (5,000 notes: 3.2 s → 2.2 s). Reference counting still frees memory as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _up_to_date(options: BuildOptions, state: BuildState) -> bool:
    return (
        not options.force
        and not options.dry_run
        and set(options.artefacts) <= set(state.stamps)
        and state.fingerprint == current_fingerprint(options)
        and state.outputs_intact(options.out)
    )


def _intact(artefact: _Artefact, state: BuildState, out: Path) -> bool:
    return state.stamps.get(artefact.name) == artefact.stamp and state.outputs_intact(out, artefact.writers)


def _plan_or_explain(options: BuildOptions) -> tuple[BuildReport, list[_Artefact], str]:
    """Plan the build; turn a broken template into a `TemplateProblem` naming the file and line."""
    import jinja2

    try:
        return _plan(options)
    except jinja2.TemplateSyntaxError as error:
        where = f"{error.filename or error.name}:{error.lineno}"
        raise TemplateProblem(f"{where}: template syntax error: {error.message}") from None
    except jinja2.TemplateError as error:
        raise TemplateProblem(f"{options.templates}: template error: {error}") from None
    except UnicodeDecodeError as error:
        raise TemplateProblem(f"{options.templates}: a template is not UTF-8 ({error.reason})") from None


def _plan(options: BuildOptions) -> tuple[BuildReport, list[_Artefact], str]:
    """Load and validate the sources, then render what each artefact will contain."""
    from cheatdeck.deck import write_deck
    from cheatdeck.grid import grid_rows, render_grid_csv, render_grid_html
    from cheatdeck.reconcile import plan_deck
    from cheatdeck.sheet import glyph_warnings, render_sheet_html, write_sheet_pdf
    from cheatdeck.sources import load_sources

    notebook = load_sources(options.source)
    for warning in notebook.warnings:
        log.warning("%s", warning)
    lock_path = options.source / LOCK_FILE
    lock_warning = missing_lock_warning(lock_path, options.out / STATE_FILE)
    if lock_warning and "deck" in options.artefacts:
        log.warning("%s", lock_warning)
    plan = plan_deck(notebook, options.templates, read_lock(lock_path), forget_retired=options.forget_retired)
    changed = plan.lock.latest()
    report = BuildReport(deck_changes=plan.changes.describe(), deck_summary=plan.describe())
    log.info("deck: %s", report.deck_summary)
    log.info("changes since the last build: %s", report.deck_changes.replace("\n", "; "))

    artefacts = []
    if "deck" in options.artefacts:
        stamp = _stamp(version("genanki"), plan.digest())
        artefacts.append(
            _Artefact("deck", stamp, {f"{notebook.deck.id}.apkg": lambda tmp: write_deck(plan, tmp)})
        )
    if "sheet" in options.artefacts:
        html = _rendered(lambda: render_sheet_html(notebook, options.templates, options.sheet, changed))
        for warning in glyph_warnings(notebook):
            log.warning("%s", warning)

        def write_sheet(tmp: Path) -> None:
            report.sheet_pages = write_sheet_pdf(html, tmp, changed, options.source)
            log.info("cheat sheet: %d pages", report.sheet_pages)

        artefacts.append(_Artefact("sheet", _stamp(version("weasyprint"), html), {SHEET_FILE: write_sheet}))
    if "grid" in options.artefacts:
        csv_text = render_grid_csv(grid_rows(notebook))
        html_text = _rendered(lambda: render_grid_html(notebook, options.templates, changed, SHEET_FILE))
        artefacts.append(
            _Artefact(
                "grid",
                _stamp(csv_text, html_text),
                {
                    GRID_CSV: lambda tmp: _write_text(tmp, csv_text),
                    GRID_HTML: lambda tmp: _write_text(tmp, html_text),
                },
            )
        )
    return report, artefacts, dump_lock(plan.lock)


def _rendered(render: Callable[[], str]) -> str:
    """Run a template; an error raised inside a user's template (say, a division by zero) is a
    `TemplateProblem`, not a traceback. Jinja's own errors are explained by the caller."""
    import jinja2

    try:
        return render()
    except jinja2.TemplateError:
        raise
    except Exception as error:
        raise TemplateProblem(f"template failed while rendering: {type(error).__name__}: {error}") from None


def _stamp(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


Writer = tuple[Path, Callable[[Path], object]]


def _text_if_changed(target: Path, text: str) -> list[Writer]:
    """Return a writer of `text` to `target`, or none if the file already holds exactly that."""
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return []
    return [(target, lambda tmp: _write_text(tmp, text))]


def _write_all(writers: list[Writer]) -> list[Path]:
    """Write every file to a temporary name first; move them into place only once all succeeded."""
    staged: list[tuple[Path, Path]] = []
    written: list[Path] = []
    try:
        for target, write in writers:
            temporary = _temporary_beside(target)
            staged.append((temporary, target))
            write(temporary)
        for temporary, target in staged:
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
            written.append(target)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    return written


def _temporary_beside(target: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    return Path(name)


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="")
