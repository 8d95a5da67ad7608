"""What kinds of notes a deck has and which labelled fields they use: the one place both are described.

A kind says how its notes look (label, plural, colour, and a badge letter that keeps kinds apart in
greyscale), where they go (Anki subdeck, a sheet section or the list after the grid), which labelled
fields they use and require, and which topic cards they make; the grid's tables say which kinds they
compare, grouped by which field. The six
built-in kinds and the two grid tables below are the defaults; `deck.yaml` may declare its own
(`kinds:` and `grid:`), validated like every other key.

This module is the bottom layer of the model: it imports only the card-kinds table.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Strict,
    StringConstraints,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from cheatdeck.notes.card_kinds import CHOSEN_BY_KIND

SLUG_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"

Text = Annotated[str, Strict(), StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, Strict(), StringConstraints(pattern=SLUG_PATTERN)]

_NOT_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
"""Characters no title or deck name holds: controls (tab and line breaks included), line and paragraph
separators, lone surrogates and the two noncharacters YAML cannot write."""


def control_character_problem(text: str) -> str | None:
    """Return why `text` cannot be one line of text (None when it can): it holds a control character."""
    bad = _NOT_TEXT.search(text)
    return (
        f"expected one line of text without control characters, got U+{ord(bad[0]):04X} in {text!r}"
        if bad
        else None
    )


def deck_name_problem(name: str) -> str | None:
    """Return why `name` cannot name an Anki deck (None when it can): it is one line of text, and each
    part between `::` (a subdeck) holds something."""
    problem = control_character_problem(name)
    if problem is None and not all(part.strip() for part in name.split("::")):
        problem = f"expected deck names joined by '::', none empty; got {name!r}"
    return problem


def one_line(text: str) -> str:
    """Return `text` on one line: each control character a space, runs of spaces one space."""
    return " ".join(_NOT_TEXT.sub(" ", text).split())


def _check_deck_name(name: str) -> str:
    problem = deck_name_problem(name)
    if problem:
        raise ValueError(problem)
    return name


DeckName = Annotated[Text, AfterValidator(_check_deck_name)]
"""A subdeck: text Anki keeps as a deck name (see `deck_name_problem`)."""


@dataclass(frozen=True)
class LabelledField:
    """A short note field shown with its label: on the cards, the sheet and in the grid."""

    name: str  # the key in a note and the attribute of `Note`
    label: str
    text: bool = True  # free text (False: one of a few fixed values, like `learning`)


LABELLED_FIELDS: tuple[LabelledField, ...] = (
    LabelledField("use_case", "Use case"),
    LabelledField("domain", "Domain"),
    LabelledField("learning", "Learning", text=False),
    LabelledField("task", "Task"),
    LabelledField("input", "Input"),
)
"""The labelled fields, in the order every output shows them. A new one is a `Note` attribute plus a line
here; the cards, the sheet, the grid's CSV, `check` and the glyph check all follow."""

TEXT_FIELDS: tuple[str, ...] = tuple(field.name for field in LABELLED_FIELDS if field.text)
"""The labelled fields a learner writes freely (checked as one-line text, searched for a note's words)."""

FORMULA_FIELD = LabelledField("formula", "Formula")
"""The formula: labelled too, but rendered as mathematics, so outputs place it themselves."""

KIND_FIELDS: tuple[str, ...] = (*(field.name for field in LABELLED_FIELDS), FORMULA_FIELD.name)
"""The fields a kind may list as its own (and require)."""

_LABELS = {field.name: field.label for field in (*LABELLED_FIELDS, FORMULA_FIELD)}


def field_label(name: str) -> str:
    """Return the label of a labelled field (or the formula)."""
    return _LABELS[name]


def field_text(note: object, name: str) -> str | None:
    """Return a note's value of one field as text (an enum gives its value), or None when it is unset."""
    value_of = getattr(note, "value_of", None)  # a Note: its declared fields too
    if value_of is not None:
        text: str | None = value_of(name)
        return text
    value = getattr(note, name)
    return None if value is None else str(value)


def labelled_values(note: object) -> list[tuple[str, str]]:
    """Return (label, text) for each labelled field the note fills, in order (the formula is not one), the
    deck's declared fields last; a value with plain `words` (a learning type: "not a learning algorithm",
    not "not-learning") shows those."""
    values = ((field.label, getattr(note, field.name)) for field in LABELLED_FIELDS)
    pairs = (
        (label, None if value is None else str(getattr(value, "words", value))) for label, value in values
    )
    declared = [(value.label, value.value) for value in getattr(note, "declared", ())]
    return [(label, text) for label, text in pairs if text] + declared


