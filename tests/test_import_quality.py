"""`import` makes study material: summaries that define, structure from the guide, Obsidian understood.

Each test feeds a small guide shaped like the real ones (labels, tables, code, deep headings, vaults) and
reads the notes back with the loader, so what is checked is what a learner's cards would say.
"""

from __future__ import annotations

from pathlib import Path

from cheatdeck.importer.guide import import_guides
from cheatdeck.notes.model import Note
from cheatdeck.notes.sources import load_sources


def _import(tmp_path: Path, guide: str, name: str = "guide.md", **options: object) -> dict[str, Note]:
    """Import one Markdown guide; return its notes by title."""
    path = tmp_path / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(guide, encoding="utf-8")
    import_guides([path], tmp_path / "notes", **options)  # type: ignore[arg-type]
    return {note.title: note for note in load_sources(tmp_path / "notes").notes}


LABELLED = """\
# Guide

## Amazon EFS

Input:

Amazon EFS is a managed NFS file system that **several instances** can mount at once.

## Object Detection

Usage:

- finds and classifies every object in an image with a bounding box
- built on SSD

## Glue

| Feature | Meaning |
|---|---|
| Crawler | infers schemas |

`glue.start_job_run(JobName="x")`

Glue runs serverless Spark jobs that clean and join data.

## Tagged

#ml #exam

Only two exist:

- the first kind of thing
- the second kind of thing
"""


def test_a_summary_is_a_sentence_never_a_label_table_row_code_or_tags(tmp_path: Path) -> None:
    notes = _import(tmp_path, LABELLED)
    assert notes["Amazon EFS"].summary == (
        "A managed NFS file system that **several instances** can mount at once."
    )
    assert notes["Object Detection"].summary == (
        "Finds and classifies every object in an image with a bounding box."
    )
    assert notes["Glue"].summary == "Glue runs serverless Spark jobs that clean and join data."
    assert notes["Tagged"].summary == "The first kind of thing."


