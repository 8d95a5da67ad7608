"""YAML that helps: say how to fix a syntax error, find the same mistake on other lines, keep lines real.

PyYAML stops at the first syntax error and words it for parser writers ("mapping values are not allowed
in this context"). The usual causes in notes are few: a `: ` inside an unquoted value, a value starting with
a character YAML reserves, a block (`|`) whose first line is indented deeper than the rest, a tab. Each
gets a concrete fix, and every other line with the first two mistakes is reported at once.
"""

from __future__ import annotations

import json
import re
from typing import Any

# PyYAML counts U+2028, U+2029 and U+0085 as line breaks, so a separator pasted from a web page shifts every
# line number after it and can split a value in two. While YAML parses they are swapped for noncharacters
# the text does not hold, and swapped back in the values, where the loader's text cleaning turns them into
# ordinary line breaks.
_HIDDEN = "\u2028\u2029\x85"
_NONCHARACTERS = [chr(code) for code in range(0xFDD0, 0xFDF0)]


class HiddenBreaks:
    """The stand-ins one text's hidden line breaks were given (none when it holds no such break)."""

    def __init__(self, text: str) -> None:
        free = [char for char in _NONCHARACTERS if char not in text]
        hidden = [char for char in _HIDDEN if char in text]
        self.stand_ins = dict(zip(hidden, free, strict=False))  # (a text holding 30 of the 32 keeps a break)
        self._original = {stand_in: original for original, stand_in in self.stand_ins.items()}
        # The indentation after a break is not part of the value, as YAML folds lines.
        self._pattern = re.compile(f"([{''.join(self._original)}])[ \t]*") if self._original else None

    def hide(self, text: str) -> str:
        """Return `text` with the line breaks only YAML sees replaced by their stand-ins."""
        return text.translate({ord(original): stand_in for original, stand_in in self.stand_ins.items()})

    def restore(self, value: str) -> str:
        """Undo `hide` in one value."""
        if self._pattern is None or value.isascii():
            return value
        return self._pattern.sub(lambda match: self._original[match[1]], value)


_KEY_VALUE = re.compile(r"^(?P<lead>[ ]*(?:-[ ]+)?)(?P<key>[A-Za-z_][\w-]*):[ ]+(?P<value>\S.*?)[ ]*$")
_BLOCK_HEADER = re.compile(
    r"^(?P<lead>[ ]*(?:-[ ]+)?)[A-Za-z_][\w-]*:[ ]+[|>](?P<digit>[1-9])?[+-]?[ ]*(#.*)?$"
)
_RESERVED_START = "`@"
# PyYAML's words for the errors an unquoted value causes.
_QUOTE_CAUSES = (
    "mapping values",
    "cannot start any token",
    "alphabetic or numeric",
    "block sequence",
    "alias",
)
_PLAIN_START_EXCLUDED = "\"'[{|>&*!#%"


def syntax_problems(text: str, error: Any) -> list[tuple[int, str]]:
    """Return (line, message) for a YAML syntax error with how to fix it, plus the same mistake elsewhere."""
    lines = text.split("\n")
    line, message = _explain(lines, error)
    found = [(line, message)]
    for number, what in _lint(lines):
        if number != line:
            found.append((number, what))
    return sorted(found)


def _explain(lines: list[str], error: Any) -> tuple[int, str]:
    problem = str(getattr(error, "problem", None) or error)
    context = str(getattr(error, "context", None) or "")
    problem_mark = getattr(error, "problem_mark", None)
    context_mark = getattr(error, "context_mark", None)
    mark = problem_mark or context_mark
    line = mark.line + 1 if mark else 1
    what = f"invalid YAML: {problem}"

    if "flow sequence" in context or "flow mapping" in context:
        start = context_mark.line + 1 if context_mark else line
        closing = "]" if "sequence" in context else "}"
        opening = "[" if closing == "]" else "{"
        fix = _quoted_fix(lines, start)
        hint = f"if it is text, quote it: {fix}" if fix else "close it or quote the value"
        return (
            start,
            f"invalid YAML: a value starting with {opening} is a list and needs its {closing}; {hint}",
        )
    if "tab" in problem:
        return line, f"{what}; indent with spaces, not tabs"
    block = _block_hint(lines, line)
    if block:
        return line, f"{what}; {block}"
    indented = _indented_key_hint(lines, line, mark.column if mark else -1)
    if indented:
        return line, f"{what}; {indented}"
    fix = _quoted_fix(lines, line)
    value = _KEY_VALUE.match(lines[line - 1]) if fix else None
    if fix and value and value["value"][0] in "\"'" and "expected key" in problem:
        return line, f"{what}; a quoted value must end with its quote: quote the whole value: {fix}"
    if fix and any(cause in problem for cause in _QUOTE_CAUSES):
        return line, f"{what}; quote the value: {fix}"
    return line, f"{what}; check the indentation of this line and the lines above it"


def _indented_key_hint(lines: list[str], line: int, column: int) -> str | None:
    """Explain a key indented deeper than the key above it: YAML reads it as more of that key's value
    (`title: Foo` then `  kind: service` is `title: Foo kind: service`), and quoting would not help."""
    if not 1 <= line <= len(lines):
        return None
    match = _KEY_VALUE.match(lines[line - 1])
    if match is None or column != len(match["lead"]) + len(match["key"]):  # the error is not at its colon
        return None
    key_indent = len(match["lead"])
    for number in range(line - 1, 0, -1):
        above = lines[number - 1]
        if not above.strip() or above.lstrip().startswith("#"):
            continue
        owner = _KEY_VALUE.match(above)
        if owner is None or len(owner["lead"]) >= key_indent:
            return None
        spaces = f"{len(owner['lead'])} spaces" if owner["lead"] else "no space"
        return (
            f"`{match['key']}:` is indented deeper than `{owner['key']}:` on line {number}, so YAML reads it"
            f" as more of that value; indent `{match['key']}:` as `{owner['key']}:` is ({spaces})"
        )
    return None


