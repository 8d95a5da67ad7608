"""The Anki deck, imported with the real Anki backend: counts, fields, in-place updates, reproducibility."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import zipfile
from pathlib import Path

import html5lib
import pytest
import yaml
from anki.collection import Collection
from click.testing import CliRunner
from syrupy.assertion import SnapshotAssertion

from cheatdeck.anki.lock import LOCK_FILE, RETIRED
from cheatdeck.anki.reconcile import REMOVED_CARD_TAG, RETIRED_TAG
from cheatdeck.build.pipeline import BuildReport
from cheatdeck.cards.plan import NOTETYPES, states_answer, term_back_text
from cheatdeck.cli import main
from cheatdeck.errors import LockError
from cheatdeck.notes.model import Kind, Notebook
from tests.anki_helpers import card_html, import_package, note_by_id
from tests.conftest import SOURCE, Built
from tests.conftest import build_into as _build_into

DECK_NAME = "aws-mls-c01.apkg"
TITLE = "AWS Certified Machine Learning – Specialty (MLS-C01)"


def build_into(source: Path, out: Path, **options: object) -> BuildReport:
    """Build only the deck: these tests never look at the PDF, which costs a second a render."""
    return _build_into(source, out, artefacts=("deck",), **options)


def _expected_cards(notebook: Notebook) -> dict[str, int]:
    """Count the cards the sources call for, by card kind, from the notes' own fields.

    Resources make no cards; every shipped service, algorithm and deployment has a distinctive clue; every
    shipped fact is marked or a question; a related pair makes a card when something tells them apart
    (L1 and L2 regularization fill no field that could differ). A learning or task card whose answer the
    term card's back states is not made. Cards the committed lock records as no longer made (and retired
    notes' cards) are not in the package: a collection that never had them does not get them."""
    reverse_kinds = {Kind.SERVICE, Kind.ALGORITHM, Kind.DEPLOYMENT}
    studied = [note for note in notebook.notes if note.kind != Kind.RESOURCE]
    contrasts = {
        tuple(sorted({note.id, *item.others}))
        for note in studied
        for item in note.related
        if item.difference or note.kind != Kind.CONCEPT
    }  # a pair, or three (one card for the three, none for a pair of them)
    contrasts = {c for c in contrasts if len(c) > 2 or not any(set(c) < set(three) for three in contrasts)}
    return {
        "term": len(studied),
        "reverse": sum(note.kind in reverse_kinds for note in studied),
        "learning": sum(
            note.learning is not None and not states_answer(term_back_text(note), note.learning.words)
            for note in studied
        ),
        "task": sum(
            note.task is not None and not states_answer(term_back_text(note), note.task) for note in studied
        ),
        "fact": sum(len(note.facts) for note in studied),
        "cloze": sum(note.formula is not None for note in studied),
        "contrast": len(contrasts),
    }


def _retired_notes() -> int:
    """How many notes the committed lock still ships retired (the pair contrasts the vision triad
    replaced): in the package as notes, with no card."""
    lock = json.loads((SOURCE / LOCK_FILE).read_text(encoding="utf-8"))
    return sum(entry["state"] == RETIRED for entry in lock["notes"].values())


def test_fresh_import_has_exact_notes_cards_and_decks(
    built: Built, notebook: Notebook, collection: Collection
) -> None:
    counts = import_package(collection, built.deck)
    expected = _expected_cards(notebook)
    notes = expected["term"] + expected["fact"] + expected["cloze"] + expected["contrast"] + _retired_notes()
    assert (counts.new, counts.updated, counts.duplicate, counts.conflicting) == (notes, 0, 0, 0)
    assert collection.note_count() == notes
    assert collection.card_count() == sum(expected.values())
    decks = {deck.name for deck in collection.decks.all_names_and_ids()} - {"Default"}
    assert decks == {TITLE} | {
        f"{TITLE}::{name}"
        for name in ("Services", "Algorithms", "Deployment", "Concepts", "Metrics", "Contrasts")
    }
    for cid in collection.find_cards(""):
        assert "The front of this card is blank" not in collection.get_card(cid).question()
    for kind, count in expected.items():
        template = "Formula" if kind == "cloze" else kind.capitalize()
        assert len(collection.find_cards(f'"card:{template}" "note:cheatdeck*"')) == count, kind


