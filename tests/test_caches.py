"""The in-memory caches (parsed Markdown, inline renders, words, field HTML) never change an output."""

from __future__ import annotations

from pathlib import Path

import pytest

from cheatdeck import forget_caches
from cheatdeck.notes.render import render_markdown
from tests.conftest import build_into


def test_a_warm_build_writes_the_bytes_of_a_cold_one(scratch_source: Path, tmp_path: Path) -> None:
    forget_caches()
    build_into(scratch_source, tmp_path / "cold", artefacts=("deck", "grid"), force=True)
    build_into(scratch_source, tmp_path / "warm", artefacts=("deck", "grid"), force=True)
    names = sorted(path.name for path in (tmp_path / "cold").iterdir() if not path.name.startswith("."))
    assert "aws-mls-c01.apkg" in names and "grid.csv" in names
    for name in names:
        assert (tmp_path / "warm" / name).read_bytes() == (tmp_path / "cold" / name).read_bytes(), name


def test_a_cached_parse_still_resolves_each_image_every_render() -> None:
    seen: list[str] = []

    def resolve(src: str) -> str:
        seen.append(src)
        return f"media-{len(seen)}.png"

    text = "A body with ![a chart](img/chart.png) and a [link](https://example.org)."
    first = render_markdown(text, images=resolve)
    second = render_markdown(text, images=resolve)
    assert seen == ["img/chart.png", "img/chart.png"]
    assert 'src="media-1.png"' in first and 'src="media-2.png"' in second
    assert first.replace("media-1", "media-2") == second
    assert render_markdown(text, mathjax=True) == render_markdown(text, mathjax=True)


def test_an_unchanged_notes_file_is_not_parsed_again_and_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`watch` reads the folder twice per save: only a changed file is parsed again, and a file read from
    memory gives the notes, warnings and problems a first read gives."""
    from cheatdeck.notes import sources
    from cheatdeck.notes.sources import SourceError, load_sources

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "deck.yaml").write_text("id: memo\ntitle: Memo\n", encoding="utf-8")
    first = folder / "first.yaml"
    first.write_text(
        "notes:\n  - id: one\n    kind: concept\n    title: One\n    summary: CafÃ© is mojibake.\n",
        encoding="utf-8",
    )
    (folder / "second.md").write_text(
        "## Two {#two}\nkind: concept\nsummary: The second.\n", encoding="utf-8"
    )
    parsed: list[str] = []
    parse = sources._parse_yaml
    monkeypatch.setattr(
        sources, "_parse_yaml", lambda path, *rest: parsed.append(path.name) or parse(path, *rest)
    )
    forget_caches()
    cold = load_sources(folder)
    assert parsed == ["deck.yaml", "first.yaml"]
    warm = load_sources(folder)
    assert parsed == ["deck.yaml", "first.yaml", "deck.yaml"]  # deck.yaml is read apart, every time
    assert warm.notes == cold.notes and warm.warnings == cold.warnings and cold.warnings
    first.write_text(first.read_text(encoding="utf-8") + "    kind: nonsense\n", encoding="utf-8")
    with pytest.raises(SourceError) as broken:
        load_sources(folder)
    assert parsed[-1] == "first.yaml"
    with pytest.raises(SourceError) as again:
        load_sources(folder)  # the problems of a file read from memory are reported all the same
    assert parsed[-1] == "deck.yaml" and str(again.value) == str(broken.value)
