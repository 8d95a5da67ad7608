"""`focus`: the notes a learner keeps missing, from their own reviews in Anki, read without a write."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from anki.collection import Collection
from click.testing import CliRunner

from cheatdeck.anki.lock import LOCK_FILE, read_lock
from cheatdeck.cli import main
from cheatdeck.notes.sources import load_sources
from cheatdeck.study.focus import FOCUS_FILE, FocusOptions, focus, rank
from cheatdeck.study.reviews import newest_backup, read_history
from tests.anki_helpers import import_package, note_by_id
from tests.conftest import FIXTURES, SOURCE, build_into, set_clock
from tests.pdf_text import page_texts

AGAIN, GOOD = 1, 3


def _answer(col: Collection, note_id: str, buttons: list[int], notetype: str = "topic") -> None:
    """Answer every card of a note with these buttons in turn, through Anki's scheduler."""
    note = note_by_id(col, note_id, notetype)
    for card_id in note.card_ids():
        for button in buttons:
            card = col.get_card(card_id)
            card.start_timer()
            col.sched.answerCard(card, button)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def clock_of_the_reviews(monkeypatch: pytest.MonkeyPatch) -> None:
    """Anki stamps answers with the machine's time: `focus` counts days from the same clock."""
    set_clock(monkeypatch, int(time.time()))


