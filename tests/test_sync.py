"""`sync` on real collection files with Anki's own backend: history kept, retired notes deleted for good,
note types migrated with their cards, the learner's edits reported, a collection open in Anki refused."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from anki.collection import Collection
from anki.consts import QUEUE_TYPE_SUSPENDED
from anki.notes import NoteId
from click.testing import CliRunner, Result

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.anki.lock import DELETED, LOCK_FILE, RETIRED_TAG, read_lock
from cheatdeck.anki.reconcile import REMOVED_CARD_TAG, plan_deck
from cheatdeck.anki.sync import anki_base, find_collection
from cheatdeck.cards.plan import NOTETYPES, note_guid
from cheatdeck.cli import main
from cheatdeck.errors import SyncError
from cheatdeck.identity import note_guid as guid_of_version
from cheatdeck.notes.sources import load_sources
from tests.anki_helpers import import_package, note_by_id
from tests.conftest import build_into
from tests.test_deck import _edit, _remove

DECK = "aws-mls-c01"


@contextmanager
def _opened(path: Path) -> Iterator[Collection]:
    col = Collection(str(path))
    try:
        yield col
    finally:
        col.close()


def _new_collection(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Collection(str(path)).close()
    return path


def _sync(source: Path, *args: str, answer: str | None = None) -> Result:
    return CliRunner().invoke(main, ["sync", "--source", str(source), *args], input=answer)


def _history(col: Collection) -> dict[int, tuple[object, ...]]:
    """Each card's scheduling and its review log entries."""
    assert col.db is not None
    log: dict[int, list[int]] = {}
    for cid, rid in col.db.all("select cid, id from revlog order by id"):
        log.setdefault(cid, []).append(rid)
    return {
        cid: (card.reps, card.ivl, card.due, card.queue, card.type, tuple(log.get(cid, ())))
        for cid in col.find_cards("")
        for card in [col.get_card(cid)]
    }


def _start_without_history(source: Path) -> None:
    """Forget the shipped lock: its cards no longer made (suspended by a sync) would blur the histories
    these tests compare; a fresh lock has the same note ids."""
    (source / LOCK_FILE).unlink()


def _ids(col: Collection, note_id: str) -> list[NoteId]:
    return list(col.find_notes(f'"Source id:{note_id}"'))


