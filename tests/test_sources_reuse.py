"""A load after an edit validates only the notes that changed (issue 26): the unchanged files, and the notes
of an edited file written as they were, give back the very notes of the load before, and every problem is
reported exactly as a first load reports it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cheatdeck import forget_caches
from cheatdeck.notes import sources
from cheatdeck.notes.model import Note, Notebook
from cheatdeck.notes.sources import SourceError, load_sources


def _note(note_id: str, **fields: str) -> str:
    lines = [f"  - id: {note_id}", "    kind: concept", f"    title: {note_id.title()}"]
    lines.append(f"    summary: {fields.pop('summary', 'What ' + note_id + ' is.')}")
    lines += [f"    {name}: {value}" for name, value in fields.items()]
    return "\n".join(lines) + "\n"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    (folder / "media").mkdir(parents=True)
    (folder / "media" / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "deck.yaml").write_text("id: reuse\ntitle: Reuse\n", encoding="utf-8")
    for name, ids in (("a", ("one", "two", "three")), ("b", ("four", "five")), ("c", ("six", "seven"))):
        text = "notes:\n" + "".join(_note(f"{note_id}") for note_id in ids)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def validated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the notes each load validates, in order (the real validation runs)."""
    seen: list[str] = []
    validate = sources._validate

    def counting(schema: type[Any], document: Any, problems: Any, at: Any, data: Any, *rest: Any) -> Any:
        if schema is Note:
            seen.append(data.get("id") if isinstance(data, dict) else repr(data))
        return validate(schema, document, problems, at, data, *rest)

    monkeypatch.setattr(sources, "_validate", counting)
    return seen


def _errors(folder: Path) -> str:
    with pytest.raises(SourceError) as error:
        load_sources(folder)
    return str(error.value)


def _cold_errors(folder: Path) -> str:
    forget_caches()
    return _errors(folder)


def test_a_load_after_an_edit_validates_the_edited_file_only_and_keeps_the_other_notes(
    tmp_path: Path, validated: list[str]
) -> None:
    folder = _folder(tmp_path)
    forget_caches()
    first = load_sources(folder)
    assert sorted(validated) == sorted(note.id for note in first.notes) and len(validated) == 7
    b = folder / "b.yaml"
    b.write_text(b.read_text(encoding="utf-8").replace("What four is.", "Four, edited."), encoding="utf-8")
    validated.clear()
    second = load_sources(folder)
    assert validated == ["four"]  # the edited note only: b.yaml's other note is written as it was
    by_id = {note.id: note for note in first.notes}
    for note in second.notes:
        assert (note is by_id[note.id]) == (note.id != "four"), note.id
    assert second.note("four").summary == "Four, edited."
    validated.clear()
    assert load_sources(folder).notes == second.notes and validated == []
    _same_as_cold(folder, second)


def _same_as_cold(folder: Path, warm: Notebook) -> None:
    forget_caches()
    cold = load_sources(folder)
    assert warm.notes == cold.notes and warm.locations == cold.locations
    assert warm.field_lines == cold.field_lines and warm.warnings == cold.warnings


def test_a_duplicate_id_an_edit_brings_into_another_file_is_reported_as_a_first_load_reports_it(
    tmp_path: Path, validated: list[str]
) -> None:
    folder = _folder(tmp_path)
    load_sources(folder)
    c = folder / "c.yaml"
    c.write_text(c.read_text(encoding="utf-8") + _note("two") + _note("eight"), encoding="utf-8")
    warm = _errors(folder)
    assert "c.yaml:" in warm and "duplicate id 'two' (first defined at " in warm and "a.yaml:" in warm
    assert warm == _cold_errors(folder)
    # the other way round: an earlier file takes an id a later, unchanged file defines
    c.write_text(c.read_text(encoding="utf-8").replace("id: two", "id: nine"), encoding="utf-8")
    load_sources(folder)
    a = folder / "a.yaml"
    a.write_text(a.read_text(encoding="utf-8") + _note("six"), encoding="utf-8")
    validated.clear()
    warm = _errors(folder)
    assert validated == ["six"]  # the edited note only; c.yaml's `six`, now second, is never validated
    assert "c.yaml:2: notes[0].id: duplicate id 'six' (first defined at " in warm
    assert warm == _cold_errors(folder)
    # and the unchanged file's note is taken again once the duplicate goes
    a.write_text(a.read_text(encoding="utf-8").replace("id: six", "id: ten"), encoding="utf-8")
    _same_as_cold(folder, load_sources(folder))


