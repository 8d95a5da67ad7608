"""A one-note edit renders that note's HTML on the sheet, not every note's (issue 26): each item is kept in
memory under everything it is made from, and a build after any edit renders the HTML a cold build renders."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cheatdeck
import cheatdeck.sheet.document
from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.build.pipeline import build
from cheatdeck.options import BuildOptions
from cheatdeck.sheet.document import FLOW_ITEM, _tidy_by_item, _tidy_spaces

DECK = "id: items\ntitle: Items\n"


def _note(index: int, kind: str = "concept", title: str | None = None, related: str | None = None) -> str:
    lines = [
        f"  - id: {kind}-{index}",
        f"    title: {title or f'{kind.capitalize()} number {index}'}",
        f"    kind: {kind}",
        f"    summary: The {kind} numbered {index} says word{index % 7} and word{index % 5}.",
    ]
    if related:
        lines.append(f"    related: [{related}]")
    return "\n".join(lines)


def _write(source: Path, notes: list[str]) -> None:
    (source / "notes.yaml").write_text("notes:\n" + "\n".join(notes) + "\n", encoding="utf-8")


def _notes(count: int = 12) -> list[str]:
    notes = [_note(index, related="metric-1" if index == 2 else None) for index in range(count)]
    return notes + [_note(index, "metric") for index in range(3)]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    cheatdeck.forget_caches()  # what an earlier test rendered in this process
    folder = tmp_path / "source"
    folder.mkdir()
    (folder / "deck.yaml").write_text(DECK, encoding="utf-8")
    _write(folder, _notes())
    return folder


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many items each render of the sheet's notes rendered (the real template, the real path)."""
    from cheatdeck.sheet import items

    counts: list[int] = []
    render_item = items.render_item
    render_sheet_parts = cheatdeck.sheet.document.render_sheet_parts

    def counting_item(caller: Callable[[], str]) -> Any:
        counts[-1] += 1
        return render_item(caller)

    def counting_parts(*args: Any, **kwargs: Any) -> Any:
        counts.append(0)
        return render_sheet_parts(*args, **kwargs)

    monkeypatch.setattr(items, "render_item", counting_item)
    monkeypatch.setattr(cheatdeck.sheet.document, "render_sheet_parts", counting_parts)
    return counts


def _sheet_html(source: Path, tmp_path: Path, templates: Path = SHIPPED_TEMPLATES) -> str:
    """Plan a sheet build (its HTML rendered, nothing laid out) and return the HTML its stamp is made of."""
    seen: list[str] = []
    parts = cheatdeck.sheet.document.render_sheet_parts

    def keep(*args: Any, **kwargs: Any) -> Any:
        sheet = parts(*args, **kwargs)
        seen.append(sheet.text() + (sheet.frame or ""))
        return sheet

    cheatdeck.sheet.document.render_sheet_parts = keep  # type: ignore[assignment]
    try:
        options = BuildOptions(
            source=source, out=tmp_path / "dist", templates=templates, artefacts=("sheet",), dry_run=True
        )
        build(options)
    finally:
        cheatdeck.sheet.document.render_sheet_parts = parts  # type: ignore[assignment]
    return seen[-1]


def _cold(source: Path, tmp_path: Path, templates: Path = SHIPPED_TEMPLATES) -> str:
    cheatdeck.forget_caches()
    return _sheet_html(source, tmp_path, templates)


def test_a_one_note_edit_renders_that_note_s_html_only(
    source: Path, tmp_path: Path, rendered: list[int]
) -> None:
    _sheet_html(source, tmp_path)
    assert rendered == [15]  # every note of the sheet, once
    notes = source / "notes.yaml"
    notes.write_text(notes.read_text(encoding="utf-8").replace("numbered 5 says", "numbered 5 now says"))
    edited = _sheet_html(source, tmp_path)
    assert rendered[1] == 1
    assert "numbered 5 now says" in edited
    assert edited == _cold(source, tmp_path)
    assert rendered[2] == 15


def test_a_renamed_note_renders_again_the_notes_that_name_it(source: Path, tmp_path: Path) -> None:
    """metric-1 links to concept-2 by its title (they are related): renaming concept-2 changes both."""
    _sheet_html(source, tmp_path)
    notes = source / "notes.yaml"
    notes.write_text(notes.read_text(encoding="utf-8").replace("Concept number 2\n", "Recall\n"))
    edited = _sheet_html(source, tmp_path)
    assert "> Recall</a>" in edited
    assert edited == _cold(source, tmp_path)


