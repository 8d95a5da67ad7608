"""Read Obsidian's own markup in an imported guide, so no card shows `[[`, `![[`, `<mark>` or `#tags`.

- `[[note]]`, `[[note|text]]`, `[[note#heading]]` become their words (the text, else the note's name).
- `![[picture.png]]` becomes a Markdown image, found by Obsidian's rule (a path from the vault's root,
  from the note's folder, else the shortest path whose file name matches) among the files of the
  imported folder only; the importer then copies it under the same safety rules as any image. The vault's
  root (the folder holding `.obsidian/`) may lie above the imported folder: it is only looked for, to
  read paths written from it; nothing outside the imported folder is read.
- `<mark>x</mark>` and `==x==` mark what the author wants remembered: a sentence holding one becomes a
  fact whose cloze hides the marked words (at most `MAX_FACTS` a note); in the body the mark is **bold**.
- A line of `#tags` becomes the note's tags; front matter `aliases` a line "Also called: …".
- A note with no text whose file name states its fact ("Warfarin half-life is about 40 hours") keeps it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from cheatdeck.importer.summaries import MAX_HIDDEN_WORDS, as_summary, split_sentence

MAX_FACTS = 3
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp")
_EMBED = re.compile(r"!\[\[(?P<target>[^\]|#]*)(?:#(?P<heading>[^\]|]*))?(?:\|(?P<alias>[^\]]*))?\]\]")
_LINK = re.compile(r"(?<!!)\[\[(?P<target>[^\]|#]*)(?:#(?P<heading>[^\]|]*))?(?:\|(?P<alias>[^\]]*))?\]\]")
_MARK = re.compile(r"<mark\b[^>]*>(?P<text>.*?)</mark>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"(?<![\w#])#(?P<tag>[A-Za-z][\w/-]*)")
_COMMENT = re.compile(r"%%.*?%%", re.DOTALL)  # Obsidian's comments: never shown
_BLOCK_ID = re.compile(r"\s\^[A-Za-z0-9-]+\s*$")  # a block's id, for [[note#^id]] links
_CALLOUT = re.compile(r"^(?P<quote>\s*>\s*)\[!(?P<kind>\w+)\][+-]?[ \t]*(?P<title>.*)$")
_TAG_LINE = re.compile(r"^[ \t]*(#[A-Za-z][\w/-]*[ \t,]*)+$")
_HIGHLIGHT = re.compile(r"==(?P<text>[^=\n](?:[^\n]*?[^=\n])?)==")
_STATEMENT = re.compile(
    r"^(?P<subject>.+?)\s+(?P<verb>is|are|was|were|has|have|equals|means|takes?|needs?|lasts?|"
    r"(?:should|must|can|may) be \w+|(?:should|must|can) \w+)\s+(?P<rest>\S.*)$",
    re.IGNORECASE,
)


@dataclass
class Vault:
    """The imported folder, its files, and where it sits in an Obsidian vault (if it is in one)."""

    root: Path  # the imported folder: nothing outside it is read
    prefix: tuple[str, ...] = ()  # the imported folder's path from the vault's root

    @cached_property
    def files(self) -> list[PurePosixPath]:
        """The files of the imported folder (relative to it), walked as the loader walks a notes folder:
        read only when a guide embeds something."""
        from cheatdeck.tree import walk

        return [PurePosixPath(path.relative_to(self.root).as_posix()) for path in walk(self.root).files]

    def find(self, target: str, folder: Path) -> PurePosixPath | None:
        """Return the file a link names (relative to `root`), by Obsidian's rule, or None."""
        written = PurePosixPath(target.strip().replace("\\", "/"))
        if not written.parts or ".." in written.parts:
            return None
        wanted = [written] if written.suffix else [written.with_suffix(".md"), written]
        here = PurePosixPath(os.path.relpath(folder, self.root).replace(os.sep, "/"))
        for path in wanted:
            tries = [path, here / path]
            if self.prefix and path.parts[: len(self.prefix)] == self.prefix:
                tries.insert(0, PurePosixPath(*path.parts[len(self.prefix) :]))
            for candidate in tries:
                normal = PurePosixPath(os.path.normpath(str(candidate)).replace(os.sep, "/"))
                if normal in self._set:
                    return normal
        names = {path.name.lower() for path in wanted}
        matches = sorted((f for f in self.files if f.name.lower() in names), key=lambda f: (len(f.parts), f))
        return matches[0] if matches else None

    @cached_property
    def _set(self) -> set[PurePosixPath]:
        return set(self.files)


def open_vault(root: Path) -> Vault:
    """Return the imported folder as a vault and, when a folder above it holds `.obsidian/`, its path
    from there (the vault's own folder is only looked for: nothing in it is read)."""
    root = root.resolve()
    for candidate in (root, *root.parents):
        if (candidate / ".obsidian").is_dir():
            return Vault(root, root.relative_to(candidate).parts)
    return Vault(root)


