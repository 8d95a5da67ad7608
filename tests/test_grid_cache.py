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
    unchanged are the same objects, whose digests are kept, so the key reads the edited row only."""
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
    assert changed == {"comprehend"} and notebook.locations["comprehend"].path == services
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


@pytest.fixture
def rows_rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One entry per grid row rendered (HTML: its markup; CSV: "csv"), by the real renderers."""
    cheatdeck.forget_caches()
    made: list[str] = []
    render_row, csv_line = cheatdeck.grid._render_row, cheatdeck.grid.csv_line

    def counting_row(*args: Any, caller: Any) -> str:
        html = render_row(*args, caller=caller)
        made.append(str(html))
        return html

    def counting_line(row: Any) -> str:
        made.append("csv")
        return csv_line(row)

    monkeypatch.setattr(cheatdeck.grid, "_render_row", counting_row)
    monkeypatch.setattr(cheatdeck.grid, "csv_line", counting_line)
    return made


def _edit_use_case(source: Path, before: str, after: str) -> None:
    services = source / "services.yaml"
    text = services.read_text(encoding="utf-8")
    assert text.count(f"use_case: {before}") == 1
    services.write_text(text.replace(f"use_case: {before}", f"use_case: {after}"), encoding="utf-8")


def test_a_one_row_edit_renders_one_row_of_the_grid_page_and_of_the_csv(
    scratch_source: Path, tmp_path: Path, rows_rendered: list[str]
) -> None:
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("grid",))
    build(options)
    rows = (options.out / "grid.html").read_text(encoding="utf-8").count('<tr><td class="name">')
    assert rows > 20 and rows_rendered.count("csv") == rows and len(rows_rendered) == 2 * rows
    rows_rendered.clear()
    _edit_use_case(scratch_source, "turn text into lifelike speech", "turn text into speech & song")
    build(options)
    assert len(rows_rendered) == 2 and "csv" in rows_rendered
    html = next(made for made in rows_rendered if made != "csv")
    assert "Amazon Polly" in html and "speech &amp; song" in html
    _same_as_cold(options, tmp_path)


def test_a_user_s_row_markup_is_kept_only_for_what_it_reads(
    scratch_source: Path, tmp_path: Path, rows_rendered: list[str]
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    grid = templates / "_grid.html.j2"
    shipped = grid.read_text(encoding="utf-8")
    options = BuildOptions(
        source=scratch_source, out=tmp_path / "dist", templates=templates, artefacts=("grid",)
    )

    def build_with(row_markup: str, *, expected: str) -> int:
        grid.write_text(shipped.replace('<tr><td class="name">', row_markup), encoding="utf-8")
        build(options)
        assert expected in (options.out / "grid.html").read_text(encoding="utf-8")
        rows_rendered.clear()
        _edit_use_case(scratch_source, "turn text into lifelike speech", expected.upper() + " speech")
        build(options)
        assert expected.upper() in (options.out / "grid.html").read_text(encoding="utf-8")
        rendered = len(rows_rendered) - rows_rendered.count("csv")
        _same_as_cold(options, tmp_path)
        _edit_use_case(scratch_source, expected.upper() + " speech", "turn text into lifelike speech")
        return rendered

    # the context (`deck`) read in the row: kept, under the deck's digest
    assert build_with('<tr title="{{ deck.title }}"><td class="name">', expected="AWS Certified") == 1
    deck = scratch_source / "deck.yaml"
    deck.write_text(
        deck.read_text(encoding="utf-8").replace("title: AWS", "title: The AWS"), encoding="utf-8"
    )
    build(options)  # warm the caches again (the cold build forgot them)
    deck.write_text(
        deck.read_text(encoding="utf-8").replace("title: The AWS", "title: An AWS"), encoding="utf-8"
    )
    rows_rendered.clear()
    build(options)
    assert 'title="An AWS' in (options.out / "grid.html").read_text(encoding="utf-8")
    assert len(rows_rendered) > 20  # every row again: what it reads changed
    _same_as_cold(options, tmp_path)
    # a variable of the template's loop, or the loop itself: every row rendered every time
    for reads in ("{{ group }}", "{{ loop.index }}", "{{ table.name }}"):
        rendered = build_with(f'<tr data-x="{reads}"><td class="name">', expected="data-x=")
        assert rendered > 20, reads
    # a template without `remember_row` (one written for an older cheatdeck) renders as it always did
    old = shipped.replace("{% call(row, columns) remember_row(row, table.columns) %}\n", "")
    old = old.replace("    {% endcall %}\n", "").replace("columns[loop.index0]", "table.columns[loop.index0]")
    assert "remember_row" not in old.split("#}")[1]
    grid.write_text(old, encoding="utf-8")
    build(options)
    _same_as_cold(options, tmp_path)


def test_each_remember_row_of_a_template_keeps_its_own_markup(scratch_source: Path, tmp_path: Path) -> None:
    """Two calls with the same row have each their own HTML; a macro handed to `remember_row` as its
    `caller` (not a call block) is rendered every time, what it reads being unknown to the key."""
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    page = templates / "grid.html.j2"
    extra = (
        "{% macro own(row, columns) %}<i>{{ deck.title }}: {{ row.note.title }}</i>{% endmacro %}\n"
        "{% for row in grid.rows() %}\n"
        "{% call(row, columns) remember_row(row, ()) %}<b>{{ row.note.title }}</b>{% endcall %}\n"
        "{{ remember_row(row, (), caller=own) }}\n"
        "{% endfor %}\n"
    )
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", extra + "</body>"), encoding="utf-8")
    options = BuildOptions(
        source=scratch_source, out=tmp_path / "dist", templates=templates, artefacts=("grid",)
    )
    cheatdeck.forget_caches()
    build(options)
    html = (options.out / "grid.html").read_text(encoding="utf-8")
    assert "<b>Amazon Polly</b>" in html and '<a href="cheatsheet.pdf#note-polly">Amazon Polly</a>' in html
    assert "<i>AWS Certified Machine Learning – Specialty (MLS-C01): Amazon Polly</i>" in html
    deck = scratch_source / "deck.yaml"
    deck.write_text(
        deck.read_text(encoding="utf-8").replace("title: AWS", "title: The AWS"), encoding="utf-8"
    )
    build(options)
    assert "<i>The AWS Certified" in (options.out / "grid.html").read_text(encoding="utf-8")
    _same_as_cold(options, tmp_path)
