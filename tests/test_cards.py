"""What each card shows: safe media names, reverse clues, learning and contrast cards, note types."""

from __future__ import annotations

from pathlib import Path

import html5lib
import yaml
from anki.collection import Collection

from tests.anki_helpers import import_package
from tests.conftest import build_into


def _deck(source: Path, notes: list[dict[str, object]], deck: str = "") -> None:
    source.mkdir(parents=True, exist_ok=True)
    (source / "deck.yaml").write_text(f"id: t\ntitle: T\n{deck}", encoding="utf-8")
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": notes}), encoding="utf-8")


def _attributes(html: str) -> set[str]:
    """Return the names of every attribute of every element, as a browser parses the HTML."""
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    return {name for element in tree.iter() for name in element.attrib}


def test_a_media_file_name_never_becomes_markup(tmp_path: Path, collection: Collection) -> None:
    """Issue 10, item 1: `image: p.png" onerror="alert(1)` gave a card with a live onerror (f685aab)."""
    source = tmp_path / "source"
    name = 'p.png" onerror="alert(1)'
    body = "![pic](media/p.png%22%20onerror=%22alert(2))"
    note = {"id": "x", "title": "X", "kind": "service", "summary": "Does x.", "image": name, "body": body}
    _deck(source, [note])
    (source / "media").mkdir()
    (source / "media" / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    (source / "media" / 'p.png" onerror="alert(2)').write_bytes(b"\x89PNG\r\n\x1a\n2")
    build_into(source, tmp_path / "dist", artefacts=("deck",))
    import_package(collection, tmp_path / "dist" / "t.apkg")
    htmls = [
        side
        for cid in collection.find_cards("")
        for card in [collection.get_card(cid)]
        for side in (card.question(), card.answer())
    ]
    fields = [field for nid in collection.find_notes("") for field in collection.get_note(nid).fields]
    assert sum(html.count("<img") for html in fields) == 2
    for html in htmls + fields:
        assert _attributes(html) <= {"src", "alt", "class", "id", "href", "style", "dir", "open"}
    media = collection.media.dir()
    assert all('"' not in entry.name and " " not in entry.name for entry in Path(media).iterdir())
