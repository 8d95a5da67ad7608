"""Upgrades that keep every review: the new deck imported as an `.apkg` over an older note-type version,
then `sync`. Anki's real backend."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from anki.collection import Collection
from click.testing import CliRunner, Result

from cheatdeck.anki.lock import RETIRED_TAG
from cheatdeck.cards.plan import NOTETYPES
from cheatdeck.cli import main
from tests.anki_helpers import import_package, note_by_id
from tests.conftest import build_into
from tests.test_sync import DECK, _history, _new_collection, _opened


def _sync(source: Path, *args: str, answer: str | None = None) -> Result:
    return CliRunner().invoke(main, ["sync", "--source", str(source), *args], input=answer)


def _review(col: Collection, query: str, ease: int = 3) -> None:
    """Answer the cards the query finds that Anki would show (a suspended card it never shows)."""
    for cid in col.find_cards(f"({query}) -is:suspended"):
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, ease)


def _revlog(col: Collection) -> list[tuple[object, ...]]:
    assert col.db is not None
    return [tuple(row) for row in col.db.all("select * from revlog order by id")]


def _import_old(col: Collection, package: Path, source: Path) -> None:
    """Import the older build as a learner who then deleted the notes it shipped retired and built with
    `--forget-retired`, as the build says (the committed lock ships the pair contrasts the vision triad
    replaced): the sync asks about the upgrade only."""
    import_package(col, package)
    col.remove_notes(col.find_notes(f"tag:{RETIRED_TAG}"))
    build_into(source, package.parent, artefacts=("deck",), forget_retired=True)


def _bump_topic(monkeypatch: pytest.MonkeyPatch) -> int:
    """Give the topic note type a new version with another field order; return the new version."""
    spec = NOTETYPES["topic"]
    fields = (*spec.fields[:3], *spec.fields[4:6], spec.fields[3], *spec.fields[6:])
    monkeypatch.setitem(NOTETYPES, "topic", replace(spec, version=spec.version + 1, fields=fields))
    return spec.version + 1


def test_import_of_the_new_version_then_sync_keeps_every_review(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _new_collection(tmp_path / "collection.anki2")
    build_into(scratch_source, tmp_path / "old", artefacts=("deck",))
    with _opened(path) as col:
        _import_old(col, tmp_path / "old" / f"{DECK}.apkg", scratch_source)
        _review(col, "tag:aws-mls-c01::kind::service OR tag:aws-mls-c01::kind::algorithm")
        _review(col, "tag:aws-mls-c01::kind::service", ease=1)
        history, revlog = _history(col), _revlog(col)
        notes = col.note_count()
        topics = len(col.find_notes('"note:cheatdeck topic*"'))
    reviewed = {cid for cid, state in history.items() if state[-1]}
    assert len(reviewed) >= 15 and len(revlog) > len(reviewed)

    version = _bump_topic(monkeypatch)
    build_into(scratch_source, tmp_path / "new", artefacts=("deck",))
    with _opened(path) as col:
        counts = import_package(col, tmp_path / "new" / f"{DECK}.apkg")
        assert counts.new == topics  # the documented doubling: a new copy of every topic note
        assert col.note_count() == notes + topics

    result = _sync(scratch_source, "--collection", str(path), answer="y\n")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "deleted 0" in result.output, result.output
    assert f"> polly (topic → v{version})" in result.output
    with _opened(path) as col:
        assert col.note_count() == notes  # one copy of each note again
        after = _history(col)
        assert set(after) >= set(history)  # every card is there
        for cid, (reps, ivl, due, queue, kind, log) in history.items():  # its scheduling and its log
            now = after[cid]
            assert (now[0], now[1], now[2], now[4], now[5]) == (reps, ivl, due, kind, log)
            if now[3] != queue:  # only a card the build no longer makes is suspended, as any sync does
                card = col.get_card(cid)
                assert now[3] == -1 and "no longer made" in card.question() + card.answer()
        assert _revlog(col) == revlog  # every review-log row, unchanged
        polly = note_by_id(col, "polly")
        notetype = polly.note_type()
        assert notetype is not None and notetype["name"] == f"cheatdeck topic v{version} ({DECK})"
    result = _sync(scratch_source, "--collection", str(path))
    assert result.exit_code == 0, result.output
    assert "sync: added 0, updated 0, deleted 0, migrated 0, conflicts 0" in result.output


def test_a_new_copy_reviewed_or_edited_before_the_sync_is_folded_into_the_old_note(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _new_collection(tmp_path / "collection.anki2")
    build_into(scratch_source, tmp_path / "old", artefacts=("deck",))
    with _opened(path) as col:
        _import_old(col, tmp_path / "old" / f"{DECK}.apkg", scratch_source)
        _review(col, "tag:aws-mls-c01::kind::service")
        old_polly = {card.ord: card.id for card in note_by_id(col, "polly").cards()}
        old_accuracy = {card.ord: card.id for card in note_by_id(col, "accuracy").cards()}
        revlog = _revlog(col)
    version = _bump_topic(monkeypatch)
    build_into(scratch_source, tmp_path / "new", artefacts=("deck",))
    with _opened(path) as col:
        import_package(col, tmp_path / "new" / f"{DECK}.apkg")
        twins = [
            nid
            for nid in col.find_notes('"Source id:accuracy" OR "Source id:polly"')
            if f"v{version}" in col.get_note(nid).note_type()["name"]
        ]  # type: ignore[index]
        assert len(twins) == 2
        for nid in twins:  # the learner studies the new copies for a while
            _review(col, f"nid:{nid}")
            note = col.get_note(nid)
            if note["Source id"] == "polly":
                note["Summary"] = "Polly, in my words, on the new copy."
                note.tags.append("my-own-tag")
                col.update_note(note)
        twin_state = {
            (col.get_note(nid)["Source id"], card.ord): (card.reps, card.ivl, card.due, card.queue, card.type)
            for nid in twins
            for card in col.get_note(nid).cards()
        }
        twin_log = {row[0] for row in _revlog(col)} - {row[0] for row in revlog}
        assert twin_log

    result = _sync(scratch_source, "--collection", str(path), answer="y\n")
    assert result.exit_code == 0, result.output
    assert "deleted 0" in result.output
    assert "* polly (topic → v" in result.output and "Summary edited in Anki, kept" in result.output
    with _opened(path) as col:
        logged = {row[0]: row for row in _revlog(col)}
        assert set(logged) == {row[0] for row in revlog} | twin_log  # not one review lost
        assert all(logged[row[0]] == row for row in revlog)  # the old rows as they were
        polly, accuracy = note_by_id(col, "polly"), note_by_id(col, "accuracy")
        assert {card.ord: card.id for card in polly.cards()} == old_polly  # the old cards, migrated
        assert {card.ord: card.id for card in accuracy.cards()} == old_accuracy
        assert polly["Summary"] == "Polly, in my words, on the new copy."
        assert "my-own-tag" in polly.tags
        for source_id, note in (("polly", polly), ("accuracy", accuracy)):
            for card in note.cards():  # the more recently reviewed copy's scheduling
                assert (card.reps, card.ivl, card.due, card.queue, card.type) == twin_state[
                    (source_id, card.ord)
                ]
                moved = {row[0] for row in logged.values() if row[1] == card.id} & twin_log
                assert moved
    result = _sync(scratch_source, "--collection", str(path))
    assert result.exit_code == 0, result.output
    assert "sync: added 0, updated 0, deleted 0, migrated 0, conflicts 0\n" in result.output


def _build(source: Path, out: Path, *more: str) -> Result:
    args = ["build", "--source", str(source), "--out", str(out), "--artefact", "deck", *more]
    return CliRunner().invoke(main, args, env={"CHEATDECK_PROFILE": "", "CHEATDECK_COLLECTION": ""})


def test_a_build_whose_lock_shipped_an_older_version_says_what_an_import_does_and_recommends_sync(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cheatdeck.anki.lock import LOCK_FILE, read_lock

    out = tmp_path / "dist"
    assert _build(scratch_source, out).exit_code == 0
    path = _new_collection(tmp_path / "collection.anki2")
    with _opened(path) as col:
        import_package(col, out / f"{DECK}.apkg")
        topics = len(col.find_notes('"note:cheatdeck topic*"'))
    old_version = NOTETYPES["topic"].version
    _bump_topic(monkeypatch)
    for more in (["--force"], []):  # the build after the bump (the code changed), and an up-to-date one
        result = _build(scratch_source, out, *more)
        assert result.exit_code == 0, result.output
        said = [line for line in result.output.splitlines() if "older note-type version" in line]
        assert len(said) == 1, result.output
        assert said[0].startswith(
            f"warning: {topics} notes were shipped under an older note-type version (topic v{old_version})"
        )
        assert "an import adds each again as a new note" in said[0]
        assert "run sync instead" in said[0]

    result = _sync(scratch_source, "--collection", str(path), "--yes")
    assert result.exit_code == 0, result.output
    assert f"migrated {topics}" in result.output
    result = _build(scratch_source, out)
    assert result.exit_code == 0, result.output
    assert "older note-type version" not in result.output  # sync moved them: nothing left to say
    current = {notetype for notetype in read_lock(scratch_source / LOCK_FILE).notetypes}
    assert all(str(note.model_id) in current for note in read_lock(scratch_source / LOCK_FILE).notes.values())


def test_older_version_notes_deleted_in_anki_are_forgotten_by_a_build_that_sees_the_collection(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "Anki2"
    path = _new_collection(base / "User 1" / "collection.anki2")
    out = tmp_path / "dist"
    assert _build(scratch_source, out).exit_code == 0
    with _opened(path) as col:
        import_package(col, out / f"{DECK}.apkg")
    version = _bump_topic(monkeypatch)
    result = _build(scratch_source, out, "--force")
    assert "older note-type version" in result.output
    with _opened(path) as col:  # the learner imports the new deck and deletes the old notes by hand
        import_package(col, out / f"{DECK}.apkg")
        col.remove_notes(col.find_notes(f'"note:cheatdeck topic v{version - 1}*"'))
    env = {"ANKI_BASE": str(base), "CHEATDECK_PROFILE": "User 1"}
    args = ["build", "--source", str(scratch_source), "--out", str(out), "--artefact", "deck"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert "older note-type version" not in result.output
    result = CliRunner().invoke(main, args, env=env)
    assert "nothing to do" in result.output and "older note-type version" not in result.output


_GENANKI_IDS = 1_500_000_000_000  # the first releases' note and card ids: Anki showed "Added 2017-07-14"


def _scheduling(col: Collection) -> dict[tuple[str, str, int], tuple[int | bool, ...]]:
    """Each card's scheduling, by its note type (without version), note and template: ids may change."""
    found = {}
    for card in map(col.get_card, col.find_cards("")):
        note = col.get_note(card.nid)
        kind = note.note_type()["name"].split(" v")[0]  # type: ignore[index]
        notice = "no longer made" in card.question() + card.answer()
        found[(kind, note["Source id"], card.ord)] = (
            card.reps,
            card.ivl,
            card.due,
            card.queue,
            card.type,
            notice,
        )
    assert len(found) == col.card_count()
    return found


