"""Printable flashcards: the deck's cards, each back behind its front when printed on both sides."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pypdfium2
import pytest

from cheatdeck.importer.guide import import_guides
from cheatdeck.notes.sources import load_sources
from cheatdeck.options import DEFAULT_ARTEFACTS, BuildOptions, FlashcardOptions
from cheatdeck.study.flashcards import (
    FLASHCARDS_FILE,
    GRIDS,
    PAPER_MM,
    SCALES,
    CardGrid,
    Cell,
    fill_template,
    plan_flashcards,
)
from tests.conftest import FIXTURES, SOURCE, build_into

MM = 72 / 25.4  # PDF points per millimetre


def _number_positions(pdf: Path, total: int) -> dict[int, list[tuple[int, float, float]]]:
    """Find every card's number ("12/110") on the pages: card → [(page index, x mm, y mm from the top)]."""
    found: dict[int, list[tuple[int, float, float]]] = {}
    document = pypdfium2.PdfDocument(pdf)
    try:
        for index, page in enumerate(document):
            height = page.get_height()
            text = page.get_textpage()
            for number in range(1, total + 1):
                searcher = text.search(f"{number}/{total}", match_whole_word=True)
                while (hit := searcher.get_next()) is not None:
                    left, bottom, _right, top = text.get_charbox(hit[0])
                    found.setdefault(number, []).append(
                        (index, left / MM, (height - (top + bottom) / 2) / MM)
                    )
                searcher.close()
            text.close()
            page.close()
    finally:
        document.close()
    return found


def _font_sizes(pdf: Path, page: int, word: str) -> set[float]:
    """The sizes (pt) `word` is printed at on a page."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        text = document[page].get_textpage()
        content = text.get_text_range()
        starts = [index for index in range(len(content)) if content.startswith(word, index)]
        return {round(pypdfium2.raw.FPDFText_GetFontSize(text.raw, index), 1) for index in starts}
    finally:
        document.close()


def _cell_at(grid: CardGrid, paper: str, x: float, y: float) -> Cell:
    cells = [
        c for c in grid.cells(paper) if c.left <= x <= c.left + c.width and c.top <= y <= c.top + c.height
    ]
    assert len(cells) == 1, (x, y)
    return cells[0]


def _chars_outside_cells(pdf: Path, grid: CardGrid, paper: str) -> list[str]:
    """Every character drawn outside the cells (a face spilling over its card would be)."""
    outside = []
    cells = grid.cells(paper)
    document = pypdfium2.PdfDocument(pdf)
    try:
        for index, page in enumerate(document):
            height = page.get_height()
            text = page.get_textpage()
            for char in range(text.count_chars()):
                letter = text.get_text_range(char, 1)
                if not letter.strip():
                    continue
                left, bottom, right, top = (value / MM for value in text.get_charbox(char))
                top, bottom = height / MM - top, height / MM - bottom
                inside = any(
                    c.left - 0.2 <= left
                    and right <= c.left + c.width + 0.2
                    and c.top <= top
                    and bottom <= c.top + c.height
                    for c in cells
                )
                if not inside:
                    outside.append(f"page {index + 1}: {letter!r} at ({left:.1f}, {top:.1f}) mm")
            text.close()
            page.close()
    finally:
        document.close()
    return outside


@pytest.mark.slow
@pytest.mark.parametrize(("size", "paper"), [("8-up", "a4"), ("index-card", "letter")])
def test_each_back_is_printed_behind_its_front(
    size: str, paper: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The shipped deck: every card's number is on a front page, then on the next page in the cell of the
    same row and the mirrored column (a long-edge flip); no character lies outside a cell and the build
    names no face too long."""
    source = tmp_path / "source"
    shutil.copytree(SOURCE, source)
    out = tmp_path / "dist"
    caplog.set_level(logging.INFO, logger="cheatdeck")
    build_into(
        source, out, artefacts=("flashcards",), flashcards=FlashcardOptions(size=size), sheet=_paper(paper)
    )
    cards = plan_flashcards(load_sources(source), SOURCE.parent / "templates")
    grid = GRIDS[size]
    positions = _number_positions(out / FLASHCARDS_FILE, len(cards))
    assert sorted(positions) == [card.number for card in cards]
    for number, places in positions.items():
        assert len(places) == 2, (number, places)
        (front_page, fx, fy), (back_page, bx, by) = sorted(places)
        assert front_page % 2 == 0 and back_page == front_page + 1, (number, places)
        assert front_page // 2 == (number - 1) // grid.per_page
        front, back = _cell_at(grid, paper, fx, fy), _cell_at(grid, paper, bx, by)
        assert back == grid.mirrored(front, paper), number
        assert (front.row, front.column) == divmod((number - 1) % grid.per_page, grid.columns)
        # the cell behind sits where the front cell is, seen through the page from the other side
        assert back.left == pytest.approx(PAPER_MM[paper][0] - front.left - front.width)
    assert _chars_outside_cells(out / FLASHCARDS_FILE, grid, paper) == []
    assert not [r.message for r in caplog.records if "too long" in r.message]
    assert f"flashcards: {len(cards)} cards on " in caplog.text


