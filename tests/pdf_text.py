"""Read a PDF's text back the way a viewer does (PDFium), for tests that look for words on a page.

pypdf decodes WeasyPrint's custom font encodings wrongly on some font sets (a subset with a `WP-Encod`
CMap garbles the rest of the page), so a test checking printed words would depend on the machine's fonts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pypdfium2


def page_texts(path: Path) -> list[str]:
    """Return the text of each page of the PDF at `path`."""
    document = pypdfium2.PdfDocument(path)
    try:
        texts = []
        for page in document:
            text_page = page.get_textpage()
            texts.append(text_page.get_text_range().replace("\r\n", "\n"))
            text_page.close()
            page.close()
        return texts
    finally:
        document.close()


Box = tuple[float, float, float, float]  # left, bottom, right, top, in PDF points (y grows upwards)


@dataclass(frozen=True)
class PageChars:
    """One page's text as PDFium reads it, with the box of every character (line breaks PDFium adds to
    the text have empty boxes at the line's end)."""

    width: float
    height: float
    text: str
    boxes: tuple[Box, ...]

    def between(self, first: str, last: str) -> list[Box]:
        """Return the boxes of the visible characters from the first `first` to the next `last` (both
        included), or [] when they are not on this page."""
        start = self.text.find(first)
        end = self.text.find(last, start + len(first)) if start >= 0 else -1
        if end < 0:
            return []
        return [
            self.boxes[index] for index in range(start, end + len(last)) if not self.text[index].isspace()
        ]


def page_chars(path: Path) -> list[PageChars]:
    """Return each page of the PDF at `path` with its text and every character's box."""
    document = pypdfium2.PdfDocument(path)
    try:
        pages = []
        for page in document:
            text_page = page.get_textpage()
            count = text_page.count_chars()
            text = text_page.get_text_range(0, count) if count else ""
            boxes = tuple(text_page.get_charbox(index) for index in range(count))
            width, height = page.get_size()
            pages.append(PageChars(width, height, text, boxes))
            text_page.close()
            page.close()
        return pages
    finally:
        document.close()


MM = 72 / 25.4
SHEET_MARGINS = (6 * MM, 7 * MM)  # the sheet's page margins, left and right, top and bottom (sheet.html.j2)
COLUMN_GAP = 2.5 * MM  # between the notes' columns (sheet.css)


def column_heights(page: PageChars, columns: int, floor: float = 0.0) -> list[float]:
    """Return how far down each of a sheet page's `columns` note columns is filled, in points from the
    top of its text area to the column's lowest character; characters below `floor` (points from the
    page foot: where the grid begins, if it shares the page) and in the margins are not the notes'."""
    margin_x, margin_y = SHEET_MARGINS
    top, floor = page.height - margin_y, max(floor, margin_y)
    pitch = (page.width - 2 * margin_x + COLUMN_GAP) / columns
    lowest = [top] * columns
    for char, (left, low, right, high) in zip(page.text, page.boxes, strict=True):
        if char.isspace() or high > top or low < floor - 1:
            continue
        column = min(columns - 1, max(0, int(((left + right) / 2 - margin_x) // pitch)))
        lowest[column] = min(lowest[column], low)
    return [top - low for low in lowest]
