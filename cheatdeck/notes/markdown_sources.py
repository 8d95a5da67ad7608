"""Markdown notes files: read one into the raw data a YAML notes file gives, and write notes back as one.

A note is a heading ending in `{#id}` (`## Amazon Polly {#polly}`); the heading text is its title. Right
under it, a block of `key: value` lines (and `- item` lines under a list key) gives its other fields; the
rest of the section, down to the next heading at the note's level or above, is its body. A heading above
the notes' level (without an id) is a group: its own `key: value` block gives defaults to every note under
it (`tags` add up, other fields are replaced by the note's own). Other text under a group is a comment.

`read_markdown` returns the same `{"notes": [...]}` shape as YAML plus the line of every field, so the
loader validates both with the same model and reports `file:line: field: message` into the `.md` file.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from cheatdeck.errors import Problem
from cheatdeck.notes.kinds import LABELLED_FIELDS
from cheatdeck.notes.model import Note

Loc = tuple[str | int | float | None, ...]  # as in sources.py: the key path of a value

NOTE_HEADING = re.compile(r"^(?P<title>.*?)\s*\{#(?P<id>[^}\s]*)\}$")
_KEY = re.compile(r"^(?P<key>[a-z_][a-z0-9_-]*):(?:[ \t]+(?P<value>.*?))?[ \t]*$")
_ITEM = re.compile(r"^[ \t]*[-*+][ \t]+(?P<value>.*?)[ \t]*$")
_PAIR_KEY = re.compile(r"^(?P<key>q|a|says|right|reference|id|ids|difference):[ \t]+(?P<value>.*)$")
"""A question fact (`- q: …` then `  a: …`), a correction (`- says: …`, `  right: …`, `  reference: …`) or
a contrast with its sentence (`- id: …` or `- ids: a, b`, then `  difference: …`)."""
_ITEM_KEYS = {
    "facts": ("q", "a"),
    "corrections": ("says", "right", "reference"),
    "related": ("id", "ids", "difference"),
}
"""The keys each list's items may hold (the first starts an item)."""
_LINK_ITEM = re.compile(r"^\[(?P<label>.+)\]\((?P<url>\S+)\)$")
_PHRASE_LISTS = ("trivia",)  # lists of words, not of names: `trivia: HTTP requests, MXNet` has two items
_FROM_HEADING = ("id", "title")
_NOT_KEYS = {*_FROM_HEADING, "body"}
_ADDED_UP = ("tags",)  # a group's value is added to the note's own, not replaced by it
# The order `format_markdown_note` writes keys in: what the note is first, links last; others follow.
_KEY_ORDER = (
    "kind",
    "summary",
    *(field.name for field in LABELLED_FIELDS),
    "formula",
    "image",
    "tags",
    "related",
)


def _list_fields() -> frozenset[str]:
    """Return the note fields that hold a list (from the model, so new list fields just work)."""
    names = set()
    for name, info in Note.model_fields.items():
        annotation = info.annotation
        options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
        if any(typing.get_origin(option) in (tuple, list) for option in options):
            names.add(name)
    return frozenset(names)


LIST_FIELDS = _list_fields()


