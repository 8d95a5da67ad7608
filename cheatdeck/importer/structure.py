"""Read a guide's outline the way a careful learner would: which headings are topics, which only group
topics, which are parts of a topic, and which are furniture (a table of contents, a list of links).

A guide's topics sit at whatever depth its author chose, and often at different depths in different
branches (`## Storage` → `#### Amazon S3`, `### Imputing missing data` → `#### Mean`). So the level is
chosen per branch, from the guide itself:

- a heading with no text of its own only groups the headings under it (a container): they are topics;
- a heading with text of its own is a topic; its sub-headings are folded into it when every one names a
  part of it ("Input", "Hyperparameters", "Side effects": `fragments.GENERIC_TITLES`) and the whole stays
  short enough to read as one note; otherwise each sub-heading is a topic of its own, chosen the same way;
- a section that holds only links (a table of contents, a reference list) is not a topic.

`--level N` replaces the choice: every heading down to level N is a topic, as before.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from cheatdeck.cards.fragments import is_generic_title

MAX_FOLDED_WORDS = 600  # a topic with its parts folded in stays a note one can read in a minute or two
_LINK_ONLY = re.compile(r"!?\[[^\]]*\]\([^)]*\)|\[\[[^\]]*\]\]|<[^>]+>|https?://\S+|[\s\-*+:;,.()|>#0-9]")
_ABOUT_THE_GUIDE = re.compile(
    r"^(about|about (this|the|me|us|the author)( \w+)?|preface|foreword|acknowledge?ments|disclaimer|"
    r"licen[cs]e|contributing|changelog|credits|author)$",
    re.IGNORECASE,
)
_FURNITURE = re.compile(
    r"^(table of contents|contents|toc|index|outline|navigation|references?|resources|links|useful links|"
    r"further reading|see also|sources|bibliography)$",
    re.IGNORECASE,
)
REFERENCE_SECTION = re.compile(
    r"^(references?|resources|(useful |external )?links|further reading|see also|sources|bibliography|"
    r"read more|learn more)$",
    re.IGNORECASE,
)
"""A section that lists where to read more: never a note, whatever it holds (its links are references)."""


@dataclass
class Heading:
    """One heading of the guide and the lines it owns."""

    level: int
    title: str
    start: int  # the heading's first line
    end: int  # the first line after the heading
    stop: int = 0  # the first line of the next heading at this level or above
    children: list[Heading] = field(default_factory=list)
    own_words: int = 0  # words before the first sub-heading
    links_only: bool = False  # its own text is only links (or nothing)

    @property
    def total_words(self) -> int:
        """The words of the section, sub-headings included."""
        return self.own_words + sum(child.total_words for child in self.children)


@dataclass
class Outline:
    """What the importer decided about a guide's headings."""

    topics: set[int] = field(default_factory=set)  # start lines of the headings that begin a note
    furniture: dict[int, str] = field(default_factory=dict)  # start line → why it is no note
    folded: Counter[str] = field(default_factory=Counter)  # titles folded into their topic
    levels: Counter[int] = field(default_factory=Counter)  # how many topics sit at each level
    own_text: bool = False  # the text before the first heading is the file's own topic

    def describe(self, name: str) -> str:
        """Return the choice in one line, for the import report."""
        levels = [f"{count} at {'#' * level}" for level, count in sorted(self.levels.items())]
        if self.own_text:
            levels.insert(0, "its text before the first heading")
        text = f"{name}: topics chosen from the guide's own headings: {', '.join(levels) or 'none'}"
        if self.folded:
            parts = ", ".join(title for title, _ in self.folded.most_common(4))
            more = " …" if len(self.folded) > 4 else ""
            text += f"; {sum(self.folded.values())} sub-heading(s) kept inside their topic ({parts}{more})"
        return text + " (--level N takes every heading down to N instead)"


