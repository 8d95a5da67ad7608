"""Watch mode: rebuild on every save, keep the last good outputs when a save is invalid.

A save is built only once it has settled: many editors truncate a file and write it a moment later, and a
build in between would retire every note of that file, then bring them back with new times (so the next
`.apkg` import would overwrite the learner's edits in Anki). A file that shrinks to nothing, or goes, must
stay so for a few seconds before its notes are retired.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.errors import explain
from cheatdeck.anki.lock import LOCK_FILE
from cheatdeck.options import BuildOptions
from cheatdeck.build.pipeline import BuildReport, build

Echo = Callable[[str], object]


SLOW_ARTEFACTS = ("sheet",)
"""Artefacts watch writes after the others, so the deck and grid of a save are out within a second."""


def build_once(
    options: BuildOptions, echo: Echo, between: Callable[[BuildReport], object] | None = None
) -> BuildReport | Exception:
    """Build, and describe the outcome in one line (a failure: its problems, then what became of the
    outputs); never raise, so watching goes on after any failure (bad sources, a full disk, an unwritable
    out folder).

    The save is planned once. The quick artefacts are committed first; the sheet follows from the same
    plan, in a commit of its own. Until it is written the build state lists it as `pending`, and
    `between` (if given) is called with the first commit's report."""
    slow = tuple(name for name in options.artefacts if name in SLOW_ARTEFACTS)
    first: list[BuildReport] = []

    def committed(quick: BuildReport) -> None:
        first[:] = [quick]
        if not quick.up_to_date and between is not None:
            between(quick)

    try:
        result = build(options, later=slow, committed=committed)
    except Exception as error:
        written = ", ".join(path.name for report in first for path in report.written)
        _tell_failure(error, options, echo, written, slow)
        return error
    echo(describe_builds([*first, result]))
    return result


def describe_builds(reports: list[BuildReport]) -> str:
    """Say in one line what the builds of one save rewrote and why, or that nothing needed it."""
    if all(report.up_to_date for report in reports):
        return "nothing to rebuild: every output is up to date"
    seconds = sum(report.seconds for report in reports)
    reasons: dict[str, list[str]] = {}
    for report in reports:
        for path in report.written:
            reasons.setdefault(report.why.get(path, "changed"), []).append(path.name)
    if not reasons:
        return f"nothing rewritten: the outputs' content is unchanged ({seconds:.2f} s)"
    told = "; ".join(f"{', '.join(names)} ({why})" for why, names in reasons.items())
    return f"rebuilt {told} in {seconds:.2f} s"


def _tell_failure(
    error: Exception, options: BuildOptions, echo: Echo, written: str, slow: tuple[str, ...]
) -> None:
    """Describe a failed build (one problem: one line), and the files the save's first commit wrote
    before it (`written`: their names), which stay (an error that says itself what became of the
    outputs, "nothing written …", speaks of its own commit)."""
    before = f"written before it: {written}"
    kept = f"the last good {' and '.join(slow)} kept, {before}" if written else "last good outputs kept"
    failure = explain(error, options.source, kept)
    if failure.internal:
        logging.getLogger(__name__).debug("where it happened:", exc_info=error)
    summary = failure.summary
    if written and before not in summary:
        summary = f"{summary}; {before}"
    if len(failure.lines) == 1:
        echo(f"{failure.lines[0]} ({summary})")
    else:
        for line in (*failure.lines, summary):
            echo(line)


SETTLE_STEP = 0.2
"""Seconds between two looks at the changed files: a save has settled when two looks agree."""
CONFIRM_EMPTY_STEPS = 15
"""Looks (3 s) a file emptied or removed must stay so before the build retires its notes."""
SETTLE_LIMIT_STEPS = 50
"""Looks (10 s) after which watch builds whatever is there, for a file that never stops changing."""


@dataclass(frozen=True)
class Seen:
    """What a file held at one look: its inode (a new one: the editor renamed a finished save into
    place), size and a hash of its content."""

    inode: int
    size: int
    digest: str


Looks = Mapping[Path, "Seen | None"]


