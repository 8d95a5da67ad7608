"""A `watch` save reads the lock its last build wrote and reconciles every unchanged note as it was
(issue 26): the lock's text is not parsed again when its bytes are those last read or written, an
unchanged note's entry is not worked out again, and whatever is kept, the deck and the lock are those of a
cold, forced build."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import FrozenInstanceError, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import cheatdeck
import cheatdeck.anki.lock
from cheatdeck.anki.lock import LOCK_FILE, Lock, dump_lock, read_lock
from cheatdeck.build.pipeline import build
from cheatdeck.cards.plan import PlannedNote
from cheatdeck.errors import LockError
from cheatdeck.options import BuildOptions
from tests.conftest import SOURCE


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each lock text the lock module decoded as JSON (json itself, counted)."""
    cheatdeck.forget_caches()
    sizes: list[int] = []

    def loads(text: str | bytes, **options: Any) -> Any:
        sizes.append(len(text))
        return json.loads(text, **options)

    counting = SimpleNamespace(loads=loads, dumps=json.dumps, encoder=json.encoder)
    monkeypatch.setattr(cheatdeck.anki.lock, "json", counting)
    return sizes


@pytest.fixture
def digested(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The source notes whose Anki notes' content was hashed for the lock (the real hash, counted)."""
    cheatdeck.forget_caches()
    ids: Counter[str] = Counter()
    digest = PlannedNote.digest

    def counting(self: PlannedNote) -> str:
        ids[self.note_id.split("#")[0]] += 1
        return digest(self)

    monkeypatch.setattr(PlannedNote, "digest", counting)
    return ids


def _edit(source: Path) -> None:
    notes = source / "services.yaml"
    text = notes.read_text(encoding="utf-8")
    notes.write_text(text.replace("summary: ", "summary: Edited. ", 1), encoding="utf-8")


def _first_service(source: Path) -> str:
    text = (source / "services.yaml").read_text(encoding="utf-8")
    return text.split("- id: ", 1)[1].split()[0]


def _same_as_cold(options: BuildOptions, tmp_path: Path) -> None:
    """The deck and the lock a cold, forced build makes from the same notes and lock."""
    lock = (options.source / LOCK_FILE).read_bytes()
    cheatdeck.forget_caches()
    fresh = replace(options, out=tmp_path / "fresh", force=True)
    build(fresh)
    assert (options.source / LOCK_FILE).read_bytes() == lock
    deck = next(options.out.glob("*.apkg")).name
    assert (options.out / deck).read_bytes() == (fresh.out / deck).read_bytes()
    shutil.rmtree(fresh.out)


def test_a_lock_the_last_build_wrote_is_not_parsed_again(
    scratch_source: Path, tmp_path: Path, parsed: list[int]
) -> None:
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck",))
    build(options)
    assert parsed  # the shipped lock, read cold
    _edit(scratch_source)
    parsed.clear()
    build(options)  # reads the lock the first build wrote, writes the edited note's entry anew
    build(replace(options, force=True))  # reads the lock the second build wrote
    assert parsed == []
    _same_as_cold(options, tmp_path)


def test_a_one_note_edit_reconciles_that_note_s_entries_only(
    scratch_source: Path, tmp_path: Path, digested: Counter[str]
) -> None:
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck",))
    build(options)
    build(replace(options, force=True))  # the lock now holds this process's entries
    _edit(scratch_source)
    digested.clear()
    build(options)
    assert set(digested) == {_first_service(scratch_source)}
    digested.clear()
    build(replace(options, force=True))
    assert set(digested) == set()
    _same_as_cold(options, tmp_path)


def test_a_lock_edited_by_hand_between_builds_is_read_as_it_now_is(
    scratch_source: Path, tmp_path: Path
) -> None:
    cheatdeck.forget_caches()
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck",))
    build(options)
    path = scratch_source / LOCK_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    note_id = _first_service(scratch_source)
    for entry in data["notes"].values():
        if entry["note_id"] == note_id:
            entry["added"] -= 86_400  # a day earlier: its ids in the package move
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    edited = path.read_bytes()
    build(replace(options, force=True))
    assert path.read_bytes() == edited
    _same_as_cold(options, tmp_path)


def test_a_lock_this_process_wrote_is_checked_as_any_other(tmp_path: Path) -> None:
    """A lock's text served from memory is checked as a text read cold: a bad entry is refused either way."""
    cheatdeck.forget_caches()
    shipped = read_lock(SOURCE / LOCK_FILE)
    guid, entry = next(iter(shipped.notes.items()))
    bad = Lock(
        {guid: replace(entry, note_id="Not an id")}, dict(shipped.notetypes), shipped.deck, shipped.title
    )
    path = tmp_path / LOCK_FILE
    path.write_text(dump_lock(bad), encoding="utf-8")
    with pytest.raises(LockError) as warm:
        read_lock(path)
    cheatdeck.forget_caches()
    with pytest.raises(LockError) as cold:
        read_lock(path)
    assert str(warm.value) == str(cold.value) and "note_id: expected a note id" in str(cold.value)


def test_a_lock_read_twice_gives_equal_locks_that_share_no_mapping(tmp_path: Path) -> None:
    cheatdeck.forget_caches()
    path = SOURCE / LOCK_FILE
    first, second = read_lock(path), read_lock(path)
    assert first == second and first.notes is not second.notes and first.notetypes is not second.notetypes
    first.notes.clear()
    assert read_lock(path) == second


def test_a_lock_entry_cannot_be_changed_in_place() -> None:
    """An entry is kept by what it is (its text, its checks): it is never changed, only replaced."""
    cheatdeck.forget_caches()
    entry = next(iter(read_lock(SOURCE / LOCK_FILE).notes.values()))
    with pytest.raises(FrozenInstanceError):
        entry.mod += 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        entry.fields.append("more")
    with pytest.raises(TypeError):
        entry.tags[0] = "other"
    assert replace(entry, fields=[*entry.fields, "more"]).fields[-1] == "more"
