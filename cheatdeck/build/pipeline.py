"""Run a build: validate everything, render every changed artefact to temporary files, then move them in.

A build whose inputs are unchanged stops before loading anything and touches no file. Otherwise only the
artefacts whose content changed are rendered; if any step fails, nothing in `out/` changes.
"""

from __future__ import annotations

import difflib
import gc
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

from cheatdeck.errors import Advice, OutputError, TemplateProblem, UsageError, template_problems
from cheatdeck.anki.lock import LOCK_FILE, dump_lock, missing_lock_warning, read_lock
from cheatdeck.options import ARTEFACTS, DRAWN, BuildOptions, SheetOptions
from cheatdeck.outputs import GRID_CSV, GRID_HTML, SHEET_FILE, Artefact, Shared, load_output
from cheatdeck.build.state import (
    STATE_FILE,
    BuildState,
    Hasher,
    dump_state,
    input_fingerprint,
    lock_bytes,
    read_state,
    with_lock,
)
from cheatdeck.transaction import InputMoved, commit, recover
from cheatdeck.tree import walk

if TYPE_CHECKING:
    from cheatdeck.sheet.pdf import Ahead
    from cheatdeck.notes.model import Notebook
    from cheatdeck.anki.reconcile import DeckPlan, SourceNotes

log = logging.getLogger(__name__)

__all__ = ["GRID_CSV", "GRID_HTML", "SHEET_FILE", "BuildReport", "build"]


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
    printed_day: str | None = None  # the day the sheet and the grid print, if this build planned them
    why: dict[Path, str] = field(default_factory=dict)  # each file written → why it was rewritten
    advice: list[Advice] = field(default_factory=list)  # warnings and next steps, for the command to say once


_ATTEMPTS = 3  # builds planned again when a sync writes the lock while they run


def build(
    options: BuildOptions,
    *,
    later: tuple[str, ...] = (),
    committed: Callable[[BuildReport], object] | None = None,
) -> BuildReport:
    """Build every requested artefact whose inputs changed (all of them with `force`).

    If the lock changes while the build runs (a sync beside it deleted notes), nothing is written and
    the build starts again from the new lock: a deck planned from the old one would ship them again.

    `later`: artefacts written after the others, from the same plan, in a commit of their own (`watch`:
    the deck and grid are out before the sheet's layout). The first commit's state lists them as pending,
    and `committed` (if given) is called with its report; a failure after it keeps what it wrote. The
    report returned is the second commit's (its `seconds`: from the first commit on)."""
    for _ in range(_ATTEMPTS - 1):
        try:
            return _build(options, later, committed)
        except InputMoved as moved:
            log.info("%s changed during the build (a sync?): building again", moved.path)
    try:
        return _build(options, later, committed)
    except InputMoved as moved:
        raise OutputError(
            f"{moved.path} kept changing during the build; nothing written, the previous outputs are kept"
        ) from None


@dataclass
class _Planned:
    """A build planned and ready to commit, in one go or in two (see `build`'s `later`)."""

    options: BuildOptions
    started: float
    state: BuildState  # the state on disk: the last build's, then this build's first commit's
    hasher: Hasher
    inputs: str  # the inputs' fingerprint, taken before reading them
    lock: bytes  # the lock on disk as the plan read it, then as the first commit left it
    kinds: dict[str, str]
    report: BuildReport
    artefacts: list[Artefact]
    lock_text: str
    todo: list[Artefact]


def _build(
    options: BuildOptions,
    later: tuple[str, ...] = (),
    committed: Callable[[BuildReport], object] | None = None,
) -> BuildReport:
    split = set(options.artefacts) & set(later) and set(options.artefacts) - set(later)
    workers: list[Ahead] = []
    try:
        try:
            planned = _prepare(options, _ahead(options, later, workers) if split else None)
        except Exception:
            _stop(workers)
            _write_first_alone(options, later, committed)
            raise
        if isinstance(planned, BuildReport):  # up to date, or a dry run
            return planned
        names = [artefact.name for artefact in planned.artefacts]
        second = [name for name in names if name in later]
        first = [name for name in names if name not in later]
        if not (first and second):
            return _commit(planned, names, planned.options.pending)
        if not any(artefact.name in _AHEAD for artefact in planned.todo):
            _stop(workers)  # what it lays out is not written
        quick = _commit_first(planned, first, second)
        if committed is not None:
            committed(quick)
        for worker in workers:  # the sheet's write finds what it laid out in the cache
            worker.wait()
    except BaseException:
        _stop(workers)
        raise
    planned.started = time.perf_counter()
    return _commit(planned, second, planned.options.pending)


