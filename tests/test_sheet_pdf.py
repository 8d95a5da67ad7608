"""The sheet laid out in parts (issue 16): chapters, the part cache, and the joined PDF."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

import cheatdeck.sheet.document
import cheatdeck.sheet.flow
import cheatdeck.sheet.join
import cheatdeck.sheet.pdf
from cheatdeck.build.pipeline import build
from cheatdeck.options import BuildOptions, SheetOptions
from cheatdeck.outputs import CACHE_FOLDER
from cheatdeck.sheet.typeset import _draw as draw_with_ziamath

DECK = "id: parts\ntitle: Parts\n"
SVG = 'xmlns="http://www.w3.org/2000/svg" width="40" height="20"'
FIGURE = f'<svg {SVG}><rect width="40" height="20" fill="{{}}"/></svg>'
CONCEPTS = 90  # two pages of notes (guide layout)


def _notes() -> str:
    """Two chapters: two algorithms and CONCEPTS concepts, then two metrics with a figure (guide
    layout). The grid of algorithms (the back matter) links into the first chapter."""
    lines = ["notes:"]
    for name, learning in (("kmeans", "unsupervised"), ("xgboost", "supervised")):
        lines += [
            f"  - id: {name}",
            f"    title: Algorithm {name}",
            "    kind: algorithm",
            f"    summary: An algorithm called {name}.",
            f"    learning: {learning}",
            "    task: classification",
        ]
    for index in range(CONCEPTS):
        lines += [
            f"  - id: concept-{index}",
            f"    title: Concept number {index}",
            "    kind: concept",
            f"    summary: The idea numbered {index}, told in a short sentence.",
        ]
    for index in range(2):
        lines += [
            f"  - id: metric-{index}",
            f"    title: Metric number {index}",
            "    kind: metric",
            f"    summary: The measure numbered {index}.",
            "    image: figure.svg",
            f"    formula: Score{index} = TP / (TP + FP)",
            "    body: Compare [k-means](#note-kmeans); a link to [nowhere](#nowhere) is dropped.",
            f"    related: [{'metric-1' if index == 0 else 'metric-0'}]",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def short_sheets_have_chapters(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chapters from the first note on, so two chapters take 44 notes, not 120."""
    monkeypatch.setattr(cheatdeck.sheet.document, "PARTS_FROM", 0)


@pytest.fixture
def source(tmp_path: Path, short_sheets_have_chapters: None) -> Path:
    folder = tmp_path / "source"
    (folder / "media").mkdir(parents=True)
    (folder / "deck.yaml").write_text(DECK, encoding="utf-8")
    (folder / "notes.yaml").write_text(_notes(), encoding="utf-8")
    (folder / "media" / "figure.svg").write_text(FIGURE.format("#c00"), encoding="utf-8")
    return folder