@dataclass
class _Block:
    """A `key: value` block: the values as YAML would give them, and the line of each."""

    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[Loc, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Heading:
    level: int
    start: int  # 0-based index of the heading's first line
    end: int  # 0-based index of the first line after the heading
    text: str


def markdown_headings(text: str) -> list[tuple[int, int, int, str]]:
    """Return (level, first line, line after, text) for every top-level heading (0-based lines).

    Headings inside code blocks, lists and quotes are not sections and are left out."""
    tokens = _parser().parse(text)
    found = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map is not None and token.level == 0:
            found.append((int(token.tag[1]), token.map[0], token.map[1], tokens[index + 1].content))
    return found


def read_markdown(
    path: Path,
    text: str,
    problems: list[Problem],
    clean: Callable[[str, int, Loc], str],
    warnings: list[Problem] | None = None,
) -> tuple[dict[str, Any], dict[Loc, int]]:
    """Parse a Markdown notes file into `{"notes": [...]}` and the (1-based) line of every field.

    `clean` normalises one text value found at a line and location (and reports what it repairs). A file
    with headings but no `{#id}` heading holds no note: it is skipped, with a warning.
    """
    lines = text.split("\n")
    headings = [_Heading(*found) for found in markdown_headings(text)]
    level = next((h.level for h in headings if NOTE_HEADING.match(h.text)), None)
    notes: list[dict[str, Any]] = []
    where: dict[Loc, int] = {("notes",): 1}
    if level is None:
        if headings and warnings is not None:
            warnings.append(_no_note_warning(path, headings[0]))
        return {"notes": notes}, where
    file = _NotesText(path, lines, level, problems, clean)
    groups: list[tuple[int, _Block]] = []
    for position, heading in enumerate(headings):
        after = headings[position + 1 :]
        match = NOTE_HEADING.match(heading.text)
        if heading.level < level and not match:
            groups = [(lvl, block) for lvl, block in groups if lvl < heading.level]
            stop = after[0].start if after else len(lines)
            block, _ = _read_block(lines, heading.end, stop, path, problems, ("group",))
            groups.append((heading.level, block))
        elif heading.level > level and not match:
            continue  # part of a note's body
        elif heading.level != level or not match:
            problems.append(_misplaced_heading(path, heading, level))
        else:
            note, note_lines = file.read_note(len(notes), heading, match, after, groups)
            notes.append(note)
            where.update(note_lines)
    return {"notes": notes}, where


def _no_note_warning(path: Path, first: _Heading) -> Problem:
    """Warn that a file with headings but no `{#id}` heading holds no note, showing how to write one."""
    example = f"{'#' * first.level} {first.text} {{#{slugify(first.text)}}}"
    return Problem(
        path,
        first.start + 1,
        "",
        f"no note in this file, skipped: a note's heading ends with an id, as in `{example}`",
    )


def _misplaced_heading(path: Path, heading: _Heading, level: int) -> Problem:
    """Report a heading at another level than the notes', or at their level without an id."""
    if heading.level != level:
        return Problem(
            path,
            heading.start + 1,
            "",
            f"a note's heading must be at level {level} ({'#' * level}), like the file's first note;"
            f" got level {heading.level}",
        )
    return Problem(
        path,
        heading.start + 1,
        "",
        f"a heading at the notes' level needs an id: end it with {{#{slugify(heading.text)}}}",
    )


@dataclass
class _NotesText:
    """A Markdown notes file being read: its lines, the level of its note headings, where problems go."""

    path: Path
    lines: list[str]
    level: int
    problems: list[Problem]
    clean: Callable[[str, int, Loc], str]

    def read_note(
        self,
        index: int,
        heading: _Heading,
        match: re.Match[str],
        after: list[_Heading],
        groups: list[tuple[int, _Block]],
    ) -> tuple[dict[str, Any], dict[Loc, int]]:
        """Return the note under `heading` (with what its group headings give it) and its fields' lines."""
        lines, line = self.lines, heading.start + 1
        at: Loc = ("notes", index)
        stop = next((h.start for h in after if h.level <= self.level), len(lines))
        block, body_start = _read_block(lines, heading.end, stop, self.path, self.problems, at)
        note: dict[str, Any] = {}
        note_lines: dict[Loc, int] = {at: line, (*at, "id"): line, (*at, "title"): line}
        for _, group in groups:
            for key, value in group.values.items():
                added_up = key in _ADDED_UP and isinstance(note.get(key), list) and isinstance(value, list)
                note[key] = [*note[key], *value] if added_up else value
                note_lines.update({(*at, *loc[1:]): n for loc, n in group.lines.items()})
        note["id"] = match["id"]
        note["title"] = self.clean(match["title"], line, (*at, "title"))
        for key, value in block.values.items():
            added_up = key in _ADDED_UP and isinstance(note.get(key), list) and isinstance(value, list)
            note[key] = (
                [*note[key], *(item for item in value if item not in note[key])] if added_up else value
            )
        note_lines.update(block.lines)
        body = _trim(lines[body_start:stop])
        note_lines[(*at, "body")] = body_start + 1 + _leading_blank(lines[body_start:stop]) if body else line
        note["body"] = self.clean(body, note_lines[(*at, "body")], (*at, "body")) if body else ""
        return _clean_values(note, note_lines, at, self.clean), note_lines


def _clean_values(
    note: dict[str, Any], lines: dict[Loc, int], at: Loc, clean: Callable[[str, int, Loc], str]
) -> dict[str, Any]:
    def walk(value: Any, loc: Loc) -> Any:
        line = lines.get(loc, lines[at])
        if isinstance(value, str):
            return clean(value, line, loc)
        if isinstance(value, list):
            return [walk(item, (*loc, position)) for position, item in enumerate(value)]
        if isinstance(value, dict):
            return {key: walk(item, (*loc, key)) for key, item in value.items()}
        return value

    return {
        key: value if key in ("title", "body") else walk(value, (*at, key)) for key, value in note.items()
    }


def _read_block(
    lines: list[str], start: int, stop: int, path: Path, problems: list[Problem], at: Loc
) -> tuple[_Block, int]:
    """Read the `key: value` block at the top of a section; return it and the index where the body starts."""
    block = _Block()
    index = start
    key: str | None = None
    while index < stop and (lines[index].strip() or index == start):
        text = lines[index]
        match = _KEY.match(text)
        item = _ITEM.match(text)
        if not text.strip():
            pass  # a blank line right under the heading
        elif match:
            key = match["key"]
            loc = (*at, key)
            if key in block.values:
                problems.append(Problem(path, index + 1, _loc_text(loc), "duplicate key"))
            if key in _NOT_KEYS:
                what = "comes from the heading" if key in _FROM_HEADING else "is the text after this block"
                problems.append(Problem(path, index + 1, _loc_text(loc), f"not a key: the {key} {what}"))
                key = None
            else:
                block.values[key] = _inline_value(key, match["value"])
                block.lines[loc] = index + 1
        elif key is not None and item and (text[0] in " \t" or isinstance(block.values[key], list | None)):
            value = block.values[key]
            items = value if isinstance(value, list) else []
            block.lines[(*at, key, len(items))] = index + 1
            block.values[key] = [*items, _item_value(key, item["value"])]
        elif key is not None and text[0] in " \t":
            value = block.values[key]
            pair = _item_key(key, text.strip())
            if isinstance(value, list) and value and isinstance(value[-1], dict) and pair:
                block.lines[(*at, key, len(value) - 1, pair["key"])] = index + 1
            block.values[key] = _continue(key, value, text.strip())
        else:
            break  # the body starts here
        index += 1
    return block, index


def _inline_value(key: str, value: str | None) -> Any:
    if value is None or value == "":
        return None
    if key not in LIST_FIELDS:
        return value
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    if key == "references":
        return [_item_value(key, part) for part in re.split(r",?\s+", value) if part]
    if key in _PHRASE_LISTS:
        return [part.strip() for part in value.split(",") if part.strip()]
    return [part for part in re.split(r"[,\s]+", value) if part]


def _item_key(key: str, text: str) -> re.Match[str] | None:
    """Match `text` as a `key: value` line of an item of the list `key` (None: not one of its keys)."""
    pair = _PAIR_KEY.match(text)
    return pair if pair and pair["key"] in _ITEM_KEYS.get(key, ()) else None


def _pair_value(key: str, value: str) -> Any:
    """Return an item key's value: the ids of a contrast of three (`ids: a, b`) as a list."""
    return [part for part in re.split(r"[,\s]+", value.strip("[] ")) if part] if key == "ids" else value


def _item_value(key: str, value: str) -> Any:
    pair = _item_key(key, value)
    if pair and pair["key"] in ("q", "says", "id", "ids"):
        return {pair["key"]: _pair_value(pair["key"], pair["value"])}
    if key == "references":
        link = _LINK_ITEM.match(value)
        if link:
            return {"url": link["url"], "label": link["label"]}
        if value.startswith("<") and value.endswith(">"):
            return value[1:-1]
    return value


def _continue(key: str, value: Any, more: str) -> Any:
    """Append an indented continuation line to a value (or to the last item of the list `key`)."""
    if isinstance(value, list) and value and isinstance(value[-1], str):
        return [*value[:-1], f"{value[-1]} {more}"]
    if isinstance(value, list) and value and isinstance(value[-1], dict):
        pair, last = _item_key(key, more), dict(value[-1])
        if pair:
            last[pair["key"]] = _pair_value(pair["key"], pair["value"])
        else:
            name = list(last)[-1]
            last[name] = f"{last[name]} {more}"
        return [*value[:-1], last]
    if isinstance(value, str):
        return f"{value} {more}"
    return value if value is not None else more


def _trim(lines: list[str]) -> str:
    """Return the lines without leading and trailing blank lines, ending in a newline (or empty)."""
    text = "\n".join(lines[_leading_blank(lines) :]).rstrip()
    return f"{text}\n" if text else ""


def _leading_blank(lines: list[str]) -> int:
    return next((index for index, line in enumerate(lines) if line.strip()), len(lines))


def _loc_text(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def slugify(text: str, limit: int = 60) -> str:
    """Return a slug of `text`: lowercase ASCII letters and digits joined by '-', cut at a word."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        if slug and len(slug) + 1 + len(word) > limit:
            break
        slug = f"{slug}-{word}" if slug else word[:limit]
    return slug or "note"


def _parser() -> MarkdownIt:
    return _PARSER


_PARSER = MarkdownIt("commonmark").disable("inline")  # block structure only: headings need no more


def note_sections(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a Markdown notes file into the text before its first note and (id, text) per note.

    A note's text runs from its heading to the next note's heading, so nothing is left out.
    """
    lines = text.split("\n")
    notes = [(start, NOTE_HEADING.match(title)) for _, start, _, title in markdown_headings(text)]
    found = [(start, match["id"]) for start, match in notes if match]
    if not found:
        return text, []
    header = "\n".join(lines[: found[0][0]])
    sections = []
    for position, (start, note_id) in enumerate(found):
        stop = found[position + 1][0] if position + 1 < len(found) else len(lines)
        sections.append((note_id, "\n".join(lines[start:stop])))
    return header, sections


# Writing ---------------------------------------------------------------------------------------------


def format_markdown_notes(
    notes: Iterable[Mapping[str, Any]], *, title: str | None = None, defaults: Mapping[str, Any] = {}
) -> str:
    """Return a Markdown notes file holding `notes` (raw note data, as YAML would give it).

    Each note becomes a `## Title {#id}` section; a `title` adds a `# title` group heading carrying
    `defaults`. Body headings are moved below the notes' level so they stay in the body.
    """
    parts = []
    if title is not None:
        parts.append(f"# {group_heading(title)}\n" + _format_block(defaults))
    for note in notes:
        parts.append(format_markdown_note(note))
    return "\n".join(parts)


def group_heading(title: str) -> str:
    """Return a title as the text of a heading that holds no note (a file's `# title`): on one line, a
    `{#` written `{\\#` (Markdown shows it as typed), so `Evil {#evil}` is never read as a note's id."""
    text = _one_line(title)
    return text.replace("{#", "{\\#") if NOTE_HEADING.match(text) else text


def format_markdown_note(note: Mapping[str, Any]) -> str:
    """Return one note as a Markdown notes section (ending with a newline)."""
    heading = f"## {_one_line(str(note['title']))} {{#{note['id']}}}\n"
    block = _format_block({key: value for key, value in note.items() if key not in _NOT_KEYS})
    body = _demote_headings(str(note.get("body") or "").strip("\n"), below=2)
    return heading + block + (f"\n{body}\n" if body.strip() else "")


def _format_block(values: Mapping[str, Any]) -> str:
    order = {name: position for position, name in enumerate(dict.fromkeys((*_KEY_ORDER, *Note.model_fields)))}
    lines = []
    for key in sorted(values, key=lambda name: order.get(name, len(order))):
        value = values[key]
        if value is None or value in ("", (), []):
            continue
        if isinstance(value, list | tuple) and (
            key in ("references", "facts", "corrections", *_PHRASE_LISTS)
            or any(isinstance(item, Mapping) for item in value)
        ):
            lines.append(f"{key}:")
            lines += [f"- {_format_item(item)}" for item in value]
        elif isinstance(value, list | tuple):
            lines.append(f"{key}: {', '.join(_one_line(str(item)) for item in value)}")
        else:
            lines.append(f"{key}: {_one_line(str(value))}")
    return "".join(f"{line}\n" for line in lines)


def _format_item(item: Any) -> str:
    if isinstance(item, Mapping):
        if "url" in item:
            label = item.get("label")
            return f"[{_one_line(str(label))}]({item['url']})" if label else str(item["url"])
        if "text" in item:
            return _one_line(str(item["text"]))
        return "\n  ".join(f"{key}: {_format_item(value)}" for key, value in item.items())
    if isinstance(item, list | tuple):
        return ", ".join(_format_item(part) for part in item)
    return _one_line(str(item))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _demote_headings(body: str, below: int) -> str:
    """Shift the body's headings so the shallowest sits one level under `below` (ATX style)."""
    headings = markdown_headings(body)
    if not headings or min(level for level, *_ in headings) > below:
        return body
    shift = below + 1 - min(level for level, *_ in headings)
    lines = body.split("\n")
    for level, start, end, text in reversed(headings):
        lines[start:end] = [f"{'#' * min(6, level + shift)} {text}"]
    return "\n".join(lines)