def read_obsidian(
    text: str, folder: Path, vault: Vault, notices: list[str], where: str
) -> tuple[str, list[str]]:
    """Return a guide's text with Obsidian's markup read (see the module's docstring), and its tags."""
    tags: list[str] = []
    text = _COMMENT.sub("", text)
    lines = _without_link_lists(text.split("\n"), notices, where)
    fenced = False
    for number, line in enumerate(lines):
        if re.match(r"^ {0,3}(```|~~~)", line):
            fenced = not fenced
            continue
        if fenced:
            continue
        if _TAG_LINE.match(line):
            tags += [match["tag"] for match in _TAG.finditer(line)]
            lines[number] = ""
            continue
        plain = _CALLOUT.sub(_callout_title, _BLOCK_ID.sub("", line))
        pieces = re.split(r"(`[^`]*`)", plain)  # inline code is left as written
        for index in range(0, len(pieces), 2):
            pieces[index] = _read_piece(pieces[index], folder, vault, notices, f"{where}:{number + 1}")
        lines[number] = "".join(pieces)
    return "\n".join(lines), [_tag_name(tag) for tag in dict.fromkeys(tags)]


_LINK_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+!?\[\[[^\]]*\]\]\s*$")
MIN_LINK_LIST = 3  # this many list items in a row that are only a [[link]] are a map of other notes


def _without_link_lists(lines: list[str], notices: list[str], where: str) -> list[str]:
    """Leave out lists of [[links]] to other notes (a map of content): those notes are imported too."""
    kept: list[str] = []
    run: list[str] = []
    for line in [*lines, ""]:
        if _LINK_ITEM.match(line):
            run.append(line)
            continue
        if len(run) >= MIN_LINK_LIST:
            notices.append(f"{where}: a list of {len(run)} links to other notes left out (they are notes)")
        else:
            kept += run
        run = []
        kept.append(line)
    return kept[:-1]


def _tag_name(tag: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")


def _read_piece(text: str, folder: Path, vault: Vault, notices: list[str], where: str) -> str:
    def embed(match: re.Match[str]) -> str:
        target, alias = match["target"].strip(), (match["alias"] or "").strip()
        found = vault.find(target, folder) if target else None
        if found is not None and found.suffix.lower() in PICTURE_SUFFIXES:
            alt = "" if re.fullmatch(r"\d+(x\d+)?", alias) else alias
            relative = os.path.relpath(vault.root / found, folder).replace(os.sep, "/")
            return f"![{alt or found.stem}]({quote(relative)})"
        if PurePosixPath(target).suffix.lower() in PICTURE_SUFFIXES or found is None:
            notices.append(f"{where}: picture {target!r} not found in the imported folder; left out")
            return ""
        notices.append(f"{where}: embedded note {target!r} kept as its name (its text is in its own note)")
        return _link_words(match)

    text = _EMBED.sub(embed, text)
    text = _LINK.sub(_link_words, text)
    text = _MARK.sub(lambda match: f"=={match['text'].strip()}==", text)
    return _inline_html(text)


_ANCHOR = re.compile(
    r"<a\s[^>]*?href\s*=\s*(?P<q>[\"'])(?P<href>.*?)(?P=q)[^>]*>(?P<text>.*?)</a\s*>", re.I | re.S
)
_HTML_EMPHASIS = ((r"b|strong", "**"), (r"i|em", "*"), (r"code", "`"), (r"s|del|strike", "~~"))


def _inline_html(text: str) -> str:
    """Return HTML written in a Markdown guide as the Markdown it means (the notes show raw HTML as typed):
    links, emphasis, line breaks; any other tag is dropped, its words kept."""
    if "<" not in text:
        return text
    text = _ANCHOR.sub(lambda m: f"[{m['text'].strip() or m['href']}]({m['href'].strip()})", text)
    text = _IMG.sub(lambda m: f"![{_attribute(m[0], 'alt')}]({_attribute(m[0], 'src')})", text)
    for tags, mark in _HTML_EMPHASIS:
        text = re.sub(
            rf"<(?:{tags})\b[^>]*>(.*?)</(?:{tags})\s*>", rf"{mark}\1{mark}", text, flags=re.I | re.S
        )
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.I)
    return re.sub(r"</?(?:span|font|u|sup|sub|small|big|div|p|center|a)\b[^>]*>", "", text, flags=re.I)


_IMG = re.compile(r"<img\s[^>]*?src\s*=\s*[\"'][^\"']+[\"'][^>]*>", re.I)


def _attribute(tag: str, name: str) -> str:
    match = re.search(rf"\b{name}\s*=\s*([\"'])(?P<value>.*?)\1", tag, re.I)
    return match["value"].strip() if match else ""


def _callout_title(match: re.Match[str]) -> str:
    title = match["title"].strip() or match["kind"].capitalize()
    return f"{match['quote']}**{title}**"