@pytest.fixture
def laid_out(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The HTML of every document WeasyPrint lays out, all in this process: the notes' parts (runs of
    items tried), the back matter, the frame."""
    documents: list[str] = []
    render = cheatdeck.sheet.pdf.Renderer.render
    lay_out = cheatdeck.sheet.flow._lay_out

    def counting(self: Any, html: str, epoch: int) -> Any:
        documents.append(html)
        return render(self, html, epoch)

    def counting_runs(flow: Any, renderer: Any, start: int, stop: int, pages: int | None) -> Any:
        documents.append(flow.html(start, stop))
        return lay_out(flow, renderer, start, stop, pages)

    monkeypatch.setattr(cheatdeck.sheet.document, "_cores", lambda: 1)
    monkeypatch.setattr(cheatdeck.sheet.pdf.Renderer, "render", counting)
    monkeypatch.setattr(cheatdeck.sheet.flow, "_lay_out", counting_runs)
    return documents


def _build(source: Path, out: Path, **options: Any) -> bytes:
    sheet = SheetOptions(layout="guide")
    build(BuildOptions(source=source, out=out, artefacts=("sheet",), sheet=sheet, **options))
    return (out / "cheatsheet.pdf").read_bytes()


@pytest.mark.slow
def test_an_edit_lays_out_only_its_part_and_gives_the_bytes_of_a_forced_build(
    source: Path, tmp_path: Path, laid_out: list[str]
) -> None:
    out = tmp_path / "dist"
    first = _build(source, out)
    assert sum('class="frame-page"' in html for html in laid_out) == 1  # the frame, laid out once
    laid_out.clear()
    notes = source / "notes.yaml"
    notes.write_text(
        notes.read_text().replace("measure numbered 1.", "measure numbered one."), encoding="utf-8"
    )
    edited = _build(source, out)
    assert edited != first
    [part] = laid_out  # the second page of notes holds the edit; the first one, the grid and the frame
    assert "numbered one" in part and "Concept number" not in part  # (same pages, day) are kept
    assert _build(source, tmp_path / "forced", force=True) == edited
    assert _build(source, out, force=True) == edited  # --force lays out afresh, the same bytes


@pytest.mark.slow
def test_a_changed_image_lays_out_its_part_again(source: Path, tmp_path: Path, laid_out: list[str]) -> None:
    out = tmp_path / "dist"
    before = _build(source, out)
    (source / "media" / "figure.svg").write_text(FIGURE.format("#00c"), encoding="utf-8")
    laid_out.clear()
    after = _build(source, out)
    assert after != before
    # the part showing the figure, and the part before, which ends where a note showing it did not fit
    # (the frame, same pages and day, is kept)
    assert laid_out and all('src="media/figure.svg"' in html for html in laid_out)
    assert after == _build(source, tmp_path / "forced", force=True)


@pytest.mark.slow
def test_a_damaged_cache_is_laid_out_again(source: Path, tmp_path: Path, laid_out: list[str]) -> None:
    out = tmp_path / "dist"
    before = _build(source, out)
    for cached in (out / CACHE_FOLDER / "sheet").glob("*.pdf"):
        cached.write_bytes(cached.read_bytes()[:100])
    laid_out.clear()
    assert _build(source, out) == before  # up to date: nothing read
    assert not laid_out
    (source / "deck.yaml").write_text(DECK + "subject: rebuilt\n", encoding="utf-8")  # the PDF's metadata
    after = _build(source, out)
    assert len(laid_out) == 4  # every part again (not read from the damaged cache), and the frame
    assert after == _build(source, tmp_path / "forced", force=True)
    kept = list((out / CACHE_FOLDER / "sheet").glob("*.pdf"))
    assert len(kept) == 3 + 1  # one per part and the frame of this day and page count, no leftovers


@pytest.mark.slow
def test_the_notes_parts_hold_whole_notes_and_links_cross_parts(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    pdf = PdfReader(_build(source, out, force=True) and out / "cheatsheet.pdf")
    texts = [page.extract_text() for page in pdf.pages]
    count = len(pdf.pages)
    assert all(f"page {number} of {count}" in text for number, text in enumerate(texts, start=1))
    last_concept = next(number for number, text in enumerate(texts) if f"numbered {CONCEPTS - 1}," in text)
    metrics = next(number for number, text in enumerate(texts) if "The measure numbered 0" in text)
    assert metrics == last_concept + 1  # the metrics' part starts a page ...
    assert "The idea numbered" not in texts[metrics]  # ... as the concepts fill the one before
    destinations, checked = pdf.named_destinations, set()
    for page_number, page in enumerate(pdf.pages):
        for reference in page.get("/Annots", []):
            annotation = reference.get_object()
            if "/Dest" in annotation:
                target = destinations[str(annotation["/Dest"])]
                target_page = pdf.get_destination_page_number(target)
                name = str(annotation["/Dest"])
                checked.add((name, page_number))
                if name.startswith("note-"):
                    note = name.removeprefix("note-")
                    expected = f"Metric number {note[-1]}" if "metric" in note else f"Algorithm {note}"
                    assert expected in texts[target_page], (name, page_number, target_page)
                elif name.startswith("ref-"):
                    assert "References" in texts[target_page]
    grid = next(number for number, text in enumerate(texts) if "Comparison grid" in text)
    assert {("note-kmeans", grid), ("note-metric-1", metrics)} <= checked  # across parts, and within one
    assert ("note-kmeans", metrics) in checked  # a link in a note's body, to another chapter
    assert "nowhere" not in {name for name, _ in checked}


@pytest.mark.slow
def test_the_sheet_options_reach_the_parts(source: Path, tmp_path: Path) -> None:
    options = BuildOptions(source=source, out=tmp_path / "dist", artefacts=("sheet",))
    build(replace(options, sheet=SheetOptions(paper="a5", orientation="portrait")))
    box = PdfReader(tmp_path / "dist" / "cheatsheet.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (420, 595)


def test_a_sheet_template_from_before_the_parts_still_prints_each_note_once(
    source: Path, tmp_path: Path
) -> None:
    """A learner's copy of the templates made before chapters and frames: no `frame` switch, and it
    loops over `sections`. The sheet is then laid out as one document, as it was."""
    import shutil

    from cheatdeck import SHIPPED_TEMPLATES

    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    (templates / "sheet.html.j2").write_text(
        "<html><head><style>@page { size: a5; @bottom-right { content: 'page ' counter(page) ' of '"
        " counter(pages) } }</style></head><body>{% for section in sections %}<h2>{{ section.label }}</h2>"
        "{% for note in section.notes %}<p>{{ note.title }}</p>{% endfor %}{% endfor %}</body></html>",
        encoding="utf-8",
    )
    out = tmp_path / "dist"
    build(BuildOptions(source=source, out=out, artefacts=("sheet",), templates=templates))
    text = "".join(page.extract_text() for page in PdfReader(out / "cheatsheet.pdf").pages)
    assert text.count("Concept number 7\n") == 1 and text.count("Metric number 1") == 1
    assert "page 1 of" in text


@pytest.mark.slow
def test_formula_drawings_are_kept_for_the_next_process_but_only_as_drawings(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from cheatdeck.sheet import typeset

    out = tmp_path / "dist"
    _build(source, out)
    saved = out / CACHE_FOLDER / "formulas.json"
    drawings = json.loads(saved.read_text(encoding="utf-8"))["drawings"]
    assert len(drawings) == 2  # the two metrics' formulas

    def no_ziamath(*_: object) -> None:
        raise AssertionError("drawn again")

    (source / "deck.yaml").write_text(
        DECK + "subject: again\n", encoding="utf-8"
    )  # the sheet is written again
    expected = _build(source, tmp_path / "fresh", force=True)
    monkeypatch.setattr(typeset, "_DRAWN", {})  # a fresh process
    monkeypatch.setattr(typeset, "_draw", no_ziamath)
    assert _build(source, out) == expected  # both drawings read back

    key = sorted(drawings)[0]
    svg = drawings[key][0].replace("<path", '<image href="file:///etc/passwd"/><path', 1)
    drawings[key] = [svg, typeset._check(key, svg)]  # bound to its formula, but no plain drawing
    saved.write_text(json.dumps({**json.loads(saved.read_text()), "drawings": drawings}))
    drawn: list[str] = []
    monkeypatch.setattr(
        typeset, "_draw", lambda tex, display: drawn.append(tex) or draw_with_ziamath(tex, display)
    )
    (source / "deck.yaml").write_text(DECK + "subject: once more\n", encoding="utf-8")
    expected = _build(source, tmp_path / "fresh", force=True)
    monkeypatch.setattr(typeset, "_DRAWN", {})  # a fresh process
    drawn.clear()
    assert _build(source, out) == expected
    assert len(drawn) == 1  # the tampered drawing was not taken; the other one was


@pytest.mark.slow
def test_a_worker_that_dies_costs_time_not_the_sheet(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker process killed (say, by the out-of-memory killer): the parts are laid out in this
    process instead, and the PDF is the same."""
    import os
    import signal

    import cheatdeck.sheet.flow

    expected = _build(source, tmp_path / "expected", force=True)
    render, lay_out = cheatdeck.sheet.pdf.Renderer.render, cheatdeck.sheet.flow._lay_out

    def dying(self: Any, html: str, epoch: int) -> Any:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return render(self, html, epoch)

    def dying_flow(*arguments: Any) -> Any:  # the back matter's pages, a worker's job
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return lay_out(*arguments)

    parent = os.getpid()
    monkeypatch.setattr(cheatdeck.sheet.document, "_cores", lambda: 2)
    monkeypatch.setattr(cheatdeck.sheet.pdf.Renderer, "render", dying)
    monkeypatch.setattr(cheatdeck.sheet.flow, "_lay_out", dying_flow)
    assert _build(source, tmp_path / "dist", force=True) == expected
    assert "laying the parts out one after the other" in caplog.text


