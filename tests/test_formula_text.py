"""What Anki's editor and browser show of a note: a formula field reads with its parentheses while the
card still draws the fraction; the mechanical fields are collapsed. Anki's real backend."""

from __future__ import annotations

from pathlib import Path

import html5lib
from anki.collection import Collection

from tests.anki_helpers import import_package, note_by_id
from tests.conftest import Built


def strip_html(html: str) -> str:
    """The field's text, as Anki's browser column and sort field show it (tags dropped)."""
    return "".join(html5lib.parse(f"<div>{html}</div>", namespaceHTMLElements=False).itertext())


def test_a_formula_reads_with_parentheses_in_anki_and_draws_a_fraction_on_the_card(
    built: Built, tmp_path: Path
) -> None:
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_package(col, built.deck)
        accuracy = note_by_id(col, "accuracy", "formula")
        text = " ".join(strip_html(accuracy["Formula"]).split())
        assert "(TP + TN) / (TP + FP + TN + FN)" in text, text
        precision = " ".join(strip_html(note_by_id(col, "precision", "formula")["Formula"]).split())
        assert "TP / (TP + FP)" in precision, precision  # a single term needs none
        css = accuracy.note_type()["css"]  # type: ignore[index]
        assert ".frac .paren { display: none; }" in css and ".frac .slash { display: none; }" in css
        answer = accuracy.cards()[0].answer()
        assert answer.count('<span class="paren">') == 4 and '<span class="num">' in answer
    finally:
        col.close()


def test_the_mechanical_fields_are_collapsed_in_anki_s_editor(built: Built, tmp_path: Path) -> None:
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_package(col, built.deck)
        collapsed = {}
        for entry in col.models.all_names_and_ids():
            notetype = col.models.get(entry.id)  # type: ignore[arg-type]
            assert notetype is not None
            if entry.name.startswith("cheatdeck "):
                collapsed[entry.name.split(" v")[0]] = [
                    f["name"] for f in notetype["flds"] if f.get("collapsed")
                ]
        assert collapsed["cheatdeck topic"] == ["Reverse card clue", "Term card on", "Source id"]
        assert collapsed["cheatdeck fact"] == collapsed["cheatdeck formula"] == ["Source id"]
        assert collapsed["cheatdeck contrast"] == ["Source id"]
    finally:
        col.close()
