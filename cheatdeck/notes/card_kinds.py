"""What kinds of cards a deck makes: the one table every stage reads, as `kinds.py` is for notes.

A card kind is one entry here plus its two templates, `templates/anki/<name>.front.html` and
`.back.html`. The entry says which Anki note type holds the card, the `cards:` switch in `deck.yaml` that
turns it off, which note kinds make it (a kind lists it under its own `cards:`), the note-type field whose
text makes the card (empty: no card), what that field holds (the answer the card asks), and the lint's
limit on the answer's length. A card of the topic note type needs a field of its own in that note type:
adding one is a version bump (`NOTETYPES` in `cheatdeck/cards/plan.py`; see docs/anki.md).

The table sits with the notes' schema because `deck.yaml` is validated against it (a kind's `cards:`);
the cards stage reads it to plan and lint. It imports nothing from the package.
"""

from __future__ import annotations

from dataclasses import dataclass

SUMMARY = "summary"
"""`asks` of a card whose answer is the note's summary: its field holds an on switch ('y')."""
CLUE = "clue"
"""`asks` of a card that shows a clue and asks for the name (the reverse card)."""


@dataclass(frozen=True)
class CardKind:
    """One kind of card: where it lives, what makes it, what it asks, how long its answer may be."""

    name: str  # its templates' name (templates/anki/<name>.front.html, .back.html)
    notetype: str  # the Anki note type whose template it is
    switch: str  # the key under `cards:` in deck.yaml that turns it off
    trigger: str = ""  # the note-type field whose text makes the card ('' : every note of the note type)
    chosen_as: str = ""  # the name a note kind lists under `cards:` to make it ('' : every note kind)
    asks: str = ""  # SUMMARY, CLUE or the labelled field whose value is the answer (its field holds it)
    max_words: int = 0  # the lint's limit on the answer's length (0: none)
    too_long: str = ""  # the lint's advice for an answer over the limit


CARD_KINDS: tuple[CardKind, ...] = (
    CardKind(
        "term",
        "topic",
        "term",
        trigger="Term card on",
        chosen_as="term",
        asks=SUMMARY,
        max_words=30,
        too_long="keep one short sentence here; move the rest into facts or the body",
    ),
    CardKind("reverse", "topic", "reverse", trigger="Reverse card clue", chosen_as="reverse", asks=CLUE),
    CardKind(
        "learning", "topic", "learning", trigger="Learning card answer", chosen_as="learning", asks="learning"
    ),
    CardKind(
        "task",
        "topic",
        "task",
        trigger="Task card answer",
        chosen_as="learning",  # the algorithms' second question
        asks="task",
        max_words=10,
        too_long="name the task in a few words",
    ),
    CardKind("fact", "fact", "facts"),
    CardKind("formula", "formula", "cloze"),
    CardKind("contrast", "contrast", "contrast"),
)
"""Every card kind, each note type's in the order of its templates (Anki numbers cards by that order:
append, never reorder)."""


def cards_of_notetype(notetype: str) -> tuple[CardKind, ...]:
    """Return the card kinds of one note type, in template order."""
    return tuple(kind for kind in CARD_KINDS if kind.notetype == notetype)


CHOSEN_BY_KIND = tuple(dict.fromkeys(kind.chosen_as for kind in CARD_KINDS if kind.chosen_as))
"""The names a note kind may list under `cards:`."""