@pytest.mark.slow
def test_sync_edit_remove_and_note_type_bump_keep_history_and_the_learners_edits(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "Anki2"
    path = _new_collection(base / "User 1" / "collection.anki2")
    monkeypatch.setenv("ANKI_BASE", str(base))  # Anki's own override of its data folder
    _start_without_history(scratch_source)

    # 1. First sync: every note arrives, after Anki's backup of the profile.
    plan = plan_deck(load_sources(scratch_source), SHIPPED_TEMPLATES, read_lock(scratch_source / LOCK_FILE))
    result = _sync(scratch_source)
    assert result.exit_code == 0, result.output
    assert f"sync: added {len(plan.notes)}, updated 0, deleted 0, migrated 0, conflicts 0" in result.output
    assert len(list((base / "User 1" / "backups").glob("*.colpkg"))) == 1
    with _opened(path) as col:
        assert col.note_count() == len(plan.notes)
        assert col.card_count() == sum(plan.card_counts().values())
        for cid in col.find_cards("tag:aws-mls-c01::kind::service OR tag:aws-mls-c01::kind::algorithm"):
            card = col.get_card(cid)
            card.start_timer()
            col.sched.answerCard(card, 3)
        # The learner fixes two notes in Anki.
        polly = note_by_id(col, "polly")
        polly["Summary"] = "My own words about Polly."
        col.update_note(polly)
        lda = note_by_id(col, "lda")
        lda["Summary"] = "My LDA summary."
        col.update_note(lda)
        history = _history(col)
    reviewed = {cid for cid, state in history.items() if state[-1]}
    assert len(reviewed) >= 15

    # 2. The sources change too: comprehend (a clean update) and lda (edited on both sides).
    _edit(scratch_source, "services.yaml", "comprehend", summary="Edited in the sources.")
    _edit(scratch_source, "algorithms.yaml", "lda", summary="The sources' LDA summary.")
    lock_before = (scratch_source / LOCK_FILE).read_text()
    result = _sync(scratch_source)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "~ comprehend (topic): Summary" in result.output
    # polly's edit is the learner's alone (the sources never changed it): kept and said, no conflict
    assert "* polly (topic): Summary edited in Anki, kept (the sources did not change it)" in result.output
    assert "! conflict: lda (topic): Summary edited in Anki" in result.output
    assert "    in Anki:   My LDA summary." in result.output
    assert "    in source: The sources' LDA summary." in result.output
    assert "updated 1, deleted 0, migrated 0, conflicts 1 (unresolved), kept 1 edit(s) made in Anki" in (
        result.output
    )
    assert "rerun with --keep-anki or --keep-source" in result.output
    with _opened(path) as col:
        assert note_by_id(col, "comprehend")["Summary"] == "Edited in the sources."
        assert note_by_id(col, "polly")["Summary"] == "My own words about Polly."
        assert note_by_id(col, "lda")["Summary"] == "My LDA summary."
        assert _history(col) == history
    assert (scratch_source / LOCK_FILE).read_text() != lock_before  # comprehend's new text is recorded

    # The learner keeps their text; later syncs leave it alone without asking again.
    result = _sync(scratch_source, "--keep-anki")
    assert result.exit_code == 0, result.output
    assert "conflicts 1 (kept anki's text)" in result.output
    result = _sync(scratch_source)
    assert result.exit_code == 0, result.output
    assert "sync: added 0, updated 0, deleted 0, migrated 0, conflicts 0" in result.output
    assert "backup:" not in result.output  # nothing to write, so nothing touched
    with _opened(path) as col:
        assert note_by_id(col, "polly")["Summary"] == "My own words about Polly."
        assert note_by_id(col, "lda")["Summary"] == "My LDA summary."

    # 3. A note leaves the sources: the dry run shows the deletion and writes nothing.
    _remove(scratch_source, "services.yaml", "lex")
    lock_before = (scratch_source / LOCK_FILE).read_text()
    with _opened(path) as col:
        modified = col.mod
    result = _sync(scratch_source, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "- lex (topic)" in result.output
    assert "dry run: would be added 0, updated 0, deleted 1" in result.output
    assert (scratch_source / LOCK_FILE).read_text() == lock_before
    with _opened(path) as col:
        assert col.mod == modified and len(_ids(col, "lex")) == 1

    # Asked, the learner says no: the note stays, marked as retired.
    result = _sync(scratch_source, answer="n\n")
    assert result.exit_code == 0, result.output
    assert (
        "Delete them?" in result.output and "= lex (topic) (retired, kept in the collection)" in result.output
    )
    with _opened(path) as col:
        lex = col.get_note(_ids(col, "lex")[0])
        assert RETIRED_TAG in lex.tags
        assert all(card.queue == QUEUE_TYPE_SUSPENDED for card in lex.cards())  # out of the study queue
        assert [state[-1] for cid, state in _history(col).items() if cid in {c.id for c in lex.cards()}] == [
            history[card.id][-1] for card in lex.cards()
        ]  # its review log kept

    result = _sync(scratch_source, "--yes")
    assert result.exit_code == 0, result.output
    assert "- lex (topic)" in result.output and "deleted 1" in result.output
    with _opened(path) as col:
        assert _ids(col, "lex") == []
        surviving = _history(col)
    locked = read_lock(scratch_source / LOCK_FILE).notes.get(note_guid(DECK, "topic", "lex"))
    assert locked is not None and locked.state == DELETED
    lost = set(history) - set(surviving)
    assert lost and lost & reviewed  # lex's cards, reviewed ones among them, went with it
    assert {cid: surviving[cid] for cid in history if cid in surviving} == {
        cid: state for cid, state in history.items() if cid not in lost
    }

    # It never comes back: not through sync, not through the next .apkg.
    result = _sync(scratch_source, "--yes")
    assert result.exit_code == 0 and "added 0" in result.output, result.output
    build_into(scratch_source, tmp_path / "dist", artefacts=("deck",))
    with _opened(tmp_path / "fresh.anki2") as fresh:
        import_package(fresh, tmp_path / "dist" / f"{DECK}.apkg")
        assert _ids(fresh, "lex") == []
    with _opened(path) as col:
        counts = import_package(col, tmp_path / "dist" / f"{DECK}.apkg")  # the other way, same collection
        assert counts.conflicting == 0 and counts.new == 0
        assert _ids(col, "lex") == []
        before_bump = _history(col)
        topics = len(col.find_notes('"note:cheatdeck topic*"'))
        notes = col.note_count()

    # 4. The topic note type gets a new version with another field list: notes move with their cards.
    spec = NOTETYPES["topic"]
    fields = (*spec.fields[:3], *spec.fields[4:6], spec.fields[3], *spec.fields[6:])  # Summary after Details
    monkeypatch.setitem(NOTETYPES, "topic", replace(spec, version=spec.version + 1, fields=fields))
    _remove(
        scratch_source, "services.yaml", "rekognition"
    )  # removed as the note type changes: no new version
    with _opened(path) as col:
        rekognition = {card.id for card in note_by_id(col, "rekognition").cards()}
    result = _sync(scratch_source, "--yes")
    assert result.exit_code == 0, result.output
    assert "> polly (topic → v" in result.output
    assert f"- rekognition (topic v{spec.version}, no longer made)" in result.output
    assert "no longer shipped" not in result.output  # that is an import's problem, not sync's
    assert f"added 0, updated 0, deleted 1, migrated {topics - 1}, conflicts 0" in result.output
    with _opened(path) as col:
        assert col.note_count() == notes - 1
        assert _history(col) == {cid: state for cid, state in before_bump.items() if cid not in rekognition}
        polly = note_by_id(col, "polly")
        notetype = polly.note_type()
        assert notetype is not None and notetype["name"] == f"cheatdeck topic v{spec.version + 1} ({DECK})"
        assert list(polly.keys()) == list(fields)
        assert polly.guid == note_guid(DECK, "topic", "polly")
        assert polly["Summary"] == "My own words about Polly."  # the learner's text survived the move
        assert note_by_id(col, "comprehend")["Summary"] == "Edited in the sources."
        assert not col.find_notes(f'"note:cheatdeck topic v{spec.version} ({DECK})"')
    result = _sync(scratch_source)
    assert result.exit_code == 0, result.output
    assert "sync: added 0, updated 0, deleted 0, migrated 0, conflicts 0" in result.output


def test_first_sync_after_apkg_imports_finds_the_learners_edits(scratch_source: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build_into(scratch_source, out, artefacts=("deck",))
    path = _new_collection(tmp_path / "collection.anki2")
    with _opened(path) as col:
        import_package(col, out / f"{DECK}.apkg")
        for cid in col.find_cards("tag:aws-mls-c01::kind::service"):
            card = col.get_card(cid)
            card.start_timer()
            col.sched.answerCard(card, 3)
        history = _history(col)
        no_longer_made = {  # from the shipped lock
            cid
            for card in ("term", "reverse", "learning", "task")
            for cid in col.find_cards(f'"tag:{REMOVED_CARD_TAG}::{card}" card:{card.capitalize()}')
        } | set(col.find_cards(f"tag:{RETIRED_TAG}"))  # and the retired notes' cards, kept (no yes given)
        polly = note_by_id(col, "polly")
        polly["Summary"] = "Fixed in Anki."
        col.update_note(polly)
    _edit(scratch_source, "services.yaml", "comprehend", summary="Edited in the sources.")
    _edit(scratch_source, "services.yaml", "polly", summary="Polly, edited in the sources.")

    result = _sync(scratch_source, "--collection", str(path))
    assert result.exit_code == 1, result.output
    assert "! conflict: polly (topic): Summary edited in Anki" in result.output
    assert "    in Anki:   Fixed in Anki." in result.output
    assert "    in source: Polly, edited in the sources." in result.output
    assert "polly+transcribe" not in result.output  # a contrast card shows what differs, not the summary
    assert "sync: added 0, updated 1, deleted 0, migrated 0, conflicts 1 (unresolved)" in result.output
    assert "the next import replaces" not in result.output  # the build's advice about imports is not said
    with _opened(path) as col:
        assert note_by_id(col, "comprehend")["Summary"] == "Edited in the sources."
        assert note_by_id(col, "polly")["Summary"] == "Fixed in Anki."

    with _opened(path) as col:
        neo = set(col.get_note(_ids(col, "neo")[0]).card_ids())
        col.remove_notes(_ids(col, "neo"))  # deleted in Anki, still in the sources

    result = _sync(scratch_source, "--collection", str(path), "--keep-source")
    assert result.exit_code == 0, result.output
    assert "+ neo (topic)" in result.output  # it comes back, as with an import (README)
    assert "conflicts 1 (kept source's text)" in result.output
    with _opened(path) as col:
        assert note_by_id(col, "polly")["Summary"] == "Polly, edited in the sources."
        after = _history(col)
        assert {cid: after[cid] for cid in history if cid not in neo} == {
            # a card the notes no longer make is suspended by sync (queue -1), its history kept
            cid: (*state[:3], QUEUE_TYPE_SUSPENDED, *state[4:]) if cid in no_longer_made else state
            for cid, state in history.items()
            if cid not in neo
        }
    result = _sync(scratch_source, "--collection", str(path))
    assert result.exit_code == 0 and "updated 0, deleted 0, migrated 0, conflicts 0" in result.output


def test_a_retired_note_edited_in_anki_is_not_deleted_and_cards_no_longer_made_are_suspended(
    scratch_source: Path, tmp_path: Path
) -> None:
    path = _new_collection(tmp_path / "collection.anki2")
    _start_without_history(scratch_source)
    assert _sync(scratch_source, "--collection", str(path)).exit_code == 0
    with _opened(path) as col:
        for cid in col.find_cards("card:Reverse"):
            card = col.get_card(cid)
            card.start_timer()
            col.sched.answerCard(card, 3)
        history = _history(col)
        lex = note_by_id(col, "lex")
        lex["Summary"] = "My note on Lex."
        col.update_note(lex)
        reverse = set(col.find_cards("card:Reverse"))
    _remove(scratch_source, "services.yaml", "lex")
    deck = yaml.safe_load((scratch_source / "deck.yaml").read_text(encoding="utf-8"))
    deck["cards"] = {"reverse": False}
    (scratch_source / "deck.yaml").write_text(yaml.safe_dump(deck, allow_unicode=True), encoding="utf-8")

    result = _sync(scratch_source, "--collection", str(path), "--yes")
    assert result.exit_code == 1, result.output
    assert (
        "! conflict: lex (topic): Summary edited in Anki, but the note was removed from the sources"
        in result.output
    )
    assert "    in source: (deleted with the note)" in result.output
    with _opened(path) as col:
        assert note_by_id(col, "lex")["Summary"] == "My note on Lex."
        live = reverse - {card.id for card in note_by_id(col, "lex").cards()}
        assert live and all(col.get_card(cid).queue == QUEUE_TYPE_SUSPENDED for cid in live)
        after = _history(col)
        assert all(after[cid][-1] == history[cid][-1] for cid in live)  # suspended, review log kept

    result = _sync(scratch_source, "--collection", str(path), "--yes", "--keep-source")
    assert result.exit_code == 0, result.output
    assert "- lex (topic)" in result.output
    with _opened(path) as col:
        assert col.find_notes('"Id:lex"') == []


def test_images_reach_the_collections_media_folder(scratch_source: Path, tmp_path: Path) -> None:
    path = _new_collection(tmp_path / "collection.anki2")
    assert _sync(scratch_source, "--collection", str(path)).exit_code == 0
    (scratch_source / "media").mkdir()
    (scratch_source / "media" / "diagram.png").write_bytes(_PNG)
    _edit(scratch_source, "services.yaml", "comprehend", image="diagram.png")  # an update carries it

    result = _sync(scratch_source, "--collection", str(path))
    assert result.exit_code == 0, result.output
    assert "~ comprehend (topic): Image" in result.output
    with _opened(path) as col:
        image = note_by_id(col, "comprehend")["Image"]
        name = image.split('src="')[1].split('"')[0]
        assert name.startswith("cheatdeck-") and name.endswith(".png")
        assert (Path(col.media.dir()) / name).read_bytes() == _PNG


_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360"
    "000002000154a24f5d0000000049454e44ae426082"
)


def test_a_file_that_is_no_collection_is_refused(scratch_source: Path, tmp_path: Path) -> None:
    path = tmp_path / "collection.anki2"
    path.write_text("not a collection")
    result = _sync(scratch_source, "--collection", str(path))
    assert result.exit_code == 1
    assert f"{path}: not an Anki collection" in result.output and "nothing changed" in result.output
    assert path.read_text() == "not a collection"


def test_a_collection_open_in_anki_is_refused_and_left_alone(scratch_source: Path, tmp_path: Path) -> None:
    path = _new_collection(tmp_path / "collection.anki2")
    lock_before = (scratch_source / LOCK_FILE).read_bytes()
    holder = subprocess.Popen(  # another process holds the collection open, as Anki does
        [sys.executable, "-c", _HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        result = _sync(scratch_source, "--collection", str(path), "--yes")
    finally:
        holder.communicate("", timeout=30)
    assert result.exit_code == 1, result.output
    assert f"{path}: Anki has this collection open" in result.output
    assert "nothing changed" in result.output and "Traceback" not in result.output
    assert (scratch_source / LOCK_FILE).read_bytes() == lock_before
    assert not (tmp_path / "backups").exists()
    with _opened(path) as col:
        assert col.note_count() == 0


_HOLD = """
import sys
from anki.collection import Collection
from anki.consts import QUEUE_TYPE_SUSPENDED
from anki.notes import NoteId
col = Collection(sys.argv[1])
print("open", flush=True)
sys.stdin.read()
col.close()
"""


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("linux", {"HOME": "/home/ada"}, "/home/ada/.local/share/Anki2"),
        ("linux", {"HOME": "/home/ada", "XDG_DATA_HOME": "/data"}, "/data/Anki2"),
        ("darwin", {"HOME": "/Users/ada"}, "/Users/ada/Library/Application Support/Anki2"),
        ("win32", {"APPDATA": "C:/Users/ada/AppData/Roaming"}, "C:/Users/ada/AppData/Roaming/Anki2"),
        ("linux", {"HOME": "/home/ada", "ANKI_BASE": "/srv/anki"}, "/srv/anki"),
    ],
)
def test_anki_data_folder_per_platform(platform: str, environ: dict[str, str], expected: str) -> None:
    assert anki_base(environ, platform) == Path(expected)


def test_profiles_are_found_by_name_and_mistakes_named(tmp_path: Path) -> None:
    with pytest.raises(SyncError, match="no Anki profile found; pass --collection"):
        find_collection(None, None, tmp_path)
    first = _new_collection(tmp_path / "User 1" / "collection.anki2")
    assert find_collection(None, None, tmp_path) == first  # the only profile
    second = _new_collection(tmp_path / "Work" / "collection.anki2")
    with pytest.raises(SyncError, match=r"several Anki profiles \(User 1, Work\); choose one with --profile"):
        find_collection(None, None, tmp_path)
    assert find_collection(None, "Work", tmp_path) == second
    with pytest.raises(SyncError, match=r"no such Anki profile \(profiles there: User 1, Work\)"):
        find_collection(None, "Wrok", tmp_path)
    with pytest.raises(SyncError, match="no Anki collection there"):
        find_collection(tmp_path / "missing.anki2", None)


def test_older_version_guids_follow_the_card_module() -> None:
    for key, spec in NOTETYPES.items():
        assert guid_of_version(DECK, key, "polly", spec.version) == note_guid(DECK, key, "polly")
