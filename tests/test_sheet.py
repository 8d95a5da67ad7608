"""The cheat sheet PDF and the comparison grid, read back as a reader would."""

from __future__ import annotations

import csv
import io
import itertools
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader
from syrupy.assertion import SnapshotAssertion

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.grid import CSV_COLUMNS, grid_rows
from cheatdeck.notes.model import Kind, Notebook
from cheatdeck.notes.render import render_fact
from cheatdeck.notes.sources import load_sources
from cheatdeck.options import SheetOptions
from cheatdeck.sheet.document import render_sheet_html
from cheatdeck.sheet.layout import notes_pages
from tests.conftest import ROOT, Built, build_into
from tests.pdf_text import MM, SHEET_MARGINS, column_heights, page_chars

MAX_PAGES = 2  # one page of notes plus the grid page


@pytest.fixture(scope="session")
def pdf(built: Built) -> PdfReader:
    return PdfReader(built.out / "cheatsheet.pdf")


def _flat(text: str) -> str:
    """Join a PDF's text lines back into running text (undo wrapping at spaces and hyphens)."""
    return re.sub(r"\s+", " ", text.replace("-\n", "-"))


def _pdf_text(reader: PdfReader) -> str:
    return _flat("\n".join(page.extract_text() for page in reader.pages))


def test_every_note_title_is_printed(pdf: PdfReader, notebook: Notebook) -> None:
    text = _pdf_text(pdf)
    missing = [note.title for note in notebook.notes if _flat(note.title) not in text]
    assert missing == []


def test_page_count_is_within_budget(pdf: PdfReader, built: Built) -> None:
    assert len(pdf.pages) <= MAX_PAGES
    assert built.report.sheet_pages == len(pdf.pages)


def test_grid_page_lists_every_grid_row(pdf: PdfReader, notebook: Notebook) -> None:
    last = _flat(pdf.pages[-1].extract_text())
    assert "Comparison grid" in last
    for row in grid_rows(notebook).rows():
        assert _flat(row.note.title) in last
        # The algorithm table has no use-case column: algorithms' use cases are on the note pages.
        columns = (row.note.use_case,) if row.table == "services" else (row.note.task, row.note.input)
        for value in columns:
            if value:
                assert _flat(value) in last, (row.note.id, value)


def test_metadata_and_outline(pdf: PdfReader, notebook: Notebook) -> None:
    metadata = pdf.metadata
    assert metadata is not None
    assert metadata.title == notebook.deck.title
    assert metadata.author == notebook.deck.author
    assert metadata["/Subject"] == notebook.deck.subject
    assert "sagemaker" in metadata["/Keywords"]
    assert metadata["/CreationDate"] == metadata["/ModDate"]
    top_level = [item.title for item in pdf.outline if not isinstance(item, list)]
    assert top_level == [
        "Services",
        "Algorithms",
        "Deployment",
        "Concepts",
        "Metrics",
        "Comparison grid",
        "Resources",
        "References",
    ]


def test_links_are_clickable_and_grid_rows_link_to_notes(pdf: PdfReader, notebook: Notebook) -> None:
    uris, destinations = set(), set()
    for page in pdf.pages:
        for reference in page.get("/Annots", []):
            annotation = reference.get_object()
            if "/A" in annotation and "/URI" in annotation["/A"]:
                uris.add(annotation["/A"]["/URI"])
            if "/Dest" in annotation:
                destinations.add(str(annotation["/Dest"]))
    references = {reference.url for note in notebook.notes for reference in note.references}
    assert references <= uris
    grid_ids = {f"note-{row.note.id}" for row in grid_rows(notebook).rows()}
    assert grid_ids <= destinations


def test_footer_shows_page_numbers_and_source_date_not_the_clock(pdf: PdfReader) -> None:
    first = pdf.pages[0].extract_text()
    assert f"page 1 of {len(pdf.pages)}" in first
    assert re.search(r"Sources last changed \d{4}-\d{2}-\d{2}", first)


