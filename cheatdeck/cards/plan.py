"""What each card shows: the note types, their fields, and the Anki notes planned from each source note.

Every card asks one question and its back shows that answer, never the answer a sibling card of the same
note asks for: the term card's back shows the summary and the fields no other card asks (the rest, facts and
body included, is folded away under *More*); the reverse card's back is the name; the learning card's back
is one plain word. The reverse clue is analysed here (`reverse_clue`), so the lint and the cards agree.

A GUID names a note of one note type (`cheatdeck.identity` holds the formula): a hash of the deck id, the
note-type key (and version, from 2 on) and the note id (plus the fact's id or position), never of text or
time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache, partial
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

from markupsafe import Markup

from cheatdeck import SHIPPED_TEMPLATES, identity
from cheatdeck.cards.fragments import repeats_title
from cheatdeck.cards.markup import render_fragment
from cheatdeck.hashing import content_hash, fingerprint, folder_texts
from cheatdeck.notes.card_kinds import CLUE, SUMMARY, CardKind, cards_of_notetype
from cheatdeck.notes.kinds import FORMULA_FIELD, KIND_FIELDS, LABELLED_FIELDS, TEXT_FIELDS
from cheatdeck.notes.model import CLOZE_SPAN, Deck, Fact, Note, Notebook
from cheatdeck.notes.render import (
    UNSOURCED_HTML,
    UNSOURCED_NOTE,
    mark_unsourced,
    mathjax_safe,
    render_correction,
    render_formula,
    render_formula_cloze,
    render_inline,
    render_inline_piece,
    render_markdown,
    render_references,
    render_text,
)
from cheatdeck.notes.sources import MEDIA_DIR

CONTRAST_SUBDECK = "Contrasts"


MIN_DISTINCTIVE_WORDS = 2
"""A reverse clue needs at least this many words that say something about its note only."""

_SAFE_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")  # a media name is built only from safe characters


@dataclass(frozen=True)
class Notetype:
    """A note type whose field list is fixed for a given version (see README, *Note types*)."""

    key: str
    version: int
    fields: tuple[str, ...]
    cards: tuple[str, ...]  # template names; each has <name>.front.html and <name>.back.html
    cloze: bool = False


# Changing a field list breaks updates in learners' collections: bump `version` instead (a new note type).
# The first field is what Anki's browser lists; fields that switch a card on come last and say so.
NOTETYPES = {
    "topic": Notetype(
        "topic",
        2,
        (
            "Name",
            "Kind",
            "Summary",
            "Details",
            "Image",
            "More",
            "Reverse card clue",
            "Learning card answer",
            "Task card answer",
            "Term card on",
            "Source id",
        ),
        tuple(kind.name for kind in cards_of_notetype("topic")),
    ),
    "fact": Notetype("fact", 1, ("Question", "Answer", "Topic", "Kind", "Source id"), ("fact",)),
    "formula": Notetype("formula", 2, ("Name", "Formula", "Source id"), ("formula",), cloze=True),
    "contrast": Notetype("contrast", 2, ("Pair", "Question", "Answer", "Source id"), ("contrast",)),
}

TOPIC_CARDS = cards_of_notetype("topic")
"""The topic note's cards: each made by a field of its own (`CardKind.trigger`)."""
CARD_TRIGGERS = {kind.name: kind.trigger for kind in TOPIC_CARDS}


@dataclass(frozen=True)
class PlannedNote:
    """One Anki note as it will be written; `position` orders its new cards (source order)."""

    guid: str
    note_id: str
    notetype: str
    deck: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    cards: tuple[str, ...]
    mod: int = 0
    position: tuple[int, int] = (1 << 30, 0)

    def digest(self) -> str:
        """Hash what the learner sees of this note."""
        return content_hash(self.notetype, self.deck, self.fields, self.tags)


def note_guid(deck_id: str, notetype: str, note_id: str, version: int | None = None) -> str:
    """Return a note's GUID under its note type's current version, or the one given (`cheatdeck.identity`)."""
    current = NOTETYPES[notetype].version
    return identity.note_guid(deck_id, notetype, note_id, current if version is None else version)


def fact_key(note: Note, index: int) -> str:
    """Return a fact's identity within its note: its own `id`, else its position (1-based)."""
    fact = note.facts[index]
    return f"{note.id}#{fact.id or index + 1}"


def cards_of(notetype: str, fields: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Return the cards a note of this type has, from its fields (a topic note: the filled switches)."""
    spec = NOTETYPES[notetype]
    if notetype != "topic":
        return spec.cards
    values = dict(zip(spec.fields, fields, strict=True))
    return tuple(card for card, trigger in CARD_TRIGGERS.items() if values[trigger])


# --- Words: how a clue is compared with a name -------------------------------------------------------

_DASHES = re.compile(r"[\u2010-\u2015\u2212\-_/]")
_WORD = re.compile(r"[^\W_]+")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "to",
        "for",
        "in",
        "on",
        "at",
        "by",
        "with",
        "from",
        "as",
        "is",
        "are",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "your",
        "you",
        "can",
        "use",
        "used",
        "using",
        "uses",
        "into",
        "than",
        "then",
        "more",
        "most",
        "one",
        "two",
        "any",
        "all",
        "each",
        "every",
        "such",
        "via",
        "per",
        "also",
        "not",
        "no",
        "do",
        "does",
        "what",
        "which",
        "who",
        "how",
        "when",
        "where",
        "why",
        "their",
        "them",
        "they",
        "there",
        "so",
        "if",
        "but",
        "about",
        "over",
        "under",
        "out",
        "up",
        "e",
        "g",
        "eg",
        "ie",
        "etc",
    ]
)


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    """Return a word without its plural ending: classes → class, neighbors → neighbor, series stays."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ies")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Return the words of a text, compared loosely: case, accents' forms, dashes and plurals ignored."""
    return list(_words(text))


@lru_cache(maxsize=1 << 14)
def _words(text: str) -> tuple[str, ...]:
    """Return `words(text)`, remembered: the clue checks ask for the same texts again and again."""
    normal = _DASHES.sub(" ", unicodedata.normalize("NFKC", text).casefold())
    return tuple(_stem(word) for word in _WORD.findall(normal))


