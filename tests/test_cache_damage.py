"""A damaged cache (dist/.cheatdeck-cache/) never blocks a build, never hangs it and never reaches the
sheet: every damaged file is named, laid out or drawn again, and the sheet is the bytes of a fresh build."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

import cheatdeck
import cheatdeck.sheet.document
from cheatdeck.build.pipeline import build
from cheatdeck.options import BuildOptions, SheetOptions
from cheatdeck.outputs import CACHE_FOLDER
from cheatdeck.sheet import typeset
from tests.test_sheet_pdf import DECK, FIGURE, _notes


@pytest.fixture
def source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The two-chapter guide of test_sheet_pdf (three parts: two chapters and the back matter)."""
    monkeypatch.setattr(cheatdeck.sheet.document, "PARTS_FROM", 0)
    monkeypatch.setattr(cheatdeck.sheet.document, "_cores", lambda: 1)
    monkeypatch.setattr(typeset, "_DRAWN", {})  # a fresh process: formulas drawn or read from the cache
    folder = tmp_path / "source"
    (folder / "media").mkdir(parents=True)
    (folder / "deck.yaml").write_text(DECK, encoding="utf-8")
    (folder / "notes.yaml").write_text(_notes(), encoding="utf-8")
    (folder / "media" / "figure.svg").write_text(FIGURE.format("#c00"), encoding="utf-8")
    return folder


def _build(source: Path, out: Path, **options: object) -> bytes:
    sheet = SheetOptions(layout="guide")
    build(BuildOptions(source=source, out=out, artefacts=("sheet",), sheet=sheet, **options))  # type: ignore[arg-type]
    return (out / "cheatsheet.pdf").read_bytes()


def _touch_deck(source: Path, word: str) -> None:
    """Change only the PDF's metadata: the sheet is written again, every part from the cache."""
    (source / "deck.yaml").write_text(DECK + f"subject: {word}\n", encoding="utf-8")


def _parts(out: Path) -> list[Path]:
    """The kept parts (the kept frame has no bookmarks, and is left out)."""
    return sorted(path for path in (out / CACHE_FOLDER / "sheet").glob("*.pdf") if PdfReader(path).outline)


def _forge(part: Path, pdf: bytes) -> None:
    """Put other bytes in a cached part, its record's checksum made to match."""
    part.write_bytes(pdf)
    record = part.with_suffix(".json")
    entry = json.loads(record.read_text(encoding="utf-8"))
    entry["sha256"] = hashlib.sha256(pdf).hexdigest()
    record.write_text(json.dumps(entry), encoding="utf-8")


