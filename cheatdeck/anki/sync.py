"""Bring a learner's Anki collection up to date with the build, through Anki's own backend (`anki`).

An `.apkg` import adds and updates notes, nothing more. `sync` opens the collection itself and:

- adds new notes and brings note types up to date with Anki's package importer, fed the build's notes
  (so note-type ids, decks and media are exactly those of an `.apkg` import);
- updates changed notes in place, whatever their modification times: fields and tags only, so every card
  keeps its scheduling and review history;
- moves notes of an older note-type version to the current one with Anki's change-notetype (fields and
  cards matched by name, history kept);
- deletes retired notes, and records that in the lock so no later build ships them again;
- never overwrites a field the learner edited in Anki since the last sync: if the sources did not change
  it, the edit is kept and reported; if they did, that is a conflict, reported with both texts, until
  `keep="anki"` or `keep="source"` settles it;
- leaves Anki's import defaults (the options of the last package import) as it found them.

What the last sync left in each field is remembered in the collection itself (config key
`cheatdeck:<deck id>`): per note and field, a hash of the text Anki held after the sync and of the source
text it was compared with. A note never synced before is judged against the lock (what the last build
shipped) if Anki's copy is newer than that build, else taken as unedited.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cheatdeck.anki.lock import DELETED, LOCK_FILE, RETIRED_TAG, Lock, LockedNote, dump_lock, read_lock
from cheatdeck.cards.plan import NOTETYPES, PlannedNote
from cheatdeck.errors import SyncError
from cheatdeck.identity import note_guid, notetype_name

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.notes import Note

    from cheatdeck.anki.reconcile import DeckPlan

log = logging.getLogger(__name__)

COLLECTION_FILE = "collection.anki2"
RECORD_VERSION = 1
KEEP_CHOICES = ("anki", "source")


@dataclass(frozen=True)
class SyncOptions:
    """Which notes to sync into which collection, and how to settle conflicts."""

    source: Path
    templates: Path
    collection: Path | None = None
    profile: str | None = None
    dry_run: bool = False
    keep: str | None = None  # "anki" or "source": how to settle conflicts
    out: Path = Path("dist")  # the build's out folder: its journal and folder lock are shared


@dataclass(frozen=True)
class Conflict:
    """A field the learner edited in Anki since the last sync, and what the sources say now."""

    note: str
    field: str
    anki: str
    source: str
    retired: bool = False  # the note left the sources: deleting it would lose the learner's text
    dropped: bool = False  # the new note-type version has no such field: migrating would lose the text
    notetype: bool = False  # the learner gave the note another note type: sync leaves it alone


@dataclass
class SyncReport:
    """What a sync did (or, for a dry run, would do) to the collection."""

    collection: Path
    dry_run: bool = False
    added: list[str] = field(default_factory=list)
    updated: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # note → (field, old, new)
    deleted: list[str] = field(default_factory=list)
    migrated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # retired notes left in the collection
    edits: dict[str, list[str]] = field(default_factory=dict)  # note → fields edited in Anki only, kept
    conflicts: list[Conflict] = field(default_factory=list)
    resolved: str | None = None  # the side that won the conflicts, if one was chosen
    backup: Path | None = None
    schema_changed: bool = False
    tidied: list[str] = field(default_factory=list)  # what an upgrade left empty, removed

    @property
    def unresolved(self) -> list[Conflict]:
        """Return the conflicts left as they are: all of them if no side was chosen, else those no side
        can settle (a note type changed in Anki)."""
        return [c for c in self.conflicts if c.notetype] if self.resolved else self.conflicts

    def counts(self) -> str:
        """Return the one-line summary."""
        conflicts = f"conflicts {len(self.conflicts)}"
        if self.conflicts and self.resolved:
            still = len(self.unresolved)
            conflicts += f" (kept {self.resolved}'s text{f', {still} unresolved' if still else ''})"
        elif self.conflicts:
            conflicts += " (unresolved)"
        verb = "would be " if self.dry_run else ""
        parts = [
            f"added {len(self.added)}",
            f"updated {len(self.updated)}",
            f"deleted {len(self.deleted)}",
            f"migrated {len(self.migrated)}",
            conflicts,
        ]
        if self.edits:
            parts.append(f"kept {sum(len(names) for names in self.edits.values())} edit(s) made in Anki")
        if self.tidied:
            parts.append(f"removed {len(self.tidied)} left empty")
        return f"{verb}{', '.join(parts)}"

    def lines(self) -> list[str]:
        """Return the report as a diff: one line per note, then each conflict with both texts."""
        lines = [f"+ {note}" for note in self.added]
        lines += [f"> {note}" for note in self.migrated]
        for note, changes in self.updated.items():
            lines.append(f"~ {note}: {', '.join(name for name, _, _ in changes)}")
            if self.dry_run:
                for name, old, new in changes:
                    lines.append(f"    {name}: - {_shorten(old)}")
                    lines.append(f"    {' ' * len(name)}  + {_shorten(new)}")
        lines += [f"- {note}" for note in self.deleted]
        lines += [f"= {note} (retired, kept in the collection)" for note in self.kept]
        lines += [f"x {leftover}" for leftover in self.tidied]
        for note, names in self.edits.items():
            lines.append(f"* {note}: {', '.join(names)} edited in Anki, kept (the sources did not change it)")
        for conflict in self.conflicts:
            if conflict.notetype:
                lines.append(
                    f"! conflict: {conflict.note}: you changed the note type of {conflict.field} in Anki; "
                    "sync leaves this note as it is"
                )
                lines.append(f"    in Anki:   {conflict.anki}")
                lines.append(f"    in source: {conflict.source}")
                lines.append(
                    "    to sync it again, change it back in Anki (Browse, Notes, Change Note Type), or "
                    "delete it there and sync adds it anew, without its history"
                )
                continue
            settled = f" → kept {self.resolved}'s text" if self.resolved else ""
            why, source = "", conflict.source
            if conflict.retired:
                why, source = ", but the note was removed from the sources", "(deleted with the note)"
            elif conflict.dropped:
                why, source = ", but the new note-type version has no such field", "(no such field)"
                if self.resolved == "anki":
                    settled += ": the note stays on its old note type"
            lines.append(f"! conflict: {conflict.note}: {conflict.field} edited in Anki{why}{settled}")
            lines.append(f"    in Anki:   {conflict.anki}")
            lines.append(f"    in source: {source}")
        return lines


def anki_base(environ: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """Return Anki's data folder: `ANKI_BASE` if set, else the default of this operating system."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if environ.get("ANKI_BASE"):
        return Path(environ["ANKI_BASE"])
    home = Path(environ.get("HOME") or environ.get("USERPROFILE") or Path.home())
    if platform.startswith("win"):
        return Path(environ.get("APPDATA") or home / "AppData" / "Roaming") / "Anki2"
    if platform == "darwin":
        return home / "Library" / "Application Support" / "Anki2"
    return Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "Anki2"


