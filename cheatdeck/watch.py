"""Watch mode: rebuild on every save, keep the last good outputs when a save is invalid."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from cheatdeck.errors import explain
from cheatdeck.lock import LOCK_FILE
from cheatdeck.options import BuildOptions
from cheatdeck.pipeline import BuildReport, build

Echo = Callable[[str], object]


SLOW_ARTEFACTS = ("sheet",)
"""Artefacts watch builds after the others, so the deck and grid of a save are ready within a second."""


def build_once(options: BuildOptions, echo: Echo) -> BuildReport | Exception:
    """Build, and describe the outcome in a line or two; never raise, so watching goes on after any
    failure (bad sources, a full disk, an unwritable out folder).

    The quick artefacts come first; the sheet follows in a second build. Until it is written the
    terminal says so and the build state lists it as `pending`."""
    quick = tuple(name for name in options.artefacts if name not in SLOW_ARTEFACTS)
    slow = tuple(name for name in options.artefacts if name in SLOW_ARTEFACTS)
    if quick and slow:
        first = _attempt(
            replace(options, artefacts=quick, pending=slow), echo, f"{' and '.join(slow)} not rebuilt"
        )
        if isinstance(first, Exception):
            return first
        if not first.up_to_date:
            echo(f"current: {', '.join(quick)} ({first.seconds:.2f} s); {', '.join(slow)} follows …")
    result = _attempt(options, echo, "last good outputs kept")
    if isinstance(result, BuildReport):
        if result.up_to_date:
            echo("up to date")
        else:
            rebuilt = ", ".join(path.name for path in result.written) or "nothing (content unchanged)"
            echo(f"rebuilt {rebuilt} in {result.seconds:.2f} s; every output is current")
    return result


def _attempt(options: BuildOptions, echo: Echo, kept: str) -> BuildReport | Exception:
    """Run one build; on failure describe it and return the error instead of raising."""
    try:
        return build(options)
    except Exception as error:
        failure = explain(error, options.source, kept)
        if failure.internal:
            logging.getLogger(__name__).debug("where it happened:", exc_info=error)
        for line in (*failure.lines, failure.summary):
            echo(line)
        return error


def _is_input(change: object, path: str) -> bool:
    name = Path(path).name
    return name != LOCK_FILE and not name.startswith(".") and not name.endswith((".tmp", "~"))


def watch(
    options: BuildOptions,
    echo: Echo,
    stop: threading.Event | None = None,
    on_result: Callable[[BuildReport | Exception], object] | None = None,
) -> None:
    """Build now, then again after every change under the sources or templates, until `stop` is set."""
    from watchfiles import watch as watch_files

    def run() -> None:
        result = build_once(options, echo)
        if on_result is not None:
            on_result(result)

    run()
    echo(f"watching {options.source} and {options.templates} (Ctrl-C to stop)")
    folders = [options.source, options.templates]
    for changes in watch_files(
        *folders, watch_filter=_is_input, stop_event=stop, rust_timeout=500, yield_on_timeout=False
    ):
        names = sorted({Path(path).name for _, path in changes})
        echo(f"changed: {', '.join(names)}")
        run()
