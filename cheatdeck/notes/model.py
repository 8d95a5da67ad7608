"""The validated notes: the source format's schema and the immutable model every writer reads.

Each class here is both the documentation of a YAML file's keys and the frozen object the loader
returns. Unknown keys are rejected, so a typo in a key name is an error, not a silently ignored field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    StringConstraints,
    ValidationInfo,
    create_model,
    model_validator,
)

from cheatdeck.errors import Problem
from cheatdeck.notes.card_kinds import CARD_KINDS, CardKind
from cheatdeck.notes.kinds import (
    BUILTIN,
    DeclaredField,
    DeclaredValue,
    GridTable,
    KindName,
    Kinds,
    KindSpec,
    Slug,
    Text,
    choice_error,
)
from cheatdeck.notes.kinds import SLUG_PATTERN as SLUG_PATTERN  # the pattern of ids, kept importable here

_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class Kind(StrEnum):
    """The built-in kinds' names. A deck's kinds are data (`cheatdeck.notes.kinds`); a note's `kind` is one of
    them, checked against the deck's own list."""

    SERVICE = "service"
    ALGORITHM = "algorithm"
    DEPLOYMENT = "deployment"
    CONCEPT = "concept"
    METRIC = "metric"
    RESOURCE = "resource"


class Learning(StrEnum):
    """How an algorithm learns."""

    SUPERVISED = "supervised"
    UNSUPERVISED = "unsupervised"
    BOTH = "both"
    NOT_LEARNING = "not-learning"

    @property
    def words(self) -> str:
        """The value in plain words, as cards and the sheet say it."""
        return _LEARNING_WORDS[self]


_LEARNING_WORDS = {
    Learning.SUPERVISED: "supervised",
    Learning.UNSUPERVISED: "unsupervised",
    Learning.BOTH: "both supervised and unsupervised",
    Learning.NOT_LEARNING: "not a learning algorithm",
}


def _check_url(value: str) -> str:
    if not _URL_RE.match(value):
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return value


Url = Annotated[str, Strict(), StringConstraints(strip_whitespace=True), AfterValidator(_check_url)]
Tag = Annotated[str, Strict(), StringConstraints(pattern=r"^[^\s]+$")]
Flag = Annotated[bool, Strict()]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(_Strict):
    """A link, with an optional label (a bare URL string in YAML becomes a label-less reference)."""

    url: Url
    label: Text | None = None


_MARKDOWN_LINK = re.compile(r"^\[(?P<label>[^\]]+)\]\((?P<url>\S+)\)$")


def _reference_from_url(value: object) -> object:
    """Read a bare URL, or a Markdown link `[label](url)`, as a reference."""
    if not isinstance(value, str):
        return value
    link = _MARKDOWN_LINK.match(value.strip())
    return {"url": link["url"], "label": link["label"]} if link else {"url": value}


Ref = Annotated[Reference, BeforeValidator(_reference_from_url)]

CLOZE_SPAN = re.compile(r"==(?P<hidden>[^=\n](?:[^\n]*?[^=\n])?)==")
"""A `==marked==` span in a fact: the part its cloze card hides (Obsidian's highlight syntax)."""


def folded_words(text: str) -> str:
    """Return words without case or runs of spaces, for comparing what a note names with what it says."""
    return " ".join(text.casefold().split())


