"""The lock file: its format (version 2), the upgrade from version 1, and the values it refuses."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from cheatdeck.anki.lock import (
    ACTIVE,
    LOCK_FILE,
    LOCK_VERSION,
    RETIRED,
    RETIRED_TAG,
    Lock,
    LockedNote,
    LockedNotetype,
    dump_lock,
    read_lock,
)
from cheatdeck.cli import main
from cheatdeck.errors import LockError
from tests.conftest import SOURCE, Built, build_into


def _v1(lock: dict[str, object]) -> dict[str, object]:
    """Turn a version 2 lock back into the version 1 format (no deck, no states, no cards)."""
    notes = {
        guid: {k: v for k, v in note.items() if k not in ("added", "state", "cards", "retired_cards")}
        for guid, note in lock["notes"].items()  # type: ignore[attr-defined]
    }
    return {"version": 1, "notes": notes, "notetypes": lock["notetypes"]}


def test_the_lock_records_deck_states_cards_and_added_times() -> None:
    lock = read_lock(SOURCE / LOCK_FILE)
    assert lock.deck == "aws-mls-c01" and lock.title.startswith("AWS Certified")
    topics = {note.note_id: note for note in lock.notes.values() if note.notetype == "topic"}
    topic = topics["blazingtext"]  # all four topic cards
    cards = ["term", "reverse", "learning", "task"]
    assert (topic.state, topic.cards, topic.retired_cards) == (ACTIVE, cards, [])
    assert 0 < topic.added <= topic.mod
    # K-means's summary says "Clustering algorithm": its task card is no longer made, and shipped as removed
    assert (topics["k-means"].cards, topics["k-means"].retired_cards) == (
        ["term", "reverse", "learning"],
        ["task"],
    )


def test_a_version_1_lock_is_upgraded_and_builds_the_same_deck(built: Built, tmp_path: Path) -> None:
    source = tmp_path / "source"

    shutil.copytree(built.source, source)
    # a version 1 lock never recorded cards no longer made: start from a lock without any
    (source / LOCK_FILE).unlink()
    build_into(source, tmp_path / "fresh", artefacts=("deck",))
    data = json.loads((source / LOCK_FILE).read_text())
    # A version 1 lock has no added times: the upgrade takes each note's last change. The reference deck
    # is built from the same lock with those times, so only the format differs.
    for note in data["notes"].values():
        note["added"] = note["mod"]
    reference = tmp_path / "reference"
    shutil.copytree(source, reference)
    (reference / LOCK_FILE).write_text(json.dumps(data))
    build_into(reference, tmp_path / "reference-dist", artefacts=("deck",))
    retired_guid = next(iter(data["notes"]))
    old = _v1(data)
    old["notes"][retired_guid]["tags"].append(RETIRED_TAG)  # type: ignore[index]
    (source / LOCK_FILE).write_text(json.dumps(old))
    lock = read_lock(source / LOCK_FILE)
    assert lock.notes[retired_guid].state == RETIRED
    assert all(note.added == note.mod for note in lock.notes.values())
    old["notes"][retired_guid]["tags"].remove(RETIRED_TAG)  # type: ignore[index]
    (source / LOCK_FILE).write_text(json.dumps(old))
    report = build_into(source, tmp_path / "dist", artefacts=("deck",))
    assert report.deck_changes == "no changes"
    assert (tmp_path / "dist" / "aws-mls-c01.apkg").read_bytes() == (
        tmp_path / "reference-dist" / "aws-mls-c01.apkg"
    ).read_bytes()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda note: note.update(state="gone"), "state: expected one of active, retired, deleted"),
        (lambda note: note.update(tags=["a b"]), "tags: expected tags without spaces"),
        (lambda note: note.update(added=-5), "added: expected a time in seconds"),
        (lambda note: note.update(cards=["<b>"]), "cards: expected card names"),
        (lambda note: note.update(note_id="<script>"), "note_id: expected a note id"),
        (lambda note: note.update(hash="zz"), "hash: expected 16 hexadecimal digits"),
        (lambda note: note.update(fields=[1]), "fields should be a list of text"),
    ],
)
def test_every_lock_value_is_checked(change: object, message: str, tmp_path: Path) -> None:
    data = json.loads((SOURCE / LOCK_FILE).read_text())
    change(next(iter(data["notes"].values())))  # type: ignore[operator]
    (tmp_path / LOCK_FILE).write_text(json.dumps(data))
    with pytest.raises(LockError, match=message):
        read_lock(tmp_path / LOCK_FILE)


@pytest.mark.parametrize("version", [1, 2])
def test_another_decks_lock_is_refused(version: int, scratch_source: Path, tmp_path: Path) -> None:
    """Issue 13: another deck's lock was accepted, and an old-format one shipped its notes as retired."""
    other = tmp_path / "other"
    shutil.copytree(SOURCE.parent / "examples" / "aws-cloud-practitioner", other)
    (other / LOCK_FILE).unlink(missing_ok=True)
    build_into(other, tmp_path / "other-dist", artefacts=("deck",))
    data = json.loads((other / LOCK_FILE).read_text())
    (scratch_source / LOCK_FILE).write_text(json.dumps(data if version == 2 else _v1(data)))
    with pytest.raises(
        LockError, match="belongs to" if version == 2 else "not written for deck 'aws-mls-c01'"
    ):
        build_into(scratch_source, tmp_path / "dist", artefacts=("deck",))
    assert not (tmp_path / "dist").exists()


