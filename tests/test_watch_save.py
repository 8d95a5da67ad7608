"""A `watch` save is planned once: the deck and grid are committed first (the sheet listed as pending),
then the sheet is written from the same plan and committed. Every guarantee of a build holds for each
commit: all or nothing, the lock checked at the commit (a sync writing it mid-build: built again), the
inputs fingerprinted before they are read, and a failure of the sheet keeps the deck and grid written.

Most tests let the grid stand in for the sheet (`SLOW_ARTEFACTS`), so no PDF is laid out; the last
one builds the real sheet. All but the first are in the slow tier (over a second each)."""

from __future__ import annotations

import errno
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import cheatdeck.grid
import cheatdeck.sheet.document
from cheatdeck import forget_caches
from cheatdeck.anki.lock import LOCK_FILE, dump_lock, read_lock
from cheatdeck.build import pipeline
from cheatdeck.build import watch as watching
from cheatdeck.build.pipeline import BuildReport, build
from cheatdeck.build.state import STATE_FILE
from cheatdeck.options import BuildOptions
from cheatdeck.templating import format_day

DECK = "aws-mls-c01.apkg"


def _plans(monkeypatch: pytest.MonkeyPatch, then: Any = None) -> list[tuple[str, ...]]:
    """Count the plans from now on (each one's artefacts); `then(count)` runs after each."""
    plans: list[tuple[str, ...]] = []
    plan = pipeline._plan

    def counted(options: BuildOptions, *rest: Any) -> Any:
        result = plan(options, *rest)
        plans.append(options.artefacts)
        if then is not None:
            then(len(plans))
        return result

    monkeypatch.setattr(pipeline, "_plan", counted)
    return plans


def _edit(source: Path, words: str) -> None:
    notes = source / "services.yaml"
    text = notes.read_text(encoding="utf-8")
    assert "use_case: " in text
    notes.write_text(text.replace("use_case: ", f"use_case: {words} ", 1), encoding="utf-8")


def _pending(out: Path) -> list[str]:
    return list(json.loads((out / STATE_FILE).read_text(encoding="utf-8"))["pending"])


def _bump_a_note(source: Path, days: int = 3) -> int:
    """Do what a sync beside the build may do to the lock: record a later time for an active note
    (its content unchanged); return the lock's newest time then."""
    lock = read_lock(source / LOCK_FILE)
    guid = sorted(guid for guid, note in lock.notes.items() if note.state == "active")[0]
    lock.notes[guid] = replace(lock.notes[guid], mod=lock.latest() + days * 86_400)  # entries are frozen
    (source / LOCK_FILE).write_text(dump_lock(lock), encoding="utf-8")
    return lock.latest()


def _same_as_cold(options: BuildOptions, fresh: Path) -> None:
    """Every output equals a `--force` build into a fresh folder, in a process that kept nothing (the
    lock left as it is)."""
    lock = (options.source / LOCK_FILE).read_bytes()
    forget_caches()
    build(replace(options, out=fresh, force=True))
    assert (options.source / LOCK_FILE).read_bytes() == lock
    names = sorted(path.name for path in fresh.iterdir() if not path.name.startswith("."))
    assert DECK in names and "grid.csv" in names
    for name in names:
        assert (options.out / name).read_bytes() == (fresh / name).read_bytes(), name


@pytest.fixture
def grid_last(monkeypatch: pytest.MonkeyPatch) -> None:
    """The grid stands in for the sheet: written after the deck, no PDF laid out."""
    monkeypatch.setattr(watching, "SLOW_ARTEFACTS", ("grid",))


def test_a_save_is_planned_once_and_commits_the_deck_before_the_slow_output(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grid_last: None
) -> None:
    """watch built a save twice (deck and grid, then every output), planning it twice (fails on f6bbf90:
    2 plans, and the grid's reason read "notes changed, the lock changed")."""
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck", "grid"))
    assert isinstance(watching.build_once(options, lambda _: None), BuildReport)
    plans = _plans(monkeypatch)
    _edit(scratch_source, "Edited.")
    deck, grid = ((options.out / name).read_bytes() for name in (DECK, "grid.csv"))
    seen: dict[str, object] = {}

    def between(quick: BuildReport) -> None:  # look at dist/ as a learner would now
        seen["written"] = [path.name for path in quick.written]
        seen["pending"] = _pending(options.out)
        seen["deck new"] = (options.out / DECK).read_bytes() != deck
        seen["grid old"] = (options.out / "grid.csv").read_bytes() == grid
        seen["plans"] = len(plans)

    lines: list[str] = []
    result = watching.build_once(options, lines.append, between)
    assert isinstance(result, BuildReport)
    assert len(plans) == 1
    assert seen == {"written": [DECK], "pending": ["grid"], "deck new": True, "grid old": True, "plans": 1}
    assert [path.name for path in result.written] == ["grid.csv", "grid.html"]
    assert _pending(options.out) == []
    (line,) = lines
    assert line.startswith(f"rebuilt {DECK}, grid.csv, grid.html (notes changed) in "), line
    assert build(options).up_to_date
    _same_as_cold(options, tmp_path / "fresh")


