"""The Anki round trip, on Anki's own backend: import → review → edit/remove/rename → rebuild → import.

Each test starts from the session's shipped build (its sources, lock and package), so it costs one or two
deck builds. What every import must leave: no duplicate, no blank-front card, review history kept.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import html5lib
import pytest
import yaml
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from click.testing import CliRunner

from cheatdeck import clock
from cheatdeck.anki.lock import DELETED, LOCK_FILE, RETIRED, RETIRED_TAG, read_lock
from cheatdeck.anki.reconcile import REMOVED_CARD_TAG, REMOVED_CLASS
from cheatdeck.build.state import STATE_FILE
from cheatdeck.cards.plan import NOTETYPES
from cheatdeck.cli import main
from tests.anki_helpers import card_html, import_package, note_by_id
from tests.conftest import Built
from tests.test_deck import DECK_NAME, TITLE, _add, _edit, _remove, build_into

if TYPE_CHECKING:
    from anki.cards import CardId  # imported before anki.collection, it would be a circular import

BLANK = "The front of this card is blank"


@pytest.fixture
def project(built: Built, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the shipped sources (lock included) and of their built `dist/`."""
    source, out = tmp_path / "source", tmp_path / "dist"
    shutil.copytree(built.source, source)
    shutil.copytree(built.out, out)
    return source, out


def _review(collection: Collection, search: str) -> dict[CardId, int]:
    """Answer every card the search finds once ("Good"); return each card's review count."""
    reviewed: dict[CardId, int] = {}
    for cid in collection.find_cards(search):
        card = collection.get_card(cid)
        card.start_timer()
        collection.sched.answerCard(card, 3)
        reviewed[cid] = collection.get_card(cid).reps
    assert reviewed, search
    return reviewed


def _check_collection(collection: Collection) -> None:
    """No blank-front card, no note twice (by note type and Id)."""
    keys = []
    for nid in collection.find_notes(""):
        note = collection.get_note(nid)
        keys.append((note.note_type()["name"], note["Source id"]))  # type: ignore[index]
        for card in note.cards():
            assert BLANK not in card.question(), (note["Source id"], card.template()["name"])
    assert len(keys) == len(set(keys))


def _notice(card_question: str) -> str:
    """Return the text of the removal notice on a card's front ('' if none), read with an HTML5 parser."""
    tree = html5lib.parse(card_question, namespaceHTMLElements=False)
    notices = [el for el in tree.iter("div") if REMOVED_CLASS in el.get("class", "").split()]
    return " ".join("".join(el.itertext()) for el in notices)


