"""The example notes sets validate, build and import into Anki; `new` scaffolds a folder that builds."""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
from anki.collection import Collection
from click.testing import CliRunner

from cheatdeck.anki.lock import LOCK_FILE
from cheatdeck.build.pipeline import GRID_CSV, BuildReport
from cheatdeck.cli import main
from cheatdeck.notes.model import Kind, Notebook
from cheatdeck.notes.sources import load_sources
from tests.anki_helpers import import_package
from tests.conftest import ROOT, build_into

CLOUD_PRACTITIONER = ROOT / "examples" / "aws-cloud-practitioner"


@dataclass(frozen=True)
class BuiltExample:
    """An example built from a private copy (the lock lands in the copy, never in the repo)."""

    notebook: Notebook
    source: Path
    out: Path
    report: BuildReport

    @property
    def deck(self) -> Path:
        return self.out / f"{self.notebook.deck.id}.apkg"

    def grid(self) -> list[dict[str, str]]:
        with (self.out / GRID_CSV).open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def cloud_practitioner(tmp_path_factory: pytest.TempPathFactory) -> BuiltExample:
    root = tmp_path_factory.mktemp("aws-clf-c02")
    source = root / "source"
    shutil.copytree(CLOUD_PRACTITIONER, source)
    report = build_into(source, root / "dist", artefacts=("deck", "grid"))
    return BuiltExample(load_sources(source), source, root / "dist", report)


def _topic_titles(collection: Collection) -> dict[str, str]:
    """Map each topic note's Id field to its title as the learner reads it (HTML entities decoded)."""
    notes = (collection.get_note(nid) for nid in collection.find_notes('"note:cheatdeck topic*"'))
    return {note["Source id"]: unescape(note["Name"]) for note in notes}


def test_cloud_practitioner_checks_clean() -> None:
    result = CliRunner().invoke(main, ["check", "--source", str(CLOUD_PRACTITIONER)])
    assert result.exit_code == 0, result.output
    assert "AWS Certified Cloud Practitioner (CLF-C02): 11 notes" in result.output
    assert "warning" not in result.output


def test_the_example_ships_its_lock_and_two_clones_build_the_same_deck(
    cloud_practitioner: BuiltExample, tmp_path: Path
) -> None:
    """The example shipped without a lock, so two clones' first builds stamped their own times and
    differed (49d7fc0). Its committed lock is current: a build changes nothing and any clone, in any
    folder, builds the same bytes."""
    committed = (CLOUD_PRACTITIONER / LOCK_FILE).read_bytes()
    assert cloud_practitioner.report.deck_changes == "no changes"
    assert (cloud_practitioner.source / LOCK_FILE).read_bytes() == committed
    clone = tmp_path / "another" / "clone"
    shutil.copytree(CLOUD_PRACTITIONER, clone)
    build_into(clone, tmp_path / "dist", artefacts=("deck",))
    assert (clone / LOCK_FILE).read_bytes() == committed
    assert (tmp_path / "dist" / "aws-clf-c02.apkg").read_bytes() == cloud_practitioner.deck.read_bytes()


def test_cloud_practitioner_is_small_and_varied() -> None:
    notebook = load_sources(CLOUD_PRACTITIONER)
    assert notebook.deck.id == "aws-clf-c02"
    assert len(notebook.notes) == 11
    assert {note.kind for note in notebook.notes} == {
        Kind.SERVICE,
        Kind.CONCEPT,
        Kind.DEPLOYMENT,
        Kind.RESOURCE,
    }
    assert {note.domain for note in notebook.by_kind(Kind.SERVICE)} >= {
        "compute",
        "storage",
        "database",
        "networking",
    }
    bodies = "\n".join(note.body for note in notebook.notes)
    assert "| --- |" in bodies  # a table
    assert "`t3.micro`" in bodies  # inline code
    assert "\n  - S3 Glacier Deep Archive" in bodies  # a nested list
    assert "](https://aws.amazon.com/well-architected-tool/)" in bodies  # a link


