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
