"""Load the source folder into a validated `Notebook`; the only code that sees raw YAML.

Every problem in every file is collected first and raised once as a `SourceError`, each as
`path:line: field: message`, so a learner fixes them all in one pass.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import ftfy
import yaml
from pydantic import BaseModel, ValidationError

from cheatdeck.errors import Problem, SourceError
from cheatdeck.hashing import fingerprint
from cheatdeck.notes import yaml_help
from cheatdeck.notes.kinds import BUILTIN, KIND_FIELDS, Kinds
from cheatdeck.notes.model import Deck, Location, Note, Notebook, NotesFile, folded_words
from cheatdeck.notes.render import image_sources, is_remote, link_targets
from cheatdeck.tree import Tree, walk

__all__ = ["Problem", "SourceError", "load_sources"]

# libyaml's parser when PyYAML was built with it (about 3× faster); both report the same line marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DECK_FILE = "deck.yaml"
MEDIA_DIR = "media"
Loc = tuple[str | int | float | None, ...]  # YAML keys may be numbers or null
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class _Document:
    path: Path
    data: Any
    lines: dict[Loc, int]

    def line_of(self, loc: Loc) -> int:
        """Return the line of the deepest part of `loc` that exists in the file."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1


def load_sources(source_dir: Path) -> Notebook:
    """Load and validate every YAML file under `source_dir`; raise `SourceError` listing all problems."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    if not source_dir.is_dir():
        raise SourceError([Problem(source_dir, 1, "", "source folder not found")])

    tree = walk(source_dir)
    problems.extend(Problem(skipped.path, 1, "", skipped.reason) for skipped in tree.skipped)
    deck, deck_document = _load_deck(source_dir, tree, problems, warnings)
    kinds = Kinds.declared(deck.kinds, deck.grid) if deck is not None else None
    names = kinds.names if kinds else _declared_names(deck_document.data if deck_document else None)

    has_base = deck is not None and bool(deck.source_url)
    fields = {field.name: field.label for field in deck.fields} if deck is not None else {}
    reader = _NotesReader(_NoteRules(source_dir, kinds, has_base), names, problems, warnings, fields)
    _READ_FILES.keep_only(tree.files)
    _CHECKED.keep_only(tree.files)
    for path in _note_files(source_dir, tree.files):
        document = _read_notes_file(path, problems, warnings)
        if document is None or _validate(NotesFile, document, problems, (), _shell(document.data)) is None:
            continue
        checked = _CHECKED.of(document, reader.context)
        for index, raw_note in enumerate(document.data.get("notes") or ()):
            reader.add(document, index, raw_note, checked)

    notes = reader.notes
    if not notes and not problems:
        problems.append(
            Problem(
                source_dir,
                1,
                "",
                "no notes found (expected *.yaml files with a `notes:` list"
                " or *.md files with {#id} headings)",
            )
        )
    problems.extend(_check_related(notes, reader.places))
    problems = sorted(dict.fromkeys(problems), key=lambda problem: (str(problem.path), problem.line))
    if problems or deck is None:
        raise SourceError(problems)
    locations = {note.id: reader.locations[note.id] for note in notes}
    return Notebook(deck, tuple(notes), locations, source_dir, tuple(warnings), _field_lines(reader.places))


def _declared_fields(deck_data: object) -> tuple[str, ...]:
    """Return the names of the fields deck.yaml declares, read before it is validated (kinds list them)."""
    declared = deck_data.get("fields") if isinstance(deck_data, dict) else None
    if not isinstance(declared, list):
        return ()
    return tuple(
        item["name"] for item in declared if isinstance(item, dict) and isinstance(item.get("name"), str)
    )


def _load_deck(
    source_dir: Path, tree: Tree, problems: list[Problem], warnings: list[Problem]
) -> tuple[Deck | None, _Document | None]:
    """Return the validated deck.yaml (None if invalid) and its document (None if unreadable)."""
    deck_path = source_dir / DECK_FILE
    deck: Deck | None = None
    deck_document: _Document | None = None
    if deck_path in tree.files:
        deck_document = _read_yaml(deck_path, problems, warnings)
        if deck_document is not None:
            context = {"fields": _declared_fields(deck_document.data)}
            deck = _validate(Deck, deck_document, problems, (), deck_document.data, context)
        if deck is not None and deck_document is not None:
            problems.extend(_check_deck(deck, deck_document))
    elif not any(skipped.path == deck_path for skipped in tree.skipped):
        problems.append(
            Problem(deck_path, 1, "", f"missing deck file (title and id of the deck): {DECK_FILE}")
        )
    return deck, deck_document


@dataclass
class _NotesReader:
    """Validate notes one by one, keeping where each id is defined and refusing a second definition."""

    rules: _NoteRules
    names: tuple[str, ...]  # the kind names notes are validated against
    problems: list[Problem]
    warnings: list[Problem]
    fields: dict[str, str]  # the deck's declared fields: name → label
    notes: list[Note] = field(default_factory=list)
    locations: dict[str, Location] = field(default_factory=dict)
    places: dict[str, tuple[_Document, int]] = field(default_factory=dict)

    @cached_property
    def context(self) -> str:
        """A digest of everything a note's own checks read besides its file: what `_CHECKED` keys on."""
        return fingerprint((self.rules, self.names, self.fields))

    def add(self, document: _Document, index: int, raw_note: Any, checked: _CheckedFile) -> None:
        """Validate the note at `notes[index]` of `document`, reporting its problems; `checked`: the
        file's notes validated before (under the same rules), taken as they are."""
        raw_id = raw_note.get("id") if isinstance(raw_note, dict) else None
        if isinstance(raw_id, str) and raw_id in self.locations:
            self.problems.append(
                Problem(
                    document.path,
                    document.line_of(("notes", index, "id")),
                    f"notes[{index}].id",
                    f"duplicate id {raw_id!r} (first defined at {self.locations[raw_id]})",
                )
            )
            return
        if isinstance(raw_id, str):
            self.locations[raw_id] = Location(document.path, document.line_of(("notes", index)))
            self.places[raw_id] = (document, index)
        kept = checked.notes.get(index)
        if kept is None:
            kept = checked.notes[index] = checked.unchanged(raw_id, raw_note) or self._check(
                document, index, raw_note
            )
        note, found = kept
        if note is None:
            self.problems.extend(found)
            return
        self.notes.append(note)
        # the media are checked every time: a picture may appear or go while its notes file stays as it was
        self.problems.extend(_check_media(note, index, document, self.rules.source_dir, self.warnings))
        self.problems.extend(found)

    def _check(
        self, document: _Document, index: int, raw_note: Any
    ) -> tuple[Note | None, tuple[Problem, ...]]:
        """The note at `notes[index]` validated (None if invalid) and its problems, its media's aside."""
        found: list[Problem] = []
        context = {"kinds": self.names, "fields": self.fields}
        note = _validate(Note, document, found, ("notes", index), raw_note, context)
        if note is not None:
            found.extend(_check_note(note, index, document, self.rules))
            if self.rules.kinds is not None:
                found.extend(_check_required(note, index, document, self.rules.kinds))
        return note, tuple(found)


