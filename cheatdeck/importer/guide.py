"""`import`: turn a free-form study guide into Markdown notes files a learner can edit and build.

A guide is a Markdown file, an HTML page (read with a real HTML5 parser) or a folder of Markdown files (an
Obsidian vault; hidden folders skipped). Its headings down to a chosen level become notes; a heading with
no text of its own only groups others, so it is dropped and its name becomes their tag. Each note's first
sentence is its summary, links under a "References"-like heading or label become its references, and its
kind (with `learning`, `formula` and the grid fields) is guessed by the deck's kind rules
(`cheatdeck.importer.kind_rules`). Every guess is reported.

Ids are slugs of the heading (of its parent headings too, where two headings share a name), so importing the
same guide again gives the same ids. Re-importing rewrites only what the guide changed: a record beside the
notes (`cheatdeck.import.json`) holds a hash of every note as imported, and a note whose text no longer
matches it was edited by the learner and is kept as they left it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from pydantic import ValidationError

from cheatdeck.cards.fragments import is_generic_title, is_numbered_case, is_overview_title
from cheatdeck.importer.author_facts import MAX_ANSWER_WORDS, MAX_ROWS, author_facts
from cheatdeck.importer.files import (
    Picture,
    drop_unsafe_links,
    guide_files,
    read_picture,
    recover_import,
    write_files,
)
from cheatdeck.importer.kind_rules import (
    Evidence,
    guess_kind,
    guess_learning,
    guess_task,
    is_ml_import,
    labelled_fields,
)
from cheatdeck.importer.obsidian import (
    MAX_FACTS,
    Vault,
    aliases,
    open_vault,
    read_obsidian,
    statement_note,
)
from cheatdeck.importer.structure import REFERENCE_SECTION, outline, title_heading
from cheatdeck.importer.summaries import choose_summary, code_list_items, defined_term, plain_terms
from cheatdeck.notes.kinds import BUILTIN, Kinds
from cheatdeck.notes.markdown_sources import (
    NOTE_HEADING,
    format_markdown_note,
    group_heading,
    markdown_headings,
    note_sections,
    slugify,
)
from cheatdeck.notes.model import SLUG_PATTERN, Deck, Location, Note, Notebook, Rule
from cheatdeck.notes.render import is_remote, link_targets, normalise_link

RECORD_FILE = "cheatdeck.import.json"
RECORD_VERSION = 1
DEFAULT_LEVEL = 2
DEEPEST_LEVEL = 6  # Markdown has six heading levels
REFERENCE_NAMES = (
    "references",
    "reference",
    "resources",
    "links",
    "useful links",
    "further reading",
    "see also",
    "sources",
    "read more",
    "learn more",
    "documentation",
)
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".txt")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n---[ \t]*\n", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u2028\u2029]")
_URL = re.compile(r"https?://[^\s<>()\[\]]+(?:\([^\s<>()]*\)[^\s<>()\[\]]*)*", re.IGNORECASE)


class GuideError(Exception):
    """A guide cannot be read (missing, not UTF-8, not a file or folder we know)."""


@dataclass(frozen=True)
class Guide:
    """One document to import, already turned into Markdown and cleaned."""

    name: str  # how the report names it
    output: Path  # the notes file it becomes, relative to the notes folder
    title: str
    markdown: str
    folder: Path  # where its local images are looked for (never above `root`)
    root: Path
    source: Path
    tags: tuple[str, ...] = ()  # from its front matter: given to every note
    title_line: int | None = None  # the line of its own title heading (`structure.title_heading`), if any
    intro: str = ""  # the text under its title heading, before the first topic: no note, kept in the header
    header: list[str] = field(default_factory=list, compare=False)  # guide-level reading lists, as written
    headings: list[tuple[int, int, int, str]] = field(default_factory=list, compare=False)  # of `markdown`


@dataclass
class Draft:
    """A note being made from one section of a guide."""

    title: str
    path: tuple[str, ...]  # the headings above it, then its own
    guide: Guide
    body: str
    tags: list[str] = field(default_factory=list)
    explicit_id: str | None = None
    containers: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)
    guesses: list[tuple[str, str, str]] = field(default_factory=list)  # field, value, why
    part_of: Draft | None = None  # the note of the heading above it, when that heading is a note
    heading: str = ""  # the heading's own words, when the title took its parent's name too
    id: str = ""

    @property
    def text(self) -> str:
        """The note's words, lowercase, for the kind rules."""
        return f"{self.title}\n{self.fields.get('summary', '')}\n{self.body}".lower()

    @property
    def first_sentence(self) -> str:
        return str(self.fields.get("summary", "")).lower()


@dataclass
class ImportReport:
    """What an import wrote, kept and guessed: everything a learner should review."""

    written: list[Path] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # edited by the learner; the guide changed them too
    removed: list[str] = field(default_factory=list)
    guesses: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # repairs and things left out
    structure: list[str] = field(default_factory=list)  # which headings became notes, per guide
    kinds: Counter[str] = field(default_factory=Counter)  # notes by guessed kind
    guessed: Counter[str] = field(default_factory=Counter)  # other guesses by field

    def lines(self, explain: bool = True) -> list[str]:
        """Return the report as lines of text: every guess with its reason if `explain`, else a count."""
        out = [f"wrote {path}" for path in self.written]
        counts = [
            f"{len(names)} {label}"
            for label, names in (
                ("added", self.added),
                ("updated", self.updated),
                ("unchanged", self.unchanged),
                ("kept as you edited them", self.kept),
                ("removed", self.removed),
            )
            if names
        ]
        out.append(f"notes: {', '.join(counts) or 'none'}")
        out += self.structure
        for label, names in (("updated", self.updated), ("removed", self.removed)):
            if names:
                out.append(f"{label}: {', '.join(names)}")
        for name in self.kept:
            out.append(f"kept your edit of {name}; the guide changed it too: compare by hand")
        out += [f"notice: {notice}" for notice in self.notices]
        if self.guesses and explain:
            out.append(f"guessed (review these): {len(self.guesses)}")
            out += [f"  {guess}" for guess in self.guesses]
        elif self.guesses:
            kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.kinds.items()))
            fields = ", ".join(f"{name} {count}" for name, count in sorted(self.guessed.items()))
            out.append(f"guessed (review these): kinds: {kinds}" + (f"; {fields}" if fields else ""))
            out.append("  --explain lists every guess with its reason")
        return out


# Reading guides ---------------------------------------------------------------------------------------


def read_guides(source: Path, notices: list[str]) -> list[Guide]:
    """Return the guides a source holds: one for a file, one per Markdown file for a folder."""
    if source.is_dir():
        found = []
        folder_slug = slugify(source.resolve().name)
        paths, skipped = guide_files(source, (".md", ".markdown"))
        notices += skipped
        vault = open_vault(source)
        for path in paths:
            relative = path.relative_to(source)
            parts = [slugify(part) for part in relative.parent.parts]
            output = Path(folder_slug, *parts, _notes_file_name(path))
            found.append(_read_guide(path, output, source, notices, vault))
        if not found:
            raise GuideError(f"{source}: no Markdown files (*.md) in this folder")
        return found
    if not source.is_file():
        raise GuideError(f"{source}: no such file or folder")
    return [
        _read_guide(source, Path(_notes_file_name(source)), source.parent, notices, open_vault(source.parent))
    ]


def _notes_file_name(guide: Path) -> str:
    """Return the name of the notes file a guide becomes (never README.md, which the loader skips)."""
    stem = slugify(guide.stem)
    return f"{stem}-notes.md" if stem == "readme" else f"{stem}.md"


def _read_guide(path: Path, output: Path, root: Path, notices: list[str], vault: Vault) -> Guide:
    from cheatdeck.notes.sources import clean_text

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise GuideError(
            f"{path}:{line}: not UTF-8 (byte 0x{raw[error.start]:02x}); save it as UTF-8"
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"^ {0,3}#{1,6}[ \t].*$", _heading_on_one_line, text, flags=re.MULTILINE)
    invisible = len(_INVISIBLE.findall(text))
    text = clean_text(text, lambda message: notices.append(f"{path}: {message}"))
    if invisible:
        notices.append(f"{path}: {invisible} invisible character(s) removed or made line breaks")
    controls = len(_CONTROL.findall(text))
    if controls:
        text = _CONTROL.sub("", text)
        notices.append(f"{path}: {controls} control character(s) removed")
    title, html_title, tags = "", "", tuple[str, ...]()
    front = _FRONT_MATTER.match(text)
    if front:
        text = text[front.end() :]
        title, tags = _front_matter(front["yaml"])
    if path.suffix.lower() in _HTML_SUFFIXES or (
        path.suffix.lower() not in _MARKDOWN_SUFFIXES[:-1] and _looks_like_html(text)
    ):
        from cheatdeck.importer.html_markdown import TooDeep, html_to_markdown

        html_title = _html_title(text)
        left_out: list[str] = []
        try:
            text = html_to_markdown(text, left_out)
        except TooDeep as error:
            line = error.line + (front.group(0).count("\n") if front else 0)
            raise GuideError(f"{path}:{line}: {error}; not imported") from None
        except RecursionError:
            raise GuideError(f"{path}: nested too deeply to convert; not imported") from None
        if left_out:
            notices.append(
                f"{path}: {len(left_out)} address(es) to neither the web nor a mail address left out, "
                f"their words kept: {', '.join(left_out)}"
            )
    elif path.suffix.lower() not in _MARKDOWN_SUFFIXES:
        raise GuideError(f"{path}: not a guide cheatdeck can read (expected .md, .html or a folder)")
    else:
        text = _definition_lists(text)
        text, tags = _read_obsidian(text, front["yaml"] if front else "", path, vault, notices, tags)
    text = _without_unsafe_links(text, path, notices)
    headings = markdown_headings(text)
    title_line, heading, intro = _title_heading(text, headings, path)
    title = (
        title
        or heading
        or html_title
        or path.stem.replace("-", " ").replace("_", " ").strip()
        or "Imported notes"
    )
    guide = Guide(str(path), output, _plain(title), text, path.parent, root, path, tags, title_line, intro)
    guide.headings.extend(headings)
    return guide