def test_grid_csv(built: Built, notebook: Notebook, snapshot: SnapshotAssertion) -> None:
    text = (built.out / "grid.csv").read_text(encoding="utf-8-sig")  # after its byte-order mark
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    services = [r for r in rows if r["table"] == "services"]
    algorithms = [r for r in rows if r["table"] == "algorithms"]
    assert len(services) == len(notebook.by_kind(Kind.SERVICE)) + len(notebook.by_kind(Kind.DEPLOYMENT))
    assert len(algorithms) == len(notebook.by_kind(Kind.ALGORITHM))
    k_means = next(r for r in rows if r["note_id"] == "k-means")
    assert (k_means["learning"], k_means["task"]) == ("unsupervised", "clustering")
    assert [r["group"] for r in algorithms] == sorted(
        (r["group"] for r in algorithms),
        key=["supervised", "unsupervised", "both", "not-learning", "no learning type"].index,
    )
    assert text == snapshot


def test_grid_html_links_rows_to_the_sheet(built: Built, notebook: Notebook) -> None:
    html = (built.out / "grid.html").read_text(encoding="utf-8")
    for row in grid_rows(notebook).rows():
        assert f'href="cheatsheet.pdf#note-{row.note.id}"' in html


def test_empty_grid_cells_stay_empty(tmp_path: Path) -> None:
    """The grid shows what the sources say; a missing value is an empty cell, never a guess."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: t\ntitle: T\n")
    (source / "notes.yaml").write_text(
        "notes:\n  - {id: svc, title: Svc, kind: service, summary: S.}\n"
        "  - {id: alg, title: Alg, kind: algorithm, summary: A.}\n"
    )
    build_into(source, tmp_path / "dist", artefacts=("grid",))
    rows = list(csv.DictReader((tmp_path / "dist" / "grid.csv").open(encoding="utf-8-sig")))
    for row in rows:
        assert all(row[column] == "" for column in ("use_case", "domain", "learning", "task", "input"))


def test_rendered_html_snapshot(notebook: Notebook, snapshot: SnapshotAssertion) -> None:
    html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    assert html == snapshot


def test_pdf_text_snapshot(pdf: PdfReader, snapshot: SnapshotAssertion) -> None:
    assert [page.extract_text() for page in pdf.pages] == snapshot


@pytest.mark.slow
def test_two_builds_are_byte_identical(built: Built, tmp_path: Path) -> None:
    out = tmp_path / "again"
    report = build_into(built.source, out, force=True)
    assert report.sheet_pages is not None
    for name in ("cheatsheet.pdf", "grid.csv", "grid.html"):
        assert (out / name).read_bytes() == (built.out / name).read_bytes(), name


@pytest.mark.slow
def test_paper_and_orientation_options(built: Built, tmp_path: Path) -> None:
    build_into(
        built.source, tmp_path / "letter", artefacts=("sheet",), sheet=SheetOptions("letter", "portrait")
    )
    box = PdfReader(tmp_path / "letter" / "cheatsheet.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    a4 = PdfReader(built.out / "cheatsheet.pdf").pages[0].mediabox
    assert (round(float(a4.width)), round(float(a4.height))) == (842, 595)


def _nasty_source(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: nasty\ntitle: Nasty <i>notes</i>\n")
    long_word = "x" * 200
    long_url = "https://example.com/" + "a" * 200
    notes = [
        {
            "id": "evil",
            "title": "Evil <script>alert(1)</script> <b>bold</b>",
            "kind": "service",
            "summary": f"Summary with {long_word}",
            "body": f"Body <script>alert(2)</script> <b>raw</b> {long_word}\n\n{long_url}\n\n"
            "| a | very wide table |\n|---|---|\n| " + " | ".join(["y" * 120] * 2) + " |\n",
            "references": [long_url],
            "use_case": f"<script>alert(3)</script> {long_word}",
        },
        {
            "id": "plain",
            "title": "Plain",
            "kind": "concept",
            "summary": "Nothing special.",
            "body": "| " + " | ".join(WIDE_HEADERS) + " |\n|" + "---|" * len(WIDE_HEADERS) + "\n"
            "| " + " | ".join(["Classification"] * len(WIDE_HEADERS)) + " |\n",
        },
    ]
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": notes}))
    return source


WIDE_HEADERS = ("Abbreviation", "Explanation", "Algorithm", "Supervised", "Typical input", "Output")


def test_markup_in_notes_is_escaped_in_html(tmp_path: Path) -> None:
    notebook = load_sources(_nasty_source(tmp_path))
    html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html and "<b>raw</b>" not in html


def test_long_words_urls_and_wide_tables_stay_inside_their_column(tmp_path: Path) -> None:
    import weasyprint

    notebook = load_sources(_nasty_source(tmp_path))
    html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(layout="guide"), changed=0)
    document = weasyprint.HTML(string=html).render()
    checked = 0
    for page in document.pages:
        for note in _boxes(page._page_box):
            if note.element is None or "note" not in (note.element.get("class") or "").split():
                continue
            right = note.position_x + note.margin_width()
            for box in _boxes(note):
                if isinstance(box, weasyprint.formatting_structure.boxes.TextBox):
                    checked += 1
                    assert box.position_x + box.width <= right + 0.5, box.text[:40]
    assert checked > 10
    # a six-column table in a fifth of the page: its words stay whole (no "Abbreviati|on")
    words = [
        word
        for page in document.pages
        for box in _boxes(page._page_box)
        if isinstance(box, weasyprint.formatting_structure.boxes.TextBox)
        for word in box.text.split()
    ]
    for expected in ("Abbreviation", "Explanation", "Classification"):
        assert expected in words
    assert not [word for word in words if word != "Abbreviation" and "Abbreviation".startswith(word)]


def _boxes(box: Any) -> Iterator[Any]:
    """Walk a WeasyPrint layout box and its descendants."""
    yield box
    for child in getattr(box, "children", []):
        yield from _boxes(child)


# --- The condensed sheet: one page of notes, columns filled, every fact, math typeset -------------------

BODY_PT = 6.5
SMALL_MARKS = {
    "badge",
    "refnum",
    "unsourced",
}  # kind letters, reference numbers, † marks: labels, not body text


@pytest.fixture(scope="session")
def shipped_layout(notebook: Notebook) -> Any:
    """The shipped sheet laid out by WeasyPrint once, to read its boxes back."""
    import weasyprint

    html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    return weasyprint.HTML(string=html, base_url=str(ROOT / "source")).render()


def test_shipped_notes_fill_one_page_with_no_heading_alone(shipped_layout: Any) -> None:
    fills = notes_pages(shipped_layout)
    assert [fill.page for fill in fills] == [1]  # one page of notes; the grid page follows
    assert len(shipped_layout.pages) == MAX_PAGES
    assert all(fill.blank <= 0.10 for fill in fills if not fill.ends_chapter)
    assert [fill.lonely_headings for fill in fills] == [()]


def test_body_text_is_at_least_6_5_pt(shipped_layout: Any) -> None:
    from weasyprint.formatting_structure.boxes import TextBox

    sizes = {
        round(box.style["font_size"] * 72 / 96, 2)
        for page in shipped_layout.pages
        for box in _boxes(page._page_box)
        if isinstance(box, TextBox) and box.text.strip() and not SMALL_MARKS & set(_classes(box))
    }
    assert sizes and min(sizes) >= BODY_PT, sorted(sizes)


def _classes(box: Any) -> list[str]:
    return (box.element.get("class") or "").split() if box.element is not None else []


def _plain_html(html: str) -> str:
    from html import unescape

    return _flat(unescape(re.sub(r"<[^>]+>", "", html)))


def test_every_fact_is_on_the_sheet(pdf: PdfReader, notebook: Notebook) -> None:
    text = _pdf_text(pdf)
    facts = [fact for note in notebook.notes for fact in note.facts]
    assert len(facts) >= 20  # the shipped notes carry facts: this test reads them all
    missing = []
    for fact in facts:
        parts = [fact.q, fact.a] if fact.is_question else [fact.text]
        for part in parts:
            assert part is not None
            expected = _plain_html(render_fact(type(fact)(text=part)))
            if "$" not in part and expected not in text:
                missing.append(expected)
    assert missing == []


MATH_NOTE = {
    "id": "precision",
    "title": "Precision",
    "kind": "metric",
    "summary": r"Of the predicted positives, the share that are real: $\frac{TP}{TP+FP}$.",
    "body": "Ridge penalty:\n\n$$\\sum_i w_i^2$$\n",
    "facts": [r"L2 adds ==$$\sum_i w_i^2$$== to the loss"],
    "formula": "Precision = TP / (TP + FP)",
}


@pytest.mark.slow
def test_math_is_typeset_on_paper_and_builds_are_byte_identical(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: maths\ntitle: Maths\n")
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": [MATH_NOTE]}))
    for layout in ("sheet", "guide"):
        first, second = tmp_path / f"{layout}-1", tmp_path / f"{layout}-2"
        for out in (first, second):
            build_into(source, out, artefacts=("sheet",), sheet=SheetOptions(layout=layout), force=True)
        assert (first / "cheatsheet.pdf").read_bytes() == (second / "cheatsheet.pdf").read_bytes()
        text = _pdf_text(PdfReader(first / "cheatsheet.pdf"))
        assert "Of the predicted positives" in text
        assert ("Ridge penalty" in text) == (layout == "guide")
        for tex in ("\\frac", "\\sum", "\\text", "w_i", "$"):
            assert tex not in text, (layout, tex)
    notebook = load_sources(source)
    html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    # summary, fact and formula: three expressions drawn as glyph outlines, sized in em on the baseline
    assert len(re.findall(r'<svg [^>]*style="width:[\d.]+em;height:[\d.]+em;vertical-align:-', html)) == 3
    assert "<path" in html and "<text" not in html


def test_math_baseline_sits_on_the_text_baseline(tmp_path: Path) -> None:
    """An inline fraction reaches below the line's baseline by its denominator, not by its whole height."""
    import weasyprint

    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: maths\ntitle: Maths\n")
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": [MATH_NOTE]}))
    html = render_sheet_html(load_sources(source), SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    document = weasyprint.HTML(string=html).render()
    summary = next(box for box in _boxes(document.pages[0]._page_box) if "summary" in _classes(box))
    svg = next(box for box in _boxes(summary) if box.element is not None and box.element.tag.endswith("svg"))
    [line] = [box for box in _boxes(summary) if type(box).__name__ == "LineBox" and svg in _boxes(box)]
    text = next(box for box in _boxes(line) if type(box).__name__ == "TextBox")
    baseline = text.position_y + text.baseline
    assert svg.position_y < baseline - 3  # the numerator rises above the baseline
    assert baseline < svg.position_y + svg.height < baseline + svg.height / 2  # the denominator hangs below


def test_no_raw_markdown_in_one_line_fields(tmp_path: Path) -> None:
    import html5lib

    from cheatdeck.grid import render_grid_html

    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: md\ntitle: Markdown\n")
    notes = [
        {
            "id": "svc",
            "title": "Svc",
            "kind": "service",
            "summary": "**Input**: `text`, see [docs](https://example.com/docs)",
            "use_case": "**bold** use with `code`",
            "facts": ["It *really* needs ==`two` containers=="],
        },
        {"id": "alg", "title": "Alg", "kind": "algorithm", "summary": "A.", "task": "*emphasised* task"},
    ]
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": notes}))
    notebook = load_sources(source)
    pages = {
        "sheet": render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0),
        "grid": render_grid_html(notebook, SHIPPED_TEMPLATES, 0, "cheatsheet.pdf"),
    }
    for name, page in pages.items():
        tree = html5lib.parse(page, namespaceHTMLElements=False)
        body = "".join(tree.find("body").itertext())
        for raw in ("**", "`", "](", "==", "*really*", "*emphasised*"):
            assert raw not in body, (name, raw)
        assert tree.find(".//strong") is not None and tree.find(".//code") is not None, name
    assert tree.find(".//em") is not None  # the grid's task
    assert "No learning type" in body  # an algorithm without a learning type has a named group