def _paper(paper: str) -> object:
    from cheatdeck.options import SheetOptions

    return SheetOptions(paper=paper)


def test_cards_are_the_decks_with_what_the_back_folds_away_left_out(tmp_path: Path) -> None:
    notebook = load_sources(SOURCE)
    cards = plan_flashcards(notebook, SOURCE.parent / "templates")
    kinds = {card.kind for card in cards}
    assert kinds >= {"term", "reverse", "learning", "task", "fact", "cloze", "contrast"}
    term = next(card for card in cards if card.kind == "term" and card.note_id == "lda")
    assert "Latent Dirichlet Allocation" in term.front and "What is it?" in term.front
    assert "Topic modeling technique" in term.back
    assert "<details" not in term.back and "More" not in term.back  # folded parts left out
    assert "Latent Dirichlet Allocation" not in term.back  # the back does not repeat the question
    cloze = next(card for card in cards if card.kind == "cloze")
    assert "[…]" in cloze.front and "<svg" in cloze.back  # hidden, then typeset as on the sheet
    assert all("\\(" not in card.front + card.back for card in cards)  # no MathJax left for paper
    only_facts = plan_flashcards(notebook, SOURCE.parent / "templates", ("facts",))
    assert {card.kind for card in only_facts} == {"fact"}
    assert [c.front for c in only_facts] == [c.front for c in cards if c.kind == "fact"]


def test_fill_template_fills_as_anki_does() -> None:
    fields = {"Name": "<b>N</b>", "Clue": "", "Formula": "x = {{c1::y::hint}}"}
    template = "{{#Clue}}C{{Clue}}{{/Clue}}{{^Clue}}no clue{{/Clue}} {{Name}} {{cloze:Formula}}"
    assert (
        fill_template(template, fields, answer=False)
        == 'no clue <b>N</b> x = <span class="cloze">[hint]</span>'
    )
    back = fill_template("{{FrontSide}}<hr id=answer>{{cloze:Formula}}", fields, front_side="F", answer=True)
    assert back == 'F<hr id=answer>x = <span class="cloze">y</span>'


