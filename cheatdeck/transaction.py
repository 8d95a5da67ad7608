"""All-or-nothing writes: the outputs, the lock and the build state change together or not at all.

A commit has three phases, recorded in a journal (`out/.cheatdeck-journal.json`, replaced atomically):

1. *staging*: the journal names every target, its staged file and its backup (each named
   `.NAME.cheatdeck-XXXXXXXX.tmp`, beside the target). Each new file is written to its staged name and
   synced; each existing target is hard-linked (or copied) to its backup. The targets are untouched.
2. *applying*: the journal says so, then every staged file is renamed over its target.
3. *done*: backups and journal are removed.

A failure in phase 1 removes what was staged: nothing changed. A failure in phase 2 puts every backup
back (and removes targets that did not exist): nothing changed. If the process is killed, the next build
finds the journal and does the same before anything else. Either way `out/` and the lock hold the whole
old state or the whole new one. The folders are locked (`flock`) while this runs, so concurrent builds
take turns.
"""

from __future__ import annotations

import filecmp
import json
import logging
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cheatdeck.errors import OutputError
from cheatdeck.outputs import CACHE_FOLDER

log = logging.getLogger(__name__)

JOURNAL = ".cheatdeck-journal.json"
_TEMPORARY = re.compile(r"^\..+\.cheatdeck-[0-9a-f]{8}\.tmp$")
_EARLIER_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # mkstemp names of earlier versions, out/ only
_KEPT = "nothing written, the previous outputs are kept"

Writer = Callable[[Path], object]


@dataclass(frozen=True)
class _Entry:
    target: Path
    staged: Path
    backup: Path
    existed: bool


class InputMoved(Exception):
    """A file the commit was planned from changed before the commit could take the folder lock (a sync
    wrote the lock beside the build): the outputs would be stale, so nothing was written."""

    def __init__(self, path: Path):
        super().__init__(f"{path} changed during the build")
        self.path = path


def commit(
    out: Path, files: list[tuple[Path, Writer]], unchanged: Mapping[Path, bytes] | None = None
) -> list[Path]:
    """Write every file through its writer, then move them all into place as one change; return the
    targets. Raise `OutputError` (saying whether the previous files are kept) if anything fails, and
    `InputMoved` (nothing written) if a file of `unchanged` no longer holds the bytes given."""
    if not files:
        return []
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{_where(error, out)}; {_KEPT}") from None
    unchanged = unchanged or {}
    folders = {out, *(target.parent for target, _ in files), *(path.parent for path in unchanged)}
    try:
        lock = _locked(folders)
        lock.__enter__()
    except OSError as error:
        raise OutputError(f"{_where(error, out)}; {_KEPT}") from None
    try:
        for path, expected in unchanged.items():
            if _read_or_empty(path) != expected:
                raise InputMoved(path)
        return _commit_locked(out, files, folders)
    finally:
        lock.__exit__(None, None, None)