def _title_heading(
    text: str, headings: list[tuple[int, int, int, str]], path: Path
) -> tuple[int | None, str, str]:
    """Return the line of the guide's own title heading (`structure.title_heading`), its title and the
    text under it before the first topic (None, "", "" when it has none)."""
    lines = text.split("\n")
    line = title_heading(lines, headings, path.stem)
    if line is None:
        return None, "", ""
    intro = "\n".join(lines[headings[0][2] : headings[1][1]]).strip("\n")
    return line, _heading_title(headings[0][3]), intro


def _without_unsafe_links(text: str, path: Path, notices: list[str]) -> str:
    """Keep only the words of links that go neither to the web nor to a mail address, and say so."""
    code: set[int] = set()
    for token in _BLOCKS.parse(text):
        if token.type in ("fence", "code_block") and token.map:
            code.update(range(*token.map))
    text, dropped = drop_unsafe_links(text, code)
    if dropped:
        lines = ", ".join(sorted({str(line) for line, _ in dropped}, key=int))
        notices.append(
            f"{path}: {len(dropped)} link(s) to neither the web nor a mail address (javascript:, data:, "
            f"file: …) left out, their words kept (line(s) {lines})"
        )
    return text


def _read_obsidian(
    text: str, front: str, path: Path, vault: Vault, notices: list[str], tags: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
    """Read a Markdown guide's Obsidian markup (`obsidian.read_obsidian`); add its `#tags` lines to its
    tags and its front matter's aliases to its text."""
    text, own_tags = read_obsidian(text, path.parent, vault, notices, str(path))
    also = aliases(_yaml_mapping(front)) if front else []
    if also:
        text = _with_aliases(text, also)
    return text, (*tags, *(tag for tag in own_tags if tag not in tags))


def _yaml_mapping(text: str) -> object:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _with_aliases(text: str, names: list[str]) -> str:
    """Put "Also called: …" at the end of the text before the first heading (the file's own note)."""
    headings = markdown_headings(text)
    lines = text.split("\n")
    at = headings[0][1] if headings else len(lines)
    return "\n".join([*lines[:at], "", f"Also called: {', '.join(names)}.", "", *lines[at:]])


_TERM_LINE = re.compile(r"^ {0,3}(?![-*+>|#:]\s|\d+[.)]\s|```|~~~|<)(?P<term>\S[^\n]{0,79}?)\s*$")
_DEFINITION_LINE = re.compile(r"^ {0,3}:[ \t]+(?P<text>\S.*)$")


def _definition_lists(text: str) -> str:
    """Return a Markdown text with its definition lists (Pandoc's, PHP Markdown Extra's: a term on a line,
    its definition on the next line or the one after, opening with ": ") written as a guide written in
    Markdown defines a term, "**Term**: definition", as an HTML <dl> is read. Every line keeps its
    number: the definition's lines are left blank, so the report names the guide's own lines."""
    lines = text.split("\n")
    fenced = False
    for number, line in enumerate(lines):
        if re.match(r"^ {0,3}(```|~~~)", line):
            fenced = not fenced
        term = _TERM_LINE.match(line)
        if fenced or term is None or (number and lines[number - 1].strip()) or ":" in term["term"][-1:]:
            continue
        at = number + 1 + (number + 1 < len(lines) and not lines[number + 1].strip())
        definition = _DEFINITION_LINE.match(lines[at]) if at < len(lines) else None
        if definition is None or len(term["term"].split()) > 8:
            continue
        said = [definition["text"].strip()]
        follow = at + 1
        while follow < len(lines) and lines[follow].strip():
            more = _DEFINITION_LINE.match(lines[follow])  # a second definition of the term
            if more is None and not lines[follow].startswith((" ", "\t")):
                break
            ended = said[-1].endswith((".", "!", "?", ";"))  # a sentence ended: the next one follows it
            said.append(f"{'' if ended else '; '}{more['text'].strip()}" if more else lines[follow].strip())
            lines[follow] = ""
            follow += 1
        lines[number] = f"**{term['term'].strip()}**: {' '.join(said).replace(' ; ', '; ')}"
        lines[at] = ""
    return "\n".join(lines)


def _heading_on_one_line(match: re.Match[str]) -> str:
    """Keep a heading on one line: a line or paragraph separator in it is a space, not a break."""
    return match[0].replace("\u2028", " ").replace("\u2029", " ")


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:2000].lower()
    return head.startswith(("<!doctype html", "<html")) or bool(
        re.search(r"<(div|p|h[1-6]|body|article|section)[\s>]", head)
    )


def _front_matter(text: str) -> tuple[str, tuple[str, ...]]:
    """Return the title and tags a guide's front matter gives (Jekyll, Obsidian), if any."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return "", ()
    if not isinstance(data, dict):
        return "", ()
    title = data.get("title")
    tags = data.get("tags") or ()
    if isinstance(tags, str):
        tags = re.split(r"[,\s]+", tags)
    names = tuple(slugify(str(tag)) for tag in tags if isinstance(tag, str | int) and str(tag).strip())
    return (title.strip() if isinstance(title, str) else ""), names


def _html_title(text: str) -> str:
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", "", match[1])).split()) if match else ""


# Sections → drafts -------------------------------------------------------------------------------------


@dataclass
class _Section:
    level: int
    title: str
    start: int
    end: int  # first line after the heading
    stop: int  # first line of the next section at this level or above
    children: list[_Section] = field(default_factory=list)
    own_stop: int = 0  # first line of the first child


def draft_notes(
    guide: Guide,
    level: int | None,
    notices: list[str],
    media: dict[Path, str],
    choices: list[str] | None = None,
) -> list[Draft]:
    """Return a draft note for every section of the guide that has text of its own: the topics the guide's
    outline shows (`guide_structure`), or every heading down to `level`."""
    lines = guide.markdown.split("\n")
    headings, furniture = _topic_headings(guide, lines, level, choices)
    titles = Counter(_heading_title(heading[3]).lower() for heading in headings)
    roots = _sections(headings, len(lines))
    drafts: list[Draft] = []
    if not guide.markdown.strip():
        return _title_only(guide)
    first = headings[0][1] if headings else len(lines)
    preamble = "\n".join(lines[:first])
    drafts += _preamble(guide, preamble, notices, media)
    # a generic top heading is a part of the file's own topic (an Obsidian note), or of the guide's
    # subject: "HashiCorp Terraform Associate: Troubleshooting", not "… (003) – My Study Notes: …"
    top: tuple[str, Draft | None] = (
        _guide_subject(guide.title) if guide.title_line is not None else guide.title,
        None,
    )

    def walk(
        section: _Section,
        path: tuple[str, ...],
        containers: tuple[str, ...],
        parent: tuple[str, Draft | None],
    ) -> None:
        """Draft a section and those under it; `parent`: the heading above it, and its note (if any)."""
        if section.start in furniture:
            notices.append(_left_out(guide, section, lines, parent[1], furniture[section.start]))
            return
        own, children = _own_text(guide, section, lines, notices)
        if _folded_list(guide, section, "" if children else own, parent[1], notices):
            return
        title = _title_in_context(section.title, parent[0], parent[1] is not None, titles)
        made = _draft(guide, title, (*path, title), containers, own, notices, media, section.start + 1)
        _note_parent(made, parent[1], _heading_title(section.title) if title != section.title else "")
        drafts.extend(made)
        if not made and children:
            containers = (*containers, _heading_title(section.title))  # its own name, not its parent's
        elif not made:
            notices.append(f"{guide.name}:{section.start + 1}: empty section {_plain(title)!r} left out")
        for child in children:
            walk(child, (*path, title), containers, (section.title, made[0] if made else None))

    for root in roots:
        walk(root, (), (), top)
    return drafts


def _preamble(guide: Guide, preamble: str, notices: list[str], media: dict[Path, str]) -> list[Draft]:
    """Return the note of the text before the guide's first topic: none under the guide's title heading
    (that text is its introduction, kept in the header), else the file's own topic (Obsidian)."""
    if guide.title_line is not None:
        kept = " (its introduction is kept under it)" if guide.intro.strip() else ""
        where = f"{guide.name}:{guide.title_line + 1}"
        notices.append(f"{where}: {guide.title!r} is the guide's title, not a topic{kept}")
        return []
    if not preamble.strip():
        return []
    return _draft(guide, guide.title, (guide.title,), (), preamble, notices, media, line=1)