@pytest.mark.slow
def test_a_removed_note_is_marked_then_deleted_and_never_comes_back(
    project: tuple[Path, Path], collection: Collection, tmp_path: Path
) -> None:
    """Issue 13 items 1-2, issue 10 item 4: retired notes (a removed note, a removed formula) are marked
    on every card, their new cards suspended in the package; once the learner deleted them as the README
    says and built with --forget-retired, no later import brings them back."""
    source, out = project
    import_package(collection, out / DECK_NAME)
    shipped = {collection.get_note(nid)["Source id"] for nid in collection.find_notes(f"tag:{RETIRED_TAG}")}
    reviewed = _review(collection, '"Source id:polly" OR ("Source id:precision" "note:cheatdeck formula*")')
    _remove(source, "services.yaml", "polly")
    services = yaml.safe_load((source / "services.yaml").read_text(encoding="utf-8"))["notes"]
    first_fact = next(note for note in services if note["id"] == "transcribe")["facts"][0]
    _edit(source, "services.yaml", "transcribe", related=[], facts=[first_fact])  # a fact removed
    # no formula and no authored difference left
    _edit(source, "metrics.yaml", "precision", formula=None, related=["recall"])

    report = build_into(source, out)
    assert (
        "retired: polly, polly+transcribe, precision, precision+recall, transcribe#2" in report.deck_changes
    )
    counts = import_package(collection, out / DECK_NAME)
    assert (counts.new, counts.conflicting) == (0, 0)
    retired = collection.find_notes(f"tag:{RETIRED_TAG}")
    # besides those the committed lock ships retired (the pair contrasts the vision triad replaced)
    assert sorted({collection.get_note(nid)["Source id"] for nid in retired} - shipped) == [
        "polly",
        "polly+transcribe",
        "precision",
        "precision+recall",  # what told them apart was the formula
        "transcribe#2",
    ]
    for nid in retired:
        for card in collection.get_note(nid).cards():
            assert "Removed from your notes" in _notice(card.answer())
            assert reviewed.get(card.id, 0) == card.reps  # history kept
    assert "Removed" not in _notice(note_by_id(collection, "precision").cards()[0].question())
    _check_collection(collection)

    # A collection that never had them gets none of the cards the notes no longer make (retired notes'
    # cards, cards of live notes whose kind is off), with or without "Import any learning progress";
    # every card it gets is one to study.
    for with_scheduling in (False, True):
        fresh = Collection(str(tmp_path / f"fresh-{with_scheduling}.anki2"))
        try:
            request = ImportAnkiPackageRequest(
                package_path=str(out / DECK_NAME),
                options=ImportAnkiPackageOptions(with_scheduling=with_scheduling),
            )
            fresh.import_anki_package(request)
            assert fresh.find_cards(f"tag:{RETIRED_TAG}") == []
            cards = [fresh.get_card(cid) for cid in fresh.find_cards("")]
            assert cards and all(not _notice(card.question() + card.answer()) for card in cards)
            assert -1 not in {card.queue for card in cards}
        finally:
            fresh.close()

    # README: search the tag, delete; then build with --forget-retired.
    collection.remove_notes(collection.find_notes(f"tag:{RETIRED_TAG}"))
    notes_left = collection.note_count()
    result = CliRunner().invoke(
        main, ["build", "--forget-retired", "--source", str(source), "--out", str(out), "--artefact", "deck"]
    )
    assert result.exit_code == 0, result.output
    [forgotten] = [
        line.split("forgotten (never shipped again): ")[1]
        for line in result.output.splitlines()
        if "forgotten (never" in line
    ]
    assert {"polly", "polly+transcribe", "precision", *shipped} <= set(forgotten.split(", "))
    states = {(n.note_id, n.notetype): n.state for n in read_lock(source / LOCK_FILE).notes.values()}
    assert states[("polly", "topic")] == states[("precision", "formula")] == DELETED
    _edit(source, "services.yaml", "comprehend", summary="Finds insights in text.")
    build_into(source, out)  # a later, ordinary build: still not shipped
    counts = import_package(collection, out / DECK_NAME)
    assert (counts.new, counts.updated) == (0, 1)
    assert collection.note_count() == notes_left
    assert not collection.find_notes('"Source id:polly"')
    _check_collection(collection)


def test_a_card_the_build_stops_making_is_never_blank_and_says_so(
    project: tuple[Path, Path], collection: Collection
) -> None:
    """Issue 13 item 3: a card kind switched off and a kind changed used to turn reviewed cards blank."""
    source, out = project
    import_package(collection, out / DECK_NAME)
    reviewed = _review(
        collection,
        '("Source id:comprehend" card:Reverse) OR ("Source id:k-means" card:Learning)',
    )
    _edit(source, "services.yaml", "comprehend", kind="concept", use_case=None, domain=None)
    deck = source / "deck.yaml"
    switches = "cards:\n  learning: false\n"
    deck.write_text(deck.read_text() + switches)

    report = build_into(source, out)
    for removed in ("comprehend (reverse)", "k-means (learning)"):
        assert removed in report.deck_changes.split("cards no longer made: ")[1]
    counts = import_package(collection, out / DECK_NAME)
    assert (counts.new, counts.conflicting) == (0, 0)
    _check_collection(collection)
    for cid, reps in reviewed.items():
        card = collection.get_card(cid)
        assert card.reps == reps  # history kept
        assert "no longer made from your notes" in _notice(card.answer())
    k_means = note_by_id(collection, "k-means")
    assert f"{REMOVED_CARD_TAG}::learning" in k_means.tags and RETIRED_TAG not in k_means.tags
    by_template = {card.template()["name"]: card for card in k_means.cards()}
    assert _notice(by_template["Term"].answer()) == _notice(by_template["Reverse"].answer()) == ""
    for cid in collection.find_cards("card:Learning OR card:Task"):  # an answer is never on a front
        assert 'class="cheatdeck-status"' not in card_html(collection.get_card(cid))[0]

    # README: suspend them with the search the card shows; only those cards are suspended.
    search = f"tag:{REMOVED_CARD_TAG}::learning card:Learning"
    assert search in _notice(by_template["Learning"].answer())
    for kind in ("learning", "reverse"):
        collection.sched.suspend_cards(collection.find_cards(f"tag:{REMOVED_CARD_TAG}::{kind} card:{kind}"))
    suspended = set(collection.find_cards("is:suspended"))
    assert set(reviewed) <= suspended
    assert all("no longer made" in _notice(collection.get_card(cid).answer()) for cid in suspended)

    # A switch the card never displays (the term card's) shows its notice on the front, hidden otherwise.
    deck.write_text(deck.read_text().replace(switches, "cards:\n  learning: false\n  term: false\n"))
    assert "k-means (term)" in build_into(source, out).deck_changes
    import_package(collection, out / DECK_NAME)
    assert "no longer made" in _notice(collection.get_card(by_template["Term"].id).question())
    _check_collection(collection)

    # Switching the kinds back on makes the cards again: the notices go, nothing is added.
    deck.write_text(deck.read_text().split("cards:")[0])
    build_into(source, out)
    counts = import_package(collection, out / DECK_NAME)
    assert counts.new == 0
    assert not _notice(collection.get_card(by_template["Learning"].id).answer())
    assert not _notice(collection.get_card(by_template["Term"].id).answer())
    _check_collection(collection)