def test_problems_across_files_and_outside_them_are_found_again_in_unchanged_files(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    b = folder / "b.yaml"
    b.write_text(
        b.read_text(encoding="utf-8")
        + _note("eight", image="chart.png", related="[one]")
        + _note("nine", formula="no equals sign", related="[ten]", trivia="[nothing]"),
        encoding="utf-8",
    )
    with pytest.raises(SourceError) as first:
        load_sources(folder)
    assert "b.yaml:21: notes[3].related[0]: unknown note id 'ten'" in str(first.value)
    assert "notes[3].formula: expected 'Name = expression'" in str(first.value)
    assert "notes[3].trivia[0]: expected a fact's answer, got 'nothing'" in str(first.value)
    a = folder / "a.yaml"
    a.write_text(a.read_text(encoding="utf-8") + _note("ten"), encoding="utf-8")
    assert "unknown note id" not in (warm := _errors(folder)) and warm == _cold_errors(folder)
    (folder / "media" / "chart.png").unlink()  # b.yaml unchanged: its note's image is gone all the same
    warm = _errors(folder)
    assert "b.yaml:14: notes[2].image: no such file: " in warm and warm == _cold_errors(folder)
    a.write_text(a.read_text(encoding="utf-8").replace("id: one", "id: eleven"), encoding="utf-8")
    warm = _errors(folder)
    assert "notes[2].related[0]: unknown note id 'one'" in warm and warm == _cold_errors(folder)


def test_the_deck_s_rules_are_part_of_what_an_unchanged_file_is_checked_against(
    tmp_path: Path, validated: list[str]
) -> None:
    folder = _folder(tmp_path)
    c = folder / "c.yaml"
    c.write_text(c.read_text(encoding="utf-8") + _note("eight", vendor="Acme"), encoding="utf-8")
    assert "notes[2].vendor: unknown field" in _errors(folder)
    deck = folder / "deck.yaml"
    deck.write_text(
        deck.read_text(encoding="utf-8") + "fields:\n  - name: vendor\n    label: Vendor\n", encoding="utf-8"
    )
    warm = _errors(folder)  # now a field the deck declares, that no kind has
    assert "notes[2].vendor: a concept note has no field 'vendor'" in warm and warm == _cold_errors(folder)
    deck.write_text(
        deck.read_text(encoding="utf-8")
        + "kinds:\n  - name: concept\n    fields: [vendor]\n    required: [vendor]\n",
        encoding="utf-8",
    )
    validated.clear()
    warm = _errors(folder)
    assert len(validated) == 8  # other kinds: every note validated again
    assert "a.yaml:2: notes[0].vendor: required for a concept note" in warm and warm == _cold_errors(folder)


def test_forget_caches_forgets_the_checked_notes(tmp_path: Path, validated: list[str]) -> None:
    folder = _folder(tmp_path)
    load_sources(folder)
    assert sources._CHECKED.files
    forget_caches()
    assert not sources._CHECKED.files
    validated.clear()
    load_sources(folder)
    assert len(validated) == 7


def test_an_edited_file_gives_back_its_sound_notes_written_the_same_and_checks_the_others_again(
    tmp_path: Path, validated: list[str]
) -> None:
    folder = _folder(tmp_path)
    a = folder / "a.yaml"
    a.write_text(a.read_text(encoding="utf-8") + _note("eight", trivia="[nothing]"), encoding="utf-8")
    first = _errors(folder)
    assert "a.yaml:18: notes[3].trivia[0]: expected a fact's answer, got 'nothing'" in first
    # a line more before every note: the sound ones are given back, the one with a problem read again
    a.write_text(
        a.read_text(encoding="utf-8").replace("notes:\n", "notes:\n  # a comment\n", 1), encoding="utf-8"
    )
    validated.clear()
    warm = _errors(folder)
    assert validated == ["eight"]
    assert "a.yaml:19: notes[3].trivia[0]: expected a fact's answer, got 'nothing'" in warm
    assert warm == _cold_errors(folder)
    # a value written otherwise (text, then a number): read again, and reported
    a.write_text(
        a.read_text(encoding="utf-8")
        .replace("    trivia: [nothing]\n", "")
        .replace("title: Two\n", "title: Two\n    body: '1'\n"),
        encoding="utf-8",
    )
    before = load_sources(folder)
    a.write_text(a.read_text(encoding="utf-8").replace("body: '1'", "body: 1"), encoding="utf-8")
    validated.clear()
    warm = _errors(folder)
    assert validated == ["two"] and "notes[1].body: expected text, got int 1" in warm
    assert warm == _cold_errors(folder)
    a.write_text(a.read_text(encoding="utf-8").replace("body: 1", "body: '1'"), encoding="utf-8")
    after = load_sources(folder)
    assert after.note("two").body == "1" and after.note("one") is not before.note("one")  # cold between
    _same_as_cold(folder, after)