def test_cloud_practitioner_deck_imports_every_note(
    cloud_practitioner: BuiltExample, collection: Collection
) -> None:
    notebook = cloud_practitioner.notebook
    assert cloud_practitioner.deck.is_file()

    counts = import_package(collection, cloud_practitioner.deck)

    # A topic note per note except the resource (no cards unless the deck asks), a fact note per fact,
    # and one contrast note (EC2 vs Lambda); no formula, so no cloze note.
    studied = [note for note in notebook.notes if note.kind != Kind.RESOURCE]
    facts = sum(len(note.facts) for note in studied)
    notes = len(studied) + facts + 1
    assert (counts.new, counts.updated, counts.duplicate, counts.conflicting) == (notes, 0, 0, 0)
    assert collection.note_count() == notes
    assert cloud_practitioner.report.deck_summary.startswith(f"{notes} notes, ")
    assert _topic_titles(collection) == {note.id: note.title for note in studied}
    contrast = collection.find_notes('"note:cheatdeck contrast*"')
    assert [collection.get_note(nid)["Source id"] for nid in contrast] == ["ec2+lambda"]
    decks = {deck.name for deck in collection.decks.all_names_and_ids()} - {"Default"}
    title = notebook.deck.title
    assert decks == {title} | {
        f"{title}::{name}" for name in ("Services", "Deployment", "Concepts", "Contrasts")
    }


def test_cloud_practitioner_grid_has_a_row_per_service(cloud_practitioner: BuiltExample) -> None:
    notebook = cloud_practitioner.notebook
    rows = {row["note_id"]: row for row in cloud_practitioner.grid()}
    gridded = notebook.by_kind(Kind.SERVICE) + notebook.by_kind(Kind.DEPLOYMENT)
    assert set(rows) == {note.id for note in gridded}
    for note in notebook.by_kind(Kind.SERVICE):
        row = rows[note.id]
        assert (row["table"], row["name"], row["use_case"], row["domain"]) == (
            "services",
            note.title,
            note.use_case,
            note.domain,
        )
        assert row["group"] == note.domain
    assert rows["hybrid-deployment"]["group"] == "deployment"
    assert rows["hybrid-deployment"]["domain"] == ""


def test_new_scaffolds_a_folder_that_checks_and_builds(tmp_path: Path, collection: Collection) -> None:
    folder = tmp_path / "cka"
    runner = CliRunner()

    created = runner.invoke(main, ["new", str(folder), "--title", "Certified Kubernetes Administrator"])
    assert created.exit_code == 0, created.output
    assert {path.name for path in folder.iterdir()} == {"deck.yaml", "notes.yaml", "README.md", "media"}

    checked = runner.invoke(main, ["check", "--source", str(folder)])
    assert checked.exit_code == 0, checked.output
    assert "Traceback" not in checked.output

    notebook = load_sources(folder)
    assert notebook.deck.title == "Certified Kubernetes Administrator"
    assert notebook.deck.id.startswith("certified-kubernetes-administrator-")
    out = tmp_path / "dist"
    report = build_into(folder, out, artefacts=("deck",))
    package = out / f"{notebook.deck.id}.apkg"
    assert report.written == [package]
    assert not (out / GRID_CSV).exists()

    counts = import_package(collection, package)
    formulas = sum(note.formula is not None for note in notebook.notes)
    assert counts.conflicting == 0
    # A topic note per source note but the resource, a fact note per fact, a cloze note per formula and
    # one contrast note for the related pair.
    studied = [note for note in notebook.notes if note.kind != Kind.RESOURCE]
    facts = sum(len(note.facts) for note in studied)
    assert counts.new == collection.note_count() == len(studied) + facts + formulas + 1
    assert set(_topic_titles(collection)) == {note.id for note in studied}


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(main, ["new", str(folder)])
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert [path.name for path in folder.iterdir()] == ["keep.txt"]
