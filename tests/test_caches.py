"""The in-memory caches (parsed Markdown, inline renders, words, field HTML) never change an output."""

from __future__ import annotations

from pathlib import Path

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
