"""The term card's folded *More* never gives away a sibling card's answer, and new cards come note by
note in source order with the deck options the docs name. Anki's real backend and scheduler."""

from __future__ import annotations

from pathlib import Path

import html5lib
from anki.collection import Collection

from tests.anki_helpers import import_package
from tests.conftest import Built


def _text(html: str, leave_out: str = "") -> str:
    """Return the text of an HTML fragment, without the elements of class `leave_out`."""
    tree = html5lib.parse(f"<div>{html}</div>", namespaceHTMLElements=False)
    for parent in tree.iter():
        for child in list(parent):
            if leave_out and leave_out in (child.get("class") or "").split():
                parent.remove(child)
    return " ".join(" ".join(tree.itertext()).split())


def test_the_term_cards_more_gives_away_no_other_cards_answer(built: Built, tmp_path: Path) -> None:
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_package(col, built.deck)
        answers: dict[str, list[str]] = {}  # a topic note's id → the answers its other cards ask for
        for nid in col.find_notes(""):
            note = col.get_note(nid)
            kind = note.note_type()["name"]  # type: ignore[index]
            if kind.startswith("cheatdeck topic"):
                own = [note["Learning card answer"], note["Task card answer"]]
                answers.setdefault(note["Source id"], []).extend(own)
            elif kind.startswith("cheatdeck fact"):
                answers.setdefault(note["Source id"].split("#")[0], []).append(note["Answer"])
        checked = 0
        for nid in col.find_notes('"note:cheatdeck topic*"'):
            note = col.get_note(nid)
            more = _text(note["More"], leave_out="body")  # the note's own prose stays, as written
            for answer in map(_text, answers[note["Source id"]]):
                if len(answer) >= 8:  # a word or two could be there by chance
                    assert answer not in more, (note["Source id"], answer)
                    checked += 1
        assert checked >= 40
    finally:
        col.close()


def test_new_cards_come_note_by_note_in_source_order_with_the_documented_options(
    built: Built, tmp_path: Path
) -> None:
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_package(col, built.deck)
        top = next(deck for deck in col.decks.all_names_and_ids() if deck.name.startswith("AWS"))
        config = col.decks.config_dict_for_deck_id(top.id)
        # docs/cards.md, "Order of new cards": Deck options, Display order
        config["newGatherPriority"] = 1  # New card gather order: Ascending position
        config["newSortOrder"] = 1  # New card sort order: Order gathered
        config["new"]["perDay"] = 9999
        col.decks.save(config)
        col.decks.select(top.id)
        queue = col.sched.get_queued_cards(fetch_limit=9999).cards
        cards = [col.get_card(queued.card.id) for queued in queue]
        assert len(cards) == len(col.find_cards("is:new -is:suspended"))
        notes = [card.nid for card in cards]
        seen: list[int] = []
        for nid in notes:  # each note's cards together: a note never comes back once another began
            if not seen or seen[-1] != nid:
                assert nid not in seen, col.get_note(nid).fields[-1]
                seen.append(nid)
        positions = [card.due for card in cards]
        assert positions == sorted(positions)  # in the order the build gave them: source order
    finally:
        col.close()