class Fact(_Strict):
    """One thing to remember, one card: a statement (`text`) whose `==marked==` part a cloze card hides,
    or a question (`q`) with its answer (`a`). In YAML a bare string is a statement.

    `id` keeps the card's review history when facts are inserted or reordered; without one, a fact is
    known by its position in the note (see README, *Fact cards*)."""

    id: Slug | None = None
    text: Text | None = None
    q: Text | None = None
    a: Text | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Fact:
        if self.text is not None and (self.q is not None or self.a is not None):
            raise ValueError("a fact is either a statement (text) or a question (q) with its answer (a)")
        if self.text is None and (self.q is None or self.a is None):
            raise ValueError("a question fact needs both q and a")
        return self

    @property
    def is_question(self) -> bool:
        """True for a question/answer pair, False for a statement."""
        return self.q is not None

    def hidden_spans(self) -> list[str]:
        """Return the `==marked==` parts of a statement (empty for a question)."""
        return [match["hidden"] for match in CLOZE_SPAN.finditer(self.text or "")]

    def answers(self) -> list[str]:
        """Return what the fact's card asks for: its hidden parts, or its answer."""
        return [self.a] if self.a is not None else self.hidden_spans()

    def plain(self) -> str:
        """Return the fact as one line of plain text, marks removed (question — answer for a pair)."""
        if self.q is not None:
            return f"{self.q} — {self.a}"
        return CLOZE_SPAN.sub(lambda match: match["hidden"], self.text or "")


def _fact_from_text(value: object) -> object:
    return {"text": value} if isinstance(value, str) else value


FactItem = Annotated[Fact, BeforeValidator(_fact_from_text)]


def _known_kind(value: object, info: ValidationInfo) -> KindName:
    """Accept one of the deck's kinds (the loader's validation context names them; else the built-ins)."""
    context = info.context if isinstance(info.context, dict) else {}
    names: tuple[str, ...] = context.get("kinds", BUILTIN.names)
    if not isinstance(value, str) or value not in names:
        raise choice_error(names)
    return KindName(value)


_DERIVED = {"label": ("plural", "badge", "subdeck"), "plural": ("subdeck",), "colour": ("tint", "night")}
"""What a kind's defaults derive from a key: given anew, they are derived anew, not taken from a built-in."""


def _builtin_kind(value: object) -> object:
    """Let a deck list a built-in kind by its name alone, or change some of its keys (`{name: service,
    fields: [...]}`): the keys it leaves out are the built-in kind's."""
    if isinstance(value, dict) and isinstance(value.get("name"), str) and value["name"] in BUILTIN:
        base = BUILTIN[value["name"]].model_dump()
        for key, derived in _DERIVED.items():
            if key in value:
                for name in derived:
                    base.pop(name, None)
        return {**base, **value}
    if not isinstance(value, str):
        return value
    if value not in BUILTIN:
        raise choice_error(BUILTIN.names)
    return BUILTIN[value]


class Related(_Strict):
    """A note this one is contrasted with (`id`), or two (`ids`: a contrast of three, one card for the
    three), and optionally what tells them apart, in one sentence."""

    id: Slug | None = None
    ids: tuple[Slug, ...] | None = None
    difference: Text | None = None

    @model_validator(mode="after")
    def _one_or_two(self) -> Related:
        if (self.id is None) == (self.ids is None):
            raise ValueError("name the note contrasted with as id, or the two of a contrast of three as ids")
        if self.ids is not None and (len(self.ids) != 2 or self.ids[0] == self.ids[1]):
            raise ValueError(f"a contrast of three names two other notes under ids, got {list(self.ids)}")
        return self

    @property
    def others(self) -> tuple[str, ...]:
        """Return the ids of the notes this entry contrasts its note with (one, or two)."""
        return self.ids if self.ids is not None else (self.id or "",)


def _related_from_id(value: object) -> object:
    return {"id": value} if isinstance(value, str) else value


RelatedItem = Annotated[Related, BeforeValidator(_related_from_id)]


class Correction(_Strict):
    """A claim in the note's source that is wrong: what the source says, what is right, and where a
    learner can check it (documentation, a textbook, a paper). Cards teach `right`; the sheet prints both."""

    says: Text
    right: Text
    reference: Ref


