"""Markdown notes files: the same notes as YAML build the same deck, and errors point into the .md file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cheatdeck.anki.lock import LOCK_FILE
from cheatdeck.notes.markdown_sources import format_markdown_notes
from cheatdeck.notes.sources import SourceError, load_sources
from tests.conftest import FIXTURES, SOURCE, build_into

PAIR = FIXTURES / "markdown-notes"


def _build_deck(source: Path, out: Path) -> Path:
    build_into(source, out, artefacts=("deck",))
    (deck,) = out.glob("*.apkg")
    return deck


def _assert_same_decks(yaml_source: Path, md_source: Path, tmp_path: Path) -> None:
    """Build the YAML folder, hand its lock to the Markdown folder, build that: both must be identical.

    With the same lock, a note keeps its recorded time only if its content hash is the same, so equal
    packages and locks mean every note reads the same from both formats.
    """
    yaml_deck = _build_deck(yaml_source, tmp_path / "dist-yaml")
    shutil.copyfile(yaml_source / LOCK_FILE, md_source / LOCK_FILE)
    md_deck = _build_deck(md_source, tmp_path / "dist-md")
    assert md_deck.read_bytes() == yaml_deck.read_bytes()
    assert (md_source / LOCK_FILE).read_text() == (yaml_source / LOCK_FILE).read_text()


def test_markdown_folder_builds_the_same_deck_as_its_yaml_twin(tmp_path: Path) -> None:
    shutil.copytree(PAIR, tmp_path / "pair")
    md, yml = tmp_path / "pair" / "md", tmp_path / "pair" / "yaml"
    assert not list(md.glob("*.yaml"))[1:]  # only deck.yaml: every note is in Markdown
    assert load_sources(md).notes == load_sources(yml).notes
    _assert_same_decks(yml, md, tmp_path)


def test_shipped_notes_written_as_markdown_build_the_same_deck(tmp_path: Path) -> None:
    """Every shipped note (lists, labels, formulas, related pairs) survives a trip through Markdown."""
    yml, md = tmp_path / "yaml", tmp_path / "md"
    shutil.copytree(SOURCE, yml)
    shutil.copytree(SOURCE, md)
    for path in sorted(md.glob("*.yaml")):
        if path.name != "deck.yaml":
            notes = yaml.safe_load(path.read_text(encoding="utf-8"))["notes"]
            for note in notes:  # a Markdown key block has no syntax for q/a facts: leave them out of both
                if "facts" in note:  # (and the trivia they ask; related differences and contrasts of three
                    # are `- id:` / `- ids:` with `  difference:`)
                    note["facts"] = [fact for fact in note["facts"] if isinstance(fact, str)]
                    asked = " ".join(note["facts"])
                    note["trivia"] = [words for words in note.get("trivia", []) if f"=={words}==" in asked]
            (yml / path.name).write_text(yaml.safe_dump({"notes": notes}, sort_keys=False), encoding="utf-8")
            path.with_suffix(".md").write_text(format_markdown_notes(notes), encoding="utf-8")
            path.unlink()
    (md / LOCK_FILE).unlink()
    (yml / LOCK_FILE).unlink()  # the YAML twin lost its q/a facts: start both from its fresh lock
    assert [note.id for note in load_sources(md).notes] == [note.id for note in load_sources(yml).notes]
    _assert_same_decks(yml, md, tmp_path)


def _notes_folder(tmp_path: Path, text: str, name: str = "notes.md") -> Path:
    source = tmp_path / "notes"
    source.mkdir()
    (source / "deck.yaml").write_text("id: t\ntitle: T\n")
    (source / name).write_text(text, encoding="utf-8")
    return source


def test_group_defaults_add_tags_and_yield_to_the_note(tmp_path: Path) -> None:
    source = _notes_folder(
        tmp_path,
        "# Group\nkind: concept\ntags: a, b\n\n## One {#one}\nsummary: S.\n\n"
        "## Two {#two}\nkind: metric\nsummary: S.\ntags: c\n\n# Other group\ntags: z\n\n"
        "## Three {#three}\nkind: concept\nsummary: S.\n",
    )
    notes = {note.id: note for note in load_sources(source).notes}
    assert (notes["one"].kind, notes["one"].tags) == ("concept", ("a", "b"))
    assert (notes["two"].kind, notes["two"].tags) == ("metric", ("a", "b", "c"))
    assert notes["three"].tags == ("z",)


def test_body_is_the_section_after_the_block(tmp_path: Path) -> None:
    source = _notes_folder(
        tmp_path,
        "## Note {#note}\n\nkind: concept\nsummary: A long summary\n  that continues here.\n\n\n"
        "  - starts with a sub-bullet\n\n### Kept heading\ntext # not a comment\n\n",
    )
    (note,) = load_sources(source).notes
    assert note.summary == "A long summary that continues here."
    assert note.body == "  - starts with a sub-bullet\n\n### Kept heading\ntext # not a comment\n"


def test_invisible_characters_are_cleaned_with_real_line_numbers(tmp_path: Path) -> None:
    source = _notes_folder(
        tmp_path,
        "\ufeff## Note {#note}\nkind: concept\nsummary: One\u2028two\u200b.\n\nBody\u2029end.\n\n"
        "## Bad {#bad}\nkind: concept\nsummary: It\u00e2\u20ac\u2122s here.\nlearning: nope\n",
    )
    with pytest.raises(SourceError) as caught:
        load_sources(source)
    assert [str(p) for p in caught.value.problems] == [
        f"{source}/notes.md:10: notes[1].learning: expected one of supervised, unsupervised, both,"
        " not-learning; got 'nope'"
    ]
    (source / "notes.md").write_text(
        (source / "notes.md").read_text().replace("learning: nope\n", ""), encoding="utf-8"
    )
    notebook = load_sources(source)
    assert notebook.note("note").summary == "One\ntwo."
    assert notebook.note("note").body == "Body\n\nend.\n"
    assert notebook.note("bad").summary == "It’s here."
    assert [str(w) for w in notebook.warnings] == [
        f"{source}/notes.md:9: notes[1].summary: repaired mojibake (text saved in the wrong encoding):"
        " 'â€™s here.' → '’s here.'"
    ]


def test_readme_and_files_without_note_headings_are_not_notes(tmp_path: Path) -> None:
    source = _notes_folder(tmp_path, "## Note {#note}\nkind: concept\nsummary: S.\n")
    (source / "README.md").write_text("## Example {#example}\nkind: nonsense\n")
    (source / "plan.md").write_text("# Study plan\n\n## Week 1\nread\n")
    notebook = load_sources(source)
    assert [note.id for note in notebook.notes] == ["note"]
    assert [str(w) for w in notebook.warnings] == [
        f"{source}/plan.md:1: no note in this file, skipped: a note's heading ends with an id,"
        " as in `# Study plan {#study-plan}`"
    ]


def test_a_markdown_and_a_yaml_note_share_one_id_space(tmp_path: Path) -> None:
    source = _notes_folder(tmp_path, "# Group\n\n## Note {#note}\nkind: concept\nsummary: S.\n")
    (source / "more.yaml").write_text(
        "notes:\n  - id: note\n    title: T\n    kind: concept\n    summary: S.\n"
    )
    with pytest.raises(SourceError) as caught:
        load_sources(source)
    assert [str(p) for p in caught.value.problems] == [
        f"{source}/notes.md:3: notes[0].id: duplicate id 'note' (first defined at {source}/more.yaml:2)"
    ]


def test_the_documented_example_loads(tmp_path: Path) -> None:
    guide = (SOURCE / "README.md").read_text(encoding="utf-8")
    example = guide.split("## A Markdown notes file", 1)[1].split("```markdown\n", 1)[1].split("\n```", 1)[0]
    notebook = load_sources(_notes_folder(tmp_path, example + "\n"))
    assert [(note.id, note.kind, note.tags) for note in notebook.notes] == [
        ("polly", "service", ("aws", "ai-service", "speech")),
        ("lex", "service", ("aws", "ai-service")),
    ]
    assert "### Pricing" in notebook.note("polly").body


def test_trivia_written_as_markdown_reads_back_whole(tmp_path: Path) -> None:
    """`trivia:` items are phrases that may hold a comma: the Markdown writer puts each on its own line,
    so the note reads back with the same items."""
    note = {
        "id": "pipe",
        "title": "Pipe",
        "kind": "deployment",
        "summary": "A sequence of containers.",
        "facts": ["It talks ==HTTP, mostly== to them", "It chains ==two to fifteen== containers"],
        "trivia": ["HTTP, mostly", "two to fifteen"],
    }
    source = _notes_folder(tmp_path, format_markdown_notes([note]))
    [loaded] = load_sources(source).notes
    assert loaded.trivia == ("HTTP, mostly", "two to fifteen")