def test_fields_and_tags_match_the_sources(built: Built, notebook: Notebook, collection: Collection) -> None:
    import_package(collection, built.deck)
    k_means = note_by_id(collection, "k-means")
    source = notebook.note("k-means")
    assert k_means["Name"] == source.title
    assert k_means["Summary"] == source.summary
    assert "<strong>unsupervised</strong>" in k_means["More"]
    assert k_means["Learning card answer"] == "unsupervised"
    # its summary says "Clustering algorithm": no task card asks it again, the term card's back shows it
    assert "clustering" not in k_means["Task card answer"] and "<dd>clustering</dd>" in k_means["Details"]
    root = notebook.deck.id
    expected_tags = {f"{root}::{tag}" for tag in ("kind::algorithm", "learning::unsupervised", *source.tags)}
    assert {tag for tag in k_means.tags if not tag.startswith(f"{REMOVED_CARD_TAG}::")} == expected_tags
    comprehend = note_by_id(collection, "comprehend")
    assert '<a href="https://aws.amazon.com/comprehend/">' in comprehend["More"]
    for note in notebook.notes:
        if note.kind != Kind.RESOURCE:
            assert note_by_id(collection, note.id)["Name"].replace("&amp;", "&") == note.title


def test_reverse_card_hides_the_name(built: Built, collection: Collection) -> None:
    import_package(collection, built.deck)
    for note_id in ("comprehend", "lda", "neo"):
        note = note_by_id(collection, note_id)
        question, answer = card_html(note.cards()[1])
        assert "Which" in question
        assert note["Name"] not in question
        assert note["Name"] in answer
        assert note["Summary"] not in answer  # the term card asks for it
    assert "LDA" not in note_by_id(collection, "lda")["Reverse card clue"]


def test_formula_cloze_hides_the_expression(built: Built, collection: Collection) -> None:
    import_package(collection, built.deck)
    precision = note_by_id(collection, "precision", "formula")
    question, answer = card_html(precision.cards()[0])
    assert "Precision" in question and "[...]" in question and "TP + FP" not in question
    assert (
        '<span class="num">TP</span><span class="slash"> / </span><span class="den">'
        '<span class="paren">(</span>TP + FP<span class="paren">)</span></span>' in answer
    )
    # the editor (no card CSS) reads the field as a fraction, not "TPTP + FP" nor "TP / TP + FP"
    text = "".join(html5lib.parseFragment(precision["Formula"], namespaceHTMLElements=False).itertext())
    assert "TP / (TP + FP)" in text


def test_contrast_cards_pair_related_notes(built: Built, collection: Collection) -> None:
    import_package(collection, built.deck)
    pair = note_by_id(collection, "k-means+k-nearest-neighbours", "contrast")
    question, answer = card_html(pair.cards()[0])
    assert "K-means" in question and "K-nearest neighbors" in question
    assert "unsupervised" in answer and "supervised" in answer


def test_two_builds_of_unchanged_sources_are_byte_identical(built: Built, tmp_path: Path) -> None:
    report = build_into(built.source, tmp_path / "again")
    assert report.deck_changes == "no changes"
    assert (tmp_path / "again" / DECK_NAME).read_bytes() == built.deck.read_bytes()


def test_the_committed_lock_is_current(built: Built) -> None:
    """A build of the shipped sources must not need a new lock: else CI builds would not be reproducible."""
    assert (built.source / LOCK_FILE).read_text() == (SOURCE / LOCK_FILE).read_text()


def _edit(source: Path, filename: str, note_id: str, **changes: object) -> None:
    path = source / filename
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    note = next(note for note in data["notes"] if note["id"] == note_id)
    note.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _remove(source: Path, filename: str, note_id: str) -> None:
    path = source / filename
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["notes"] = [note for note in data["notes"] if note["id"] != note_id]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _add(source: Path, note: dict[str, object]) -> None:
    path = source / "extra.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {"notes": []}
    data["notes"].append(note)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _history(collection: Collection) -> dict[int, tuple[int, int, int, int, int]]:
    return {
        cid: (card.reps, card.ivl, card.due, card.queue, card.type)
        for cid in collection.find_cards("")
        for card in [collection.get_card(cid)]
    }