def _list_only(text: str) -> list[str] | None:
    """Return the items of a section's text that is one plain list and nothing else (no sentence, no
    nested list), or None."""
    items = []
    for line in text.strip("\n").split("\n"):
        item = re.match(r"^(?:[-*+]|\d+[.)])\s+(?P<text>\S.*)$", line)
        if item:
            items.append(_plain(item["text"]).rstrip(".;,"))
        elif line.strip():
            return None
    return items if len(items) >= 2 else None


def _folded_list(guide: Guide, section: _Section, own: str, parent: Draft | None, notices: list[str]) -> bool:
    """Fold a short list-only section into the note above it (its list at the end of that note's text,
    asked as a fact: "Port states?" → "Blocking, Listening, …") and say so; True when folded."""
    items = _list_only(own)  # (a section with sub-headings is given as no text)
    if (
        items is None
        or code_list_items(own)
        or all(defined_term(line) for line in own.split("\n") if line.strip())
        or plain_terms(own.split("\n"))
    ):
        return False  # a list of terms and their meanings asks each meaning: a note of its own
    notices.append(f"{guide.name}:{section.start + 1}: {_listed(section, own, items, parent)}")
    return parent is not None and len(items) <= MAX_ROWS


def _listed(section: _Section, own: str, items: list[str], parent: Draft | None) -> str:
    """Fold a list-only section into `parent` if it can (`_folded_list`); return what was done."""
    heading = _heading_title(section.title)
    answer = ", ".join(items)
    if parent is None:
        return f"{heading!r} makes no term card: its text is only a list, and no note is above it"
    if len(items) > MAX_ROWS:
        return (
            f"{heading!r} makes no term card: its text is only a list of {len(items)} items (over {MAX_ROWS})"
        )
    parent.body = _tidy(f"{parent.body}\n{heading}:\n\n{own.strip()}")
    facts = parent.fields.setdefault("facts", [])
    if len(answer.split()) > MAX_ANSWER_WORDS or len(facts) >= MAX_FACTS + MAX_ROWS:
        return f"{heading!r} is only a list: kept at the end of {parent.title!r} (too long to ask as a fact)"
    facts.append({"q": f"{heading}?", "a": answer})
    parent.guesses.append(("facts", "1", f"the list under {heading!r}"))
    return f"{heading!r} is only a list: kept at the end of {parent.title!r}, and asked as a fact"


def _left_out(guide: Guide, section: _Section, lines: list[str], parent: Draft | None, why: str) -> str:
    """Return the notice for a section that is no note (a reading list's links go where they belong)."""
    if REFERENCE_SECTION.match(_heading_title(section.title)):
        why = _reading_list(guide, section, lines, parent)
    return f"{guide.name}:{section.start + 1}: {_plain(section.title)!r} left out ({why})"


def _own_text(
    guide: Guide, section: _Section, lines: list[str], notices: list[str]
) -> tuple[str, list[_Section]]:
    """Return a section's own text and the sections under it; a first sub-heading "Overview",
    "Introduction", "Definition" … is the section's own text ("OSPF" → "Overview": one note, "OSPF")."""
    own_stop = section.children[0].start if section.children else section.stop
    own = "\n".join(lines[section.end : own_stop])
    children = section.children
    if not children or not is_overview_title(_heading_title(children[0].title)):
        return own, children
    overview = children[0]
    overview_stop = overview.children[0].start if overview.children else overview.stop
    own = "\n\n".join(part for part in (own, "\n".join(lines[overview.end : overview_stop])) if part.strip())
    notices.append(
        f"{guide.name}:{overview.start + 1}: {_heading_title(overview.title)!r} is "
        f"{_heading_title(section.title)!r}'s own text: one note"
    )
    return own, [*overview.children, *children[1:]]


def _reading_list(guide: Guide, section: _Section, lines: list[str], parent: Draft | None) -> str:
    """Attach the links of a "References"-like section to the note above it (its lines with no link go
    to the end of that note's body); under no note, keep the section in the notes file's header. Return
    what was done, for the report."""
    text = "\n".join(lines[section.end : section.stop]).strip("\n")
    if parent is None:
        guide.header.append(f"**{_heading_title(section.title)}**\n\n{text}")
        return "it lists where to read more: kept in the notes file's header, not as a note"
    links = _links(text)
    owner = parent.fields.setdefault("references", [])
    for url, label in links:
        if all(_reference_url(ref) != url for ref in owner):
            owner.append({"url": url, "label": label} if label and label != url else url)
    unlinked = [line for line in text.split("\n") if line.strip() and not _links(line)]
    if unlinked:
        parent.body = _tidy(f"{parent.body}\n{_heading_title(section.title)}:\n\n" + "\n".join(unlinked))
    return f"it lists where to read more: its {len(links)} link(s) are {parent.title!r}'s references" + (
        ", its other lines end that note's text" if unlinked else ""
    )


def _title_only(guide: Guide) -> list[Draft]:
    """Return the note of a guide with no text whose name states its fact (Obsidian's one-line notes)."""
    statement = statement_note(guide.source.stem)
    if statement is None:
        return []
    title, summary = statement
    draft = Draft(title, (title,), guide, "", tags=list(guide.tags))
    draft.fields["summary"] = _without_own_name(summary, title)
    draft.guesses.append(("title", title, "the file has no text: its name is the fact"))
    return [draft]


def _note_parent(made: list[Draft], parent: Draft | None, heading: str) -> None:
    """Remember the note a section's note is part of, and its heading's own words when its title took its
    parent's name too (and say so)."""
    if made and parent is not None:
        made[0].part_of = parent
    if made and heading:
        made[0].heading = heading
        made[0].guesses.append(
            ("title", made[0].title, "a generic or repeated heading: its parent's name added")
        )


def _sections(headings: list[tuple[int, int, int, str]], line_count: int) -> list[_Section]:
    """Return the headings as a tree of sections (the top-level ones)."""
    roots: list[_Section] = []
    stack: list[_Section] = []
    for heading_level, start, end, title in headings:
        section = _Section(heading_level, title, start, end, line_count)
        while stack and stack[-1].level >= heading_level:
            stack.pop().stop = start
        (stack[-1].children if stack else roots).append(section)
        stack.append(section)
    return roots


def _topic_headings(
    guide: Guide, lines: list[str], level: int | None, choices: list[str] | None
) -> tuple[list[tuple[int, int, int, str]], dict[int, str]]:
    """Return the headings that begin a note (and furniture: start line → why it is left out)."""
    headings = guide.headings or markdown_headings(guide.markdown)
    if level is not None:  # the guide's title heading still only names the guide
        return [h for h in headings if h[0] <= level and h[1] != guide.title_line], {}
    chosen = outline(lines, headings, guide.title_line)
    if choices is not None and headings:
        choices.append(chosen.describe(guide.name))
    return [h for h in headings if h[1] in chosen.topics], chosen.furniture


def _title_in_context(heading: str, parent: str, under_note: bool, titles: Counter[str]) -> str:
    """Return a heading whose title is ambiguous with its parent's name before it: "Imputing missing data:
    Regression", not a bare "Regression". Ambiguous: generic ("Side effects"), repeated in the guide, or a
    word or two under a heading that is a note itself (a method of that topic, not a topic of its own),
    unless that heading compares things: "Sentinel" under "Terraform Cloud vs Terraform Enterprise" is no
    part of a comparison."""
    plain = _heading_title(heading)
    if not parent or NOTE_HEADING.match(heading) or _definition(plain):
        return heading
    short_part = under_note and len(plain.split()) <= 2 and not _COMPARES.search(_heading_title(parent))
    if not (titles[plain.lower()] > 1 or is_generic_title(plain) or short_part):
        return heading
    return f"{_heading_title(parent)}: {plain}"


_NOTES_WORDS = re.compile(
    r"(?:\s+|^)(?:(?:my|the|a|an|some|personal|quick|exam|study|revision|review|cram|cheat|prep|"
    r"preparation|complete|ultimate|final)\s+)*(?:notes?|guide|sheet|cheat-?sheet|summary|handbook|"
    r"primer|recap|flashcards)$",
    re.IGNORECASE,
)


def _guide_subject(title: str) -> str:
    """Return what a guide's title says it is about: "HashiCorp Terraform Associate (003) – My Study
    Notes" → "HashiCorp Terraform Associate" (asides in brackets and the words that say it is notes left
    out); "" when nothing else is left."""
    text = re.sub(r"\s*\([^()]*\)", "", title)
    for part in re.split(r"\s+[–—-]\s+|:\s+|\s+\|\s+", text):
        subject = _NOTES_WORDS.sub("", part.strip()).strip(" -–—:")
        if subject:
            return subject
    return ""


_COMPARES = re.compile(
    r"\s(vs\.?|versus|v\.)\s|\bcompared (to|with)\b|^(comparison|comparing|differences?)\b", re.I
)
"""A heading that compares things ("IFRS vs US GAAP", "Comparison of …"): not a topic with parts."""