def find_collection(collection: Path | None, profile: str | None, base: Path | None = None) -> Path:
    """Return the collection file to sync: the path given, or a profile's in Anki's data folder."""
    if collection is not None:
        if not collection.is_file():
            raise SyncError(f"{collection}: no Anki collection there (expected a collection.anki2 file)")
        return collection
    base = anki_base() if base is None else base
    folders = sorted(base.iterdir()) if base.is_dir() else []
    profiles = [folder.name for folder in folders if (folder / COLLECTION_FILE).is_file()]
    if profile is not None:
        if profile not in profiles:
            known = f"profiles there: {', '.join(profiles)}" if profiles else "no profile there"
            raise SyncError(f"{base / profile / COLLECTION_FILE}: no such Anki profile ({known})")
        return base / profile / COLLECTION_FILE
    if len(profiles) == 1:
        return base / profiles[0] / COLLECTION_FILE
    if not profiles:
        raise SyncError(f"{base}: no Anki profile found; pass --collection PATH or --profile NAME")
    raise SyncError(f"{base}: several Anki profiles ({', '.join(profiles)}); choose one with --profile NAME")


def sync(
    options: SyncOptions,
    confirm: Callable[[list[str]], bool],
    confirm_tidy: Callable[[list[str]], bool] | None = None,
) -> SyncReport:
    """Compare the build with the collection and, unless a dry run, bring the collection and the lock
    up to date. `confirm` is asked before retired notes are deleted (with their names), `confirm_tidy`
    before what an upgrade left empty is removed (empty subdecks, old note types without notes; not
    asked: left alone).

    The whole sync holds the build's folder lock, after undoing a commit a killed build left half done
    (its journal), so no build writes the lock from under it and none puts back an older lock after it."""
    from cheatdeck.transaction import held

    if options.keep not in (None, *KEEP_CHOICES):
        raise ValueError(f"keep must be one of {KEEP_CHOICES}, got {options.keep!r}")
    path = find_collection(options.collection, options.profile)
    check_collection(path)
    if options.dry_run:
        return _sync_locked(options, path, confirm, confirm_tidy)
    with held(options.out, [options.source]):
        return _sync_locked(options, path, confirm, confirm_tidy)


def _sync_locked(
    options: SyncOptions,
    path: Path,
    confirm: Callable[[list[str]], bool],
    confirm_tidy: Callable[[list[str]], bool] | None,
) -> SyncReport:
    from cheatdeck.anki.reconcile import plan_deck
    from cheatdeck.notes.sources import load_sources

    notebook = load_sources(options.source)
    for warning in notebook.warnings:
        log.warning("%s", warning)
    lock_path = options.source / LOCK_FILE
    lock = read_lock(lock_path)
    plan = plan_deck(notebook, options.templates, lock)
    for advice in plan.advice:
        if not advice.imports_only:  # sync does the import's work itself: that advice is not for it
            log.log(logging.WARNING if advice.warning else logging.INFO, "%s", advice)
    report = SyncReport(path, dry_run=options.dry_run, resolved=options.keep if options.keep else None)
    with _opened(path, snapshot=options.dry_run) as col:
        work = _Work.compare(col, plan, lock, notebook.deck.id, options.keep)
        if not options.dry_run and work.deletions() and not confirm(work.deletions()):
            work.keep_retired()
        work.find_leftovers(col, plan, notebook.deck.id, None if options.dry_run else confirm_tidy or _no)
        work.fill(report)
        if options.dry_run:
            return report
        if work.changes() or work.leftovers or work.remembered(col) != work.record:
            report.backup = _backup(col, path)
            try:
                work.apply(col, plan)
            except Exception as error:
                raise SyncError(
                    f"{path}: sync failed while writing ({type(error).__name__}: {error}); the lock is "
                    f"unchanged. The collection may be partly updated: run sync again, or restore Anki's "
                    f"backup {report.backup}"
                ) from error
            report.schema_changed = bool(report.migrated or report.tidied) and col.schema_changed()
    try:
        _write_lock(lock_path, dump_lock(work.new_lock(plan, lock)))
    except OSError as error:
        raise SyncError(
            f"{lock_path}: {error.strerror or error}; the collection is updated but the lock is not: "
            "run sync again once the lock can be written"
        ) from None
    return report


