"""The grid is rendered only when what it shows changed (issue 26): a `watch` save builds twice, and a note
edited outside the grid's columns leaves it as it was; the files are those of a cold, forced build."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import cheatdeck
import cheatdeck.grid
from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.build import watch as watching
from cheatdeck.build.pipeline import build
from cheatdeck.options import BuildOptions


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per render of the grid's HTML (the real renderer, counted)."""
    cheatdeck.forget_caches()
    made: list[int] = []
    render = cheatdeck.grid.render_grid_html

    def counting(*args: Any, **kwargs: Any) -> str:
        made.append(1)
        return render(*args, **kwargs)

    monkeypatch.setattr(cheatdeck.grid, "render_grid_html", counting)
    return made


def _same_as_cold(options: BuildOptions, tmp_path: Path) -> None:
    cheatdeck.forget_caches()
    fresh = replace(options, out=tmp_path / "fresh", force=True)
    build(fresh)
    for name in ("grid.csv", "grid.html"):
        assert (options.out / name).read_bytes() == (fresh.out / name).read_bytes(), name
    shutil.rmtree(fresh.out)


def test_a_save_renders_the_grid_once_for_its_two_builds(
    scratch_source: Path, tmp_path: Path, renders: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watching, "SLOW_ARTEFACTS", ("deck",))  # two builds a save, no PDF laid out
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck", "grid"))
    watching.build_once(options, lambda _: None)
    assert len(renders) == 1
    notes = scratch_source / "services.yaml"
    text = notes.read_text(encoding="utf-8")
    notes.write_text(text.replace("use_case: ", "use_case: Edited. ", 1), encoding="utf-8")
    watching.build_once(options, lambda _: None)
    assert len(renders) == 2
    assert "Edited." in (options.out / "grid.html").read_text(encoding="utf-8")
    _same_as_cold(options, tmp_path)


def test_a_changed_grid_template_renders_the_grid_again(
    scratch_source: Path, tmp_path: Path, renders: list[int]
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    options = BuildOptions(
        source=scratch_source, out=tmp_path / "dist", templates=templates, artefacts=("grid",)
    )
    build(options)
    rows = templates / "_grid.html.j2"
    rows.write_text(
        rows.read_text(encoding="utf-8").replace("<tbody>", "<tbody class='edited'>"), encoding="utf-8"
    )
    build(options)
    assert len(renders) == 2
    assert "class='edited'" in (options.out / "grid.html").read_text(encoding="utf-8")
    _same_as_cold(options, tmp_path)


def test_a_build_compiles_no_template_the_last_one_compiled(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each build makes its Jinja environments afresh; the templates' code is kept by their text."""
    import jinja2

    cheatdeck.forget_caches()
    compiled: list[str | None] = []
    compile_template = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: Any, name: str | None = None, *args: Any) -> Any:
        compiled.append(name)
        return compile_template(self, source, name, *args)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("grid",))
    build(replace(options, force=True))
    assert "grid.html.j2" in compiled
    compiled.clear()
    notes = scratch_source / "services.yaml"
    text = notes.read_text(encoding="utf-8")
    notes.write_text(text.replace("use_case: ", "use_case: Edited. ", 1), encoding="utf-8")
    build(options)  # the grid rendered again, with the templates compiled before
    assert "Edited." in (options.out / "grid.html").read_text(encoding="utf-8")
    assert compiled == []


def test_a_load_after_an_edit_keeps_the_rows_of_unchanged_notes_and_their_digests(
    scratch_source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The grid's key is a digest of every row: after an edit, the rows of the notes a load gives back
    unchanged (those of the other files) are the same objects, whose digests are kept, so the key reads
    the rows of the edited file only."""
    from cheatdeck import hashing
    from cheatdeck.grid import grid_rows
    from cheatdeck.notes.sources import load_sources

    cheatdeck.forget_caches()
    before = grid_rows(load_sources(scratch_source))
    fingerprint = hashing.fingerprint(before)
    services = scratch_source / "services.yaml"
    text = services.read_text(encoding="utf-8")
    assert text.count("use_case: uncover insights") == 1
    services.write_text(
        text.replace("use_case: uncover insights", "use_case: NLP, insights"), encoding="utf-8"
    )
    notebook = load_sources(scratch_source)
    after = grid_rows(notebook)
    old = {row.note.id: row for row in before.rows()}
    changed = {row.note.id for row in after.rows() if row is not old[row.note.id]}
    edited = {row.note.id for row in after.rows() if notebook.locations[row.note.id].path == services}
    assert changed == edited and 0 < len(changed) < len(old) / 2
    assert "NLP, insights" in after["services"][0].values[0] + after["services"][1].values[0]
    fed: list[object] = []
    feed = hashing._feed
    monkeypatch.setattr(hashing, "_feed", lambda *args: fed.append(args[1]) or feed(*args))
    assert hashing.fingerprint(after) != fingerprint
    rows = len([value for value in fed if isinstance(value, cheatdeck.grid.GridRow)])
    assert rows == len(after.rows()) and len(fed) - rows < 60 * len(changed) + 60
    fed.clear()
    assert hashing.fingerprint(after) != fingerprint and len(fed) < len(after.rows()) + 60
    cheatdeck.forget_caches()
    assert hashing.fingerprint(grid_rows(load_sources(scratch_source))) == hashing.fingerprint(after)