def _heading_title(heading: str) -> str:
    """Return a heading's text as a clean title (its `{#id}` left out)."""
    return _clean_title(_plain(NOTE_HEADING.sub(r"\g<title>", heading)))


def _draft(
    guide: Guide,
    heading: str,
    path: tuple[str, ...],
    containers: tuple[str, ...],
    own: str,
    notices: list[str],
    media: dict[Path, str],
    line: int,
) -> list[Draft]:
    """Make the draft for one section, or none if it has no text of its own."""
    explicit = NOTE_HEADING.match(heading)
    title = _clean_title(_plain(explicit["title"] if explicit else heading))
    where = f"{guide.name}:{line}"
    draft = Draft(
        title, tuple(_clean_title(_plain(NOTE_HEADING.sub(r"\g<title>", p))) for p in path), guide, own
    )
    draft.explicit_id = explicit["id"] if explicit and re.match(SLUG_PATTERN, explicit["id"]) else None
    draft.containers = containers
    draft.tags = [*guide.tags, *(slugify(name) for name in containers)]
    body = _strip_heading_ids(own)
    body, references = _take_references(body)
    body = _images(body, guide, media, notices, where)
    body = _relative_links_as_text(body, notices, where)
    definition = _definition(title)
    if not body.strip() and not references and not definition:
        return []
    if definition:
        draft.title, summary = definition
        draft.path = (*draft.path[:-1], draft.title)
        draft.guesses.append(("title", draft.title, "the heading's text after ':' is its definition"))
        draft.fields["summary"] = summary
    else:
        chosen = choose_summary(body, draft.title)
        body, summary, how = chosen.body, chosen.text, chosen.how
        short = _without_own_name(summary, draft.title)
        if short != summary:
            how = how or "the first sentence, without the name it starts with (cards ask for the name)"
        if not short:
            how = f"{how}: the title stands in, so no term card (write what it is)"
        draft.fields["summary"] = short or draft.title
        if how:
            draft.guesses.append(("summary", "", how))
        _name_the_case(draft)
    # after the summary: a highlight in it is bold there, no fact
    unasked: list[tuple[str, str]] = []
    body, facts, said = author_facts(body, draft.title, str(draft.fields.get("summary", "")), unasked)
    for term, why in unasked:
        notices.append(
            f"{guide.name}:{_line_of(guide, term, line)}: {term!r} in {title!r} makes no card ({why})"
        )
    if facts:
        draft.fields["facts"] = facts
        draft.guesses.append(("facts", str(len(facts)), f"the author's marks: {', '.join(said)}"))
    body, formula = _formula(body, draft.title)
    if formula:
        draft.fields["formula"] = formula
    draft.body = _tidy(body)
    if references:
        draft.fields["references"] = references
    return [draft]


def _line_of(guide: Guide, term: str, line: int) -> int:
    """Return the number of the guide's first line from `line` on that says `term` in bold (else `line`)."""
    lines = guide.markdown.split("\n")
    bold = (f"**{term}", f"__{term}")
    return next(
        (number + 1 for number in range(line - 1, len(lines)) if any(b in lines[number] for b in bold)), line
    )


def _guess_kinds(drafts: list[Draft], kinds: Kinds) -> None:
    """Guess every draft's kind; the built-in ML kinds only for an import that speaks of ML."""
    ml_guide = is_ml_import(["\n".join((*draft.path, draft.text)) for draft in drafts])
    for draft in drafts:
        _guess_kind(draft, kinds, ml_guide)


def _guess_kind(draft: Draft, kinds: Kinds, ml_guide: bool = True) -> None:
    """Guess a draft's kind, learning type and grid fields from the deck's rules and the guide's labels."""
    folders = (
        draft.guide.source.parent.relative_to(draft.guide.root).parts
        if draft.guide.root != draft.guide.source.parent
        else ()
    )
    evidence = Evidence(
        draft.title,
        str(draft.fields.get("summary", "")),
        draft.body,
        draft.path[:-1],
        folders,
        draft.tags,
        "formula" in draft.fields,
        draft.heading,
        ml_guide,
    )
    kind, why = guess_kind(kinds, evidence)
    parent = draft.part_of
    if (
        parent is not None
        and "kind" in parent.fields
        and (not why.startswith("the title") or _generic_part(draft.title, parent.title))
    ):
        kind, why = parent.fields["kind"], f"a part of {parent.title!r}, which is a {parent.fields['kind']}"
    guesses = [("kind", kind, why)]
    fields = {
        name: value
        for name, value in draft.fields.items()
        if name != "formula" or "formula" in kinds[kind].fields
    }
    own = kinds[kind].fields
    if "learning" in own:
        learning = guess_learning(evidence)
        if learning:
            fields["learning"] = learning[0]
            guesses.append(("learning", *learning))
    if "task" in own and kinds[kind].recognise is None and kind == "algorithm":
        task = guess_task(evidence)
        if task:
            fields["task"] = task[0]
            guesses.append(("task", *task))
    body, labelled = labelled_fields(
        draft.body, [name for name in own if name not in ("learning", "formula")]
    )
    for name, (value, reason) in labelled.items():
        fields[name] = value
        guesses.append((name, value, reason))
    draft.body = _tidy(body)
    draft.fields = {"kind": kind, **fields}
    draft.guesses[:0] = guesses
    if "formula" in draft.fields:
        draft.guesses.append(("formula", draft.fields["formula"], "a line 'Title = …' in the section"))


def _name_the_case(draft: Draft) -> None:
    """Title a numbered case ("Scenario 01", "Example 2") by the situation its text opens with:
    "A pod stays Pending: kubectl describe pod shows …" → "Troubleshooting: A pod stays Pending"."""
    prefix, _, own = draft.title.rpartition(": ")
    if not is_numbered_case(own):
        return
    lead, colon, rest = str(draft.fields["summary"]).partition(": ")
    if not colon or not 2 <= len(lead.split()) <= 10 or len(rest.split()) < 3:
        return
    draft.title = f"{prefix}: {lead}" if prefix else lead
    draft.path = (*draft.path[:-1], draft.title)
    draft.fields["summary"] = rest[0].upper() + rest[1:]
    draft.guesses.append(("title", draft.title, f"{own!r} names no topic: the situation its text opens with"))


def _generic_part(title: str, parent: str) -> bool:
    """True for "Parent: Part" where the part is one or two words: a method or aspect of the parent."""
    part = title.removeprefix(f"{parent}: ")
    return part != title and len(part.split()) <= 2


_SECTION_NUMBER = re.compile(r"^(\d+(\.\d+)*[.)]|\d+\s*[-–—]|0\d|\d+(\.\d+)+(?=\s+[A-Z(]))\s+(?=\S)")
"""A heading's numbering: "4. ", "01 - ", "2.2 " (an exam objective's number before a capital)."""
_DECORATION = re.compile(
    r"^[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2190-\u21FF\uFE0F\u200D\s]+(?=\w)"
)
"""Emoji and symbols before a heading's words ("🔐 Cryptography", "✅ Summary"): decoration, no title."""


def _clean_title(title: str) -> str:
    """Return a heading as a note's title: no HTML, numbering ("4. ", "01 - ", "2.2 "), line separators
    or trailing colon."""
    title = re.sub(r"<[^>]+>", "", title).replace("\u2028", " ").replace("\u2029", " ")
    title = _SECTION_NUMBER.sub("", _DECORATION.sub("", " ".join(title.split())))
    asked = re.fullmatch(
        r"(?:what(?:'s| is| are)|who is)\s+(?:an?\s+|the\s+)?(?P<name>.+?)\s*\?", title, re.I
    )
    if asked:  # "What is a VPC?": the card asks that itself
        title = asked["name"][0].upper() + asked["name"][1:] if asked["name"][0].islower() else asked["name"]
    return title.rstrip(" :").strip() or title


def _definition(title: str) -> tuple[str, str] | None:
    """Split 'Name: a definition …' into the name and the definition (as a sentence)."""
    name, colon, rest = title.partition(": ")
    rest = rest.strip()
    words = rest.split()
    if not colon or len(name.split()) > 6 or len(words) < 3:
        return None
    if not (rest[0].islower() or words[0].lower() in ("a", "an", "the")):
        return None
    sentence = rest[0].upper() + rest[1:]
    return name.strip(), sentence if sentence.endswith((".", "!", "?")) else f"{sentence}."


def _strip_heading_ids(body: str) -> str:
    lines = body.split("\n")
    for _, start, end, text in markdown_headings(body):
        match = NOTE_HEADING.match(text)
        if match and end == start + 1:
            lines[start] = lines[start].replace(f"{{#{match['id']}}}", "").rstrip()
    return "\n".join(lines)


_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_BLOCKS = MarkdownIt("commonmark").enable(["table"]).disable("inline")  # inline tokens keep their text


def _top_blocks(text: str) -> list[tuple[Token, Token | None]]:
    """Return the top-level block tokens (with their inline token, if any) of a Markdown text."""
    tokens = _BLOCKS.parse(text)
    blocks = []
    for index, token in enumerate(tokens):
        if token.level == 0 and token.map is not None and not token.type.endswith("_close"):
            inline = (
                tokens[index + 1] if index + 1 < len(tokens) and tokens[index + 1].type == "inline" else None
            )
            blocks.append((token, inline))
    return blocks