@pytest.mark.parametrize(
    ("markup", "edit"),
    [
        # `loop.index` numbers every note after one added before them
        ("<i>{{ loop.index }}</i>", lambda notes: [_note(99), *notes]),
        # every note shows how many notes of its kind there are
        (
            "<i>{{ sections | map(attribute='notes') | map('length') | list }}</i>",
            lambda notes: [*notes, _note(98)],
        ),
        # a variable the template sets: the key cannot hold it
        ("<i>{{ shown }}</i>", lambda notes: [*notes, _note(97, "metric")]),
    ],
)
def test_an_item_reading_more_than_its_note_renders_what_a_cold_build_renders(
    source: Path, tmp_path: Path, markup: str, edit: Callable[[list[str]], list[str]]
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    page = templates / "sheet.html.j2"
    text = page.read_text(encoding="utf-8").replace('<div class="item">', f'<div class="item">{markup}', 1)
    counted = "{% set shown = sections | map(attribute='notes') | map('length') | sum %}"
    text = text.replace("{% for chapter in chapters %}", counted + "{% for chapter in chapters %}", 1)
    page.write_text(text, encoding="utf-8")
    _sheet_html(source, tmp_path, templates)
    _write(source, edit(_notes()))
    assert _sheet_html(source, tmp_path, templates) == _cold(source, tmp_path, templates)


def test_a_template_saved_while_a_build_renders_is_never_kept_under_its_new_text(tmp_path: Path) -> None:
    """The items' key read the template's file as the first item rendered, after it was compiled: a save in
    between (an editor's auto-save) kept the old template's HTML under the new text's key, and every later
    build showed it until --force (found by review; fails on fbe9a89)."""
    from types import SimpleNamespace

    from cheatdeck.sheet.items import ITEMS
    from cheatdeck.templating import make_environment

    cheatdeck.forget_caches()
    sheet = tmp_path / "sheet.html.j2"
    item = "{% call remember_item(note, section, loop.first) %}<p>{0} {{ note }}</p>{% endcall %}"
    loop = "{% for section in sections %}{% for note in section.notes %}" + item + "{% endfor %}{% endfor %}"
    old, new = loop.replace("{0}", "OLD"), loop.replace("{0}", "NEW")
    sheet.write_text(old, encoding="utf-8")
    context = {"sections": [SimpleNamespace(kind="k", notes=["a", "b"])]}

    def render(save: str | None = None) -> str:
        environment = make_environment(tmp_path)
        template = environment.get_template("sheet.html.j2")
        if save is not None:
            sheet.write_text(save, encoding="utf-8")
        remember = ITEMS.remember(environment, template, context, None)
        html = template.render(**context, remember_item=remember)
        remember.finish()
        return html

    assert render(save=new) == "<p>OLD a</p><p>OLD b</p>"  # compiled before the save
    assert render() == "<p>NEW a</p><p>NEW b</p>"
    cheatdeck.forget_caches()


def test_a_macro_s_default_argument_is_read_into_the_item_s_key(tmp_path: Path) -> None:
    """A macro's defaults were not read for the key: `{% macro line(note, by=deck.author) %}` kept
    printing the old author after deck.yaml changed it (found by review; fails on 69bdcee)."""
    from types import SimpleNamespace

    from cheatdeck.sheet.items import ITEMS
    from cheatdeck.templating import make_environment

    cheatdeck.forget_caches()
    (tmp_path / "sheet.html.j2").write_text(
        "{% macro line(note, by=deck.author) %}<p>{{ note }} by {{ by }}</p>{% endmacro %}"
        "{% for section in sections %}{% for note in section.notes %}"
        "{% call remember_item(note, section, loop.first) %}{{ line(note) }}{% endcall %}"
        "{% endfor %}{% endfor %}",
        encoding="utf-8",
    )

    def render(author: str) -> str:
        context = {"sections": [SimpleNamespace(kind="k", notes=["a"])], "deck": {"author": author}}
        environment = make_environment(tmp_path)
        template = environment.get_template("sheet.html.j2")
        remember = ITEMS.remember(environment, template, context, None)
        html = template.render(**context, remember_item=remember)
        remember.finish()
        return html

    assert render("Ann") == "<p>a by Ann</p>"
    assert render("Bob") == "<p>a by Bob</p>"
    cheatdeck.forget_caches()


# what the tidy's two rules read, cut so that a match may run across a mark or stop just short of one
_TIDY_PIECES = [
    *(" ", "\n  ", "x", "<", ">", " <", "<b>", " <mark>", " <span class=a>", " <em", "</div>", "</p>"),
    *("</h2>", "</td>", "</d", "iv>", "<!--", "-->", "<!-- item", " -->", FLOW_ITEM, FLOW_ITEM, FLOW_ITEM),
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_TIDY_PIECES), max_size=40))
def test_tidying_item_by_item_gives_the_html_tidying_it_whole_gives(pieces: list[str]) -> None:
    """The sheet's spaces are tidied item by item, each item's HTML once for its text (issue 26)."""
    html = "".join(pieces)
    assert _tidy_by_item(html) == _tidy_spaces(html)
    assert _tidy_by_item(html) == _tidy_spaces(html)  # again, from what it kept