@pytest.mark.slow
def test_a_face_too_long_is_set_smaller_and_one_far_too_long_is_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: tiny\ntitle: Tiny\ncards: {reverse: false}\n", encoding="utf-8")
    sentence = "Words that say what the topic is, again and once more, in a long line."
    notes = [("long", 9), ("huge", 80), ("short", 1)]
    (source / "notes.yaml").write_text(
        "notes:\n"
        + "".join(
            f"  - id: {name}\n    title: {name.capitalize()} topic\n    kind: concept\n"
            f"    summary: {' '.join([sentence] * count)}\n"
            for name, count in notes
        ),
        encoding="utf-8",
    )
    out = tmp_path / "dist"
    caplog.set_level(logging.INFO, logger="cheatdeck")
    build_into(source, out, artefacts=("flashcards",))
    warnings = [r.message for r in caplog.records if r.levelno == logging.WARNING and "too long" in r.message]
    assert warnings == [
        f"flashcard 2 (term card of huge): its back is too long for a card even at {SCALES[-1]:.0%} size; "
        "it is cut off at the card's edge"
    ]
    pdf = pypdfium2.PdfDocument(out / FLASHCARDS_FILE)
    try:
        back = pdf[1].get_textpage().get_text_range()
    finally:
        pdf.close()
    assert back.count("once more") >= 9  # the long face is printed whole, smaller
    # three summaries, three sizes: the short one in full, the long one smaller, the cut one smallest
    sizes = sorted(_font_sizes(out / FLASHCARDS_FILE, page=1, word="Words"))
    assert len(sizes) == 3 and sizes[0] / sizes[2] == pytest.approx(SCALES[-1], abs=0.01), sizes
    assert sizes[0] < sizes[1] < sizes[2], sizes
    assert "cut off: too long for one card" in back  # and the cut one says so on the card
    # Text clipped at the card's edge stays in the PDF's text layer only below the cut face's own cell:
    # the only characters outside every cell are on its page, in its column (card 2's back: the left one).
    grid = GRIDS["8-up"]
    cut_cell = grid.mirrored(grid.cells("a4")[1], "a4")
    outside = _chars_outside_cells(out / FLASHCARDS_FILE, grid, "a4")
    assert outside and all(line.startswith("page 2:") for line in outside)
    assert all(
        cut_cell.left <= float(line.split("(")[1].split(",")[0]) < cut_cell.left + cut_cell.width
        for line in outside
    )


@pytest.mark.slow
def test_flashcards_are_built_on_request_and_then_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Not part of a default build; asked for, built from a deck with its own kinds and imported notes;
    asked for again with nothing changed, not rebuilt."""
    assert "flashcards" not in DEFAULT_ARTEFACTS
    cka = FIXTURES / "guides" / "cka"
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(cka / "deck" / "deck.yaml", notes / "deck.yaml")
    import_guides(sorted((cka / "guide").glob("*.md")), notes)
    out = tmp_path / "dist"
    assert "flashcards" not in BuildOptions().artefacts  # what `build` (and the README's first command) makes
    caplog.set_level(logging.INFO, logger="cheatdeck")
    report = build_into(notes, out, artefacts=("flashcards",))
    assert out / FLASHCARDS_FILE in report.written
    notebook = load_sources(notes)
    cards = plan_flashcards(notebook, SOURCE.parent / "templates")
    declared = {kind.name: kind for kind in notebook.kinds}
    component = next(card for card in cards if notebook.note(card.note_id.split("#")[0]).kind == "component")
    assert (component.badge, component.colour) == (declared["component"].badge, "#1565c0")
    texts = "".join(
        pypdfium2.PdfDocument(out / FLASHCARDS_FILE)[0].get_textpage().get_text_range() for _ in [0]
    )
    assert f"1/{len(cards)}" in texts
    again = build_into(notes, out, artefacts=("flashcards",))
    assert again.written == [] and (again.up_to_date or "flashcards" in again.unchanged)


def _png(width: int, height: int) -> bytes:
    """A small red PNG, written out by hand."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"\xcc\x22\x22" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_pictures_and_math_are_printed_and_the_pdf_is_the_same_from_any_folder(tmp_path: Path) -> None:
    """A note's picture is drawn on its term card's back, its math typeset; the same notes built in two
    folders give the same bytes."""
    pdfs = []
    for place in ("one", "two/deeper"):
        source = tmp_path / place / "source"
        (source / "media").mkdir(parents=True)
        (source / "media" / "figure.png").write_bytes(_png(40, 20))
        (source / "deck.yaml").write_text("id: pics\ntitle: Pictures\n", encoding="utf-8")
        (source / "notes.yaml").write_text(
            "notes:\n  - id: area\n    title: Circle area\n    kind: concept\n"
            "    summary: The area of a circle is $\\pi r^2$, drawn below.\n    image: figure.png\n",
            encoding="utf-8",
        )
        build_into(source, tmp_path / place / "dist", artefacts=("flashcards",))
        pdfs.append((tmp_path / place / "dist" / FLASHCARDS_FILE).read_bytes())
    assert pdfs[0] == pdfs[1]
    document = pypdfium2.PdfDocument(pdfs[0])
    try:
        kinds = [[obj.type for obj in document[page].get_objects()] for page in range(len(document))]
    finally:
        document.close()
    image, path = pypdfium2.raw.FPDF_PAGEOBJ_IMAGE, pypdfium2.raw.FPDF_PAGEOBJ_PATH
    assert image not in kinds[0] and image in kinds[1]  # the picture is on the back only
    cards = plan_flashcards(load_sources(tmp_path / "one" / "source"), SOURCE.parent / "templates")
    assert "<svg" in cards[0].back and 'src="media/figure.png"' in cards[0].back
    assert kinds[1].count(path) > kinds[0].count(path)  # the typeset math's glyphs are drawn as paths