def choice_error(choices: Iterable[str]) -> PydanticCustomError:
    """Return the error pydantic gives a value outside an enum, for choices known only at run time."""
    names = [repr(choice) for choice in choices]
    expected = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return PydanticCustomError("enum", "Input should be {expected}", {"expected": expected})


def _one_of(choices: tuple[str, ...]) -> BeforeValidator:
    def check(value: object) -> object:
        if not isinstance(value, str) or value not in choices:
            raise choice_error(choices)
        return value

    return BeforeValidator(check)


FieldName = Annotated[str, _one_of(KIND_FIELDS)]


def _kind_field(value: object, info: ValidationInfo) -> object:
    """Accept a labelled field, the formula, or a field the deck declares (the validation context's)."""
    context = info.context if isinstance(info.context, dict) else {}
    choices = (*KIND_FIELDS, *context.get("fields", ()))
    if not isinstance(value, str) or value not in choices:
        raise choice_error(choices)
    return value


KindFieldName = Annotated[str, BeforeValidator(_kind_field)]
"""A field a kind may have: a built-in labelled field, the formula, or one `deck.yaml` declares."""

ChosenCard = Annotated[str, _one_of(CHOSEN_BY_KIND)]  # a card kind a note kind makes
Layout = Literal["section", "list"]
_COLOUR = r"^#[0-9a-fA-F]{6}$"
Colour = Annotated[str, Strict(), StringConstraints(pattern=_COLOUR)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


FIELD_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


class DeclaredField(_Spec):
    """A labelled field a deck declares in `deck.yaml` (`fields:`): notes of the kinds that list it
    may fill it; the cards and the sheet show it with its label, after the built-in ones."""

    name: Annotated[str, Strict(), StringConstraints(pattern=FIELD_NAME_PATTERN)]
    label: Text


class DeclaredValue(_Spec):
    """A note's value of a declared field, with the field's label."""

    name: str
    label: str
    value: Text


def _pattern(value: object) -> object:
    """Accept a regular expression (matched case-insensitively), or say why it is not one, or why it
    could take for ever on a heading that almost matches it (`_backtracks`)."""
    if isinstance(value, str):
        try:
            re.compile(value)
        except re.error as error:
            message = "not a regular expression: {error}"
            raise PydanticCustomError("pattern", message, {"error": str(error)}) from None
        if _backtracks(re_parser.parse(value)):
            raise PydanticCustomError(
                "pattern",
                "a repeat inside a repeat, or a choice repeated ({pattern}), can take for ever on a heading "
                "that almost matches; write the repeated part once ('(a|b)+' as '[ab]+', '(a+)+' as 'a+')",
                {"pattern": value},
            )
    return value


# how Python parses a pattern, for `_backtracks` (no public API; typeshed has no stubs for it)
re_parser: Any = importlib.import_module("re._parser")
re_constants: Any = importlib.import_module("re._constants")
_REPEATS = {re_constants.MAX_REPEAT, re_constants.MIN_REPEAT}


def _backtracks(parsed: Any, inside_repeat: bool = False) -> bool:
    """Whether a parsed pattern repeats (more than once) something that itself repeats or chooses
    between branches: the shape whose matching time grows exponentially with the text's length."""
    for op, argument in parsed:
        if op in _REPEATS:
            _, high, sub = argument
            repeats = high > 1
            if (inside_repeat and repeats) or _backtracks(sub, inside_repeat or repeats):
                return True
        elif op is re_constants.BRANCH:
            if inside_repeat or any(_backtracks(branch, inside_repeat) for branch in argument[1]):
                return True
        elif op is re_constants.SUBPATTERN:
            if _backtracks(argument[-1], inside_repeat):
                return True
        elif op in (re_constants.ASSERT, re_constants.ASSERT_NOT) and _backtracks(argument[1], inside_repeat):
            return True
    return False


Pattern = Annotated[Text, BeforeValidator(_pattern)]


class Recognise(_Spec):
    """How `import` recognises a kind's notes in a guide: any one rule matching is enough. Titles are
    regular expressions; words, parent headings, folders and tags are matched without regard to case."""

    titles: tuple[Pattern, ...] = ()  # a pattern the note's title matches
    words: tuple[Text, ...] = ()  # a word or phrase in its title or summary
    parents: tuple[Text, ...] = ()  # the name of a heading above it
    folders: tuple[Text, ...] = ()  # the name of a folder its guide is in
    tags: tuple[Text, ...] = ()  # a tag the guide gives it
    formula: bool = False  # it has a line 'Title = expression'


class KindSpec(_Spec):
    """One kind of note: how it looks, where it goes, which fields and topic cards it has."""

    name: Slug
    label: Text  # singular, shown on the card ("Service"); default: the name, capitalised
    plural: Text  # the sheet's section heading and legend; default: the label's plural
    # the letter on its notes: with the colour, it tells kinds apart even when printed in greyscale
    badge: Annotated[str, Strict(), StringConstraints(strip_whitespace=True, min_length=1, max_length=2)]
    colour: Colour
    tint: Colour  # the background of its notes on the sheet; default: the colour, faded
    night: Colour  # its badges' colour on cards in night mode; default: the colour, lightened
    subdeck: DeckName  # the Anki subdeck; default: the plural
    fields: tuple[KindFieldName, ...] = ()
    required: tuple[KindFieldName, ...] = ()
    cards: tuple[ChosenCard, ...] = ("term",)
    layout: Layout = "section"  # a sheet section, or a compact list after the grid
    study: Annotated[bool, Strict()] = True  # False: reference notes (courses, tips): no cards unless
    # the deck says `cards: {resources: true}`
    recognise: Recognise | None = (
        None  # how `import` tells its notes (default: cheatdeck.importer.kind_rules)
    )

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        """Fill the presentation a declaration leaves out from its name and colour."""
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            return data
        filled = dict(data)
        label = filled.setdefault("label", data["name"].replace("-", " ").replace("_", " ").capitalize())
        if isinstance(label, str):
            filled.setdefault("plural", _plural(label))
            filled.setdefault("badge", label[:1].upper())
        if isinstance(filled.get("plural"), str):
            filled.setdefault("subdeck", filled["plural"])
        colour = filled.get("colour")
        valid = isinstance(colour, str) and re.fullmatch(_COLOUR, colour) is not None
        filled.setdefault("tint", faded(str(colour)) if valid else "#ffffff")  # a bad colour is reported
        filled.setdefault("night", faded(str(colour), NIGHT_STRENGTH) if valid else "#ffffff")
        return filled

    @model_validator(mode="after")
    def _required_are_fields(self) -> KindSpec:
        extra = [name for name in self.required if name not in self.fields]
        if extra:
            raise ValueError(f"required fields must also be listed in fields: {', '.join(extra)}")
        return self

    @property
    def value(self) -> str:
        """The kind's name (as `Kind.SERVICE.value` gave it)."""
        return self.name


def _plural(label: str) -> str:
    """Return an English plural good enough for a default ("Class" → "Classes", "Policy" → "Policies")."""
    if label.endswith(("s", "x", "z", "ch", "sh")):
        return f"{label}es"
    if label.endswith("y") and label[-2:-1] not in tuple("aeiou"):
        return f"{label[:-1]}ies"
    return f"{label}s"


NIGHT_STRENGTH = 0.5
"""How much of a kind's colour its night colour keeps (the rest is white): light text on a dark card."""


def faded(colour: str, strength: float = 0.06) -> str:
    """Return `colour` mixed into white: a background tint for text printed in that colour."""
    channels = (int(colour[index : index + 2], 16) for index in (1, 3, 5))
    return "#" + "".join(f"{round(255 - (255 - channel) * strength):02x}" for channel in channels)


class GridColumn(_Spec):
    """A column of a grid table: a labelled field (its label may be reworded for the grid)."""

    field: FieldName
    label: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"field": data} if isinstance(data, str) else data

    @property
    def heading(self) -> str:
        """The column's heading."""
        return self.label or field_label(self.field)