def test_a_template_without_a_closing_body_tag_still_gets_its_stand_ins(source: Path, tmp_path: Path) -> None:
    """HTML may leave `</body>` out; a learner's template that does still links the grid to the notes
    (one written before the back matter's `flow_end` mark, so the back matter is one part laid out whole:
    its stand-ins go in its HTML; a back matter cut by the page gets them in each part's PDF)."""
    import shutil

    from cheatdeck import SHIPPED_TEMPLATES
    from cheatdeck.notes.sources import load_sources
    from cheatdeck.sheet.anchors import anchors_of
    from cheatdeck.sheet.document import render_sheet_parts

    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    page = templates / "sheet.html.j2"
    text = page.read_text(encoding="utf-8").replace("{{ flow_end }}", "")
    page.write_text(text.replace("</body>", "").replace("</html>", ""))
    sheet = render_sheet_parts(load_sources(source), templates, SheetOptions(), 0)
    back = sheet.parts[-1]
    assert 'href="#note-kmeans"' in back and "note-kmeans" not in anchors_of(back)
    assert 'id="note-kmeans"' in back  # a stand-in for the note laid out in the first chapter


def _one_note_with_templates(tmp_path: Path) -> tuple[Path, Path]:
    """A notes folder with one concept, and a copy of the shipped templates to edit."""
    import shutil

    from cheatdeck import SHIPPED_TEMPLATES

    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text(DECK, encoding="utf-8")
    note = "notes:\n  - id: one\n    title: One\n    kind: concept\n    summary: The only note.\n"
    (source / "notes.yaml").write_text(note, encoding="utf-8")
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    return source, templates