def _label_name(token: Token, inline: Token | None) -> str | None:
    """Return the lowercased name of a heading or a bold-only paragraph ('**References**'), else None."""
    if inline is None or token.type not in ("heading_open", "paragraph_open"):
        return None
    content = inline.content.strip()
    if token.type == "paragraph_open":
        match = re.fullmatch(r"(\*\*|__)(.+?):?\1:?|([A-Za-z ]{3,30}):", content)
        if not match:
            return None
        content = match[2] or match[3]
    return _plain(content).rstrip(":").strip().lower()


def _take_references(body: str) -> tuple[str, list[Any]]:
    """Move the links under "References"-like headings or labels out of the body."""
    lines = body.split("\n")
    blocks = _top_blocks(body)
    references: list[Any] = []
    remove: list[tuple[int, int]] = []
    for position, (token, inline) in enumerate(blocks):
        if _label_name(token, inline) not in REFERENCE_NAMES:
            continue
        assert token.map is not None
        start, stop = token.map[0], len(lines)
        for later, later_inline in blocks[position + 1 :]:
            assert later.map is not None
            if later.type == "heading_open" or _label_name(later, later_inline) is not None:
                stop = later.map[0]
                break
        block = "\n".join(lines[token.map[1] : stop])
        links = _links(block)
        if not links:
            continue
        for url, label in links:
            if all(_reference_url(ref) != url for ref in references):
                references.append({"url": url, "label": label} if label and label != url else url)
        if not _leftover_text(block):
            remove.append((start, stop))
    for start, stop in reversed(remove):
        del lines[start:stop]
    return "\n".join(lines), references


def _reference_url(reference: Any) -> str:
    return str(reference["url"] if isinstance(reference, dict) else reference)


def _links(text: str) -> list[tuple[str, str]]:
    """Return (url, label) for every http(s) link in a Markdown text, in order."""
    found: list[tuple[str, str]] = []
    for token in _MARKDOWN.parse(text):
        children = token.children or []
        for index, child in enumerate(children):
            if child.type == "link_open":
                href = str(child.attrGet("href") or "")
                label = ""
                for inner in children[index + 1 :]:
                    if inner.type == "link_close":
                        break
                    label += inner.content
                if href.lower().startswith(("http://", "https://")):
                    found.append((href, " ".join(label.replace("[", "(").replace("]", ")").split())))
            elif child.type == "text":
                found += [(url, "") for url in _URL.findall(child.content)]
    return found


def _leftover_text(block: str) -> str:
    """Return the words of a block that are not links (list markers and punctuation aside)."""
    text = re.sub(r"!?\[[^\]]*\]\([^)]*\)|<https?://[^>]+>", "", block)
    text = _URL.sub("", text)
    return re.sub(r"[\s\-*+:;,.()|>#0-9]+", "", text)


def _images(body: str, guide: Guide, media: dict[Path, str], notices: list[str], where: str) -> str:
    """Remote images become links; a local image found beside the guide goes to media/, else is left out."""

    def replace(match: re.Match[str]) -> str:
        alt, src = match["alt"], match["src"].strip("<>")
        if is_remote(src):
            if not src.lower().startswith(("http://", "https://")):
                notices.append(f"{where}: image {src} left out (not an http(s) link)")
                return alt
            return f"[{alt or 'image'} (image)]({src})"
        picture = read_picture(guide.folder, guide.root, src)
        if isinstance(picture, str):
            if picture.startswith("not found"):
                notices.append(f"{where}: image {src} {picture}; left out")
            else:
                notices.append(f"{where}: image {src} left out: {picture}")
            return ""
        name = media.setdefault(picture.path, _media_name(picture, media))
        return f"![{alt}](media/{name})"

    return re.sub(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+\"[^\"]*\")?\)", replace, body)


_INLINE_LINK = re.compile(
    r"(?<!!)\[(?P<label>(?:[^\[\]]|\[[^\]]*\])*)\]\((?P<href>[^)\s]*(?:\([^)\s]*\)[^)\s]*)*)(?:\s+\"[^\"]*\")?\)"
)
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(?P<href>[^\s>]+)>?")


def _relative_links_as_text(body: str, notices: list[str], where: str) -> str:
    """Keep a relative link's text and drop its target: nothing tells where it points once imported."""
    targets = {href for href in link_targets(body) if not is_remote(href) and not href.startswith("#")}
    if not targets:
        return body
    code: set[int] = set()
    for token in _BLOCKS.parse(body):
        if token.type in ("fence", "code_block") and token.map:
            code.update(range(*token.map))
    lines = body.split("\n")
    for number, line in enumerate(lines):
        if number in code:
            continue
        definition = _LINK_DEFINITION.match(line)
        if definition and normalise_link(definition["href"]) in targets:
            lines[number] = ""
            continue
        lines[number] = _INLINE_LINK.sub(
            lambda m: m["label"] if normalise_link(m["href"]) in targets else m[0], line
        )
    notices.append(f"{where}: relative link(s) {', '.join(sorted(targets))} kept as text (no address)")
    return "\n".join(lines)


def _media_name(picture: Picture, media: dict[Path, str]) -> str:
    """Return a name in media/ for a picture: a slug of its name, with the suffix its content has."""
    stem, suffix = slugify(picture.path.stem), picture.suffix
    name, number = f"{stem}{suffix}", 2
    while name in media.values():
        name, number = f"{stem}-{number}{suffix}", number + 1
    return name


_NOT_VERBS = frozenset(
    re.findall(
        r"\w+",
        "is was has are were have and or of in on for to with by from as at the a an that which who can may "
        "must should will would do does",
    )
)


def _without_own_name(summary: str, title: str) -> str:
    """Drop a leading 'Title is …' from a summary: the term card shows the title, the reverse card asks
    for it, and a summary that names it gives the answer away."""
    names = {
        title,
        re.sub(r"\s+algorithm$", "", title, flags=re.IGNORECASE),
        re.sub(r"\s*\(.*?\)", "", title),
    }
    words = title.split()
    if len(words) > 1:  # "Serverless Inference scales …" under "SageMaker Serverless Inference"
        names.add(" ".join(words[1:]))
    if len(words) == 1 and "-" in title and len(title.rsplit("-", 1)[1]) >= 4:
        names.add(title.rsplit("-", 1)[1])  # "The scheduler picks …" under "kube-scheduler"
    if re.fullmatch(r"[A-Z]{2,6}", title):  # "Principal Component Analysis reduces …" under "PCA"
        spelled = r"\s+".join(rf"{letter}[\w-]*" for letter in title)
        expansion = re.match(rf"^(?:the\s+)?({spelled})\b", summary, re.IGNORECASE)
        if expansion:
            names.add(expansion[1])
    names.add("it")  # "It is a topic modeling technique …"
    named = re.match(
        r"^(?:the\s+)?(?P<short>[\w-]+(?:\s+[\w-]+){0,3})\s*\((?P<long>[^)]+)\)\s+(?:is|are)\s", summary, re.I
    )
    if named and any(part.lower() in title.lower() for part in (named["short"], named["long"])):
        names.add(f"{named['short']} ({named['long']})")  # "TF-IDF (term frequency-…) is …"
    for name in sorted(names, key=len, reverse=True):
        pattern = rf"^(?:the\s+|an?\s+)?{re.escape(name)}(?:\s+algorithm)?\s+(?:is|are)\s+(?P<rest>\S.*)$"
        match = re.match(pattern, summary, re.IGNORECASE | re.DOTALL)
        if match and len(match["rest"].split()) >= 3:
            return match["rest"][0].upper() + match["rest"][1:]
        # "K-Means groups records …" → "Groups records …": a verb after the name says what it does
        verb = r"[a-z]+s?" if name.lower().endswith("s") else r"[a-z]+s"  # "ACE inhibitors block …"
        does = re.match(
            rf"^(?i:the\s+|an?\s+)?(?i:{re.escape(name)})\s+(?P<rest>{verb}\b\s+\S.*)$", summary, re.DOTALL
        )
        if does and len(does["rest"].split()) >= 4 and does["rest"].split()[0] not in _NOT_VERBS:
            return does["rest"][0].upper() + does["rest"][1:]
    return summary


def _only_links(content: str) -> bool:
    return not re.sub(r"!?\[[^\]]*\]\([^)]*\)|<[^>]+>|\s|\\", "", content)


def _formula(body: str, title: str) -> tuple[str, str]:
    """Take a paragraph that is only 'Title = expression' out of the body as the formula."""
    lines = body.split("\n")
    for token, inline in _top_blocks(body):
        if token.type != "paragraph_open" or inline is None or "\n" in inline.content:
            continue
        name, equals, expression = _plain(inline.content).partition("=")
        if equals and expression.strip() and name.strip().lower() == title.lower():
            assert token.map is not None
            del lines[token.map[0] : token.map[1]]
            return "\n".join(lines), f"{name.strip()} = {expression.strip()}"
    return body, ""


def _tidy(body: str) -> str:
    text = re.sub(r"\n{3,}", "\n\n", body).strip("\n")
    return f"{text}\n" if text.strip() else ""