@pytest.mark.slow
def test_edit_rebuild_reimport_keeps_history_and_adds_no_duplicates(
    scratch_source: Path, tmp_path: Path, collection: Collection
) -> None:
    out = tmp_path / "dist"
    build_into(scratch_source, out)
    import_package(collection, out / DECK_NAME)
    for cid in collection.find_cards("tag:aws-mls-c01::kind::service OR tag:aws-mls-c01::kind::metric"):
        card = collection.get_card(cid)
        card.start_timer()
        collection.sched.answerCard(card, 3)
    notes_before = collection.note_count()
    shipped_retired = len(collection.find_notes(f"tag:{RETIRED_TAG}"))  # the lock's, before any edit

    for cycle in range(3):
        history = _history(collection)
        reviewed = {cid for cid, state in history.items() if state[0] > 0}
        assert reviewed
        summary = f"Edited summary, cycle {cycle}: extracts insights from text."
        _edit(scratch_source, "services.yaml", "comprehend", summary=summary)
        _edit(scratch_source, "algorithms.yaml", "lda", tags=["nlp", f"retagged-{cycle}"])
        _add(
            scratch_source,
            {"id": f"new-{cycle}", "title": f"New {cycle}", "kind": "concept", "summary": "Added."},
        )
        removed = ["rekognition", "lex", "accuracy"][cycle]  # notes no other note relates to
        _remove(scratch_source, "metrics.yaml" if removed == "accuracy" else "services.yaml", removed)

        report = build_into(scratch_source, out)
        assert f"added: new-{cycle}" in report.deck_changes
        assert f"retired: {removed}" in report.deck_changes
        counts = import_package(collection, out / DECK_NAME)

        assert counts.conflicting == 0
        assert counts.new == 1
        assert note_by_id(collection, "comprehend")["Summary"] == summary
        assert f"aws-mls-c01::retagged-{cycle}" in note_by_id(collection, "lda").tags
        assert RETIRED_TAG in note_by_id(collection, removed).tags
        after = _history(collection)
        assert {cid: after[cid] for cid in history} == history
        assert collection.note_count() == notes_before + cycle + 1
        ids = [collection.get_note(nid)["Source id"] for nid in collection.find_notes("")]
        assert len(ids) == len(set(ids)) + len(collection.find_notes('"note:cheatdeck formula*"'))

    retired = collection.find_notes(f"tag:{RETIRED_TAG}")
    assert len(retired) == shipped_retired + 4  # rekognition, lex, accuracy and accuracy's formula note