class GridRows(_Spec):
    """The notes of one kind in a table; `group` puts them all in one named group."""

    kind: Slug
    group: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"kind": data} if isinstance(data, str) else data


class GridTable(_Spec):
    """One comparison table: which kinds it lists, grouped by which field, with which columns."""

    name: Slug
    caption: Text
    rows: tuple[GridRows, ...]
    columns: tuple[GridColumn, ...] = ()
    group_by: FieldName | None = None  # each group is a table whose header names it
    group_order: tuple[Text, ...] = ()  # groups listed here come first, in this order; others by name
    group_labels: dict[str, Text] = {}  # how a group reads, where it differs from the value
    ungrouped: Text = "other"  # the group of a note that leaves `group_by` empty
    sort_by: tuple[FieldName, ...] = ()  # within a group, before the title; empty values last
    group_classes: bool = False  # mark each group's heading cell with a `<field>-<group>` class


class KindName(str):
    """A note's kind: its name, as text. `.value` is kept for templates written when kinds were an enum."""

    __slots__ = ()

    @property
    def value(self) -> str:
        """The kind's name."""
        return str(self)


def _builtin(**values: Any) -> KindSpec:
    return KindSpec.model_validate(values)


BUILTIN_KINDS: tuple[KindSpec, ...] = (
    _builtin(
        name="service",
        colour="#1565c0",
        tint="#f1f6fd",
        night="#90caf9",
        fields=("use_case", "domain"),
        cards=("term", "reverse"),
    ),
    _builtin(
        name="algorithm",
        colour="#2e7d32",
        tint="#f2f8f2",
        night="#a5d6a7",
        fields=("use_case", "learning", "task", "input"),  # use_case: the reverse card's clue
        cards=("term", "reverse", "learning"),
    ),
    _builtin(
        name="deployment",
        plural="Deployment",
        colour="#6a1b9a",
        tint="#f7f1fa",
        night="#ce93d8",
        fields=("use_case",),
        cards=("term", "reverse"),
    ),
    _builtin(name="concept", colour="#ad5a00", tint="#fdf6ee", night="#ffcc80"),
    _builtin(name="metric", colour="#b71c1c", tint="#fdf1f1", night="#ef9a9a", fields=("formula",)),
    _builtin(name="resource", colour="#455a64", tint="#f3f5f6", night="#b0bec5", layout="list", study=False),
)

