"""The PDF renderer reads nothing outside the notes folder and the templates folder, whatever an SVG, a
stylesheet or a link asks for; the PDF is the same byte for byte wherever the notes are checked out; a
relative link is resolved against the deck's `source_url` or reported."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.cli import main
from cheatdeck.options import SheetOptions
from cheatdeck.sheet.fetch import NOTES_URL, TEMPLATES_URL, local_file
from tests.conftest import build_into

NOTE = """\
notes:
  - id: diagram
    title: A diagram
    kind: concept
    summary: Shows a picture.
    body: |-
      ![the diagram](media/evil.svg) ![a square](media/ok.png)

      See [the guide](guide.html) and [the top](#note-diagram).
"""
OK_SIZE, SECRET_SIZE = (5, 5), (7, 3)


def _svg(outside: Path) -> str:
    """An SVG that asks for a file outside the notes folder in every way it can, and for one inside."""
    asks = [
        f"file://{outside}/secret.png",
        f"{outside}/secret.png",
        "../../outside/secret.png",
        "%2e%2e/%2e%2e/outside/secret.png",
        "https://example.com/secret.png",
        "ok.png",  # inside the notes folder: allowed
    ]
    images = "".join(
        f'<image x="0" y="{10 * index}" width="7" height="3" href="{href}"/>'
        for index, href in enumerate(asks)
    )
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="80">{images}</svg>'


@pytest.fixture(scope="module")
def checkouts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The same notes checked out in two places, a folder outside both with a secret image and a
    stylesheet, and a copy of the templates whose sheet asks for that stylesheet by absolute URL."""
    root = tmp_path_factory.mktemp("fetch")
    outside = root / "outside"
    outside.mkdir()
    Image.new("RGB", SECRET_SIZE, "red").save(outside / "secret.png")
    (outside / "evil.css").write_text('body::before { content: "LEAKED-BY-CSS"; }')
    templates = root / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    sheet = templates / "sheet.html.j2"
    links = (
        f'<link rel="stylesheet" href="file://{outside}/evil.css">'
        f'<link rel="stylesheet" href="{outside}/evil.css">'
        f'<link rel="stylesheet" href="{TEMPLATES_URL}../outside/evil.css">'
    )
    sheet.write_text(sheet.read_text().replace("</head>", f"{links}</head>", 1), encoding="utf-8")
    first = root / "a" / "deeply" / "nested" / "checkout" / "source"
    second = root / "b" / "source"
    for source in (first, second):
        (source / "media").mkdir(parents=True)
        (source / "deck.yaml").write_text("id: fetch\ntitle: Fetch\nsource_url: https://example.com/notes\n")
        (source / "notes.yaml").write_text(NOTE)
        (source / "media" / "evil.svg").write_text(_svg(outside))
        Image.new("RGB", OK_SIZE, "blue").save(source / "media" / "ok.png")
        guide = SheetOptions(layout="guide")  # the layout that prints note bodies, images included
        build_into(source, source.parent / "dist", templates=templates, artefacts=("sheet",), sheet=guide)
    return first.parent / "dist" / "cheatsheet.pdf", second.parent / "dist" / "cheatsheet.pdf", root


def _image_sizes(reader: PdfReader) -> set[tuple[int, int]]:
    """Every raster image anywhere in the PDF (pages, forms, patterns), by width and height."""
    sizes: set[tuple[int, int]] = set()
    seen: set[int] = set()

    def visit(value: Any) -> None:
        if isinstance(value, IndirectObject):
            if value.idnum in seen:
                return
            seen.add(value.idnum)
            value = value.get_object()
        if isinstance(value, dict):
            if value.get("/Subtype") == "/Image":
                sizes.add((int(value["/Width"]), int(value["/Height"])))
            for key, item in value.items():
                if key != "/Parent":
                    visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    for page in reader.pages:
        visit(page.get("/Resources"))
    return sizes


def _link_targets(reader: PdfReader) -> list[str]:
    return [
        str(annotation.get_object()["/A"].get("/URI"))
        for page in reader.pages
        for annotation in page.get("/Annots", [])
        if "/URI" in annotation.get_object().get("/A", {})
    ]


def test_nothing_outside_the_notes_folder_reaches_the_pdf(checkouts: tuple[Path, Path, Path]) -> None:
    pdf, _, root = checkouts
    reader = PdfReader(pdf)
    assert OK_SIZE in _image_sizes(reader)  # the image inside the notes folder is there
    assert SECRET_SIZE not in _image_sizes(reader)  # the one outside, asked for four ways, is not
    text = "".join(page.extract_text() for page in reader.pages)
    assert "LEAKED" not in text  # the stylesheets outside were not read either
    assert str(root).encode() not in pdf.read_bytes()  # no local path is written into the PDF


def test_a_relative_link_points_to_the_declared_source_url(checkouts: tuple[Path, Path, Path]) -> None:
    targets = _link_targets(PdfReader(checkouts[0]))
    assert "https://example.com/notes/guide.html" in targets
    assert not [target for target in targets if target.startswith("file:")]


def test_the_pdf_is_byte_identical_wherever_the_notes_are(checkouts: tuple[Path, Path, Path]) -> None:
    first, second, _ = checkouts
    assert first.read_bytes() == second.read_bytes()


def test_the_fetcher_maps_only_files_inside_the_two_folders(tmp_path: Path) -> None:
    notes, templates, outside = tmp_path / "notes", tmp_path / "templates", tmp_path / "outside"
    for folder in (notes / "media", notes / ".git", templates, outside):
        folder.mkdir(parents=True)
    for path in (notes / "media" / "a.png", notes / ".git" / "config", templates / "x.css", outside / "s"):
        path.write_text("x")
    (notes / "media" / "link.png").symlink_to(outside / "s")
    roots = {NOTES_URL: notes, TEMPLATES_URL: templates}
    assert local_file(f"{NOTES_URL}media/a.png", roots) == (notes / "media" / "a.png").resolve()
    assert local_file(f"{NOTES_URL}media/a.png?v=1#x", roots) == (notes / "media" / "a.png").resolve()
    assert local_file(f"{TEMPLATES_URL}x.css", roots) == (templates / "x.css").resolve()
    refused = [
        f"file://{outside}/s",
        str(outside / "s"),
        f"{NOTES_URL}../outside/s",
        f"{NOTES_URL}%2e%2e/outside/s",
        f"{NOTES_URL}media/%2e%2e/%2e%2e/outside/s",
        f"{NOTES_URL}media/link.png",  # a link leading outside
        f"{NOTES_URL}.git/config",  # hidden folders are not notes
        f"{NOTES_URL}{outside}/s",
        f"{NOTES_URL}media/a.png%00.txt",
        f"{TEMPLATES_URL}../notes/media/a.png",
        "https://example.com/s",
        f"{NOTES_URL}media/",
    ]
    assert [url for url in refused if local_file(url, roots) is not None] == []


def test_a_relative_link_without_a_source_url_is_reported(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: links\ntitle: Links\n")
    (source / "notes.yaml").write_text(
        "notes:\n  - id: a\n    title: A\n    kind: concept\n    summary: See [b](../b.md).\n"
        "    body: '[c](/etc/passwd), [d](#note-a), [e](https://example.com/e)'\n"
    )
    result = CliRunner().invoke(main, ["check", "--source", str(source)])
    assert result.exit_code == 1
    assert (
        "notes[0].summary: relative link '../b.md': write a full URL, or declare `source_url`"
        in result.output
    )
    assert "notes[0].body: relative link '/etc/passwd'" in result.output
    assert "2 errors" in result.output
    (source / "deck.yaml").write_text("id: links\ntitle: Links\nsource_url: https://example.com/notes/\n")
    assert CliRunner().invoke(main, ["check", "--source", str(source)]).exit_code == 0