def test_template_change_reaches_the_collection(
    scratch_source: Path, tmp_path: Path, collection: Collection
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(SOURCE.parent / "templates", templates)
    out = tmp_path / "dist"
    build_into(scratch_source, out, templates=templates)
    import_package(collection, out / DECK_NAME)
    collection_notes = collection.note_count()
    css = templates / "anki" / "card.css"
    css.write_text(css.read_text() + "\n.cheatdeck-test-marker { color: red; }\n")
    front = templates / "anki" / "term.front.html"
    front.write_text(front.read_text().replace('<div class="title">', '<div class="title changed">'))

    report = build_into(scratch_source, out, templates=templates)
    assert "note types changed" in report.deck_changes
    counts = import_package(collection, out / DECK_NAME)
    assert counts.conflicting == 0
    path = collection.path
    collection.close()
    reopened = Collection(path)
    try:
        topic = note_by_id(reopened, "k-means").note_type()
        assert "cheatdeck-test-marker" in topic["css"]
        assert 'class="title changed"' in topic["tmpls"][0]["qfmt"]
        assert reopened.note_count() == collection_notes
    finally:
        reopened.close()
        collection.reopen()


def test_changing_a_note_type_field_list_is_refused(scratch_source: Path, tmp_path: Path) -> None:
    lock_path = scratch_source / LOCK_FILE
    lock = json.loads(lock_path.read_text())
    model_id = next(key for key, value in lock["notetypes"].items() if "topic" in value["name"])
    lock["notetypes"][model_id]["fields"] = ["Id", "Title"]
    lock_path.write_text(json.dumps(lock))
    out = tmp_path / "dist"
    with pytest.raises(LockError, match="Bump NOTETYPES"):
        build_into(scratch_source, out)
    result = CliRunner().invoke(main, ["build", "--source", str(scratch_source), "--out", str(out)])
    assert result.exit_code == 1
    assert "would change its fields" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_dry_run_prints_the_diff_and_writes_nothing(scratch_source: Path, tmp_path: Path) -> None:
    _edit(scratch_source, "services.yaml", "polly", summary="Polly speaks.")
    lock_before = (scratch_source / LOCK_FILE).read_bytes()
    out = tmp_path / "dist"
    result = CliRunner().invoke(
        main, ["build", "--dry-run", "--source", str(scratch_source), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "edited: polly" in result.output
    assert "dry run: nothing written" in result.output
    assert not out.exists()
    assert (scratch_source / LOCK_FILE).read_bytes() == lock_before


def test_script_in_a_note_never_becomes_markup(
    scratch_source: Path, tmp_path: Path, collection: Collection
) -> None:
    evil = "<script>alert('x')</script>"
    _add(
        scratch_source,
        {
            "id": "evil",
            "title": f"Evil {evil}",
            "kind": "service",
            "summary": f"Does {evil} things.",
            "body": f"Body {evil} and <b>bold</b> and [link](javascript:alert(1))",
            "use_case": evil,
        },
    )
    out = tmp_path / "dist"
    build_into(scratch_source, out)
    import_package(collection, out / DECK_NAME)
    note = note_by_id(collection, "evil")
    for card in note.cards():
        for html in card_html(card):
            assert "<script" not in html.lower()
            assert "javascript:" not in html.replace("[link](javascript:alert(1))", "")
    assert "&lt;script&gt;" in note["More"] and "&lt;b&gt;bold&lt;/b&gt;" in note["More"]


def _normalised_contents(package: Path, scratch: Path) -> dict[str, object]:
    """Read an .apkg back into sorted, JSON-friendly data (modification times left out)."""
    database = scratch / "collection.anki2"
    with zipfile.ZipFile(package) as archive:
        database.write_bytes(archive.read("collection.anki2"))
        media = json.loads(archive.read("media"))
    connection = sqlite3.connect(database)
    try:
        models = json.loads(connection.execute("SELECT models FROM col").fetchone()[0])
        decks = json.loads(connection.execute("SELECT decks FROM col").fetchone()[0])
        rows = connection.execute("SELECT guid, mid, tags, flds FROM notes ORDER BY guid").fetchall()
        cards = connection.execute(
            "SELECT n.guid, c.ord, c.did FROM cards c JOIN notes n ON n.id = c.nid"
        ).fetchall()
    finally:
        connection.close()
    model_names = {int(key): model["name"] for key, model in models.items()}
    deck_names = {int(key): deck["name"] for key, deck in decks.items()}
    return {
        "decks": sorted(deck_names.values()),
        "media": media,
        "notetypes": {
            model["name"]: {
                "id": int(model["id"]),
                "fields": [field["name"] for field in model["flds"]],
                "templates": [template["name"] for template in model["tmpls"]],
            }
            for model in models.values()
        },
        "notes": [
            {
                "guid": guid,
                "notetype": model_names[mid],
                "tags": tags.split(),
                "fields": flds.split("\x1f"),
                "cards": sorted((ord_, deck_names[did]) for g, ord_, did in cards if g == guid),
            }
            for guid, mid, tags, flds in rows
        ],
    }


def test_deck_contents_snapshot(built: Built, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    assert _normalised_contents(built.deck, tmp_path) == snapshot


def test_note_type_field_lists_are_the_documented_ones() -> None:
    """Changing these breaks every learner's updates: bump the version instead (see README)."""
    assert {key: (spec.version, spec.fields) for key, spec in NOTETYPES.items()} == {
        "topic": (
            2,
            (
                "Name", "Kind", "Summary", "Details", "Image", "More",
                "Reverse card clue", "Learning card answer", "Task card answer", "Term card on", "Source id",
            ),
        ),
        "fact": (1, ("Question", "Answer", "Topic", "Kind", "Source id")),
        "formula": (2, ("Name", "Formula", "Source id")),
        "contrast": (2, ("Pair", "Question", "Answer", "Source id")),
    }  # fmt: skip


def test_build_prints_summary_and_changes(built: Built, notebook: Notebook) -> None:
    expected = _expected_cards(notebook)
    notes = expected["term"] + expected["fact"] + expected["cloze"] + expected["contrast"]
    kinds = ", ".join(f"{kind} {expected[kind]}" for kind in sorted(expected))
    lock = json.loads((SOURCE / LOCK_FILE).read_text(encoding="utf-8"))
    gone = sum(len(entry["retired_cards"]) for entry in lock["notes"].values()) + _retired_notes()
    assert built.report.deck_summary == (
        f"{notes} notes, {sum(expected.values())} cards ({kinds}); {gone} cards no longer made "
        f"({_retired_notes()} of retired notes) reach only the collections that have them"
    )
    assert re.fullmatch(r"no changes", built.report.deck_changes)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "unreadable lock file"),
        ("[1, 2]", "unreadable lock file"),
        ('{"version": 99, "notes": {}, "notetypes": {}}', "unsupported lock version 99"),
        ('{"version": 1, "notes": {"g": {"note_id": "x"}}, "notetypes": {}}', "invalid lock file"),
        (
            '{"version": 1, "notetypes": {}, "notes": {"g": {"note_id": "x", "notetype": "topic",'
            ' "deck": "D", "fields": [], "tags": [], "hash": "h", "mod": "1700000000"}}}',
            "mod should be int",
        ),
    ],
)
def test_a_damaged_lock_is_reported_not_a_traceback(
    content: str, message: str, scratch_source: Path, tmp_path: Path
) -> None:
    (scratch_source / LOCK_FILE).write_text(content)
    result = CliRunner().invoke(
        main, ["build", "--source", str(scratch_source), "--out", str(tmp_path / "d")]
    )
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "d").exists()


