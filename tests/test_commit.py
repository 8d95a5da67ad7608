"""Outputs, lock and build state change together: a failure or a kill at any filesystem step of a build
leaves the whole old state or the whole new one, and the next build cleans up after a killed one."""

from __future__ import annotations

import builtins
import functools
import io
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import cheatdeck.anki.deck
import cheatdeck.anki.reconcile
import cheatdeck.grid
import cheatdeck.sheet.document
import cheatdeck.templating
import cheatdeck.transaction
from cheatdeck.anki.lock import LOCK_FILE
from cheatdeck.build.state import STATE_FILE
from cheatdeck.cli import main
from cheatdeck.errors import OutputError
from cheatdeck.sheet.document import SheetParts
from cheatdeck.transaction import recover
from tests.conftest import build_into

DECK = "id: commit-test\ntitle: Commit test\n"
NOTES = """\
notes:
  - id: kmeans
    title: k-means
    kind: algorithm
    summary: Clusters points around k centroids.
    learning: unsupervised
    task: clustering
    related: [knn]
  - id: knn
    title: k-nearest neighbours
    kind: algorithm
    summary: Classifies a point by its closest neighbours.
    learning: supervised
    task: classification
  - id: s3
    title: Amazon S3
    kind: service
    summary: Object storage.
    use_case: store objects
"""
Files = dict[str, bytes]


class Injected(OSError):
    """The fault the test injects (a full disk, say) at one filesystem step."""


