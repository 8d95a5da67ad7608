"""Read a laid-out cheat sheet back from WeasyPrint's boxes: how full its columns are, and whether a
heading was left alone at a column foot. Used by the tests and by `bench/sheet_bench.py`.

WeasyPrint lays a multi-column element out as one box per page holding one anonymous box per column;
this walks `document.pages[i]._page_box` (WeasyPrint's layout tree, not a public API).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

NOTES_CLASS = "notes"
HEADINGS = ("h2", "h3")


@dataclass(frozen=True)
class PageFill:
    """The columns of notes on one page: how many, and the share of their area left blank."""

    page: int  # 1-based
    columns: int
    blank: float  # 0 … 1 of the column area (column width × height from the columns' top to the page foot)
    lonely_headings: tuple[str, ...]  # text of each heading that ends a column with nothing under it
    ends_chapter: bool = False  # the last page of a chapter (its notes' last page): it may be part empty


def notes_pages(document: Any) -> list[PageFill]:
    """Return the fill of every page that holds columns of notes, in page order."""
    fills = []
    chapters = []  # the notes container laid out on each page that has one
    for number, page in enumerate(document.pages, start=1):
        container = _container(page._page_box)
        columns = list(container.children) if container is not None else []
        if not columns:
            continue
        chapters.append(container.element)
        bottom = page._page_box.content_box_y() + page._page_box.height
        area = blank = 0.0
        lonely = []
        for column in columns:
            top = column.content_box_y()
            used = max((child.position_y + child.margin_height() for child in column.children), default=top)
            area += column.width * (bottom - top)
            blank += column.width * max(0.0, bottom - used)
            heading = _last_block(column)
            if heading is not None and heading.element_tag in HEADINGS:
                lonely.append(_text(heading))
        fills.append(PageFill(number, len(columns), blank / area if area else 0.0, tuple(lonely)))
    ends = [here is not after for here, after in zip(chapters, [*chapters[1:], None], strict=True)]
    return [replace(fill, ends_chapter=end) for fill, end in zip(fills, ends, strict=True)]


def _container(page_box: Any) -> Any:
    """Return the notes container on a page, whose children are its filled columns (or None)."""
    for box in _walk(page_box):
        if _classes(box) and NOTES_CLASS in _classes(box) and box.children:
            if all(NOTES_CLASS in _classes(child) for child in box.children):
                return box
            return None
    return None


def _last_block(box: Any) -> Any:
    """Return the deepest last block-level box of a column (what sits at its foot)."""
    from weasyprint.formatting_structure.boxes import BlockBox, LineBox

    last = None
    children = [child for child in getattr(box, "children", []) if isinstance(child, BlockBox | LineBox)]
    while children and isinstance(children[-1], BlockBox):
        last = children[-1]
        children = [child for child in last.children if isinstance(child, BlockBox | LineBox)]
    return last


def _classes(box: Any) -> list[str]:
    element = getattr(box, "element", None)
    return (element.get("class") or "").split() if element is not None else []


def _text(box: Any) -> str:
    return " ".join(child.text for child in _walk(box) if hasattr(child, "text")).strip()


def _walk(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", []):
        yield from _walk(child)
