"""Side-by-side labels never break inside a word: the contrast cards as Anki renders them (its real
backend, the note type's own CSS), laid out by WeasyPrint at a phone's width and a desktop's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anki.collection import Collection

from tests.anki_helpers import import_package
from tests.conftest import Built

_NARROW = re.compile(r"@media \(max-width: (\d+)px\) \{(.*)\}")


def _boxes(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", []):
        yield from _boxes(child)


def _lines(cell: Any) -> list[str]:
    lines = [box for box in _boxes(cell) if type(box).__name__ == "LineBox"]
    return ["".join(text.text for text in _boxes(line) if hasattr(text, "text")) for line in lines]


@pytest.mark.slow  # WeasyPrint lays out every contrast card: ~4 s a width
@pytest.mark.parametrize("width", [420, 800])
def test_side_by_side_labels_never_break_inside_a_word(built: Built, tmp_path: Path, width: int) -> None:
    import weasyprint

    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_package(col, built.deck)
        cards = [col.get_card(cid) for cid in col.find_cards('"note:cheatdeck contrast*"')]
        assert len(cards) >= 5
        labels = threes = 0
        css = cards[0].note_type()["css"]  # type: ignore[index]
        # WeasyPrint ignores media features: the rules for a narrow screen are applied by hand
        phone = "".join(rules for most, rules in _NARROW.findall(css) if width <= int(most))
        assert width > 480 or phone
        for card in cards:
            html = f'<html><body class="card" style="margin: 0">{card.answer()}</body></html>'
            page_rule = f"@page {{ size: {width}px 6000px; margin: 0 }}"
            page = weasyprint.HTML(string=html).render(stylesheets=[weasyprint.CSS(string=page_rule + phone)])
            page = page.pages[0]
            boxes = list(_boxes(page._page_box))
            for cell in boxes:
                if type(cell).__name__ != "TableCellBox" or cell.element_tag != "th":
                    continue
                lines = [line.strip() for line in _lines(cell)]
                label = " ".join("".join(cell.element.itertext()).split())
                at = 0
                for line in lines[:-1]:  # each line ends where the label has a space, or after a dash
                    at = label.index(line, at) + len(line)
                    assert label[at] == " " or line.endswith(("-", "–", "/")), (
                        card.note()["Source id"],
                        lines,
                    )
                labels += 1
            # each table fits the card, or is the block that scrolls sideways (its own box fits)
            tables = [box for box in boxes if getattr(box, "element_tag", "") == "table"]
            first: dict[int, Any] = {}
            for box in tables:  # in document order: the first box of a table is its outermost
                first.setdefault(id(box.element), box)
            outer = [box.margin_width() for box in first.values()]
            for box in first.values():
                if len(next(box.element.iter("tr"))) == 4:  # a contrast of three: a column per note
                    threes += 1  # its three columns fit side by side on a phone too, with no scrolling
                    inner = [b.margin_width() for b in tables if b.element is box.element]
                    assert max(inner) <= box.width + 0.5, (card.note()["Source id"], inner, box.width)
            assert all(box <= width + 0.5 for box in outer), (card.note()["Source id"], outer)
        assert labels >= 20 and threes == 1  # the vision triad's table fits too
    finally:
        col.close()