def _lint(lines: list[str]) -> list[tuple[int, str]]:
    """Find plain values YAML cannot read: a ': ' inside, or a reserved first character."""
    found = []
    block_indent: int | None = None
    for number, text in enumerate(lines, start=1):
        indent = len(text) - len(text.lstrip(" "))
        if block_indent is not None:
            if not text.strip() or indent > block_indent:
                continue
            block_indent = None
        header = _BLOCK_HEADER.match(text)
        if header:
            block_indent = len(header["lead"])
            continue
        match = _KEY_VALUE.match(text)
        if not match:
            continue
        value = _strip_comment(match["value"])
        if value and value[0] in "\"'" and _after_quote(value):
            found.append(
                (number, f"invalid YAML: text after the closing quote; quote the whole value: {_fix(match)}")
            )
        if not value or value[0] in _PLAIN_START_EXCLUDED:
            continue
        if ": " in value or value.endswith(":"):
            found.append((number, f"invalid YAML: ': ' inside a value; quote the value: {_fix(match)}"))
        elif value[0] in _RESERVED_START:
            found.append(
                (number, f"invalid YAML: a value cannot start with {value[0]}; quote it: {_fix(match)}")
            )
    return found


def _after_quote(value: str) -> bool:
    """Return True if a quoted value has more text after its closing quote."""
    quote, index = value[0], 1
    while index < len(value):
        if value[index] == "\\" and quote == '"':
            index += 2
            continue
        if value[index] == quote:
            if quote == "'" and value[index + 1 : index + 2] == "'":
                index += 2
                continue
            return bool(value[index + 1 :].strip())
        index += 1
    return False  # not closed on this line: a multi-line quoted value


def _strip_comment(value: str) -> str:
    comment = value.find(" #")
    return value[:comment].rstrip() if comment >= 0 else value


def _quoted_fix(lines: list[str], line: int) -> str | None:
    """Return the line `line` with its value quoted, if it is a `key: value` line."""
    if not 1 <= line <= len(lines):
        return None
    match = _KEY_VALUE.match(lines[line - 1])
    return _fix(match) if match else None


def _fix(match: re.Match[str]) -> str:
    value = match["value"]
    if '"' in value and "'" not in value and not any(c in value for c in _HIDDEN):
        return f"{match['key']}: '{value}'"
    quoted = json.dumps(value, ensure_ascii=False)
    hidden = ""
    for original in _HIDDEN:
        if original in quoted:
            quoted = quoted.replace(original, f"\\u{ord(original):04x}")  # as YAML reads it in quotes
            hidden = f" (the value holds an invisible U+{ord(original):04X}, written \\u{ord(original):04x})"
    return f"{match['key']}: {quoted}{hidden}"


def _block_hint(lines: list[str], line: int) -> str | None:
    """Explain an error on a line that ended a `|` block early: its first line was indented deeper."""
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1]
    indent = len(text) - len(text.lstrip(" "))
    for number in range(line - 1, 0, -1):
        above = lines[number - 1]
        if not above.strip():
            continue
        above_indent = len(above) - len(above.lstrip(" "))
        if above_indent < indent:
            header = _BLOCK_HEADER.match(above)
            return _indentation_hint(lines, number, header, indent) if header else None
    return None


def _indentation_hint(lines: list[str], header_line: int, header: re.Match[str], indent: int) -> str | None:
    key_indent = len(header["lead"])
    first = next((text for text in lines[header_line:] if text.strip()), "")
    first_indent = len(first) - len(first.lstrip(" "))
    if header["digit"] or not key_indent < indent < first_indent:
        return None
    head = lines[header_line - 1].rstrip()
    key = head[len(header["lead"]) :].split(":")[0]
    symbol = re.search(r"[|>][+-]?", head[len(header["lead"]) + len(key) + 1 :])
    assert symbol is not None
    indicator = f"{symbol[0][0]}{indent - key_indent}{symbol[0][1:]}"
    return (
        f"the block on line {header_line} takes its indentation from its first line, which is indented"
        f" deeper than this one; write `{key}: {indicator}` to give the indentation ({indent - key_indent}"
        " spaces more than the key)"
    )


def dropped_comment(rest_of_line: str) -> bool:
    """Return True if what follows a plain value on its line is a ` #` (one space) that cut it short."""
    return rest_of_line.startswith(" #")


def dropped_block_lines(lines: list[str], key_indent: int, header_line: int) -> list[int]:
    """Return the lines after a `|` block that YAML read as comments though they look like its text.

    The block's indentation is its first line's; a later `### Heading` indented less than that but more
    than the key ends the block and, starting with `#`, is silently a comment.
    """
    first_indent: int | None = None
    dropped = []
    for number in range(header_line, len(lines)):  # stops at the block's end: linear in the file
        text = lines[number]
        if not text.strip():
            continue
        indent = len(text) - len(text.lstrip(" "))
        if first_indent is None:
            first_indent = indent
        if indent <= key_indent:
            break
        if indent < first_indent and text.lstrip().startswith("#"):
            dropped.append(number + 1)
    return dropped