def test_condensed_sheet_leaves_body_prose_to_the_guide(notebook: Notebook) -> None:
    note = next(note for note in notebook.notes if note.body.strip() and note.kind != Kind.RESOURCE)
    sheet = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    guide = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(layout="guide"), changed=0)
    assert 'class="body"' not in sheet and 'class="body"' in guide
    assert 'id="references"' in sheet and 'id="references"' not in guide
    url = note.references[0].url
    assert sheet.count(f'href="{url}"') == 1  # printed once, in the numbered list on the last page


@pytest.mark.slow
def test_grid_group_labels_repeat_on_continuation_pages(tmp_path: Path) -> None:
    """A group longer than a column repeats its name (the table header) wherever it continues."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: many\ntitle: Many\n")
    notes = [
        {
            "id": f"algo-{i:03d}",
            "title": f"Algo {i:03d}",
            "kind": "algorithm",
            "summary": "S.",
            "learning": "supervised",
            "task": f"task {i}",
        }
        for i in range(150)
    ]
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": notes}))
    build_into(source, tmp_path / "dist", artefacts=("sheet",))
    pages = [_flat(page.extract_text()) for page in PdfReader(tmp_path / "dist" / "cheatsheet.pdf").pages]
    start = next(i for i, text in enumerate(pages) if "Comparison grid" in text)
    grid_pages = pages[start:]
    assert len(grid_pages) >= 2  # the one group spans pages
    for text in grid_pages:
        if re.search(r"Algo \d{3} task", text):
            assert "Supervised Task Typical input" in text
    assert sum(text.count("Supervised Task Typical input") for text in grid_pages) >= 3  # columns too


@pytest.mark.slow
def test_thousand_synthetic_notes_fill_their_columns(tmp_path: Path) -> None:
    import importlib.util

    import weasyprint

    spec = importlib.util.spec_from_file_location("sheet_bench", ROOT / "bench" / "sheet_bench.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up there
    spec.loader.exec_module(bench)
    source = bench.write_synthetic_source(tmp_path / "source", 1000)
    html = render_sheet_html(load_sources(source), SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    fills = notes_pages(weasyprint.HTML(string=html, base_url=str(source)).render())
    assert len(fills) > 20
    over = [
        (fill.page, round(fill.blank, 3)) for fill in fills if fill.blank > 0.10 and not fill.ends_chapter
    ]
    assert sum(fill.ends_chapter for fill in fills) == html.count('<div class="notes') == 1  # one flow
    assert over == []
    assert [fill for fill in fills if fill.lonely_headings] == []


def _premature_breaks(document: Any) -> list[str]:
    """Lines not half full although the next line's first word would have fitted: WeasyPrint 70 breaks
    "An | inference pipeline is …" when a space sits before an inline element or the end of a block."""
    from weasyprint.formatting_structure.boxes import LineBox, TextBox

    found = []
    for page in document.pages:
        for block in _boxes(page._page_box):
            lines = [child for child in getattr(block, "children", []) if isinstance(child, LineBox)]
            for line, following in itertools.pairwise(lines):
                texts = [box for box in _boxes(following) if isinstance(box, TextBox) and box.text.strip()]
                if not texts or not line.children:
                    continue
                first = texts[0]
                word = first.text.split()[0]
                word_width = first.width * len(word) / len(first.text)
                used = max(box.position_x + box.width for box in line.children) - block.content_box_x()
                if used < block.width / 2 and used + 1.2 * word_width + 4 < block.width:
                    found.append(f"{_text(line)!r} | {word}")
    return found


def _text(box: Any) -> str:
    return "".join(child.text for child in _boxes(box) if hasattr(child, "text"))


@pytest.mark.slow
def test_the_joined_parts_are_the_single_document(pdf: PdfReader, shipped_layout: Any) -> None:
    """The sheet is laid out in parts and joined (cheatdeck/sheet/pdf.py); every page, link target and
    outline entry sits where WeasyPrint puts it when it lays out the whole sheet as one document."""
    single = PdfReader(io.BytesIO(shipped_layout.write_pdf()))
    assert len(pdf.pages) == len(single.pages)
    assert _places(pdf) == _places(single) and len(_places(pdf)[0]) > 60
    for joined, whole in zip(pdf.pages, single.pages, strict=True):  # the same text, in the same order
        assert _undated(joined.extract_text()) == _undated(whole.extract_text())


def _undated(text: str) -> str:
    return re.sub(r"changed \d{4}-\d{2}-\d{2}", "changed …", text)  # the fixture is laid out for day 0


def _places(
    pdf: PdfReader,
) -> tuple[dict[str, tuple[int | None, int]], list[tuple[int, str, int | None, int]]]:
    """Each named destination's page and height, and the outline in order (depth, title, page, height)."""
    targets = {
        name: (pdf.get_destination_page_number(target), round(float(target.top)))
        for name, target in pdf.named_destinations.items()
    }
    outline: list[tuple[int, str, int | None, int]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                outline.append(
                    (depth, item.title, pdf.get_destination_page_number(item), round(float(item.top)))
                )

    walk(pdf.outline, 0)
    return targets, outline


def test_no_line_breaks_before_a_word_that_fits(shipped_layout: Any) -> None:
    assert _premature_breaks(shipped_layout) == []


def _page_texts(document: Any, tag: str, css_class: str | None = None) -> list[list[str]]:
    """Return, per page, the text of each element with this tag (and class, if given) laid out on it."""
    from weasyprint.formatting_structure.boxes import TextBox

    pages = []
    for page in document.pages:
        texts = [
            " ".join("".join(t.text for t in _boxes(box) if isinstance(t, TextBox)).split())
            for box in _boxes(page._page_box)
            if getattr(box, "element_tag", None) == tag and not isinstance(box, TextBox)
            if css_class is None or css_class in (box.element.get("class") or "").split()
        ]
        pages.append(list(dict.fromkeys(text for text in texts if text)))
    return pages


@pytest.mark.slow
def test_a_short_decks_grid_follows_its_notes_on_the_same_page() -> None:
    """The CLF-C02 example's notes fill a third of a page: its grid, resources and references follow
    them on page 1 instead of starting a second page."""
    import weasyprint

    example = ROOT / "examples" / "aws-cloud-practitioner"
    notebook = load_sources(example)
    html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    document = weasyprint.HTML(string=html, base_url=str(example)).render()
    assert len(document.pages) == 1
    assert [fill.lonely_headings for fill in notes_pages(document)] == [()]
    [headings] = _page_texts(document, "h2")
    assert "Comparison grid" in headings and "References" in headings


def test_the_shipped_grid_starts_page_two_with_its_tables(shipped_layout: Any) -> None:
    """The shipped notes fill page 1: the grid does not fit under them, so all of it starts page 2, its
    heading with its tables (no heading left at the foot of page 1), the notes' own comparison tables
    (the vision triad, the confusion matrix) with them."""
    headings = _page_texts(shipped_layout, "h2")
    assert "Comparison grid" not in headings[0] and headings[1][0] == "Comparison grid"
    tables = _page_texts(shipped_layout, "table", "grid")
    assert tables[0] == [] and len(tables[1]) >= 5
    every_table = _page_texts(shipped_layout, "table")
    assert every_table[0] == [] and len(every_table[1]) == len(tables[1]) + 2


def test_bold_is_kept_only_for_what_the_cards_ask(tmp_path: Path) -> None:
    """Bold in a note's body prints bold only when the bolded words are an answer of one of the note's
    cards (its title, a grid value, a fact's cloze answer or answer); other bold the source made is plain."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: t\ntitle: T\n")
    (source / "notes.yaml").write_text(
        "notes:\n"
        "  - id: lda\n"
        "    title: LDA\n"
        "    kind: algorithm\n"
        "    summary: Finds topics.\n"
        "    learning: unsupervised\n"
        "    body: |\n"
        "      It is **Unsupervised**, built on the **MXNet Gluon** framework, sending **HTTP requests**.\n"
        "      Each document is a **mixture of topics**; see **LDA**.\n"
        "    facts:\n"
        "      - Each document is a ==mixture of topics==\n"
    )
    notebook = load_sources(source)
    html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(layout="guide"), changed=0)
    body = html.split('<div class="body">', 1)[1].split("</div>", 1)[0]
    bold = [words.strip() for words in re.findall(r"<strong>(.*?)</strong>", body)]
    assert bold == ["Unsupervised", "mixture of topics", "LDA"]
    assert "MXNet Gluon framework" in body and "HTTP requests" in body


def test_a_table_in_a_note_body_is_printed_on_the_sheet(tmp_path: Path) -> None:
    """The sheet layout leaves a note's body out, except its Markdown tables: a small comparison table
    prints on the notes page as a table, cell by cell, with its text escaped."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: t\ntitle: T\n")
    (source / "notes.yaml").write_text(
        "notes:\n"
        "  - id: seg\n"
        "    title: Seg\n"
        "    kind: algorithm\n"
        "    summary: Labels pixels.\n"
        "    body: |\n"
        "      Prose the sheet leaves out.\n"
        "\n"
        "      | Algorithm | Works on |\n"
        "      | --- | --- |\n"
        "      | Seg | every <pixel> |\n"
        "  - {id: other, title: Other, kind: algorithm, summary: No table., body: Just prose.}\n"
    )
    html = render_sheet_html(load_sources(source), SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    assert "Prose the sheet leaves out" not in html and "Just prose" not in html
    assert html.count('<div class="comparison">') == 1
    table = html.split('<div class="comparison">', 1)[1].split("</div>", 1)[0]
    cells = [cell.strip() for cell in re.findall(r"<t[hd]>(.*?)</t[hd]>", table)]
    assert cells == ["Algorithm", "Works on", "Seg", "every &lt;pixel&gt;"]


def _comparison_tables(html: str) -> dict[str, list[list[str]]]:
    """Return the sheet's comparison tables, by the id of the note that makes them: rows of cell texts."""
    found = {}
    for part in html.split('<div class="grid-part comparison-part" id="table-')[1:]:
        note, table = part.split('"', 1)[0], part.split("<table>", 1)[1].split("</table>", 1)[0]
        found[note] = [
            [
                _flat(re.sub(r"<[^>]+>", "", cell)).strip()
                for cell in re.findall(r"<t[hd]>(.*?)</t[hd]>", row, re.DOTALL)
            ]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)
        ]
    return found