def test_one_sided_related_still_makes_one_contrast_card(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: pair\ntitle: Pair\n")
    notes = [
        {"id": "a", "title": "A", "kind": "concept", "summary": "S."},
        {
            "id": "b",
            "title": "B",
            "kind": "concept",
            "summary": "T.",
            "related": [{"id": "a", "difference": "D."}],
        },
    ]
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": notes}))
    report = build_into(source, tmp_path / "dist")
    assert report.deck_summary == "3 notes, 3 cards (contrast 1, term 2)"


def built_summary(source: Path, tmp_path: Path) -> str:
    """Return the deck summary of the shipped sources (every card kind on), built from a copy."""
    copy = tmp_path / "copy"
    shutil.copytree(SOURCE, copy)
    return build_into(copy, tmp_path / "copy-dist").deck_summary


def test_switching_a_card_kind_off_retires_its_cards(scratch_source: Path, tmp_path: Path) -> None:
    deck = scratch_source / "deck.yaml"
    deck.write_text(deck.read_text() + "cards:\n  term: false\n  cloze: false\n")
    report = build_into(scratch_source, tmp_path / "dist")
    # notes left with no card are retired whole (formula notes included); the others keep their term
    # card as a removed card where a collection has it (their notice in the note's fields, so no learner's
    # card turns blank); the package holds no term or cloze card, so a fresh import gets none
    assert "retired: accuracy, l1-regularization, l2-regularization, precision, recall" in report.deck_changes
    assert "cards no longer made: batch-transform (term)," in report.deck_changes
    switched, built = _by_kind(report.deck_summary), _by_kind(built_summary(scratch_source, tmp_path))
    assert "term" not in switched and "cloze" not in switched
    assert switched["notes"] == built["notes"] - 8  # the five retired, and the formula notes of three
    assert (switched["reverse"], switched["fact"]) == (built["reverse"], built["fact"])
    # a learning card the term card's back made redundant is made again once no term card says it
    assert switched["learning"] >= built["learning"]


def _by_kind(summary: str) -> dict[str, int]:
    """Return a deck summary's notes and cards per kind: '80 notes, 126 cards (cloze 3, …)'."""
    notes = int(summary.split(" notes", 1)[0])
    return {"notes": notes, **{kind: int(count) for kind, count in re.findall(r"(\w+) (\d+)[,)]", summary)}}


def test_a_note_type_version_bump_adds_new_notes_and_leaves_old_ones(
    scratch_source: Path, tmp_path: Path, collection: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    out = tmp_path / "dist"
    build_into(scratch_source, out)
    import_package(collection, out / DECK_NAME)
    before = collection.note_count()
    topics = len(collection.find_notes('"note:cheatdeck topic v2*"'))
    monkeypatch.setitem(NOTETYPES, "topic", dataclasses.replace(NOTETYPES["topic"], version=3))

    report = build_into(scratch_source, out, force=True)  # a real bump edits deck.py, which forces this
    assert "retired" not in report.deck_changes
    counts = import_package(collection, out / DECK_NAME)
    assert (counts.new, counts.conflicting) == (topics, 0)
    assert collection.note_count() == before + topics
    assert len(collection.find_notes('"note:cheatdeck topic v3*"')) == topics
    assert len(collection.find_notes('"note:cheatdeck topic v2*"')) == topics


def test_reordering_notes_rewrites_the_deck_as_a_forced_build_does(
    scratch_source: Path, tmp_path: Path
) -> None:
    # New cards come in the notes' order (each card's `due`): swapping two notes changes the package
    # though no note's content does, so the deck's stamp must see the order too.
    _build_into(scratch_source, tmp_path / "dist", artefacts=("deck",))
    path = scratch_source / "services.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["notes"][0], data["notes"][1] = data["notes"][1], data["notes"][0]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    _build_into(scratch_source, tmp_path / "dist", artefacts=("deck",))
    fresh = tmp_path / "fresh"
    shutil.copytree(scratch_source, fresh)
    _build_into(fresh, tmp_path / "forced", artefacts=("deck",), force=True)
    name = "aws-mls-c01.apkg"
    assert (tmp_path / "dist" / name).read_bytes() == (tmp_path / "forced" / name).read_bytes()