def test_the_frame_follows_the_page_rules_of_a_learners_stylesheet(
    tmp_path: Path, short_sheets_have_chapters: None
) -> None:
    """`sheet.css` may set the page's margins; the frame draws the header and footer in those margins,
    where one document would put them."""
    import io

    from cheatdeck.notes.sources import load_sources
    from cheatdeck.sheet.document import render_sheet_html, sheet_renderer

    source, templates = _one_note_with_templates(tmp_path)
    with (templates / "sheet.css").open("a", encoding="utf-8") as css:
        css.write("@page { margin: 20mm 25mm; }\n")
    out = tmp_path / "dist"
    build(BuildOptions(source=source, out=out, artefacts=("sheet",), templates=templates))
    notebook = load_sources(source)
    html = render_sheet_html(notebook, templates, SheetOptions(), 0)
    single = sheet_renderer(source, templates, None).render(html, 0).pdf

    def places(pdf: PdfReader) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}

        def visit(text: str, _: Any, matrix: Any, *__: Any) -> None:
            for label in ("Parts", "page 1 of 1", "One"):
                if text.strip() == label:
                    found[label] = (round(matrix[4]), round(matrix[5]))

        pdf.pages[0].extract_text(visitor_text=visit)
        return found

    joined = places(PdfReader(out / "cheatsheet.pdf"))
    assert set(joined) == {"Parts", "page 1 of 1", "One"}
    assert joined == places(PdfReader(io.BytesIO(single)))