BUILTIN_GRID: tuple[GridTable, ...] = (
    GridTable.model_validate(
        {
            "name": "services",
            "caption": "Services and deployment options → use case",
            "rows": ["service", {"kind": "deployment", "group": "deployment"}],
            "columns": ["use_case"],
            "group_by": "domain",
            "group_order": ("language", "vision", "speech", "conversation"),
        }
    ),
    GridTable.model_validate(
        {
            "name": "algorithms",
            "caption": "Algorithms → learning type, task and typical input",
            "rows": ["algorithm"],
            "columns": ["task", {"field": "input", "label": "Typical input"}],
            "group_by": "learning",
            "group_order": ("supervised", "unsupervised", "both", "not-learning"),
            "group_labels": {"both": "supervised and unsupervised", "not-learning": "not learning"},
            "ungrouped": "no learning type",
            "sort_by": ("task",),
            "group_classes": True,
        }
    ),
)


@dataclass(frozen=True)
class Kinds:
    """A deck's kinds, in the order the sheet and `check` list them, and its grid tables."""

    specs: tuple[KindSpec, ...] = BUILTIN_KINDS
    grid: tuple[GridTable, ...] = BUILTIN_GRID

    @classmethod
    def declared(cls, specs: tuple[KindSpec, ...], grid: tuple[GridTable, ...] | None) -> Kinds:
        """Return a deck's kinds: its own if it declares any, else the built-ins; likewise its grid.

        The default grid keeps only the rows of kinds the deck has."""
        specs = specs or BUILTIN_KINDS
        if grid is None:
            names = {spec.name for spec in specs}
            kept = (table.model_copy(update={"rows": _rows_of(table, names)}) for table in BUILTIN_GRID)
            grid = tuple(table for table in kept if table.rows)
        return cls(specs, grid)

    @cached_property
    def _by_name(self) -> Mapping[str, KindSpec]:
        return {spec.name: spec for spec in self.specs}

    @property
    def names(self) -> tuple[str, ...]:
        """The kinds' names, in order."""
        return tuple(self._by_name)

    def __getitem__(self, name: str) -> KindSpec:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[KindSpec]:
        return iter(self.specs)


def _rows_of(table: GridTable, names: set[str]) -> tuple[GridRows, ...]:
    return tuple(rows for rows in table.rows if rows.kind in names)


BUILTIN = Kinds()