def _project(root: Path) -> Path:
    """A small notes folder built once (its lock written): a topic note with term and reverse cards."""
    source = root / "source"
    source.mkdir(parents=True)
    (source / "deck.yaml").write_text("id: t\ntitle: T\n", encoding="utf-8")
    (source / "notes.yaml").write_text(_NOTES.format(use="stores objects in buckets"), encoding="utf-8")
    build_into(source, root / "dist", artefacts=("deck",))
    return source


_NOTES = """\
notes:
  - id: s3
    title: Amazon S3
    kind: service
    summary: Object storage.
    use_case: {use}
  - id: ec2
    title: Amazon EC2
    kind: service
    summary: Virtual servers.
"""


def _edit_lock(source: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = source / LOCK_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    for note in data["notes"].values():
        if note["note_id"] == "s3":
            change(note)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("removed", [False, True], ids=["active", "retired"])
@pytest.mark.parametrize("key", ["cards", "retired_cards"])
def test_a_card_name_its_note_type_lacks_is_a_lock_error(key: str, removed: bool, tmp_path: Path) -> None:
    """Issue: a hand-edited `cards: ["bogus"]` in the lock gave "internal error: KeyError" (49d7fc0)."""
    source = _project(tmp_path)
    _edit_lock(source, lambda note: note.update({key: ["bogus"]}))
    if removed:
        notes = source / "notes.yaml"
        notes.write_text(notes.read_text().split("  - id: ec2")[0], encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 1 and "internal error" not in result.output, result.output
    assert f"{key}: expected cards of a topic note (term, reverse, learning, task), got ['bogus']" in (
        result.output
    ), result.output


@pytest.mark.parametrize("deck", ["", "T::", "::x", "T::::x", "T::a\x07"])
def test_a_deck_name_anki_would_not_keep_is_a_lock_error(deck: str, tmp_path: Path) -> None:
    source = _project(tmp_path)
    _edit_lock(source, lambda note: note.update(deck=deck))
    with pytest.raises(LockError, match="deck: expected an Anki deck name"):
        read_lock(source / LOCK_FILE)


def test_a_time_at_the_limit_never_makes_a_lock_the_next_build_refuses(tmp_path: Path) -> None:
    """A newest `mod` of 2**31 - 2: two edits later, a build wrote 2**31, and every later build refused the
    lock it had written (49d7fc0). A build that would need a time past the limit refuses before writing."""
    source = _project(tmp_path)
    _edit_lock(source, lambda note: note.update(mod=2**31 - 2))
    notes = source / "notes.yaml"
    outcomes = []
    for use in ("keeps objects in buckets", "holds objects in buckets", "serves objects from buckets"):
        notes.write_text(_NOTES.format(use=use), encoding="utf-8")
        before = (source / LOCK_FILE).read_bytes()
        result = CliRunner().invoke(main, ["build", "--source", str(source), "--out", str(tmp_path / "dist")])
        read_lock(source / LOCK_FILE)  # whatever happened, the lock left behind is readable
        outcomes.append(result.exit_code)
        if result.exit_code:
            assert "Traceback" not in result.output and "2038" in result.output, result.output
            assert (source / LOCK_FILE).read_bytes() == before
    assert outcomes == [0, 1, 1]


def test_the_planner_returns_its_advice_as_records_and_logs_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The planner logged its advice and `sync` filtered the log by matching message text; now each piece
    of advice is a record saying whether it concerns an `.apkg` import only."""
    import logging

    import yaml

    from cheatdeck import SHIPPED_TEMPLATES
    from cheatdeck.anki.reconcile import plan_deck
    from cheatdeck.notes.sources import load_sources

    source = tmp_path / "source"
    source.mkdir()
    note = {"id": "a", "title": "A", "kind": "concept", "summary": "Something to know well."}
    (source / "deck.yaml").write_text("id: t\ntitle: T\n", encoding="utf-8")
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": [note]}), encoding="utf-8")
    build_into(source, tmp_path / "dist", artefacts=("deck",))
    (source / "deck.yaml").write_text("id: t\ntitle: New title\n", encoding="utf-8")
    note["summary"] = "Something else to know well."
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": [note]}), encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="cheatdeck"):
        plan = plan_deck(load_sources(source), SHIPPED_TEMPLATES, read_lock(source / LOCK_FILE))
    assert caplog.records == []
    by_kind = {(advice.warning, advice.imports_only): advice.message for advice in plan.advice}
    assert len(plan.advice) == 2 and set(by_kind) == {(True, False), (False, True)}
    assert "title changed from 'T' to 'New title'" in by_kind[True, False]
    assert by_kind[False, True].startswith("the next import replaces") and by_kind[False, True].endswith(
        ": a"
    )


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_ENTRY = st.builds(
    LockedNote,
    note_id=_TEXT,
    notetype=_TEXT,
    deck=_TEXT,
    fields=st.lists(_TEXT, max_size=3),
    tags=st.lists(_TEXT, max_size=3),
    hash=_TEXT,
    mod=st.integers(0, 2**31 - 1),
    model_id=st.integers(0, 2**63 - 1),
    added=st.integers(0, 2**31 - 1),
    state=_TEXT,
    cards=st.lists(_TEXT, max_size=3),
    retired_cards=st.lists(_TEXT, max_size=2),
)


@given(
    notes=st.dictionaries(_TEXT, _ENTRY, max_size=4),
    notetypes=st.dictionaries(
        _TEXT,
        st.builds(
            LockedNotetype, name=_TEXT, fields=st.lists(_TEXT, max_size=3), hash=_TEXT, mod=st.integers(0, 9)
        ),
        max_size=2,
    ),
    deck=_TEXT,
    title=_TEXT,
)
def test_the_lock_is_written_as_json_writes_it(
    notes: dict[str, LockedNote], notetypes: dict[str, LockedNotetype], deck: str, title: str
) -> None:
    """The lock's text is json.dumps' (indent 1, sorted keys, unicode kept), whichever entries were written
    before: each note's block is kept by its values and reused (issue 26)."""
    lock = Lock(notes, notetypes, deck, title)
    data = {
        "version": LOCK_VERSION,
        "deck": deck,
        "title": title,
        "notetypes": {key: vars(value) for key, value in notetypes.items()},
        "notes": {guid: vars(value) for guid, value in notes.items()},
    }
    expected = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    assert dump_lock(lock) == expected
    assert dump_lock(lock) == expected  # the blocks kept
    changed = {  # an entry is never changed in place: a changed note is a new entry
        guid: replace(entry, mod=entry.mod + 1, fields=[*entry.fields, "more"])
        for guid, entry in notes.items()
    }
    data["notes"] = {guid: vars(value) for guid, value in changed.items()}
    assert dump_lock(replace(lock, notes=changed)) == (
        json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    )


def test_the_shipped_lock_is_written_back_as_it_is() -> None:
    text = (SOURCE / LOCK_FILE).read_text(encoding="utf-8")
    assert dump_lock(read_lock(SOURCE / LOCK_FILE)) == text


def test_the_lock_s_entry_texts_kept_are_those_of_the_last_lock_written() -> None:
    """Each lock written kept its entries' texts beside every earlier one's (up to 131,072): 20 saves that
    changed every note of a 3,000-note deck held 60,000 texts, 251 MiB (found by review; fails on 20a54ff)."""
    from cheatdeck.anki.lock import _ENTRIES

    lock = read_lock(SOURCE / LOCK_FILE)
    _ENTRIES.cache_clear()
    for save in range(5):
        notes = {guid: replace(entry, mod=entry.mod + save + 1) for guid, entry in lock.notes.items()}
        dump_lock(replace(lock, notes=notes))
    assert _ENTRIES.cache_info().currsize == len(lock.notes)


def test_forget_caches_forgets_the_lock_s_entry_texts() -> None:
    """A cold build (a benchmark's, a test's) starts without the texts of an earlier lock: forget_caches
    skips caches with no bound, which 69bdcee had made this one (fails on 16cdbb4)."""
    import cheatdeck
    from cheatdeck.anki.lock import _ENTRIES

    dump_lock(read_lock(SOURCE / LOCK_FILE))
    assert _ENTRIES.cache_info().currsize > 0
    cheatdeck.forget_caches()
    assert _ENTRIES.cache_info().currsize == 0