class Rule(StrEnum):
    """A card-quality lint rule (`check` warns; `lint_off:` in deck.yaml or a note switches one off)."""

    ANSWER_TOO_LONG = "answer-too-long"
    CLUE_LEAKS_ANSWER = "clue-leaks-answer"
    CLUE_NOT_DISTINCTIVE = "clue-not-distinctive"
    SIMILAR_FRONTS = "similar-fronts"
    SIMILAR_ANSWERS = "similar-answers"
    SEVERAL_QUESTIONS = "several-questions"
    RAW_MARKUP = "raw-markup"
    NO_CARD = "no-card"
    LABEL_ANSWER = "label-answer"
    AMBIGUOUS_TITLE = "ambiguous-title"
    EMPTY_COLUMN = "empty-column"
    FOREIGN_MARKUP = "foreign-markup"
    TEACHES_CORRECTED_CLAIM = "teaches-corrected-claim"
    ANSWER_ON_ANOTHER_BACK = "answer-on-another-back"
    FRONT_LEAKS_ANSWER = "front-leaks-answer"
    FRONT_GIVES_FIGURE = "front-gives-figure"
    HIDDEN_EXAMPLE = "hidden-example"


_DECLARED = "\x00declared"
"""The key `Note.declared` is read from: one no notes file can hold (a file's `declared:` is unknown)."""


class Note(_Strict):
    """One topic: a service, an algorithm, a metric … Its `id` is its identity in Anki forever."""

    id: Slug
    title: Text
    kind: Annotated[KindName, PlainValidator(_known_kind)]
    summary: Text
    body: Annotated[str, Strict()] = ""
    facts: tuple[FactItem, ...] = ()
    references: tuple[Ref, ...] = ()
    tags: tuple[Tag, ...] = ()
    # Grid fields: which apply depends on `kind`.
    use_case: Text | None = None
    domain: Text | None = None
    learning: Learning | None = None
    task: Text | None = None
    input: Text | None = None
    formula: Text | None = None
    related: tuple[RelatedItem, ...] = ()
    corrections: tuple[Correction, ...] = ()
    unsourced: tuple[
        Annotated[str, Strict()], ...
    ] = ()  # fields whose value the author added, not the source
    trivia: tuple[Annotated[str, Strict()], ...] = ()  # facts' answers worth a card, not bold on the sheet
    image: Text | None = None
    lint_off: tuple[Rule, ...] = ()
    cards_off: tuple[Literal["term", "reverse"], ...] = ()  # topic cards this note does not make
    # The deck's declared fields (deck.yaml `fields:`) this note fills, each with its label.
    declared: tuple[DeclaredValue, ...] = Field(default=(), validation_alias=_DECLARED)

    @model_validator(mode="before")
    @classmethod
    def _declared_fields(cls, data: Any, info: ValidationInfo) -> Any:
        """Gather the values of the fields the deck declares (the validation context names them)."""
        if not isinstance(data, dict):
            return data
        context = info.context if isinstance(info.context, dict) else {}
        labels: dict[str, str] = context.get("fields", {})
        values = [
            {"name": name, "label": labels[name], "value": data[name]} for name in labels if name in data
        ]
        if not values:
            return data
        return {key: value for key, value in data.items() if key not in labels} | {_DECLARED: values}

    def value_of(self, name: str) -> str | None:
        """Return a labelled, formula or declared field's value as text (None when it is unset)."""
        if name in type(self).model_fields:
            value = getattr(self, name)
            return None if value is None else str(value)
        return next((value.value for value in self.declared if value.name == name), None)

    def is_unsourced(self, name: str) -> bool:
        """Return True when the note says this field's value is the author's addition, not from its source."""
        return name in self.unsourced

    def is_trivia(self, words: str) -> bool:
        """Return True when the note names these words (a fact's hidden part or answer) under `trivia:`."""
        return folded_words(words) in {folded_words(item) for item in self.trivia}

    @property
    def related_ids(self) -> tuple[str, ...]:
        """Return the ids of the notes this one is contrasted with (both of a contrast of three)."""
        return tuple(other for item in self.related for other in item.others)


class _CardSwitches(_Strict):
    """Which card kinds the deck makes; each can be switched off. The shipped card kinds' switches are
    written here (typed); a switch a new entry of the card-kinds table names is added below."""

    term: Flag = True
    reverse: Flag = True
    learning: Flag = True
    task: Flag = True
    facts: Flag = True
    cloze: Flag = True
    contrast: Flag = True
    resources: Flag = False  # notes of a kind with `study: false` (resources) make no cards unless asked


