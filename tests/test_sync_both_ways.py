"""One collection, two ways in: a `sync` leaves Anki's import defaults as it found them, and an edit made in
Anki to a note the sources did not change is kept and reported, not an error. Anki's real backend."""

from __future__ import annotations

from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageRequest
from click.testing import CliRunner, Result

from cheatdeck.cli import main
from tests.anki_helpers import note_by_id
from tests.conftest import build_into
from tests.test_deck import _edit
from tests.test_sync import DECK, _new_collection, _opened


def _sync(source: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["sync", "--source", str(source), *args])


def _import_as_the_dialog_offers(col: Collection, package: Path) -> int:
    """Import with the options Anki's import dialog offers (the last import's, remembered); return how
    many notes it updated."""
    presets = col._backend.get_import_anki_package_presets()
    request = ImportAnkiPackageRequest(package_path=str(package), options=presets)
    return len(col.import_anki_package(request).log.updated)


def test_an_apkg_imported_after_a_sync_updates_the_notes(scratch_source: Path, tmp_path: Path) -> None:
    path = _new_collection(tmp_path / "collection.anki2")
    with _opened(path) as col:
        offered = col._backend.get_import_anki_package_presets()
    assert _sync(scratch_source, "--collection", str(path)).exit_code == 0
    with _opened(path) as col:
        assert col._backend.get_import_anki_package_presets() == offered  # as sync found them

    _edit(scratch_source, "services.yaml", "comprehend", summary="Edited in the sources.")
    build_into(scratch_source, tmp_path / "dist", artefacts=("deck",))
    with _opened(path) as col:
        updated = _import_as_the_dialog_offers(col, tmp_path / "dist" / f"{DECK}.apkg")
        assert updated >= 1
        assert note_by_id(col, "comprehend")["Summary"] == "Edited in the sources."


def test_an_edit_in_anki_to_a_note_the_sources_did_not_change_is_kept_and_reported(
    scratch_source: Path, tmp_path: Path
) -> None:
    path = _new_collection(tmp_path / "collection.anki2")
    assert _sync(scratch_source, "--collection", str(path)).exit_code == 0
    with _opened(path) as col:
        polly = note_by_id(col, "polly")
        polly["Summary"] = "My own words about Polly."
        col.update_note(polly)
    _edit(scratch_source, "services.yaml", "comprehend", summary="Edited in the sources.")

    result = _sync(scratch_source, "--collection", str(path))
    assert result.exit_code == 0, result.output
    assert "Error" not in result.output and "conflict:" not in result.output
    assert "* polly (topic): Summary edited in Anki, kept (the sources did not change it)" in result.output
    assert "sync: added 0, updated 1, deleted 0, migrated 0, conflicts 0, kept 1 edit(s) made in Anki" in (
        result.output
    )
    with _opened(path) as col:
        assert note_by_id(col, "polly")["Summary"] == "My own words about Polly."
        assert note_by_id(col, "comprehend")["Summary"] == "Edited in the sources."

    result = _sync(scratch_source, "--collection", str(path))  # said once
    assert result.exit_code == 0, result.output
    assert "sync: added 0, updated 0, deleted 0, migrated 0, conflicts 0\n" in result.output

    _edit(scratch_source, "services.yaml", "polly", summary="Polly, edited in the sources.")  # now both sides
    result = _sync(scratch_source, "--collection", str(path))
    assert result.exit_code == 1, result.output
    assert "! conflict: polly (topic): Summary edited in Anki" in result.output
    assert "    in Anki:   My own words about Polly." in result.output
    assert "    in source: Polly, edited in the sources." in result.output
