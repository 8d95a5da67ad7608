"""Kinds as data: the registry of kinds and labelled fields, and everything that reads it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cheatdeck.cli import main
from cheatdeck.notes.kinds import BUILTIN, BUILTIN_KINDS, KindSpec, faded, labelled_values
from cheatdeck.notes.model import Kind
from cheatdeck.notes.sources import load_sources
from cheatdeck.sheet.document import glyph_warnings
from cheatdeck.sheet.fonts import covered_codepoints


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
    kind = {"formula": "metric", "task": "algorithm", "input": "algorithm"}.get(field, "service")
    note = {"id": "x", "title": "X", "kind": kind, "summary": "s", field: value}  # a field of its kind
    warnings = [str(w) for w in glyph_warnings(load_sources(_write(tmp_path / "source", [note])))]
    assert len(warnings) == 1 and "U+13000" in warnings[0]


def test_check_strict_counts_a_character_no_font_draws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check --strict` saw the lint and the sources' warnings but never the glyph check's, which was a log
    line of the sheet's build. The machine's fonts are set here: ASCII only, whatever is installed."""
    import cheatdeck.sheet.fonts

    monkeypatch.setattr(cheatdeck.sheet.fonts, "covered_codepoints", lambda: frozenset(range(0x80)))
    note = {"id": "x", "title": "X", "kind": "concept", "summary": "Mostly \u00e9crit by hand."}
    source = _write(tmp_path / "source", [note])
    result = CliRunner().invoke(main, ["check", "--strict", "--source", str(source)])
    assert result.exit_code == 1, result.output
    assert "notes.yaml:" in result.output and "x: no installed font can draw \u00e9 (U+00E9)" in result.output
    assert "1 warning in" in result.output


def test_only_refuses_a_kind_the_deck_does_not_have(tmp_path: Path) -> None:
    source = _write(tmp_path / "source", [{"id": "x", "title": "X", "kind": "concept", "summary": "s"}])
    result = CliRunner().invoke(
        main, ["build", "--source", str(source), "--out", str(tmp_path / "dist"), "--only", "servce"]
    )
    assert result.exit_code == 2
    assert "Invalid value for '--only': 'servce' is not one of 'service', 'algorithm'," in result.output
    assert not (tmp_path / "dist").exists()


PHARMACOLOGY_DECK = """\
id: pharma
title: Pharmacology
kinds:
  - name: drug
    badge: Rx
    colour: "#0b7285"
    fields: [use_case, task, input]
    required: [use_case]
    cards: [term, reverse]
  - name: interaction
    colour: "#c2255c"
    tint: "#fff0f6"
    subdeck: Watch out
  - name: guideline
    colour: "#5c940d"
    layout: list
grid:
  - name: drugs
    caption: Drugs → what they treat
    rows: [drug]
    group_by: task
    group_order: [antibiotic, analgesic]
    ungrouped: unclassified
    columns: [use_case, {field: input, label: Dose}]
"""

PHARMACOLOGY_NOTES = [
    {
        "id": "ibuprofen",
        "title": "Ibuprofen",
        "kind": "drug",
        "summary": "An NSAID.",
        "use_case": "pain and fever",
        "task": "analgesic",
        "input": "200-400 mg",
    },
    {
        "id": "paracetamol",
        "title": "Paracetamol",
        "kind": "drug",
        "summary": "Not an NSAID.",
        "use_case": "pain",
        "task": "analgesic",
    },
    {
        "id": "amoxicillin",
        "title": "Amoxicillin",
        "kind": "drug",
        "summary": "A penicillin.",
        "use_case": "x",
    },
    {
        "id": "warfarin-nsaid",
        "title": "Warfarin + NSAID",
        "kind": "interaction",
        "summary": "Bleeding risk.",
    },
    {"id": "who-ladder", "title": "WHO pain ladder", "kind": "guideline", "summary": "Step up."},
]


