"""YAML that helps: fixes in syntax errors, warnings for text YAML drops, real line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from cheatdeck.notes.model import Notebook
from cheatdeck.notes.sources import SourceError, load_sources


def _source(tmp_path: Path, notes: str) -> Path:
    source = tmp_path / "notes"
    source.mkdir(parents=True)
    (source / "deck.yaml").write_text("id: t\ntitle: T\n")
    (source / "notes.yaml").write_text(notes, encoding="utf-8")
    return source


def test_a_hash_after_one_space_that_cuts_a_value_is_a_warning(tmp_path: Path) -> None:
    source = _source(
        tmp_path,
        "notes:\n  - id: c\n    title: C# and F#\n    kind: concept\n    summary: Use C # sharp\n"
        "    body: x  # a comment, two spaces: meant\n",
    )
    notebook = load_sources(source)
    assert notebook.note("c").summary == "Use C"
    assert notebook.note("c").title == "C# and F#"
    assert [str(w) for w in notebook.warnings] == [
        f"{source}/notes.yaml:5: notes[0].summary: ' #' ends the value: YAML keeps 'Use C' and drops the rest"
        " of the line as a comment; quote the value to keep it (a comment after a value takes two spaces)"
    ]


def test_a_heading_dropped_from_a_block_is_a_warning(tmp_path: Path) -> None:
    source = _source(
        tmp_path,
        "notes:\n  - id: c\n    title: C\n    kind: concept\n    summary: S.\n    body: |\n"
        "        - sub-bullet first\n      ### Heading YAML reads as a comment\n    tags: [x]\n",
    )
    notebook = load_sources(source)
    assert "Heading" not in notebook.note("c").body
    assert [str(w) for w in notebook.warnings] == [
        f"{source}/notes.yaml:8: notes[0].body: '### Heading YAML reads as a comment' is dropped as a"
        " comment: it is indented less than the block's first line; give the block's indentation (|2 or more)"
    ]
    fixed = _source(tmp_path / "fixed", (source / "notes.yaml").read_text().replace("body: |", "body: |2"))
    assert load_sources(fixed).note("c").body == "  - sub-bullet first\n### Heading YAML reads as a comment\n"


def test_line_separators_neither_split_values_nor_shift_line_numbers(tmp_path: Path) -> None:
    source = _source(
        tmp_path,
        "notes:\n  - id: a\n    title: A\n    kind: concept\n    summary: one\u2028two\u2029three\n"
        "    body: |\n      line\u2028next\n  - id: b\n    title: B\n    kind: konzept\n    summary: S.\n",
    )
    with pytest.raises(SourceError) as caught:
        load_sources(source)
    assert [f"{p.line}: {p.field}" for p in caught.value.problems] == ["10: notes[1].kind"]
    notes = (source / "notes.yaml").read_text().replace("konzept", "concept")
    notebook = load_sources(_source(tmp_path / "fixed", notes))
    assert notebook.note("a").summary == "one\ntwo\n\nthree"
    assert notebook.note("a").body == "line\nnext\n"


def test_the_shipped_sources_raise_no_warning(notebook: Notebook) -> None:
    assert notebook.warnings == ()


def test_a_key_indented_too_far_is_told_to_line_up_with_the_key_above(tmp_path: Path) -> None:
    """Quoting the value (the old advice) leaves the error as it is: the key itself is misplaced."""
    notes = "notes:\n  - id: c\n    title: C\n      kind: concept\n    summary: S.\n"
    with pytest.raises(SourceError) as caught:
        load_sources(_source(tmp_path, notes))
    assert [str(problem) for problem in caught.value.problems] == [
        f"{tmp_path}/notes/notes.yaml:4: invalid YAML: mapping values are not allowed in this context;"
        " `kind:` is indented deeper than `title:` on line 3, so YAML reads it as more of that value;"
        " indent `kind:` as `title:` is (4 spaces)"
    ]
    fixed = _source(tmp_path / "fixed", notes.replace("      kind:", "    kind:"))
    assert load_sources(fixed).note("c").kind == "concept"


@pytest.mark.parametrize("stand_in", ["\ufdd0", "\ufdd1", "\ufdd2"])
def test_a_noncharacter_in_the_notes_is_kept_as_written(stand_in: str, tmp_path: Path) -> None:
    """The loader swaps U+2028/U+2029/U+0085 for noncharacters while YAML parses; a title that held one
    of those noncharacters itself came back as a line break and was then cleaned away ('title: must not be
    empty' for a guide titled U+FDD0; fails on 7ead934)."""
    notes = (
        f"notes:\n  - id: a\n    title: '{stand_in}'\n    kind: concept\n"
        f"    summary: one\u2028two {stand_in}\n"
        "  - id: b\n    title: B\n    kind: konzept\n    summary: S.\n"
    )
    with pytest.raises(SourceError) as caught:
        load_sources(_source(tmp_path, notes))
    assert [f"{p.line}: {p.field}" for p in caught.value.problems] == ["8: notes[1].kind"]
    notebook = load_sources(_source(tmp_path / "fixed", notes.replace("konzept", "concept")))
    assert (notebook.note("a").title, notebook.note("a").summary) == (stand_in, f"one\ntwo {stand_in}")