def _plain(text: str) -> str:
    """Return inline Markdown as plain text: links as their text, emphasis and escapes removed."""
    text = re.sub(r"!?\[([^\]]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)", r"\1", text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])", r"\1", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>|~])", r"\1", text)
    return " ".join(text.split())


# Ids ------------------------------------------------------------------------------------------------


def assign_ids(
    drafts: Sequence[Draft], taken: set[str], saved: dict[Path, dict[tuple[str, ...], str]]
) -> None:
    """Give every draft an id: its explicit `{#id}`; else the id an earlier import gave the same heading
    path (`saved`: notes file → heading path → id); else the id an earlier import of its notes file gave
    the same section titled by other naming rules (`_own_headings`); else the slug of its heading,
    widened with the parent headings' until it is unique (then numbered). The same guide always gives
    the same ids, and a re-import keeps them."""
    known = {path: note_id for paths in saved.values() for path, note_id in paths.items()}
    used = set(taken) | {draft.explicit_id for draft in drafts if draft.explicit_id}
    pending = []
    for draft in drafts:
        if draft.explicit_id:
            draft.id = draft.explicit_id
        elif known.get(draft.path) and known[draft.path] not in used:
            draft.id = known[draft.path]
            used.add(draft.id)
        else:
            pending.append(draft)
    pending = _same_sections(pending, saved, used)
    depth = {id(draft): 1 for draft in pending}
    while pending:
        candidates: dict[str, list[Draft]] = {}
        for draft in pending:
            path = draft.path[-depth[id(draft)] :]
            candidates.setdefault(slugify(" ".join(path)), []).append(draft)
        pending = [draft for slug, group in candidates.items() for draft in _settle(slug, group, used, depth)]


def _same_sections(
    pending: list[Draft], saved: dict[Path, dict[tuple[str, ...], str]], used: set[str]
) -> list[Draft]:
    """Give each draft the id an earlier import of its notes file gave the same section under other
    naming rules ("Terraform Associate (003) – My Study Notes: Troubleshooting" then, "Terraform
    Associate: Troubleshooting" now): the same headings of the guide, each without the name a rule put
    before it, where exactly one draft and one unused saved note of the file have them. Return the rest."""
    drafts: dict[tuple[Path, tuple[str, ...]], list[Draft]] = {}
    for draft in pending:
        drafts.setdefault((draft.guide.output, _own_headings(draft.path)), []).append(draft)
    ids: dict[tuple[Path, tuple[str, ...]], list[str]] = {}
    for output, paths in saved.items():
        for path, note_id in paths.items():
            if note_id not in used:
                ids.setdefault((output, _own_headings(path)), []).append(note_id)
    for key, group in drafts.items():
        if len(group) == 1 and len(ids.get(key, [])) == 1 and ids[key][0] not in used:
            group[0].id = ids[key][0]
            used.add(group[0].id)
    return [draft for draft in pending if not draft.id]


def _own_headings(path: Sequence[str]) -> tuple[str, ...]:
    """Return a heading path as the headings' own words: each title without the name before its last
    ": " and without a section number ("2.2 "), which the naming rules choose, in lowercase."""
    return tuple(
        _SECTION_NUMBER.sub("", _DECORATION.sub("", title.rpartition(": ")[2].strip())).casefold()
        for title in path
    )


def _settle(slug: str, group: list[Draft], used: set[str], depth: dict[int, int]) -> list[Draft]:
    """Give the drafts whose heading path slugs to `slug` an id; return those to widen by a heading."""
    if len(group) == 1 and slug not in used:
        group[0].id = slug
        used.add(slug)
        return []
    still = []
    for draft in group:
        if depth[id(draft)] < len(draft.path):
            depth[id(draft)] += 1
            still.append(draft)
        else:
            number = 2
            while f"{slug}-{number}" in used:
                number += 1
            draft.id = f"{slug}-{number}"
            used.add(draft.id)
    return still


# Writing ---------------------------------------------------------------------------------------------


def import_guides(sources: Sequence[Path], into: Path, level: int | None = None) -> ImportReport:
    """Import every guide in `sources` into the notes folder `into`; return what was done and guessed.

    Everything is read and checked first; then every changed file is written, all or nothing."""
    from cheatdeck.notes.scaffold import deck_file_text

    if level is not None and not 1 <= level <= DEEPEST_LEVEL:
        raise GuideError(f"--level must be between 1 and {DEEPEST_LEVEL}, got {level}")
    report = ImportReport()
    guides = [guide for source in sources for guide in read_guides(source, report.notices)]
    outputs = [guide.output for guide in guides]
    _check_targets(sources, into, guides)
    media: dict[Path, str] = {}
    drafts = {
        guide.output: draft_notes(guide, level, report.notices, media, report.structure) for guide in guides
    }
    everything = [draft for group in drafts.values() for draft in group]
    from cheatdeck.notes.sources import read_kinds

    _guess_kinds(everything, read_kinds(into) if into.is_dir() else BUILTIN)
    if into.exists() and not into.is_dir():
        raise GuideError(f"{into}: not a folder")
    recover_import(into)
    existing = _read_notes_files(into, guides)
    record, headers = _read_record(into), _read_headers(into)
    sources_of = _check_same_guides(into, guides, drafts, record, report.notices)
    saved = {  # notes file → heading path → the id an earlier import gave it
        output: {
            tuple(entry["path"]): note_id for note_id, entry in record.get(output.as_posix(), {}).items()
        }
        for output in outputs
    }
    elsewhere = _ids_elsewhere(into, set(outputs))
    _check_ids_in_one_place(into, existing, elsewhere)
    moved = {  # imported notes the learner moved to another file: they keep their id, and stay there
        note_id: elsewhere[note_id]
        for output in outputs
        for note_id in record.get(output.as_posix(), {})
        if note_id in elsewhere and note_id not in dict(existing.get(output, ("", []))[1])
    }
    assign_ids(everything, set(elsewhere) - set(moved), saved)
    for output, group in drafts.items():
        drafts[output] = _settle_cards(group, into, report, fold=level is None)
    contents: list[tuple[Path, bytes]] = []
    for guide in guides:
        path = into / guide.output
        if not drafts[guide.output] and guide.output not in existing and not os.path.lexists(path):
            report.notices.append(f"{guide.source}: nothing in it makes a note; no notes file written")
            continue
        placed = [draft for draft in drafts[guide.output] if draft.id not in moved]
        entries = record.get(guide.output.as_posix(), {})
        text = _merge(guide, placed, existing.get(guide.output), record, report, path, headers)
        for draft in drafts[guide.output]:
            if draft.id in moved:
                record[guide.output.as_posix()][draft.id] = entries[draft.id]
                report.notices.append(
                    f"{draft.id}: you moved it to {moved[draft.id]}; left there as it is, not added again"
                )
        contents.append((path, text.encode()))
        _report_guesses(drafts[guide.output], path, text, into, report)
    contents += _media_contents(media, into)
    contents += _without_scaffold_examples(into, report.notices)
    if not (into / "deck.yaml").is_file():
        title = _deck_title(sources, guides)
        description = _deck_description(guides) if len(guides) == 1 else ""
        contents.append((into / "deck.yaml", deck_file_text(title, description).encode()))
        report.notices.append(
            f"the new deck is titled {title!r}; change `title:` in deck.yaml before you build"
        )
    data = {"version": RECORD_VERSION, "notes": record, "guides": sources_of, "headers": headers}
    record_text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    record_path = into / RECORD_FILE
    contents.append((record_path, record_text.encode()))
    report.written += [path for path in write_files(into, contents) if path != record_path]
    return report


def _read_notes_files(into: Path, guides: list[Guide]) -> dict[Path, tuple[str, list[tuple[str, str]]]]:
    """Return the header and notes of each notes file this import rewrites that exists; refuse a file
    that is not a regular file inside the notes folder, or that holds a note id twice (which copy is
    the learner's cannot be known, and the build refuses the file too), naming every such place."""
    found: dict[Path, tuple[str, list[tuple[str, str]]]] = {}
    problems = []
    for guide in guides:
        path = into / guide.output
        if not os.path.lexists(path):
            continue
        real = os.path.realpath(path)
        if not os.path.isfile(real) or not Path(real).is_relative_to(os.path.realpath(into)):
            problems.append(f"{path}: not a regular file inside {into}; move it away and import again")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(f"{path}: not UTF-8; save it as UTF-8 and import again")
            continue
        header, sections = note_sections(text)
        problems += _twice(path, text)
        found[guide.output] = (header, sections)
    if problems:
        raise GuideError("\n".join([*problems, f"{len(problems)} problem(s) in {into}; nothing written"]))
    return found


def _check_ids_in_one_place(
    into: Path, existing: dict[Path, tuple[str, list[tuple[str, str]]]], elsewhere: dict[str, Path]
) -> None:
    """Refuse a note id that is both in a notes file this import rewrites and in another file (a note
    copied, not moved): which copy is the learner's cannot be known, and the build refuses it too."""
    problems = []
    for output, (_, sections) in existing.items():
        if not any(note_id in elsewhere for note_id, _ in sections):
            continue
        for _, start, _, title in markdown_headings((into / output).read_text(encoding="utf-8")):
            match = NOTE_HEADING.match(title)
            if match and match["id"] in elsewhere:
                problems.append(
                    f"{into / output}:{start + 1}: note id {match['id']!r} is also in "
                    f"{elsewhere[match['id']]}; keep one (merge your edits into it) and import again"
                )
    if problems:
        raise GuideError("\n".join([*problems, f"{len(problems)} problem(s) in {into}; nothing written"]))


