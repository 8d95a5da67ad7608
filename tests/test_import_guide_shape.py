"""`import` reads a guide's shape as a learner does: its title names the deck, reading lists and overview
headings are no notes, the author's marks become facts, and kinds need the guide's own evidence.

The guide is tests/fixtures/guides/python-guide/python-notes.md (a Python study guide, written for these
tests in a domain the importer's rules never name); each test imports it, or a small guide of its own
shape, and reads the notes back with the loader.
"""

from __future__ import annotations

from pathlib import Path

from cheatdeck.importer.guide import import_guides
from cheatdeck.notes.model import Note, Notebook
from cheatdeck.notes.sources import load_sources

PYTHON_GUIDE = Path(__file__).parent / "fixtures" / "guides" / "python-guide" / "python-notes.md"


def _import_guide(tmp_path: Path, guide: Path = PYTHON_GUIDE) -> tuple[Notebook, dict[str, Note]]:
    notes = tmp_path / "notes"
    import_guides([guide], notes)
    notebook = load_sources(notes)
    return notebook, {note.title: note for note in notebook.notes}


def _write(tmp_path: Path, text: str, name: str = "guide.md") -> Path:
    path = tmp_path / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_guides_title_heading_names_the_deck_and_its_intro_describes_it_never_a_note(
    tmp_path: Path,
) -> None:
    notebook, notes = _import_guide(tmp_path)
    assert "Python 3 Study Notes" not in notes
    assert not [title for title in notes if title.startswith("Python 3 Study Notes")]
    assert notebook.deck.title == "Python 3 Study Notes"
    assert notebook.deck.description == "What I wrote down while preparing for the PCAP certification."
    text = (tmp_path / "notes" / "python-notes.md").read_text(encoding="utf-8")
    assert text.startswith("# Python 3 Study Notes\n")
    assert "What I wrote down while preparing" in text.split("{#")[0]  # kept, in the header


def test_an_obsidian_notes_own_name_heading_stays_its_topic(tmp_path: Path) -> None:
    guide = _write(
        tmp_path,
        "# Mitosis\n\nMitosis is the division of one nucleus into two identical nuclei.\n\n"
        "## Prophase\n\nProphase is the stage in which chromosomes condense and become visible.\n",
        "Mitosis.md",
    )
    _, notes = _import_guide(tmp_path, guide)
    assert notes["Mitosis"].summary == "The division of one nucleus into two identical nuclei."


def test_a_reading_list_at_any_level_is_no_note_its_links_are_references(tmp_path: Path) -> None:
    _, notes = _import_guide(tmp_path)
    assert not [title for title in notes if "Resources" in title or "reading" in title.lower()]
    exceptions = notes["Exceptions"]
    assert [ref.url for ref in exceptions.references] == ["https://docs.python.org/3/tutorial/errors.html"]
    header = (tmp_path / "notes" / "python-notes.md").read_text(encoding="utf-8").split("{#")[0]
    assert "https://docs.python.org/3/" in header and "Lutz, *Learning Python*" in header
    # a reading list under a topic that is not folded into it: its links go to that topic
    guide = _write(
        tmp_path,
        "# Cells\n\n## Mitochondria\n\nMitochondria are the organelles that make most of a cell's ATP.\n\n"
        "### Cristae\n\nCristae are the folds of the inner membrane where ATP synthase sits.\n\n"
        "### Bibliography\n\n- [Alberts, Molecular Biology of the Cell](https://example.org/mboc)\n"
        "- Lane, Power, Sex, Suicide\n\n## Ribosomes\n\nRibosomes are the machines that build proteins.\n",
    )
    _, notes = _import_guide(tmp_path / "second", guide)
    assert sorted(notes) == ["Mitochondria", "Mitochondria: Cristae", "Ribosomes"]
    mitochondria = notes["Mitochondria"]
    assert [ref.url for ref in mitochondria.references] == ["https://example.org/mboc"]
    assert "Lane, Power, Sex, Suicide" in mitochondria.body


def test_an_overview_child_heading_is_its_parents_own_text(tmp_path: Path) -> None:
    _, notes = _import_guide(tmp_path)
    assert notes["Lists"].summary == "A list is a mutable sequence that keeps its items in insertion order."
    assert notes["Dictionaries"].summary.startswith("A dictionary maps hashable keys to values")
    assert notes["Sorting"].summary.startswith("Python's sort uses the Timsort algorithm")
    assert not [title for title in notes if title.endswith(("Overview", "Introduction", "Definition"))]
    assert notes["Lists"].id == "lists"


