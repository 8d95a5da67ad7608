"""The join of the sheet's parts (cheatdeck.sheet.join): bytes copied, not a PDF library's parse and write.

Parts here are small PDFs laid out by WeasyPrint, as the sheet's are; the joined PDF is read back with
pypdf's strict reader and with PDFium (tests/pdf_text.py).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from pypdf import PdfReader

from cheatdeck.sheet import join
from cheatdeck.sheet.join import join_parts, read_pdf
from tests.pdf_text import page_texts
from tests.test_sheet_pdf import laid_out, short_sheets_have_chapters, source

__all__ = ["laid_out", "short_sheets_have_chapters", "source"]  # fixtures shared with test_sheet_pdf

_PAGE = "<style>@page { size: 200px 200px; margin: 10px }</style>"


def _pdf(html: str) -> bytes:
    return weasyprint.HTML(string=_PAGE + html).write_pdf()  # type: ignore[no-any-return]


def _part(name: str, pages: int, link: str, words: str = "") -> bytes:
    """A part of `pages` pages: a bookmarked heading (anchor `name`), a link to `link` (another part's
    anchor, with its stand-in here, as the sheet's parts have), then filler."""
    filler = "".join(f'<p style="break-before: page">{name} page {page}</p>' for page in range(2, pages + 1))
    stand_in = f'<span id="{link}"></span>'
    return _pdf(f'<h1 id="{name}">Part {name}</h1><a href="#{link}">to {link}</a> {words}{stand_in}{filler}')


def _frame(pages: int) -> bytes:
    return _pdf("".join(f'<p style="break-after: page">frame {page} of {pages}</p>' for page in range(pages)))


_FRAMES: dict[int, bytes] = {}


def _frame_for(pages: int) -> bytes:
    if pages not in _FRAMES:
        _FRAMES[pages] = _frame(pages)
    return _FRAMES[pages]


@pytest.fixture(scope="module")
def parts() -> dict[str, bytes]:
    """Three parts (each linking to the next's anchor) and another second part, longer by two pages."""
    return {
        "one": _part("one", 1, "two"),
        "two": _part("two", 1, "three"),
        "two, longer": _part("two", 3, "three"),
        "three": _part("three", 2, "one"),
    }


def _joined(parts: dict[str, bytes], names: list[str], parsed: dict[bytes, join.PreparedPdf]) -> bytes:
    owned = [frozenset({name.split(",")[0]}) for name in names]
    return join_parts([parts[name] for name in names], _frame_for, owned=owned, parsed=parsed)[0]


def test_the_same_parts_give_the_same_bytes_whatever_was_joined_before(parts: dict[str, bytes]) -> None:
    """An edit in `watch` joins with what the last joins read and wrote; the bytes are those of a join
    of the same parts in a fresh process, whatever the parts joined before (a part that grew moves the
    objects of every part after it)."""
    plain, longer = ["one", "two", "three"], ["one", "two, longer", "three"]
    fresh = {tuple(names): _joined(parts, names, {}) for names in (plain, longer)}
    assert fresh[tuple(plain)] != fresh[tuple(longer)]
    parsed: dict[bytes, join.PreparedPdf] = {}
    for names in (plain, longer, plain, plain, longer):
        assert _joined(parts, names, parsed) == fresh[tuple(names)]


def test_the_joined_pdf_reads_back_whole_with_links_outline_and_frame(parts: dict[str, bytes]) -> None:
    names = ["one", "two, longer", "three"]
    pdf = _joined(parts, names, {})
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert len(reader.pages) == 6
    targets = {
        name: reader.get_destination_page_number(place) for name, place in reader.named_destinations.items()
    }
    assert targets == {"one": 0, "two": 1, "three": 4}  # each part's anchor, not another's stand-in
    links = [
        (number, str(annotation.get_object()["/Dest"]))
        for number, page in enumerate(reader.pages)
        for annotation in page.get("/Annots", [])
    ]
    assert links == [(0, "two"), (1, "three"), (4, "one")]
    titles = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]
    assert titles == [("Part one", 0), ("Part two", 1), ("Part three", 4)]
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"cheatdeck-join-{os.getpid()}.pdf"
    path.write_bytes(pdf)
    try:
        texts = page_texts(path)
    finally:
        path.unlink()
    assert [f"frame {page} of 6" in text for page, text in enumerate(texts)] == [True] * 6
    assert "Part one" in texts[0] and "two page 3" in texts[3] and "three page 2" in texts[5]


