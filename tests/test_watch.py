"""watch builds a save only once it has settled, and retires a file's notes only when the file stays empty.

The file watcher is replaced by the saves themselves (a generator of change batches) and the pause between
two looks by a function that plays the editor's next step: no clock is read, nothing depends on timing."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import watchfiles

from cheatdeck.anki.lock import LOCK_FILE, read_lock
from cheatdeck.build import watch as watching
from cheatdeck.build.pipeline import BuildReport
from cheatdeck.options import BuildOptions

Saves = Callable[..., Iterator[set[tuple[watchfiles.Change, str]]]]


def _watch(
    source: Path, out: Path, saves: Saves, monkeypatch: pytest.MonkeyPatch, sleep: Callable[[float], None]
) -> tuple[list[str], list[bytes], list[BuildReport | Exception]]:
    """Run watch over the given saves; return the terminal lines and the lock after each build."""
    monkeypatch.setattr(watchfiles, "watch", saves)
    monkeypatch.setattr("time.sleep", sleep)
    lines: list[str] = []
    locks: list[bytes] = []
    results: list[BuildReport | Exception] = []

    def on_result(result: BuildReport | Exception) -> None:
        results.append(result)
        locks.append((source / LOCK_FILE).read_bytes())

    watching.watch(
        BuildOptions(source=source, out=out, artefacts=("deck", "grid")), lines.append, on_result=on_result
    )
    return lines, locks, results


def test_a_save_that_truncates_then_writes_is_built_once_whole(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = scratch_source / "services.yaml"
    whole = notes.read_bytes()
    steps: list[str] = []

    def finish_writing(seconds: float) -> None:  # the editor writes the rest 0.1 s after truncating
        steps.append("pause")
        notes.write_bytes(whole)

    def saves(*folders: Path, **options: object) -> Iterator[set[tuple[watchfiles.Change, str]]]:
        notes.write_bytes(b"")  # the editor truncates …
        yield {(watchfiles.Change.modified, str(notes))}
        notes.write_bytes(whole)  # … and its write arrives as a second change
        yield {(watchfiles.Change.modified, str(notes))}

    lines, locks, results = _watch(scratch_source, tmp_path / "dist", saves, monkeypatch, finish_writing)
    assert steps, "watch built the truncated file without waiting"
    assert all(isinstance(result, BuildReport) for result in results), lines
    assert len(set(locks)) == 1, "the notes were retired and brought back with new times"
    assert not any("retire" in line for line in lines), lines


@pytest.mark.parametrize("relative", [False, True])
def test_a_file_emptied_for_good_is_confirmed_before_its_notes_are_retired(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: bool
) -> None:
    notes = scratch_source / "services.yaml"  # the watcher names files by their absolute path
    ids = {
        note.note_id
        for note in read_lock(scratch_source / LOCK_FILE).notes.values()
        if note.state == "active"
    }
    pauses: list[float] = []

    def saves(*folders: Path, **options: object) -> Iterator[set[tuple[watchfiles.Change, str]]]:
        notes.write_bytes(b"")  # the learner empties the file and means it
        yield {(watchfiles.Change.modified, str(notes))}

    if relative:  # --source source, as typed
        monkeypatch.chdir(tmp_path)
    folder = Path(scratch_source.name) if relative else scratch_source
    lines, _, results = _watch(folder, tmp_path / "dist", saves, monkeypatch, pauses.append)
    assert "services.yaml is now empty or gone: its notes are retired if it stays so for 3 s" in lines
    assert len(pauses) == watching.CONFIRM_EMPTY_STEPS and all(pause > 0 for pause in pauses)
    assert len(results) == 2 and all(isinstance(result, BuildReport) for result in results), lines
    lock = read_lock(scratch_source / LOCK_FILE)
    retired = {note.note_id for note in lock.notes.values() if note.state == "retired"}
    assert "polly" in retired and "polly" in ids  # the file's notes are retired once confirmed


def test_an_empty_file_that_gets_its_text_back_while_confirming_retires_nothing(tmp_path: Path) -> None:
    notes = tmp_path / "notes.yaml"
    notes.write_text("notes: []\n")
    before = {notes: watching.look(notes)}
    notes.write_bytes(b"")
    pauses: list[float] = []
    lines: list[str] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 5:
            notes.write_text("notes: []\n# saved again\n")

    after = watching.settle([notes], before, lines.append, pause)
    assert after[notes] == watching.look(notes) and after[notes] is not None and after[notes].size > 0
    assert len(pauses) == 6  # five looks while empty, then one that agrees with the new text
    assert lines == ["notes.yaml is now empty or gone: its notes are retired if it stays so for 3 s"]


def test_an_editors_rename_into_place_is_built_at_once(tmp_path: Path) -> None:
    notes = tmp_path / "notes.yaml"
    notes.write_text("notes: []\n")
    before = {notes: watching.look(notes)}
    saved = tmp_path / ".notes.yaml.swp"
    saved.write_text("notes: []\n# new\n")
    os.replace(saved, notes)  # a safe save: written whole, then renamed over the file

    def no_pause(seconds: float) -> None:
        raise AssertionError("a finished save waited")

    assert watching.settle([notes], before, print, no_pause) == {notes: watching.look(notes)}