_AHEAD = ("sheet",)
"""The outputs whose writer keeps its work in the out folder's cache (the sheet's parts, laid out): run
ahead in a worker process while the other outputs are written, it saves the write after its time."""


def _ahead(options: BuildOptions, later: tuple[str, ...], workers: list[Ahead]) -> Callable[[Artefact], None]:
    """What to do with each artefact as soon as it is planned: an output of `later` in `_AHEAD` starts its
    writer in a worker process, in `workers` (`sheet.pdf.lay_out_ahead`); not for a forced build, which
    lays out every part again whatever the cache holds, nor for a dry run."""

    def planned(artefact: Artefact) -> None:
        if artefact.name in later and artefact.name in _AHEAD and not (options.force or options.dry_run):
            from cheatdeck.sheet.pdf import lay_out_ahead

            worker = lay_out_ahead(artefact.writers[SHEET_FILE])
            workers.extend([worker] if worker is not None else [])

    return planned


def _write_first_alone(
    options: BuildOptions, later: tuple[str, ...], committed: Callable[[BuildReport], object] | None
) -> None:
    """The plan failed while `later` artefacts were planned with others (a sheet template's error): plan
    and write the others without them, as a build of their own would write them (`committed` is told);
    the caller then raises the error."""
    first = tuple(name for name in options.artefacts if name not in later)
    if later and first and not options.dry_run and len(first) < len(options.artefacts):
        pending = (*options.pending, *(name for name in options.artefacts if name in later))
        quick = _build(replace(options, artefacts=first, pending=pending))
        if committed is not None:
            committed(quick)


def _stop(workers: list[Ahead]) -> None:
    for worker in workers:
        worker.stop()
    workers.clear()


def _commit_first(planned: _Planned, first: list[str], second: list[str]) -> BuildReport:
    """Commit the artefacts `first`, the others (`second`) listed as pending; return a report of it."""
    quick_up_to_date = not planned.options.deleted_in_anki and _up_to_date(
        replace(planned.options, artefacts=tuple(first)),
        planned.state,
        with_lock(planned.inputs, planned.lock),
        planned.hasher,
    )
    report = _commit(planned, first, (*planned.options.pending, *second))
    quick = replace(report, up_to_date=quick_up_to_date, why=dict(report.why), advice=list(report.advice))
    quick.written, quick.unchanged = list(report.written), list(report.unchanged)
    return quick


def _prepare(
    options: BuildOptions, early: Callable[[Artefact], None] | None = None
) -> BuildReport | _Planned:
    """Plan the build (`early`: called with each artefact as soon as it is planned); an up-to-date
    build, or a dry run, stops here with its report."""
    started = time.perf_counter()
    check_options(options)
    lock_path = options.source / LOCK_FILE
    recover(options.out, [lock_path.parent])  # a build killed mid-commit is undone first
    state = read_state(options.out)
    hasher = Hasher(state.files)
    # Fingerprint the inputs before reading them: a file saved during the build makes the next build run.
    inputs = input_fingerprint(options, hasher)
    planned_from = lock_bytes(options)  # the lock as the plan will read it, checked again at the commit
    advice: list[Advice] = []
    deleted = _deleted_in_anki(options, advice)
    if not deleted and _up_to_date(options, state, with_lock(inputs, planned_from), hasher):
        log.info("nothing to do: every output is up to date")
        advice += _remind_retired(options, deleted is not None)
        return BuildReport(up_to_date=True, seconds=time.perf_counter() - started, advice=advice)
    options = replace(options, deleted_in_anki=deleted)

    kinds = _input_kinds(options, hasher)  # taken before reading, as the fingerprint is
    with _cyclic_gc_paused():
        notes_now = lambda: _tree_digest(options.source, "source", hasher, leave_out=LOCK_FILE)  # noqa: E731
        templates_now = lambda: _tree_digest(options.templates, "templates", hasher)  # noqa: E731
        report, artefacts, lock_text = _plan_or_explain(options, kinds, notes_now, templates_now, early)
    report.advice[:0] = advice
    if options.dry_run:
        return report
    todo = [a for a in artefacts if options.force or not _intact(a, state, options.out, hasher)]
    day = report.printed_day
    for artefact in todo:
        why = _why_rewritten(
            artefact, state, options, hasher, _made_from(artefact.name, kinds, planned_from, day)
        )
        report.why.update({options.out / name: why for name in artefact.writers})
    report.advice += _font_notices(todo, options.templates)
    return _Planned(
        options, started, state, hasher, inputs, planned_from, kinds, report, artefacts, lock_text, todo
    )