_Checked = dict[int, tuple[Note | None, tuple[Problem, ...]]]


@dataclass
class _CheckedFile:
    document: _Document
    context: str
    notes: _Checked = field(default_factory=dict)  # by index in the file's `notes:`
    lines: dict[int, dict[str, int]] | None = None  # per index, the line of each field (`_field_lines`)
    earlier: dict[str, tuple[Any, Note]] = field(default_factory=dict)  # the last text's sound notes

    def unchanged(self, raw_id: object, raw_note: Any) -> tuple[Note, tuple[Problem, ...]] | None:
        """The note the file's last text had under this id, if it had no problem and is written the same
        (its lines may have moved: a sound note's checks find nothing wherever it is)."""
        earlier = self.earlier.get(raw_id) if isinstance(raw_id, str) else None
        if earlier is None or not _same_data(earlier[0], raw_note):
            return None
        return earlier[1], ()

    def sound_notes(self) -> dict[str, tuple[Any, Note]]:
        """The notes of this text that had no problem, by id, each with the data it was read from."""
        raw = self.document.data.get("notes") or ()
        return {
            note.id: (raw[index], note)
            for index, (note, found) in self.notes.items()
            if note is not None and not found
        }


def _same_data(one: Any, other: Any) -> bool:
    """Whether two values read from notes files are the same, type for type (`1`, `1.0` and `true` differ),
    keys in the same order."""
    if type(one) is not type(other):
        return False
    if isinstance(one, dict):
        return list(one) == list(other) and all(_same_data(value, other[key]) for key, value in one.items())
    if isinstance(one, list):
        return len(one) == len(other) and all(map(_same_data, one, other))
    return bool(one == other)