def test_the_vision_triad_is_a_table_on_the_shipped_sheet(notebook: Notebook) -> None:
    """The seed's comparison of image classification, object detection and semantic segmentation (whole
    image / bounding box / every pixel) prints as one small table on the shipped sheet."""
    html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    rows = _comparison_tables(html)["semantic-segmentation"]
    assert [row[0] for row in rows[1:]] == [
        "Image classification",
        "Object detection",
        "Semantic segmentation",
    ]
    assert "whole image" in " ".join(rows[1]) and "bounding box" in " ".join(rows[2])
    assert "every pixel" in " ".join(rows[3])


def test_type_1_and_type_2_errors_sit_in_a_confusion_matrix_on_the_shipped_sheet(notebook: Notebook) -> None:
    """The seed's FP "also called Type 1 error" (it lowers precision) and FN "Type 2 error" (it lowers
    recall) print in a 2×2 confusion matrix: actual positive and negative against predicted."""
    html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    head, positive, negative = _comparison_tables(html)["precision"]
    assert [head[1:], positive[0], negative[0]] == [
        ["Predicted positive", "Predicted negative"],
        "Actual positive",
        "Actual negative",
    ]
    assert positive[1] == "TP" and negative[2] == "TN"
    assert "FN" in positive[2] and "Type 2" in positive[2] and "recall" in positive[2]
    assert "FP" in negative[1] and "Type 1" in negative[1] and "precision" in negative[1]