def _commit(planned: _Planned, names: list[str], pending: tuple[str, ...]) -> BuildReport:
    """Write the planned artefacts `names` whose content changed (the lock with the deck) and the state,
    all or nothing, unless the lock moved since it was read (`InputMoved`); leave `pending` listed as
    not yet rebuilt. Return the report (the plan's own)."""
    options, state, hasher, report = planned.options, planned.state, planned.hasher, planned.report
    lock_path = options.source / LOCK_FILE
    artefacts = [artefact for artefact in planned.artefacts if artefact.name in names]
    todo = [artefact for artefact in planned.todo if artefact.name in names]
    report.unchanged = [a.name for a in artefacts if a not in todo]
    lock = planned.lock
    files: list[Writer] = []
    lock_text = planned.lock_text
    if "deck" in names and lock != lock_text.encode():
        # The lock records what the deck gave Anki: only a deck build moves it, together with the deck.
        lock = lock_text.encode()
        files.append((lock_path, lambda tmp: _write_text(tmp, lock_text)))
    new_state = BuildState(
        with_lock(planned.inputs, lock), dict(state.stamps), dict(state.outputs), hasher.fresh
    )
    day = report.printed_day
    new_state.stamps.update({artefact.name: artefact.stamp for artefact in artefacts})
    new_state.stamps.update(
        {_MADE_FROM.format(a.name): _made_from(a.name, planned.kinds, lock, day) for a in artefacts}
    )
    new_state.pending = sorted((set(state.pending) - set(names)) | set(pending))
    for artefact in todo:
        for name, write in artefact.writers.items():
            files.append((options.out / name, _recording(name, write, new_state, hasher)))
    if files or dump_state(new_state) != dump_state(state):
        files.append((options.out / STATE_FILE, lambda tmp: _write_text(tmp, dump_state(new_state))))
    written = commit(options.out, files, unchanged={lock_path: planned.lock})
    planned.state, planned.lock = new_state, lock
    report.written = [path for path in written if path not in (lock_path, options.out / STATE_FILE)]
    report.seconds = time.perf_counter() - planned.started
    for path in report.written:
        log.info("wrote %s: %s", path, report.why[path])
    if report.unchanged:
        log.info("unchanged: %s", ", ".join(report.unchanged))
    return report


_MADE_FROM = "{} made from"
"""The state's record, beside each artefact's stamp, of what its last build read (see `_made_from`)."""
_CHANGES = {
    "notes": "notes changed",
    "lock": "the lock changed",
    "templates": "templates changed",
    "options": "options changed",
    "fonts": "the installed fonts changed",
    "day": "the printed day moved",
}


def _input_kinds(options: BuildOptions, hasher: Hasher) -> dict[str, str]:
    """Digest each kind of input apart (the lock aside), so a later build can say which kind changed."""
    digests = {
        "notes": _tree_digest(options.source, "source", hasher, leave_out=LOCK_FILE),
        "templates": _tree_digest(options.templates, "templates", hasher),
        "options": _options_digest(options),
    }
    if set(DRAWN) & set(options.artefacts):
        from cheatdeck.sheet.fonts import fonts_digest

        digests["fonts"] = fonts_digest()[:12]
    return digests