@pytest.fixture(autouse=True)
def _fixed_clock_and_quick_writers(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed modification time makes every build of the same edit byte-identical, so "the new state"
    is one set of bytes. The commit is under test, not the libraries, and it runs 70 times: each deck is
    written once by genanki and then copied (one file written either way), the PDF writer writes the
    sheet's HTML, and each template folder is compiled once."""
    monkeypatch.setattr(cheatdeck.anki.reconcile, "next_modification_time", lambda lock: lock.latest() + 1)
    decks: dict[str, bytes] = {}
    write_deck = cheatdeck.anki.deck.write_deck

    def quick_deck(plan: Any, target: Path) -> Path:
        if plan.digest() not in decks:
            write_deck(plan, target)
            decks[plan.digest()] = target.read_bytes()
        target.write_bytes(decks[plan.digest()])
        return target

    def write_pdf(sheet: SheetParts, target: Path, *_: object, **__: object) -> int:
        target.write_text("".join(sheet.parts) + (sheet.frame or ""), encoding="utf-8")
        return 1

    environments = functools.cache(cheatdeck.templating.make_environment)
    monkeypatch.setattr(cheatdeck.anki.deck, "write_deck", quick_deck)
    monkeypatch.setattr(cheatdeck.sheet.document, "write_sheet_pdf", write_pdf)
    monkeypatch.setattr(cheatdeck.sheet.document, "make_environment", environments)
    monkeypatch.setattr(cheatdeck.grid, "make_environment", environments)


def _project(root: Path) -> tuple[Path, Path]:
    source, out = root / "source", root / "dist"
    source.mkdir(parents=True)
    (source / "deck.yaml").write_text(DECK, encoding="utf-8")
    (source / "notes.yaml").write_text(NOTES, encoding="utf-8")
    build_into(source, out)
    _edit(source)
    return source, out


def _edit(source: Path) -> None:
    notes = source / "notes.yaml"
    notes.write_text(notes.read_text().replace("store objects", "keep objects"), encoding="utf-8")


def _files(source: Path, out: Path) -> Files:
    """Everything a build may change: every file in out/ (hidden ones too) and the notes folder's lock
    and hidden files. The state file's stat cache (inodes, times) is left out: it is not content."""
    files = {f"out/{path.name}": path.read_bytes() for path in sorted(out.iterdir()) if path.is_file()}
    files |= {
        f"source/{path.name}": path.read_bytes()
        for path in sorted(source.iterdir())
        if path.is_file() and (path.name == LOCK_FILE or path.name.startswith("."))
    }
    if f"out/{STATE_FILE}" in files:
        state = json.loads(files[f"out/{STATE_FILE}"])
        state.pop("files", None)
        files[f"out/{STATE_FILE}"] = json.dumps(state, sort_keys=True).encode()
    return files


def _raw(root: Path) -> Files:
    return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def _restore(root: Path, files: Files) -> None:
    """Put the project back exactly as `files` says (the disk as a kill left it)."""
    shutil.rmtree(root)
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


_PATH_STEPS = ("open", "replace", "rename", "link", "unlink", "remove", "chmod", "mkdir", "rmdir")


@contextmanager
def _faults(root: Path, fail_at: int | None, at_fault: Callable[[], None]) -> Iterator[list[str]]:
    """Count every filesystem step under `root` (os calls with a path, file opens for writing, fsyncs);
    at step `fail_at`, call `at_fault` (to photograph the disk as a kill would leave it) and fail."""
    steps: list[str] = []
    originals: dict[str, Any] = {name: getattr(os, name) for name in (*_PATH_STEPS, "fsync")}
    original_open = io.open

    def step(name: str) -> None:
        steps.append(name)
        if len(steps) == fail_at:
            at_fault()
            raise Injected(28, "No space left on device (injected)", name)

    def under_root(path: object) -> bool:
        return isinstance(path, str | os.PathLike) and str(Path(os.fspath(path)).absolute()).startswith(
            str(root)
        )

    def wrap(name: str) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if name == "fsync":  # a step like any other, but not waited for: durability is not tested here
                return step(f"fsync {args[0]}")
            if any(under_root(arg) for arg in args[:2]):
                step(f"{name} {args[0]}")
            return originals[name](*args, **kwargs)

        return wrapped

    def opening(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wax+") and under_root(file):
            step(f"open-for-writing {file}")
        return original_open(file, mode, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        for name in originals:
            patch.setattr(os, name, wrap(name))
        patch.setattr(io, "open", opening)
        patch.setattr(builtins, "open", opening)
        yield steps


@pytest.mark.slow
def test_a_failure_or_a_kill_at_every_filesystem_step_leaves_the_old_or_the_new_state(
    tmp_path: Path,
) -> None:
    pristine = tmp_path / "pristine"
    _project(pristine)
    old = _files(pristine / "source", pristine / "dist")
    warm_up = tmp_path / "warm-up"  # the same build once, so the deck and templates come from caches
    shutil.copytree(pristine, warm_up)
    build_into(warm_up / "source", warm_up / "dist")
    reference = tmp_path / "reference"
    shutil.copytree(pristine, reference)
    with _faults(reference, None, lambda: None) as steps:
        build_into(reference / "source", reference / "dist")
    new = _files(reference / "source", reference / "dist")
    assert new != old and new[f"source/{LOCK_FILE}"] != old[f"source/{LOCK_FILE}"]
    assert any(step.startswith("replace") for step in steps)
    assert len(steps) > 15, steps  # every output, the lock, the state, the journal and their syncs

    for fail_at in range(1, len(steps) + 1):
        root = tmp_path / f"step-{fail_at}"
        shutil.copytree(pristine, root)
        source, out = root / "source", root / "dist"
        at_kill: Files = {}
        where = f"fault at step {fail_at}: {steps[fail_at - 1]}"
        with _faults(root, fail_at, lambda: at_kill.update(_raw(root))):  # noqa: B023
            try:
                build_into(source, out)
            except OutputError as failure:
                # A failure: the build undoes what it did and says so truthfully.
                assert "nothing written, the previous outputs are kept" in str(failure), where
                assert _files(source, out) == old, where
            else:  # the step was cleanup after the commit: the new state stands (and a leftover file)
                assert _files(source, out) | new == _files(source, out), where

        # A kill at that step: the disk as it was then; the next build's first act restores a whole state.
        _restore(root, at_kill)
        recover(out, [source])
        assert _files(source, out) in (old, new), where
        assert not [name for name in _raw(root) if name.endswith(".tmp") or "journal" in name], where
        shutil.rmtree(root)


def test_a_lock_that_cannot_be_replaced_leaves_the_previous_deck_and_says_so(tmp_path: Path) -> None:
    """A directory where the lock should be: the build fails, and the new deck must not land alone."""
    source, out = _project(tmp_path)
    lock = source / LOCK_FILE
    lock.unlink()
    lock.mkdir()
    (lock / "keep").write_text("x")
    before = _files(source, out)
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--out", str(out)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert _files(source, out) == before
    assert "the previous outputs are kept" in result.output


def test_a_build_after_a_kill_removes_the_temporary_files_it_left(tmp_path: Path) -> None:
    source, out = _project(tmp_path)
    left = [
        out / ".commit-test.apkg.x8k2_q0a.tmp",  # an earlier version's staged file
        out / ".cheatsheet.pdf.cheatdeck-0123abcd.tmp",
        source / f".{LOCK_FILE}.cheatdeck-89abcdef.tmp",
    ]
    for path in left:
        path.write_bytes(b"half a file")
    build_into(source, out)
    assert not [path for path in left if path.exists()]
    assert not list(out.glob(".*.tmp")) and not list(source.glob(".*.tmp"))


@contextmanager
def _immutable(path: Path) -> Iterator[None]:
    """Make `path` immutable (`chattr +i`) while the block runs; skip where the system cannot."""
    chattr = shutil.which("chattr")
    if (
        chattr is None
        or subprocess.run([chattr, "+i", str(path)], check=False, capture_output=True).returncode
    ):
        pytest.skip("cannot make a file immutable here (chattr +i needs root and a filesystem with flags)")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def test_an_immutable_lock_is_named_in_the_error_not_a_temporary_file(tmp_path: Path) -> None:
    """The lock made immutable: the rename over it fails, and the message must name the lock the learner
    can fix (`chattr -i cheatdeck.lock.json`), never the build's temporary file beside it; and as nothing
    was replaced, nothing is left to restore."""
    source, out = _project(tmp_path)
    before = _files(source, out)
    with _immutable(source / LOCK_FILE):
        result = CliRunner().invoke(main, ["build", "--source", str(source), "--out", str(out)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{source / LOCK_FILE}: Operation not permitted; nothing written" in result.output, result.output
    assert ".tmp" not in result.output, result.output
    assert _files(source, out) == before


@pytest.mark.parametrize(
    ("filename", "filename2"),
    [
        ("{dir}/.cheatdeck.lock.json.cheatdeck-0123abcd.tmp", "{dir}/cheatdeck.lock.json"),  # os.replace
        ("{dir}/cheatdeck.lock.json", "{dir}/.cheatdeck.lock.json.cheatdeck-0123abcd.tmp"),  # os.link
        ("{dir}/.cheatdeck.lock.json.cheatdeck-0123abcd.tmp", None),  # open
    ],
)
def test_a_failed_step_on_a_temporary_file_names_its_target(
    tmp_path: Path, filename: str, filename2: str | None
) -> None:
    error = PermissionError(1, "Operation not permitted", filename.format(dir=tmp_path))
    if filename2:
        error.filename2 = filename2.format(dir=tmp_path)
    assert cheatdeck.transaction._where(error, tmp_path) == (
        f"{tmp_path / LOCK_FILE}: Operation not permitted"
    )


def _forge_journal(folder: Path, victims: Path) -> list[Path]:
    """A journal of an 'interrupted' commit, as a cloned repository could ship it, whose entries point
    out of its folder: to delete a file, to move another over one, and to remove two as leftovers."""
    victims.mkdir()
    names = ("deleted", "replaced", "evil", "staged-leftover", "backup-leftover")
    for name in names:
        (victims / name).write_text(name, encoding="utf-8")
    entries = [
        {"target": str(victims / "deleted"), "staged": "a", "backup": "b", "existed": False},
        {
            "target": os.path.relpath(victims / "replaced", folder),
            "staged": "c",
            "backup": str(victims / "evil"),
            "existed": True,
        },
        {
            "target": "grid.html",
            "staged": str(victims / "staged-leftover"),
            "backup": os.path.relpath(victims / "backup-leftover", folder),
            "existed": False,
        },
    ]
    journal = folder / cheatdeck.transaction.JOURNAL
    journal.write_text(json.dumps({"phase": "applying", "entries": entries}), encoding="utf-8")
    return [victims / name for name in names]


def test_a_forged_journal_never_touches_a_file_outside_its_folders(tmp_path: Path) -> None:
    """A journal is data like any file in a folder someone else made: one naming files outside the out
    folder (and the lock's) is refused by name, and every file it names is left as it was."""
    source, out = _project(tmp_path)
    victims = _forge_journal(out, tmp_path / "victims")
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--out", str(out)])
    assert [path.read_text(encoding="utf-8") for path in victims] == [path.name for path in victims]
    assert result.exit_code == 1, result.output
    assert f"{out / cheatdeck.transaction.JOURNAL}: damaged journal" in result.output, result.output
    assert "Traceback" not in result.output


def test_a_forged_journal_in_a_notes_folder_never_touches_a_file_outside_it(tmp_path: Path) -> None:
    source, _ = _project(tmp_path)
    victims = _forge_journal(source, tmp_path / "victims")
    guide = tmp_path / "guide.md"
    guide.write_text("# Guide\n\n## Topic\n\nTopic is a thing.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(guide), "--into", str(source)])
    assert [path.read_text(encoding="utf-8") for path in victims] == [path.name for path in victims]
    assert result.exit_code == 1, result.output
    assert f"{source / cheatdeck.transaction.JOURNAL}: damaged journal" in result.output, result.output
