"""watch builds a save only once it has settled, and retires a file's notes only when the file stays empty.

The file watcher is replaced by the saves themselves (a generator of change batches) and the pause between
two looks by a function that plays the editor's next step: no clock is read, nothing depends on timing."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
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


def test_each_save_is_told_in_one_line_naming_the_file_what_was_rebuilt_and_why(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """watch printed `changed: …`, then the build's own account: ~20 lines per save (49d7fc0)."""
    notes = scratch_source / "services.yaml"
    whole = notes.read_text(encoding="utf-8")

    def saves(*folders: Path, **options: object) -> Iterator[set[tuple[watchfiles.Change, str]]]:
        for text in (
            whole.replace("kind: service", "kind: servise", 1),  # a mistake …
            whole.replace("kind: service", "kind: sevrice", 1),  # … then another one …
            whole,  # … then put right: nothing to rebuild
            whole.replace("summary: >-", "summary: >-\n      Edited.", 1),  # an edit the deck shows
        ):
            notes.write_text(text, encoding="utf-8")
            yield {(watchfiles.Change.modified, str(notes))}

    lines, _, results = _watch(scratch_source, tmp_path / "dist", saves, monkeypatch, lambda seconds: None)
    assert len(results) == 5
    start, watching_line, *per_save = lines
    assert start.startswith("start: rebuilt aws-mls-c01.apkg, grid.csv, grid.html (") and start.endswith(" s")
    assert watching_line == f"watching {scratch_source}/ for saves (Ctrl-C to stop)"
    assert len(per_save) == 4, per_save
    for line, mistake in zip(per_save[:2], ("servise", "sevrice"), strict=True):
        assert line.startswith("services.yaml: ") and f"got '{mistake}'" in line, line
        assert line.endswith("(1 error in " + f"{scratch_source}/; last good outputs kept)"), line
    assert per_save[2] == "services.yaml: nothing to rebuild: every output is up to date"
    assert per_save[3].startswith("services.yaml: rebuilt aws-mls-c01.apkg (notes changed) in "), per_save