class _CheckedNotes:
    """The notes of each file as last validated and checked (issue 26): a file read again with the same
    text (the very same parsed document, see `_ReadFiles`) under the same deck (its kinds, fields and
    rules) gives back the same `Note` objects and problems without validating them again. What spans
    files (duplicate ids, related notes) and what lies outside the file (media) is checked on every load,
    so a load reports exactly what a first one does. One entry per notes file of the folder; emptied by
    `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.files: dict[Path, _CheckedFile] = {}

    def cache_info(self) -> types.SimpleNamespace:
        """How many files are kept (`maxsize`: the folder's files, so `forget_caches` clears it)."""
        return types.SimpleNamespace(currsize=len(self.files), maxsize=len(self.files))

    def cache_clear(self) -> None:
        """Forget every file's notes."""
        self.files.clear()

    def keep_only(self, paths: Iterable[Path]) -> None:
        """Forget the files no longer in the folder."""
        for gone in set(self.files) - set(paths):
            del self.files[gone]

    def of(self, document: _Document, context: str) -> _CheckedFile:
        """The notes of `document` checked before under `context` (none if either changed since; a
        changed text under the same context keeps its sound notes, to give back those written the same)."""
        kept = self.files.get(document.path)
        if kept is None or kept.document is not document or kept.context != context:
            earlier = kept.sound_notes() if kept is not None and kept.context == context else {}
            kept = self.files[document.path] = _CheckedFile(document, context, earlier=earlier)
        return kept

    def lines_of(self, document: _Document) -> dict[int, dict[str, int]]:
        """Per note index of `document`, the line of each of its fields (worked out once per document)."""
        kept = self.files.get(document.path)
        if kept is not None and kept.document is document and kept.lines is not None:
            return kept.lines
        per_note: dict[int, dict[str, int]] = {}
        for loc, line in document.lines.items():
            if len(loc) > 2 and loc[0] == "notes" and isinstance(loc[1], int):
                per_note.setdefault(loc[1], {})[_format_loc(loc[2:])] = line
        if kept is not None and kept.document is document:
            kept.lines = per_note
        return per_note


_CHECKED = _CheckedNotes()


def read_deck(source_dir: Path) -> Deck | None:
    """Return the deck in `source_dir` (None when it has no deck.yaml or it cannot be read)."""
    path = source_dir / DECK_FILE
    document = _read_yaml(path, [], []) if source_dir.is_dir() and path in walk(source_dir).files else None
    if document is None:
        return None
    return _validate(Deck, document, [], (), document.data, {"fields": _declared_fields(document.data)})


def read_kinds(source_dir: Path) -> Kinds:
    """Return the kinds the deck in `source_dir` declares; the built-in ones if it declares none or its
    deck.yaml cannot be read (a build then reports why)."""
    path = source_dir / DECK_FILE
    document = _read_yaml(path, [], []) if source_dir.is_dir() and path in walk(source_dir).files else None
    deck = _validate(Deck, document, [], (), document.data) if document is not None else None
    return Kinds.declared(deck.kinds, deck.grid) if deck is not None else BUILTIN


def _note_files(source_dir: Path, files: list[Path]) -> Iterator[Path]:
    """Yield the notes files among the readable files of the notes folder (see `tree.walk`)."""
    for path in files:
        relative = path.relative_to(source_dir)
        if path.suffix not in (".yaml", ".yml", ".md") or relative.parts[0] == MEDIA_DIR:
            continue
        if relative == Path(DECK_FILE):
            continue
        if path.suffix == ".md" and path.stem.lower() == "readme":
            continue  # the format guide `new` copies beside the notes
        yield path


class _ReadFiles:
    """The notes files read before, each as its last text read: a file whose text is unchanged is not
    parsed again (`watch` builds twice per save; an edit changes one file of many). One entry per file of
    the folder; emptied by `cheatdeck.forget_caches`, as the functools caches are."""

    def __init__(self) -> None:
        self.read: dict[Path, tuple[str, _Document | None, tuple[Problem, ...], tuple[Problem, ...]]] = {}

    def cache_info(self) -> types.SimpleNamespace:
        """How many files are kept (`maxsize`: the folder's files, so `forget_caches` clears it)."""
        return types.SimpleNamespace(currsize=len(self.read), maxsize=len(self.read))

    def cache_clear(self) -> None:
        """Forget every file read."""
        self.read.clear()

    def keep_only(self, paths: Iterable[Path]) -> None:
        """Forget the files no longer in the folder."""
        for gone in set(self.read) - set(paths):
            del self.read[gone]


_READ_FILES = _ReadFiles()


def _read_notes_file(path: Path, problems: list[Problem], warnings: list[Problem]) -> _Document | None:
    """Read a notes file: Markdown (`*.md`) or YAML; parsed again only if its text changed since the
    last read (the parsed data is only ever read)."""
    text = _read_text(path, problems)
    if text is None:
        return None
    kept = _READ_FILES.read.get(path)
    if kept is None or kept[0] != text:
        found: list[Problem] = []
        said: list[Problem] = []
        document = _parse_yaml(path, text, found, said) if path.suffix != ".md" else None
        if path.suffix == ".md":
            from cheatdeck.notes.markdown_sources import read_markdown

            composer = _Composer(path, found, said)
            data, lines = read_markdown(path, _newlines(text), found, composer.clean, said)
            document = _Document(path, data, lines)
        kept = _READ_FILES.read[path] = (text, document, tuple(found), tuple(said))
    problems.extend(kept[2])
    warnings.extend(kept[3])
    return kept[1]


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    """Return a file's text (UTF-8, byte-order mark dropped), or None after reporting why it cannot."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        problems.append(Problem(path, 1, "", f"cannot read the file: {error.strerror or error}"))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start]
        problems.append(
            Problem(path, line, "", f"not UTF-8: byte 0x{byte:02x} cannot be decoded; save as UTF-8")
        )
        return None
    return text


def _read_yaml(path: Path, problems: list[Problem], warnings: list[Problem]) -> _Document | None:
    text = _read_text(path, problems)
    return None if text is None else _parse_yaml(path, text, problems, warnings)


def _parse_yaml(path: Path, text: str, problems: list[Problem], warnings: list[Problem]) -> _Document | None:
    breaks = yaml_help.HiddenBreaks(text)
    written, text = text, breaks.hide(text)  # the same lines: no break YAML counts is hidden
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + 1
        problems.append(
            Problem(path, line, "", f"invalid YAML: character U+{error.character:04X} is not allowed")
        )
        return None
    except yaml.YAMLError as error:
        problems.extend(
            Problem(path, line, "", what) for line, what in yaml_help.syntax_problems(written, error)
        )
        return None
    except RecursionError:
        problems.append(Problem(path, 1, "", f"invalid YAML: nested more than {_MAX_DEPTH} levels deep"))
        return None
    if node is None:
        return _Document(path, {}, {})
    composer = _Composer(path, problems, warnings, text.split("\n"), breaks)
    try:
        data = composer.construct(node, ())
    except _TooLarge:
        problems.append(Problem(path, 1, "", f"too many values (aliases expand to over {_MAX_VALUES:,})"))
        return None
    if composer.merges:  # the notes would lack the merged fields: one clear error, not a cascade
        return None
    return _Document(path, data, composer.lines)


class _TooLarge(Exception):
    """The document expands (through YAML aliases) to more values than any notes file needs."""


@dataclass
class _Composer:
    """Turn a YAML node tree into plain data, recording the line of every key and item."""

    path: Path
    problems: list[Problem]
    warnings: list[Problem]
    text: list[str] = field(default_factory=list)  # the file's lines, to check what YAML dropped
    breaks: yaml_help.HiddenBreaks | None = None  # the line breaks hidden from YAML, restored in values
    lines: dict[Loc, int] = field(default_factory=dict)
    values: int = 0  # values built again through an alias (a node seen before)
    seen: set[int] = field(default_factory=set)
    merges: int = 0  # `<<` merge keys met: the document is reported, not validated

    def construct(self, node: yaml.Node, loc: Loc, depth: int = 0) -> Any:
        line = node.start_mark.line + 1
        self.lines.setdefault(loc, line)
        if id(node) in self.seen:  # only what aliases repeat counts: a long file of plain notes is fine
            self.values += 1
            if self.values > _MAX_VALUES:
                raise _TooLarge
        else:
            self.seen.add(id(node))
        if depth > _MAX_DEPTH:
            self.problem(line, loc, f"nested more than {_MAX_DEPTH} levels deep")
            return None
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if key_node.tag == _MERGE_TAG:
                    self.merges += 1
                    self.problem(
                        key_line, loc, "YAML merge keys (<<) are not supported; write the fields out"
                    )
                    continue
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _NULL_TAG:
                    self.problem(
                        key_line, loc, f"a key is empty ({key_node.value or 'nothing'!r}); name a field"
                    )
                    continue
                key = self.scalar(key_node, loc)
                key = key if isinstance(key, str | int | float | bool) or key is None else str(key)
                child = (*loc, key)
                if key in result:
                    self.problem(key_node.start_mark.line + 1, child, "duplicate key")
                self.lines[child] = key_node.start_mark.line + 1
                self.check_dropped(key_node, value_node, child)
                result[key] = self.construct(value_node, child, depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.construct(item, (*loc, index), depth + 1) for index, item in enumerate(node.value)]
        value = self.scalar(node, loc)
        return self.clean(value, line, loc) if isinstance(value, str) else value

    def check_dropped(self, key_node: yaml.Node, node: yaml.Node, loc: Loc) -> None:
        """Warn about text YAML drops as a comment: after ` #` in a plain value, or after a `|` block."""
        if not isinstance(node, yaml.ScalarNode) or not self.text:
            return
        end = node.end_mark
        if not node.style and node.value and yaml_help.dropped_comment(self.text[end.line][end.column :]):
            self.warnings.append(
                self.at(
                    end.line + 1,
                    loc,
                    f"' #' ends the value: YAML keeps {node.value!r} and drops the rest of the line as a"
                    " comment; quote the value to keep it (a comment after a value takes two spaces)",
                )
            )
        elif node.style in ("|", ">"):
            for line in yaml_help.dropped_block_lines(
                self.text, key_node.start_mark.column, node.start_mark.line + 1
            ):
                self.warnings.append(
                    self.at(
                        line,
                        loc,
                        f"{self.text[line - 1].strip()!r} is dropped as a comment: it is indented less than"
                        f" the block's first line; give the block's indentation ({node.style}2 or more)",
                    )
                )

    def clean(self, value: str, line: int, loc: Loc) -> str:
        """Normalise a text value found at `line` (see `clean_text`); report a control character."""
        value = clean_text(value, lambda message: self.warnings.append(self.at(line, loc, message)))
        control = _CONTROL.search(value)
        if control:
            self.problem(line, loc, f"control character U+{ord(control[0]):04X} is not allowed in text")
        return value

    def scalar(self, node: yaml.Node, loc: Loc) -> Any:
        """Construct a scalar with PyYAML's safe rules; report a value it cannot read."""
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node.start_mark.line + 1, loc, "expected a plain key, got a list or mapping")
            return f"<{getattr(node, 'id', 'node')}>"
        if node.tag not in _PLAIN_TAGS:
            self.problem(node.start_mark.line + 1, loc, f"unsupported YAML tag {node.tag}")
            return node.value
        try:
            value = _SCALARS.construct_object(node)
            if isinstance(value, str) and self.breaks is not None:
                return self.breaks.restore(value)
            return value
        except Exception:  # PyYAML raises KeyError, IndexError, AttributeError … on malformed tagged values
            self.problem(node.start_mark.line + 1, loc, f"cannot read {node.value!r} as {node.tag}")
            return node.value

    def at(self, line: int, loc: Loc, message: str) -> Problem:
        return Problem(self.path, line, _format_loc(loc), message)

    def problem(self, line: int, loc: Loc, message: str) -> None:
        self.problems.append(self.at(line, loc, message))