def _link_words(match: re.Match[str]) -> str:
    alias = (match["alias"] or "").strip()
    if alias:
        return alias
    name = PurePosixPath(match["target"].strip()).stem if match["target"].strip() else ""
    heading = (match["heading"] or "").strip().lstrip("^")
    return f"{name}: {heading}" if name and heading else name or heading


def aliases(front_matter: object) -> list[str]:
    """Return the aliases a note's front matter gives (a list or one string)."""
    if not isinstance(front_matter, dict):
        return []
    value = front_matter.get("aliases") or front_matter.get("alias") or []
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [
        " ".join(str(item).split()) for item in items if isinstance(item, str | int) and str(item).strip()
    ]


def highlight_facts(body: str, heading: str = "") -> tuple[str, list[str]]:
    """Return the body with its highlights made **bold**, and a fact for each sentence holding one (at
    most `MAX_FACTS`), the marked words hidden; a list item's fact names the sub-heading it is under."""
    facts: list[str] = []
    lines = body.split("\n")
    under, fenced = heading, False
    for number, line in enumerate(lines):
        if re.match(r"^ {0,3}(```|~~~)", line):
            fenced = not fenced
        if fenced or "==" not in line:
            title = re.match(r"^ {0,3}#{1,6}\s+(?P<title>.*?)\s*#*$", line)
            under = title["title"] if title and not fenced else under
            continue
        item = _ITEM.match(line)
        for sentence in _marked_sentences(item["text"] if item else line):
            if len(facts) < MAX_FACTS:
                context = (
                    f"{under.strip(' :')}: "
                    if item and under and under.lower() not in sentence.lower()
                    else ""
                )
                if any(len(m["text"].split()) > MAX_HIDDEN_WORDS for m in _HIGHLIGHT.finditer(sentence)):
                    continue  # too long to recall as a cloze: it stays bold in the body
                bare = item and len(_HIGHLIGHT.sub("", sentence).split()) < MIN_OWN_WORDS
                shown = _among_siblings(lines, number, sentence) if bare else sentence
                facts.append(_fact_text(context + shown))
        lines[number] = _HIGHLIGHT.sub(lambda match: f"**{match['text']}**", line)
    return "\n".join(lines), facts


_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+(?P<text>.*)$")
MIN_OWN_WORDS = 3  # a marked list item with fewer words of its own is recalled among its siblings
SIBLING_WORDS = 4


def _among_siblings(lines: list[str], number: int, sentence: str) -> str:
    """Return a marked list item with the other items of its list around it, shortened: "dry cough …;
    ==angioedema==; hyperkalaemia" (a bare "==angioedema==" under "Side effects" has many answers)."""
    indent = len(_ITEM.match(lines[number])["indent"])  # type: ignore[index]
    start = stop = number
    while start > 0 and (m := _ITEM.match(lines[start - 1])) and len(m["indent"]) == indent:
        start -= 1
    while stop + 1 < len(lines) and (m := _ITEM.match(lines[stop + 1])) and len(m["indent"]) == indent:
        stop += 1
    if start == stop:
        return sentence
    parts = []
    for index in range(start, stop + 1):
        if index == number:
            parts.append(sentence)
            continue
        words = _ITEM.match(lines[index])["text"].split()  # type: ignore[index]
        words = _HIGHLIGHT.sub(lambda match: match["text"], " ".join(words)).split()
        shown = " ".join(words[:SIBLING_WORDS])
        parts.append(f"{shown} …" if len(words) > SIBLING_WORDS else shown.rstrip(".;,"))
    return "; ".join(parts)


def _marked_sentences(text: str) -> list[str]:
    found = []
    while text:
        sentence, text = split_sentence(text)
        if _HIGHLIGHT.search(sentence):
            found.append(sentence)
    return found


def _fact_text(sentence: str) -> str:
    """Return a sentence as a fact: links as their text, only its first highlight kept as the cloze."""
    marks = list(_HIGHLIGHT.finditer(sentence))
    keep = marks[0]
    text = sentence[: keep.start()] + "\0" + sentence[keep.end() :]
    text = _HIGHLIGHT.sub(lambda match: match["text"], text).replace("\0", f"=={keep['text'].strip()}==")
    text = re.sub(r"(?<!!)\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return " ".join(text.split())


def statement_note(name: str) -> tuple[str, str] | None:
    """Return (title, summary) for a note whose file name is its fact and whose body is empty:
    "Warfarin half-life is about 40 hours" → ("Warfarin half-life", "Warfarin half-life is about 40 hours.");
    None if the name states nothing."""
    match = _STATEMENT.match(" ".join(name.split()))
    if not match:
        return None
    subject, verb = match["subject"], match["verb"]
    if verb.lower() in ("is", "are"):  # "S3 max file size is 5TB" → What is S3 max file size? 5TB.
        return subject, as_summary(match["rest"], listed=True)
    return f"{subject} {verb} …", as_summary(name, listed=True)
