#!/usr/bin/env python3
"""Measure how balanced the cheat sheet's note columns are, from the built PDF read back.

Run from the project root:

    .venv/bin/python bench/sheet_balance.py [SOURCE ...]

Each notes folder (default: `source/` and `examples/aws-cloud-practitioner/`) is built into a temporary
folder (the sheet only, through the build's own code path) and its `cheatsheet.pdf` is read back with
PDFium (`tests/pdf_text.py`): every character's box, and from the PDF's outline which pages hold notes
and where the grid and what follows it begin. Per notes page it prints each column's filled height
(from the top of the page's text area to the lowest character of the column, above the grid if the grid
shares the page) and the worst shortfall: how much shorter the shortest column is than the tallest.
The issue's target: no column of a notes page more than 15 % shorter than the others. Then, per page,
how far down its text area holds text (what is left blank below the last line).

The columns are found from the page's geometry (`tests/pdf_text.py`, `column_heights`): the sheet's
margins and column gap, as `templates/sheet.html.j2` and `sheet.css` set them, and the column count of
the sheet's options.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tests.pdf_text import MM, SHEET_MARGINS, PageChars, column_heights, page_chars  # noqa: E402

TARGET = 0.15
DEFAULT_SOURCES = ("source", "examples/aws-cloud-practitioner")


@dataclass(frozen=True)
class PageBalance:
    """The note columns of one page: each one's filled height and the space they had, in millimetres."""

    page: int  # 1-based
    heights: tuple[float, ...]
    room: float  # from the top of the text area to its foot, or to where the grid begins

    @property
    def shortfall(self) -> float:
        """How much shorter the shortest column is than the tallest (0 … 1)."""
        tallest = max(self.heights, default=0.0)
        return 1 - min(self.heights) / tallest if tallest else 0.0


def notes_regions(pdf: Path, sections: set[str]) -> dict[int, float]:
    """Return, per page (0-based) holding notes, the y (PDF points) where its notes end: the top of the
    first heading that is not a notes section (the grid, a list, the references), or 0 (the page foot)."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    regions: dict[int, float] = {}
    outline, in_section = list(reader.outline), False
    for entry in outline:
        if isinstance(entry, list):  # the notes under the heading before: each one's page holds notes
            if in_section:
                regions.update({reader.get_destination_page_number(note): 0.0 for note in _flat(entry)})
            continue
        page = reader.get_destination_page_number(entry)
        in_section = entry.title in sections
        if in_section:
            regions[page] = 0.0
        elif regions:  # the back matter begins: on a notes page, the notes end above its heading
            top = float(entry.top or 0.0)
            text_top = float(reader.pages[page].mediabox.height) - SHEET_MARGINS[1]
            if page in regions or top < text_top - 2:  # or the last note ran on to its page
                regions[page] = top
            break
    return regions


def _flat(entries: list[Any]) -> list[Any]:
    return [leaf for entry in entries for leaf in (_flat(entry) if isinstance(entry, list) else [entry])]


def balance(page: PageChars, number: int, columns: int, bottom: float) -> PageBalance:
    """Measure the note columns of one page whose notes end at `bottom` (PDF points from the page foot)."""
    room = page.height - SHEET_MARGINS[1] - max(bottom, SHEET_MARGINS[1])
    heights = column_heights(page, columns, bottom)
    return PageBalance(number, tuple(height / MM for height in heights), room / MM)


def page_fill(page: PageChars) -> tuple[float, float]:
    """Return how far down a page's text area holds text, and the text area's height, in millimetres."""
    top = page.height - SHEET_MARGINS[1]
    lows = [
        low
        for char, (_, low, _, high) in zip(page.text, page.boxes, strict=True)
        if not char.isspace() and high <= top and low >= SHEET_MARGINS[1] - 1
    ]
    return (top - min(lows, default=top)) / MM, (top - SHEET_MARGINS[1]) / MM


def measure(pdf: Path, sections: set[str], columns: int) -> list[PageBalance]:
    """Return the balance of every page of `pdf` that holds notes."""
    pages = page_chars(pdf)
    regions = notes_regions(pdf, sections)
    return [balance(pages[index], index + 1, columns, bottom) for index, bottom in sorted(regions.items())]


def build_sheet(source: Path, out: Path) -> tuple[Path, set[str], int]:
    """Build the sheet of `source` into `out`; return the PDF, its notes sections' headings and columns."""
    from cheatdeck.build.pipeline import build
    from cheatdeck.notes.sources import load_sources
    from cheatdeck.options import BuildOptions

    scratch = out / "source"
    shutil.copytree(source, scratch)  # the build writes the lock: never the repository's
    options = BuildOptions(source=scratch, out=out / "dist", artefacts=("sheet",))
    build(options)
    notebook = load_sources(scratch)
    sections = {kind.plural for kind in notebook.kinds if kind.layout == "section"}
    return out / "dist" / "cheatsheet.pdf", sections, options.sheet.columns


def main() -> None:
    """Build each notes folder's sheet and print its columns' heights and worst shortfall per page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", default=list(DEFAULT_SOURCES), help="notes folders")
    arguments = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="sheet-balance-"))
    try:
        print(f"load average: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
        print("| notes | page | column heights (mm) | room (mm) | worst shortfall |")
        print("|---|---|---|---|---|")
        worst, fills = 0.0, []
        for index, source in enumerate(arguments.sources):
            pdf, sections, columns = build_sheet(ROOT / source, scratch / str(index))
            fills += [(source, number, *page_fill(page)) for number, page in enumerate(page_chars(pdf), 1)]
            for page in measure(pdf, sections, columns):
                heights = " ".join(f"{height:.0f}" for height in page.heights)
                verdict = "ok" if page.shortfall <= TARGET else "OVER"
                print(
                    f"| {source} | {page.page} | {heights} | {page.room:.0f} "
                    f"| {page.shortfall:.1%} {verdict} |"
                )
                worst = max(worst, page.shortfall)
        print("\n| notes | page | text down to (mm) | of (mm) | blank below |")
        print("|---|---|---|---|---|")
        for source, number, filled, height in fills:
            print(f"| {source} | {number} | {filled:.0f} | {height:.0f} | {1 - filled / height:.0%} |")
        print(
            f"\nworst shortfall {worst:.1%}; target: no column more than {TARGET:.0%} shorter than the others"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