_SCALARS = yaml.constructor.SafeConstructor()
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"
_PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_VALUES = 200_000
_MAX_DEPTH = 20
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"), None) | {0x2028: "\n", 0x2029: "\n\n"}


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def clean_text(text: str, warn: Callable[[str], object]) -> str:
    """Normalise text as the format promises: drop invisible characters, repair mojibake (with a warning)."""
    if text.isascii() and "\r" not in text:
        return text  # nothing below can change plain ASCII
    text = _newlines(text).translate(_INVISIBLE)
    if ftfy.badness.is_bad(text):
        fixed = ftfy.fix_encoding(text)
        if fixed != text:
            start = next(i for i, (a, b) in enumerate(zip(text, fixed, strict=False)) if a != b)
            before, after = text[start : start + 12], fixed[start : start + 10]
            warn(f"repaired mojibake (text saved in the wrong encoding): {before!r} → {after!r}")
            return fixed
    return text


def _shell(data: Any) -> Any:
    """Return a notes file with each note emptied, to check the file's own shape."""
    if isinstance(data, dict) and isinstance(data.get("notes"), list):
        return {**data, "notes": []}
    return data


def _validate(
    schema: type[M],
    document: _Document,
    problems: list[Problem],
    at: Loc,
    data: Any,
    context: dict[str, Any] | None = None,
) -> M | None:
    """Validate `data`, found at `at` in `document`, against `schema` (`context`: the deck's kinds)."""
    if not isinstance(data, dict):
        what = "the top of the file" if not at else _format_loc(at)
        problems.append(
            Problem(
                document.path,
                document.line_of(at),
                _format_loc(at),
                f"expected a mapping at {what}, got {_describe(data)}",
            )
        )
        return None
    try:
        return schema.model_validate(data, context=context)
    except ValidationError as error:
        for detail in error.errors():
            loc = (*at, *detail["loc"])
            problems.append(
                Problem(document.path, document.line_of(loc), _format_loc(loc), _explain(schema, detail))
            )
        return None