def _twice(path: Path, text: str) -> list[str]:
    """Name each note heading whose id an earlier heading of the same file already has."""
    first: dict[str, int] = {}
    problems = []
    for _, start, _, title in markdown_headings(text):
        match = NOTE_HEADING.match(title)
        if not match:
            continue
        if match["id"] in first:
            problems.append(
                f"{path}:{start + 1}: note id {match['id']!r} appears twice (first at line "
                f"{first[match['id']]}); keep one (merge your edits into it) and import again"
            )
        else:
            first[match["id"]] = start + 1
    return problems


_NO_EXAMPLES = (
    b"# Your own notes go here (the example notes `new` wrote were taken out by `import`).\nnotes: []\n"
)


def _without_scaffold_examples(into: Path, notices: list[str]) -> list[tuple[Path, bytes]]:
    """Take the example notes `new` wrote out of a notes folder an import fills, when they are untouched
    (byte for byte as shipped), so they do not ship beside the imported notes; say so."""
    from cheatdeck import SHIPPED_TEMPLATES

    found: list[tuple[Path, bytes]] = []
    for name in ("notes.yaml", "notes.md"):
        path, shipped = into / name, SHIPPED_TEMPLATES / "new" / name
        if path.is_symlink() or not path.is_file() or not shipped.is_file():
            continue
        if path.read_bytes() != shipped.read_bytes():
            continue  # the learner's own words now: kept
        if name == "notes.yaml":
            found.append((path, _NO_EXAMPLES))
            notices.append(f"{path}: the example notes `new` wrote are taken out (they would ship as notes)")
        else:
            notices.append(f"{path}: still holds the example notes `new` wrote; delete it before you build")
    return found


def _deck_title(sources: Sequence[Path], guides: list[Guide]) -> str:
    """Return a new deck's title: the guide's own title for one guide, else the imported folder's name."""
    if len(sources) == 1 and sources[0].is_dir():
        name = sources[0].resolve().name.replace("-", " ").replace("_", " ").strip()
        return name or guides[0].title
    return guides[0].title


def _deck_description(guides: list[Guide]) -> str:
    """Return a new deck's description: the first paragraph of the guide's introduction, as plain text."""
    paragraph = re.split(r"\n\s*\n", guides[0].intro.strip(), maxsplit=1)[0]
    if not paragraph or _only_links(paragraph) or re.match(r"\s*([-*+|>#]|\d+\.)", paragraph):
        return ""
    return _plain(paragraph)


def _check_targets(sources: Sequence[Path], into: Path, guides: list[Guide]) -> None:
    """Refuse an import that would write two guides to one file, into its own input, or over a guide."""
    first: dict[Path, Guide] = {}
    clashes = []
    for guide in guides:
        if guide.output in first:
            clashes.append(
                f"{first[guide.output].source} and {guide.source} would both be written to "
                f"{into / guide.output}; rename one, or import them separately into different folders"
            )
        first.setdefault(guide.output, guide)
    if clashes:
        raise GuideError("\n".join(clashes))
    for source in sources:
        if source.is_dir() and into.resolve().is_relative_to(source.resolve()):
            raise GuideError(f"{into}: the notes folder must not be inside the folder being imported")
    for guide in guides:
        if (into / guide.output).resolve() == guide.source.resolve():
            raise GuideError(
                f"{guide.source}: importing it into {into} would overwrite it; choose another --into"
            )


def _media_contents(media: dict[Path, str], into: Path) -> list[tuple[Path, bytes]]:
    """Return the pictures the guides show as files of the notes folder's media/ (read again, checked
    again: a file that changed into something else since is refused)."""
    contents = []
    for source, name in sorted(media.items(), key=lambda item: item[1]):
        picture = read_picture(source.parent, source.parent, source.name)
        if isinstance(picture, str):
            raise GuideError(f"{source}: {picture}; it changed while importing, import again")
        contents.append((into / "media" / name, picture.data))
    return contents


def _note_data(draft: Draft) -> dict[str, Any]:
    data: dict[str, Any] = {"id": draft.id, "title": draft.title, **draft.fields}
    if draft.tags:
        data["tags"] = list(dict.fromkeys(draft.tags))
    data["body"] = draft.body
    return data


def _hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()[:16]


Record = dict[str, dict[str, dict[str, Any]]]  # notes file → note id → {"hash", "path"}


def _merge(
    guide: Guide,
    drafts: list[Draft],
    current: tuple[str, list[tuple[str, str]]] | None,
    record: Record,
    report: ImportReport,
    path: Path,
    headers: dict[str, str] | None = None,
) -> str:
    """Return the new text of a notes file (`current`: its header and notes, if it exists): the guide's
    notes, with the notes the learner edited or added kept as they are (an added note stays after the
    imported note it followed). The header (the guide's title, introduction, reading lists and sections
    that make no card) is the guide's too, unless the learner edited it since it was imported (`headers`:
    notes file → the hash of the header last imported, updated here; no hash: an older record, and the
    header is kept as it is).

    With no record of what was imported into an existing file (`cheatdeck.import.json` lost), a note
    whose text is not the guide's may be the learner's edit or the guide's change: it is kept, and named,
    never called "your edit"."""
    key = guide.output.as_posix()
    origin = f"Imported from {Path(guide.name).name} by `cheatdeck import`: edit freely."
    kept = [part for part in (guide.intro.strip("\n"), *guide.header) if part.strip()]
    guides = "\n\n".join([f"# {group_heading(guide.title)}", origin, *kept]) + "\n"
    headers = {} if headers is None else headers
    header, existing = guides, list[tuple[str, str]]()
    if current is not None:
        header = _merge_header(guides, current[0], headers.get(key), report, path)
        existing = current[1]
    if _hash(header) == _hash(guides):
        headers[key] = _hash(guides)  # else the learner's: the record keeps the hash last imported
    unrecorded = current is not None and key not in record
    merger = _Merger(record.get(key, {}), existing, {draft.id for draft in drafts}, report, unrecorded)
    merger.added_after(None)
    for draft in drafts:
        merger.place(draft)
        merger.added_after(draft.id)
    for note_id, _ in existing:
        if note_id in merger.imported and note_id not in merger.new_ids:
            merger.drop(note_id)
            merger.added_after(note_id)
    record[key] = merger.new_record
    if merger.unsure:
        report.notices.append(
            f"no record of what was imported into {path} ({RECORD_FILE} is missing): cannot tell your "
            f"edits from the guide's changes, so the file's text is kept for {', '.join(merger.unsure)}; "
            "to take the guide's text of one, delete it from the file and import again"
        )
    parts = [header.rstrip("\n"), *(section.rstrip("\n") for section in merger.sections)]
    return "\n\n".join(part for part in parts if part) + "\n"


def _merge_header(guides: str, files: str, imported: str | None, report: ImportReport, path: Path) -> str:
    """Return a notes file's header: the guide's (`guides`) where the file's (`files`) is the one last
    imported (hash `imported`), else the file's, named in the report when the guide changed it too."""
    if _hash(files) == _hash(guides):
        return files
    if imported is not None and _hash(files) == imported:
        report.notices.append(
            f"{path}: its header (the guide's introduction, reading lists and text that makes no card) "
            "updated from the guide"
        )
        return guides
    if imported is not None and _hash(guides) != imported:
        report.notices.append(
            f"kept your edit of the header of {path}; the guide changed it too: compare by hand"
        )
    return files


class _Merger:
    """The sections of a notes file being merged, what the import record will say, and the report."""

    def __init__(
        self,
        entries: dict[str, dict[str, Any]],
        existing: list[tuple[str, str]],
        new_ids: set[str],
        report: ImportReport,
        unrecorded: bool = False,
    ) -> None:
        self.entries = entries
        self.unrecorded = unrecorded  # no record of this file: its notes' history is unknown
        self.unsure: list[str] = []
        self.imported = {note_id: str(entry["hash"]) for note_id, entry in entries.items()}
        self.old = dict(existing)
        self.edited = {note_id for note_id, text in existing if self.imported.get(note_id) != _hash(text)}
        self.new_ids = new_ids
        self.report = report
        self.after: dict[
            str | None, list[str]
        ] = {}  # imported note id (None: the top) → notes added after it
        anchor: str | None = None
        for note_id, _ in existing:
            if note_id in self.imported or (unrecorded and note_id in new_ids):
                anchor = note_id
            elif note_id not in new_ids:
                self.after.setdefault(anchor, []).append(note_id)
        self.sections: list[str] = []
        self.new_record: dict[str, dict[str, Any]] = {}

    def keep(self, note_id: str) -> None:
        """Keep the note as it is in the file."""
        self.sections.append(self.old[note_id])
        if note_id in self.imported:
            self.new_record[note_id] = self.entries[note_id]

    def added_after(self, note_id: str | None) -> None:
        """Keep the notes the learner added after `note_id`."""
        for added in self.after.get(note_id, []):
            self.keep(added)

    def place(self, draft: Draft) -> None:
        """Write the guide's note, unless the learner edited it."""
        text = format_markdown_note(_note_data(draft)).rstrip("\n")
        if self.unrecorded and draft.id in self.old and _hash(self.old[draft.id]) != _hash(text):
            self.sections.append(self.old[draft.id])  # the learner's or the guide's: unknown, so kept
            self.new_record[draft.id] = {"hash": _hash(text), "path": list(draft.path)}
            self.unsure.append(draft.id)
            return
        if draft.id in self.edited and not self.unrecorded:
            self.keep(draft.id)
            if _hash(text) != self.imported.get(draft.id):
                self.report.kept.append(draft.id)
            return
        self.sections.append(text)
        self.new_record[draft.id] = {"hash": _hash(text), "path": list(draft.path)}
        if draft.id not in self.old:
            self.report.added.append(draft.id)
        elif _hash(self.old[draft.id]) != _hash(text):
            self.report.updated.append(draft.id)
        else:
            self.report.unchanged.append(draft.id)

    def drop(self, note_id: str) -> None:
        """Remove an imported note the guide no longer has, unless the learner edited it."""
        if note_id in self.edited:
            self.keep(note_id)
            self.report.kept.append(note_id)
        else:
            self.report.removed.append(note_id)


