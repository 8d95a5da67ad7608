"""A retired note keeps its layout (the details list, its references as links), and the lock still can
never put markup of its own on a card. Anki's real backend renders the cards."""

from __future__ import annotations

import json
from pathlib import Path

import html5lib
import pytest
from anki.collection import Collection

from cheatdeck.anki.lock import LOCK_FILE
from cheatdeck.anki.retired_markup import rebuilt_layout
from tests.anki_helpers import card_html, import_package, note_by_id
from tests.conftest import build_into
from tests.test_cards import _assert_only_data
from tests.test_deck import _remove
from tests.test_sync import DECK


def test_a_retired_note_keeps_its_details_list_and_its_links(scratch_source: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build_into(scratch_source, out, artefacts=("deck",))
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_package(col, out / f"{DECK}.apkg")
        before = note_by_id(col, "lex")
        details, more = before["Details"], before["More"]
        assert "<dt>" in details and '<a href="https://' in more
        _remove(scratch_source, "services.yaml", "lex")
        build_into(scratch_source, out, artefacts=("deck",))
        import_package(col, out / f"{DECK}.apkg")
        retired = note_by_id(col, "lex")
        assert "cheatdeck::retired" in retired.tags
        assert retired["Details"] == details  # "Domain speech" was all that was left
        assert retired["More"] == more  # its references are links again, not bare addresses
        term = next(card for card in retired.cards() if card.template()["name"] == "Term")
        back = html5lib.parse(card_html(term)[1], namespaceHTMLElements=False)
        assert any(element.tag == "dl" for element in back.iter())  # the term card's back, as it was laid out
    finally:
        col.close()


@pytest.mark.parametrize(
    "field",
    [
        '<dl class="details" onclick="alert(1)"><dt>Domain</dt><dd>speech<script>alert(1)</script></dd></dl>',
        '<a href="javascript:alert(1)">Domain</a><img src=x onerror=alert(1)> speech',
        '<div class="x&quot; onmouseover=&quot;alert(1)">Domain</div><style>*{}</style>speech</dd></dl>',
        "<table><tr><td>Domain<iframe src=https://evil.example></iframe> speech",
    ],
)
def test_a_hand_edited_lock_still_puts_no_markup_of_its_own_on_a_retired_card(
    field: str, scratch_source: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    build_into(scratch_source, out, artefacts=("deck",))
    lock_path = scratch_source / LOCK_FILE
    lock = json.loads(lock_path.read_text(encoding="utf-8"))
    lex = next(entry for entry in lock["notes"].values() if entry["note_id"] == "lex")
    lex["fields"][3] = field  # Details
    lock_path.write_text(json.dumps(lock), encoding="utf-8")
    _remove(scratch_source, "services.yaml", "lex")
    build_into(scratch_source, out, artefacts=("deck",))
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_package(col, out / f"{DECK}.apkg")
        retired = note_by_id(col, "lex")
        assert "alert" not in retired["Details"] and "evil" not in retired["Details"]
        for card in retired.cards():
            for html in card_html(card):
                _assert_only_data(html, "")
        assert "Domain" in retired["Details"] and "speech" in retired["Details"]
    finally:
        col.close()


def test_the_rebuilt_layout_is_well_nested_and_escaped() -> None:
    assert rebuilt_layout("<dl><dt>a &amp; b</dt><dd>c") == "<dl><dt>a &amp; b</dt><dd>c</dd></dl>"
    assert rebuilt_layout("<b><i>x</b>") == "<b><i>x</i></b>"
    assert rebuilt_layout('<a href="https://x.example/?a=1&amp;b=2">x</a>') == (
        '<a href="https://x.example/?a=1&amp;b=2">x</a>'
    )
    assert rebuilt_layout("&lt;script&gt;") == "&lt;script&gt;"