@pytest.mark.slow
def test_formula_drawings_saved_by_other_code_are_drawn_again(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drawing is ziamath's output reworked by cheatdeck (`cheatdeck.sheet.typeset`): drawings saved by
    another version of cheatdeck are not taken, or a cached build would differ from a fresh one."""
    import json

    from cheatdeck.sheet import typeset

    out = tmp_path / "dist"
    first = _build(source, out)
    saved = out / CACHE_FOLDER / "formulas.json"
    content = json.loads(saved.read_text(encoding="utf-8"))
    one, other = sorted(content["drawings"])
    drawings = content["drawings"]
    drawings[one], drawings[other] = drawings[other], drawings[one]  # drawn otherwise by older code
    content["code"] = "0" * 64
    saved.write_text(json.dumps(content), encoding="utf-8")
    monkeypatch.setattr(typeset, "_DRAWN", {})  # a fresh process
    assert _build(source, out, force=True) == first


def test_a_frame_that_lays_out_pages_of_its_own_is_a_template_problem(
    tmp_path: Path, short_sheets_have_chapters: None
) -> None:
    """A stylesheet adding a page after the body's content adds one to the frame too: said plainly, exit
    status 1, nothing written; not an internal error."""
    from click.testing import CliRunner

    from cheatdeck.cli import main

    source, templates = _one_note_with_templates(tmp_path)
    with (templates / "sheet.css").open("a", encoding="utf-8") as css:
        css.write('body::after { content: "The end"; display: block; break-before: page; }\n')
    out = tmp_path / "dist"
    arguments = ["build", "--source", str(source), "--out", str(out), "--templates", str(templates)]
    result = CliRunner().invoke(main, [*arguments, "--artefact", "sheet"])
    assert result.exit_code == 1
    assert "sheet.html.j2: the frame laid out" in result.output and "internal error" not in result.output
    assert not (out / "cheatsheet.pdf").exists()


def test_the_parts_do_not_hold_the_day_or_the_decks_metadata(source: Path) -> None:
    """The first edit of a new day, or a new author, lays out only the frame again: the parts' HTML
    holds neither (the joined PDF takes its metadata from the frame)."""
    from cheatdeck import SHIPPED_TEMPLATES
    from cheatdeck.notes.sources import load_sources
    from cheatdeck.sheet.document import render_sheet_parts

    notebook = load_sources(source)
    today = render_sheet_parts(notebook, SHIPPED_TEMPLATES, SheetOptions(), 0)
    (source / "deck.yaml").write_text(DECK + "author: Someone else\n", encoding="utf-8")
    tomorrow = render_sheet_parts(load_sources(source), SHIPPED_TEMPLATES, SheetOptions(), 86_400)
    assert tomorrow.back == today.back and today.back is not None  # the back matter
    assert tomorrow.flow == today.flow and today.flow is not None
    assert tomorrow.frame != today.frame and "Someone else" in str(tomorrow.frame)


@pytest.mark.slow
def test_pruning_the_cache_removes_only_its_own_entries(source: Path, tmp_path: Path) -> None:
    """The cache forgets the parts a sheet no longer has, and nothing else: not a file a learner left
    there, nor the files of a folder the cache's folder links to."""
    precious = tmp_path / "elsewhere"
    precious.mkdir()
    (precious / "thesis.tex").write_text("keep me", encoding="utf-8")
    out = tmp_path / "dist"
    (out / CACHE_FOLDER).mkdir(parents=True)
    (out / CACHE_FOLDER / "sheet").symlink_to(precious, target_is_directory=True)
    stale = precious / f"{'0' * 64}.pdf"
    stale.write_bytes(b"%PDF- a part this sheet no longer has")
    _build(source, out)
    assert (precious / "thesis.tex").read_text(encoding="utf-8") == "keep me"
    assert not stale.exists() and len(list(precious.glob("*.pdf"))) == 3 + 1  # the parts, the frame


@pytest.mark.slow
def test_a_cache_that_cannot_be_written_costs_time_not_the_build(source: Path, tmp_path: Path) -> None:
    """A file where the cache's folder would be (or any cache folder that cannot be made): the sheet is
    written all the same, the bytes of a build with a cache."""
    expected = _build(source, tmp_path / "cached")
    out = tmp_path / "dist"
    out.mkdir()
    (out / CACHE_FOLDER).write_text("in the way", encoding="utf-8")
    assert _build(source, out) == expected


def test_a_changed_picture_in_the_margins_rebuilds_the_sheet(
    tmp_path: Path, short_sheets_have_chapters: None
) -> None:
    """A template's logo drawn in the page margins is laid out by the frame only: a change to it changes
    the sheet, as a changed figure in a note does."""
    source, templates = _one_note_with_templates(tmp_path)
    page = templates / "sheet.html.j2"
    logo = '@top-center { content: url("https://templates.cheatdeck.invalid/logo.svg"); }\n  @bottom-right {'
    page.write_text(page.read_text(encoding="utf-8").replace("@bottom-right {", logo, 1), encoding="utf-8")
    (templates / "logo.svg").write_text(FIGURE.format("#c00"), encoding="utf-8")

    def sheet(out: Path, **options: Any) -> bytes:
        build(BuildOptions(source=source, out=out, artefacts=("sheet",), templates=templates, **options))
        return (out / "cheatsheet.pdf").read_bytes()

    before = sheet(tmp_path / "dist")
    (templates / "logo.svg").write_text(FIGURE.format("#00c"), encoding="utf-8")
    after = sheet(tmp_path / "dist")
    assert after != before
    assert after == sheet(tmp_path / "fresh", force=True)


@pytest.mark.slow
def test_a_link_to_an_escaped_anchor_in_another_part_lands_on_it(source: Path, tmp_path: Path) -> None:
    """A learner's template may name anchors with characters HTML escapes (`&`) or URLs quote (a space):
    the joined PDF still sends the link to its target, not to the stand-in in the linking part."""
    import shutil

    from cheatdeck import SHIPPED_TEMPLATES

    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    page = templates / "sheet.html.j2"
    article = 'id="note-{{ note.id }}">'
    extra = (
        '<span id="{{ note.id }} &amp; more"></span>{% if note.kind.value == "metric" %}'
        '<a href="#kmeans &amp; more">again</a> <a href="#kmeans%20%26%20more">quoted</a>{% endif %}'
    )
    page.write_text(page.read_text(encoding="utf-8").replace(article, article + extra, 1), encoding="utf-8")
    out = tmp_path / "dist"
    _build(source, out, templates=templates)
    pdf = PdfReader(out / "cheatsheet.pdf")
    texts = [page.extract_text() for page in pdf.pages]
    target = pdf.get_destination_page_number(pdf.named_destinations["kmeans & more"])
    assert "Algorithm kmeans" in texts[target] and "measure numbered" not in texts[target]
    landed = [
        pdf.get_destination_page_number(pdf.named_destinations[str(annotation.get_object()["/Dest"])])
        for page in pdf.pages
        for annotation in page.get("/Annots", [])
        if str(annotation.get_object().get("/Dest")) == "kmeans & more"
    ]
    assert landed == [target] * 4  # both links of both metrics


_KILLED_BUILD = """
import os, sys, time
from pathlib import Path
import cheatdeck.sheet.document, cheatdeck.sheet.flow
from cheatdeck.options import BuildOptions
from cheatdeck.build.pipeline import build

cheatdeck.sheet.document.PARTS_FROM = 0
cheatdeck.sheet.document._cores = lambda: 2
parent = os.getpid()
lay_out = cheatdeck.sheet.flow._lay_out

def stuck(*arguments):  # the back matter's pages are a worker's job
    if os.getpid() != parent:
        os.write(1, f"{os.getpid()}\\n".encode())  # one write: the lines of two workers never interleave
        time.sleep(60)
    return lay_out(*arguments)

cheatdeck.sheet.flow._lay_out = stuck
build(BuildOptions(source=Path(sys.argv[1]), out=Path(sys.argv[2]), artefacts=("sheet",)))
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers on Linux only")
def test_a_killed_build_leaves_no_worker_behind(source: Path, tmp_path: Path) -> None:
    """A build killed outright (SIGKILL, a closed terminal): its workers end with it. Left running, they
    held the out folder's lock, and every later build waited for them."""
    import os
    import signal
    import subprocess
    import time

    out = tmp_path / "dist"
    command = [sys.executable, "-c", _KILLED_BUILD, str(source), str(out)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as build_process:
        try:
            assert build_process.stdout is not None
            workers = [int(build_process.stdout.readline())]  # the back matter's (the notes: here)
        finally:
            build_process.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 10

    def running(pid: int) -> bool:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
        return "\nState:\tZ" not in status  # a zombie holds no lock

    while any(map(running, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [pid for pid in workers if running(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive


@pytest.mark.slow
def test_a_link_to_an_anchor_hidden_by_css_is_dropped_as_in_one_document(
    source: Path, tmp_path: Path
) -> None:
    """A learner's sheet.css may hide linked elements (`display: none` lays out no anchor): WeasyPrint
    drops the links to them, and so does the join, rather than point them at another part's stand-in."""
    import shutil

    from cheatdeck import SHIPPED_TEMPLATES

    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    with (templates / "sheet.css").open("a", encoding="utf-8") as css:
        css.write("article.kind-algorithm { display: none; }\n")
    out = tmp_path / "dist"
    _build(source, out, templates=templates)
    pdf = PdfReader(out / "cheatsheet.pdf")
    assert "note-kmeans" not in pdf.named_destinations and "note-metric-0" in pdf.named_destinations
    targets = [
        str(annotation.get_object().get("/Dest"))
        for page in pdf.pages
        for annotation in page.get("/Annots", [])
    ]
    assert "note-kmeans" not in targets and "note-xgboost" not in targets and "note-metric-0" in targets


def _notes_alone() -> str:
    """`_notes()` without its algorithms: concepts and metrics, which no grid table shows, so the sheet
    prints its notes and nothing after them (no back matter)."""
    return "notes:\n" + "  - id: concept-0" + _notes().split("  - id: concept-0", 1)[1]


@pytest.mark.slow
def test_a_short_sheet_of_notes_alone_is_one_document_laid_out_once_and_an_edit_is_as_forced(
    tmp_path: Path, laid_out: list[str]
) -> None:
    """A sheet shorter than PARTS_FROM notes that prints its notes and nothing after them is one part:
    it is laid out once, as one document, margins and all (no parts, frame or join); an edited build
    gives the bytes of a forced one, from this folder or a copy elsewhere."""
    import shutil

    source = tmp_path / "source"
    (source / "media").mkdir(parents=True)
    (source / "deck.yaml").write_text(DECK, encoding="utf-8")
    (source / "media" / "figure.svg").write_text(FIGURE.format("#c00"), encoding="utf-8")
    notes = source / "notes.yaml"
    notes.write_text(_notes_alone(), encoding="utf-8")
    out = tmp_path / "dist"
    first = _build(source, out)
    assert len(laid_out) == 1 and 'class="frame-page"' not in laid_out[0]
    assert 'class="grid-page"' not in laid_out[0]  # (what the test is about: no back matter)
    laid_out.clear()
    notes.write_text(notes.read_text().replace("numbered 1.", "numbered one."), encoding="utf-8")
    edited = _build(source, out)
    assert edited != first and len(laid_out) == 1
    assert _build(source, tmp_path / "forced", force=True) == edited
    elsewhere = tmp_path / "another" / "folder"
    shutil.copytree(source, elsewhere)
    assert _build(elsewhere, tmp_path / "another" / "dist", force=True) == edited


def _words_by_page(path: Path) -> list[list[str]]:
    from tests.pdf_text import page_texts

    return [sorted(text.split()) for text in page_texts(path)]


@pytest.mark.slow
def test_a_short_sheet_whose_back_matter_starts_a_page_lays_out_its_pages_apart(
    tmp_path: Path, laid_out: list[str]
) -> None:
    """The shipped sheet (a page of notes, then the grid's page) lays out its page of notes and its back
    matter apart (each on a core of its own where there are two), each once, with the frame drawn over
    them: each page shows the words the one document shows there, and a forced build gives the same
    bytes again."""
    import shutil

    import weasyprint

    from cheatdeck import SHIPPED_TEMPLATES
    from cheatdeck.anki.lock import LOCK_FILE, read_lock
    from cheatdeck.notes.sources import load_sources
    from cheatdeck.sheet.document import render_sheet_html
    from tests.conftest import SOURCE

    source = tmp_path / "source"
    shutil.copytree(SOURCE, source)
    out = tmp_path / "dist"
    build(BuildOptions(source=source, out=out, artefacts=("sheet",)))
    notes = [
        html for html in laid_out if 'class="grid-page"' not in html and 'class="frame-page"' not in html
    ]
    back = [html for html in laid_out if 'class="grid-page"' in html]
    frames = [html for html in laid_out if 'class="frame-page"' in html]
    assert len(notes) == 1 and len(back) == 1 and len(frames) == 1 and len(laid_out) == 3
    assert 'class="notes' in notes[0] and 'class="notes' not in back[0]
    changed = read_lock(source / LOCK_FILE).latest()
    whole = render_sheet_html(load_sources(source), SHIPPED_TEMPLATES, SheetOptions(), changed)
    weasyprint.HTML(string=whole, base_url=str(source)).write_pdf(tmp_path / "one.pdf")
    assert _words_by_page(out / "cheatsheet.pdf") == _words_by_page(tmp_path / "one.pdf")
    again = tmp_path / "again"
    build(BuildOptions(source=source, out=again, artefacts=("sheet",), force=True))
    assert (again / "cheatsheet.pdf").read_bytes() == (out / "cheatsheet.pdf").read_bytes()


def _two_algorithms_and(concepts: int, words: int) -> str:
    """Notes: two algorithms (a grid of two rows, the back matter) and `concepts` concepts whose summaries
    have about `words` words."""
    lines = ["notes:"]
    for name, learning in (("kmeans", "unsupervised"), ("xgboost", "supervised")):
        lines += [
            f"  - id: {name}",
            f"    title: Algorithm {name}",
            "    kind: algorithm",
            f"    summary: An algorithm called {name}.",
            f"    learning: {learning}",
            "    task: classification",
        ]
    for index in range(concepts):
        summary = " ".join(f"word{index}x{word}" for word in range(words))
        lines += [
            f"  - id: concept-{index}",
            f"    title: Concept number {index}",
            "    kind: concept",
            f"    summary: {summary}.",
        ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("concepts", "laid_out_after"),
    [
        (2, ["whole"]),
        pytest.param(50, ["notes", "back matter", "frame", "whole"], marks=pytest.mark.slow),
    ],
    ids=["a few notes: one document at once", "notes enough to try the sides apart first"],
)
def test_a_short_sheet_whose_back_matter_fits_under_its_notes_is_one_document(
    tmp_path: Path, laid_out: list[str], concepts: int, laid_out_after: list[str]
) -> None:
    """A short sheet whose back matter (the grid) follows its notes on their page, as one document lays
    it out, is that one document: laid out apart, the back matter would take a page of its own. With
    few notes it is laid out at once; with more (SIDE_BY_SIDE_FROM), its notes and its back matter are
    laid out apart first, and the one document after, when the back matter turns out to fit."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text(DECK, encoding="utf-8")
    (source / "notes.yaml").write_text(_two_algorithms_and(concepts, 12), encoding="utf-8")
    out = tmp_path / "dist"
    build(BuildOptions(source=source, out=out, artefacts=("sheet",)))
    reader = PdfReader(out / "cheatsheet.pdf")
    assert len(reader.pages) == 1
    assert "joined" not in str(reader.metadata.get("/Producer"))  # WeasyPrint's one document

    def what(html: str) -> str:
        if 'class="frame-page"' in html:
            return "frame"
        if 'class="grid-page"' in html:
            return "whole" if 'class="notes' in html else "back matter"
        return "notes"

    assert [what(html) for html in laid_out] == laid_out_after


@pytest.mark.slow
def test_an_edit_in_the_same_process_reads_only_the_part_it_laid_out_again(
    source: Path, tmp_path: Path, laid_out: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`watch` joins the parts it read for the last sheet again without reading or checking them anew
    (the join leaves them as read), and the bytes are those of a forced build."""
    out = tmp_path / "dist"
    _build(source, out)
    read: list[bytes] = []
    checked: list[Path] = []
    reader, check = cheatdeck.sheet.join.read_pdf, cheatdeck.sheet.pdf._check_part
    monkeypatch.setattr(cheatdeck.sheet.join, "read_pdf", lambda pdf: read.append(pdf) or reader(pdf))
    monkeypatch.setattr(
        cheatdeck.sheet.pdf, "_check_part", lambda path, pdf: checked.append(path) or check(path, pdf)
    )
    notes = source / "notes.yaml"
    for was, word in (("numbered 1", "one"), ("one", "two")):  # the second metric, not a part's first note
        laid_out.clear()
        notes.write_text(notes.read_text().replace(f"measure {was}.", f"measure {word}."))
        edited = _build(source, out)
        assert len(laid_out) == 1 and f"measure {word}." in laid_out[0]  # the part holding the edit
        assert len(read) == 1 and not checked  # that part alone is read; the rest was read before
        read.clear()
        assert _build(source, tmp_path / f"forced-{word}", force=True) == edited
        assert _build(source, out) == edited  # up to date
        read.clear()