def test_a_face_too_wide_is_set_smaller(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Typeset math does not wrap: a formula wider than its card sets the face smaller, as a tall one."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: wide\ntitle: Wide\n", encoding="utf-8")
    terms = " + ".join(f"x_{{{index}}}" for index in range(1, 15))
    (source / "notes.yaml").write_text(
        "notes:\n  - id: sum\n    title: A long sum\n    kind: concept\n"
        f"    summary: 'The sum is $S = {terms}$ in full.'\n",
        encoding="utf-8",
    )
    caplog.set_level(logging.INFO, logger="cheatdeck")
    build_into(source, tmp_path / "dist", artefacts=("flashcards",))
    assert "flashcards: 1 face(s) set smaller to fit their card" in caplog.text
    assert "too long" not in caplog.text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--artefact", "flashcards", "--cards", "fact"], "--cards fact: card kinds are term, reverse"),
        (["--cards", "facts"], "'--cards': it shapes the flashcards only: add --artefact flashcards"),
        (["--card-size", "index-card"], "'--card-size': it shapes the flashcards only"),
    ],
)
def test_card_options_out_of_place_are_refused(
    arguments: list[str], message: str, scratch_source: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from cheatdeck.cli import main

    out = tmp_path / "dist"
    result = CliRunner().invoke(
        main, ["build", "--source", str(scratch_source), "--out", str(out), *arguments]
    )
    assert result.exit_code != 0 and message in result.output, result.output
    assert "Traceback" not in result.output and not out.exists()


def test_a_copy_of_the_templates_restyles_the_flashcards_fields_as_the_decks(tmp_path: Path) -> None:
    """The flashcards are the deck's cards: their fields' HTML comes from the same `--templates` copy
    (`templates/anki/fields/`), not from the shipped fragments."""
    from cheatdeck import SHIPPED_TEMPLATES
    from cheatdeck.study.flashcards import plan_flashcards

    copy = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, copy)
    details = copy / "anki" / "fields" / "details.html.j2"
    details.write_text(
        details.read_text(encoding="utf-8").replace('"details"', '"details mine"'), encoding="utf-8"
    )
    notebook = load_sources(Path(__file__).parent.parent / "source")
    shipped = [card.back for card in plan_flashcards(notebook, SHIPPED_TEMPLATES)]
    mine = [card.back for card in plan_flashcards(notebook, copy)]
    assert sum('class="details"' in back for back in shipped) > 0
    assert mine == [back.replace('class="details"', 'class="details mine"') for back in shipped]