def test_renaming_the_title_renames_the_deck_with_no_second_tree(
    project: tuple[Path, Path], collection: Collection, tmp_path: Path
) -> None:
    """Issue 13 items 4 and 7: identity is the deck id; Anki matches decks by name, so the build says to
    rename the deck in Anki first; the parent deck carries the description."""
    source, out = project
    first = Path(shutil.copy(out / DECK_NAME, tmp_path / "first.apkg"))
    import_package(collection, first)
    parent = collection.decks.by_name(TITLE)
    assert parent is not None and "MLS-C01" in parent["desc"]
    deck = source / "deck.yaml"
    new_title = "MLS-C01 renamed"
    deck.write_text(deck.read_text().replace(f"title: {TITLE}", f"title: {new_title}"))
    _add(source, {"id": "new-note", "title": "New", "kind": "concept", "summary": "Added after the rename."})

    report = build_into(source, out)
    package = out / DECK_NAME
    advice = [str(item) for item in report.advice if item.warning]  # the command says each once
    assert any(f"rename the deck {TITLE!r} to {new_title!r} in Anki" in item for item in advice), advice
    assert sorted(_package_decks(package).values()) == sorted(_package_decks(first).values())  # deck id only
    parent_id = collection.decks.id(TITLE, create=False)
    assert parent_id is not None
    collection.decks.rename(parent_id, new_title)  # as the README says
    counts = import_package(collection, package)
    assert (counts.new, counts.conflicting) == (1, 0)
    names = {d.name for d in collection.decks.all_names_and_ids()} - {"Default"}
    assert names == {new_title} | {f"{new_title}::{n.split('::')[1]}" for n in names if "::" in n}
    assert (
        collection.decks.name(note_by_id(collection, "new-note").cards()[0].did) == f"{new_title}::Concepts"
    )
    _check_collection(collection)

    # Without the rename in Anki, the same import grows a second tree: the warning is needed.
    other = Collection(str(tmp_path / "other.anki2"))
    try:
        import_package(other, first)
        import_package(other, package)
        assert {TITLE, new_title} <= {d.name for d in other.decks.all_names_and_ids()}
    finally:
        other.close()


def _package_decks(package: Path) -> dict[str, int]:
    """Return the decks a package holds, by name, with their ids (Default left out)."""
    with zipfile.ZipFile(package) as archive, tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch, "collection.anki2")
        database.write_bytes(archive.read("collection.anki2"))
        connection = sqlite3.connect(database)
        decks = json.loads(connection.execute("SELECT decks FROM col").fetchone()[0])
        connection.close()
    return {deck["name"]: int(deck["id"]) for deck in decks.values() if deck["name"] != "Default"}


def test_added_dates_are_when_the_lock_first_saw_each_note(
    project: tuple[Path, Path], collection: Collection
) -> None:
    """Issue 11 item 4: ids were hashes read as times (every card "Added 2017-07-14")."""
    source, out = project
    (source / LOCK_FILE).unlink()  # a deck never built before: every note is first seen now
    _add(source, {"id": "new-note", "title": "New", "kind": "concept", "summary": "Added."})
    build_into(source, out)
    import_package(collection, out / DECK_NAME)
    lock = read_lock(source / LOCK_FILE)
    added = {(n.note_id, n.notetype): n.added for n in lock.notes.values()}
    for nid in collection.find_notes(""):
        note = collection.get_note(nid)
        key = (note["Source id"], note.note_type()["name"].split()[1])  # type: ignore[index]
        assert nid // 1000 == added[key]
        assert all(cid // 1000 == added[key] for cid in note.card_ids())
    assert set(added.values()) == {clock.now()}  # first seen now, by the build's clock (not Anki's)


def test_lock_safety_warns_when_the_lock_is_lost(project: tuple[Path, Path], tmp_path: Path) -> None:
    """Issue 13 item 5: a lost lock was silent (edits then skipped by Anki, removed notes never retired)."""
    source, out = project
    assert (out / STATE_FILE).is_file()
    (source / LOCK_FILE).unlink()
    arguments = ["build", "--source", str(source), "--out", str(out), "--artefact", "deck"]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0
    assert f"warning: {source / LOCK_FILE} is missing, but {out} holds an earlier build" in result.output
    assert "restore the lock" in result.output

    # No out folder, but git tracks the lock (one offline `git ls-files`).
    repo = tmp_path / "repo"
    shutil.copytree(source, repo / "source")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "notes"], check=True)
    (repo / "source" / LOCK_FILE).unlink()
    result = CliRunner().invoke(
        main, ["build", "--source", str(repo / "source"), "--out", str(tmp_path / "d"), "--artefact", "deck"]
    )
    assert result.exit_code == 0
    assert "is missing, but git tracks it" in result.output


