"""A `watch` save lays the sheet's changed pages out in a worker process while this one writes the deck
and grid (`cheatdeck.sheet.pdf.lay_out_ahead`): the worker keeps them in the sheet's cache, where the
sheet's write finds them. The PDF is byte-identical to a `--force` build; a worker that fails costs only
time (the write lays the pages out itself)."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import cheatdeck.anki.deck
import cheatdeck.sheet.document
import cheatdeck.sheet.flow
import cheatdeck.sheet.pdf
from cheatdeck import forget_caches
from cheatdeck.build import watch as watching
from cheatdeck.build.pipeline import BuildReport, build
from cheatdeck.options import BuildOptions, SheetOptions

DECK = "id: ahead\ntitle: Ahead\n"
SMALL = SheetOptions(paper="a6", orientation="portrait")  # three narrow columns: a page holds few notes
COUNT = 40


def _notes(edit: int | None = None) -> str:
    lines = ["notes:"]
    for index in range(COUNT):
        said = " edited here" if index == edit else ""
        lines += [
            f"  - id: concept-{index}",
            f"    title: Concept number {index}",
            "    kind: concept",
            f"    summary: The concept numbered {index} says word{index % 7} and word{index % 11}{said}.",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BuildOptions:
    """A sheet of parts (a page each) on two idle cores, built once."""
    monkeypatch.setattr(cheatdeck.sheet.document, "PARTS_FROM", 0)
    monkeypatch.setattr(cheatdeck.sheet.pdf, "_cores", lambda: 2, raising=False)
    monkeypatch.setattr(cheatdeck.sheet.pdf, "_busy", lambda: False, raising=False)  # whatever the load
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text(DECK, encoding="utf-8")
    (source / "notes.yaml").write_text(_notes(), encoding="utf-8")
    options = BuildOptions(source=source, out=tmp_path / "dist", artefacts=("deck", "sheet"), sheet=SMALL)
    assert isinstance(watching.build_once(options, lambda _: None), BuildReport)
    return options


@pytest.fixture
def laid_out(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The runs of items (first, end) WeasyPrint lays out in this process for the flow's parts."""
    runs: list[tuple[int, int]] = []
    lay_out = cheatdeck.sheet.flow._lay_out
    here = os.getpid()

    def counting(flow: Any, renderer: Any, start: int, stop: int, pages: int | None) -> Any:
        if os.getpid() == here:
            runs.append((start, stop))
        return lay_out(flow, renderer, start, stop, pages)

    monkeypatch.setattr(cheatdeck.sheet.flow, "_lay_out", counting)
    return runs


def _same_as_forced(options: BuildOptions, fresh: Path) -> None:
    forget_caches()
    build(replace(options, out=fresh, force=True))
    assert (options.out / "cheatsheet.pdf").read_bytes() == (fresh / "cheatsheet.pdf").read_bytes()


@pytest.mark.slow
def test_a_save_lays_the_changed_page_out_in_a_worker_while_the_deck_is_written(
    options: BuildOptions, tmp_path: Path, laid_out: list[tuple[int, int]]
) -> None:
    """The edited page is laid out by the worker, none here (fails on 81c26ca: the sheet's write laid it
    out after the deck's commit, in this process)."""
    (options.source / "notes.yaml").write_text(_notes(edit=COUNT // 2), encoding="utf-8")
    result = watching.build_once(options, lambda _: None)
    assert isinstance(result, BuildReport) and [path.name for path in result.written] == ["cheatsheet.pdf"]
    assert laid_out == []
    assert (options.out / "ahead.apkg").stat().st_mtime_ns < (
        options.out / "cheatsheet.pdf"
    ).stat().st_mtime_ns
    _same_as_forced(options, tmp_path / "fresh")


@pytest.mark.slow
def test_a_worker_that_dies_costs_only_time(
    options: BuildOptions, tmp_path: Path, laid_out: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed (out of memory, say) before it kept anything: the sheet's write lays the page out
    here, and the PDF is the same."""
    monkeypatch.setattr(
        cheatdeck.sheet.pdf, "_ahead_work", lambda write: os.kill(os.getpid(), signal.SIGKILL)
    )
    (options.source / "notes.yaml").write_text(_notes(edit=COUNT // 2), encoding="utf-8")
    result = watching.build_once(options, lambda _: None)
    assert isinstance(result, BuildReport) and [path.name for path in result.written] == ["cheatsheet.pdf"]
    assert laid_out != []
    _same_as_forced(options, tmp_path / "fresh")


@pytest.mark.slow
def test_a_failing_save_stops_its_worker(
    options: BuildOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deck's write fails after the worker started: the worker is ended and reaped, never left
    running (it would lay out a sheet no one writes), and the sheet stays as it was."""
    started: list[Any] = []
    lay_out_ahead = cheatdeck.sheet.pdf.lay_out_ahead

    def recorded(write: Any) -> Any:
        started.append(lay_out_ahead(write))
        return started[-1]

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cheatdeck.sheet.pdf, "lay_out_ahead", recorded)
    monkeypatch.setattr(cheatdeck.anki.deck, "write_deck", disk_full)
    sheet = (options.out / "cheatsheet.pdf").read_bytes()
    (options.source / "notes.yaml").write_text(_notes(edit=COUNT // 2), encoding="utf-8")
    assert isinstance(watching.build_once(options, lambda _: None), Exception)
    assert len(started) == 1 and started[0] is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(started[0].pid, os.WNOHANG)  # reaped
    assert (options.out / "cheatsheet.pdf").read_bytes() == sheet


def test_no_worker_is_forked_without_an_idle_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a busy machine (or one core) the worker would only take this process's time: none is forked,
    and the sheet's write lays its pages out itself."""
    written: list[Path] = []
    monkeypatch.setattr(cheatdeck.sheet.pdf, "_cores", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (8.0, 8.0, 8.0))
    assert cheatdeck.sheet.pdf.lay_out_ahead(written.append) is None
    monkeypatch.setattr(os, "getloadavg", lambda: (1.0, 1.0, 1.0))
    monkeypatch.setattr(cheatdeck.sheet.pdf, "_cores", lambda: 1)
    assert cheatdeck.sheet.pdf.lay_out_ahead(written.append) is None
    assert written == []