_SQLITE_HEADER = b"SQLite format 3\x00"
_ANKI_TABLES = ("col", "notes", "cards", "revlog")


def check_collection(path: Path) -> None:
    """Refuse a file that is not an Anki collection (a SQLite database with Anki's tables), before Anki's
    backend touches it: the backend would turn an empty file or another program's database into one.
    Read-only, without SQLite's locks or side files, so the file and its folder stay as they are."""
    import sqlite3

    not_one = f"{path}: not an Anki collection"
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError as error:
        raise SyncError(f"{path}: {error.strerror or error}; nothing changed") from None
    if not header:
        raise SyncError(f"{not_one} (the file is empty); nothing changed")
    if len(header) < 100 or not header.startswith(_SQLITE_HEADER):
        raise SyncError(f"{not_one} (no SQLite database); nothing changed")
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        database = sqlite3.connect(uri, uri=True)
        try:
            tables = {
                row[0] for row in database.execute("select name from sqlite_master where type = 'table'")
            }
        finally:
            database.close()
    except sqlite3.Error as error:
        raise SyncError(f"{not_one} (SQLite cannot read it: {error}); nothing changed") from None
    missing = [table for table in _ANKI_TABLES if table not in tables]
    if missing:
        raise SyncError(
            f"{not_one} (a SQLite database without Anki's table(s) {', '.join(missing)}); nothing changed"
        )


@contextmanager
def _opened(path: Path, snapshot: bool = False) -> Iterator[Collection]:
    """Open a collection with Anki's backend; refuse one Anki (or another program) holds open, and one
    that fails SQLite's integrity check. With `snapshot`, open a copy in a scratch folder instead, so
    not a byte of the collection or its folder changes (a dry run).

    Anki opens its collection in SQLite's exclusive locking mode and keeps it locked while the profile is
    open, so opening it here fails with Anki's own "already open" error and nothing is touched."""
    if not snapshot:
        with _backend(path, path) as col:
            yield col
        return
    refuse_if_held(path)
    with tempfile.TemporaryDirectory(prefix="cheatdeck-sync-") as scratch:
        copy = copy_collection(path, Path(scratch))
        with _backend(copy, path) as col:
            yield col


@contextmanager
def _backend(path: Path, shown: Path) -> Iterator[Collection]:
    from anki.collection import Collection
    from anki.errors import DBError

    try:
        col = Collection(str(path))
    except DBError as error:
        if "already open" not in str(error):
            raise SyncError(f"{shown}: Anki cannot open this collection ({error}); nothing changed") from None
        raise SyncError(
            f"{shown}: Anki has this collection open ({error}); close Anki, or switch it to another "
            "profile, and run sync again; nothing changed"
        ) from None
    try:
        assert col.db is not None, "collection is closed"
        verdict = str(col.db.scalar("pragma integrity_check"))
        if verdict != "ok":
            raise SyncError(
                f"{shown}: this collection fails SQLite's integrity check ({_shorten(verdict, 200)}); "
                "repair it in Anki (Tools, Check Database) or restore a backup, then run sync again; "
                "nothing changed"
            )
        yield col
    finally:
        col.close()


def copy_collection(path: Path, folder: Path) -> Path:
    """Copy a collection into `folder`, with the changes Anki has not yet moved into the file itself (its
    write-ahead log); return the copy, which can be opened without touching the learner's file."""
    copy = folder / COLLECTION_FILE
    shutil.copyfile(path, copy)
    wal = path.with_name(path.name + "-wal")
    if wal.is_file():
        shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
    return copy


def refuse_if_held(path: Path) -> None:
    """Refuse a collection another program holds open (its write-ahead log is there): a copy of it
    could be caught halfway through a write."""
    import sqlite3

    if not path.with_name(path.name + "-wal").exists():
        return
    try:
        database = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0)
        try:
            database.execute("select count(*) from sqlite_master").fetchone()
        finally:
            database.close()
    except sqlite3.OperationalError as error:
        raise SyncError(
            f"{path}: Anki has this collection open ({error}); close Anki, or switch it to another "
            "profile, and run sync again; nothing changed"
        ) from None


def _backup(col: Collection, path: Path) -> Path | None:
    """Make Anki's own backup in the profile's `backups` folder, as Anki does; return the new file."""
    folder = path.parent / "backups"
    folder.mkdir(exist_ok=True)
    before = set(folder.iterdir())
    col.create_backup(backup_folder=str(folder), force=True, wait_for_completion=True)
    created = sorted(set(folder.iterdir()) - before)
    return created[-1] if created else None