def title_heading(lines: list[str], headings: list[tuple[int, int, int, str]], name: str) -> int | None:
    """Return the start line of the guide's own title heading, or None: the first heading, alone at its
    level, nothing but blank lines before it, with sub-headings that are topics (not parts folded into it),
    and not the file's own name (an Obsidian note's `# Warfarin` in Warfarin.md is its topic)."""
    if not headings or "\n".join(lines[: headings[0][1]]).strip():
        return None
    level = headings[0][0]
    if any(other[0] <= level for other in headings[1:]) or len(headings) < 2:
        return None
    root = _tree(lines, headings)[0]
    if _plain_title(root.title).casefold() == " ".join(re.sub(r"[-_]", " ", name).split()).casefold():
        return None
    folded = (
        root.own_words > 0
        and all(_is_part(_plain_title(part.title)) for part in root.children)
        and root.total_words <= MAX_FOLDED_WORDS
    )
    return None if folded else root.start


def outline(lines: list[str], headings: list[tuple[int, int, int, str]], title: int | None = None) -> Outline:
    """Decide which headings begin a note (see the module's docstring); `title`: the start line of the
    guide's title heading (`title_heading`), which only names the guide: its sub-headings are the roots."""
    roots = _tree(lines, headings)
    if title is not None and roots and roots[0].start == title:
        return _outline_of(roots[0].children)
    result = Outline()
    first = headings[0][1] if headings else len(lines)
    preamble = "\n".join(lines[:first])
    if preamble.strip() and _LINK_ONLY.sub("", preamble) != "":
        # the text before the first heading is the file's own topic (an Obsidian note): its headings are
        # its parts or its sub-topics, chosen like any heading's
        top = Heading(0, "", -1, 0, len(lines), roots, len(preamble.split()))
        _decide(top, result, in_topic=False)
        result.topics.discard(-1)
        result.own_text = result.levels.pop(0, 0) > 0
        return result
    return _outline_of(roots)


def _outline_of(roots: list[Heading]) -> Outline:
    result = Outline()
    for root in roots:
        _decide(root, result, in_topic=False)
    return result


def _tree(lines: list[str], headings: list[tuple[int, int, int, str]]) -> list[Heading]:
    roots: list[Heading] = []
    stack: list[Heading] = []
    for level, start, end, title in headings:
        heading = Heading(level, title, start, end, len(lines))
        while stack and stack[-1].level >= level:
            stack.pop().stop = start
        (stack[-1].children if stack else roots).append(heading)
        stack.append(heading)
    every: list[Heading] = []
    pending = list(roots)
    while pending:
        heading = pending.pop()
        every.append(heading)
        pending += heading.children
    for heading in every:
        own_stop = heading.children[0].start if heading.children else heading.stop
        own = "\n".join(lines[heading.end : own_stop])
        heading.own_words = len(own.split())
        heading.links_only = not _LINK_ONLY.sub("", own)
    return roots


def _decide(heading: Heading, result: Outline, in_topic: bool) -> None:
    """Mark `heading` (a topic or a container) and choose for the headings under it."""
    plain = _plain_title(heading.title)
    result.topics.add(heading.start)
    if REFERENCE_SECTION.match(plain):
        result.furniture[heading.start] = "it lists where to read more"
        return
    if heading.links_only and heading.own_words and (not heading.children or _FURNITURE.match(plain)):
        result.furniture[heading.start] = "it holds only links"
        return
    if _ABOUT_THE_GUIDE.match(plain) and not heading.children:
        result.furniture[heading.start] = "it is about the guide, not a topic"
        return
    has_text = heading.own_words > 0 and not heading.links_only
    if has_text:
        result.levels[heading.level] += 1
    parts = heading.children
    if (
        has_text
        and parts
        and all(_is_part(_plain_title(part.title)) for part in parts)
        and heading.total_words <= MAX_FOLDED_WORDS
    ):
        result.folded.update(_plain_title(part.title) for part in parts)
        return
    for part in parts:
        _decide(part, result, in_topic=has_text)


def _is_part(title: str) -> bool:
    """True for a sub-heading that names a part of its topic: "Input", "Side effects", "References", or
    describes one in plain words ("Storage classes in detail": no name in it)."""
    words = title.split()
    described = len(words) >= 3 and not any(re.search(r"[A-Z0-9]", word) for word in words[1:])
    return is_generic_title(title) or bool(_FURNITURE.match(title)) or described


def _plain_title(title: str) -> str:
    return " ".join(re.sub(r"[*_`]|\{#[^}]*\}", "", title).split()).strip(" :")