def _declared_names(deck_data: Any) -> tuple[str, ...]:
    """Return the kind names an invalid deck.yaml declares, to check notes against them all the same."""
    declared = deck_data.get("kinds") if isinstance(deck_data, dict) else None
    if not isinstance(declared, list) or not declared:
        return BUILTIN.names
    names = [item.get("name") if isinstance(item, dict) else item for item in declared]
    builtin = [item for item in declared if isinstance(item, str) and item not in BUILTIN]
    return tuple(dict.fromkeys(name for name in names if isinstance(name, str) and name not in builtin))


def _check_deck(deck: Deck, document: _Document) -> Iterator[Problem]:
    """Check the deck's own kinds and grid tables: names unique, every table's kinds declared."""

    def problem(loc: Loc, message: str) -> Problem:
        return Problem(document.path, document.line_of(loc), _format_loc(loc), message)

    seen: set[str] = set()
    for index, kind in enumerate(deck.kinds):
        if kind.name in seen:
            yield problem(("kinds", index, "name"), f"kind {kind.name!r} is declared twice")
        seen.add(kind.name)
    names = list(Kinds.declared(deck.kinds, None).names)
    tables: set[str] = set()
    for index, table in enumerate(deck.grid or ()):
        if table.name in tables:
            yield problem(("grid", index, "name"), f"table {table.name!r} is declared twice")
        tables.add(table.name)
        for position, rows in enumerate(table.rows):
            if rows.kind not in names:
                loc = ("grid", index, "rows", position, "kind")
                yield problem(loc, f"unknown kind {rows.kind!r}{_did_you_mean(rows.kind, names)}")