def test_an_edit_writes_again_only_the_parts_whose_objects_moved(
    parts: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part the last join wrote is copied as it was written when its objects keep their numbers: an
    edit to the last part writes only that part's objects again."""
    parsed: dict[bytes, join.PreparedPdf] = {}
    _joined(parts, ["one", "two", "three"], parsed)
    written: list[bytes] = []
    write = join._Object.written
    monkeypatch.setattr(
        join._Object, "written", lambda self, numbers: written.append(self) or write(self, numbers)
    )
    edited = _part("three", 2, "one", "edited")
    _joined({**parts, "three, edited": edited}, ["one", "two", "three, edited"], parsed)
    assert written  # the edited part's objects, and no other part's
    assert {id(item) for item in written} <= {id(item) for item in parsed[edited].objects.values()}


def _classic(*bodies: bytes, loop: bool = False) -> bytes:
    """A PDF of these objects (numbered from 1), with a classic cross-reference table (`loop`: whose
    previous section is itself)."""
    pdf, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    prev = b" /Prev %d" % len(pdf) if loop else b""
    trailer = b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (len(bodies) + 1, prev)
    return (
        pdf
        + b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
        + table
        + trailer
        + (b"startxref\n%d\n%%%%EOF\n" % len(pdf))
    )


_CATALOG = b"<< /Type /Catalog /Pages 2 0 R /Outlines 4 0 R >>"
_PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
_ONE_PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"
_FORGED = {
    "cut short": (lambda pdf: pdf[: len(pdf) // 2], "startxref"),
    "no cross-reference": (lambda pdf: pdf.replace(b"startxref", b"startxrof"), "startxref"),
    "nested too deeply": (lambda _: _classic(b"[" * 100_000), "nested too deeply"),
    "a string never closed": (lambda _: _classic(b"<< /Title (never closed >>"), "never closed"),
    "a cross-reference in a loop": (
        lambda _: _classic(_CATALOG, _PAGES, _ONE_PAGE, loop=True),
        "in a loop",
    ),
    "an outline in a loop": (
        lambda _: _classic(
            _CATALOG,
            _PAGES,
            _ONE_PAGE,
            b"<< /First 5 0 R >>",
            b"<< /Title (a) /Dest [3 0 R /XYZ 0 0 0] /First 5 0 R >>",
        ),
        "outline in a loop",
    ),
    "a page tree in a loop": (
        lambda _: _classic(_CATALOG, b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"),
        "page tree",
    ),
}


@pytest.mark.parametrize("damage", sorted(_FORGED))
def test_a_damaged_pdf_is_refused_with_bad_pdf(parts: dict[str, bytes], damage: str) -> None:
    """What the join cannot read is refused (and the cache lays the part out again): never a hang, a
    recursion error or a part half joined."""
    forge, message = _FORGED[damage]
    with pytest.raises(join.BadPdf, match=message):
        read_pdf(forge(parts["one"]))


_IMPORTS_OF_A_BUILD = """
import sys
from pathlib import Path
import cheatdeck.sheet.document
from cheatdeck.build.pipeline import build
from cheatdeck.options import BuildOptions
cheatdeck.sheet.document.CHAPTERS_FROM = 0
cheatdeck.sheet.document._cores = lambda: 1
build(BuildOptions(source=Path(sys.argv[1]), out=Path(sys.argv[2]), artefacts=("sheet",)))
print("joined without pypdf" if "pypdf" not in sys.modules else "pypdf imported")
"""


@pytest.mark.slow
def test_a_build_joins_the_sheet_without_importing_pypdf(tmp_path: Path) -> None:
    """pypdf's import, parse and write are no part of a build (they were 0.1 s, and 1.5 s of CPU at
    1,000 notes)."""
    from tests.test_sheet_pdf import DECK, FIGURE, _notes

    source = tmp_path / "source"
    (source / "media").mkdir(parents=True)
    (source / "deck.yaml").write_text(DECK, encoding="utf-8")
    (source / "notes.yaml").write_text(_notes(), encoding="utf-8")
    (source / "media" / "figure.svg").write_text(FIGURE.format("#c00"), encoding="utf-8")
    root = Path(join.__file__).parent.parent.parent
    for _ in range(2):  # laid out, then joined from the cache
        child = subprocess.run(
            [sys.executable, "-c", _IMPORTS_OF_A_BUILD, str(source), str(tmp_path / "dist")],
            capture_output=True,
            text=True,
            timeout=600,  # a guard against a hang, not a measure of speed
            env={**os.environ, "PYTHONPATH": str(root)},
            check=False,
        )
        assert child.stdout.strip().splitlines()[-1:] == ["joined without pypdf"], child.stderr[-2000:]
        assert (tmp_path / "dist" / "cheatsheet.pdf").read_bytes().startswith(b"%PDF")


def test_links_bookmarks_and_places_read_at_once_are_read_as_a_parse_reads_them(
    parts: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The join reads WeasyPrint's usual links, bookmarks and named places by their exact shape, without
    a parse: the joined bytes are those the parse gives (titles with parentheses, accents, addresses)."""
    unusual = _pdf(
        '<h1 id="one">Part (one) \\ façade</h1><h2 id="x">A (nested (title))</h2>'
        '<a href="https://example.invalid/a(b)">address</a> <a href="#x">inside</a>'
    )
    both = {**parts, "one, unusual": unusual}
    names = ["one, unusual", "two, longer", "three"]
    parsed: dict[bytes, join.PreparedPdf] = {}
    quick = _joined(both, names, parsed)
    texts = [text for read in parsed.values() for text, _ in read.document.texts.values()]
    for shape in (join._PLAIN_LINK, join._OUTLINE_ITEM):  # each read some at once
        assert any(shape.fullmatch(text) for text in texts), shape
    never = re.compile(rb"(?!)")
    for shape in ("_PLAIN_LINK", "_OUTLINE_ITEM", "_DESTINATION_PAIR"):
        monkeypatch.setattr(join, shape, never)
    assert _joined(both, names, {}) == quick
    reader = PdfReader(io.BytesIO(quick), strict=True)
    assert reader.outline[0].title == "Part (one) \\ façade"  # type: ignore[union-attr]


@pytest.mark.slow
def test_an_edit_later_the_same_day_lays_out_only_its_part_not_the_frame(
    source: Path, tmp_path: Path, laid_out: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deck built with the sheet stamps each edit with its time (the lock moves by the second), but
    the frame prints only the day: an edit later that day lays out its own part, not the frame's pages
    again (at 1,000 notes the frame is 32 pages, about a second of CPU), and the bytes are those of a
    forced build."""
    from cheatdeck.build.pipeline import build
    from cheatdeck.options import BuildOptions, SheetOptions
    from tests.conftest import FROZEN_NOW, set_clock

    def sheet(out: Path, **options: Any) -> bytes:
        layout = SheetOptions(layout="guide")
        build(BuildOptions(source=source, out=out, artefacts=("deck", "sheet"), sheet=layout, **options))
        return (out / "cheatsheet.pdf").read_bytes()

    out = tmp_path / "dist"
    sheet(out)
    notes = source / "notes.yaml"
    for minutes, word in ((5, "one"), (35, "two")):
        set_clock(monkeypatch, FROZEN_NOW + 60 * minutes)
        notes.write_text(notes.read_text().replace(f"measure numbered {minutes // 30}.", f"measure {word}."))
        laid_out.clear()
        edited = sheet(out)
        assert not any('class="frame-page"' in html for html in laid_out)
        assert laid_out and all(f"measure {word}." in html for html in laid_out)
        assert sheet(tmp_path / f"forced-{word}", force=True) == edited
