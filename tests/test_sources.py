"""The source format: the shipped notes are complete, and every kind of bad input is reported precisely."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from cheatdeck.cli import main
from cheatdeck.notes.model import Kind, Learning, Notebook
from cheatdeck.notes.sources import SourceError, load_sources
from tests.conftest import FIXTURES, SOURCE

SEED = FIXTURES / "mls-c01-seed.html"
BAD = FIXTURES / "bad"

# Each heading of the seed post → the id of the note that carries it.
SEED_HEADINGS = {
    "Amazon Comprehend": "comprehend",
    "Amazon Rekognition": "rekognition",
    "Amazon Polly": "polly",
    "Amazon Lex": "lex",
    "Amazon Transcribe": "transcribe",
    "Latent Dirichlet Allocation (LDA) Algorithm": "lda",
    "Multinomial Logistic Regression Algorithm": "multinomial-logistic-regression",
    "Factorization Machines Algorithm": "factorization-machines",
    "Sequence to Sequence (seq2seq) Algorithm": "seq2seq",
    "Term frequency-inverse document frequency Algorithm": "tf-idf",
    "BlazingText Algorithm": "blazingtext",
    "Amazon SageMaker Batch Transform": "batch-transform",
    "Amazon SageMaker Real-time inference / Hosting Services": "real-time-inference",
    "Amazon SageMaker Inference Pipeline": "inference-pipeline",
    "Amazon SageMaker Neo": "neo",
    "LSTM / Long Short-Term Memory": "lstm",
    "Semantic Segmentation Algorithm": "semantic-segmentation",
    "Accuracy": "accuracy",
    "Precision": "precision",
    "Recall": "recall",
    "L1 regularization": "l1-regularization",
    "L2 regularization": "l2-regularization",
    "K-means": "k-means",
    "K-nearest neighbors": "k-nearest-neighbours",
    "Exam Readiness: AWS Certified Machine Learning - Specialty": "exam-readiness",
    "ACloudGuru AWS Certified Machine Learning - Specialty 2020": "acloudguru",
    "Practice Projects": "practice-projects",
    "Practice Dumps": "practice-exams",
    "Other Tips": "reddit",
}
SECTION_HEADINGS = {"About", "Notes", "Courses"}


def _seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def _all_text(notebook: Notebook) -> str:
    parts = []
    for note in notebook.notes:
        parts += [note.title, note.summary, note.body, *(ref.url for ref in note.references)]
        parts += [note.use_case or "", note.formula or ""]
    return "\n".join(parts)


def test_every_seed_heading_has_a_note(notebook: Notebook) -> None:
    headings = {unescape(h) for h in re.findall(r'<h[12] id="[^"]*">([^<]*)', _seed_text())}
    assert headings - SECTION_HEADINGS == set(SEED_HEADINGS)
    ids = {note.id for note in notebook.notes}
    assert set(SEED_HEADINGS.values()) <= ids
    # BlazingText's heading is two notes, one per mode: Word2vec, text classification; the semantic
    # segmentation section's comparison names two more algorithms, each a note of its own
    assert len(notebook.notes) == len(SEED_HEADINGS) + 3
    assert {"blazingtext-text-classification", "image-classification", "object-detection"} <= ids


def test_every_seed_link_reaches_the_sources(notebook: Notebook) -> None:
    links = {unescape(link) for link in re.findall(r'href="(https?://[^"]+)"', _seed_text())}
    text = _all_text(notebook)
    assert len(links) >= 26
    assert sorted(link for link in links if link not in text) == []


def test_the_seed_counts_24_topics_plus_resources(notebook: Notebook) -> None:
    topics = [note for note in notebook.notes if note.kind != Kind.RESOURCE]
    assert (
        len(topics) == 27
    )  # the seed's 24, BlazingText's two modes apart, the two compared vision algorithms
    assert len(notebook.by_kind(Kind.SERVICE)) == 5
    assert len(notebook.by_kind(Kind.DEPLOYMENT)) == 4
    assert len(notebook.by_kind(Kind.RESOURCE)) == 5


def test_no_mojibake_survives(notebook: Notebook) -> None:
    assert "â€™" in _seed_text()  # the seed is damaged …
    text = _all_text(notebook)
    for damaged in ("â€", "Ã", "Â"):
        assert damaged not in text
    assert "Transcribe’s" in text  # … and the sources are not


def test_grid_fields_are_filled_where_they_apply(notebook: Notebook) -> None:
    for note in notebook.by_kind(Kind.SERVICE) + notebook.by_kind(Kind.DEPLOYMENT):
        assert note.use_case, note.id
    for note in notebook.by_kind(Kind.ALGORITHM):  # LSTM is an architecture: no learning type
        assert (note.learning is not None or note.id == "lstm") and note.task, note.id
    for note in notebook.by_kind(Kind.METRIC):
        assert note.formula and "=" in note.formula, note.id
    assert notebook.note("k-means").learning == Learning.UNSUPERVISED
    assert notebook.note("k-nearest-neighbours").learning == Learning.SUPERVISED
    assert notebook.note("precision").formula == "Precision = TP / (TP + FP)"


def test_related_pairs_point_both_ways(notebook: Notebook) -> None:
    """Each note of a contrast lists it (a pair both ways, a contrast of three from each of the three)."""
    for note in notebook.notes:
        for item in note.related:
            group = {note.id, *item.others}
            for other in item.others:
                listed = [{other, *entry.others} for entry in notebook.note(other).related]
                assert group in listed, (note.id, other)
    assert "k-nearest-neighbours" in notebook.note("k-means").related_ids


def test_model_is_immutable(notebook: Notebook) -> None:
    with pytest.raises(Exception, match="frozen"):
        notebook.notes[0].title = "changed"  # type: ignore[misc]


BAD_CASES = sorted(path.name for path in BAD.iterdir() if path.is_dir())


def test_every_bad_input_kind_has_a_case() -> None:
    expected = {
        "unknown-key", "missing-field", "empty-field", "wrong-type", "unknown-kind", "unknown-learning",
        "duplicate-id", "related-missing", "bad-url", "invalid-yaml", "non-utf8", "empty-folder",
    }  # fmt: skip
    assert expected <= set(BAD_CASES)


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_is_reported_with_file_line_and_field(case: str, tmp_path: Path) -> None:
    source = tmp_path / case
    shutil.copytree(BAD / case, source)
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "previous.apkg").write_bytes(b"last good build")

    result = CliRunner().invoke(main, ["build", "--source", str(source), "--out", str(dist)])

    expected = (BAD / f"{case}.expected").read_text(encoding="utf-8").replace("{s}", str(source))
    count = len(expected.splitlines())
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    plural = "s" if count != 1 else ""
    assert result.output == f"{expected}{count} error{plural} in {source}/; nothing written\n"
    assert [p.name for p in dist.iterdir()] == ["previous.apkg"]
    assert (dist / "previous.apkg").read_bytes() == b"last good build"


def test_load_sources_raises_source_error_with_all_problems() -> None:
    with pytest.raises(SourceError) as caught:
        load_sources(BAD / "several-errors")
    assert len(caught.value.problems) == 2


def test_check_summarises_the_shipped_sources() -> None:
    result = CliRunner().invoke(main, ["check", "--source", str(SOURCE)])
    assert result.exit_code == 0, result.output
    assert (
        "32 notes (service 5, algorithm 13, deployment 4, concept 2, metric 3, resource 5)" in result.output
    )
    assert "grid algorithm: use_case 13/13, learning 12/13, task 13/13, input 13/13" in result.output


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for name, command in main.commands.items():
        assert command.help, name
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output, name


def _write_notes(folder: Path, text: str) -> Path:
    folder.mkdir()
    (folder / "deck.yaml").write_text("id: t\ntitle: T\n")
    (folder / "notes.yaml").write_text(text)
    return folder


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    """Six levels of ten aliases expand to a million values: refused, not expanded for minutes."""
    lines = ['a0: &a0 ["x"]']
    lines += [f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]" for level in range(1, 7)]
    source = _write_notes(tmp_path / "bomb", "\n".join(lines) + "\nnotes: []\n")
    with pytest.raises(SourceError) as caught:
        load_sources(source)
    assert [p.message for p in caught.value.problems] == ["too many values (aliases expand to over 200,000)"]


@pytest.mark.parametrize(
    ("depth", "message"), [(50, "nested more than 20 levels deep"), (3000, "nesting depth")]
)
def test_deep_nesting_is_reported(depth: int, message: str, tmp_path: Path) -> None:
    source = _write_notes(tmp_path / "deep", "notes: " + "[" * depth + "]" * depth + "\n")
    with pytest.raises(SourceError) as caught:
        load_sources(source)
    assert message in str(caught.value)