@pytest.fixture
def studied(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """The shipped deck built and imported into a collection (in a profile folder), with reviews: two
    notes answered Again several times, others Good. Yields the notes folder and the collection file."""
    source = tmp_path / "source"
    shutil.copytree(SOURCE, source)
    build_into(source, tmp_path / "dist", artefacts=("deck",))
    path = tmp_path / "Anki2" / "User 1" / "collection.anki2"
    path.parent.mkdir(parents=True)
    col = Collection(str(path))
    try:
        import_package(col, tmp_path / "dist" / "aws-mls-c01.apkg")
        _answer(col, "lda", [GOOD, AGAIN, AGAIN, GOOD, AGAIN])
        _answer(col, "seq2seq", [AGAIN, GOOD])
        for good in ("comprehend", "rekognition", "k-means"):
            _answer(col, good, [GOOD, GOOD])
    finally:
        col.close()
    yield source, path


def test_focus_lists_the_missed_notes_first_with_their_numbers(
    studied: tuple[Path, Path], tmp_path: Path
) -> None:
    source, collection = studied
    before = _digest(collection)
    out = tmp_path / "dist"
    report = focus(FocusOptions(source=source, out=out, collection=collection))
    assert [w.note.id for w in report.printed[:2]] == ["lda", "seq2seq"]
    assert all(w.note.id not in ("comprehend", "rekognition", "k-means") for w in report.printed)
    assert report.printed[0].agains > report.printed[1].agains > 0
    text = page_texts(out / FOCUS_FILE)
    assert len(text) == 1
    page = " ".join(text[0].split())
    assert page.index("Latent Dirichlet Allocation") < page.index("Sequence to Sequence")
    assert f"{report.printed[0].agains}× Again in 30 d · last missed today" in page
    assert report.explained[0].startswith("lda: ")
    assert "Again in the window" in report.explained[0]
    assert _digest(collection) == before  # nothing in the collection changed
    assert f"read {collection} (a copy" in report.lines[0]


@pytest.mark.slow
def test_focus_reads_the_newest_backup_when_anki_holds_the_collection(
    studied: tuple[Path, Path], tmp_path: Path
) -> None:
    source, collection = studied
    backups = collection.parent / "backups"
    col = Collection(str(collection))
    try:
        backups.mkdir()
        col.create_backup(backup_folder=str(backups), force=True, wait_for_completion=True)
    finally:
        col.close()
    backup = newest_backup(collection)
    hashes = {path: _digest(path) for path in (collection, backup)}
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from anki.collection import Collection; c = Collection(sys.argv[1]); "
            "print('open', flush=True); sys.stdin.read(); c.close()",
            str(collection),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        out = tmp_path / "dist"
        result = CliRunner(env={"ANKI_BASE": str(collection.parent.parent)}).invoke(
            main, ["focus", "--source", str(source), "--profile", "User 1", "--out", str(out)]
        )  # the profile found in Anki's data folder, as sync finds it
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
    assert result.exit_code == 0, result.output
    assert f"Anki has the collection open: read its newest backup instead, {backup} (made " in result.output
    assert "lda" in result.output or (out / FOCUS_FILE).is_file()
    assert "Latent Dirichlet Allocation" in page_texts(out / FOCUS_FILE)[0]
    assert {path: _digest(path) for path in hashes} == hashes  # neither file changed
    assert sorted(p.name for p in backups.iterdir()) == [backup.name]  # and no file was added


def test_empty_history_says_so_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(SOURCE, source)
    build_into(source, tmp_path / "dist", artefacts=("deck",))
    path = tmp_path / "collection.anki2"
    col = Collection(str(path))
    try:
        import_package(col, tmp_path / "dist" / "aws-mls-c01.apkg")
    finally:
        col.close()
    result = CliRunner().invoke(
        main, ["focus", "--source", str(source), "--collection", str(path), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert "no review of this deck's cards" in result.output and "nothing written" in result.output
    assert not (tmp_path / "out" / FOCUS_FILE).exists()


@pytest.mark.slow
def test_focus_with_kinds_declared_and_imported_notes_explains_and_keeps_hand_added_apart(
    tmp_path: Path,
) -> None:
    """A deck of its own kinds, its notes imported from Markdown guides; a note added in Anki by hand to
    the deck is listed apart; --explain gives each score's parts; --tag and --limit narrow the page."""
    cka = FIXTURES / "guides" / "cka"
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(cka / "deck" / "deck.yaml", notes / "deck.yaml")
    from cheatdeck.importer.guide import import_guides
    from cheatdeck.notes.sources import load_sources

    import_guides(sorted((cka / "guide").glob("*.md")), notes)
    build_into(notes, tmp_path / "dist", artefacts=("deck",))
    notebook = load_sources(notes)
    path = tmp_path / "collection.anki2"
    col = Collection(str(path))
    lock = read_lock(notes / LOCK_FILE)
    topics = {entry.note_id for entry in lock.notes.values() if entry.notetype == "topic"}
    first, second = [note for note in notebook.notes if note.id in topics][:2]
    try:
        import_package(col, tmp_path / "dist" / f"{notebook.deck.id}.apkg")
        _answer(col, first.id, [AGAIN, AGAIN])
        _answer(col, second.id, [AGAIN])
        basic = col.models.by_name("Basic")
        assert basic is not None
        own = col.new_note(basic)
        own["Front"], own["Back"] = "My own question", "answer"
        deck = col.decks.id_for_name(notebook.deck.title)
        assert deck is not None
        col.add_note(own, deck)
        own_card = own.cards()[0]
        own_card.start_timer()
        col.sched.answerCard(own_card, AGAIN)
    finally:
        col.close()
    result = CliRunner().invoke(
        main,
        [
            "focus",
            "--source",
            str(notes),
            "--collection",
            str(path),
            "--out",
            str(tmp_path / "out"),
            "--explain",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"{first.id}: " in result.output and "2 Again in the window" in result.output
    assert (
        "added in Anki, not in your notes (not ranked): My own question (0 lapses, 1× Again)" in result.output
    )
    page = " ".join(page_texts(tmp_path / "out" / FOCUS_FILE)[0].split())
    assert first.title in page and second.title in page and "My own question" not in page
    limited = CliRunner().invoke(
        main,
        [
            "focus",
            "--source",
            str(notes),
            "--collection",
            str(path),
            "--out",
            str(tmp_path / "one"),
            "--limit",
            "1",
        ],
    )
    assert limited.exit_code == 0, limited.output
    one = " ".join(page_texts(tmp_path / "one" / FOCUS_FILE)[0].split())
    assert first.title in one and second.title not in one


def test_tag_and_since_narrow_the_ranking(studied: tuple[Path, Path]) -> None:
    source, collection = studied
    notebook = load_sources(source)
    lock = read_lock(source / LOCK_FILE)
    history = read_history(collection, None, set(lock.notes), notebook.deck.title)
    now = int(time.time())
    assert [w.note.id for w in rank(notebook, lock, history, now, None, ("topic-modelling",))] == ["lda"]
    recent = rank(notebook, lock, history, now, 7)
    assert {w.note.id for w in recent} == {"lda", "seq2seq"}  # the notes answered Good only: no Again