def test_a_section_with_no_sentence_makes_no_term_card_and_check_says_why(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cheatdeck.cards.plan import CardPlanner
    from cheatdeck.cli import main

    guide = "# Guide\n\n## Services\n\nAcronyms:\n\n- EC2\n- S3\n\n## Kept\n\nKept is a real topic here.\n"
    _import(tmp_path, guide)
    notebook = load_sources(tmp_path / "notes")
    planner = CardPlanner(notebook)
    services = notebook.note("services")
    assert services.summary == "Acronyms: EC2, S3."  # what the list after the label says
    assert planner.plan(services).term
    result = CliRunner().invoke(main, ["check", "--source", str(tmp_path / "notes")])
    assert result.exit_code == 0, result.output
    assert "label-answer" not in result.output


def test_a_heading_with_no_usable_text_gets_no_term_card_and_a_warning(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cheatdeck.cards.plan import CardPlanner
    from cheatdeck.cli import main

    _import(tmp_path, "# Guide\n\n## Ports\n\n| Port | Use |\n|---|---|\n| 22 | SSH |\n")
    notebook = load_sources(tmp_path / "notes")
    assert not CardPlanner(notebook).plan(notebook.note("ports")).term
    result = CliRunner().invoke(main, ["check", "--source", str(tmp_path / "notes")])
    assert "summary: label-answer: no term card: the summary only repeats the title" in result.output


DEEP = """\
# Study guide

## Table of Contents

- [Storage](#storage)
- [Modeling](#modeling)

## Storage

### Object stores

#### Amazon S3

Amazon S3 is object storage for any amount of data.

##### Usage

Data lakes and training data.

##### Pricing

Per GB stored and per request.

#### Amazon EFS

Amazon EFS is a file system many instances mount at once.

## Modeling

### Imputing missing data

Missing values bias a model; choose a method by how much is missing.

#### Regression

Predict the missing value from the other features with a fitted model.

### kubeadm

#### Scenario 01

Upgrade the control plane first, then each worker.

#### 4. Object Lock:

Object Lock keeps an object from being deleted for a retention period.

#### LDAP: a protocol for reading and editing directory services

## References

- [Exam guide](https://example.com/guide.pdf)
"""


def test_topics_are_chosen_from_the_guides_own_outline_and_the_choice_is_printed(tmp_path: Path) -> None:
    path = tmp_path / "in" / "guide.md"
    path.parent.mkdir()
    path.write_text(DEEP, encoding="utf-8")
    report = import_guides([path], tmp_path / "notes")
    notes = {note.title: note for note in load_sources(tmp_path / "notes").notes}
    assert list(notes) == [
        "Amazon S3",
        "Amazon EFS",
        "Imputing missing data",
        "Imputing missing data: Regression",
        "kubeadm: Scenario 01",
        "Object Lock",
        "LDAP",
    ]
    assert "Per GB stored" in notes["Amazon S3"].body  # its parts stay in it
    assert notes["LDAP"].summary == "A protocol for reading and editing directory services."
    lines = report.lines()
    chosen = "topics chosen from the guide's own headings: 1 at ###, 5 at ####"
    folded = "2 sub-heading(s) kept inside their topic (Usage, Pricing)"
    assert f"{path}: {chosen}; {folded} (--level N takes every heading down to N instead)" in lines
    assert any("'Table of Contents' left out (it holds only links)" in line for line in lines)
    assert any("'References' left out (it holds only links)" in line for line in lines)
    # --level overrides the choice: every heading down to ## is a note
    import_guides([path], tmp_path / "level2", level=2)
    assert [note.id for note in load_sources(tmp_path / "level2").notes] == [
        "table-of-contents",
        "storage",
        "modeling",
        "references",
    ]


def test_titles_are_cleaned_of_numbering_separators_html_and_trailing_colons(tmp_path: Path) -> None:
    guide = "## 4. S3 Object Lock:\n\nLocks objects.\n\n## Line\u2028break <b>title</b>\n\nA line break.\n"
    notes = _import(tmp_path, guide)
    assert list(notes) == ["S3 Object Lock", "Line break title"]


VAULT = Path(__file__).parent / "fixtures" / "guides" / "pharm-vault"


def test_an_obsidian_vault_leaves_no_obsidian_markup_and_keeps_its_marks(tmp_path: Path) -> None:
    report = import_guides([VAULT / "Cardiovascular"], tmp_path / "notes")
    notebook = load_sources(tmp_path / "notes")
    texts = [
        text
        for path in sorted((tmp_path / "notes").rglob("*.md"))
        for text in [path.read_text(encoding="utf-8")]
    ]
    for text in texts:
        assert "[[" not in text and "<mark" not in text and "#cardio" not in text
    notes = {note.title: note for note in notebook.notes}
    # ![[picture]] found by name in the attachments folder and copied; one outside the imported folder not
    assert "![beta-receptor](media/beta-receptor.png)" in notes["Beta blockers"].body
    assert sorted(path.name for path in (tmp_path / "notes" / "media").iterdir()) == [
        "beta-receptor.png",
        "raas.png",
    ]
    assert any("picture 'outside.png' not found in the imported folder" in line for line in report.lines())
    # [[note#heading|text]] → its text; a vault path ([[Anticoagulants/Heparin]]) → its words
    assert "See heparin reversal for the contrast." in notes["Warfarin"].body
    # highlights (==x==, <mark>) become facts; a #tags line and front matter tags become tags
    assert notes["Metoprolol"].facts[0].text == (
        "Contraindications: ==asthma== (less risk than propranolol, still caution)"
    )
    assert notes["ACE inhibitors"].facts[0].text == "Side effects: ==angioedema=="
    assert set(notes["Beta blockers"].tags) >= {"cardio", "antihypertensive", "exam"}
    assert "cardio-antihypertensive" in notes["ACE inhibitors"].tags
    assert "Also called: β-blockers, beta-adrenergic antagonists." in notes["Beta blockers"].body
    # a note whose fact is its file name keeps it; a map of links to other notes is no note
    assert notes["Warfarin half-life"].summary == "About 40 hours."
    assert "Cardiovascular drugs" not in notes
    assert not (tmp_path / "notes" / "cardiovascular" / "index.md").exists()
    # a generic heading under the file's own topic stays inside it
    assert (
        "## Side effects" in notes["ACE inhibitors"].body
        or "### Side effects" in notes["ACE inhibitors"].body
    )