def _made_from(name: str, inputs: dict[str, str], lock: bytes, day: str | None) -> str:
    """Return the record of what artefact `name` is built from, one digest per kind of input
    (`notes=… lock=… templates=… options=… day=2026-12-07`)."""
    kinds = {**inputs, "lock": hashlib.sha256(lock).hexdigest()[:12]}
    if name not in DRAWN:  # only the PDFs are drawn with the fonts and shaped by the layout options
        kinds.pop("fonts", None)
        kinds.pop("options", None)
    if day is not None and "date" in load_output(name).needs:
        kinds["day"] = day
    return " ".join(f"{kind}={value}" for kind, value in kinds.items())


def _why_rewritten(
    artefact: Artefact, state: BuildState, options: BuildOptions, hasher: Hasher, now: str
) -> str:
    """Say in a few words why `artefact` is written again: forced, never built here, its file changed in
    the out folder, or which kinds of input changed since it was last built (`now`: their record)."""
    if options.force:
        return "forced (--force)"
    if artefact.name not in state.stamps:
        return f"not built in {options.out} before"
    if state.stamps[artefact.name] == artefact.stamp:
        out = options.out
        lost = [
            name
            for name in artefact.writers
            if hasher.hash(f"out/{name}", out / name) != state.outputs.get(name)
        ]
        return f"{' and '.join(lost)} {'was' if len(lost) == 1 else 'were'} changed or removed in {out}"
    before = _parse_record(state.stamps.get(_MADE_FROM.format(artefact.name), ""))
    if not before:
        return "its content changed"
    after = _parse_record(now)
    reasons = [
        words + (f" ({before[kind]} → {after[kind]})" if kind == "day" else "")
        for kind, words in _CHANGES.items()
        if kind in before and kind in after and before[kind] != after[kind]
    ]
    return ", ".join(reasons) or "cheatdeck or a library it uses changed"


def _parse_record(record: str) -> dict[str, str]:
    return dict(part.partition("=")[::2] for part in record.split())


def _tree_digest(folder: Path, label: str, hasher: Hasher, leave_out: str = "") -> str:
    """Digest the readable files of `folder` by content (through the build's stat cache)."""
    digest = hashlib.sha256()
    tree = walk(folder)
    for path in tree.files:
        relative = path.relative_to(folder).as_posix()
        if relative != leave_out and "__pycache__" not in path.parts:
            digest.update(f"{relative}\0{hasher.hash(f'{label}/{relative}', path)}\0".encode())
    for skipped in tree.skipped:
        digest.update(f"{skipped.path.relative_to(folder).as_posix()}\0{skipped.reason}\0".encode())
    return digest.hexdigest()[:12]


def _options_digest(options: BuildOptions) -> str:
    """Digest the options that shape the PDFs (`--forget-retired` shows as a change of the lock)."""
    shaping = {"sheet": asdict(options.sheet), "flashcards": asdict(options.flashcards)}
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:12]


def _font_notices(todo: list[Artefact], templates: Path) -> list[Advice]:
    """Before a PDF is written, say once if its type is missing (the sheet would fall back to a wider
    face without a word) or its fonts will be subset the slow way (WeasyPrint would say so for every
    font of every part of the sheet)."""
    if any(artefact.name == "sheet" for artefact in todo):
        from cheatdeck.sheet.fonts import missing_face_notice, subset_notice

        return [Advice(notice) for notice in (missing_face_notice(templates), subset_notice()) if notice]
    return []