@pytest.mark.slow  # 1.2–1.7 s on a busy machine
def test_a_sync_writing_the_lock_between_the_commits_builds_the_rest_again(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grid_last: None
) -> None:
    """The slow output's commit checks the lock the first commit left: a sync that moved it since gets
    outputs planned from the new lock, never ones printed from the old one."""
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck", "grid"))
    assert isinstance(watching.build_once(options, lambda _: None), BuildReport)
    _edit(scratch_source, "Edited.")
    latest: list[int] = []
    quick: list[BuildReport] = []

    def sync(report: BuildReport) -> None:  # once: the save is built again, and told again
        quick.append(report)
        if not latest:
            latest.append(_bump_a_note(scratch_source))

    result = watching.build_once(options, lambda _: None, sync)
    assert isinstance(result, BuildReport) and len(quick) == 2
    assert [path.name for path in quick[1].written] == [DECK]  # the new time of the note synced
    assert format_day(latest[0]) in (options.out / "grid.html").read_text(encoding="utf-8")
    assert read_lock(scratch_source / LOCK_FILE).latest() == latest[0]
    assert _pending(options.out) == []
    assert build(options).up_to_date
    _same_as_cold(options, tmp_path / "fresh")


@pytest.mark.slow  # 1.2–1.7 s on a busy machine
def test_a_sync_writing_the_lock_while_a_save_is_planned_writes_nothing_of_that_plan(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grid_last: None
) -> None:
    """Nothing planned from the old lock is committed: the save is planned again, once (fails on
    f6bbf90: three plans, the quick build's two and the second build's)."""
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck", "grid"))
    assert isinstance(watching.build_once(options, lambda _: None), BuildReport)
    _edit(scratch_source, "Edited.")
    deck = (options.out / DECK).read_bytes()
    latest: list[int] = []
    plans = _plans(monkeypatch, lambda count: count == 1 and latest.append(_bump_a_note(scratch_source)))
    seen: list[bool] = []
    result = watching.build_once(
        options, lambda _: None, lambda _: seen.append((options.out / DECK).read_bytes() != deck)
    )
    assert isinstance(result, BuildReport)
    assert len(plans) == 2 and seen == [True]
    assert format_day(latest[0]) in (options.out / "grid.html").read_text(encoding="utf-8")
    assert build(options).up_to_date
    _same_as_cold(options, tmp_path / "fresh")


@pytest.mark.slow  # 1.2–1.7 s on a busy machine
def test_a_save_made_between_the_commits_is_built_by_the_next_build(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grid_last: None
) -> None:
    """The inputs are fingerprinted before they are read: the state records the save planned, so a save
    made while the slow output is written is built next time, never taken for built."""
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck", "grid"))
    assert isinstance(watching.build_once(options, lambda _: None), BuildReport)
    _edit(scratch_source, "Edited.")
    result = watching.build_once(options, lambda _: None, lambda _: _edit(scratch_source, "Saved later."))
    assert isinstance(result, BuildReport)
    again = watching.build_once(options, lambda _: None)
    assert isinstance(again, BuildReport) and not again.up_to_date
    assert "Saved later." in (options.out / "grid.csv").read_text(encoding="utf-8")
    _same_as_cold(options, tmp_path / "fresh")