def _check_required(note: Note, index: int, document: _Document, kinds: Kinds) -> Iterator[Problem]:
    """Report each field the note's kind requires and the note leaves out."""
    for name in kinds[note.kind].required:
        if note.value_of(name) is None:
            loc = ("notes", index)
            yield Problem(
                document.path,
                document.line_of(loc),
                f"notes[{index}].{name}",
                f"required for a {note.kind} note (see the kind in deck.yaml)",
            )


@dataclass(frozen=True)
class _NoteRules:
    """What a note is checked against beyond its schema: the notes folder, the deck's kinds, and whether
    the deck declares a `source_url` to resolve relative links against."""

    source_dir: Path
    kinds: Kinds | None  # None when deck.yaml is invalid: its kinds are unknown
    has_base: bool


def _check_note(note: Note, index: int, document: _Document, rules: _NoteRules) -> Iterator[Problem]:
    """Check what the schema cannot: rules that span fields (the media apart: `_check_media`)."""

    def problem(field: str, message: str) -> Problem:
        return _note_problem(document, index, field, message)

    if note.id in note.related_ids:
        yield problem("related", "a note cannot be related to itself")
    entries = [frozenset(item.others) for item in note.related]
    if len(set(entries)) != len(entries):
        yield problem("related", "lists the same note twice")
    yield from (problem(field, message) for field, message in _kind_fields(note, rules.kinds))
    yield from _check_unsourced(note, index, document)
    yield from _check_trivia(note, index, document)
    for position, tag in enumerate(note.tags):
        if "" in tag.split("::"):
            yield problem(f"tags[{position}]", f"expected '::' between two names, got {tag!r}")
    if not rules.has_base:
        for field, href in _relative_links(note):
            yield problem(
                field,
                f"relative link {href!r}: write a full URL, or declare `source_url` in {DECK_FILE} "
                "to resolve it against",
            )


def _note_problem(document: _Document, index: int, field: str, message: str) -> Problem:
    return Problem(
        document.path, document.line_of(("notes", index, field)), f"notes[{index}].{field}", message
    )