def _deleted_in_anki(options: BuildOptions, advice: list[Advice]) -> frozenset[str] | None:
    """Return the GUIDs of the retired notes the learner deleted from their collection, when the build is
    told where it is (a profile or a collection file) and can read it; None if it cannot see it (said).

    A collection that holds none of the deck's notes (another learner's profile, a fresh one) forgets
    nothing: the notes would be missing there because they were never imported."""
    if "deck" not in options.artefacts or (options.profile is None and options.collection is None):
        return None
    from cheatdeck.anki.lock import DELETED, RETIRED
    from cheatdeck.anki.reconcile import older_versions
    from cheatdeck.anki.seen import notes_in_collection
    from cheatdeck.errors import SyncError

    from cheatdeck.anki.sync import find_collection

    lock = read_lock(options.source / LOCK_FILE)
    notes = lock.notes
    retired = {guid for guid, note in notes.items() if note.state == RETIRED} | set(older_versions(lock))
    try:
        if not retired:  # nothing to read for, but a profile that is not there is said at once
            find_collection(options.collection, options.profile)
            return frozenset()
        seen = notes_in_collection(options.collection, options.profile)
    except SyncError as error:
        advice.append(Advice(f"{error}; this build cannot see which retired notes you deleted there"))
        return None
    if not seen.guids & {guid for guid, note in notes.items() if note.state != DELETED}:
        advice.append(Advice(f"{seen.path} holds no note of this deck: no retired note is forgotten by it"))
        return None
    return frozenset(retired - seen.guids)


def _remind_retired(options: BuildOptions, sees_collection: bool) -> list[Advice]:
    """Say on an up-to-date build too what a planned one says each time: notes shipped under an older
    note-type version (an import doubles them), and how many retired notes the deck still ships."""
    if "deck" not in options.artefacts:
        return []
    from cheatdeck.anki.reconcile import (
        older_version_advice,
        older_versions,
        retired_in_lock,
        retired_reminder,
    )

    lock = read_lock(options.source / LOCK_FILE)
    reminders = (
        older_version_advice(list(older_versions(lock).values()), lock.deck),
        retired_reminder(retired_in_lock(lock), sees_collection=sees_collection),
    )
    return [advice for advice in reminders if advice]


def check_options(options: BuildOptions) -> None:
    """Refuse options no build can honour: an out folder inside the notes folder (the outputs would be
    read back as sources, and no build would ever be up to date)."""
    source, out = options.source.resolve(), options.out.resolve()
    if out == source or out.is_relative_to(source):
        raise UsageError(
            f"--out {options.out} is inside --source {options.source}; choose a folder outside it"
        )


def _recording(
    name: str, write: Callable[[Path], object], state: BuildState, hasher: Hasher
) -> Callable[[Path], None]:
    """Wrap a writer so the state records the hash of what it wrote (a rename keeps the file's stat)."""

    def run(temporary: Path) -> None:
        write(temporary)
        state.outputs[name] = hasher.hash(f"out/{name}", temporary, settled=True)

    return run


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


def _up_to_date(options: BuildOptions, state: BuildState, fingerprint: str, hasher: Hasher) -> bool:
    return (
        not options.force
        and not options.dry_run
        and set(options.artefacts) <= set(state.stamps)
        and not set(options.artefacts) & set(state.pending)
        and state.fingerprint == fingerprint
        and state.outputs_intact(options.out, hasher)
    )


def _intact(artefact: Artefact, state: BuildState, out: Path, hasher: Hasher) -> bool:
    return state.stamps.get(artefact.name) == artefact.stamp and state.outputs_intact(
        out, hasher, artefact.writers
    )


def _plan_or_explain(
    options: BuildOptions,
    kinds: dict[str, str],
    notes_now: Callable[[], str],
    templates_now: Callable[[], str],
    early: Callable[[Artefact], None] | None = None,
) -> tuple[BuildReport, list[Artefact], str]:
    """Plan the build; turn a broken template into a `TemplateProblem` naming the file and line."""
    with template_problems(options.templates):
        return _plan(options, kinds, notes_now, templates_now, early)