@pytest.fixture(scope="module")
def pharmacology(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A deck with kinds of its own and its own grid table, built once with the shipped templates."""
    root = tmp_path_factory.mktemp("pharma")
    source = _write(root / "source", PHARMACOLOGY_NOTES)
    (source / "deck.yaml").write_text(PHARMACOLOGY_DECK, encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--source", str(source), "--out", str(root / "dist")])
    assert result.exit_code == 0, result.output
    return source, root / "dist"


def test_own_kinds_make_their_subdecks_and_cards(pharmacology: tuple[Path, Path], tmp_path: Path) -> None:
    from anki.collection import Collection

    from tests.anki_helpers import import_package, note_by_id

    collection = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_package(collection, pharmacology[1] / "pharma.apkg")
        decks = {deck.name for deck in collection.decks.all_names_and_ids()} - {"Default"}
        assert decks == {
            "Pharmacology",
            *(f"Pharmacology::{name}" for name in ("Drugs", "Watch out", "Guidelines")),
        }
        ibuprofen = note_by_id(collection, "ibuprofen")
        assert ibuprofen["Kind"] == "Drug" and "pharma::kind::drug" in ibuprofen.tags
        # the use case is the reverse card's clue: the term card's back folds it under More
        assert "<dt>Use case</dt><dd>pain and fever</dd>" in ibuprofen["More"]
        assert sorted(card.template()["name"] for card in ibuprofen.cards()) == ["Reverse", "Term"]
        warfarin = note_by_id(collection, "warfarin-nsaid")  # `cards` left out: a term card only
        assert [card.template()["name"] for card in warfarin.cards()] == ["Term"]
        assert collection.decks.name(warfarin.cards()[0].did) == "Pharmacology::Watch out"
    finally:
        collection.close()


def test_own_kinds_print_their_sections_colours_and_badges(pharmacology: tuple[Path, Path]) -> None:
    import html5lib
    from pypdf import PdfReader

    from cheatdeck import SHIPPED_TEMPLATES
    from cheatdeck.options import SheetOptions
    from cheatdeck.sheet.document import render_sheet_html

    notebook = load_sources(pharmacology[0])
    html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), 0)
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    style = tree.find("head/style").text
    assert ".kind-drug { --kind: #0b7285; --tint: #f0f7f8; }" in style
    assert ".kind-interaction { --kind: #c2255c; --tint: #fff0f6; }" in style
    assert ".kind-guideline { --kind: #5c940d; --tint: #f5f9f0; }" in style
    assert ".kind-service" not in style
    headings = [
        (h2.get("class"), "".join(h2.itertext())) for h2 in tree.iter("h2") if "kind-" in h2.get("class", "")
    ]
    assert headings == [
        ("section kind-drug", "Rx Drugs"),
        ("section kind-interaction", "I Interactions"),
        ("section kind-guideline", "G Guidelines"),
    ]
    ibuprofen = tree.find(".//article[@id='note-ibuprofen']")
    assert ibuprofen.get("class") == "note kind-drug"
    assert ibuprofen.find("h3/span").text == "Rx"
    assert tree.find(".//div[@id='note-who-ladder']") is not None  # a list kind: after the grid
    pdf = PdfReader(pharmacology[1] / "cheatsheet.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "Rx drugs I interactions G guidelines" in text  # the legend, in the page's corner
    assert "Rx Drugs Rx Ibuprofen" in text and "G Guidelines" in text


def test_own_grid_table_follows_the_declaration(pharmacology: tuple[Path, Path]) -> None:
    import csv
    import io

    import html5lib

    rows = list(csv.DictReader(io.StringIO((pharmacology[1] / "grid.csv").read_text(encoding="utf-8-sig"))))
    assert [(row["table"], row["group"], row["name"]) for row in rows] == [
        ("drugs", "analgesic", "Ibuprofen"),
        ("drugs", "analgesic", "Paracetamol"),
        ("drugs", "unclassified", "Amoxicillin"),
    ]
    tree = html5lib.parse(
        (pharmacology[1] / "grid.html").read_text(encoding="utf-8"), namespaceHTMLElements=False
    )
    part = tree.find(".//div[@class='grid-part grid-drugs']")
    assert part.find("p").text == "Drugs → what they treat"
    headers = [["".join(th.itertext()) for th in table.iter("th")] for table in part.iter("table")]
    assert headers == [["Analgesic", "Use case", "Dose"], ["Unclassified", "Use case", "Dose"]]
    first = part.find(".//tbody/tr")
    assert ["".join(td.itertext()) for td in first.iter("td")] == [
        "Ibuprofen",
        "pain and fever",
        "200-400 mg",
    ]


def test_check_summarises_own_kinds(pharmacology: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(main, ["check", "--source", str(pharmacology[0])])
    notes_file = pharmacology[0] / "notes.yaml"
    assert result.output.splitlines() == [
        f"warning: {notes_file}:14: notes[1].use_case: clue-not-distinctive: no reverse card: use_case says "
        "too little only this drug does (pain); summary is the same as ibuprofen's; fix: write a use_case "
        "that only this drug fits",
        f"warning: {notes_file}:19: notes[2].use_case: clue-not-distinctive: no reverse card: use_case says "
        "too little only this drug does (nothing); summary says too little only this drug does (penicillin); "
        "fix: write a use_case that only this drug fits",
        "Pharmacology: 5 notes (drug 3, interaction 1, guideline 1)",
        "  grid drug: use_case 3/3, task 2/3, input 1/3",
    ]


def test_only_accepts_a_kind_the_deck_declares(pharmacology: tuple[Path, Path], tmp_path: Path) -> None:
    source = pharmacology[0]
    result = CliRunner().invoke(
        main,
        [
            "build",
            "--source",
            str(source),
            "--out",
            str(tmp_path),
            "--only",
            "guideline",
            "--artefact",
            "grid",
        ],
    )
    assert result.exit_code == 0, result.output
    refused = CliRunner().invoke(
        main, ["build", "--source", str(source), "--out", str(tmp_path), "--only", "service"]
    )
    assert "'service' is not one of 'drug', 'interaction', 'guideline'." in refused.output


def test_declared_kinds_are_validated_with_file_and_line(tmp_path: Path) -> None:
    deck = """\
id: pharma
title: Pharmacology
kinds:
  - {name: drug, colour: "#0b7285", fields: [use_case], required: [use_case]}
  - {name: interaction, colour: pink}
  - {name: drug, colour: "#000000", cards: [term, recto]}
  - servce
grid:
  - {name: drugs, caption: Drugs, rows: [drugs], group_by: dose}
"""
    notes = [{"id": "b", "title": "B", "kind": "service", "summary": "s"}]
    source = _write(tmp_path / "source", notes)
    (source / "deck.yaml").write_text(deck, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--source", str(source)])
    assert result.exit_code == 1
    deck_file = source / "deck.yaml"
    assert result.output.splitlines() == [
        f"{deck_file}:5: kinds[1].colour: expected a colour as #rrggbb (like #1565c0), got 'pink'",
        f"{deck_file}:6: kinds[2].cards[1]: expected one of term, reverse, learning; got 'recto'",
        f"{deck_file}:7: kinds[3]: expected one of service, algorithm, deployment, concept, metric, "
        "resource; got 'servce' (did you mean 'service'?)",
        f"{deck_file}:9: grid[0].group_by: expected one of use_case, domain, learning, task, input, "
        "formula; got 'dose'",
        # the deck is invalid, but the notes are still checked against the kinds it names
        f"{source / 'notes.yaml'}:3: notes[0].kind: expected one of drug, interaction; got 'service'",
        f"5 errors in {source}/; nothing written",
    ]


def test_notes_are_checked_against_their_kind(tmp_path: Path) -> None:
    notes = [
        {"id": "a", "title": "A", "kind": "drug", "summary": "s"},
        {"id": "b", "title": "B", "kind": "service", "summary": "s"},
    ]
    source = _write(tmp_path / "source", notes)
    (source / "deck.yaml").write_text(
        PHARMACOLOGY_DECK.replace("rows: [drug]", "rows: [drug, drugs]"), encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["check", "--source", str(source)])
    deck_file, notes_file = source / "deck.yaml", source / "notes.yaml"
    assert result.output.splitlines() == [
        f"{deck_file}:20: grid[0].rows[1].kind: unknown kind 'drugs' (did you mean 'drug'?)",
        f"{notes_file}:2: notes[0].use_case: required for a drug note (see the kind in deck.yaml)",
        f"{notes_file}:7: notes[1].kind: expected one of drug, interaction, guideline; got 'service'",
        f"3 errors in {source}/; nothing written",
    ]


def test_the_documented_kinds_example_loads(tmp_path: Path) -> None:
    from tests.conftest import SOURCE

    guide = (SOURCE / "README.md").read_text(encoding="utf-8")
    example = guide.split("## Kinds of your own", 1)[1].split("```yaml\n", 1)[1].split("\n```", 1)[0]
    note = {"id": "x", "title": "X", "kind": "drug", "summary": "s", "use_case": "u", "task": "nsaid"}
    source = _write(tmp_path / "source", [note, {"id": "c", "title": "C", "kind": "concept", "summary": "s"}])
    (source / "deck.yaml").write_text(f"id: doc\ntitle: Doc\n{example}\n", encoding="utf-8")
    notebook = load_sources(source)
    assert notebook.kinds.names == ("drug", "concept")
    assert notebook.kinds["drug"].badge == "Rx" and notebook.kinds["concept"].colour == "#ad5a00"
    from cheatdeck.grid import grid_rows

    assert [(row.table, row.label) for row in grid_rows(notebook).rows()] == [("drugs", "Anti-inflammatory")]


@pytest.mark.parametrize("subdeck", ["::", "::x", "a::::b", "x::", " :: "])
def test_a_subdeck_with_an_empty_part_is_refused_with_file_and_line(subdeck: str, tmp_path: Path) -> None:
    """`subdeck: '::'` was accepted (49d7fc0): Anki would make decks with empty names, or none at all."""
    kind = f'  - name: drug\n    colour: "#0b7285"\n    subdeck: "{subdeck}"\n'
    deck = f"id: own\ntitle: Own kinds\nkinds:\n{kind}"
    source = _write(tmp_path / "source", [{"id": "b", "title": "B", "kind": "drug", "summary": "s"}])
    (source / "deck.yaml").write_text(deck, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--source", str(source)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.splitlines()[0] == (
        f"{source / 'deck.yaml'}:6: kinds[0].subdeck: expected deck names joined by '::', none empty; "
        f"got {subdeck.strip()!r}"
    ), result.output


@pytest.mark.parametrize("subdeck", ["Drugs::Painkillers", "A: B", "x :: y"])
def test_a_nested_subdeck_is_accepted(subdeck: str, tmp_path: Path) -> None:
    source = _write(tmp_path / "source", [{"id": "b", "title": "B", "kind": "drug", "summary": "s"}])
    _write(source, [{"id": "b", "title": "B", "kind": "drug", "summary": "s"}],
           {"kinds": [{"name": "drug", "colour": "#0b7285", "subdeck": subdeck}]})  # fmt: skip
    assert load_sources(source).kinds["drug"].subdeck == subdeck


# --- Fields a deck declares ---------------------------------------------------------------------------

_DOSE_DECK = {
    "fields": [{"name": "dose", "label": "Usual dose"}],
    "kinds": [
        {"name": "drug", "colour": "#0b7285", "fields": ["use_case", "dose"], "required": ["dose"]},
        "concept",
    ],
}


def test_a_declared_field_is_deck_yaml_only_and_shows_on_cards_and_sheet(tmp_path: Path) -> None:
    """A new labelled field on a declared kind is a `deck.yaml` line: the cards' details and the sheet's
    field line show it with its label (only the six fields defined in code could be used)."""
    from cheatdeck import SHIPPED_TEMPLATES
    from cheatdeck.cards.plan import NOTETYPES, plan_source_notes
    from cheatdeck.options import SheetOptions
    from cheatdeck.sheet.document import render_sheet_html

    note = {
        "id": "ibu",
        "title": "Ibuprofen",
        "kind": "drug",
        "summary": "A painkiller.",
        "dose": "200 mg <b>",
    }
    notebook = load_sources(_write(tmp_path / "source", [note], _DOSE_DECK))
    topic = next(n for n in plan_source_notes(notebook, {}) if n.notetype == "topic")
    details = dict(zip(NOTETYPES["topic"].fields, topic.fields, strict=True))["Details"]
    assert details == '<dl class="details"><dt>Usual dose</dt><dd>200 mg &lt;b&gt;</dd></dl>'
    sheet = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    assert "<b>Usual dose:</b> 200 mg &lt;b&gt;" in sheet
    checked = CliRunner().invoke(main, ["check", "--source", str(tmp_path / "source")])
    assert checked.exit_code == 0 and "1 note (drug 1)" in checked.output, checked.output
    assert "dose 1/1" in checked.output


@pytest.mark.parametrize(
    ("note", "deck", "message"),
    [
        ({"kind": "drug"}, {}, "notes[0].dose: required for a drug note"),
        ({"kind": "concept", "dose": "1 g"}, {}, "a concept note has no field 'dose'"),
        ({"kind": "drug", "dose": "1 g", "strength": "x"}, {}, "notes[0].strength: unknown field"),
        (
            {"kind": "drug", "dose": "1 g"},
            {"fields": [{"name": "dose", "label": "D"}, {"name": "summary", "label": "S"}]},
            "a declared field needs a name of its own, not summary",
        ),
        ({"kind": "drug", "dose": "1 g", "declared": []}, {}, "notes[0].declared: unknown field"),
    ],
)
def test_a_declared_field_is_checked_like_the_built_in_ones(
    note: dict[str, object], deck: dict[str, object], message: str, tmp_path: Path
) -> None:
    note = {"id": "ibu", "title": "Ibuprofen", "summary": "A painkiller.", **note}
    source = _write(tmp_path / "source", [note], {**_DOSE_DECK, **deck})
    result = CliRunner().invoke(main, ["check", "--source", str(source)])
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output


def test_a_built_in_kind_takes_a_declared_field_from_deck_yaml_alone(tmp_path: Path) -> None:
    """`{name: service, fields: [...]}` changes only the built-in kind's fields (it had to be declared whole,
    colour and all); a new colour derives the tint and the night colour again."""
    deck = {
        "fields": [{"name": "free_tier", "label": "Free tier"}],
        "kinds": [
            {"name": "service", "fields": ["use_case", "domain", "free_tier"]},
            {"name": "concept", "colour": "#000000"},
        ],
    }
    note = {
        "id": "ec2",
        "title": "EC2",
        "kind": "service",
        "summary": "Virtual servers.",
        "free_tier": "750 hours",
    }
    notebook = load_sources(_write(tmp_path / "source", [note], deck))
    service, builtin = notebook.kinds["service"], BUILTIN["service"]
    assert service.fields == ("use_case", "domain", "free_tier")
    assert service.model_dump(exclude={"fields"}) == builtin.model_dump(exclude={"fields"})
    concept = notebook.kinds["concept"]
    assert (concept.label, concept.tint, concept.night) == ("Concept", faded("#000000"), "#808080")
    assert ("Free tier", "750 hours") in labelled_values(notebook.notes[0])