def _compact(text: str) -> set[str]:
    """Return each whitespace-separated chunk with its dashes and punctuation removed: TF-IDF → tfidf."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    return {"".join(_WORD.findall(chunk)) for chunk in normal.split()} - {""}


@dataclass(frozen=True)
class Name:
    """The ways a note's name can give itself away: each part's significant words, and its acronyms."""

    parts: tuple[frozenset[str], ...]
    acronyms: frozenset[str]

    @property
    def words(self) -> frozenset[str]:
        """Return every significant word of every part."""
        return frozenset().union(*self.parts)


def name_of(note: Note, vendor_words: frozenset[str]) -> Name:
    """Analyse a title: 'Term frequency–inverse document frequency (TF-IDF)' has two parts, the words
    term, frequency, inverse, document and the acronyms tfidf; vendor words (Amazon) count for nothing."""
    return name_of_text(note.title, vendor_words)


def name_of_text(title: str, vendor_words: frozenset[str]) -> Name:
    """Analyse any answer as `name_of` analyses a title."""
    pieces = [piece for piece in re.split(r"\s*[()/]\s*", title) if piece.strip()]
    parts, acronyms = [], set()
    for piece in pieces:
        significant = [
            word
            for word in words(piece)
            if word not in STOPWORDS and word not in vendor_words and len(word) > 1
        ]
        if significant:
            parts.append(frozenset(significant))
        acronyms |= {
            "".join(_WORD.findall(chunk))
            for chunk in unicodedata.normalize("NFKC", piece).casefold().split()
            if len(_WORD.findall(_DASHES.sub(" ", chunk))) > 1  # joined pieces: TF-IDF, k-NN
        }
        initials = "".join(word[0] for word in words(piece) if word not in STOPWORDS | vendor_words)
        if len(initials) > 2:
            acronyms.add(initials)
    acronyms -= {word for word in acronyms if word in STOPWORDS}
    single_words = {word for part in parts for word in part}
    return Name(tuple(parts), frozenset(acronyms - single_words))


def leaked_words(text: str, name: Name) -> tuple[str, ...]:
    """Return the name's words and acronyms a text gives away (empty when it does not).

    A text leaks a name when it holds one of its acronyms, or at least half of the significant words of
    one of its parts: "K nearest points" leaks "K-nearest neighbors"; "document" alone does not leak
    "term frequency–inverse document frequency"."""
    found = set(words(text)) | _compact(text)
    leaks = set(name.acronyms & found)
    for part in name.parts:
        hit = part & found
        if hit and 2 * len(hit) >= len(part):
            leaks |= hit
    return tuple(sorted(leaks))


def _blank_leaks(text: str, leaks: tuple[str, ...]) -> str:
    """Replace every word of `text` that is (or, compacted, forms) a leaked word with an ellipsis."""
    leaked = set(leaks)

    def blank(match: re.Match[str]) -> str:
        chunk = match[0]
        if _compact(chunk) & leaked:
            return "\u2026"
        return _WORD.sub(lambda word: "\u2026" if _stem(word[0].casefold()) in leaked else word[0], chunk)

    blanked = re.sub(r"[^\s()\[\],;:.!?]+", blank, text)
    return re.sub(r"\u2026(?:[\s\-\u2010-\u2015]*\u2026)+", "\u2026", blanked)


# --- One answer, one card ----------------------------------------------------------------------------

_KEPT_NEGATIONS = frozenset({"not", "no"})  # "not a learning algorithm" is not stated by "learning algorithm"


def _loose(word: str) -> str:
    """Return a word with a doubled consonant before -ing, -ed or -er undoubled: modelling → modeling."""
    return re.sub(r"([b-df-hj-np-tv-z])\1(ing|ed|er)$", r"\1\2", word)


def answer_words(text: str) -> frozenset[str]:
    """Return the words that carry an answer's meaning, compared as the clue checks compare them."""
    return frozenset(
        _loose(word) for word in words(text) if word not in STOPWORDS - _KEPT_NEGATIONS and len(word) > 0
    )


def states_answer(back: str, answer: str) -> bool:
    """True when a card's back already states an answer: every word that carries the answer is on it."""
    wanted = answer_words(answer)
    return bool(wanted) and wanted <= answer_words(back)


def term_back_text(note: Note, leave_out: str = "") -> str:
    """Return what the term card's back shows as its graded answer: the summary and the fields no built-in
    card asks (domain, input), `leave_out` (the field a card asks, folded away from that back) left out."""
    fields = (getattr(note, name) for name in ("domain", "input") if name != leave_out)
    return " ".join(text for text in (note.summary, *fields) if text)


# --- Reverse clues ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clue:
    """A candidate reverse clue: the field it comes from and what it gives away or fails to say."""

    note_id: str
    field: str  # "use_case" or "summary"
    text: str
    leaks: tuple[str, ...]
    distinctive: tuple[str, ...]
    shared_with: tuple[str, ...]

    @property
    def usable(self) -> bool:
        """True when the clue points at its note only: distinctive enough and not shared."""
        return len(self.distinctive) >= MIN_DISTINCTIVE_WORDS and not self.shared_with

    def card_text(self) -> str:
        """Return the clue as the card shows it: any leaked word blanked."""
        return _blank_leaks(self.text, self.leaks) if self.leaks else self.text