def _check_media(
    note: Note, index: int, document: _Document, source_dir: Path, warnings: list[Problem]
) -> Iterator[Problem]:
    """Check the images the body shows, the formula's form and the note's own image."""

    def problem(field: str, message: str) -> Problem:
        return _note_problem(document, index, field, message)

    for src in image_sources(note.body) if "![" in note.body else ():
        if is_remote(src):
            warnings.append(problem("body", f"remote image {src} is not fetched; it is shown as a link"))
        elif not is_inside(source_dir, src):
            yield problem("body", f"image not found: {src} (paths are relative to {source_dir})")
        elif unreadable := _unreadable(source_dir / src):
            yield problem("body", f"cannot read the image {src}: {unreadable}")

    if note.formula is not None:
        name, equals, expression = note.formula.partition("=")
        if not equals or not name.strip() or not expression.strip():
            yield problem("formula", f"expected 'Name = expression', got {note.formula!r}")
    if note.image is not None and not is_inside(source_dir / MEDIA_DIR, note.image):
        yield problem("image", f"no such file: {source_dir / MEDIA_DIR / note.image}")
    elif note.image is not None and (unreadable := _unreadable(source_dir / MEDIA_DIR / note.image)):
        yield problem("image", f"cannot read {source_dir / MEDIA_DIR / note.image}: {unreadable}")


def _kind_fields(note: Note, kinds: Kinds | None) -> Iterator[tuple[str, str]]:
    """Name each kind-specific field the note fills that its kind does not have (see `kinds.py`)."""
    if kinds is None or note.kind not in kinds:
        return
    own = kinds[note.kind].fields
    for name in (*KIND_FIELDS, *(value.name for value in note.declared)):
        if note.value_of(name) is not None and name not in own:
            kind = f"{'an' if note.kind[:1] in 'aeiou' else 'a'} {note.kind}"
            has = f"has {', '.join(own)}" if own else "has none of the kind-specific fields"
            yield name, f"{kind} note has no field {name!r} ({kind} {has})"


def _check_unsourced(note: Note, index: int, document: _Document) -> Iterator[Problem]:
    """Report each name in `unsourced:` that is not a field the note fills."""
    filled = [
        name for name in (*KIND_FIELDS, *(value.name for value in note.declared)) if note.value_of(name)
    ]
    for position, name in enumerate(note.unsourced):
        if name not in filled:
            fills = (
                f"one of the fields the note fills ({', '.join(filled)})" if filled else "a field it fills"
            )
            yield Problem(
                document.path,
                document.line_of(("notes", index, "unsourced", position)),
                f"notes[{index}].unsourced[{position}]",
                f"expected {fills}, got {name!r}{_did_you_mean(name, filled)}",
            )
        elif note.unsourced.index(name) != position:
            yield Problem(
                document.path,
                document.line_of(("notes", index, "unsourced", position)),
                f"notes[{index}].unsourced[{position}]",
                f"lists {name!r} twice",
            )


def _check_trivia(note: Note, index: int, document: _Document) -> Iterator[Problem]:
    """Report each item of `trivia:` that is not what one of the note's facts asks (a `==hidden==` part
    or a question's answer), or that it names twice."""
    answers = [answer for fact in note.facts for answer in fact.answers()]
    known = {folded_words(answer) for answer in answers}
    seen: set[str] = set()
    for position, words in enumerate(note.trivia):
        where = (document.path, document.line_of(("notes", index, "trivia", position)))
        field = f"notes[{index}].trivia[{position}]"
        if folded_words(words) not in known:
            choices = ", ".join(repr(answer) for answer in answers)
            expected = f"what one of the note's facts asks ({choices})" if answers else "a fact's answer"
            yield Problem(*where, field, f"expected {expected}, got {words!r}{_did_you_mean(words, answers)}")
        elif folded_words(words) in seen:
            yield Problem(*where, field, f"lists {words!r} twice")
        seen.add(folded_words(words))


def _relative_links(note: Note) -> Iterator[tuple[str, str]]:
    """Yield (field, href) for each link in the note's Markdown that is neither a full URL nor `#…`."""
    texts = [("body", note.body), ("summary", note.summary)]
    texts += [(name, value) for name in KIND_FIELDS if isinstance(value := getattr(note, name), str)]
    for position, fact in enumerate(note.facts):
        texts += [(f"facts[{position}]", text) for text in (fact.text, fact.q, fact.a) if text]
    for name, text in texts:
        if "](" in text or "<" in text or "]:" in text:
            for href in sorted(link_targets(text)):
                if not is_remote(href) and not href.startswith("#"):
                    yield name, href


def _unreadable(path: Path) -> str | None:
    """Return why a file cannot be read (as the deck writer will read it), or None."""
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as error:
        return error.strerror or str(error)
    return None


