"""Outputs plug in: a build computes only what the requested outputs need; the date needs no deck plan."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import cheatdeck.anki.reconcile
from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.anki.lock import LOCK_FILE, read_lock
from cheatdeck.options import ARTEFACTS, DEFAULT_ARTEFACTS, OUTPUTS
from cheatdeck.outputs import GRID_HTML, NEEDS, load_output
from cheatdeck.templating import format_day
from tests.conftest import build_into, set_clock


def _no_planning(*args: object, **kwargs: object) -> None:
    raise AssertionError("plan_deck was called")


def test_every_registered_output_declares_what_it_needs() -> None:
    assert ARTEFACTS == tuple(OUTPUTS) == ("deck", "sheet", "grid", "flashcards")
    assert DEFAULT_ARTEFACTS == ("deck", "sheet", "grid")  # flashcards: on request
    for name in ARTEFACTS:
        output = load_output(name)
        assert output.name == name and set(output.needs) <= set(NEEDS)
    assert load_output("deck").needs == ("plan",)
    assert (
        "plan" not in load_output("sheet").needs + load_output("grid").needs + load_output("flashcards").needs
    )


@pytest.mark.parametrize(("artefact", "dry_run"), [("grid", False), ("sheet", True)])
def test_grid_and_sheet_builds_do_not_plan_the_deck(
    artefact: str, dry_run: bool, scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dry run renders the sheet's HTML without the PDF (a PDF render is slow)."""
    monkeypatch.setattr(cheatdeck.anki.reconcile, "plan_deck", _no_planning)
    report = build_into(scratch_source, tmp_path / "dist", artefacts=(artefact,), dry_run=dry_run)
    assert report.deck_summary == ""
    if not dry_run:
        assert (tmp_path / "dist" / GRID_HTML).is_file()


def test_a_grid_build_needs_no_card_templates(scratch_source: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    (templates / "anki" / "term.front.html").unlink()
    build_into(scratch_source, tmp_path / "dist", templates=templates, artefacts=("grid",))
    assert (tmp_path / "dist" / GRID_HTML).is_file()


def test_the_date_of_a_grid_build_is_the_locks_not_the_clock(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notes edited since the last deck build: the grid is the same whichever day it is built."""
    notes = scratch_source / "services.yaml"
    notes.write_text(notes.read_text(encoding="utf-8").replace("summary: ", "summary: Edited. ", 1))
    pages = []
    for day in (1_900_000_000, 1_900_000_000 + 3 * 86_400):
        set_clock(monkeypatch, day)
        build_into(scratch_source, tmp_path / str(day), artefacts=("grid",))
        pages.append((tmp_path / str(day) / GRID_HTML).read_text(encoding="utf-8"))
    assert pages[0] == pages[1]
    latest = read_lock(scratch_source / LOCK_FILE).latest()
    assert f"Sources last changed {format_day(latest)}." in pages[0]


def test_a_deck_build_dates_the_grid_with_the_lock_it_writes(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built with the deck, the grid carries the date of the lock written beside it: a later grid-only
    build from that folder gives the same file."""
    notes = scratch_source / "services.yaml"
    notes.write_text(notes.read_text(encoding="utf-8").replace("summary: ", "summary: Edited. ", 1))
    set_clock(monkeypatch, 1_900_000_000)
    build_into(scratch_source, tmp_path / "all", artefacts=("deck", "grid"))
    assert read_lock(scratch_source / LOCK_FILE).latest() == 1_900_000_000
    build_into(scratch_source, tmp_path / "grid", artefacts=("grid",))
    together = (tmp_path / "all" / GRID_HTML).read_text(encoding="utf-8")
    assert together == (tmp_path / "grid" / GRID_HTML).read_text(encoding="utf-8")
    assert f"Sources last changed {format_day(1_900_000_000)}." in together