def test_a_guide_that_never_speaks_of_machine_learning_gets_no_ml_kinds_nor_their_empty_grid(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from cheatdeck.cli import main

    _, notes = _import_guide(tmp_path)
    assert "algorithm" in notes["Sorting"].summary.lower()  # the word alone is no evidence
    assert {note.kind for note in notes.values()} == {"concept"}
    result = CliRunner().invoke(main, ["check", "--strict", "--source", str(tmp_path / "notes")])
    assert "empty-column" not in result.output and "grid algorithm" not in result.output
    # the same words in a guide that speaks of machine learning: the built-in kinds apply
    guide = _write(
        tmp_path,
        "# ML\n\n## K-Means\n\nK-Means is an unsupervised algorithm that groups records into clusters.\n\n"
        "## Logistic regression\n\nLogistic regression is a supervised classifier trained on labels.\n",
    )
    _, notes = _import_guide(tmp_path / "ml", guide)
    assert {note.title: note.kind for note in notes.values()} == {
        "K-Means": "algorithm",
        "Logistic regression": "algorithm",
    }


def _facts(note: Note) -> list[str]:
    """Return a note's facts as text: a cloze as written, a question as "q → a"."""
    return [fact.text if fact.text is not None else f"{fact.q} → {fact.a}" for fact in note.facts]


def test_the_authors_bold_in_a_bullet_becomes_a_cloze_in_the_bullets_own_words(tmp_path: Path) -> None:
    _, notes = _import_guide(tmp_path)
    assert _facts(notes["Lists"])[:3] == [
        "Indexing starts at ==0==; negative indices count from the end.",
        "A slice like `items[:]` returns a ==shallow copy== of the list.",
        "Calling `sort()` changes the list ==in place== and returns None.",
    ]
    # the summary says "hashable" and "stable": the term card's back would answer those clozes
    assert _facts(notes["Dictionaries"]) == [
        "Since Python ==3.7== insertion order is guaranteed by the language."
    ]
    assert _facts(notes["Sorting"]) == []
    # a bold part whose words the rest of the bullet says: the words that give it away stay shown
    guide = _write(
        tmp_path,
        "# Cells\n\n## Mitochondria\n\nMitochondria are the organelles that make most of a cell's ATP.\n\n"
        "- The inner membrane folds into **cristae**; the space inside the inner membrane is the matrix.\n"
        "- Each one keeps its own **circular DNA**, unlike the linear DNA of the nucleus.\n"
        "- Only **maternal** copies are inherited by the embryo.\n"
        "- A cell holds **hundreds** of them.\n"
        "- **More** of them.\n",
    )
    _, notes = _import_guide(tmp_path / "cells", guide)
    assert _facts(notes["Mitochondria"]) == [
        "The inner membrane folds into ==cristae==; the space inside the inner membrane is the matrix.",
        "Each one keeps its own ==circular== DNA, unlike the linear DNA of the nucleus.",
        "Only ==maternal== copies are inherited by the embryo.",  # capped at three a note
    ]


def test_a_short_two_column_table_or_key_value_list_gives_a_cloze_per_row(tmp_path: Path) -> None:
    _, notes = _import_guide(tmp_path)
    assert _facts(notes["Integer literals"]) == [
        "0b — Base: ==2==",
        "0o — Base: ==8==",
        "0x — Base: ==16==",
    ]
    assert _facts(notes["File modes"]) == [
        "r: ==read (default)==",
        "w: ==write, truncating==",
        "a: ==append==",
        "x: ==exclusive creation==",
    ]
    assert notes["File modes"].summary == "File modes"  # no item says what file modes are: no term card
    # values two rows share would answer each other's cards: none of them is asked, so the section makes
    # no card and is no note; no note is above it, so its table is kept in the notes file's header
    assert "Time complexity" not in notes
    header = (tmp_path / "notes" / "python-notes.md").read_text(encoding="utf-8").split("\n## ")[0]
    assert "**Time complexity**" in header and "| list.insert | O(n) |" in header
    # a table longer than six rows is reference material, not facts
    rows = "".join(f"| element {n} | {n} |\n" for n in range(1, 9))
    guide = _write(tmp_path, f"# Chem\n\n## Atomic numbers\n\n| Element | Number |\n|---|---|\n{rows}")
    _, notes = _import_guide(tmp_path / "long", guide)
    assert _facts(notes["Atomic numbers"]) == []


def test_a_sub_heading_that_is_only_a_short_list_is_asked_as_a_fact_of_its_topic(tmp_path: Path) -> None:
    from cheatdeck.importer.guide import ImportReport

    report: ImportReport = import_guides([PYTHON_GUIDE], tmp_path / "notes")
    notes = {note.title: note for note in load_sources(tmp_path / "notes").notes}
    assert "Lists: Methods" not in notes
    assert _facts(notes["Lists"])[3] == "Methods? → append, extend, insert, remove, pop"
    assert "- append" in notes["Lists"].body  # the list is kept in the topic's text
    assert any("'Methods' is only a list: kept at the end of 'Lists'" in line for line in report.notices)
    assert any("'File modes' makes no term card: its text is only a list" in line for line in report.notices)