def _fresh(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setattr(typeset, "_DRAWN", {})
    return _build(source, tmp_path / "fresh")


@pytest.mark.slow
def test_a_forged_part_is_named_and_laid_out_again(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "dist"
    _build(source, out)
    forged = _parts(out)[0]
    _forge(forged, b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\nstream garbage\n%%EOF\n")
    _touch_deck(source, "rebuilt")
    with caplog.at_level(logging.WARNING, logger="cheatdeck"):
        sheet = _build(source, out)
    assert f"{forged}: damaged cache entry" in caplog.text and "laid out again" in caplog.text
    assert sheet == _fresh(source, tmp_path, monkeypatch)


@pytest.mark.slow
def test_a_forged_part_with_a_javascript_action_never_reaches_the_sheet(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "dist"
    _build(source, out)
    forged = _parts(out)[-1]
    writer = PdfWriter(clone_from=PdfReader(forged))
    script = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): script})
    pdf = io.BytesIO()
    writer.write(pdf)
    _forge(forged, pdf.getvalue())
    _touch_deck(source, "rebuilt")
    with caplog.at_level(logging.WARNING, logger="cheatdeck"):
        sheet = _build(source, out)
    assert f"{forged}: damaged cache entry" in caplog.text
    assert b"JavaScript" not in sheet and b"app.alert" not in sheet
    assert not any("/AA" in page for page in PdfReader(io.BytesIO(sheet)).pages)
    assert sheet == _fresh(source, tmp_path, monkeypatch)


@pytest.mark.slow
def test_a_deeply_nested_part_record_is_named_and_laid_out_again(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "dist"
    _build(source, out)
    record = _parts(out)[1].with_suffix(".json")
    record.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    _touch_deck(source, "rebuilt")
    with caplog.at_level(logging.WARNING, logger="cheatdeck"):
        sheet = _build(source, out)
    assert f"{record}: damaged cache entry" in caplog.text
    assert sheet == _fresh(source, tmp_path, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("force", [False, True])
def test_a_deeply_nested_formulas_file_is_named_and_drawn_again(
    source: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    force: bool,
) -> None:
    out = tmp_path / "dist"
    _build(source, out)
    formulas = out / CACHE_FOLDER / "formulas.json"
    formulas.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    monkeypatch.setattr(typeset, "_DRAWN", {})  # the next build is a fresh process
    _touch_deck(source, "rebuilt")
    with caplog.at_level(logging.WARNING, logger="cheatdeck"):
        sheet = _build(source, out, force=force)
    if not force:  # --force does not read it at all
        assert f"{formulas}: damaged cache entry" in caplog.text
    assert sheet == _fresh(source, tmp_path, monkeypatch)
    assert json.loads(formulas.read_text(encoding="utf-8"))["drawings"]  # written afresh


@pytest.mark.slow
@pytest.mark.parametrize("force", [False, True])
def test_swapped_formula_drawings_are_drawn_again(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, force: bool
) -> None:
    out = tmp_path / "dist"
    _build(source, out)
    formulas = out / CACHE_FOLDER / "formulas.json"
    content = json.loads(formulas.read_text(encoding="utf-8"))
    drawings = content["drawings"]
    one, other = sorted(drawings)[:2]
    drawings[one], drawings[other] = drawings[other], drawings[one]  # each now claims the other formula
    formulas.write_text(json.dumps(content), encoding="utf-8")
    monkeypatch.setattr(typeset, "_DRAWN", {})
    _touch_deck(source, "rebuilt")
    sheet = _build(source, out, force=force)
    assert sheet == _fresh(source, tmp_path, monkeypatch)


_BUILD_IN_A_CHILD = """
import resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # /dev/zero read whole fails here, not the machine
import cheatdeck.sheet.document
from cheatdeck.options import BuildOptions, SheetOptions
from cheatdeck.build.pipeline import build
cheatdeck.sheet.document.PARTS_FROM = 0
cheatdeck.sheet.document._cores = lambda: 1
build(BuildOptions(source=Path(sys.argv[1]), out=Path(sys.argv[2]), artefacts=("sheet",),
                   sheet=SheetOptions(layout="guide")))
print("built")
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="named pipes and /dev/zero, as on Linux")
def test_a_named_pipe_or_a_link_to_a_device_in_the_cache_never_hangs_the_build(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dist"
    _build(source, out)
    first, second, third = (part.with_suffix(".json") for part in _parts(out))
    first.unlink()
    os.mkfifo(first)  # read: waits for a writer that never comes
    second.unlink()
    second.symlink_to("/dev/zero")  # read: never ends
    third.with_suffix(".pdf").unlink()
    os.mkfifo(third.with_suffix(".pdf"))
    _touch_deck(source, "rebuilt")
    root = Path(cheatdeck.__file__).parent.parent
    child = subprocess.run(
        [sys.executable, "-c", _BUILD_IN_A_CHILD, str(source), str(out)],
        capture_output=True,
        text=True,
        timeout=600,  # a guard against the hang itself, not a measure of speed
        env={**os.environ, "PYTHONPATH": str(root)},
        check=False,
    )
    assert child.returncode == 0 and "built" in child.stdout, child.stderr[-2000:]
    for damaged in (first, second, third.with_suffix(".pdf")):
        assert f"{damaged}: damaged cache entry" in child.stderr, child.stderr[-2000:]
    assert (out / "cheatsheet.pdf").read_bytes() == _fresh(source, tmp_path, monkeypatch)


def test_joined_pages_carry_no_action_and_no_javascript_whatever_a_part_holds() -> None:
    from pypdf.generic import ArrayObject, FloatObject

    from cheatdeck.sheet.join import join_parts

    def blank() -> PdfWriter:
        writer = PdfWriter()
        writer.add_blank_page(200, 200)
        return writer

    def written(writer: PdfWriter) -> bytes:
        pdf = io.BytesIO()
        writer.write(pdf)
        return pdf.getvalue()

    part = blank()
    script = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject(
                [FloatObject(0), FloatObject(0), FloatObject(10), FloatObject(10)]
            ),
            NameObject("/A"): script,
        }
    )
    page = part.pages[0]
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): script})
    page[NameObject("/Annots")] = ArrayObject([part._add_object(link)])
    joined, pages = join_parts([written(part)], lambda count: written(blank()), owned=[frozenset()])
    assert pages == 1 and b"JavaScript" not in joined and b"app.alert" not in joined
    [joined_page] = PdfReader(io.BytesIO(joined)).pages
    assert "/AA" not in joined_page and not joined_page.get("/Annots")