def test_a_one_note_edit_tidies_that_note_s_item_only(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole sheet's HTML was tidied on every edit (fails on f6bbf90)."""
    tidied: list[str] = []
    tidy = cheatdeck.sheet.document._tidy_spaces

    def keep(html: str) -> Any:
        tidied.append(html)
        return tidy(html)

    monkeypatch.setattr(cheatdeck.sheet.document, "_tidy_spaces", keep)
    _sheet_html(source, tmp_path)
    assert any('id="note-concept-7"' in html for html in tidied)
    tidied.clear()
    notes = source / "notes.yaml"
    notes.write_text(notes.read_text(encoding="utf-8").replace("numbered 5 says", "numbered 5 now says"))
    edited = _sheet_html(source, tmp_path)
    assert any("numbered 5 now says" in html for html in tidied)
    assert not [html for html in tidied if 'id="note-concept-7"' in html]  # an unchanged note's item
    assert edited == _cold(source, tmp_path)


@pytest.fixture
def looped(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The notes the template's item loop ran over with their item's markup (ids, as `remember_item`
    was called with them)."""
    from cheatdeck.sheet import items

    seen: list[str] = []
    call = items.Remember.__call__

    def keep(self: Any, note: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(note.id)
        return call(self, note, *args, **kwargs)

    monkeypatch.setattr(items.Remember, "__call__", keep)
    return seen


def test_a_one_note_edit_runs_the_template_s_item_loop_for_that_note_only(
    source: Path, tmp_path: Path, looped: list[str]
) -> None:
    """The template's loop ran over all 3,000 notes of a deck on each save, each item taken from the cache
    (fails on f6bbf90): it now runs over the edited note, after the first of its kind (`loop.first`)."""
    _sheet_html(source, tmp_path)
    assert {"concept-7", "metric-2"} <= set(looped)
    looped.clear()
    notes = source / "notes.yaml"
    notes.write_text(notes.read_text(encoding="utf-8").replace("numbered 5 says", "numbered 5 now says"))
    edited = _sheet_html(source, tmp_path)
    assert set(looped) == {"concept-0", "concept-5"}
    assert edited == _cold(source, tmp_path)


_EDITS: list[Callable[[list[str]], list[str]]] = [
    lambda notes: [notes[0].replace("says", "now says"), *notes[1:]],  # a kind's first note
    lambda notes: [*notes[:-1], notes[-1].replace("says", "now says")],  # the last note
    lambda notes: [_note(99), *notes],  # a note before all others
    lambda notes: notes[1:-1],  # the first and the last gone
    lambda notes: [*notes, _note(7, "deployment")],  # a kind of one note
]


@pytest.mark.parametrize(
    ("around", "outlined"),
    [
        ("<hr>{{ deck.title }}", True),  # text and a name the template never sets: the same for every note
        ("<i>{{ loop.index }}</i>", False),  # each note's number
        ("{% if loop.first %}<hr>{% endif %}", False),
        ("<i>{{ note.title }}</i>", False),
    ],
)
def test_a_loop_writing_more_than_its_items_renders_what_a_cold_build_renders(
    source: Path, tmp_path: Path, looped: list[str], around: str, outlined: bool
) -> None:
    """A learner's template may write anything around the items in its loop over the notes: only text the
    same for every note lets the loop run over the edited notes alone; every edit renders what a cold
    build renders, the items at the seams between kinds too."""
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    page = templates / "sheet.html.j2"
    text = page.read_text(encoding="utf-8")
    loop = "  {{ flow_item }}{% call remember_item(note, section, loop.first) %}"
    assert text.count(loop) == 1
    text = text.replace(loop, f"  {around}{loop}").replace(
        "  {% endcall %}\n", f"  {{% endcall %}}{around}\n"
    )
    page.write_text(text, encoding="utf-8")
    _sheet_html(source, tmp_path, templates)
    for edit in _EDITS:
        _write(source, edit(_notes()))
        looped.clear()
        edited = _sheet_html(source, tmp_path, templates)
        if edit is _EDITS[0]:  # concept-0's item only changed (a note added changes every note's `titles`)
            assert (looped == ["concept-0"]) == outlined
        assert edited.count("<hr>") + edited.count("<i>") >= 2  # what the loop writes around the items
        assert edited == _cold(source, tmp_path, templates)


def test_a_one_note_edit_renders_that_note_s_grid_row_of_the_sheet_only(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sheet's back matter rendered every grid row on every save (fails on 2222ff5): each row is now
    kept as the grid page keeps its own (its key holds its note), and an edit renders that note's row."""
    from cheatdeck import grid

    _write(source, [*_notes(), *(_note(index, "service") for index in range(4))])
    rows: list[int] = []
    render_row = grid._render_row

    def counting(*args: Any, caller: Callable[..., str]) -> Any:
        rows.append(1)
        return render_row(*args, caller=caller)

    monkeypatch.setattr(grid, "_render_row", counting)
    first = _sheet_html(source, tmp_path)
    assert len(rows) >= 4 and 'id="note-service-3"' in first
    rows.clear()
    notes = source / "notes.yaml"
    notes.write_text(notes.read_text(encoding="utf-8").replace("service numbered 2 says", "service 2 says"))
    edited = _sheet_html(source, tmp_path)
    assert len(rows) == 1
    assert "service 2 says" in edited
    assert edited == _cold(source, tmp_path)