def _write_lock(path: Path, text: str) -> None:
    """Replace the lock file in one step (a temporary file beside it, synced, renamed into place), if it
    changed: a crash leaves the old lock or the new one, never a part of either."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(name, 0o644)
        os.replace(name, path)
    finally:
        Path(name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # make the rename durable; not every filesystem syncs a folder
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _positions(old: list[str], new: list[str]) -> list[int]:
    """Return, for each new name, its position among the old names (-1: none), as change-notetype wants."""
    return [old.index(name) if name in old else -1 for name in new]


def _rows(col: Collection, sql: str) -> list[Any]:
    assert col.db is not None, "collection is closed"
    return col.db.all(sql)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _shorten(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass
class _Item:
    """One planned note against the collection: what to add, write, migrate or delete."""

    planned: PlannedNote
    label: str
    nid: int | None = None  # the collection's note (None: to be added)
    guid: str = ""  # its GUID in the collection (an older version's when it is migrated)
    model_id: int = 0  # the note type it is planned with
    migrate_from: int = 0  # the note type id it has now, when that is an older version
    retired: bool = False  # retired from the sources: to be deleted
    kept: bool = False  # retired, but left in the collection
    blocked: bool = False  # has conflicts and no side was chosen: left exactly as it is
    writes: dict[str, str] = field(default_factory=dict)  # field → new text
    edits: list[str] = field(default_factory=list)  # fields edited in Anki only: kept, reported
    old: dict[str, str] = field(default_factory=dict)  # field → the collection's text
    tags: list[str] | None = None  # the new tag list, when it changes
    conflicts: list[Conflict] = field(default_factory=list)
    names: tuple[str, ...] = ()  # the field names of `planned.fields`
    orphan: bool = False  # a note of an older note-type version that the build no longer makes
    twin: int = 0  # the new version's copy an .apkg import added beside this older note: folded into it

    @property
    def deleted(self) -> bool:
        """Return True if the note is to be deleted from the collection."""
        return self.retired and not self.kept and not self.blocked


@dataclass
class _Work:
    """Every planned note compared with the collection."""

    items: list[_Item]
    gone: list[str]  # GUIDs of retired notes no longer in the collection
    record: dict[str, Any]  # what the last sync left in each note (see the module docstring)
    key: str
    reviews: dict[int, int] = field(default_factory=dict)  # note id → its cards' review-log rows
    leftovers: list[tuple[str, int, str]] = field(default_factory=list)  # ("deck"/"notetype", id, label)

    @classmethod
    def compare(cls, col: Collection, plan: DeckPlan, lock: Lock, deck_id: str, keep: str | None) -> _Work:
        """Find each planned note in the collection (by GUID, or an older version's GUID) and decide."""
        key = f"cheatdeck:{deck_id}"
        record = col.get_config(key, {})
        synced: dict[str, Any] = record.get("notes", {}) if record.get("version") == RECORD_VERSION else {}
        in_anki = {guid: (nid, mid) for nid, guid, mid in _rows(col, "select id, guid, mid from notes")}
        older = _older_notetypes(col, plan, deck_id)
        items, gone = [], []
        for planned in plan.notes:
            spec = NOTETYPES[planned.notetype]
            item = _Item(planned, f"{planned.note_id} ({planned.notetype})", names=spec.fields)
            item.retired = RETIRED_TAG in planned.tags
            found, twin_id = _find(planned, deck_id, in_anki, older)
            twin = col.get_note(twin_id) if twin_id else None  # type: ignore[arg-type]
            if found is None:
                if item.retired:  # never shipped to this collection, or deleted by the learner
                    gone.append(planned.guid)
                else:
                    items.append(item)
                continue
            item.guid = found
            item.nid, mid = in_anki[found]
            item.model_id = plan.notetypes[planned.notetype].model_id
            if mid != item.model_id and mid not in older:
                items.append(_foreign(item, col, mid, plan.notetypes[planned.notetype].name))
                continue
            if mid != item.model_id:
                item.migrate_from = mid
                item.label = f"{planned.note_id} ({planned.notetype} → v{spec.version})"
            note = col.get_note(item.nid)  # type: ignore[arg-type]
            _compare_note(item, note, spec.fields, synced.get(found), lock.notes.get(found), keep)
            if item.migrate_from:
                _drop_flat_tags(item, note, deck_id)
            if twin is not None:
                _fold_twin(item, note, twin, lock.notes.get(planned.guid), keep)
            item.kept = item.retired and bool(item.conflicts) and keep == "anki"
            items.append(item)
        claimed = {item.guid for item in items}
        for guid, (nid, mid) in sorted(in_anki.items()):
            if mid in older and guid not in claimed:
                items.append(_orphan(col.get_note(nid), older[mid], synced.get(guid), lock, keep))
        reviews = dict(
            _rows(
                col, "select cards.nid, count(*) from revlog join cards on cards.id = revlog.cid group by 1"
            )
        )
        return cls(items, gone, {"version": RECORD_VERSION, "notes": synced}, key, reviews)

    def deletions(self) -> list[str]:
        """Return the retired notes to be deleted, each with what history goes with it."""
        return [
            f"{item.label}: {_reviews(self.reviews.get(item.nid or 0, 0) + self.reviews.get(item.twin, 0))}"
            for item in self.items
            if item.deleted
        ]

    def keep_retired(self) -> None:
        """Leave retired notes in the collection (the learner said no): they are updated as retired."""
        for item in self.items:
            item.kept = item.kept or item.retired

    def fill(self, report: SyncReport) -> None:
        """Describe the work in the report."""
        report.tidied = [label for _, _, label in self.leftovers]
        for item in self.items:
            report.conflicts += item.conflicts
            if item.blocked:
                continue
            if item.edits:
                report.edits[item.label] = list(item.edits)
            if item.nid is None:
                report.added.append(item.label)
            elif item.deleted:
                report.deleted.append(item.label)
            else:
                if item.kept:
                    report.kept.append(item.label)
                if item.migrate_from:
                    report.migrated.append(item.label)
                if item.writes or item.tags is not None:
                    report.updated[item.label] = [
                        (name, item.old[name], text) for name, text in item.writes.items()
                    ]

    def apply(self, col: Collection, plan: DeckPlan) -> None:
        """Write the work to the collection, then what this sync left in each note."""
        for name, path in sorted(plan.media.items()):  # Anki skips a file it already holds
            col.media.write_data(name, path.read_bytes())
        self._import(col, plan)
        self._migrate(col)
        self._fold_twins(col)
        self._redate(col, plan)
        updated = []
        for item in self.items:
            if item.blocked or item.nid is None or item.deleted:
                continue
            note = col.get_note(item.nid)  # type: ignore[arg-type]
            if not (item.writes or item.tags is not None or note.guid != item.planned.guid):
                continue
            note.guid = item.planned.guid
            for name, text in item.writes.items():
                note[name] = text
            if item.tags is not None:
                note.tags = item.tags
            updated.append(note)
        if updated:
            col.update_notes(updated)
        doomed = [nid for item in self.items if item.deleted for nid in (item.nid, item.twin) if nid]
        if doomed:
            col.remove_notes(doomed)  # type: ignore[arg-type]
        self._suspend(col, plan)
        self._tidy(col)
        col.set_config(self.key, self.remembered(col))

    def _import(self, col: Collection, plan: DeckPlan) -> None:
        """Add new notes, and bring note types up to date, with Anki's importer (ids as in the `.apkg`).

        Anki imports only the note types its package's notes use, so for each note type without a new
        note one existing note rides along, left unchanged (updates: never); a note to be migrated rides
        under its old GUID, which Anki reports as a conflict and skips. Anki cannot add a note type with
        a chosen id any other way."""
        from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
        from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition

        from cheatdeck.anki.deck import write_deck

        adds = [item.planned for item in self.items if item.nid is None]
        carried = {note.notetype for note in adds}
        locked = dict(plan.lock.notes)
        for item in self.items:
            foreign = any(conflict.notetype for conflict in item.conflicts)
            if item.nid is not None and not (item.orphan or foreign) and item.planned.notetype not in carried:
                adds.append(replace(item.planned, guid=item.guid))
                locked[item.guid] = plan.lock.notes[item.planned.guid]
                carried.add(item.planned.notetype)
        if not adds:
            return
        options = ImportAnkiPackageOptions(
            update_notes=ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_NEVER,
            update_notetypes=ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER,
            with_scheduling=False,
        )
        with tempfile.TemporaryDirectory(prefix="cheatdeck-sync-") as scratch, _import_defaults_kept(col):
            package = Path(scratch, "sync.apkg")
            write_deck(replace(plan, notes=tuple(adds), lock=replace(plan.lock, notes=locked)), package)
            result = col.import_anki_package(
                ImportAnkiPackageRequest(package_path=str(package), options=options)
            )
        expected = sum(item.nid is None for item in self.items)
        if len(result.log.new) != expected:
            raise SyncError(f"Anki's importer added {len(result.log.new)} notes, expected {expected}")

    def find_leftovers(
        self, col: Collection, plan: DeckPlan, deck_id: str, confirm: Callable[[list[str]], bool] | None
    ) -> None:
        """Find what the upgrade leaves empty; keep it to remove if `confirm` says yes (None: a dry run,
        which lists it)."""
        self.leftovers = _leftovers(col, plan, deck_id, self.items)
        if self.leftovers and confirm is not None and not confirm([label for _, _, label in self.leftovers]):
            self.leftovers = []

    def _tidy(self, col: Collection) -> None:
        """Remove what the upgrade left empty, the learner agreeing: subdecks without cards, older note
        types without notes (each checked again now, so nothing with a card or a note goes)."""
        assert col.db is not None
        for kind, ident, _ in self.leftovers:
            if kind == "deck":
                tree = [int(did) for did in col.decks.deck_and_child_ids(ident)]  # type: ignore[arg-type]
                marks = ", ".join("?" * len(tree))
                query = f"select count() from cards where did in ({marks}) or odid in ({marks})"
                if not col.db.scalar(query, *tree, *tree):
                    col.decks.remove([ident])  # type: ignore[list-item]
            elif not col.db.scalar("select count() from notes where mid = ?", ident):
                col.models.remove(ident)  # type: ignore[arg-type]

    def _redate(self, col: Collection, plan: DeckPlan) -> None:
        """Give migrated notes that still carry the first releases' placeholder ids (Anki showed them as
        *Added 2017-07-14*) ids from the time the lock records the note was first shipped, as an `.apkg`
        would: the note's, its cards' (each review-log row follows its card)."""
        from cheatdeck.clock import now

        assert col.db is not None
        for item in self.items:
            if not (item.migrate_from and item.nid and not item.blocked and not item.deleted):
                continue
            if not _PLACEHOLDER_IDS <= item.nid < _PLACEHOLDER_IDS + _PLACEHOLDER_SPAN:
                continue
            base = plan.lock.notes[item.planned.guid].added * 1000
            nid = _free_id(col, "notes", base)
            col.db.execute(
                "update notes set id = ?, mod = ?, usn = ? where id = ?", nid, now(), col.usn(), item.nid
            )
            col.db.execute("update cards set nid = ? where nid = ?", nid, item.nid)
            for (cid,) in _rows(col, f"select id from cards where nid = {int(nid)} order by ord"):
                new = _free_id(col, "cards", base)
                col.db.execute(
                    "update cards set id = ?, mod = ?, usn = ? where id = ?", new, now(), col.usn(), cid
                )
                col.db.execute("update revlog set cid = ? where cid = ?", new, cid)
            item.nid = nid

    def _fold_twins(self, col: Collection) -> None:
        """Fold each new copy an `.apkg` import added beside a migrated note into it, then remove the copy.
        The copy's review log moves onto the migrated card of the same template, and a copy's card reviewed
        more recently than that card gives it its scheduling: no review is lost."""
        from cheatdeck.clock import now

        twins = [
            item for item in self.items if item.twin and item.nid and not item.blocked and not item.deleted
        ]
        if not twins:
            return
        assert col.db is not None
        for item in twins:
            kept = dict(_rows(col, f"select ord, id from cards where nid = {int(item.nid or 0)}"))
            for ord, cid in _rows(col, f"select ord, id from cards where nid = {int(item.twin)}"):
                target = kept.get(ord)
                last = dict(
                    _rows(
                        col, f"select cid, max(id) from revlog where cid in ({cid}, {target or 0}) group by 1"
                    )
                )
                if target is None or cid not in last:
                    continue  # the copy's card was never reviewed (or has no old card): nothing to move
                col.db.execute("update revlog set cid = ? where cid = ?", target, cid)
                if last[cid] > last.get(target, 0):
                    col.db.execute(
                        f"update cards set ({_SCHEDULING}) = (select {_SCHEDULING} from cards where id = ?), "
                        "mod = ?, usn = ? where id = ?",
                        cid,
                        now(),
                        col.usn(),
                        target,
                    )
        col.remove_notes([item.twin for item in twins])  # type: ignore[misc]

    def _suspend(self, col: Collection, plan: DeckPlan) -> None:
        """Suspend the cards the build no longer makes (a retired note kept, a card kind switched off):
        out of the study queue, history kept. An `.apkg` can only do that for cards it adds."""
        synced = {item.planned.guid for item in self.items if not item.blocked and not item.deleted}
        nids = {guid: nid for nid, guid in _rows(col, "select id, guid from notes") if guid in synced}
        wanted = {(nids[guid], ord) for guid, ords in plan.suspended.items() if guid in nids for ord in ords}
        if not wanted:
            return
        rows = _rows(col, "select id, nid, ord, queue from cards where queue != -1")
        cards = [cid for cid, nid, ord, _ in rows if (nid, ord) in wanted]
        if cards:
            col.sched.suspend_cards(cards)

    def _migrate(self, col: Collection) -> None:
        """Move notes to the current note-type version with Anki's change-notetype, fields and cards
        matched by name, so every card that still exists keeps its scheduling and review history."""
        from anki.models import ChangeNotetypeRequest

        groups: dict[tuple[int, int], list[int]] = {}
        for item in self.items:
            if item.migrate_from and not item.blocked and not item.deleted and item.nid:
                groups.setdefault((item.migrate_from, item.model_id), []).append(item.nid)
        for (old_id, new_id), note_ids in sorted(groups.items()):
            old, new = col.models.get(old_id), col.models.get(new_id)  # type: ignore[arg-type]
            assert old is not None and new is not None
            old_fields = [f["name"] for f in old["flds"]]
            old_cards = [t["name"] for t in old["tmpls"]]
            cloze = bool(new["type"] == 1)
            request = ChangeNotetypeRequest(
                note_ids=note_ids,
                new_fields=[
                    old_fields.index(f["name"]) if f["name"] in old_fields else -1 for f in new["flds"]
                ],
                new_templates=[]
                if cloze
                else [old_cards.index(t["name"]) if t["name"] in old_cards else -1 for t in new["tmpls"]],
                old_notetype_id=old_id,
                new_notetype_id=new_id,
                current_schema=_rows(col, "select scm from col")[0][0],
                old_notetype_name=old["name"],
                is_cloze=cloze,
            )
            col.models.change_notetype_of_notes(request)

    def changes(self) -> bool:
        """Return True if any note is to be added, written, migrated or deleted."""
        return any(
            item.nid is None or item.deleted or item.migrate_from or item.writes or item.tags is not None
            for item in self.items
            if not item.blocked
        )

    def remembered(self, col: Collection) -> dict[str, Any]:
        """Return the record of this sync: per note and field, the hash of the text Anki holds and of the
        source text it was compared with (a conflict left open keeps its old record)."""
        notes: dict[str, Any] = dict(self.record["notes"])
        in_anki = {guid: nid for nid, guid in _rows(col, "select id, guid from notes")}
        for item in self.items:
            if item.blocked:
                continue  # its conflict stays until a side is chosen
            notes.pop(item.guid, None)
            if item.deleted or item.planned.guid not in in_anki:
                continue
            note = col.get_note(in_anki[item.planned.guid])
            notes[item.planned.guid] = {
                "f": {
                    name: [_digest(note[name]), _digest(text)]
                    for name, text in zip(item.names, item.planned.fields, strict=True)
                },
                "t": sorted(item.planned.tags),
            }
        for guid in self.gone:
            notes.pop(guid, None)
        return {"version": RECORD_VERSION, "notes": notes}

    def new_lock(self, plan: DeckPlan, lock: Lock) -> Lock:
        """Return the build's lock, but with retired notes that left the collection marked as deleted
        (never shipped again), notes left alone by a conflict as the old lock had them, and notes of an
        older note-type version only while they stay on it."""
        current = {0} | {notetype.model_id for notetype in plan.notetypes.values()}

        def older(note: LockedNote) -> bool:
            return note.state != DELETED and note.model_id not in current

        notes = dict(plan.lock.notes)
        for item in self.items:
            if item.blocked:
                notes.pop(item.planned.guid, None)
                if item.guid in lock.notes:
                    notes[item.guid] = lock.notes[item.guid]
        for guid in [item.planned.guid for item in self.items if item.deleted] + self.gone:
            if guid in notes and not older(notes[guid]):
                notes[guid] = replace(notes[guid], state=DELETED, fields=[], tags=[], cards=[])
        # notes of an older note-type version are in the lock until moved: only those left on it stay
        staying = {
            item.guid
            for item in self.items
            if (item.migrate_from or item.orphan) and (item.blocked or item.kept)
        }
        for guid in [guid for guid, note in notes.items() if older(note) and guid not in staying]:
            del notes[guid]
        return replace(plan.lock, notes=notes)


_SCHEDULING = "type, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags, data"
"""A card's scheduling columns in Anki's `cards` table (an FSRS memory state is kept in `data`)."""


def _leftovers(
    col: Collection, plan: DeckPlan, deck_id: str, items: list[_Item]
) -> list[tuple[str, int, str]]:
    """Return what this sync leaves empty, or found empty, of an upgrade: subdecks of the deck that the
    build no longer uses and that hold no card once the deleted notes are gone, and note types of an
    older version of this deck's that hold no note once the migrated and deleted notes have left them."""
    from anki.decks import DeckId

    gone = {nid for item in items if item.deleted for nid in (item.nid, item.twin) if nid}
    gone |= {item.twin for item in items if item.twin and not item.blocked}
    moved = {item.nid for item in items if item.migrate_from and not item.blocked and not item.deleted}
    cards = _rows(col, "select nid, did, odid from cards")
    wanted = set(plan.deck_ids.values())
    found: list[tuple[str, int, str]] = []
    listed: set[int] = set()
    for deck in sorted(col.decks.all_names_and_ids(), key=lambda deck: deck.name):
        did = DeckId(deck.id)
        if not deck.name.startswith(f"{plan.title}::") or did in wanted or col.decks.is_filtered(did):
            continue
        tree = set(col.decks.deck_and_child_ids(did))
        if tree & wanted or any((at in tree or odid in tree) and nid not in gone for nid, at, odid in cards):
            continue
        if not tree & listed:  # a parent listed removes its children with it
            found.append(("deck", did, f"deck {deck.name} (no cards)"))
        listed |= tree
    notes = _rows(col, "select id, mid from notes")
    for mid in sorted(_older_notetypes(col, plan, deck_id)):
        if all(nid in gone or nid in moved for nid, of in notes if of == mid):
            notetype = col.models.get(mid)  # type: ignore[arg-type]
            found.append(("notetype", mid, f"note type {notetype['name'] if notetype else mid} (no notes)"))
    return found


_PLACEHOLDER_IDS = 1_500_000_000_000
"""Where the first releases' note and card ids began (genanki's counter, 2017-07-14): no real date."""
_PLACEHOLDER_SPAN = 10_000_000  # ids counted up from there, one per note and card


def _find(
    planned: PlannedNote, deck_id: str, in_anki: dict[str, tuple[int, int]], older: dict[int, tuple[str, int]]
) -> tuple[str | None, int]:
    """Return the GUID of a planned note's copy in the collection (its own, or an older version's), and
    the id of the new copy an `.apkg` import added beside an older version's note (0: none). With both
    there, the old note, which holds the history, is the one migrated; the new copy is folded into it."""
    spec = NOTETYPES[planned.notetype]
    candidates = [planned.guid] + [
        note_guid(deck_id, planned.notetype, planned.note_id, version)
        for version in range(spec.version - 1, 0, -1)
    ]
    present = [guid for guid in candidates if guid in in_anki]
    elder = next((guid for guid in present[1:] if in_anki[guid][1] in older), None)
    if present and present[0] == planned.guid and elder is not None:
        return elder, in_anki[planned.guid][0]
    return (present[0] if present else None), 0


def _free_id(col: Collection, table: str, start: int) -> int:
    """Return the first id from `start` on that no row of `table` (notes or cards) has."""
    taken = {
        row[0]
        for row in _rows(
            col, f"select id from {table} where id >= {int(start)} and id < {int(start) + 100_000}"
        )
    }
    found = start
    while found in taken:
        found += 1
    return found


def _drop_flat_tags(item: _Item, note: Note, deck_id: str) -> None:
    """Leave out of a migrated note the flat tags the first releases shipped (`kind::service`), where the
    build now ships the same tag under the deck's id (`<deck>::kind::service`); the learner's own stay."""
    prefix = f"{deck_id}::"
    flat = {tag.removeprefix(prefix).casefold() for tag in item.planned.tags if tag.startswith(prefix)}
    tags = item.tags if item.tags is not None else list(note.tags)
    kept = sorted(tag for tag in tags if tag.casefold() not in flat)
    if kept != sorted(note.tags):
        item.tags = kept


def _no(_asked: list[str]) -> bool:
    return False


def _reviews(count: int) -> str:
    return f"{count} review(s) go with it" if count else "never reviewed"


def _fold_twin(item: _Item, note: Note, twin: Note, locked: LockedNote | None, keep: str | None) -> None:
    """Take into `item` what the learner did to the new copy an `.apkg` import added beside its older
    note: a field edited there (it differs from what the build shipped) is kept and reported like any edit
    made in Anki, or is a conflict if the sources changed that field since; tags added there are kept."""
    item.twin = twin.id
    shipped = (
        dict(zip(item.names, locked.fields, strict=True))
        if locked and len(locked.fields) == len(item.names)
        else {}
    )
    for name, source in zip(item.names, item.planned.fields, strict=True):
        if name not in shipped or name not in twin or twin[name] in (shipped[name], item.old.get(name)):
            continue
        item.writes.pop(name, None)
        if source == shipped[name]:
            item.writes[name] = twin[name]
            item.edits.append(name)
            continue
        item.conflicts.append(Conflict(item.label, name, twin[name], source, item.retired))
        if keep is not None:
            item.writes[name] = source if keep == "source" else twin[name]
    item.blocked = item.blocked or (bool(item.conflicts) and keep is None)
    added = [tag for tag in twin.tags if tag not in (locked.tags if locked else ())]
    if added:
        item.tags = sorted({*(item.tags if item.tags is not None else note.tags), *added})


_IMPORT_DEFAULTS = ("mergeNotetypes", "updateNotes", "updateNotetypes", "withScheduling", "withDeckConfigs")
"""The collection's config keys where Anki remembers the last package import's options: its import
dialog offers them next time."""


@contextmanager
def _import_defaults_kept(col: Collection) -> Iterator[None]:
    """Leave the import dialog's defaults as they were: Anki stores the options of every package import,
    and sync's own (update notes: never) would then be offered to the learner's next `.apkg` import,
    which would skip every changed note."""
    found = col.all_config()
    try:
        yield
    finally:
        for key in _IMPORT_DEFAULTS:
            if key in found:
                col.set_config(key, found[key])
            else:
                col.remove_config(key)


def _older_notetypes(col: Collection, plan: DeckPlan, deck_id: str) -> dict[int, tuple[str, int]]:
    """Return this deck's note types of an older version in the collection: id → (key, version)."""
    current = {notetype.model_id for notetype in plan.notetypes.values()}
    older = {}
    versions = {
        notetype_name(deck_id, key, version): (key, version)
        for key, spec in NOTETYPES.items()
        for version in range(1, spec.version + 1)
    }
    for entry in col.models.all_names_and_ids():
        if entry.name in versions and entry.id not in current:
            older[entry.id] = versions[entry.name]
    return older


def _foreign(item: _Item, col: Collection, mid: int, expected: str) -> _Item:
    """Return a note whose note type the learner changed in Anki (to one that is no version of this
    deck's): a conflict no side settles, so the note is left exactly as it is."""
    entry = col.models.get(mid)  # type: ignore[arg-type]
    name = str(entry["name"]) if entry else f"note type {mid}"
    item.blocked = True
    item.conflicts.append(
        Conflict(item.label, item.planned.note_id, name, expected, item.retired, notetype=True)
    )
    return item


def _orphan(
    note: Note, notetype: tuple[str, int], synced: dict[str, Any] | None, lock: Lock, keep: str | None
) -> _Item:
    """Return a note of an older note-type version that the build no longer makes (removed from the
    sources while its note type changed, or no longer making any card): like a retired note, it is
    deleted unless the learner edited it since the last sync."""
    key, version = notetype
    locked = lock.notes.get(note.guid)
    note_id = locked.note_id if locked else _shorten(note.fields[0], 40)
    names = tuple(note.keys())
    planned = PlannedNote(note.guid, note_id, key, "", tuple(note.fields), (), ())
    item = _Item(planned, f"{note_id} ({key} v{version}, no longer made)", nid=note.id, guid=note.guid)
    item.retired, item.orphan, item.names, item.old = (
        True,
        True,
        names,
        dict(zip(names, note.fields, strict=True)),
    )
    base = _base(note, synced, None)
    for name, text in item.old.items():
        held = _digest(text)
        if held != base.get(name, (held, held))[0]:
            item.conflicts.append(Conflict(item.label, name, text, "", retired=True))
    item.blocked = bool(item.conflicts) and keep is None
    item.kept = bool(item.conflicts) and keep == "anki"
    if RETIRED_TAG not in note.tags:
        item.tags = sorted({*note.tags, RETIRED_TAG})  # marked, if the learner keeps it
    return item


def _compare_note(
    item: _Item,
    note: Note,
    names: tuple[str, ...],
    synced: dict[str, Any] | None,
    locked: LockedNote | None,
    keep: str | None,
) -> None:
    """Decide, field by field, what to write to a note already in the collection, and find conflicts.

    A field is the learner's when Anki's text differs from what the last sync left there (the "base").
    Untouched fields take the source text; a field the learner changed is kept (and reported) if the
    source has not changed it since, else a conflict unless it already equals the source. A retired
    note's edit is always a conflict: deleting the note would lose it."""
    anki = {name: note[name] if name in note else "" for name in names}  # noqa: SIM401 (no Note.get)
    item.old = anki
    base = _base(note, synced, locked)
    for name, source in zip(names, item.planned.fields, strict=True):
        text = anki[name]
        if text == source:
            continue
        held = _digest(text)
        before, before_source = base.get(name, (held, held))
        if held == before == before_source:
            item.writes[name] = source  # changed in the sources only
        elif held == before and _digest(source) == before_source:
            continue  # the learner's text, kept at an earlier sync; the source has not changed since
        elif _digest(source) == before_source and not item.retired:
            item.edits.append(name)  # edited in Anki only: the learner's text stays, reported once
        else:
            item.conflicts.append(Conflict(item.label, name, text, source, item.retired))
            if keep == "source":
                item.writes[name] = source
    stays = False  # an edit the new note-type version has no field for: kept only on the old version
    for name in note.keys() if item.migrate_from else ():
        held = _digest(note[name])
        if name not in names and held != base.get(name, (held, held))[0]:
            item.conflicts.append(Conflict(item.label, name, note[name], "", item.retired, dropped=True))
            stays = keep == "anki"
    item.blocked = (bool(item.conflicts) and keep is None) or stays
    shipped = set(synced["t"]) if synced else set(locked.tags) if locked else set()
    tags = sorted({*item.planned.tags, *(tag for tag in note.tags if tag not in shipped)})
    if tags != sorted(note.tags):
        item.tags = tags


def _base(note: Note, synced: dict[str, Any] | None, locked: LockedNote | None) -> dict[str, tuple[str, str]]:
    """Return, per field, the hashes of what Anki held after the last sync and of its source text.

    A note never synced is judged against the last build (the lock) if Anki's copy was modified after
    that build was made, else taken as unedited."""
    if synced:
        return {name: (pair[0], pair[1]) for name, pair in synced.get("f", {}).items()}
    if locked and note.mod > locked.mod:
        names = NOTETYPES[locked.notetype].fields
        if len(names) == len(locked.fields):
            return {
                name: (_digest(text), _digest(text)) for name, text in zip(names, locked.fields, strict=True)
            }
    return {}