@pytest.mark.slow  # 1.2–1.7 s on a busy machine
def test_a_failure_of_the_slow_output_keeps_the_deck_written_and_says_so(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grid_last: None
) -> None:
    """The deck and its lock are committed before the slow output is written; when that fails, they
    stay, the state lists it as pending, the line says what was written (fails on f6bbf90: the line
    said only "last good outputs kept"), and the next build writes it alone."""
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck", "grid"))
    assert isinstance(watching.build_once(options, lambda _: None), BuildReport)
    _edit(scratch_source, "Edited.")
    deck, grid = ((options.out / name).read_bytes() for name in (DECK, "grid.csv"))

    def disk_full(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(cheatdeck.grid, "write_text", disk_full)
    lines: list[str] = []
    result = watching.build_once(options, lines.append)
    assert isinstance(result, Exception), result
    assert (options.out / DECK).read_bytes() != deck and (options.out / "grid.csv").read_bytes() == grid
    assert _pending(options.out) == ["grid"]
    assert not [path for path in options.out.iterdir() if path.name.endswith(".tmp")]
    told = "\n".join(lines)
    assert "No space left on device" in told and told.endswith(f"; written before it: {DECK}"), told
    monkeypatch.undo()
    monkeypatch.setattr(watching, "SLOW_ARTEFACTS", ("grid",))
    again = watching.build_once(options, lambda _: None)
    assert isinstance(again, BuildReport)
    assert [path.name for path in again.written] == ["grid.csv", "grid.html"]
    assert _pending(options.out) == []
    _same_as_cold(options, tmp_path / "fresh")


@pytest.mark.slow  # 1.2–1.7 s on a busy machine
def test_a_failing_sheet_keeps_the_deck_and_grid_written_and_says_so(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same with the real sheet (its PDF never laid out: writing it fails at once)."""

    def disk_full(*_: object, **__: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cheatdeck.sheet.document, "write_sheet_pdf", disk_full)
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist")
    quick: list[BuildReport] = []
    lines: list[str] = []
    result = watching.build_once(options, lines.append, quick.append)
    assert isinstance(result, Exception), result
    assert [path.name for path in quick[0].written] == [DECK, "grid.csv", "grid.html"]
    assert not (options.out / "cheatsheet.pdf").exists()
    assert _pending(options.out) == ["sheet"]
    told = "\n".join(lines)
    assert "No space left on device" in told, told
    assert told.endswith(f"; written before it: {DECK}, grid.csv, grid.html"), told


def test_a_sheet_template_that_fails_keeps_the_deck_and_grid_of_the_save_written(
    scratch_source: Path, tmp_path: Path
) -> None:
    """The sheet's template fails while the save is planned (before the first commit): the deck and grid
    are planned without it and written all the same, the sheet stays pending, and the error is told."""
    import shutil

    from cheatdeck import SHIPPED_TEMPLATES

    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", templates=templates)
    assert isinstance(watching.build_once(options, lambda _: None), BuildReport)
    sheet = templates / "sheet.html.j2"
    text = sheet.read_text(encoding="utf-8")
    assert '<p class="summary">' in text
    sheet.write_text(text.replace('<p class="summary">', '<p class="summary">{{ note.no_such.attr }}', 1))
    _edit(scratch_source, "Edited.")
    quick: list[BuildReport] = []
    lines: list[str] = []
    result = watching.build_once(options, lines.append, quick.append)
    assert isinstance(result, Exception), result
    assert [path.name for path in quick[0].written] == [DECK, "grid.csv", "grid.html"]
    assert "Edited." in (scratch_source / LOCK_FILE).read_text(encoding="utf-8")
    assert _pending(options.out) == ["sheet"]
    told = "\n".join(lines)
    assert "sheet.html.j2:" in told and "no_such" in told, told  # the template file and its line
    assert f"written before it: {DECK}, grid.csv, grid.html" in told, told


@pytest.mark.slow
def test_an_edited_save_writes_what_a_forced_build_writes_planned_once(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every output of a save, the sheet's PDF included, is byte-identical to a `--force` build."""
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist")
    assert isinstance(watching.build_once(options, lambda _: None), BuildReport)
    plans = _plans(monkeypatch)
    pending: list[list[str]] = []
    for words in ("Edited.", "Edited again."):
        _edit(scratch_source, words)
        result = watching.build_once(options, lambda _: None, lambda _: pending.append(_pending(options.out)))
        assert isinstance(result, BuildReport)
        assert [path.name for path in result.written] == ["cheatsheet.pdf"]
    assert len(plans) == 2 and pending == [["sheet"], ["sheet"]]
    assert build(options).up_to_date
    _same_as_cold(options, tmp_path / "fresh")
