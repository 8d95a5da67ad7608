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