def _check_same_guides(
    into: Path, guides: list[Guide], drafts: dict[Path, list[Draft]], record: Record, notices: list[str]
) -> dict[str, str]:
    """Refuse a guide that would replace the notes another guide of the same file name was imported into;
    return where each notes file's guide is (relative to the notes folder) for the record. A guide whose
    headings are mostly those imported before is the same guide moved, and goes on with a notice."""
    sources_of = _read_sources(into)
    problems = []
    for guide in guides:
        key = guide.output.as_posix()
        here = Path(os.path.relpath(guide.source.resolve(), into.resolve())).as_posix()
        before = sources_of.get(key)
        sources_of[key] = here
        if before is None or before == here:
            continue
        paths = {_own_headings(entry["path"]) for entry in record.get(key, {}).values()}
        shared = paths & {_own_headings(draft.path) for draft in drafts[guide.output]}
        earlier = Path(os.path.normpath(into.resolve() / before))
        if paths and len(shared) * 2 >= len(paths):
            notices.append(f"{guide.source}: taken as {earlier} moved (most of its headings are the same)")
            continue
        problems.append(
            f"{into / guide.output} holds the notes imported from {earlier}; {guide.source} would replace "
            "them: rename it, or import it into another folder (--into)"
        )
    if problems:
        raise GuideError("\n".join(problems))
    return sources_of


def _read_headers(into: Path) -> dict[str, str]:
    """Return the hash of each notes file's header as last imported, as the record says (none in a
    record written before it said so)."""
    try:
        data = json.loads((into / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    headers = data.get("headers") if isinstance(data, dict) else None
    if not isinstance(headers, dict):
        return {}
    return {str(key): str(value) for key, value in headers.items() if isinstance(value, str)}


def _read_sources(into: Path) -> dict[str, str]:
    """Return where each notes file's guide was (relative to the notes folder), as the record says."""
    try:
        data = json.loads((into / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    guides = data.get("guides") if isinstance(data, dict) else None
    if not isinstance(guides, dict):
        return {}
    return {str(key): str(value) for key, value in guides.items() if isinstance(value, str)}


def _read_record(into: Path) -> Record:
    path = into / RECORD_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        notes = data["notes"]
        if data.get("version") != RECORD_VERSION or not isinstance(notes, dict):
            raise ValueError("unknown version")
        return {
            str(output): {
                str(note_id): {"hash": str(entry["hash"]), "path": [str(part) for part in entry["path"]]}
                for note_id, entry in entries.items()
            }
            for output, entries in notes.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise GuideError(f"{path}: unreadable import record ({error}); delete it to import afresh") from None


def _ids_elsewhere(into: Path, outputs: set[Path]) -> dict[str, Path]:
    """Return the note ids already used in the notes folder outside the files this import writes, each
    with the file it is in (read as the loader reads the folder)."""
    import yaml

    from cheatdeck.tree import walk

    ids: dict[str, Path] = {}
    if not into.is_dir():
        return ids
    for path in walk(into).files:
        relative = path.relative_to(into)
        if relative in outputs or relative.parts[0] in ("media",):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if path.suffix == ".md":
            ids.update((note_id, path) for note_id, _ in note_sections(text)[1] if note_id not in ids)
        elif path.suffix in (".yaml", ".yml") and path.name != "deck.yaml":
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError:
                continue
            notes = data.get("notes") if isinstance(data, dict) else None
            for note in notes if isinstance(notes, list) else ():
                if isinstance(note, dict) and isinstance(note.get("id"), str):
                    ids.setdefault(note["id"], path)
    return ids


def _settle_cards(group: list[Draft], into: Path, report: ImportReport, fold: bool) -> list[Draft]:
    """Apply what `check --strict` would say of the drafts' cards, the author's words untouched: a note
    whose reverse clue gives its name away makes no reverse card, a note whose summary only repeats its
    title makes no term card, and a section that makes no card at all is folded into its parent's note
    (or kept in the notes file's header when it has none) unless `fold` is off (`--level` chose every
    heading down to a level as a note) or no section of the file makes a card. Each decision is reported
    with its reason."""
    off, empty = _card_decisions(group, into)
    for draft in group:
        if draft.id in off and draft.id not in empty:
            draft.fields["cards_off"] = [card for card, _ in off[draft.id]]
            draft.guesses += [("cards_off", card, why) for card, why in off[draft.id]]
    if not fold or all(draft.id in empty for draft in group):
        return group  # a file none of whose sections makes a card stays as it is: `check` says why
    folded = [_fold(draft, empty, into) for draft in group if draft.id in empty]
    if folded:
        report.structure.append(
            f"sections that make no card: {len(folded)} not written as notes (--explain lists them)"
        )
        report.guesses += folded
    return [draft for draft in group if draft.id not in empty]


def _card_decisions(group: list[Draft], into: Path) -> tuple[dict[str, list[tuple[str, str]]], set[str]]:
    """Lint the drafts as the deck in `into` would; return the card kinds each note switches off (with
    why) and the notes that make no card."""
    from cheatdeck.cards.lint import lint
    from cheatdeck.notes.sources import read_deck

    deck = read_deck(into) or Deck(id="imported", title="imported")
    kinds = Kinds.declared(deck.kinds, deck.grid)
    notes = {}
    for draft in group:
        try:
            notes[draft.id] = Note.model_validate(_note_data(draft), context={"kinds": kinds.names})
        except ValidationError:
            continue  # an invalid draft is reported when it is checked; nothing to decide here
    where = {note_id: Location(into, 1) for note_id in notes}
    lines: dict[str, tuple[int, dict[str, int]]] = {
        note_id: (index, {}) for index, note_id in enumerate(notes)
    }
    notebook = Notebook(deck, tuple(notes.values()), where, into, field_lines=lines)
    off: dict[str, list[tuple[str, str]]] = {}
    empty: set[str] = set()
    for warning in lint(notebook):
        note_id = notebook.notes[int(warning.field.split("]")[0].removeprefix("notes["))].id
        if warning.rule == Rule.CLUE_LEAKS_ANSWER:
            why = f"its clue would give the name away: {warning.message.split(' gives away ')[-1]}"
            off.setdefault(note_id, []).append(("reverse", why))
        elif warning.rule == Rule.NO_CARD and warning.field.endswith(".id"):
            empty.add(note_id)
        elif warning.rule == Rule.LABEL_ANSWER and warning.message.startswith("no term card"):
            off.setdefault(note_id, []).append(("term", "its summary only repeats the title"))
    return off, empty


def _fold(draft: Draft, empty: set[str], into: Path) -> str:
    """Put the text of a note that makes no card at the end of its parent note's body, or in the notes
    file's header when no note is above it; return what was done, for the report."""
    where = f"{into / draft.guide.output}: {draft.id}"
    parent = draft.part_of
    summary = str(draft.fields.get("summary", ""))
    said = summary if summary != draft.title and summary not in draft.body else ""
    text = "\n\n".join(part for part in (f"**{_plain(draft.title)}**", said, draft.body.strip()) if part)
    if parent is not None and parent.id not in empty:
        parent.body = f"{parent.body.rstrip()}\n\n{text}\n"
        return f"{where} folded into {parent.id} (it makes no card)"
    draft.guide.header.append(text)
    return f"{where} kept in the file's header (it makes no card, and no note is above it)"


def _report_guesses(drafts: list[Draft], path: Path, text: str, into: Path, report: ImportReport) -> None:
    lines = {
        match["id"]: start + 1
        for _, start, _, title in markdown_headings(text)
        if (match := NOTE_HEADING.match(title))
    }
    for draft in drafts:
        if draft.id not in lines:
            continue
        where = f"{path}:{lines[draft.id]}: {draft.id}"
        for name, value, why in draft.guesses:
            shown = f" {value}" if value and name != "title" else ""
            report.guesses.append(f"{where}: {name}{shown} ({why})")
            if name == "kind":
                report.kinds[value] += 1
            else:
                report.guessed[name] += 1