def test_a_notes_table_prints_with_the_grid_and_the_note_links_to_it(tmp_path: Path) -> None:
    """On the sheet a note's comparison table prints with the comparison grid, under the note's title (a
    link back), and the note links to it; the study guide keeps it in the note's body, and only there."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: t\ntitle: T\n")
    (source / "notes.yaml").write_text(
        "notes:\n"
        "  - id: seg\n"
        "    title: Seg\n"
        "    kind: algorithm\n"
        "    summary: Labels pixels.\n"
        "    task: segmentation\n"
        "    body: |\n"
        "      | Algorithm | Works on |\n"
        "      | --- | --- |\n"
        "      | Seg | every pixel |\n"
    )
    notebook = load_sources(source)
    sheet = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    note, back = sheet.split('<section class="grid-page"', 1)
    assert "<table>" not in note and 'href="#table-seg"' in note
    assert 'id="table-seg"' in back and 'href="#note-seg"' in back
    assert _comparison_tables(sheet) == {"seg": [["Algorithm", "Works on"], ["Seg", "every pixel"]]}
    guide = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(layout="guide"), changed=0)
    assert guide.count("<table>") == 1 and 'comparison-part" id=' not in guide


def test_a_pair_a_comparison_table_shows_is_printed_by_the_table(tmp_path: Path) -> None:
    """When a printed comparison table has a row for each of two contrasted notes, the table says what
    tells them apart: their `difference:` sentence is not printed again, the notes link to each other."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: t\ntitle: T\n")
    (source / "notes.yaml").write_text(
        "notes:\n"
        "  - id: seg\n"
        "    title: Seg\n"
        "    kind: algorithm\n"
        "    summary: Labels pixels.\n"
        "    body: |\n"
        "      | Algorithm | Labels |\n"
        "      | --- | --- |\n"
        "      | seg | every pixel |\n"
        "      | Box | each object |\n"
        "    related:\n"
        "      - {id: box, difference: Tabled sentence.}\n"
        "      - {id: other, difference: Untabled sentence.}\n"
        "  - {id: box, title: Box, kind: algorithm, summary: Draws boxes.}\n"
        "  - {id: other, title: Other, kind: algorithm, summary: Does other things.}\n"
    )
    html = render_sheet_html(load_sources(source), SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    assert "Untabled sentence." in html and "Tabled sentence." not in html
    box = html.split('id="note-box"', 1)[1].split("</article>", 1)[0]
    assert 'href="#note-seg"' in box


def _sheet_pdf(source: Path, out: Path) -> Path:
    """Lay out the sheet of `source` as one document and write it to `out`."""
    import weasyprint

    html = render_sheet_html(load_sources(source), SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    weasyprint.HTML(string=html, base_url=str(source)).write_pdf(out)
    return out


def test_a_difference_box_never_breaks_across_columns(tmp_path: Path) -> None:
    """A pair's `difference:` sentence is one box on the sheet: read back from the PDF, every character
    of each sentence lies in one column of one page, however the columns fall."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: t\ntitle: T\n")
    sentence = (
        "apart because one of them groups unlabelled points while the other labels each point from its "
        "nearest labelled neighbours in the training set"
    )
    words = sentence.split(" ")
    lines = ["notes:"]
    for first in range(0, 16, 2):
        difference = f"Dstart{first} {' '.join(words[: 18 + 2 * first])} Dend{first}."
        lines += [
            f"  - {{id: n{first}, title: Note {first}, kind: algorithm, summary: Groups points.,",
            f"      related: [{{id: n{first + 1}, difference: {difference}}}]}}",
            f"  - {{id: n{first + 1}, title: Note {first + 1}, kind: algorithm, summary: Labels points.}}",
        ]
    (source / "notes.yaml").write_text("\n".join(lines) + "\n")
    pages = page_chars(_sheet_pdf(source, tmp_path / "sheet.pdf"))
    pitch = (pages[0].width - 2 * SHEET_MARGINS[0]) / SheetOptions().columns
    for first in range(0, 16, 2):
        on = [page for page in pages if f"Dstart{first}" in page.text or f"Dend{first}" in page.text]
        assert len(on) == 1, f"difference {first} is on {len(on)} pages"
        boxes = on[0].between(f"Dstart{first}", f"Dend{first}")
        assert boxes, f"difference {first} is split"
        width = max(box[2] for box in boxes) - min(box[0] for box in boxes)
        assert width < pitch, f"difference {first} spans {width:.0f} pt, wider than a column"


@pytest.mark.slow
def test_the_note_columns_of_a_page_are_balanced(tmp_path: Path) -> None:
    """The columns of the last (here the only) notes page end level: read back from the PDF, no column
    is more than 15 % shorter than the tallest. The notes are many and short, so this holds in any
    font: a column's foot can only move by a line or two of its forty."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: t\ntitle: T\n")
    notes = [
        {
            "id": f"n{index}",
            "title": f"Note {index}",
            "kind": "concept",
            "summary": "A short summary of what this note is about, a line or two long.",
            "facts": [f"Fact {index} says ==something== worth a card" for _ in range(index % 3 + 1)],
        }
        for index in range(45)
    ]
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": notes}))
    [page] = page_chars(_sheet_pdf(source, tmp_path / "sheet.pdf"))  # concepts: no grid under them
    heights = column_heights(page, SheetOptions().columns)
    assert max(heights) > 100 * MM  # the columns are long: a line is a small part of one
    assert min(heights) >= 0.85 * max(heights), heights
