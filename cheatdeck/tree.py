"""Which files of a folder a build may read: one walk shared by the loader and the build fingerprint.

Hidden entries (`.git/`, `.obsidian/`, `.notes.yaml.swp`) are skipped. A symbolic link is followed only
when it leads to a file inside the folder; anything else that cannot be read (a link leaving the folder, a
broken or looping link, a link to a folder, an unreadable subfolder, a pipe) is listed with the reason, so
the loader can report it instead of letting notes vanish. Nothing outside the folder is ever opened.
Import-light: the no-op build uses it before loading anything heavy.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Skipped:
    """An entry the walk did not take, and why (the reason never quotes the entry's content)."""

    path: Path
    reason: str


@dataclass
class Tree:
    """The readable files under a folder, in sorted order, and the entries skipped with a reason."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def walk(folder: Path) -> Tree:
    """Return every regular file under `folder` that a build may read (see the module docstring)."""
    tree = Tree()
    root = os.path.realpath(folder)
    _walk(folder, root, tree)
    return tree


def is_hidden(name: str) -> bool:
    """Return True for a name the walk skips silently (dot files and folders)."""
    return name.startswith(".")


def _walk(folder: Path, root: str, tree: Tree) -> None:
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as error:
        tree.skipped.append(Skipped(folder, f"cannot read the folder: {error.strerror or error}"))
        return
    for entry in entries:
        if is_hidden(entry.name):
            continue
        path = folder / entry.name
        try:
            if entry.is_symlink():
                _link(path, root, tree)
            elif entry.is_dir(follow_symlinks=False):
                _walk(path, root, tree)
            elif entry.is_file(follow_symlinks=False):
                tree.files.append(path)
            else:
                tree.skipped.append(Skipped(path, "not a regular file (a pipe, socket or device); not read"))
        except OSError as error:
            tree.skipped.append(Skipped(path, f"cannot read: {error.strerror or error}"))


def _link(path: Path, root: str, tree: Tree) -> None:
    try:
        target = os.path.realpath(path, strict=True)
    except OSError as error:
        reason = "looping symbolic link" if error.errno == errno.ELOOP else "broken symbolic link"
        tree.skipped.append(Skipped(path, f"{reason}; not read"))
        return
    if os.path.commonpath([root, target]) != root:
        tree.skipped.append(Skipped(path, "symbolic link leads outside the notes folder; not read"))
        return
    mode = os.stat(target).st_mode
    if stat.S_ISDIR(mode):
        tree.skipped.append(Skipped(path, "symbolic link to a folder; not followed (link the files instead)"))
    elif stat.S_ISREG(mode):
        tree.files.append(path)
    else:
        tree.skipped.append(Skipped(path, "not a regular file (a pipe, socket or device); not read"))