class ClueIndex:
    """Deck-wide facts the reverse clues are judged against: which words are common, which clues repeat.

    `of_notes` and `frequency`, when given, are what `clue_words` and the words' counts over the notes
    give (a `watch` save works them out from the last deck's, for the notes it changed: `_CardPlans`)."""

    def __init__(
        self,
        notebook: Notebook,
        of_notes: list[NoteWords] | None = None,
        frequency: Counter[str] | None = None,
    ):
        self.notebook = notebook
        self.vendor = vendor_words(notebook)
        if of_notes is None:
            of_notes = [clue_words(notebook, self.vendor, note) for note in notebook.notes]
        if frequency is None:
            frequency = Counter()
            for item in of_notes:
                frequency.update(item.described)
        self.frequency = frequency
        self.common_after = max(3, len(notebook.notes) // 20)
        self._keys: dict[str, dict[tuple[str, ...], list[str]]] = {"use_case": {}, "summary": {}}
        for item in of_notes:
            for field, key in item.keys:
                self._keys[field].setdefault(key, []).append(item.note.id)
        self.read: dict[str, tuple[ClueRead, ...]] = {}
        """What `choose` read of the deck for each note it chose for."""

    def _key(self, text: str) -> tuple[str, ...]:
        return clue_key(text, self.vendor)

    def name(self, note: Note) -> Name:
        """Return the analysed name of a note."""
        return name_of(note, self.vendor)

    def candidates(self, note: Note) -> list[Clue]:
        """Return the clues a note could use, best first: its use case, then its summary."""
        return [clue for clue, _ in self._candidates(note)]

    def _candidates(self, note: Note) -> list[tuple[Clue, ClueRead]]:
        name = self.name(note)
        name_words = name.words
        clues = []
        for field in ("use_case", "summary"):
            text = getattr(note, field)
            if not text:
                continue
            content = [w for w in words(text) if w not in STOPWORDS and w not in self.vendor]
            checked = frozenset(w for w in content if w not in name_words and len(w) > 1)
            distinctive = self._distinctive(checked)
            key = self._key(text)
            shared = self._shared(field, key, note.id)
            clues.append(
                (
                    Clue(note.id, field, text, leaked_words(text, name), distinctive, shared),
                    ClueRead(field, key, checked, distinctive, shared),
                )
            )
        return clues

    def _distinctive(self, checked: frozenset[str]) -> tuple[str, ...]:
        """The words (of those checked) that few notes use."""
        return tuple(sorted(w for w in checked if self.frequency[w] - 1 < self.common_after))

    def _shared(self, field: str, key: tuple[str, ...], note_id: str) -> tuple[str, ...]:
        """The other notes whose clue of this field has this key."""
        return tuple(other for other in self._keys[field].get(key, []) if other != note_id)

    def choose(self, note: Note) -> Clue | None:
        """Return the clue the reverse card uses, or None when no clue points at this note only."""
        if not has_reverse(self.notebook, note):
            return None
        consulted: list[ClueRead] = []
        chosen = None
        for clue, read in self._candidates(note):
            consulted.append(read)
            if clue.usable:
                chosen = clue
                break
        self.read[note.id] = tuple(consulted)
        return chosen

    def still_reads(self, read: ClueRead, note_id: str) -> bool:
        """True when a clue's distinctive words and the notes sharing it are, in this deck, what they were
        when `read` was taken (so the note's choice of clue is the same)."""
        return (
            self._distinctive(read.checked) == read.distinctive
            and self._shared(read.field, read.key, note_id) == read.shared
        )


@dataclass(frozen=True)
class NoteWords:
    """What one note gives the deck-wide `ClueIndex`, worked out from the note and the deck's settings
    alone: the words it says (how many notes use a word), and its clues' keys (which clues repeat)."""

    note: Note
    described: frozenset[str]
    keys: tuple[tuple[str, tuple[str, ...]], ...]  # (field, key) of each clue of a note making reverse cards


@dataclass(frozen=True)
class ClueRead:
    """What a note's choice of reverse clue read of the other notes, for one clue it looked at: the words
    whose frequency it read (and those of them few notes use), and the notes whose clue has its key."""

    field: str
    key: tuple[str, ...]
    checked: frozenset[str]
    distinctive: tuple[str, ...]
    shared: tuple[str, ...]


def vendor_words(notebook: Notebook) -> frozenset[str]:
    """Return the deck's vendor words as `words` compares them (they count for nothing in a name)."""
    return frozenset(word for text in notebook.deck.vendor_words for word in words(text))


def clue_key(text: str, vendor: frozenset[str]) -> tuple[str, ...]:
    """Return what makes two clues the same: their significant words, each once, sorted."""
    return tuple(sorted(set(words(text)) - STOPWORDS - vendor))


def clue_words(notebook: Notebook, vendor: frozenset[str], note: Note) -> NoteWords:
    """Return what a note gives the clue index."""
    keys: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if has_reverse(notebook, note):
        keys = tuple(
            (field, clue_key(text, vendor))
            for field in ("use_case", "summary")
            if (text := getattr(note, field))
        )
    return NoteWords(note, frozenset(words(" ".join(_described(note)))), keys)


def _described(note: Note) -> list[str]:
    return [note.title, note.summary, *(text for name in TEXT_FIELDS if (text := getattr(note, name)))]


# --- Card texts ---------------------------------------------------------------------------------------


def has_reverse(notebook: Notebook, note: Note) -> bool:
    """True when the note's kind makes reverse cards ('which service does this?')."""
    return "reverse" in notebook.kinds[note.kind].cards and "reverse" not in note.cards_off


def makes_cards(notebook: Notebook, note: Note) -> bool:
    """False for a note of a kind not studied (`study: false`, as resources) unless the deck asks for their
    cards (`cards: {resources: true}`)."""
    return notebook.kinds[note.kind].study or notebook.deck.cards.resources


def fact_card(fact: Fact) -> tuple[str, str] | None:
    """Return a fact's question and answer HTML, or None for a statement with nothing marked to hide."""
    if fact.q is not None and fact.a is not None:
        return render_inline(fact.q, mathjax=True), render_inline(fact.a, mathjax=True)
    text = fact.text or ""
    if not CLOZE_SPAN.search(text):
        return None
    question, answer, start = [], [], 0
    for match in CLOZE_SPAN.finditer(text):
        before = render_inline_piece(text[start : match.start()], mathjax=True)
        question += [before, '<span class="cloze">[…]</span>']
        answer += [before, f'<span class="cloze">{render_inline(match["hidden"], mathjax=True)}</span>']
        start = match.end()
    after = render_inline_piece(text[start:], mathjax=True)
    return "".join([*question, after]), "".join([*answer, after])


@dataclass(frozen=True)
class CardPlan:
    """Which cards a source note makes, worked out once for the deck and for the lint."""

    note: Note
    answers: dict[str, str]  # topic card kind → its answer as text ('' : not made; a switch card: 'y')
    clue: Clue | None  # the reverse card's clue, when it is made
    facts: tuple[tuple[int, str, str], ...]  # (index, question HTML, answer HTML)
    formula: bool

    @property
    def term(self) -> bool:
        """True when the note makes a term card."""
        return bool(self.answers.get("term"))

    @property
    def learning(self) -> str:
        """Return the learning card's answer ('' : none)."""
        return self.answers.get("learning", "")

    @property
    def task(self) -> str:
        """Return the task card's answer ('' : none)."""
        return self.answers.get("task", "")

    @property
    def asked(self) -> frozenset[str]:
        """Return the labelled fields the note's cards ask (the term card's back leaves them folded)."""
        asked = {kind.asks for kind in TOPIC_CARDS if self.answers.get(kind.name)} & set(KIND_FIELDS)
        if self.clue is not None and self.clue.field in KIND_FIELDS:
            asked.add(self.clue.field)
        if self.formula:
            asked.add(FORMULA_FIELD.name)
        return frozenset(asked)

    @property
    def count(self) -> int:
        """Return how many cards the note makes (contrast cards not included)."""
        return sum(map(bool, self.answers.values())) + len(self.facts) + self.formula


class CardPlanner:
    """Plan the cards of a whole notebook: one deck-wide clue index, then each note."""

    def __init__(self, notebook: Notebook, clues: ClueIndex | None = None):
        self.notebook = notebook
        self.clues = ClueIndex(notebook) if clues is None else clues

    def plan(self, note: Note) -> CardPlan:
        """Return the cards a note makes under the deck's switches."""
        switches = self.notebook.deck.cards
        active = makes_cards(self.notebook, note)
        facts: list[tuple[int, str, str]] = []
        if active and switches.facts:
            for index, fact in enumerate(note.facts):
                card = fact_card(fact)
                if card:
                    facts.append((index, *card))
        chosen = self.notebook.kinds[note.kind].cards
        made = [
            kind
            for kind in TOPIC_CARDS
            if active
            and getattr(switches, kind.switch)
            and (not kind.chosen_as or kind.chosen_as in chosen)
            and kind.name not in note.cards_off
        ]
        clue = self.clues.choose(note) if any(kind.asks == CLUE for kind in made) else None
        answers = {kind.name: self._answer(kind, note, clue) if kind in made else "" for kind in TOPIC_CARDS}
        if answers.get("term"):  # a card whose answer the term card's back already says is not made
            for kind in TOPIC_CARDS:
                back = term_back_text(note, kind.asks)
                if kind.asks not in (SUMMARY, CLUE) and states_answer(back, answers[kind.name]):
                    answers[kind.name] = ""
        return CardPlan(
            note=note,
            answers=answers,
            clue=clue,
            facts=tuple(facts),
            formula=active and switches.cloze and note.formula is not None,
        )

    @staticmethod
    def _answer(kind: CardKind, note: Note, clue: Clue | None) -> str:
        """Return what a topic card's field holds as text: its answer, or '' when the note has none."""
        if kind.asks == SUMMARY:  # a switch: on unless the summary only repeats the title
            return "" if repeats_title(note.summary, note.title) else "y"
        if kind.asks == CLUE:
            return clue.card_text() if clue else ""
        return _field_value(note, kind.asks)

    @cached_property
    def contrasts(self) -> list[Contrast]:
        """Return each contrast (a related pair, or three) with the fields that differ and the authored
        differences."""
        return [
            _contrast(tuple(self.notebook.note(note_id) for note_id in ids))
            for ids in contrast_groups(self.notebook)
        ]


def _contrast(notes: tuple[Note, ...]) -> Contrast:
    """Return the contrast of these notes (a related pair, or three, in id order)."""
    owner, entry = _entry(notes)
    return Contrast(notes, differing_fields(notes), group_differences(notes), owner, entry)


@dataclass(frozen=True)
class Contrast:
    """Notes one contrast card compares: a related pair, or three (`ids:`), in id order."""

    notes: tuple[Note, ...]
    rows: list[tuple[str, tuple[str, ...]]]
    """Each field they all fill and that differs: its label and one HTML value per note."""
    sentences: list[str]
    """The authored `difference:` sentences, each once."""
    owner: Note
    """The note whose `related` entry names the contrast (the first, in id order, if several do)."""
    entry: str
    """That entry's field, `related[2]`."""

    @property
    def key(self) -> str:
        """Return the contrast's identity: its notes' ids joined by `+` (`a+b`, `a+b+c`)."""
        return "+".join(note.id for note in self.notes)

    def others(self, note: Note) -> str:
        """Return the ids of the contrast's notes other than `note`, as words: `b`, or `b and c`."""
        return " and ".join(other.id for other in self.notes if other.id != note.id)


def _entry(notes: tuple[Note, ...]) -> tuple[Note, str]:
    """Return the first note (in id order) whose `related` entry names exactly these notes, and the entry."""
    wanted = {note.id for note in notes}
    for note in notes:
        for index, item in enumerate(note.related):
            if {note.id, *item.others} == wanted:
                return note, f"related[{index}]"
    raise ValueError(f"no related entry names {sorted(wanted)}")  # contrast_groups found one


def differing_fields(notes: tuple[Note, ...]) -> list[tuple[str, tuple[str, ...]]]:
    """Return (label, one HTML value per note) for each field all the notes fill and that differs."""
    rows = []
    for label, field in _COMPARED:
        values = [_field_value(note, field) for note in notes]
        if all(values) and len({tuple(words(value)) for value in values}) > 1:
            render = render_formula if field == "formula" else partial(render_inline, mathjax=True)
            cells = tuple(
                mark_unsourced(note, field, render(value)) for note, value in zip(notes, values, strict=True)
            )
            rows.append((label, cells))
    return rows


_COMPARED = (
    ("Kind", "kind"),
    *((field.label, field.name) for field in LABELLED_FIELDS),
    (FORMULA_FIELD.label, FORMULA_FIELD.name),
)
"""The fields a contrast card compares, in order."""


def _field_value(note: Note, field: str) -> str:
    if field == "kind":
        return str(note.kind.value)
    if field == "learning":
        return note.learning.words if note.learning else ""
    return str(getattr(note, field) or "")


def differences(first: Note, second: Note) -> list[str]:
    """Return the authored `difference:` sentences of a pair, from either side, each once (a contrast of
    three's sentence is the three's: `group_differences`)."""
    return group_differences((first, second))


def group_differences(notes: tuple[Note, ...]) -> list[str]:
    """Return the authored `difference:` sentences of the entries that name exactly these notes, each once."""
    wanted = {note.id for note in notes}
    found = [
        item.difference
        for note in notes
        for item in note.related
        if item.difference and {note.id, *item.others} == wanted
    ]
    return list(dict.fromkeys(found))


def contrast_groups(notebook: Notebook) -> list[tuple[str, ...]]:
    """Return each contrast once, whichever of its notes (or several) lists it, as its notes' ids in order:
    a related pair, or a contrast of three (`ids:`). A pair within a contrast of three is not one of its
    own (`check` refuses one listed both ways)."""
    groups = {tuple(sorted({note.id, *item.others})) for note in notebook.notes for item in note.related}
    threes = [set(group) for group in groups if len(group) > 2]
    return sorted(group for group in groups if len(group) > 2 or not any(set(group) <= g for g in threes))


def contrast_pairs(notebook: Notebook) -> list[tuple[str, str]]:
    """Return every two notes a contrast compares (each pair of a contrast of three too), once each, in a
    stable order: the sheet links them."""
    pairs = {
        (group[i], group[j])
        for group in contrast_groups(notebook)
        for i in range(len(group))
        for j in range(i + 1, len(group))
    }
    return sorted(pairs)


# --- Planning the Anki notes ---------------------------------------------------------------------------


def plan_source_notes(
    notebook: Notebook, media: dict[str, Path], templates: Path = SHIPPED_TEMPLATES
) -> list[PlannedNote]:
    """Plan every Anki note the sources make, contrast notes included (media files go into `media`)."""
    planned: list[PlannedNote] = []
    kept = NOTE_PLANS.for_build(notebook, templates)
    for index, cards in enumerate(CARD_PLANS.plan(notebook)):
        planned.extend(kept.plan(cards, media, index))
    kept.finish()
    if notebook.deck.cards.contrast:
        planned += CONTRAST_NOTES.plan(notebook, templates, kept.shared)
    return planned


class _ContrastNotes:
    """The contrast notes of the last deck planned, each with the notes it compares, its place and the
    deck-wide part of the field plans' key (the deck's settings, the templates, the code: `NotePlans`):
    a contrast whose notes are the same (or equal) is not worked out again (issue 26). Emptied by
    `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.kept: dict[str, tuple[tuple[Note, ...], str, int, PlannedNote | None]] = {}

    def cache_info(self) -> SimpleNamespace:
        """How many contrasts are kept."""
        return SimpleNamespace(currsize=len(self.kept), maxsize=1 << 20)

    def cache_clear(self) -> None:
        """Forget every contrast."""
        self.kept = {}

    def plan(self, notebook: Notebook, templates: Path, shared: str) -> list[PlannedNote]:
        """Return the contrast notes of the notebook (a contrast with nothing to ask makes none)."""
        positions = {note.id: index for index, note in enumerate(notebook.notes)}
        made: dict[str, tuple[tuple[Note, ...], str, int, PlannedNote | None]] = {}
        planned = []
        for ids in contrast_groups(notebook):
            notes = tuple(notebook.note(note_id) for note_id in ids)
            position = max(positions[note_id] for note_id in ids)
            key = "+".join(ids)
            kept = self.kept.get(key)
            if (
                kept is not None
                and kept[1:3] == (shared, position)
                and all(a is b or a == b for a, b in zip(kept[0], notes, strict=True))
            ):
                note = kept[3]
            else:
                contrast = _contrast(notes)
                asks = contrast.rows or contrast.sentences
                note = contrast_note(notebook, contrast, position, templates) if asks else None
            made[key] = (notes, shared, position, note)
            if note is not None:
                planned.append(note)
        self.kept = made
        return planned


CONTRAST_NOTES = _ContrastNotes()


@dataclass(frozen=True)
class _KeptPlan:
    """A note's card plan, with what it read of the deck: its own words, and its reverse clue's reads."""

    words: NoteWords
    cards: CardPlan
    read: tuple[ClueRead, ...]
    words_read: frozenset[str]
    keys_read: frozenset[tuple[str, tuple[str, ...]]]


@dataclass(frozen=True)
class _DeckPlanned:
    """The last deck's card plans and the clue index's counts they were read from."""

    deck: Deck  # the deck's settings: switches, kinds, vendor words
    ids: tuple[str, ...]
    frequency: Counter[str]
    plans: dict[str, _KeptPlan]


class _CardPlans:
    """The card plans of the last deck planned (`CardPlanner.plan` of every note), each kept with what it
    read of the other notes: a `watch` edit works out again the cards of the notes it changed, and of the
    notes whose reverse clue reads what changed (a word's count, a clue's key), not every note's (issue 26).

    A note's card plan is made from the note, the deck's settings (switches, kinds, vendor words) and, for
    its reverse clue, how many notes use each word of the clues it looked at and which notes' clues have
    the same key (`ClueRead`). A plan is kept while its note is equal, the settings are equal and every one
    of those reads gives what it gave. Emptied by `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.last: _DeckPlanned | None = None

    def cache_info(self) -> SimpleNamespace:
        """How many notes' card plans are kept."""
        return SimpleNamespace(currsize=len(self.last.plans) if self.last else 0, maxsize=1 << 20)

    def cache_clear(self) -> None:
        """Forget every card plan."""
        self.last = None

    def plan(self, notebook: Notebook) -> list[CardPlan]:
        """Return every note's card plan, in the notebook's order."""
        last = self.last
        if last is not None and not (last.deck is notebook.deck or last.deck == notebook.deck):
            last = None  # other settings: every plan is made again
        kept = last.plans if last is not None else {}
        ids = tuple(note.id for note in notebook.notes)
        same_notes = last is not None and last.ids == ids  # the same ids in the same order
        vendor = vendor_words(notebook)
        of_notes: list[NoteWords] = []
        changed: list[tuple[NoteWords, NoteWords]] = []
        for note in notebook.notes:
            old = kept.get(note.id)
            if old is not None and (old.words.note is note or old.words.note == note):
                of_notes.append(old.words)
                continue
            item = clue_words(notebook, vendor, note)
            of_notes.append(item)
            if old is not None:
                changed.append((old.words, item))
        frequency = None
        changed_words: set[str] = set()
        changed_keys: set[tuple[str, tuple[str, ...]]] = set()
        if last is not None and same_notes:
            frequency = last.frequency.copy()
            for old_words, item in changed:
                frequency.subtract(old_words.described - item.described)
                frequency.update(item.described - old_words.described)
                changed_words |= old_words.described ^ item.described
                changed_keys |= set(old_words.keys) ^ set(item.keys)
            frequency = +frequency  # no word counted 0 times, as a count made afresh
        index = ClueIndex(notebook, of_notes, frequency)
        planner = CardPlanner(notebook, index)
        plans: list[CardPlan] = []
        made: dict[str, _KeptPlan] = {}
        for note, item in zip(notebook.notes, of_notes, strict=True):
            old = kept.get(note.id)
            if (
                old is not None
                and old.words is item
                and self._still(old, index, changed_words, changed_keys, same_notes)
            ):
                made[note.id] = old
                plans.append(old.cards)
                continue
            cards = planner.plan(note)
            read = index.read.get(note.id, ())
            words_read = frozenset(word for one in read for word in one.checked)
            made[note.id] = _KeptPlan(
                item, cards, read, words_read, frozenset((one.field, one.key) for one in read)
            )
            plans.append(cards)
        self.last = _DeckPlanned(notebook.deck, ids, index.frequency, made)
        return plans

    @staticmethod
    def _still(
        old: _KeptPlan,
        index: ClueIndex,
        changed_words: set[str],
        changed_keys: set[tuple[str, tuple[str, ...]]],
        same_notes: bool,
    ) -> bool:
        """True when what a kept plan read of the deck is as it was: nothing it read changed (the same
        notes, and none of its words or keys among those the changed notes changed), or, read again, the
        same distinctive words and the same notes sharing each clue it looked at."""
        if not old.read:
            return True
        if same_notes and old.words_read.isdisjoint(changed_words) and old.keys_read.isdisjoint(changed_keys):
            return True
        return all(index.still_reads(read, old.words.note.id) for read in old.read)


CARD_PLANS = _CardPlans()


class NotePlans:
    """The Anki notes each source note was planned into, by everything they are made from: a `watch` edit
    plans again the fields of the notes it changed, not every note's (issue 26). A note's plan is made
    from its card plan (the note itself, its answers and reverse clue, which the whole deck decides), the
    deck's settings and kinds, the note types, the fields' templates (their text) and cheatdeck's code; a
    note that shows a picture (a media file, read by content) is planned every time. Kept: the notes of
    the last deck planned. Emptied by `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.kept: dict[str, tuple[PlannedNote, ...]] = {}
        self.keys: dict[int, tuple[CardPlan, str, str]] = {}
        """Each card plan's key, by the plan itself (kept alive here; a plan is never changed once made),
        with the deck-wide part of the key it was taken under: `_CardPlans` hands an unchanged note's
        plan out again, whose key need not be digested again."""
        self.placed: dict[str, tuple[int, tuple[PlannedNote, ...]]] = {}
        """The notes of each key as placed at an index of the notebook."""

    def cache_info(self) -> SimpleNamespace:
        """How many notes' plans are kept."""
        return SimpleNamespace(currsize=len(self.kept), maxsize=1 << 20)

    def cache_clear(self) -> None:
        """Forget every plan."""
        self.kept.clear()
        self.keys.clear()
        self.placed.clear()

    def for_build(self, notebook: Notebook, templates: Path) -> _NotePlanning:
        """What plans the notes of one deck: from the kept plans where the key holds."""
        from cheatdeck.outputs import code_digest

        shared = fingerprint(
            (
                code_digest(),
                notebook.deck,
                notebook.kinds,
                str(notebook.source_dir),
                str(templates),
                _fragments_text(templates),
                dict(NOTETYPES),
            )
        )
        return _NotePlanning(self, notebook, templates, shared)


NOTE_PLANS = NotePlans()


@dataclass
class _NotePlanning:
    plans: NotePlans
    notebook: Notebook
    templates: Path
    shared: str
    made: dict[str, tuple[PlannedNote, ...]] = dataclasses.field(default_factory=dict)
    keys: dict[int, tuple[CardPlan, str, str]] = dataclasses.field(default_factory=dict)
    placed: dict[str, tuple[int, tuple[PlannedNote, ...]]] = dataclasses.field(default_factory=dict)

    def plan(self, cards: CardPlan, media: dict[str, Path], index: int) -> list[PlannedNote]:
        """The Anki notes of one source note at `index` in the notebook (its media go into `media`)."""
        known = self.plans.keys.get(id(cards))
        if known is not None and known[0] is cards and known[1] == self.shared:
            key = known[2]
        else:
            key = hashlib.sha256(f"{self.shared}\0{fingerprint(cards)}".encode()).hexdigest()
        self.keys[id(cards)] = (cards, self.shared, key)
        kept = self.made.get(key)
        if kept is None:
            kept = self.plans.kept.get(key)
        if kept is None:
            shown: dict[str, Path] = {}
            kept = tuple(_plan_note(self.notebook, cards, shown, 0, self.templates))
            media.update(shown)
            if shown:  # a media file is read by content each time
                return [replace(note, position=(index, note.position[1])) for note in kept]
        self.made[key] = kept
        placed = self.plans.placed.get(key)
        if placed is None or placed[0] != index:
            placed = (index, tuple(replace(note, position=(index, note.position[1])) for note in kept))
        self.placed[key] = placed
        return list(placed[1])

    def finish(self) -> None:
        """Keep the plans of this deck (only: the notes of earlier edits are dropped)."""
        self.plans.kept, self.plans.keys, self.plans.placed = self.made, self.keys, self.placed


def _fragments_text(templates: Path) -> list[tuple[str, list[tuple[str, str]]]]:
    """The fields' templates a note's plan is rendered with (a copy's, then the shipped ones), and every
    file they may include, as text."""
    from cheatdeck.cards.markup import FRAGMENTS

    folders = dict.fromkeys([templates / FRAGMENTS, SHIPPED_TEMPLATES / FRAGMENTS])
    return [(str(folder), folder_texts(folder)) for folder in folders]


def _plan_note(
    notebook: Notebook, cards: CardPlan, media: dict[str, Path], index: int, templates: Path
) -> list[PlannedNote]:
    deck = notebook.deck
    note = cards.note
    subdeck = f"{deck.title}::{notebook.kinds[note.kind].subdeck}"
    tags = _tags(deck.id, note)
    image = _image(notebook, note, media, templates)
    body = render_markdown(
        note.body, mathjax=True, images=lambda src: _media(notebook.source_dir / src, media)
    )
    asked = cards.asked
    fields = {
        "Name": render_text(note.title),
        "Kind": render_text(notebook.kinds[note.kind].label),  # data: deck.yaml's label is text
        "Summary": render_inline(note.summary, mathjax=True),
        "Details": _details(note, templates, hide=asked),
        "Image": image,
        "More": _more(note, cards, body, templates),
        "Source id": note.id,
    }
    for kind in TOPIC_CARDS:
        answer = mark_unsourced(note, kind.asks, _render_answer(kind, cards.answers.get(kind.name, "")))
        fields[kind.trigger] = explain_unsourced(answer, templates)
    # the term card's back: the line goes under the visible fields, else at the end of what More folds
    shown = "Details" if UNSOURCED_HTML in fields["Details"] else "More"
    fields[shown] = explain_unsourced(fields[shown], templates)
    planned = []
    topic_fields = tuple(canonical_html(fields[name]) for name in NOTETYPES["topic"].fields)
    topic_cards = cards_of("topic", topic_fields)
    if topic_cards:
        planned.append(
            PlannedNote(
                guid=note_guid(deck.id, "topic", note.id),
                note_id=note.id,
                notetype="topic",
                deck=subdeck,
                fields=topic_fields,
                tags=tags,
                cards=topic_cards,
                position=(index, 0),
            )
        )
    for index_in_note, question, answer in cards.facts:
        key = fact_key(note, index_in_note)
        planned.append(
            PlannedNote(
                guid=note_guid(deck.id, "fact", key),
                note_id=key,
                notetype="fact",
                deck=subdeck,
                fields=tuple(
                    canonical_html(value)
                    for value in (question, answer, render_text(note.title), fields["Kind"], key)
                ),
                tags=tags,
                cards=("fact",),
                position=(index, 1 + index_in_note),
            )
        )
    if cards.formula and note.formula:
        planned.append(
            PlannedNote(
                guid=note_guid(deck.id, "formula", note.id),
                note_id=note.id,
                notetype="formula",
                deck=subdeck,
                fields=tuple(
                    canonical_html(value)
                    for value in (
                        f"{render_text(note.title)} (formula)",
                        _readable_fraction(render_formula_cloze(note.formula)),
                        note.id,
                    )
                ),
                tags=tags,
                cards=("cloze",),
                position=(index, 1 + len(note.facts)),
            )
        )
    return planned


def explain_unsourced(html: str, templates: Path) -> str:
    """Return a card field's HTML followed by the unsourced mark's meaning in one short line, when the
    field shows the mark (a phone shows no hover text); else the HTML as it is."""
    if UNSOURCED_HTML not in html:
        return html
    return html + render_fragment(templates, "unsourced", note=UNSOURCED_NOTE)


def _render_answer(kind: CardKind, answer: str) -> str:
    """Return a topic card's field as HTML: a switch as it is, a choice of fixed words as text, the rest
    as inline Markdown (a clue, a labelled field's text)."""
    if kind.asks == SUMMARY:
        return answer
    if kind.asks in TEXT_FIELDS or kind.asks == CLUE:
        return render_inline(answer, mathjax=True)
    return render_text(answer)


def contrast_note(
    notebook: Notebook, contrast: Contrast, position: int = 1 << 30, templates: Path = SHIPPED_TEMPLATES
) -> PlannedNote:
    """Plan the contrast card of a related pair, or of three: only what differs, side by side.

    An authored `difference` is the answer to "What tells them apart?", one thing to grade; the table of
    differing fields then folds away under *Side by side*. Without one, the card asks for the fields."""
    deck = notebook.deck
    notes, rows, sentences = contrast.notes, contrast.rows, contrast.sentences
    table = ""
    if rows:
        names = [Markup(render_text(note.title)) for note in notes]
        table = render_fragment(
            templates,
            "differences",
            names=names,
            first=names[0],
            second=names[1],
            rows=[(label, *(Markup(cell) for cell in cells)) for label, cells in rows],
        )
        table = explain_unsourced(table, templates)
    if sentences or not rows:
        question = "What tells them apart?"
        answer = render_fragment(
            templates,
            "contrast",
            sentences=[Markup(render_inline(sentence, mathjax=True)) for sentence in sentences],
            table=Markup(table),
        )
    else:
        labels = [label.lower() for label, _ in rows]
        listed = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
        question, answer = f"How do they differ in {listed}?", table
    fields = (
        " vs ".join(render_text(note.title) for note in notes),
        render_text(question),
        answer,
        contrast.key,
    )
    return PlannedNote(
        guid=note_guid(deck.id, "contrast", contrast.key),
        note_id=contrast.key,
        notetype="contrast",
        deck=f"{deck.title}::{CONTRAST_SUBDECK}",
        fields=tuple(canonical_html(value) for value in fields),
        tags=tuple(
            sorted({f"{deck.id}::contrast", *(tag for note in notes for tag in _tags(deck.id, note))})
        ),
        cards=("contrast",),
        position=(position, 1 << 20),
    )


def _tags(root: str, note: Note) -> tuple[str, ...]:
    """Return a note's tags, all nested under the deck's id so they sit in one branch of Anki's tag list."""
    tags = {f"kind::{note.kind.value}", *note.tags}
    if note.learning is not None:
        tags.add(f"learning::{note.learning.value}")
    return tuple(sorted(f"{root}::{tag}" for tag in tags))


def _details(
    note: Note,
    templates: Path,
    *,
    hide: frozenset[str] = frozenset(),
    only: frozenset[str] | None = None,
) -> str:
    """Render the labelled fields as a definition list, leaving out `hide` (or keeping only `only`)."""
    rows: list[tuple[str, Markup]] = []
    for label, field in ((f.label, f.name) for f in LABELLED_FIELDS):
        value = _field_value(note, field) if field == "learning" else getattr(note, field)
        if not value or field in hide or (only is not None and field not in only):
            continue
        rows.append((label, Markup(mark_unsourced(note, field, render_inline(value, mathjax=True)))))
    for declared in note.declared:  # the deck's own fields (deck.yaml `fields:`): their labels are data
        if declared.name not in hide and (only is None or declared.name in only):
            value = mark_unsourced(note, declared.name, render_inline(declared.value, mathjax=True))
            rows.append((declared.label, Markup(value)))
    if note.formula and "formula" not in hide and (only is None or "formula" in only):
        rows.append(
            (FORMULA_FIELD.label, Markup(mark_unsourced(note, "formula", render_formula(note.formula))))
        )
    return render_fragment(templates, "details", rows=rows) if rows else ""


def _more(note: Note, cards: CardPlan, body: str, templates: Path) -> str:
    """Render what the term card's back folds away: the facts no card asks, the reverse card's clue, the
    corrections, the body and the references. Never another card's answer (a fact card's, a field the
    learning, task or formula card asks): Anki shows those cards next, asking what was just read."""
    carded = {index for index, _, _ in cards.facts}
    answers = cards.asked - ({cards.clue.field} if cards.clue is not None else set())
    return render_fragment(
        templates,
        "more",
        facts=[_fact_line(fact) for index, fact in enumerate(note.facts) if index not in carded],
        corrections=[Markup(render_correction(item, mathjax=True)) for item in note.corrections],
        details=Markup(_details(note, templates, only=cards.asked - answers)),
        body=Markup(body),
        references=Markup(render_references(note)),
    )


def _fact_line(fact: Fact) -> dict[str, Markup | None]:
    """Return a fact as *More* lists it: a question and its answer, or a statement with nothing hidden."""
    if fact.q is not None and fact.a is not None:
        question, answer = render_inline(fact.q, mathjax=True), render_inline(fact.a, mathjax=True)
        return {"question": Markup(question), "answer": Markup(answer), "text": None}
    text = render_inline(CLOZE_SPAN.sub(lambda match: match["hidden"], fact.text or ""), mathjax=True)
    return {"question": None, "answer": None, "text": Markup(text)}


_PARTS = re.compile(
    r'<span class="num">(?P<num>(?:(?!<span class="frac).)*?)</span><span class="slash"> / </span>'
    r'<span class="den">(?P<den>(?:(?!<span class="frac).)*?)</span></span>',
    re.DOTALL,
)
_PAREN = '<span class="paren">{}</span>'


def _readable_fraction(html: str) -> str:
    """Put a slash between a stacked fraction's parts, and parentheses around a part of several terms,
    all hidden on cards (card.css) but read in Anki's editor and browser, where `(TP + TN) / (TP + FP)`
    otherwise reads "TPTP + FP" or "TP + TN / TP + FP". (A fraction inside another gets its slash only.)"""
    slash = '</span><span class="slash"> / </span><span class="den">'
    html = html.replace('</span><span class="den">', slash)

    def grouped(part: str) -> str:
        several = len(re.sub(r"<[^>]*>", "", part).split()) > 1
        return f"{_PAREN.format('(')}{part}{_PAREN.format(')')}" if several else part

    return _PARTS.sub(
        lambda match: (
            f'<span class="num">{grouped(match["num"])}</span><span class="slash"> / </span>'
            f'<span class="den">{grouped(match["den"])}</span></span>'
        ),
        html,
    )


def _image(notebook: Notebook, note: Note, media: dict[str, Path], templates: Path) -> str:
    if not note.image:
        return ""
    name = _media(notebook.source_dir / MEDIA_DIR / note.image, media)
    return render_fragment(templates, "image", src=name, alt=note.title)


def _media(path: Path, media: dict[str, Path]) -> str:
    """Register a file for the package's media under a flat, content-hashed name; return that name."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    suffix = path.suffix.lower()
    name = f"cheatdeck-{digest}{suffix if _SAFE_SUFFIX.fullmatch(suffix) else ''}"
    media[name] = path
    return name


# --- Field HTML in the form Anki's editor saves -------------------------------------------------------

_VOID = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]
)


class _Canonical(HTMLParser):
    """Re-serialise HTML as a browser's `innerHTML` does (what Anki's editor saves): attributes always in
    double quotes, text escaping only `&`, `<`, `>` and U+00A0, attribute values only `&`, `"` and U+00A0."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = "".join(f' {name}="{_attribute(value or "")}"' for name, value in attrs)
        self.out.append(f"<{tag}{attributes}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.out.append(f"</{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(_text(data))

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")


def _text(data: str) -> str:
    return data.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\xa0", "&nbsp;")


def _attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("\xa0", "&nbsp;")


_NEEDS_PARSING = re.compile(r"&quot;|&#|&apos;|\xa0|/>|<[a-z]+ [^>]*(?:=[^\"]|&[lg]t;)")
"""What the renderers write that an editor would write differently: `&quot;` or a numeric reference in
text, U+00A0, `/>`, an unquoted attribute or `&lt;`/`&gt;` inside one. Anything else is parsed only to
be written back the same, so it is skipped (the deck's fields are checked against html5lib in the tests)."""


def canonical_html(html: str) -> str:
    """Return field HTML exactly as Anki's editor would save it, so opening a note changes nothing; only
    its own safe math left for Anki's MathJax (`mathjax_safe`)."""
    html = mathjax_safe(html)
    if not _NEEDS_PARSING.search(html):
        return html
    return _canonical_html(html)


@lru_cache(maxsize=1 << 14)
def _canonical_html(html: str) -> str:
    """Return `canonical_html(html)` for HTML that needs parsing, remembered (titles repeat per fact)."""
    parser = _Canonical()
    parser.feed(html)
    parser.close()
    return "".join(parser.out)
