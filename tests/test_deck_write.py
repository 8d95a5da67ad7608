"""Writing the .apkg: genanki fills the collection, cheatdeck writes it into a reproducible zip once, and
nothing is left behind (genanki's own `write_to_file` left its collection in the temporary folder, one
file of some megabytes a build: 19,602 of them in this machine's /tmp)."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import pytest
from anki.collection import Collection

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.anki.deck import write_deck
from cheatdeck.anki.lock import LOCK_FILE, read_lock
from cheatdeck.anki.reconcile import plan_deck
from cheatdeck.notes.sources import load_sources
from tests.anki_helpers import import_package
from tests.conftest import SOURCE


def test_writing_a_deck_leaves_nothing_in_the_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = load_sources(SOURCE)
    plan = plan_deck(notebook, SHIPPED_TEMPLATES, read_lock(SOURCE / LOCK_FILE))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    write_deck(plan, tmp_path / "deck.apkg")
    write_deck(plan, tmp_path / "again.apkg")
    assert list(scratch.iterdir()) == []
    assert (tmp_path / "deck.apkg").read_bytes() == (tmp_path / "again.apkg").read_bytes()
    with zipfile.ZipFile(tmp_path / "deck.apkg") as package:
        assert package.namelist()[:2] == ["collection.anki2", "media"]
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.compress_type for info in package.infolist()} == {zipfile.ZIP_DEFLATED}
    collection = Collection(str(tmp_path / "collection.anki2"))
    try:
        assert import_package(collection, tmp_path / "deck.apkg").new == len(plan.notes)
    finally:
        collection.close()


def test_an_edit_compresses_the_pieces_of_the_package_it_changed_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member is deflated 256 KiB at a time, each piece on its own: a one-note edit changes a page or
    two of the collection, and the package is the bytes a cold write gives, read back by zipfile as
    written (issue 26)."""
    import cheatdeck
    from cheatdeck.anki import deck

    cheatdeck.forget_caches()
    deflated: list[int] = []
    deflate = deck._deflate_piece
    monkeypatch.setattr(deck, "_deflate_piece", lambda piece: deflated.append(len(piece)) or deflate(piece))
    words = b" ".join(b"note %d says %d things" % (n, n * 7919 % 1000) for n in range(60_000))
    collection = bytearray(words[: 3 * deck._PIECE + 1000])
    members = [("collection.anki2", bytes(collection)), ("media", b'{"0": "a.png"}'), ("0", b"")]
    deck._write_zip(members, tmp_path / "first.apkg")
    assert len(deflated) == 5  # four pieces of the collection, one of the media list
    collection[deck._PIECE + 10] ^= 1  # a byte of the second piece
    members[0] = ("collection.anki2", bytes(collection))
    deflated.clear()
    deck._write_zip(members, tmp_path / "warm.apkg")
    assert deflated == [deck._PIECE]
    cheatdeck.forget_caches()
    deck._write_zip(members, tmp_path / "cold.apkg")
    assert (tmp_path / "warm.apkg").read_bytes() == (tmp_path / "cold.apkg").read_bytes()
    with zipfile.ZipFile(tmp_path / "warm.apkg") as package:
        assert package.testzip() is None
        assert [(info.filename, package.read(info)) for info in package.infolist()] == members
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.external_attr for info in package.infolist()} == {0o644 << 16}
