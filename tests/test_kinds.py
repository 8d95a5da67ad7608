"""Kinds as data: the registry of kinds and labelled fields, and everything that reads it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cheatdeck.cli import main
from cheatdeck.fonts import covered_codepoints
from cheatdeck.kinds import BUILTIN_KINDS, KindSpec, faded
from cheatdeck.model import Kind
from cheatdeck.sheet import glyph_warnings
from cheatdeck.sources import load_sources


def _write(folder: Path, notes: list[dict[str, object]], deck: dict[str, object] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    deck_data = {"id": "own", "title": "Own kinds", **(deck or {})}
    (folder / "deck.yaml").write_text(yaml.safe_dump(deck_data, allow_unicode=True), encoding="utf-8")
    (folder / "notes.yaml").write_text(yaml.safe_dump({"notes": notes}, allow_unicode=True), encoding="utf-8")
    return folder


def test_builtin_kinds_are_the_model_kinds() -> None:
    assert tuple(spec.name for spec in BUILTIN_KINDS) == tuple(kind.value for kind in Kind)


def test_a_declaration_fills_presentation_from_its_name_and_colour() -> None:
    spec = KindSpec.model_validate({"name": "drug-class", "colour": "#1565c0"})
    assert (spec.label, spec.plural, spec.badge, spec.subdeck) == (
        "Drug class",
        "Drug classes",
        "D",
        "Drug classes",
    )
    assert spec.tint == faded("#1565c0") == "#f1f6fb"
    assert spec.cards == ("term",) and spec.layout == "section"


def test_required_fields_must_be_fields() -> None:
    with pytest.raises(ValueError, match="required fields must also be listed in fields: task"):
        KindSpec.model_validate(
            {"name": "x", "colour": "#000000", "fields": ["use_case"], "required": ["task"]}
        )


@pytest.mark.parametrize("field", ["domain", "formula"])
def test_glyph_check_reads_every_labelled_field_and_the_formula(field: str, tmp_path: Path) -> None:
    """The check used to skip `domain` and `formula` (its own copy of the field list had drifted)."""
    if covered_codepoints() is None:
        pytest.skip("fontconfig's fc-list is not installed")
    hieroglyph = "\U00013000"
    value = f"E = {hieroglyph}" if field == "formula" else hieroglyph
    note = {"id": "x", "title": "X", "kind": "metric", "summary": "s", field: value}
    warnings = glyph_warnings(load_sources(_write(tmp_path / "source", [note])))
    assert len(warnings) == 1 and "U+13000" in warnings[0]


def test_only_refuses_a_kind_the_deck_does_not_have(tmp_path: Path) -> None:
    source = _write(tmp_path / "source", [{"id": "x", "title": "X", "kind": "concept", "summary": "s"}])
    result = CliRunner().invoke(
        main, ["build", "--source", str(source), "--out", str(tmp_path / "dist"), "--only", "servce"]
    )
    assert result.exit_code == 2
    assert "Invalid value for '--only': 'servce' is not one of 'service', 'algorithm'," in result.output
    assert not (tmp_path / "dist").exists()
