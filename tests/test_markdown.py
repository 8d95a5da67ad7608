"""Real-world notes: Markdown features, images, text hygiene and every script, on cards and on paper."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from anki.collection import Collection
from click.testing import CliRunner
from pypdf import PdfReader

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.cli import main
from cheatdeck.notes.render import render_markdown
from cheatdeck.notes.sources import SourceError, load_sources
from cheatdeck.options import SheetOptions
from cheatdeck.sheet.document import glyph_warnings, render_sheet_html
from cheatdeck.sheet.fonts import covered_codepoints, missing_glyphs
from tests.anki_helpers import card_html, import_package, note_by_id
from tests.conftest import build_into
from tests.pdf_text import page_texts

# The smallest valid PNG: 1×1 pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
)
MESSY_BODY = """\
Pasted from a blog, with everything real notes contain.

1. Ordered
   - nested *emphasis* and **strong**
   - `inline code` and a [link](https://example.com/page)

> A block quote.

```python
def loss(w):
    return (w ** 2).sum()
```

    indented code block

| Model | Learning | Output |
|---|---|---|
| k-means | unsupervised | clusters |

Inline math $\\lambda \\|w\\|_1$ and display math:

$$
\\hat{y} = \\sigma(w^T x + b)
$$

Costs $5 and $6, which is not math.

![diagram](media/diagram.png)

![remote](https://example.com/remote.png)
"""


def _write(folder: Path, notes: list[dict[str, object]], prefix: bytes = b"") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deck.yaml").write_text("id: messy\ntitle: Messy notes\n", encoding="utf-8")
    (folder / "notes.yaml").write_bytes(
        prefix + yaml.safe_dump({"notes": notes}, allow_unicode=True).encode()
    )
    return folder


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    source = _write(
        tmp_path / "source",
        [
            {
                "id": "messy",
                "title": "Messy \u200bnote",
                "kind": "concept",
                "summary": "Smart “quotes”, non\u00a0breaking, λ, Ж, 中文, 😀, and Itâ€™s mojibake.",
                "body": MESSY_BODY,
            }
        ],
        prefix="\ufeff".encode(),
    )
    (source / "media").mkdir()
    (source / "media" / "diagram.png").write_bytes(PNG)
    return source


def test_text_hygiene_rules(messy: Path) -> None:
    notebook = load_sources(messy)
    note = notebook.note("messy")
    assert note.title == "Messy note"  # zero-width space dropped silently; the BOM never shows
    assert "It’s mojibake" in note.summary and "â€" not in note.summary
    assert "non\u00a0breaking" in note.summary and "“quotes”" in note.summary  # kept as written
    warnings = [str(w) for w in notebook.warnings]
    assert any(w.startswith(f"{messy / 'notes.yaml'}:") and "repaired mojibake" in w for w in warnings)
    assert any("remote image https://example.com/remote.png is not fetched" in w for w in warnings)


def test_line_and_paragraph_separators_become_line_breaks(tmp_path: Path) -> None:
    source = _write(
        tmp_path, [{"id": "a", "title": "A", "kind": "concept", "summary": "one\u2028two\u2029three"}]
    )
    assert load_sources(source).note("a").summary == "one\ntwo\n\nthree"


def test_missing_local_image_is_an_error(tmp_path: Path) -> None:
    body = "![gone](media/gone.png)\n\n![escape](../outside.png)"
    source = _write(tmp_path, [{"id": "a", "title": "A", "kind": "concept", "summary": "S.", "body": body}])
    with pytest.raises(SourceError) as caught:
        load_sources(source)
    messages = [str(problem) for problem in caught.value.problems]
    assert any("notes[0].body: image not found: media/gone.png" in m for m in messages)
    assert any("image not found: ../outside.png" in m for m in messages)


def test_check_reports_warnings_and_succeeds(messy: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--source", str(messy)])
    assert result.exit_code == 0
    assert "warning:" in result.output and "repaired mojibake" in result.output


def test_markdown_renders_every_feature() -> None:
    html = render_markdown(MESSY_BODY)
    for fragment in (
        "<ol>",
        "<ul>",
        "<em>emphasis</em>",
        "<strong>strong</strong>",
        "<code>inline code</code>",
        '<a href="https://example.com/page">link</a>',
        "<blockquote>",
        '<code class="language-python">',
        "<pre><code>indented code block",
        "<table>",
        '<span class="math">\\lambda \\|w\\|_1</span>',
        '<div class="math">\\hat{y} = \\sigma(w^T x + b)</div>',
        "Costs $5 and $6",
        '<img src="media/diagram.png" alt="diagram">',
        '<a class="remote-image" href="https://example.com/remote.png">remote</a>',
    ):
        assert fragment in html, fragment
    mathjax = render_markdown(MESSY_BODY, mathjax=True)
    assert "\\(\\lambda \\|w\\|_1\\)" in mathjax and "\\[\\hat{y}" in mathjax


def test_cards_carry_media_math_and_links(messy: Path, tmp_path: Path, collection: Collection) -> None:
    out = tmp_path / "dist"
    build_into(messy, out, artefacts=("deck",))
    with zipfile.ZipFile(out / "messy.apkg") as package:
        media = json.loads(package.read("media"))
        assert list(media.values()) == [next(iter(media.values()))]
        name = next(iter(media.values()))
        assert name.startswith("cheatdeck-") and name.endswith(".png")
        assert package.read(next(iter(media))) == PNG
    import_package(collection, out / "messy.apkg")
    note = note_by_id(collection, "messy")
    _, answer = card_html(note.cards()[0])
    assert f'<img src="{name}"' in answer
    assert "\\(\\lambda" in answer
    assert '<a class="remote-image" href="https://example.com/remote.png">' in answer
    assert "中文" in answer and "😀" in answer
    assert (Path(collection.media.dir()) / name).read_bytes() == PNG


def test_sheet_prints_every_script_or_says_which_fonts_are_missing(messy: Path, tmp_path: Path) -> None:
    if covered_codepoints() is None:
        pytest.skip("fontconfig's fc-list is not installed: coverage cannot be checked")
    notebook = load_sources(messy)
    note = notebook.note("messy")
    missing = missing_glyphs([note.title, note.summary, note.body])
    out = tmp_path / "dist"
    report = build_into(messy, out, artefacts=("sheet",), sheet=SheetOptions(layout="guide"))
    assert report.sheet_pages == 1
    text = page_texts(out / "cheatsheet.pdf")[0]
    for word in ("Messy note", "λ", "Ж", "It’s mojibake"):  # DejaVu draws these everywhere
        assert word in text, word
    assert "\\hat" not in text  # math is typeset (glyph outlines), not printed as TeX
    if missing:  # without fonts-noto-cjk / fonts-noto-color-emoji the learner is told, note by note
        assert set(missing) <= set("中文😀")
        assert "fonts-noto-cjk" in str(glyph_warnings(notebook)[0])
    else:  # CI installs both packages (.ci/run): then every character has a glyph and prints
        assert glyph_warnings(notebook) == []
        assert "中文" in text.replace("\n", "")  # CJK may wrap between any two characters


def test_missing_glyphs_are_named_with_the_note(tmp_path: Path) -> None:
    if covered_codepoints() is None:
        pytest.skip("fontconfig's fc-list is not installed")
    hieroglyph = "\U00013000"  # Egyptian hieroglyphs: in no font this project names
    note = {"id": "pua", "title": "PUA", "kind": "concept", "summary": hieroglyph}
    source = _write(tmp_path / "source", [note])
    warnings = [str(warning) for warning in glyph_warnings(load_sources(source))]
    assert len(warnings) == 1
    expected = f"{source / 'notes.yaml'}:2: pua: no installed font can draw {hieroglyph} (U+13000)"
    assert warnings[0].startswith(expected)
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0 and expected in result.output


@pytest.mark.slow
def test_ten_thousand_character_note_and_long_tokens_build(tmp_path: Path) -> None:
    long_body = (
        ("A long paragraph of study notes. " * 310)[:10_000] + "\n\n" + "https://example.com/" + "x" * 200
    )
    source = _write(
        tmp_path / "source",
        [{"id": "long", "title": "Long", "kind": "concept", "summary": "L" * 200, "body": long_body}],
    )
    report = build_into(source, tmp_path / "dist", sheet=SheetOptions(layout="guide"))
    assert report.sheet_pages is not None and report.sheet_pages >= 1
    pages = PdfReader(tmp_path / "dist" / "cheatsheet.pdf").pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert text.count("A long paragraph of study notes.") >= 300


@pytest.mark.slow
def test_sheet_subset_by_kind_and_tag(built_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "metrics"
    result = CliRunner().invoke(
        main,
        ["build", "--source", str(built_copy), "--out", str(out), "--only", "metric", "--artefact", "sheet"],
    )
    assert result.exit_code == 0, result.output
    text = "".join(page.extract_text() for page in PdfReader(out / "cheatsheet.pdf").pages)
    assert "Precision" in text and "Amazon Comprehend" not in text
    out = tmp_path / "nlp"
    result = CliRunner().invoke(
        main, ["build", "--source", str(built_copy), "--out", str(out), "--tag", "nlp", "--artefact", "sheet"]
    )
    assert result.exit_code == 0, result.output
    text = "".join(page.extract_text() for page in PdfReader(out / "cheatsheet.pdf").pages)
    assert "Latent Dirichlet" in text and "K-means" not in text


@pytest.fixture
def built_copy(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    shutil.copytree(Path(__file__).resolve().parent.parent / "source", source)
    return source


def test_image_field_travels_in_the_deck_media(tmp_path: Path, collection: Collection) -> None:
    source = _write(
        tmp_path / "source",
        [{"id": "pic", "title": "Pic", "kind": "concept", "summary": "S.", "image": "diagram.png"}],
    )
    (source / "media").mkdir()
    (source / "media" / "diagram.png").write_bytes(PNG)
    build_into(source, tmp_path / "dist", artefacts=("deck",))
    import_package(collection, tmp_path / "dist" / "messy.apkg")
    image = note_by_id(collection, "pic")["Image"]
    assert image.startswith('<img src="cheatdeck-') and image.endswith('.png" alt="Pic">')
    name = image.split('"')[1]
    assert (Path(collection.media.dir()) / name).read_bytes() == PNG
    (source / "media" / "diagram.png").unlink()
    with pytest.raises(SourceError, match=r"notes\[0\]\.image: no such file"):
        load_sources(source)


def test_image_paths_with_spaces_and_accents_are_found(tmp_path: Path) -> None:
    body = "![a](<media/my pic.png>) ![b](media/diagrämm.png)"
    source = _write(
        tmp_path / "source", [{"id": "a", "title": "A", "kind": "concept", "summary": "S.", "body": body}]
    )
    (source / "media").mkdir()
    (source / "media" / "my pic.png").write_bytes(PNG)
    (source / "media" / "diagrämm.png").write_bytes(PNG)
    load_sources(source)  # no "image not found"
    build_into(source, tmp_path / "dist", artefacts=("deck",))
    with zipfile.ZipFile(tmp_path / "dist" / "messy.apkg") as package:
        assert len(json.loads(package.read("media"))) == 1  # the same bytes: one content-hashed file


def test_a_reference_is_dropped_from_the_sheet_only_when_the_body_links_to_it(tmp_path: Path) -> None:
    notes = [
        {
            "id": "a",
            "title": "A",
            "kind": "concept",
            "summary": "S.",
            "body": "See [pricing](https://example.com/sagemaker/pricing/) and [home](https://example.com/x).",
            "references": ["https://example.com/sagemaker/", "https://example.com/x"],
        }
    ]
    notebook = load_sources(_write(tmp_path / "source", notes))
    html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    assert html.count('href="https://example.com/sagemaker/"') == 1
    assert html.count('href="https://example.com/x"') == 1
