"""What `import` may read beside a guide, and how it writes the notes folder (the loader's rules).

- The guides of a folder are found by the loader's own walk (`tree.walk`): hidden entries are skipped, a
  symbolic link is followed only to a file inside the folder, and every other entry it passes over (a link
  out of the folder, a looping or broken link, an unreadable folder) is reported.
- A picture a guide shows is copied only if its path, as written and as resolved, stays inside the guide's
  own tree, names no hidden file or folder, leads to a regular file of at most `MAX_PICTURE_BYTES`, and
  its content (not its name) is a PNG, JPEG, GIF or WebP picture.
- A link keeps its address only if it goes to the web or to a mail address; any other (`javascript:`,
  `data:`, `file:`, `vbscript:`, in any case or with spaces before it) keeps its words only.
- Every file an import changes (notes files, pictures, `deck.yaml`, the import record) is written through
  the build's journal (`transaction.commit`): all of them change, or none does, even on a full disk or a
  kill; the next import rolls back what a killed one left half done.
"""

from __future__ import annotations

import html
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from cheatdeck.errors import OutputError
from cheatdeck.transaction import JOURNAL, commit, recover
from cheatdeck.tree import is_hidden, walk

MAX_PICTURE_BYTES = 20 * 1024 * 1024
_SIGNATURES: tuple[tuple[str, Callable[[bytes], bool]], ...] = (
    (".png", lambda data: data.startswith(b"\x89PNG\r\n\x1a\n")),
    (".jpg", lambda data: data.startswith(b"\xff\xd8\xff")),
    (".gif", lambda data: data.startswith((b"GIF87a", b"GIF89a"))),
    (".webp", lambda data: data[:4] == b"RIFF" and data[8:12] == b"WEBP"),
)
PICTURE_KINDS = "PNG, JPEG, GIF or WebP"


# Reading -----------------------------------------------------------------------------------------------


def guide_files(folder: Path, suffixes: Sequence[str]) -> tuple[list[Path], list[str]]:
    """Return the files under `folder` with one of `suffixes`, as the loader walks a notes folder, and a
    notice for every entry the walk passed over (never followed out of the folder)."""
    tree = walk(folder)
    files = [path for path in tree.files if path.suffix.lower() in suffixes]
    notices = [
        f"{skipped.path}: {skipped.reason.replace('the notes folder', 'the folder being imported')}"
        for skipped in tree.skipped
    ]
    return files, notices


@dataclass(frozen=True)
class Picture:
    """A picture a guide shows, read once and checked: where it is, its true suffix and its bytes."""

    path: Path  # resolved
    suffix: str  # from its content: .png, .jpg, .gif or .webp
    data: bytes


def picture_suffix(data: bytes) -> str | None:
    """Return the suffix of the picture format `data` is in (by its first bytes), or None."""
    return next((suffix for suffix, test in _SIGNATURES if test(data)), None)


def read_picture(folder: Path, root: Path, src: str) -> Picture | str:
    """Return the picture `src` (a path relative to `folder`) names inside `root`, or why it is refused."""
    relative = unquote(src.split("#", 1)[0].split("?", 1)[0])
    if not relative or "\0" in relative or "\\" in relative:
        return "not a path to a picture beside the guide"
    if os.path.isabs(relative):
        return "an absolute path: only pictures in the guide's own folder are copied"
    base = os.path.abspath(root)
    written = os.path.normpath(os.path.join(os.path.abspath(folder), relative))
    if not _inside(written, base):
        return "outside the guide's folder"
    if _hidden(written, base):
        return "a hidden file or folder"
    real, real_base = os.path.realpath(written), os.path.realpath(base)
    if not os.path.lexists(written):
        return "not found beside the guide"
    if not _inside(real, real_base):
        return "a symbolic link out of the guide's folder"
    if _hidden(real, real_base):
        return "a symbolic link to a hidden file"
    return _read(Path(real))


