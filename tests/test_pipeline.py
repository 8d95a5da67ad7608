"""The edit → rebuild loop: no-op builds touch nothing, edits rebuild only what depends on them, failures
leave dist/ as it was, and watch mode survives an invalid save."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import cheatdeck.sheet.document
from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.anki.lock import LOCK_FILE, read_lock
from cheatdeck.build.pipeline import BuildReport
from cheatdeck.build.watch import watch
from cheatdeck.cli import main
from cheatdeck.errors import OutputError, SourceError, TemplateProblem
from cheatdeck.options import BuildOptions
from cheatdeck.templating import format_day
from tests.conftest import Built, build_into, set_clock
from tests.pdf_text import page_texts

Snapshot = dict[str, tuple[int, bytes]]


def _snapshot(*places: Path) -> Snapshot:
    """Every file's modification time (ns) and bytes, by path (folders are walked)."""
    files = [path for place in places for path in ([place] if place.is_file() else sorted(place.rglob("*")))]
    snapshot = {str(path): (path.stat().st_mtime_ns, path.read_bytes()) for path in files if path.is_file()}
    assert snapshot, places
    return snapshot


@pytest.fixture
def project(built: Built, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the session's built project: sources, lock, outputs and build state."""
    source, out = tmp_path / "source", tmp_path / "dist"
    shutil.copytree(built.source, source)
    shutil.copytree(built.out, out)
    return source, out


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_no_op_build_touches_no_file(project: tuple[Path, Path]) -> None:
    source, out = project
    before = _snapshot(source, out)
    report = build_into(source, out)
    assert report.up_to_date and report.written == []
    assert _snapshot(source, out) == before


def test_no_op_build_says_so_on_the_command_line(project: tuple[Path, Path]) -> None:
    source, out = project
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--out", str(out)])
    assert result.exit_code == 0
    assert "nothing to do: every output is up to date" in result.output


def test_body_edit_rebuilds_the_deck_only(
    project: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The condensed sheet prints no body prose, so a body edit on the day the sources last changed leaves
    the sheet and the grid alone (their printed day does not move)."""
    source, out = project
    latest = read_lock(source / LOCK_FILE).latest()
    same_day = latest - latest % 86_400 + 86_399  # the last second of that day (UTC)
    set_clock(monkeypatch, same_day)
    grid_files = {
        name: (out / name).stat().st_mtime_ns for name in ("grid.csv", "grid.html", "cheatsheet.pdf")
    }
    _replace(source / "algorithms.yaml", "It is **unsupervised** because", "It is **unsupervised**, since")
    report = build_into(source, out)
    assert sorted(path.name for path in report.written) == ["aws-mls-c01.apkg"]
    assert report.unchanged == ["sheet", "grid"]
    assert report.deck_changes == "edited: k-means"
    assert {name: (out / name).stat().st_mtime_ns for name in grid_files} == grid_files


@pytest.mark.slow
def test_body_edit_on_a_later_day_reprints_the_day_on_the_sheet_and_the_grid(
    project: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule: the sheet and the grid print the day the sources last changed, so an edit on a later day
    rewrites them (the printed day moves), even when the edit itself is not printed."""
    source, out = project
    latest = read_lock(source / LOCK_FILE).latest()
    later = latest - latest % 86_400 + 3 * 86_400 + 600  # three days later, 00:10 UTC
    set_clock(monkeypatch, later)
    _replace(source / "algorithms.yaml", "It is **unsupervised** because", "It is **unsupervised**, since")
    report = build_into(source, out)
    assert sorted(path.name for path in report.written) == [
        "aws-mls-c01.apkg",
        "cheatsheet.pdf",
        "grid.csv",
        "grid.html",
    ]
    assert read_lock(source / LOCK_FILE).latest() == later
    assert f"Sources last changed {format_day(later)}." in (out / "grid.html").read_text(encoding="utf-8")
    sheet = "".join(page_texts(out / "cheatsheet.pdf"))
    assert format_day(later) in sheet and format_day(latest) not in sheet


@pytest.mark.slow
def test_grid_field_edit_rebuilds_all_three(project: tuple[Path, Path]) -> None:
    source, out = project
    _replace(
        source / "services.yaml", "use_case: turn text into lifelike speech", "use_case: read text aloud"
    )
    report = build_into(source, out)
    assert sorted(path.name for path in report.written) == [
        "aws-mls-c01.apkg",
        "cheatsheet.pdf",
        "grid.csv",
        "grid.html",
    ]
    assert "read text aloud" in (out / "grid.csv").read_text()


def test_deleted_output_is_rebuilt(project: tuple[Path, Path]) -> None:
    source, out = project
    (out / "grid.csv").unlink()
    report = build_into(source, out)
    assert not report.up_to_date
    assert [path.name for path in report.written] == ["grid.csv", "grid.html"]


@pytest.mark.slow
def test_force_rebuilds_everything_with_identical_bytes(project: tuple[Path, Path]) -> None:
    source, out = project
    before = {path.name: path.read_bytes() for path in out.iterdir() if not path.name.startswith(".")}
    report = build_into(source, out, force=True)
    assert sorted(path.name for path in report.written) == sorted(before)
    assert {path.name: path.read_bytes() for path in out.iterdir() if not path.name.startswith(".")} == before


def test_invalid_source_leaves_dist_byte_for_byte_intact(project: tuple[Path, Path]) -> None:
    source, out = project
    before = _snapshot(out)
    lock_before = (source / LOCK_FILE).read_bytes()
    _replace(source / "services.yaml", "kind: service", "kind: servise")
    with pytest.raises(SourceError):
        build_into(source, out, force=True)
    assert _snapshot(out) == before
    assert (source / LOCK_FILE).read_bytes() == lock_before


@pytest.mark.parametrize(
    ("template", "old", "new", "message"),
    [
        ("sheet.html.j2", "{% endfor %}", "{% endfour %}", r"sheet\.html\.j2:\d+: template syntax error"),
        ("grid.html.j2", "<h1>", "<h1>{{ 1 / 0 }}", r"template failed while rendering: ZeroDivisionError"),
    ],
)
def test_broken_template_is_reported_and_writes_nothing(
    template: str, old: str, new: str, message: str, project: tuple[Path, Path], tmp_path: Path
) -> None:
    source, out = project
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    _replace(templates / template, old, new)
    before = _snapshot(out)
    result = CliRunner().invoke(
        main, ["build", "--source", str(source), "--out", str(out), "--templates", str(templates)]
    )
    assert result.exit_code == 1
    assert re.search(message, result.output) and "Traceback" not in result.output
    assert _snapshot(out) == before
    with pytest.raises(TemplateProblem):
        build_into(source, out, templates=templates)


def test_failure_while_writing_keeps_every_previous_output(
    project: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deck is rendered before the sheet: if the sheet then fails, the new deck must not land alone."""
    source, out = project
    _replace(source / "services.yaml", "use_case: turn text into lifelike speech", "use_case: speak text")
    before = _snapshot(out)

    def disk_full(*_: object, **__: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cheatdeck.sheet.document, "write_sheet_pdf", disk_full)
    with pytest.raises(OutputError, match="No space left on device; nothing written, the previous outputs"):
        build_into(source, out)
    assert _snapshot(out) == before
    assert not [path for path in out.iterdir() if path.name.endswith(".tmp")]


@pytest.mark.slow
def test_watch_survives_an_invalid_edit(project: tuple[Path, Path]) -> None:
    source, out = project
    stop = threading.Event()
    results: list[BuildReport | Exception] = []
    arrived = threading.Condition()
    lines: list[str] = []

    def on_result(result: BuildReport | Exception) -> None:
        with arrived:
            results.append(result)
            arrived.notify_all()

    def wait_for(count: int) -> BuildReport | Exception:
        with arrived:
            assert arrived.wait_for(lambda: len(results) >= count, timeout=20), lines
            return results[count - 1]

    options = BuildOptions(source=source, out=out, artefacts=("deck", "grid"))
    thread = threading.Thread(target=watch, args=(options, lines.append, stop, on_result), daemon=True)
    thread.start()
    try:
        first = wait_for(1)
        assert isinstance(first, BuildReport)
        good = _snapshot(out)

        _replace(source / "services.yaml", "kind: service", "kind: servise")
        broken = wait_for(2)
        assert isinstance(broken, SourceError)
        assert _snapshot(out) == good
        assert any("servise" in line for line in lines)

        text = (source / "services.yaml").read_text(encoding="utf-8")
        text = text.replace("kind: servise", "kind: service", 1)
        text = text.replace("use_case: turn text into lifelike speech", "use_case: speak")
        (source / "services.yaml").write_text(text, encoding="utf-8")
        fixed = wait_for(3)
        assert isinstance(fixed, BuildReport) and fixed.written
        assert "speak" in (out / "grid.csv").read_text()
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.mark.slow
def test_a_save_during_the_build_is_not_mistaken_for_built(
    project: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    source, out = project
    from cheatdeck.build import pipeline

    plan = pipeline._plan_or_explain

    def plan_then_save(options: BuildOptions, *rest: Any) -> object:
        result = plan(options, *rest)
        _replace(
            source / "services.yaml", "use_case: build conversational", "use_case: design conversational"
        )
        return result

    monkeypatch.setattr(pipeline, "_plan_or_explain", plan_then_save)
    _replace(source / "services.yaml", "use_case: turn text into lifelike speech", "use_case: speak")
    build_into(source, out)
    monkeypatch.undo()
    report = build_into(source, out)
    assert not report.up_to_date
    assert "design conversational" in (out / "grid.csv").read_text()


@pytest.mark.slow
def test_partial_builds_neither_move_the_lock_nor_cost_a_later_full_build(project: tuple[Path, Path]) -> None:
    source, out = project
    lock_before = (source / LOCK_FILE).read_bytes()
    _replace(source / "services.yaml", "use_case: turn text into lifelike speech", "use_case: speak")
    build_into(source, out, artefacts=("grid",))
    assert (source / LOCK_FILE).read_bytes() == lock_before
    assert "edited: polly" in build_into(source, out, dry_run=True).deck_changes
    build_into(source, out)
    outputs = [path for path in out.iterdir() if not path.name.startswith(".")]
    before = _snapshot(*outputs)
    build_into(source, out, artefacts=("deck",))
    report = build_into(source, out)
    assert report.written == []
    assert _snapshot(*outputs) == before  # only the build-state cache file may change


def test_an_unusable_out_folder_is_a_message_not_a_traceback(
    project: tuple[Path, Path], tmp_path: Path
) -> None:
    source, _ = project
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--out", str(blocker / "dist")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "the previous outputs are kept" in result.output


def test_a_folder_named_like_a_notes_file_is_skipped(project: tuple[Path, Path]) -> None:
    source, _ = project
    (source / "old.yaml").mkdir()
    result = CliRunner().invoke(main, ["check", "--source", str(source)])
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_watch_writes_deck_and_grid_first_and_the_state_says_the_sheet_is_pending(
    project: tuple[Path, Path],
) -> None:
    import json

    from cheatdeck.build.state import STATE_FILE
    from cheatdeck.build.watch import build_once

    source, out = project
    before = _snapshot(out)
    _replace(source / "services.yaml", "use_case: turn text into lifelike speech", "use_case: speak text")
    seen: dict[str, object] = {}

    def between(quick: BuildReport) -> None:  # between the two phases: look at dist/ as a learner would now
        seen["quick"] = [path.name for path in quick.written]
        seen["pending"] = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))["pending"]
        seen["deck new"] = (out / "aws-mls-c01.apkg").read_bytes() != before[str(out / "aws-mls-c01.apkg")][1]
        seen["grid new"] = (out / "grid.csv").read_bytes() != before[str(out / "grid.csv")][1]
        seen["sheet old"] = (out / "cheatsheet.pdf").read_bytes() == before[str(out / "cheatsheet.pdf")][1]

    lines: list[str] = []
    result = build_once(BuildOptions(source=source, out=out), lines.append, between)
    assert isinstance(result, BuildReport)
    assert seen["quick"] == ["aws-mls-c01.apkg", "grid.csv", "grid.html"]
    assert (seen["pending"], seen["deck new"], seen["grid new"], seen["sheet old"]) == (
        ["sheet"],
        True,
        True,
        True,
    )
    assert [path.name for path in result.written] == ["cheatsheet.pdf"]
    assert json.loads((out / STATE_FILE).read_text(encoding="utf-8"))["pending"] == []
    (line,) = lines  # one line for the save: both builds
    assert line.startswith("rebuilt aws-mls-c01.apkg, grid.csv, grid.html"), line
    assert build_into(source, out).up_to_date
