"""Retired notes converge without a flag to remember: each build says how many it still ships and the one
step to finish; a build that can see the learner's collection (a configured profile, read from a copy)
stops shipping the retired notes the learner deleted there. Anki's real backend."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cheatdeck.anki.lock import DELETED, LOCK_FILE, RETIRED, read_lock
from cheatdeck.cards.plan import note_guid
from cheatdeck.cli import main
from tests.anki_helpers import import_package
from tests.test_deck import _remove
from tests.test_sync import DECK, _ids, _new_collection, _opened


def _build(source: Path, out: Path, env: dict[str, str] | None = None) -> Result:
    args = ["build", "--source", str(source), "--out", str(out), "--artefact", "deck"]
    return CliRunner().invoke(main, args, env=env)


def _still_shipped(source: Path, more: int) -> str:
    """What a build says of the retired notes it ships: the committed lock's own (the pair contrasts the
    vision triad replaced) and `more`."""
    count = more + sum(entry.state == RETIRED for entry in read_lock(source / LOCK_FILE).notes.values())
    return (
        f"{count} retired note is still shipped" if count == 1 else f"{count} retired notes are still shipped"
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_without_a_profile_every_build_reminds_of_the_retired_notes_it_still_ships(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHEATDECK_PROFILE", raising=False)
    monkeypatch.delenv("CHEATDECK_COLLECTION", raising=False)
    out = tmp_path / "dist"
    shipped = _still_shipped(scratch_source, 2)
    assert _build(scratch_source, out).exit_code == 0
    _remove(scratch_source, "services.yaml", "lex")
    _remove(scratch_source, "services.yaml", "rekognition")
    for _ in range(2):  # each time, not only when they retire
        result = _build(scratch_source, out)
        assert result.exit_code == 0, result.output
        assert shipped in result.output, result.output
        assert "tag:cheatdeck::retired" in result.output
        assert "run sync" in result.output


def test_with_a_profile_the_build_forgets_the_retired_notes_deleted_in_anki(
    scratch_source: Path, tmp_path: Path
) -> None:
    base = tmp_path / "Anki2"
    path = _new_collection(base / "User 1" / "collection.anki2")
    env = {"ANKI_BASE": str(base), "CHEATDECK_PROFILE": "User 1"}
    out = tmp_path / "dist"
    shipped, left = _still_shipped(scratch_source, 2), _still_shipped(scratch_source, 1)
    assert _build(scratch_source, out, env).exit_code == 0
    with _opened(path) as col:
        import_package(col, out / f"{DECK}.apkg")
    _remove(scratch_source, "services.yaml", "lex")
    _remove(scratch_source, "services.yaml", "rekognition")
    result = _build(scratch_source, out, env)
    assert result.exit_code == 0, result.output
    assert shipped in result.output
    with _opened(path) as col:
        import_package(col, out / f"{DECK}.apkg")
        col.remove_notes(_ids(col, "lex"))  # the learner deletes one of the two, as the reminder says
        assert len(_ids(col, "rekognition")) == 1
    before = _sha256(path)
    files = sorted(p.name for p in path.parent.iterdir())

    result = _build(scratch_source, out, env)  # an ordinary build, no flag
    assert result.exit_code == 0, result.output
    assert "forgotten (never shipped again): lex" in result.output
    assert left in result.output
    assert _sha256(path) == before and sorted(p.name for p in path.parent.iterdir()) == files  # read only
    lock = read_lock(scratch_source / LOCK_FILE).notes
    assert lock[note_guid(DECK, "topic", "lex")].state == DELETED
    assert lock[note_guid(DECK, "topic", "rekognition")].state == RETIRED
    with _opened(path) as col:
        counts = import_package(col, out / f"{DECK}.apkg")
        assert counts.new == 0
        assert _ids(col, "lex") == []  # it does not come back
    with _opened(tmp_path / "fresh.anki2") as fresh:
        import_package(fresh, out / f"{DECK}.apkg")
        assert _ids(fresh, "lex") == [] and len(_ids(fresh, "rekognition")) == 1


def test_a_profile_that_holds_none_of_the_deck_forgets_nothing(scratch_source: Path, tmp_path: Path) -> None:
    base = tmp_path / "Anki2"
    _new_collection(base / "Other" / "collection.anki2")  # another learner's, or a fresh profile
    env = {"ANKI_BASE": str(base), "CHEATDECK_PROFILE": "Other"}
    out = tmp_path / "dist"
    assert _build(scratch_source, out, env).exit_code == 0
    _remove(scratch_source, "services.yaml", "lex")
    assert _build(scratch_source, out, env).exit_code == 0
    result = _build(scratch_source, out, env)
    assert result.exit_code == 0, result.output
    assert "holds no note of this deck" in result.output
    assert "forgotten (never shipped again)" not in result.output
    assert read_lock(scratch_source / LOCK_FILE).notes[note_guid(DECK, "topic", "lex")].state == RETIRED


def test_a_profile_that_cannot_be_read_is_said_and_the_build_goes_on(
    scratch_source: Path, tmp_path: Path
) -> None:
    env = {"ANKI_BASE": str(tmp_path / "Anki2"), "CHEATDECK_PROFILE": "Nobody"}
    result = _build(scratch_source, tmp_path / "dist", env)
    assert result.exit_code == 0, result.output
    assert "no such Anki profile" in result.output
    assert (tmp_path / "dist" / f"{DECK}.apkg").is_file()