def _as_an_early_release_shipped_it(col: Collection, deck_title: str) -> None:
    """Make the collection look as the first releases left it: ids (so Added dates) from genanki's counter,
    flat tags without the deck's prefix, and a Resources subdeck that held the resource notes' cards."""
    assert col.db is not None
    next_id = _GENANKI_IDS
    for (nid,) in col.db.all("select id from notes order by id"):
        col.db.execute("update notes set id = ? where id = ?", next_id, nid)
        col.db.execute("update cards set nid = ? where nid = ?", next_id, nid)
        next_id += 1
        for (cid,) in col.db.all("select id from cards where nid = ? order by ord", next_id - 1):
            col.db.execute("update cards set id = ? where id = ?", next_id, cid)
            col.db.execute("update revlog set cid = ? where cid = ?", next_id, cid)
            next_id += 1
    prefix = f"{DECK}::"
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        note.tags = [tag.removeprefix(prefix) for tag in note.tags] + ["my-own-tag"]
        col.update_note(note)
    col.decks.id(f"{deck_title}::Resources")  # emptied when its cards were retired


@pytest.mark.slow
def test_sync_after_an_upgrade_leaves_no_leftovers_after_asking(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cheatdeck.anki.lock import LOCK_FILE, read_lock
    from cheatdeck.cards.plan import note_guid

    path = _new_collection(tmp_path / "collection.anki2")
    build_into(scratch_source, tmp_path / "old", artefacts=("deck",))
    with _opened(path) as col:
        _import_old(col, tmp_path / "old" / f"{DECK}.apkg", scratch_source)
        title = col.decks.name(col.get_card(col.find_cards("")[0]).did).split("::")[0]
        _review(col, "tag:aws-mls-c01::kind::service")
        _as_an_early_release_shipped_it(col, title)
        before = _scheduling(col)
        reviews = len(_revlog(col))
        old_type = note_by_id(col, "polly").note_type()
        assert old_type is not None
    _bump_topic(monkeypatch)

    result = _sync(scratch_source, "--collection", str(path), answer="n\n")  # asked: no
    assert result.exit_code == 0, result.output
    assert "Remove what the upgrade left empty" in result.output
    assert f"deck {title}::Resources (no cards)" in result.output
    assert f"note type {old_type['name']} (no notes)" in result.output
    lock = read_lock(scratch_source / LOCK_FILE)
    with _opened(path) as col:
        assert col.decks.by_name(f"{title}::Resources") is not None
        assert col.models.by_name(old_type["name"]) is not None
        polly = note_by_id(col, "polly")
        added = lock.notes[note_guid(DECK, "topic", "polly")].added
        assert polly.id // 1000 == added  # the Added date the lock records, not 2017-07-14
        assert all(card.id // 1000 == added for card in polly.cards())
        assert "service" not in " ".join(polly.tags).split()  # the flat copy of a tag the deck ships
        assert "kind::service" not in polly.tags and "my-own-tag" in polly.tags
        assert f"{DECK}::kind::service" in polly.tags
        now = _scheduling(col)
        assert set(now) == set(before)  # every card, under its new id
        for key, (reps, ivl, due, queue, kind, notice) in before.items():
            assert now[key][:3] + now[key][4:] == (reps, ivl, due, kind, notice), key  # its scheduling
            assert now[key][3] == queue or (notice and now[key][3] == -1), (
                key
            )  # a card no longer made: suspended
        # every card's scheduling, under its new id
        assert len(_revlog(col)) == reviews
        assert {row[1] for row in _revlog(col)} <= set(col.find_cards(""))  # each review on a card

    result = _sync(scratch_source, "--collection", str(path), "--yes")  # next time: yes
    assert result.exit_code == 0, result.output
    assert f"x deck {title}::Resources (no cards)" in result.output
    with _opened(path) as col:
        assert col.decks.by_name(f"{title}::Resources") is None
        assert col.models.by_name(old_type["name"]) is None
        assert len(_revlog(col)) == reviews
    result = _sync(scratch_source, "--collection", str(path))
    assert result.exit_code == 0 and "Remove what" not in result.output, result.output


def test_a_new_note_type_version_keeps_the_removed_cards_notices_and_the_first_shipped_date(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cheatdeck.anki.lock import LOCK_FILE, read_lock
    from cheatdeck.cards.plan import note_guid

    old = read_lock(scratch_source / LOCK_FILE).notes
    removed = sorted(
        entry.note_id for entry in old.values() if entry.notetype == "topic" and "task" in entry.retired_cards
    )
    assert removed  # the shipped lock has notes whose task card is no longer made
    path = _new_collection(tmp_path / "collection.anki2")
    assert _sync(scratch_source, "--collection", str(path)).exit_code == 0
    with _opened(path) as col:
        notice = note_by_id(col, removed[0])["Task card answer"]
        assert "no longer made" in notice
    version = _bump_topic(monkeypatch)
    result = _sync(scratch_source, "--collection", str(path), "--yes")
    assert result.exit_code == 0, result.output
    assert f"> {removed[0]} (topic → v{version})" in result.output
    assert "Task card answer" not in result.output  # the notice stays: no card turns blank
    with _opened(path) as col:
        assert note_by_id(col, removed[0])["Task card answer"] == notice
    lock = read_lock(scratch_source / LOCK_FILE).notes
    entry = lock[note_guid(DECK, "topic", removed[0])]
    assert entry.added == old[note_guid(DECK, "topic", removed[0], version - 1)].added  # first shipped then
    assert "task" in entry.retired_cards