def card_switches(kinds: tuple[CardKind, ...] = CARD_KINDS) -> type[_CardSwitches]:
    """Return the `cards:` model for a card-kinds table: each kind's switch, on unless switched off."""
    switches = {kind.switch for kind in kinds} - set(_CardSwitches.model_fields)
    fields: dict[str, Any] = {switch: (Flag, True) for switch in sorted(switches)}
    return create_model("CardKinds", __base__=_CardSwitches, __doc__=_CardSwitches.__doc__, **fields)


if TYPE_CHECKING:
    CardKinds = _CardSwitches
else:
    CardKinds = card_switches()


class Deck(_Strict):
    """The deck-level file (`deck.yaml`): the title and the stable identity of the whole deck."""

    id: Slug = Field(description="Stable identity: Anki deck and note-type ids derive from it.")
    title: Text
    description: Annotated[str, Strict()] = ""
    author: Annotated[str, Strict()] = ""
    subject: Annotated[str, Strict()] = ""
    keywords: tuple[Text, ...] = ()
    source_url: Url | None = None
    cards: CardKinds = CardKinds()
    fields: tuple[DeclaredField, ...] = Field(
        default=(), description="Labelled fields of the deck's own, for the kinds that list them."
    )
    kinds: tuple[Annotated[KindSpec, BeforeValidator(_builtin_kind)], ...] = Field(
        default=(), description="The deck's own kinds, in order (default: the six built-in ones)."
    )
    grid: tuple[GridTable, ...] | None = Field(
        default=None, description="The comparison grid's tables (default: the built-in ones)."
    )

    vendor_words: tuple[Text, ...] = Field(
        default=(),
        description="Words in names that give nothing away (Amazon, SageMaker): never a clue's leak.",
    )
    lint_off: tuple[Rule, ...] = ()

    @model_validator(mode="after")
    def _fields_are_new(self) -> Deck:
        names = [field.name for field in self.fields]
        taken = sorted({name for name in names if name in Note.model_fields or names.count(name) > 1})
        if taken:
            raise ValueError(f"a declared field needs a name of its own, not {', '.join(taken)}")
        return self


class NotesFile(_Strict):
    """A notes file: a `notes:` list of notes."""

    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class Location:
    """Where something was written: a file and a 1-based line."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Notebook:
    """The whole validated source tree: the deck settings and its notes, in source order."""

    deck: Deck
    notes: tuple[Note, ...]
    locations: dict[str, Location]
    source_dir: Path
    warnings: tuple[Problem, ...] = ()  # things repaired or worth knowing; not errors
    field_lines: dict[str, tuple[int, dict[str, int]]] = dataclass_field(default_factory=dict)
    """Per note id: its index in its file and the line of each of its fields (`use_case`, `facts[1]` …)."""

    def where(self, note_id: str, field: str) -> tuple[Location, str]:
        """Return where a note's field was written (the note's line if unknown) and its label."""
        index, lines = self.field_lines.get(note_id, (0, {}))
        location = self.locations[note_id]
        line = next(
            (lines[key] for key in (field, field.split("[", maxsplit=1)[0]) if key in lines), location.line
        )
        return Location(location.path, line), f"notes[{index}].{field}"

    @cached_property
    def kinds(self) -> Kinds:
        """The deck's kinds and grid tables."""
        return Kinds.declared(self.deck.kinds, self.deck.grid)

    def by_kind(self, kind: str) -> tuple[Note, ...]:
        """Return the notes of one kind, in source order."""
        return tuple(n for n in self.notes if n.kind == kind)

    def note(self, note_id: str) -> Note:
        """Return the note with this id."""
        return self._by_id[note_id]

    @cached_property
    def _by_id(self) -> dict[str, Note]:
        return {note.id: note for note in self.notes}
