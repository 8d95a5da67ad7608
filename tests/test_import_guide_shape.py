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