def look(path: Path) -> Seen | None:
    """Return what a regular file holds now (None if it is missing or is no regular file)."""
    try:
        status = os.lstat(path)
        if not stat.S_ISREG(status.st_mode):
            return None
        with open(path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None
    return Seen(status.st_ino, status.st_size, digest)


def look_at_all(folders: Iterable[Path]) -> dict[Path, Seen | None]:
    """Return what every input file under `folders` holds now."""
    seen: dict[Path, Seen | None] = {}
    for folder in folders:
        for top, subfolders, names in os.walk(folder):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            for name in names:
                path = Path(os.path.abspath(os.path.join(top, name)))  # as the watcher names it
                if _is_input(None, str(path)):
                    seen[path] = look(path)
    return seen


def settle(
    paths: Iterable[Path],
    before: Looks,
    echo: Echo,
    sleep: Callable[[float], object] | None = None,
) -> dict[Path, Seen | None]:
    """Wait until the saves of `paths` are complete and return what the files hold then.

    Complete: a file renamed into place with content (an editor's safe save) at once; otherwise two looks
    `SETTLE_STEP` apart that agree. A file that had content (in `before`) and is now empty or gone must
    stay so for `CONFIRM_EMPTY_STEPS` looks: its notes are retired only then, and the terminal says so."""
    sleep = sleep or time.sleep
    paths = sorted(set(paths))
    now = {path: look(path) for path in paths}
    if paths and all(_renamed_into_place(now[path], before.get(path)) for path in paths):
        return now
    quiet, told = 0, set()
    for _ in range(SETTLE_LIMIT_STEPS):
        emptied = [path for path in paths if _emptied(now[path], before.get(path))]
        if quiet >= (CONFIRM_EMPTY_STEPS if emptied else 1):
            return now
        for path in emptied if quiet else ():  # said once it is empty at two looks, not mid-save
            if path not in told:
                told.add(path)
                echo(
                    f"{path.name} is now empty or gone: its notes are retired if it stays so for "
                    f"{CONFIRM_EMPTY_STEPS * SETTLE_STEP:g} s"
                )
        sleep(SETTLE_STEP)
        again = {path: look(path) for path in paths}
        quiet = quiet + 1 if again == now else 0
        now = again
    return now


def _renamed_into_place(now: Seen | None, before: Seen | None) -> bool:
    return now is not None and before is not None and now.size > 0 and now.inode != before.inode


def _emptied(now: Seen | None, before: Seen | None) -> bool:
    return (now is None or now.size == 0) and before is not None and before.size > 0


def _is_input(change: object, path: str) -> bool:
    name = Path(path).name
    return name != LOCK_FILE and not name.startswith(".") and not name.endswith((".tmp", "~"))


def watch(
    options: BuildOptions,
    echo: Echo,
    stop: threading.Event | None = None,
    on_result: Callable[[BuildReport | Exception], object] | None = None,
    sleep: Callable[[float], object] | None = None,
    progress: Echo | None = None,
) -> None:
    """Build now, then again after every change under the sources or templates (once the save has
    settled, see `settle`), until `stop` is set. Each build is told in one line naming what was saved;
    `progress` (a terminal that can rewrite its last line) also hears when the deck and grid are ready
    and the sheet is still being made, and the next `echo` replaces that."""
    from watchfiles import watch as watch_files

    def run(cause: str) -> None:
        def between(quick: BuildReport) -> None:
            if progress is not None:
                ready = ", ".join(path.name for path in quick.written) or "deck and grid unchanged"
                progress(f"{cause}: {ready} ({quick.seconds:.2f} s); the sheet follows …")

        result = build_once(options, lambda line: echo(f"{cause}: {line}"), between)
        if isinstance(result, BuildReport):  # a warning is said when it appears, not on every save
            warnings = [str(item) for item in result.advice if item.warning]  # `build` says the rest
            for warning in warnings:
                if warning not in said:
                    echo(f"warning: {warning}")
            if not result.up_to_date:
                said.clear()
                said.update(warnings)
        if on_result is not None:
            on_result(result)

    said: set[str] = set()
    folders = [options.source, options.templates]
    shipped = options.templates.resolve() == SHIPPED_TEMPLATES.resolve()
    watched = f"{options.source}/" + ("" if shipped else f" and {options.templates}/")
    seen = look_at_all(folders)
    run("start")
    echo(f"watching {watched} for saves (Ctrl-C to stop)")
    armed = False
    for changes in watch_files(
        *folders, watch_filter=_is_input, stop_event=stop, rust_timeout=500, yield_on_timeout=True
    ):
        changed = {Path(os.path.abspath(path)) for _, path in changes}
        if (
            not armed
        ):  # the watcher sees saves from now on; one made before (during the first build) is looked for
            armed = True
            now = look_at_all(folders)
            changed |= {path for path in now.keys() | seen.keys() if now.get(path) != seen.get(path)}
        if not changed:  # the watcher's timeout: nothing saved
            continue
        seen.update(settle(changed, seen, echo, sleep))
        run(", ".join(sorted({path.name for path in changed})))
