"""`sync` refuses what is not its own: a note whose note type the learner changed, a file that is not an
Anki collection, one that fails SQLite's integrity check; and it shares the build's folder lock and journal.
All with Anki's real backend."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest
from anki.collection import Collection
from anki.models import ChangeNotetypeRequest
from click.testing import CliRunner, Result

import cheatdeck.build.pipeline
from cheatdeck.anki.lock import DELETED, LOCK_FILE, read_lock
from cheatdeck.cards.plan import note_guid
from cheatdeck.cli import main
from tests.anki_helpers import import_package, note_by_id
from tests.conftest import build_into
from tests.test_deck import _remove
from tests.test_sync import DECK, _history, _ids, _new_collection, _opened


def _sync(source: Path, *args: str, answer: str | None = None) -> Result:
    return CliRunner().invoke(main, ["sync", "--source", str(source), *args], input=answer)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _review(col: Collection, query: str) -> None:
    for cid in col.find_cards(query):
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 3)


# --- a note type changed in Anki -------------------------------------------------------------------------


@pytest.mark.parametrize("keep", ["--keep-anki", "--keep-source", None])
def test_a_note_whose_note_type_the_learner_changed_is_left_alone_and_explained(
    scratch_source: Path, tmp_path: Path, keep: str | None
) -> None:
    path = _new_collection(tmp_path / "collection.anki2")
    assert _sync(scratch_source, "--collection", str(path)).exit_code == 0
    with _opened(path) as col:
        lda = note_by_id(col, "lda")
        _review(col, f"nid:{lda.id}")
        old = lda.note_type()
        basic = col.models.by_name("Basic")
        assert old is not None and basic is not None
        col.models.change_notetype_of_notes(  # the learner's Change Note Type… in Anki's browser
            ChangeNotetypeRequest(
                note_ids=[lda.id],
                new_fields=[1, 2],
                new_templates=[0],
                old_notetype_id=old["id"],
                new_notetype_id=basic["id"],
                current_schema=col.db.scalar("select scm from col") if col.db else 0,
                old_notetype_name=old["name"],
                is_cloze=False,
            )
        )
        changed = col.get_note(lda.id)
        fields, cards, history = list(changed.fields), changed.card_ids(), _history(col)
        assert fields[0] and cards and any(history[cid][-1] for cid in cards)

    result = _sync(scratch_source, "--collection", str(path), "--yes", *([keep] if keep else []))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "you changed the note type of lda in Anki" in result.output
    assert "migrated 0" in result.output
    with _opened(path) as col:
        after = col.get_note(lda.id)
        assert after.mid == basic["id"] and list(after.fields) == fields
        assert after.card_ids() == cards
        assert {cid: _history(col)[cid] for cid in cards} == {cid: history[cid] for cid in cards}


# --- only a file that is an Anki collection ----------------------------------------------------------------


def _foreign_database(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("create table photos (id integer primary key, name text)")
        db.execute("insert into photos (name) values ('holiday.jpg')")
    db.close()
    return path


@pytest.mark.parametrize("dry_run", [True, False])
@pytest.mark.parametrize("make", ["empty", "foreign"])
def test_a_file_that_is_not_an_anki_collection_is_never_touched(
    scratch_source: Path, tmp_path: Path, make: str, dry_run: bool
) -> None:
    path = tmp_path / "collection.anki2"
    if make == "empty":
        path.write_bytes(b"")
    else:
        _foreign_database(path)
    before = _sha256(path)
    lock_before = (scratch_source / LOCK_FILE).read_bytes()
    result = _sync(scratch_source, "--collection", str(path), "--yes", *(["--dry-run"] if dry_run else []))
    assert result.exit_code == 1, result.output
    assert f"{path}: not an Anki collection" in result.output, result.output
    assert "nothing changed" in result.output and "Traceback" not in result.output
    assert _sha256(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["collection.anki2", "source"]  # no backups, no -wal
    assert (scratch_source / LOCK_FILE).read_bytes() == lock_before


def test_a_dry_run_leaves_the_collection_file_byte_for_byte(scratch_source: Path, tmp_path: Path) -> None:
    path = _new_collection(tmp_path / "collection.anki2")
    assert _sync(scratch_source, "--collection", str(path)).exit_code == 0
    _remove(scratch_source, "services.yaml", "lex")
    with _opened(path) as col:
        polly = note_by_id(col, "polly")
        polly["Summary"] = "Mine."
        col.update_note(polly)
    files = {p.name: _sha256(p) for p in tmp_path.iterdir() if p.is_file()}
    result = _sync(scratch_source, "--collection", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "- lex (topic)" in result.output and "* polly (topic): Summary edited in Anki" in result.output
    assert {p.name: _sha256(p) for p in tmp_path.iterdir() if p.is_file()} == files


def _connect(path: Path) -> sqlite3.Connection:
    """Open a collection with Python's SQLite, with a stand-in for Anki's own collation."""
    db = sqlite3.connect(path)
    db.create_collation("unicase", lambda a, b: (a.casefold() > b.casefold()) - (a.casefold() < b.casefold()))
    return db


def _break_an_index(path: Path) -> None:
    """Leave the notes table and one of its indexes out of step, as a damaged disk might."""
    db = sqlite3.connect(path)
    db.execute("pragma journal_mode = delete")
    (sql,) = db.execute("select sql from sqlite_master where name = 'ix_notes_csum'").fetchone()
    (rootpage,) = db.execute("select rootpage from sqlite_master where name = 'ix_notes_csum'").fetchone()
    db.execute("pragma writable_schema = on")
    db.execute("delete from sqlite_master where name = 'ix_notes_csum'")
    db.commit()
    db.close()
    db = _connect(path)
    db.execute("update notes set csum = csum + 1")
    db.commit()
    db.execute("pragma writable_schema = on")
    db.execute(
        "insert into sqlite_master (type, name, tbl_name, rootpage, sql) values (?, ?, ?, ?, ?)",
        ("index", "ix_notes_csum", "notes", rootpage, sql),
    )
    db.commit()
    db.close()
    db = _connect(path)
    assert db.execute("pragma integrity_check").fetchone()[0] != "ok"
    db.execute("pragma journal_mode = wal")  # as Anki leaves its collections
    db.close()


def test_a_collection_that_fails_the_integrity_check_is_refused(scratch_source: Path, tmp_path: Path) -> None:
    path = _new_collection(tmp_path / "collection.anki2")
    assert _sync(scratch_source, "--collection", str(path)).exit_code == 0
    _remove(scratch_source, "services.yaml", "lex")
    _break_an_index(path)
    before, backups = _sha256(path), sorted((tmp_path / "backups").iterdir())
    result = _sync(scratch_source, "--collection", str(path), "--yes")
    assert result.exit_code == 1, result.output
    assert f"{path}: this collection fails SQLite's integrity check" in result.output
    assert "Check Database" in result.output and "Traceback" not in result.output
    assert _sha256(path) == before
    assert sorted((tmp_path / "backups").iterdir()) == backups


# --- the build's lock and journal -------------------------------------------------------------------------


def _lex_ships(source: Path, out: Path, tmp_path: Path) -> bool:
    with _opened(tmp_path / "fresh.anki2") as fresh:
        import_package(fresh, out / f"{DECK}.apkg")
        return bool(_ids(fresh, "lex"))


def test_sync_undoes_a_killed_builds_commit_first_so_deleted_notes_stay_deleted(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # sync and build share their default out folder, dist/
    out = tmp_path / "dist"
    path = _new_collection(tmp_path / "collection.anki2")
    build_into(scratch_source, out, artefacts=("deck",))
    assert _sync(scratch_source, "--collection", str(path)).exit_code == 0
    _remove(scratch_source, "services.yaml", "lex")
    # A build killed while moving its files in: the journal names the lock, and its backup holds the lock
    # as it was before that build.
    lock = scratch_source / LOCK_FILE
    backup = lock.with_name(f".{LOCK_FILE}.cheatdeck-0badc0de.tmp")
    os.link(lock, backup)
    staged = lock.with_name(f".{LOCK_FILE}.cheatdeck-5ca1ab1e.tmp")  # already moved in: gone
    entry = {"target": os.path.relpath(lock, out), "staged": os.path.relpath(staged, out)}
    entry |= {"backup": os.path.relpath(backup, out), "existed": True}
    (out / ".cheatdeck-journal.json").write_text(json.dumps({"phase": "applying", "entries": [entry]}))

    result = _sync(scratch_source, "--collection", str(path), "--yes")
    assert result.exit_code == 0, result.output
    assert "- lex (topic)" in result.output
    assert not (out / ".cheatdeck-journal.json").exists()
    build_into(scratch_source, out, artefacts=("deck",))
    locked = read_lock(lock).notes[note_guid(DECK, "topic", "lex")]
    assert locked.state == DELETED
    assert not _lex_ships(scratch_source, out, tmp_path)


def test_a_build_running_beside_sync_does_not_ship_the_notes_sync_deleted(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dist"
    path = _new_collection(tmp_path / "collection.anki2")
    assert _sync(scratch_source, "--collection", str(path)).exit_code == 0
    _remove(scratch_source, "services.yaml", "lex")
    commit = cheatdeck.build.pipeline.commit
    synced: list[Result] = []

    def sync_then_commit(*args: object, **kwargs: object) -> object:
        if not synced:  # the build has planned with the old lock; sync runs now, before it moves in
            synced.append(_sync(scratch_source, "--collection", str(path), "--yes"))
        return commit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cheatdeck.build.pipeline, "commit", sync_then_commit)
    build_into(scratch_source, out, artefacts=("deck",))
    assert synced and synced[0].exit_code == 0 and "- lex (topic)" in synced[0].output, synced
    locked = read_lock(scratch_source / LOCK_FILE).notes[note_guid(DECK, "topic", "lex")]
    assert locked.state == DELETED
    assert not _lex_ships(scratch_source, out, tmp_path)
