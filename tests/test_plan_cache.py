"""A one-note edit plans that note's Anki fields, not every note's (issue 26): each note's plan is kept under
everything it is made from, and the deck after any edit is the bytes of a cold, forced build."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import cheatdeck
import cheatdeck.cards.plan
from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.build.pipeline import build
from cheatdeck.options import BuildOptions


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the source notes whose Anki notes were planned (the real planner, counted)."""
    cheatdeck.forget_caches()  # what an earlier test planned in this process
    ids: list[str] = []
    plan_note = cheatdeck.cards.plan._plan_note

    def counting(notebook: Any, cards: Any, *args: Any) -> Any:
        ids.append(cards.note.id)
        return plan_note(notebook, cards, *args)

    monkeypatch.setattr(cheatdeck.cards.plan, "_plan_note", counting)
    return ids


def _deck(out: Path) -> bytes:
    return next(out.glob("*.apkg")).read_bytes()


def _same_as_cold(options: BuildOptions, tmp_path: Path) -> None:
    cheatdeck.forget_caches()
    fresh = replace(options, out=tmp_path / "fresh", force=True)
    build(fresh)
    assert _deck(options.out) == _deck(fresh.out)
    shutil.rmtree(fresh.out)


def test_a_one_note_edit_plans_that_note_only(
    scratch_source: Path, tmp_path: Path, planned: list[str]
) -> None:
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck",))
    build(options)
    every = len(planned)
    assert every > 20
    notes = scratch_source / "services.yaml"
    text = notes.read_text(encoding="utf-8")
    notes.write_text(text.replace("summary: ", "summary: Edited. ", 1), encoding="utf-8")
    planned.clear()
    build(options)
    assert len(planned) == 1
    _same_as_cold(options, tmp_path)


def test_a_changed_field_template_plans_every_note_again(
    scratch_source: Path, tmp_path: Path, planned: list[str]
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    options = BuildOptions(
        source=scratch_source, out=tmp_path / "dist", templates=templates, artefacts=("deck",)
    )
    build(options)
    every = len(planned)
    more = templates / "anki" / "fields" / "more.html.j2"
    more.write_text(more.read_text(encoding="utf-8") + "<hr>\n", encoding="utf-8")
    planned.clear()
    build(options)
    assert len(planned) == every
    _same_as_cold(options, tmp_path)


def test_a_note_showing_a_picture_is_planned_each_time(
    scratch_source: Path, tmp_path: Path, planned: list[str]
) -> None:
    """The picture is read by content: a new picture under the same name changes the note's media."""
    (scratch_source / "media").mkdir(exist_ok=True)
    picture = scratch_source / "media" / "figure.png"
    picture.write_bytes(b"\x89PNG first")
    notes = scratch_source / "services.yaml"
    text = notes.read_text(encoding="utf-8")
    notes.write_text(
        text.replace("    summary: ", "    image: figure.png\n    summary: ", 1), encoding="utf-8"
    )
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck",))
    build(options)
    picture.write_bytes(b"\x89PNG second")
    planned.clear()
    build(options)
    assert len(planned) == 1
    _same_as_cold(options, tmp_path)


def test_a_changed_template_a_field_template_includes_from_a_subfolder_plans_every_note_again(
    scratch_source: Path, tmp_path: Path, planned: list[str]
) -> None:
    """The key held only the fields folder's own files: an edit of `parts/tail.html.j2`, which a field
    template includes, left every card with the old text until --force (fails on 650cc96)."""
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    fields = templates / "anki" / "fields"
    (fields / "parts").mkdir()
    (fields / "parts" / "tail.html.j2").write_text("TAIL-ONE\n", encoding="utf-8")
    more = fields / "more.html.j2"
    more.write_text(
        more.read_text(encoding="utf-8") + '{% include "parts/tail.html.j2" %}\n', encoding="utf-8"
    )
    options = BuildOptions(
        source=scratch_source, out=tmp_path / "dist", templates=templates, artefacts=("deck",)
    )
    build(options)
    every = len(planned)
    (fields / "parts" / "tail.html.j2").write_text("TAIL-TWO\n", encoding="utf-8")
    planned.clear()
    build(options)
    assert len(planned) == every
    _same_as_cold(options, tmp_path)