def _read_or_empty(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _commit_locked(out: Path, files: list[tuple[Path, Writer]], folders: set[Path]) -> list[Path]:
    journal = out / JOURNAL
    entries = [_entry(target) for target, _ in files]
    try:
        _write_journal(journal, "staging", entries)
        for entry, (_, write) in zip(entries, files, strict=True):
            try:
                _create(entry.staged)
                write(entry.staged)
                _sync(entry.staged)
                os.chmod(entry.staged, 0o644)
                if entry.existed:
                    _back_up(entry.target, entry.backup)
            except OSError as error:  # a full disk names the file it could not write, not the folder
                if error.filename in (None, str(entry.staged), str(entry.backup)):
                    error.filename = str(entry.target)
                raise
        _write_journal(journal, "applying", entries)
    except BaseException as error:
        _discard(journal, entries)
        if isinstance(error, OSError):
            raise OutputError(f"{_where(error, out)}; {_KEPT}") from None
        raise
    try:
        for entry in entries:
            os.replace(entry.staged, entry.target)
        _sync_folders(folders)
        os.unlink(journal)
    except BaseException as error:
        _undo_after(error, journal, out, folders)
        raise
    for entry in entries:
        _quietly(os.unlink, entry.backup)
    return [entry.target for entry in entries]


def recover(out: Path, folders: Iterable[Path] = ()) -> None:
    """Undo a commit a killed build left half done, and remove the temporary files it left (in `out`
    and in `folders`, such as the lock's). Raise `OutputError` if that cannot be done."""
    with held(out, folders):
        pass


@contextmanager
def held(out: Path, folders: Iterable[Path] = ()) -> Iterator[None]:
    """Hold the build's folder lock on `out` and `folders` (those that exist) for the whole block, after
    undoing a commit a killed build left half done: for work that changes the lock outside a build, such
    as sync, so no build writes from under it and no journal puts an older lock back after it."""
    others = [folder for folder in folders if folder.is_dir()]
    if not out.is_dir() and not others:
        yield
        return
    cache = [Path(top) for top, _, _ in os.walk(out / CACHE_FOLDER)]  # its files are written whole too
    locked = {*others, *([out] if out.is_dir() else [])}
    stack = ExitStack()
    try:
        stack.enter_context(_locked(locked))
        if out.is_dir():
            _tidy(out, others, cache)
    except OSError as error:  # before the journal, or after it was undone: the previous state is whole
        stack.close()
        raise OutputError(f"{_where(error, out)}; {_KEPT}") from None
    except BaseException:
        stack.close()
        raise
    with stack:
        yield


def _tidy(out: Path, others: list[Path], cache: list[Path]) -> None:
    journal = out / JOURNAL
    if os.path.lexists(journal):
        _recover_journal(journal, others)
    for folder in (out, *others, *cache):
        for name in os.listdir(folder):
            ours = _TEMPORARY.match(name) or (folder == out and _EARLIER_TEMPORARY.match(name))
            if ours and os.path.isfile(folder / name):
                os.unlink(folder / name)


def _recover_journal(journal: Path, others: Iterable[Path]) -> None:
    try:
        _roll_back(journal, others)
    except OSError as error:
        raise OutputError(
            f"{_where(error, journal)}; cannot undo an interrupted build yet: build again once this is fixed"
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        raise OutputError(
            f"{journal}: damaged journal of an interrupted build ({error}); restore the lock from version "
            "control, delete the journal and build again"
        ) from None


def _undo_after(error: BaseException, journal: Path, out: Path, folders: Iterable[Path]) -> None:
    """Roll back after a failure while applying; raise `OutputError` saying what state is left."""
    try:
        _roll_back(journal, folders)
    except (OSError, ValueError, KeyError, TypeError):
        if isinstance(error, OSError):
            raise OutputError(
                f"{_where(error, out)}; the outputs are incomplete and could not be restored yet: "
                "the next build restores the previous ones before anything else"
            ) from None
        return  # the original exception (an interrupt) goes on; the next build rolls back
    if isinstance(error, OSError):
        raise OutputError(f"{_where(error, out)}; {_KEPT}") from None


def _entry(target: Path) -> _Entry:
    def temporary() -> Path:
        return target.with_name(f".{target.name}.cheatdeck-{secrets.token_hex(4)}.tmp")

    return _Entry(target, temporary(), temporary(), os.path.lexists(target))


def _write_journal(journal: Path, phase: str, entries: list[_Entry]) -> None:
    base = journal.parent
    data = {
        "phase": phase,
        "entries": [
            {
                "target": os.path.relpath(entry.target, base),
                "staged": os.path.relpath(entry.staged, base),
                "backup": os.path.relpath(entry.backup, base),
                "existed": entry.existed,
            }
            for entry in entries
        ],
    }
    temporary = journal.with_name(f".{journal.name}.cheatdeck-{secrets.token_hex(4)}.tmp")
    try:
        _create(temporary)
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
        _sync(temporary)
        os.replace(temporary, journal)
    finally:
        _quietly(os.unlink, temporary)
    _sync_folders([base])


def _roll_back(journal: Path, others: Iterable[Path] = ()) -> None:
    """Put back what the journal's commit replaced; idempotent, so a rollback killed midway is redone.
    A journal is read as data: every entry is checked (`_journal_entries`) before a file is touched."""
    with open(journal, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or data.get("phase") not in ("staging", "applying"):
        raise ValueError("not a journal this version writes")
    folders = set()
    for item, (target, staged, backup) in _journal_entries(journal, data.get("entries"), others):
        folders.add(target.parent)
        if data["phase"] == "applying":
            if item["existed"] and os.path.lexists(backup) and not _same_content(backup, target):
                os.replace(backup, target)
            elif not item["existed"] and os.path.lexists(target):
                os.unlink(target)
        for leftover in (staged, backup):
            if os.path.lexists(leftover):
                os.unlink(leftover)
    _sync_folders(folders)
    os.unlink(journal)


def _journal_entries(
    journal: Path, entries: object, others: Iterable[Path]
) -> list[tuple[dict[str, Any], tuple[Path, Path, Path]]]:
    """Return a journal's entries with their paths, or raise `ValueError` naming the first entry that is
    not one a commit writes: a target outside the journal's folder (the out folder, with its cache) and
    the folders the commit shares (the lock's), reached through a link, or the journal itself; a staged
    file or a backup not named `.TARGET.cheatdeck-XXXXXXXX.tmp` beside its target. A journal that came
    with a folder someone else made could otherwise delete or overwrite any file."""
    if not isinstance(entries, list):
        raise ValueError("no list of entries")
    base = journal.parent
    inside = [os.path.realpath(base)]
    beside = {os.path.realpath(folder) for folder in others}
    checked = []
    for number, item in enumerate(entries, 1):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(key), str) for key in ("target", "staged", "backup")
        ):
            raise ValueError(f"entry {number} is not a journal entry")
        target, staged, backup = (
            Path(os.path.normpath(base / item[key])) for key in ("target", "staged", "backup")
        )
        folder = os.path.realpath(target.parent)
        within = any(folder == top or folder.startswith(top + os.sep) for top in inside)
        if not (within or folder in beside) or target == Path(os.path.normpath(journal)):
            raise ValueError(f"entry {number} names a file outside {base}: {item['target']}")
        pattern = re.compile(rf"^\.{re.escape(target.name)}\.cheatdeck-[0-9a-f]{{8}}\.tmp$")
        for path in (staged, backup):
            if path.parent != target.parent or not pattern.match(path.name):
                raise ValueError(f"entry {number} names a temporary file that is not its own: {path}")
        checked.append((item, (target, staged, backup)))
    return checked


def _discard(journal: Path, entries: list[_Entry]) -> None:
    """Remove what a failed staging created; the targets were never touched."""
    for entry in entries:
        _quietly(os.unlink, entry.staged)
        _quietly(os.unlink, entry.backup)
    _quietly(os.unlink, journal)


def _create(path: Path) -> None:
    """Create an empty file that did not exist (never follow a planted link)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _back_up(target: Path, backup: Path) -> None:
    """Keep the current target under the backup name: a hard link, or a synced copy if links fail."""
    try:
        os.link(target, backup, follow_symlinks=False)
    except OSError:
        _quietly(os.unlink, backup)
        shutil.copy2(target, backup, follow_symlinks=False)
        _sync(backup)


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_folders(folders: Iterable[Path]) -> None:
    """Make renames durable; some filesystems cannot sync a folder, which is not an error."""
    for folder in folders:
        with suppress(OSError):
            _sync(folder)


@contextmanager
def _locked(folders: Iterable[Path]) -> Iterator[None]:
    """Hold an exclusive lock on each folder (in a fixed order, so two builds cannot deadlock)."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no locking
        yield
        return
    with ExitStack() as stack:
        for folder in sorted({os.path.realpath(folder) for folder in folders}):
            descriptor = os.open(folder, os.O_RDONLY)
            stack.callback(_quietly_close, descriptor)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _lock_holder(descriptor)
                log.warning(
                    "waiting for another build in %s%s…", folder, f" (pid {holder})" if holder else ""
                )
                fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield


def _same_content(backup: Path, target: Path) -> bool:
    """True when the target still holds what its backup kept (it was never replaced): nothing to restore."""
    try:
        return os.path.isfile(target) and filecmp.cmp(backup, target, shallow=False)
    except OSError:
        return False


def _lock_holder(descriptor: int) -> int | None:
    """Return the pid that holds the `flock` on an open folder, as Linux lists it in /proc/locks (None
    elsewhere, or if it let go meanwhile)."""
    status = os.fstat(descriptor)
    try:
        with open("/proc/locks", encoding="ascii") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    device = f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}:{status.st_ino}"
    holders = {}  # device:inode → pid (a layered filesystem may list another device number)
    for line in lines:
        words = line.split()  # "1: FLOCK  ADVISORY  WRITE 4242 08:01:123456 0 EOF"
        held_here = len(words) >= 6 and words[5].rsplit(":", 1)[-1] == str(status.st_ino)
        if held_here and words[1] == "FLOCK" and words[3] == "WRITE" and words[4].isdigit():
            holders[words[5]] = int(words[4])
    return holders.get(device) or next(iter(holders.values()), None)


def _where(error: OSError, default: Path) -> str:
    """Return "file: reason" for a failed step, naming the file the learner knows (a staged or backup
    file is named by its target)."""
    names = [Path(name) for name in (error.filename, error.filename2) if isinstance(name, (str, Path))]
    known = [name for name in names if not _TEMPORARY.match(name.name)]
    if known:
        where: Path = known[0]
    elif names:
        where = names[0].with_name(names[0].name[1:].rsplit(".cheatdeck-", 1)[0])
    else:
        where = default
    return f"{where}: {error.strerror or error}"


def _quietly(action: Callable[[Path], object], path: Path) -> None:
    with suppress(OSError):
        action(path)


def _quietly_close(descriptor: int) -> None:
    with suppress(OSError):
        os.close(descriptor)