def _read(path: Path) -> Picture | str:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return "not a regular file"
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return "not a regular file"
            data = handle.read(MAX_PICTURE_BYTES + 1)
    except OSError as error:
        return f"cannot read it ({error.strerror or error})"
    if len(data) > MAX_PICTURE_BYTES:
        return f"larger than {MAX_PICTURE_BYTES // (1024 * 1024)} MB"
    suffix = picture_suffix(data)
    if suffix is None:
        return f"not a picture (its content is no {PICTURE_KINDS})"
    return Picture(path, suffix, data)


def _inside(path: str, base: str) -> bool:
    return os.path.commonpath([path, base]) == base


def _hidden(path: str, base: str) -> bool:
    return any(is_hidden(part) for part in Path(os.path.relpath(path, base)).parts)


# Writing -----------------------------------------------------------------------------------------------


def recover_import(into: Path) -> None:
    """Roll back the writes of an import that was killed half way (its journal is in the notes folder)."""
    if os.path.lexists(into / JOURNAL):
        recover(into)


def write_files(into: Path, contents: Sequence[tuple[Path, bytes]]) -> list[Path]:
    """Write the files whose content changed, all or nothing, through the build's journal; return them.
    Raise `OutputError` naming the file (the notes folder is then as it was)."""
    changed = [(target, data) for target, data in contents if not _holds(target, data)]
    if not changed:
        return []
    for target, _ in changed:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(
                f"{error.filename or target.parent}: {error.strerror or error}; nothing written"
            ) from None
    return commit(into, [(target, _writer(data)) for target, data in changed])


def _writer(data: bytes) -> Callable[[Path], object]:
    return lambda path: path.write_bytes(data)


def _holds(target: Path, data: bytes) -> bool:
    """Return True if `target` is a regular file holding exactly `data`."""
    try:
        if not stat.S_ISREG(os.lstat(target).st_mode) or os.path.getsize(target) != len(data):
            return False
        return target.read_bytes() == data
    except OSError:
        return False


# Links -------------------------------------------------------------------------------------------------

LINK_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")  # browsers drop these before reading a scheme
_INLINE_LINK = re.compile(
    r"(?<!!)\[(?P<label>(?:[^\[\]]|\[[^\]]*\])*)\]\(\s*(?P<href><[^>\n]*>|(?:[^()\s]|\([^()\s]*\))*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_AUTOLINK = re.compile(r"<(?P<href>[a-z][a-z0-9+.-]{1,31}:[^<>\s]*)>", re.IGNORECASE)
_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(?P<href>[^\s>]+)>?.*$")


def is_safe_link(href: str) -> bool:
    """Return True for a relative link or one to the web or a mail address (read as a browser would)."""
    bare = href[1:-1] if href.startswith("<") and href.endswith(">") else href
    scheme = _SCHEME.match(_IGNORED_IN_URLS.sub("", unquote(html.unescape(bare))))  # as Markdown reads it
    return scheme is None or scheme[1].lower() in LINK_SCHEMES


def drop_unsafe_links(markdown: str, code_lines: set[int]) -> tuple[str, list[tuple[int, str]]]:
    """Return the Markdown with every link that goes neither to the web nor to a mail address reduced to
    its words (`javascript:`, `data:`, `file:` …), and (line, address) for each one dropped. Lines in
    `code_lines` (code blocks) are left as they are."""
    dropped: list[tuple[int, str]] = []
    lines = markdown.split("\n")
    for number, line in enumerate(lines):
        if number in code_lines or ":" not in line:
            continue

        def words(match: re.Match[str], keep: str, line_number: int = number + 1) -> str:
            if is_safe_link(match["href"]):
                return match[0]
            dropped.append((line_number, match["href"]))
            return keep

        definition = _DEFINITION.match(line)
        if definition and not is_safe_link(definition["href"]):
            dropped.append((number + 1, definition["href"]))
            lines[number] = ""
            continue
        kept = _INLINE_LINK.sub(lambda match: words(match, match["label"]), line)
        lines[number] = _AUTOLINK.sub(lambda match: words(match, ""), kept)
    return "\n".join(lines), dropped