def is_inside(folder: Path, relative: str) -> bool:
    """Return True if `relative` names an existing file inside `folder` (no escaping with `..`)."""
    path = (folder / relative).resolve()
    return path.is_file() and path.is_relative_to(folder.resolve())


def _check_related(notes: list[Note], places: dict[str, tuple[_Document, int]]) -> Iterator[Problem]:
    known = list(places)
    threes: dict[frozenset[str], str] = {}  # a contrast of three, and where it is first written
    for note in notes:
        document, index = places[note.id]
        for position, item in enumerate(note.related):
            loc: Loc = ("notes", index, "related", position)
            for at, other in enumerate(item.others):
                where = loc if item.ids is None else (*loc, "ids", at)
                if other not in places:
                    yield Problem(
                        document.path,
                        document.line_of(where),
                        _format_loc(where),
                        f"unknown note id {other!r}{_did_you_mean(other, known)}",
                    )
            if item.ids is not None:
                threes.setdefault(frozenset((note.id, *item.ids)), f"{document.path}:{document.line_of(loc)}")
    for note in notes:
        document, index = places[note.id]
        for position, item in enumerate(note.related):
            three = next((ids for ids in threes if item.id is not None and {note.id, item.id} <= ids), None)
            if three is not None:
                loc = ("notes", index, "related", position)
                names = ", ".join(sorted(three))
                yield Problem(
                    document.path,
                    document.line_of(loc),
                    _format_loc(loc),
                    f"{note.id} and {item.id} are already contrasted as three ({names}, at {threes[three]}):"
                    " one card compares the three; leave this pair out",
                )


def _field_lines(places: dict[str, tuple[_Document, int]]) -> dict[str, tuple[int, dict[str, int]]]:
    """Return, per note id, its index and the line of each of its fields (one pass per file)."""
    return {
        note_id: (index, _CHECKED.lines_of(document).get(index, {}))
        for note_id, (document, index) in places.items()
    }


def _format_loc(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_TYPE_NAMES = {
    "string_type": "text",
    "bool_type": "true or false",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _explain(schema: type[BaseModel], detail: Any) -> str:
    """Turn a pydantic error into 'expected X, got Y' wording."""
    kind, value, loc = detail["type"], detail.get("input"), tuple(detail["loc"])
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown field{_did_you_mean(str(loc[-1]), _fields_at(schema, loc[:-1]))}"
    if kind in ("enum", "literal_error"):
        choices = [
            choice.strip(" '") for choice in detail["ctx"]["expected"].replace(" or ", ", ").split(",")
        ]
        return f"expected one of {', '.join(choices)}; got {value!r}{_did_you_mean(str(value), choices)}"
    if kind in _TYPE_NAMES:
        return f"expected {_TYPE_NAMES[kind]}, got {_describe(value)}"
    if kind == "string_unicode":
        return "expected text, got an invalid Unicode character (a lone surrogate)"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return _explain_pattern(loc, value)
    if kind == "value_error":
        return str(detail["ctx"]["error"])
    return f"{detail['msg']}, got {_describe(value)}"


def _explain_pattern(loc: Loc, value: Any) -> str:
    """Say what form a text that does not match its pattern should take: a tag, a colour or a slug."""
    if loc and loc[-2:-1] == ("tags",):
        return f"expected a tag without spaces, got {value!r}"
    if loc and loc[-1] in ("colour", "tint"):
        return f"expected a colour as #rrggbb (like #1565c0), got {value!r}"
    return f"expected a slug (lowercase letters and digits joined by '-' or '_'), got {value!r}"


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def _fields_at(schema: type[BaseModel], loc: Loc) -> list[str]:
    """Return the field names allowed at `loc` inside `schema`."""
    current: Any = schema
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = current.model_fields[part].annotation
        current = next(
            (t for t in _flatten(annotation) if isinstance(t, type) and issubclass(t, BaseModel)), None
        )
        if current is None:
            return []
    return list(current.model_fields)


def _flatten(annotation: Any) -> Iterator[Any]:
    yield annotation
    for argument in typing.get_args(annotation):
        if argument is not Ellipsis and not isinstance(argument, types.NoneType):
            yield from _flatten(argument)


def _did_you_mean(value: str, choices: list[str]) -> str:
    close = [choice for choice in choices if choice.startswith(value)] or difflib.get_close_matches(
        value, choices, n=1
    )
    return f" (did you mean {close[0]!r}?)" if close else ""
