"""A one-note edit works out the cards of the notes it changed, and of the notes whose cards read what it
changed, not every note's (issue 26): a note's card plan is kept with what it read of the other notes (how
common each word of its clues is, which notes share its clue), and the plans after any edit are those a
cold plan gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import cheatdeck
from cheatdeck.cards.plan import NOTETYPES, CardPlanner, PlannedNote, plan_source_notes
from cheatdeck.notes.model import Notebook
from cheatdeck.notes.sources import load_sources

CLUE = NOTETYPES["topic"].fields.index("Reverse card clue")


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the notes whose cards were worked out (the real planner, counted)."""
    cheatdeck.forget_caches()  # what an earlier test planned in this process
    ids: list[str] = []
    plan = CardPlanner.plan

    def counting(self: CardPlanner, note: Any) -> Any:
        ids.append(note.id)
        return plan(self, note)

    monkeypatch.setattr(CardPlanner, "plan", counting)
    return ids


def _service(note_id: str, use_case: str, summary: str | None = None) -> dict[str, str]:
    return {
        "id": note_id,
        "title": note_id.replace("-", " ").title(),
        "kind": "service",
        "summary": summary or f"The {note_id.replace('-', ' ')} service of the example deck.",
        "use_case": use_case,
    }


def _notes() -> list[dict[str, str]]:
    return [
        _service("ledger", "record payments in an append-only journal"),
        _service("courier", "deliver parcels between depots overnight"),
        _service("glacier-vault", "archive cold backups for decades"),
        _service("lantern", "light dark warehouses on demand"),
        _service("abacus", "count inventory across shelves"),
        _service("kettle", "boil water for visiting guests"),
    ]


def _write(source: Path, notes: list[dict[str, str]], deck: str = "id: t\ntitle: T\n") -> Notebook:
    source.mkdir(parents=True, exist_ok=True)
    (source / "deck.yaml").write_text(deck, encoding="utf-8")
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": notes}, sort_keys=False), encoding="utf-8")
    return load_sources(source)


def _plan(notebook: Notebook) -> list[PlannedNote]:
    return plan_source_notes(notebook, {})


def _cold(notebook: Notebook) -> list[PlannedNote]:
    cheatdeck.forget_caches()
    return plan_source_notes(load_sources(notebook.source_dir), {})


def _clue(planned: list[PlannedNote], note_id: str) -> str:
    [topic] = [note for note in planned if note.note_id == note_id and note.notetype == "topic"]
    return topic.fields[CLUE]


def test_a_one_note_edit_works_out_that_note_s_cards_only(tmp_path: Path, planned: list[str]) -> None:
    notes = _notes()
    _plan(_write(tmp_path / "source", notes))
    assert sorted(planned) == sorted(note["id"] for note in notes)
    notes[2] = {**notes[2], "summary": "Keeps cold backups cheaply, for decades."}
    planned.clear()
    edited = _write(tmp_path / "source", notes)
    warm = _plan(edited)
    assert planned == ["glacier-vault"]
    assert warm == _cold(edited)


def test_a_note_whose_clue_another_note_comes_to_share_loses_its_reverse_card(
    tmp_path: Path, planned: list[str]
) -> None:
    """The courier's clue is its own until the kettle's use case says the same: then neither clue points at
    one note, and the courier's reverse card is no longer made, though the courier note did not change."""
    notes = _notes()
    before = _plan(_write(tmp_path / "source", notes))
    assert "deliver parcels" in _clue(before, "courier")
    notes[5] = {**notes[5], "use_case": "deliver parcels between depots overnight"}
    planned.clear()
    edited = _write(tmp_path / "source", notes)
    after = _plan(edited)
    assert _clue(after, "courier") == "" and _clue(after, "kettle") == ""
    assert sorted(planned) == ["courier", "kettle"]
    assert after == _cold(edited)
    notes[5] = _notes()[5]  # and back: the courier's card is made again
    planned.clear()
    restored = _write(tmp_path / "source", notes)
    again = _plan(restored)
    assert again == before
    assert sorted(planned) == ["courier", "kettle"]


def test_a_note_whose_clue_words_other_notes_come_to_use_takes_another_clue(
    tmp_path: Path, planned: list[str]
) -> None:
    """A clue's word says something about its note only while few notes use it (`ClueIndex.common_after`:
    3 of 6 notes here). Two other notes' summaries come to say 'append-only journal': the ledger's use case
    keeps one distinctive word, too few, and its reverse card asks its summary instead."""
    notes = _notes()
    notes[0] = {**notes[0], "summary": "Bookkeeping of payments: every entry kept forever."}
    notes[3] = {**notes[3], "summary": "Lights kept in an append-only journal of payments."}
    before = _plan(_write(tmp_path / "source", notes))
    assert "journal" in _clue(before, "ledger")
    notes[4] = {**notes[4], "summary": "Counts stock into an append-only journal of payments."}
    notes[5] = {**notes[5], "summary": "An append-only journal of payments made for guests' tea."}
    planned.clear()
    edited = _write(tmp_path / "source", notes)
    after = _plan(edited)
    assert "Bookkeeping" in _clue(after, "ledger")
    assert sorted(planned) == ["abacus", "kettle", "ledger"]
    assert after == _cold(edited)


def test_notes_added_removed_and_moved_plan_as_a_cold_plan_does(tmp_path: Path, planned: list[str]) -> None:
    notes = _notes()
    _plan(_write(tmp_path / "source", notes))
    changed = [notes[3], notes[0], _service("quill", "record payments in an append-only journal"), *notes[4:]]
    edited = _write(tmp_path / "source", changed)
    warm = _plan(edited)
    assert _clue(warm, "ledger") == ""  # the quill says the same
    assert warm == _cold(edited)


def test_a_changed_deck_setting_works_out_every_note_s_cards_again(
    tmp_path: Path, planned: list[str]
) -> None:
    notes = _notes()
    _plan(_write(tmp_path / "source", notes))
    planned.clear()
    edited = _write(tmp_path / "source", notes, deck="id: t\ntitle: T\nvendor_words: [Amazon]\n")
    warm = _plan(edited)
    assert sorted(planned) == sorted(note["id"] for note in notes)
    assert warm == _cold(edited)