def _lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """Return a queue that receives each line the process prints, as it prints it."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return lines


def _next_line(lines: queue.Queue[str], waited: float = 180.0) -> str | None:
    """Return the next line watch prints, None if it printed none for `waited` seconds."""
    try:
        return lines.get(timeout=waited)
    except queue.Empty:
        return None


@pytest.mark.slow
def test_ctrl_c_ends_a_real_watch_with_status_0_after_a_short_start(scratch_source: Path) -> None:
    """Ctrl-C ended watch with "Aborted!" and exit status 1; it started with 9 lines (49d7fc0)."""
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, str(root / "build.py"), "watch", "--source", "source", "--out", "dist"],
        cwd=scratch_source.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    printed = _lines_of(process)
    try:
        start = _next_line(printed)
        watching_line = _next_line(printed)
        notes = scratch_source / "services.yaml"
        notes.write_text(
            notes.read_text(encoding="utf-8").replace("summary: >-", "summary: >-\n      Edited.", 1),
            encoding="utf-8",
        )
        edited = notes.read_text(encoding="utf-8")
        saved = None
        for _ in range(30):  # saved again until the watcher, which starts after its line, sees one
            saved = _next_line(printed, 3.0)
            if saved is not None:
                break
            notes.write_text(edited, encoding="utf-8")
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends
        assert process.stderr is not None
        errors = process.stderr.read()
        process.wait(timeout=120)
        later: list[str] = []
        while (last := _next_line(printed, 30.0)) not in (None, "stopped watching"):
            later.append(last)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert start is not None and saved is not None, errors
    assert start.startswith("start: rebuilt aws-mls-c01.apkg, grid.csv, grid.html, cheatsheet.pdf ("), start
    assert watching_line == "watching source/ for saves (Ctrl-C to stop)"
    assert saved.startswith("services.yaml: rebuilt aws-mls-c01.apkg, cheatsheet.pdf (notes changed) in "), (
        saved
    )
    assert (process.returncode, last) == (0, "stopped watching"), errors
    assert later in ([], ["services.yaml: nothing to rebuild: every output is up to date"]), later
    assert "Aborted" not in errors and "Traceback" not in errors, errors


@pytest.mark.slow
def test_a_save_reads_the_notes_folder_once_and_builds_what_a_fresh_build_does(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save reads the notes folder once (the quick outputs are written first, the slow ones after from
    the same plan) and writes the bytes a fresh build writes."""
    from cheatdeck import forget_caches
    from cheatdeck.notes import sources

    monkeypatch.setattr(watching, "SLOW_ARTEFACTS", ("grid",))  # two commits, no PDF laid out
    loads: list[Path] = []
    load = sources.load_sources
    monkeypatch.setattr(sources, "load_sources", lambda folder: loads.append(folder) or load(folder))
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck", "grid"))
    assert isinstance(watching.build_once(options, lambda _: None), BuildReport)
    assert len(loads) == 1
    notes = scratch_source / "services.yaml"
    notes.write_text(notes.read_text(encoding="utf-8").replace("use_case: ", "use_case: Edited. ", 1))
    assert isinstance(watching.build_once(options, lambda _: None), BuildReport)
    assert len(loads) == 2  # the edit is read once, for both builds
    forget_caches()
    fresh = BuildOptions(source=scratch_source, out=tmp_path / "fresh", artefacts=("deck", "grid"))
    watching.build_once(fresh, lambda _: None)
    assert len(loads) == 3
    names = sorted(path.name for path in (tmp_path / "fresh").iterdir() if not path.name.startswith("."))
    assert "grid.csv" in names and any(name.endswith(".apkg") for name in names)
    for name in names:
        assert (tmp_path / "dist" / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes(), name
    assert "Edited." in (tmp_path / "dist" / "grid.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_save_made_while_the_first_build_runs_is_built(scratch_source: Path, tmp_path: Path) -> None:
    """The watcher was armed only after the first build: a save made during it was never built (afffb6b).
    The real watcher runs here; the save is made the moment the first build ends, before it is armed."""
    notes = scratch_source / "services.yaml"
    results: list[BuildReport | Exception] = []
    arrived, stop = threading.Condition(), threading.Event()
    lines: list[str] = []

    def on_result(result: BuildReport | Exception) -> None:
        if not results:  # the learner saves while the first build is still being told
            notes.write_text(
                notes.read_text(encoding="utf-8").replace(
                    "summary: >-", "summary: >-\n      Saved early.", 1
                ),
                encoding="utf-8",
            )
        with arrived:
            results.append(result)
            arrived.notify_all()

    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck",))
    thread = threading.Thread(
        target=watching.watch, args=(options, lines.append, stop, on_result), daemon=True
    )
    thread.start()
    try:
        with arrived:  # a guard against a hang, not a timing check
            assert arrived.wait_for(lambda: len(results) >= 2, timeout=60), lines
    finally:
        stop.set()
        thread.join(timeout=10)
    assert isinstance(results[1], BuildReport) and results[1].written, lines
    assert lines[2].startswith("services.yaml: rebuilt aws-mls-c01.apkg (notes changed)"), lines


def test_a_save_plans_the_deck_s_notes_once(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save plans every note's cards once, writes the deck first and the slow outputs after from the
    same plan: the bytes a `--force` build in a fresh process writes (the lock left as it is). A template
    changed between two saves is planned again."""
    from cheatdeck import forget_caches
    from cheatdeck.anki import reconcile
    from cheatdeck.build.pipeline import build

    monkeypatch.setattr(watching, "SLOW_ARTEFACTS", ("grid",))  # two commits, no PDF laid out
    planned: list[Path] = []
    plan_source_notes = reconcile.plan_source_notes

    def counted(notebook, media, templates):  # type: ignore[no-untyped-def]
        planned.append(notebook.source_dir)
        return plan_source_notes(notebook, media, templates)

    monkeypatch.setattr(reconcile, "plan_source_notes", counted)
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck", "grid"))
    assert isinstance(watching.build_once(options, lambda _: None), BuildReport)
    assert len(planned) == 1
    notes = scratch_source / "services.yaml"
    edit = notes.read_text(encoding="utf-8").replace("use_case: ", "use_case: Edited. ", 1)
    notes.write_text(edit, encoding="utf-8")
    lock_before = (scratch_source / LOCK_FILE).read_bytes()
    first: list[BuildReport] = []
    assert isinstance(watching.build_once(options, lambda _: None, first.append), BuildReport)
    assert [path.suffix for path in first[0].written] == [".apkg"], first  # the deck and its lock
    assert len(planned) == 2  # the edit is planned once, for both commits
    lock_after = (scratch_source / LOCK_FILE).read_bytes()
    assert lock_after != lock_before  # the edited note got a new time: the grid prints its day
    forget_caches()
    build(replace(options, out=tmp_path / "fresh", force=True))
    assert len(planned) == 3
    assert (scratch_source / LOCK_FILE).read_bytes() == lock_after
    names = sorted(path.name for path in (tmp_path / "fresh").iterdir() if not path.name.startswith("."))
    assert "grid.csv" in names and any(name.endswith(".apkg") for name in names)
    for name in names:
        assert (tmp_path / "dist" / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes(), name
    assert "Edited." in (tmp_path / "dist" / "grid.html").read_text(encoding="utf-8")

    templates = tmp_path / "templates"
    shutil.copytree(options.templates, templates)
    changed = BuildOptions(
        source=scratch_source, out=tmp_path / "dist", artefacts=("deck", "grid"), templates=templates
    )
    assert isinstance(watching.build_once(changed, lambda _: None), BuildReport)
    count = len(planned)
    style = next(templates.glob("anki/*.css"))
    style.write_text(style.read_text(encoding="utf-8") + "\n/* edited */\n", encoding="utf-8")
    assert isinstance(watching.build_once(changed, lambda _: None), BuildReport)
    assert len(planned) == count + 1