def _check_selection(notebook: Notebook, sheet: SheetOptions) -> None:
    """Refuse a `--tag` or `--only` value that selects nothing: a typo must not print an empty sheet."""
    from cheatdeck.sheet.document import select_notes

    tags = sorted({tag for note in notebook.notes for tag in note.tags})
    kinds = sorted({note.kind.value for note in notebook.notes})
    problems = [
        f"--tag {tag}: no note has this tag{_did_you_mean(tag, tags)}"
        for tag in sheet.tags
        if tag not in tags
    ]
    problems += [
        f"--only {kind}: no note is of this kind (the notes have {', '.join(kinds)})"
        for kind in sheet.only_kinds
        if kind not in kinds
    ]
    if not problems and not select_notes(notebook, sheet):
        problems.append("--only and --tag together select no note")
    if problems:
        raise UsageError("; ".join(problems))


def _did_you_mean(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_card_templates(templates: Path) -> None:
    """Parse every Anki card template as genanki will (a stray `{{` is a message, not a traceback)."""
    from chevron import ChevronError  # type: ignore[import-untyped]
    from chevron.tokenizer import tokenize  # type: ignore[import-untyped]

    problems = []
    for path in sorted((templates / "anki").glob("*.html")):
        text = path.read_text(encoding="utf-8")
        try:
            for _ in tokenize(text):
                pass
        except ChevronError as error:
            message = "; ".join(str(error).splitlines())
            raise TemplateProblem(f"{path}: card template error: {message}") from None
        problems += [f"{path}:{line}: {problem}" for line, problem in _unsafe_field_uses(text)]
    if problems:
        raise TemplateProblem("\n".join(problems))


_TAG = re.compile(r"<[^<>]*>")
_FIELD = re.compile(r"\{\{([^{}]*)\}\}")


def _unsafe_field_uses(template: str) -> list[tuple[int, str]]:
    """Return (line, problem) for each field a card template could let become markup: one inside a tag
    (an attribute: Anki puts a field's text there as it is) or behind `text:` (which decodes `&lt;`)."""
    found = []
    for tag in _TAG.finditer(template):
        for ref in _FIELD.finditer(tag[0]):
            line = template.count("\n", 0, tag.start() + ref.start()) + 1
            found.append((line, f"{ref[0]} is inside a tag: a card template puts fields between tags only"))
    for ref in _FIELD.finditer(template):
        if "text" in (part.strip() for part in ref[1].split(":")[:-1]):
            line = template.count("\n", 0, ref.start()) + 1
            found.append(
                (
                    line,
                    f"{ref[0]}: the text: filter turns a field's escaped text into markup; write the field",
                )
            )
    return sorted(found)


class _Notebooks:
    """The notebook the last build read, by its folder and the digest of its files: a build planned again
    with the same notes (a sync moved the lock mid-build, a template was saved) does not read the notes
    folder again. Emptied by `cheatdeck.forget_caches`, as the functools caches are."""

    def __init__(self) -> None:
        self.last: dict[tuple[Path, str], Notebook] = {}

    def cache_info(self) -> SimpleNamespace:
        """How many notebooks are kept (one at most)."""
        return SimpleNamespace(currsize=len(self.last), maxsize=1)

    def cache_clear(self) -> None:
        """Forget the notebook."""
        self.last.clear()

    def load(self, source: Path, notes: str, notes_now: Callable[[], str]) -> Notebook:
        """Return the notebook of `source`, whose files had digest `notes` before reading; it is kept
        only if they still have it after (a save while reading is read by the next build)."""
        from cheatdeck.notes.sources import load_sources

        key = (source.resolve(), notes)
        if key in self.last:
            return self.last[key]
        notebook = load_sources(source)
        self.last.clear()
        if notes_now() == notes:
            self.last[key] = notebook
        return notebook


_NOTEBOOKS = _Notebooks()


class _SourceNotes:
    """The notes the last deck plan made from its notebook and templates, before reading the lock
    (`reconcile.plan_notes`, most of a deck plan's time): a build planned again from the same notes (a
    sync moved the lock mid-build) takes them and reconciles them with the lock as it is now, as a fresh
    plan would. Kept only for the very notebook `_NOTEBOOKS` handed out (same notes folder, same
    files), templates whose files had the same digest before and after planning, and the same note types
    (code, but a version bump changes them in one process). Emptied by `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.last: dict[tuple[Path, str], tuple[Notebook, object, SourceNotes]] = {}

    def cache_info(self) -> SimpleNamespace:
        """How many plans are kept (one at most)."""
        return SimpleNamespace(currsize=len(self.last), maxsize=1)

    def cache_clear(self) -> None:
        """Forget the planned notes."""
        self.last.clear()

    def plan(
        self, notebook: Notebook, templates: Path, digest: str, templates_now: Callable[[], str]
    ) -> SourceNotes:
        """Return `reconcile.plan_notes(notebook, templates)`, whose files had `digest` before planning."""
        from cheatdeck.anki.reconcile import note_types_now, plan_notes

        key = (templates.resolve(), digest)
        kept = self.last.get(key)
        notetypes = note_types_now()
        if kept is not None and kept[0] is notebook and kept[1] == notetypes:
            return kept[2]
        planned = plan_notes(notebook, templates)
        self.last.clear()
        if templates_now() == digest and notetypes == note_types_now():
            self.last[key] = (notebook, notetypes, planned)
        return planned


_SOURCE_NOTES = _SourceNotes()


def _plan(
    options: BuildOptions,
    kinds: dict[str, str],
    notes_now: Callable[[], str],
    templates_now: Callable[[], str],
    early: Callable[[Artefact], None] | None = None,
) -> tuple[BuildReport, list[Artefact], str]:
    """Load and validate the sources, compute what the requested outputs need, then plan each output
    (`early`: called with each one's artefact as soon as it is planned)."""
    notebook = _NOTEBOOKS.load(options.source, kinds["notes"], notes_now)
    if "sheet" in options.artefacts:
        _check_selection(notebook, options.sheet)
    outputs = [load_output(name) for name in ARTEFACTS if name in options.artefacts]
    needs = {need for output in outputs for need in output.needs}
    report = BuildReport(advice=[Advice(str(warning)) for warning in notebook.warnings])
    shared = Shared(options, notebook, report)
    lock_path = options.source / LOCK_FILE
    if "plan" in needs:
        templates = (kinds["templates"], templates_now)
        shared.computed["plan"] = _plan_deck(options, notebook, report, templates)
    if "date" in needs:  # the lock this build leaves behind: the deck's, if one is planned; else the file
        from cheatdeck.templating import format_day

        lock = shared.plan.lock if "plan" in needs else read_lock(lock_path)
        shared.computed["date"] = lock.latest()
        report.printed_day = format_day(lock.latest())
    if "grid" in needs:
        from cheatdeck.grid import grid_rows

        shared.computed["grid"] = grid_rows(notebook)
    artefacts = []
    for output in outputs:
        artefacts.append(output.plan(shared))
        if early is not None:
            early(artefacts[-1])
    return report, artefacts, dump_lock(shared.plan.lock) if "plan" in needs else ""


def _plan_deck(
    options: BuildOptions,
    notebook: Notebook,
    report: BuildReport,
    templates: tuple[str, Callable[[], str]],
) -> DeckPlan:
    """Plan the deck against the lock; say what changed since the last deck build. `templates`: the
    digest of the templates' files taken before reading them, and how to take it again."""
    from cheatdeck.anki.reconcile import plan_deck

    _check_card_templates(options.templates)
    source_notes = _SOURCE_NOTES.plan(notebook, options.templates, *templates)
    lock_path = options.source / LOCK_FILE
    lock_warning = missing_lock_warning(lock_path, options.out / STATE_FILE)
    if lock_warning and "deck" in options.artefacts:
        report.advice.append(Advice(lock_warning))
    plan = plan_deck(
        notebook,
        options.templates,
        read_lock(lock_path),
        forget_retired=options.forget_retired,
        deleted_in_anki=options.deleted_in_anki,
        source_notes=source_notes,
    )
    report.advice += plan.advice
    report.deck_changes, report.deck_summary = plan.changes.describe(), plan.describe()
    log.info("deck: %s", report.deck_summary)
    log.info("changes since the last build: %s", report.deck_changes.replace("\n", "; "))
    return plan


Writer = tuple[Path, Callable[[Path], object]]


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="")