def test_learner_edits_in_anki_survive_until_the_note_changes_in_the_sources(
    project: tuple[Path, Path], collection: Collection
) -> None:
    """README, *What an import keeps*: each claim about the learner's own changes, on Anki's backend."""
    source, out = project
    import_package(collection, out / DECK_NAME)
    _review(collection, '"Source id:lex"')
    assert collection.db is not None
    own_deck = collection.decks.id("My own deck")
    assert own_deck is not None
    for note_id in ("lex", "polly"):
        note = note_by_id(collection, note_id)
        note["Summary"] = f"My own words about {note_id}."
        note.tags.append("my-tag")
        collection.update_note(note)
        # edited a minute before the build, by the build's clock (Anki stamps its own, the machine's)
        collection.db.execute("UPDATE notes SET mod = ? WHERE id = ?", clock.now() - 60, note.id)
        cids = note.card_ids()
        collection.sched.suspend_cards(cids[:1])
        collection.set_user_flag_for_cards(2, cids)
        collection.set_deck(cids[1:2], own_deck)
    _edit(source, "services.yaml", "lex", summary="Builds chatbots.")

    report = build_into(source, out)
    assert report.deck_changes == "edited: lex"
    advice = [str(item) for item in report.advice]
    assert any("the next import replaces the text and tags of the edited notes in Anki" in a for a in advice)
    import_package(collection, out / DECK_NAME)
    lex, polly = note_by_id(collection, "lex"), note_by_id(collection, "polly")
    assert lex["Summary"] == "Builds chatbots." and "my-tag" not in lex.tags  # the source wins
    assert polly["Summary"] == "My own words about polly." and "my-tag" in polly.tags  # kept
    for note in (lex, polly):
        cards = note.cards()
        assert cards[0].queue == -1 and {c.user_flag() for c in cards} == {2}  # cards are never touched
        assert collection.decks.name(cards[1].did) == "My own deck"
    assert note_by_id(collection, "lex").cards()[0].reps == 1

    # A note deleted in Anki while it is still in the sources comes back (as a new note) on the next import.
    collection.remove_notes([note_by_id(collection, "neo").id])
    counts = import_package(collection, out / DECK_NAME)
    assert counts.new == 1 and note_by_id(collection, "neo").cards()[0].reps == 0


def test_a_hand_edited_lock_ships_no_markup(project: tuple[Path, Path], collection: Collection) -> None:
    """Issue 10 item 5: fields of a lock entry not in the sources were shipped verbatim as a retired note."""
    source, out = project
    data = json.loads((source / LOCK_FILE).read_text())
    guid, entry = next((g, n) for g, n in data["notes"].items() if n["note_id"] == "polly")
    source_id = NOTETYPES["topic"].fields.index("Source id")
    entry["fields"] = [
        value if index == source_id else f'{value}<script>alert(1)</script><img src=x onerror="alert(2)">'
        for index, value in enumerate(entry["fields"])
    ]
    (source / LOCK_FILE).write_text(json.dumps(data))
    _remove(source, "services.yaml", "polly")
    _edit(source, "services.yaml", "transcribe", related=[])
    build_into(source, out)
    import_package(collection, out / DECK_NAME)
    polly = note_by_id(collection, "polly")
    assert RETIRED_TAG in polly.tags
    for card in polly.cards():
        for html in card_html(card):
            tree = html5lib.parse(html, namespaceHTMLElements=False)
            assert not list(tree.iter("script")) and not list(tree.iter("img"))
            assert not [el for el in tree.iter() if any(a.startswith("on") for a in el.attrib)]
    # text kept, markup gone (a script's text with it: a layout field keeps only the build's own elements)
    assert polly["Summary"].endswith("products.") and "alert" not in polly["Summary"]
    assert read_lock(source / LOCK_FILE).notes[guid].state == RETIRED
