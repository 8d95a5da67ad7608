"""Content a specialist would sign: corrections of the source's wrong claims, one answer per card, fronts
that do not give their answer away, checked on made-up notes and on the shipped notes and example."""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path
from xml.etree import ElementTree

import html5lib
import pytest
import yaml
from anki.collection import Collection

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.cards.lint import front_leaks, gives_figure, lint
from cheatdeck.cards.plan import NOTETYPES, CardPlanner, plan_source_notes, states_answer
from cheatdeck.errors import SourceError
from cheatdeck.grid import grid_rows, render_grid_csv, render_grid_html
from cheatdeck.notes.model import Notebook
from cheatdeck.notes.sources import load_sources
from cheatdeck.options import SheetOptions
from cheatdeck.sheet.document import render_sheet_html
from tests.anki_helpers import card_html, import_package
from tests.conftest import ROOT, SOURCE, Built, build_into

EXAMPLE = ROOT / "examples" / "aws-cloud-practitioner"
CORRECTION = {
    "says": "Precision and Recall are inversely proportional to each other.",
    "right": "They trade off, but not in inverse proportion.",
    "reference": {"url": "https://nlp.stanford.edu/IR-book/", "label": "IIR 8.3"},
}


def _load(tmp_path: Path, notes: list[dict[str, object]]) -> Notebook:
    source = tmp_path / "source"
    source.mkdir(parents=True, exist_ok=True)
    (source / "deck.yaml").write_text("id: t\ntitle: T\n", encoding="utf-8")
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": notes}, sort_keys=False), encoding="utf-8")
    return load_sources(source)


def _text(html: str) -> str:
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    return " ".join(" ".join(tree.itertext()).split())


def _precision(**more: object) -> dict[str, object]:
    return {
        "id": "precision",
        "title": "Precision",
        "kind": "concept",
        "summary": "Of the predicted positives, the share that are positives.",
        "corrections": [CORRECTION],
        **more,
    }


# --- Corrections --------------------------------------------------------------------------------------


def test_a_correction_is_printed_on_the_sheet_right_first_with_the_wrong_claim_struck(tmp_path: Path) -> None:
    notebook = _load(tmp_path, [_precision()])
    for layout in ("compact", "guide"):
        html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(layout=layout), changed=0)
        tree = html5lib.parse(html, namespaceHTMLElements=False)
        [paragraph] = tree.findall(".//p[@class='correction']")
        text = " ".join(" ".join(paragraph.itertext()).split())
        assert text.index("They trade off") < text.index("inversely proportional"), text
        [struck] = paragraph.findall(".//s")
        assert "inversely proportional" in "".join(struck.itertext())
        [link] = paragraph.findall(".//a")
        assert (
            link.get("href") == "https://nlp.stanford.edu/IR-book/" and (link.text or "").strip() == "IIR 8.3"
        )


def test_a_correction_is_on_the_term_cards_back_under_more(tmp_path: Path) -> None:
    notebook = _load(tmp_path, [_precision()])
    [topic] = [note for note in plan_source_notes(notebook, {}) if note.notetype == "topic"]
    more = topic.fields[5]
    assert 'class="correction"' in more and "<s>Precision and Recall are inversely" in more


def test_a_correction_is_read_from_a_markdown_notes_file(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: t\ntitle: T\n", encoding="utf-8")
    (source / "notes.md").write_text(
        "## Precision {#precision}\n"
        "kind: concept\n"
        "summary: Of the predicted positives, the share that are positives.\n"
        "corrections:\n"
        "- says: Precision and Recall are inversely proportional to each other.\n"
        "  right: They trade off, but not in inverse proportion.\n"
        "  reference: [IIR 8.3](https://nlp.stanford.edu/IR-book/)\n",
        encoding="utf-8",
    )
    [note] = load_sources(source).notes
    [correction] = note.corrections
    assert correction.right == "They trade off, but not in inverse proportion."
    assert (correction.reference.url, correction.reference.label) == (
        "https://nlp.stanford.edu/IR-book/",
        "IIR 8.3",
    )


def test_a_correction_without_a_reference_is_an_error_naming_the_field(tmp_path: Path) -> None:
    bad = {**CORRECTION}
    del bad["reference"]
    with pytest.raises(SourceError) as raised:
        _load(tmp_path, [_precision(corrections=[bad])])
    assert "notes[0].corrections[0].reference" in str(raised.value)


@pytest.mark.parametrize("folder", [SOURCE, EXAMPLE], ids=["source", "example"])
def test_no_card_of_the_shipped_notes_teaches_a_claim_its_note_corrects(folder: Path) -> None:
    notebook = load_sources(folder)
    assert not [w for w in lint(notebook) if w.rule == "teaches-corrected-claim"]


def test_the_shipped_corrections_fix_the_four_claims_the_review_found(notebook: Notebook) -> None:
    said = {note.id: [c.says for c in note.corrections] for note in notebook.notes if note.corrections}
    assert set(said) == {"precision", "l2-regularization", "tf-idf"}
    for note in notebook.notes:
        for correction in note.corrections:
            assert correction.reference.url.startswith("https://") and correction.reference.label
    assert notebook.note("lstm").learning is None  # an architecture, not a way of learning
    modes = {notebook.note(i).learning.value for i in ("blazingtext", "blazingtext-text-classification")}  # type: ignore[union-attr]
    assert modes == {"unsupervised", "supervised"}
    groups = {row.group for row in grid_rows(notebook)["algorithms"] if row.note.id.startswith("blazingtext")}
    assert groups == {"supervised", "unsupervised"}


# --- One answer, one card -----------------------------------------------------------------------------


def _algorithm(summary: str, **more: object) -> dict[str, object]:
    return {
        "id": "lda",
        "title": "Latent Dirichlet Allocation",
        "kind": "algorithm",
        "summary": summary,
        "learning": "unsupervised",
        "task": "topic modelling",
        **more,
    }


def _topic_fields(notebook: Notebook) -> dict[str, str]:
    [topic] = [note for note in plan_source_notes(notebook, {}) if note.notetype == "topic"]
    return dict(zip(NOTETYPES["topic"].fields, topic.fields, strict=True))


def test_no_learning_or_task_card_asks_what_the_term_cards_back_already_says(tmp_path: Path) -> None:
    """The LDA summary said "topic modeling" and the next card asked "What task is it for?"."""
    said = _topic_fields(_load(tmp_path / "a", [_algorithm("Unsupervised topic modeling technique.")]))
    assert (said["Learning card answer"], said["Task card answer"]) == ("", "")
    assert "topic modelling" in said["Details"]  # no card asks it: it is on the term card's back
    silent = _topic_fields(_load(tmp_path / "b", [_algorithm("Generates abstract topics from documents.")]))
    assert (silent["Learning card answer"], silent["Task card answer"]) == ("unsupervised", "topic modelling")


def test_not_a_learning_algorithm_is_not_stated_by_learning_algorithm(tmp_path: Path) -> None:
    note = _algorithm("A learning algorithm for documents.", learning="not-learning")
    assert _topic_fields(_load(tmp_path, [note]))["Learning card answer"] == "not a learning algorithm"


@pytest.mark.parametrize("folder", [SOURCE, EXAMPLE], ids=["source", "example"])
def test_no_shipped_card_asks_what_another_cards_back_shows(folder: Path) -> None:
    """The README's promise, on the shipped notes: a back never shows another card's answer."""
    notebook = load_sources(folder)
    assert not [str(w) for w in lint(notebook) if w.rule == "answer-on-another-back"]
    for note in plan_source_notes(notebook, {}):
        if note.notetype == "topic":
            fields = dict(zip(NOTETYPES["topic"].fields, note.fields, strict=True))
            summary = _text(fields["Summary"])
            for name in ("Learning card answer", "Task card answer"):
                assert not fields[name] or not states_answer(summary, _text(fields[name])), (
                    note.note_id,
                    name,
                )


# --- Fronts that do not give their answer away ----------------------------------------------------------


@pytest.mark.parametrize(
    ("front", "answer", "leaked"),
    [
        (
            "Which SageMaker algorithm analyzes only whole images, classifying each?",
            "Image Classification",
            ("image",),
        ),
        ("RDS … deployments keep a standby in another Availability Zone", "Multi-AZ", ("availability zone",)),
        ("Which algorithm assigns a whole picture to one of several categories?", "Image Classification", ()),
        ("RDS … deployments keep a synchronous standby copy for failover", "Multi-AZ", ()),
    ],
)
def test_a_front_leaks_the_answers_words_or_spells_out_its_acronym(
    front: str, answer: str, leaked: tuple[str, ...]
) -> None:
    assert front_leaks(front, answer, frozenset()) == leaked


@pytest.mark.parametrize(
    ("front", "answer", "figure"),
    [
        ("S3 is designed for … (99.999999999%) of data durability", "11 nines", "99.999999999"),
        ("The framework has six pillars, one of them …", "6", "six"),
        ("The lowest-cost S3 storage class is …", "S3 Glacier Deep Archive", ""),  # the 3 of S3 is a name
        ("S3 is designed for … of data durability", "11 nines", ""),
    ],
)
def test_a_front_gives_away_the_figure_its_answer_says(front: str, answer: str, figure: str) -> None:
    assert gives_figure(front, answer) == figure


@pytest.mark.parametrize("folder", [SOURCE, EXAMPLE], ids=["source", "example"])
def test_no_front_of_the_shipped_notes_gives_its_answer_away(folder: Path) -> None:
    rules = {"front-leaks-answer", "front-gives-figure", "clue-leaks-answer"}
    assert not [str(w) for w in lint(load_sources(folder)) if w.rule in rules]


def test_the_contrasts_the_seed_supports_are_cards_with_a_difference(notebook: Notebook) -> None:
    contrasts = {contrast.key: contrast.sentences for contrast in CardPlanner(notebook).contrasts}
    for key in [
        "blazingtext+blazingtext-text-classification",
        "lda+tf-idf",
        "batch-transform+inference-pipeline",
        "image-classification+object-detection+semantic-segmentation",  # the vision triad: one card
    ]:
        assert contrasts.get(key), key  # one authored sentence: the card asks "What tells them apart?"
    assert not [key for key in contrasts if key.count("+") == 1 and "object-detection" in key]


def test_cards_as_text_quotes_a_stacked_fraction_with_its_brackets(built: Built) -> None:
    """bench/cards_as_text.py read "Accuracy = TP + TN / TP + FP + TN + FN": a listing misquoted formulas."""
    bench = ROOT / "bench"
    sys.path.insert(0, str(bench))
    try:
        from cards_as_text import cards_as_text  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(bench))
    lines = cards_as_text(built.deck)
    assert any("Accuracy = (TP + TN) / (TP + FP + TN + FN)" in line for line in lines)
    assert any("Precision = TP / (TP + FP)" in line for line in lines)
    assert not any("<script" in line or "function (" in line for line in lines)


# --- The sheet ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sheet(notebook: Notebook) -> ElementTree.Element:
    html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    tree: ElementTree.Element = html5lib.parse(html, namespaceHTMLElements=False)
    return tree


def test_the_sheet_prints_every_difference_sentence_once_with_its_pair(
    notebook: Notebook, sheet: ElementTree.Element
) -> None:
    """Each pair's `difference:` sentence is printed once, with the pair; a pair a printed comparison table
    shows (a row headed by each note's title) is printed by that table instead, never twice."""
    printed = [
        " ".join(" ".join(p.itertext()).split()) for p in sheet.iter("p") if p.get("class") == "difference"
    ]
    table_rows = [
        {" ".join("".join(row[0].itertext()).split()).casefold() for row in table.iter("tr")}
        for div in sheet.iter("div")
        if div.get("class") == "comparison"
        for table in div.iter("table")
    ]
    contrasts = CardPlanner(notebook).contrasts
    tabled = [
        contrast.sentences
        for contrast in contrasts
        if any({note.title.casefold() for note in contrast.notes} <= rows for rows in table_rows)
    ]
    assert len(tabled) == 1  # the vision triad: image classification, object detection, segmentation
    sentences = [s for contrast in contrasts for s in contrast.sentences if contrast.sentences not in tabled]
    assert len(sentences) >= 8
    for sentence in sentences:
        holding = [text for text in printed if " ".join(sentence.split()) in text]
        assert len(holding) == 1, (sentence, printed)
        assert holding[0].startswith("vs ")
    for sentence in (s for said in tabled for s in said):
        assert not any(" ".join(sentence.split()) in text for text in printed), sentence


def test_the_sheet_prints_each_field_once_on_the_notes_page_or_in_the_grid(
    notebook: Notebook, sheet: ElementTree.Element
) -> None:
    gridded = {
        "service": {"use_case", "domain"},
        "deployment": {"use_case"},
        "algorithm": {"learning", "task", "input"},
    }
    articles = {a.get("id"): a for a in sheet.iter("article")}
    for note in notebook.notes:
        if note.kind not in gridded:
            continue
        fields = [p for p in articles[f"note-{note.id}"].iter("p") if p.get("class") == "fields"]
        text = " ".join(" ".join(p.itertext()) for p in fields)
        for name in gridded[note.kind]:
            label = {
                "use_case": "Use case",
                "domain": "Domain",
                "learning": "Learning",
                "task": "Task",
                "input": "Input",
            }[name]
            assert f"{label}:" not in text, (note.id, name)
    kmeans = " ".join(
        " ".join(p.itertext()) for p in articles["note-k-means"].iter("p") if p.get("class") == "fields"
    )
    assert "Use case:" in kmeans  # an algorithm's use case is no grid column: the notes page prints it


def test_the_sheets_legend_shows_each_kind_with_its_coloured_badge(
    notebook: Notebook, sheet: ElementTree.Element
) -> None:
    [legend] = [div for div in sheet.iter("div") if div.get("class") == "legend"]
    kinds = [span.get("class") for span in legend if span.tag == "span"]
    assert kinds == [f"kind-{kind.name}" for kind in notebook.kinds]
    assert [badge.text for badge in legend.iter("span") if badge.get("class") == "badge"] == [
        kind.badge for kind in notebook.kinds
    ]


# --- Values the author added (`unsourced:`) -------------------------------------------------------------

MARK = "†"


def _flat(html: str) -> str:
    """Return the text of an HTML fragment, a mark kept next to the value it follows."""
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    return " ".join("".join(tree.itertext()).split())


def _marked_pair(tmp_path: Path) -> Notebook:
    """An algorithm whose input, use case and learning type the author added, and one with none added."""
    marked = _algorithm(
        "Generates abstract topics from documents.",
        use_case="find the themes of a pile of papers",
        input="bags of words",
        unsourced=["input", "use_case", "learning"],
        related=["k-means"],
    )
    plain = {
        "id": "k-means",
        "title": "K-means",
        "kind": "algorithm",
        "summary": "Finds groups in data by distance to centroids.",
        "use_case": "segment customers",
        "learning": "supervised",
        "task": "clustering",
        "input": "points",
    }
    return _load(tmp_path, [marked, plain])


def test_an_unsourced_value_is_marked_on_the_cards_back_and_no_other_is(tmp_path: Path) -> None:
    notebook = _marked_pair(tmp_path)
    planned = plan_source_notes(notebook, {})
    topics = {
        note.note_id: dict(zip(NOTETYPES["topic"].fields, note.fields, strict=True))
        for note in planned
        if note.notetype == "topic"
    }
    lda, kmeans = topics["lda"], topics["k-means"]
    answer, explained = lda["Learning card answer"].split('<p class="unsourced-note">')
    assert _flat(answer) == f"unsupervised{MARK}" and _flat(explained).startswith(MARK)
    assert _flat(lda["Task card answer"]) == "topic modelling"  # not listed: no mark
    details = _flat(lda["Details"])
    assert f"bags of words{MARK}" in details
    # the use case is the reverse card's clue: the term card's back folds it under More, marked
    assert f"find the themes of a pile of papers{MARK}" in _flat(lda["More"])
    assert all(MARK not in value for value in kmeans.values()), kmeans
    [contrast] = [note for note in planned if note.notetype == "contrast"]
    table = _flat(contrast.fields[2])
    assert f"unsupervised{MARK}" in table and f"supervised{MARK}" not in table.replace(
        f"unsupervised{MARK}", ""
    )
    assert f"bags of words{MARK}" in table and f"points{MARK}" not in table


def _visible_notes(tree: ElementTree.Element) -> list[str]:
    """Return the texts of the unsourced mark's explanations in a rendered card side."""
    return [
        " ".join("".join(p.itertext()).split())
        for p in tree.iter("p")
        if "unsourced-note" in (p.get("class") or "").split()
    ]


def test_a_card_showing_the_unsourced_mark_explains_it_in_one_visible_line(
    tmp_path: Path, collection: Collection
) -> None:
    """Phones show no hover text: a back with a † says what it means, once, in words; no other side does."""
    _marked_pair(tmp_path)
    build_into(tmp_path / "source", tmp_path / "dist", artefacts=("deck",))
    import_package(collection, tmp_path / "dist" / "t.apkg")
    marked = set()
    for cid in collection.find_cards(""):
        card = collection.get_card(cid)
        question, answer = card_html(card)
        front = html5lib.parse(question, namespaceHTMLElements=False)
        back = html5lib.parse(answer, namespaceHTMLElements=False)
        assert _visible_notes(front) == [] and MARK not in "".join(front.itertext()), question
        has_mark = any("unsourced" in (sup.get("class") or "").split() for sup in back.iter("sup"))
        notes = _visible_notes(back)
        name = (card.note()["Source id"], card.template()["name"])
        if has_mark:
            marked.add(name)
            assert len(notes) == 1, (name, notes)
            assert notes[0].startswith(MARK) and "not in the source" in notes[0], notes
        else:
            assert notes == [], (name, notes)
    # the term card's Details (input), the learning card, the contrast's table; not the task or reverse card
    assert marked == {("lda", "Term"), ("lda", "Learning"), ("k-means+lda", "Contrast")}, marked
    css = collection.models.by_name(card.note_type()["name"])["css"]  # type: ignore[index]
    rule = re.search(r"\.unsourced-note\s*\{([^}]*)\}", css)
    assert rule and re.search(r"font-size:\s*0\.\d+em", rule[1]), "the explanation is set small"


def test_a_mark_only_under_more_is_explained_under_more(tmp_path: Path) -> None:
    """A term card whose only † is folded under More explains it there, not under the visible fields."""
    notebook = _load(
        tmp_path, [_algorithm("Generates abstract topics.", use_case="find themes", unsourced=["use_case"])]
    )
    fields = _topic_fields(notebook)
    assert "unsourced-note" not in fields["Details"]
    more = html5lib.parse(fields["More"], namespaceHTMLElements=False)
    assert len(_visible_notes(more)) == 1 and MARK in _flat(fields["More"])


def test_an_unsourced_value_is_marked_on_the_sheet_and_the_mark_explained_once(tmp_path: Path) -> None:
    notebook = _marked_pair(tmp_path)
    html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    articles = {a.get("id"): " ".join("".join(a.itertext()).split()) for a in tree.iter("article")}
    assert f"find the themes of a pile of papers{MARK}" in articles["note-lda"]  # the notes page's fields
    assert MARK not in articles["note-k-means"]
    rows = {
        row.find(".//a").text: [" ".join("".join(cell.itertext()).split()) for cell in row.findall("td")]
        for row in tree.iter("tr")
        if row.find(".//a") is not None
    }
    assert rows["Latent Dirichlet Allocation"] == [
        f"Latent Dirichlet Allocation{MARK}",
        "topic modelling",
        f"bags of words{MARK}",
    ]
    assert all(MARK not in cell for cell in rows["K-means"])
    notes = [p for p in tree.iter("p") if "unsourced-note" in (p.get("class") or "")]
    assert len(notes) == 1 and "not in the source" in "".join(notes[0].itertext())


def test_an_unsourced_value_is_marked_in_the_grid_csv_and_html(tmp_path: Path) -> None:
    notebook = _marked_pair(tmp_path)
    grid = grid_rows(notebook)
    rows = {row["note_id"]: row for row in csv.DictReader(io.StringIO(render_grid_csv(grid)))}
    assert (rows["lda"]["input"], rows["lda"]["use_case"], rows["lda"]["learning"], rows["lda"]["task"]) == (
        f"bags of words{MARK}",
        f"find the themes of a pile of papers{MARK}",
        f"unsupervised{MARK}",
        "topic modelling",
    )
    assert rows["lda"]["group"] == "unsupervised"  # the group stays a key
    assert all(MARK not in value for value in rows["k-means"].values())
    html = render_grid_html(notebook, SHIPPED_TEMPLATES, 0, "cheatsheet.pdf", grid)
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    cells = {
        row.find(".//a").text: [" ".join("".join(cell.itertext()).split()) for cell in row.findall("td")]
        for row in tree.iter("tr")
        if row.find(".//a") is not None
    }
    assert cells["Latent Dirichlet Allocation"][2] == f"bags of words{MARK}"
    assert MARK not in cells["Latent Dirichlet Allocation"][1] and all(
        MARK not in c for c in cells["K-means"]
    )
    assert sum("unsourced-note" in (p.get("class") or "") for p in tree.iter("p")) == 1
    unmarked = _load(tmp_path / "plain", [_algorithm("Generates abstract topics from documents.")])
    assert MARK not in render_grid_html(unmarked, SHIPPED_TEMPLATES, 0, "cheatsheet.pdf")
    assert MARK not in render_grid_csv(grid_rows(unmarked))


def test_an_unknown_field_in_unsourced_is_an_error_naming_file_line_and_field(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: t\ntitle: T\n", encoding="utf-8")
    (source / "notes.yaml").write_text(
        "notes:\n"
        "  - id: lda\n"
        "    title: Latent Dirichlet Allocation\n"
        "    kind: algorithm\n"
        "    summary: Generates abstract topics from documents.\n"
        "    input: bags of words\n"
        "    unsourced:\n"
        "      - input\n"
        "      - inptu\n"
        "      - formula\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceError) as raised:
        load_sources(source)
    message = str(raised.value)
    assert f"{source / 'notes.yaml'}:9: notes[0].unsourced[1]: " in message, message
    assert "got 'inptu' (did you mean 'input'?)" in message
    assert f"{source / 'notes.yaml'}:10: notes[0].unsourced[2]: " in message and "'formula'" in message
    assert "unsourced[0]" not in message


def test_the_shipped_values_not_in_the_seed_are_marked(notebook: Notebook) -> None:
    """The values the notes' YAML comments say are not in the seed: MLR's and BlazingText's input, four
    learning types."""
    marked = {note.id: set(note.unsourced) for note in notebook.notes if note.unsourced}
    assert marked == {
        "multinomial-logistic-regression": {"input"},
        "tf-idf": {"learning"},
        "blazingtext": {"learning", "input"},
        "blazingtext-text-classification": {"learning", "input"},
        "semantic-segmentation": {"learning"},
    }


# --- Facts the author calls trivia (`trivia:`) ----------------------------------------------------------

_PIPELINE_FACTS = (
    "    facts:\n"
    "      - It chains ==two to fifteen== containers\n"
    "      - SageMaker invokes it with ==HTTP requests==\n"
    "      - q: Where do its containers run?\n"
    "        a: on the same EC2 instances\n"
)


def _pipeline(tmp_path: Path, trivia: str) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: t\ntitle: T\n", encoding="utf-8")
    (source / "notes.yaml").write_text(
        "notes:\n"
        "  - id: pipeline\n"
        "    title: Inference Pipeline\n"
        "    kind: deployment\n"
        "    summary: A sequence of containers served as one model.\n"
        "    body: Each container sends **HTTP requests** to the next; **two to fifteen** of them.\n"
        f"{_PIPELINE_FACTS}{trivia}",
        encoding="utf-8",
    )
    return source


def test_words_the_note_calls_trivia_print_plain_on_the_sheet_and_are_still_carded(tmp_path: Path) -> None:
    """`trivia:` names what a fact asks that is not worth bold: the sheet prints those words plain (in
    the fact and in the body), the other facts' words stay bold, and every fact still makes its card."""
    source = _pipeline(tmp_path, "    trivia: [http requests, on the same EC2 instances]\n")
    notebook = load_sources(source)
    for layout in ("sheet", "guide"):
        html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(layout=layout), changed=0)
        facts = html.split('<ul class="facts">', 1)[1].split("</ul>", 1)[0]
        assert [words.strip() for words in re.findall(r"<mark>(.*?)</mark>", facts)] == ["two to fifteen"]
        assert "invokes it with HTTP requests" in facts
    guide = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(layout="guide"), changed=0)
    body = guide.split('<div class="body">', 1)[1].split("</div>", 1)[0]
    assert [words.strip() for words in re.findall(r"<strong>(.*?)</strong>", body)] == ["two to fifteen"]
    cards = plan_source_notes(notebook, {})
    asked = " ".join(field for card in cards for field in card.fields)
    assert '<span class="cloze">HTTP requests</span>' in asked and "on the same EC2 instances" in asked
    assert len([card for card in cards if card.notetype == "fact"]) == 3


def test_trivia_that_no_fact_asks_is_an_error_naming_file_line_and_field(tmp_path: Path) -> None:
    trivia = "    trivia:\n      - HTTP requests\n      - HTTP request\n      - http  requests\n"
    source = _pipeline(tmp_path, trivia)
    with pytest.raises(SourceError) as raised:
        load_sources(source)
    message = str(raised.value)
    notes = source / "notes.yaml"
    assert f"{notes}:14: notes[0].trivia[1]: expected what one of the note's facts asks (" in message
    assert "got 'HTTP request' (did you mean 'HTTP requests'?)" in message
    assert f"{notes}:15: notes[0].trivia[2]: lists 'http  requests' twice" in message
    assert "trivia[0]" not in message


def test_trivia_in_a_markdown_note_is_a_list_of_phrases(tmp_path: Path) -> None:
    """In a Markdown key block, `trivia:` items are split at commas only: an answer has spaces."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: t\ntitle: T\n", encoding="utf-8")
    (source / "notes.md").write_text(
        "## Inference Pipeline {#pipeline}\n"
        "kind: deployment\n"
        "summary: A sequence of containers served as one model.\n"
        "facts:\n"
        "- It chains ==two to fifteen== containers\n"
        "- SageMaker invokes it with ==HTTP requests==\n"
        "trivia: HTTP requests, two to fifteen\n"
        "\n"
        "## Other {#other}\n"
        "kind: concept\n"
        "summary: Another note.\n"
        "trivia: Docker containers\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceError) as raised:
        load_sources(source)
    assert [str(problem) for problem in raised.value.problems] == [
        f"{source / 'notes.md'}:12: notes[1].trivia[0]: expected a fact's answer, got 'Docker containers'"
    ]
    (source / "notes.md").write_text(
        (source / "notes.md").read_text(encoding="utf-8").split("\n## Other")[0], encoding="utf-8"
    )
    [note] = load_sources(source).notes
    assert note.trivia == ("HTTP requests", "two to fifteen")


def test_the_shipped_trivia_is_what_the_seed_says_in_passing(notebook: Notebook) -> None:
    """The shipped notes call two answers trivia: how an inference pipeline's containers talk (HTTP
    requests) and the framework semantic segmentation is built with (MXNet Gluon)."""
    assert {note.id: note.trivia for note in notebook.notes if note.trivia} == {
        "inference-pipeline": ("HTTP requests",),
        "semantic-segmentation": ("MXNet Gluon (with the Gluon CV toolkit)",),
    }


def test_the_card_review_fixes_hold_on_the_shipped_notes(notebook: Notebook) -> None:
    """The card-by-card review of cards24: the vision triad's task cards paraphrased the term card's back
    (its summary, in the seed's words), a cloze 'such as […]' had three right answers, and L1's 'why
    feature selection?' was the term back's 'makes some features obsolete'."""
    planner = CardPlanner(notebook)
    for note_id in ("image-classification", "object-detection", "semantic-segmentation"):
        note = notebook.note(note_id)
        assert note.task and states_answer(note.summary, note.task), note_id  # said by the summary
        assert planner.plan(note).task == "", note_id  # so no task card asks it again
    # the 'such as […]' fact went on to the independent review (see the test below): any vision
    # application is right for the last blank of an open list too
    l1 = notebook.note("l1-regularization")
    assert [fact.hidden_spans() for fact in l1.facts if "significance" in fact.plain()] == [
        ["feature selection"]
    ]


_OPEN_LIST = re.compile(r"\b(such as|e\.g\.|for example|including)\b", re.IGNORECASE)


def _independent_review_defects(notebook: Notebook) -> list[str]:
    """The bad cards of the independent review (review-independent.md), as rules a notes folder obeys."""
    planner = CardPlanner(notebook)
    defects = []
    for note in notebook.notes:
        plan = planner.plan(note)
        if plan.task and re.search(r"\b(multiclass|multinomial)\b", f"{note.title} {note.summary}", re.I):
            defects.append(f"{note.id}: task card, its answer said by the name and the term back")
        if plan.task and note.id == "tf-idf":
            defects.append("tf-idf: task card, an open question the term back answers in other words")
        for fact in note.facts:
            hidden = " ".join(fact.hidden_spans()).lower()
            if "vec" in note.title.lower() and "vector" in hidden:
                defects.append(f"{note.id}: a fact hides 'vectors', which the name Word2vec says")
            if _OPEN_LIST.search(fact.text or "") and hidden:
                defects.append(f"{note.id}: a fact hides an item of an open list: other items are right too")
            if fact.text and "raising one usually lowers the other" in fact.text and "trade off" in hidden:
                defects.append(f"{note.id}: a fact's front says what its hidden part means")
    for contrast in planner.contrasts:
        formulas = [note.formula for note in contrast.notes if note.formula]
        for formula in formulas:
            denominator = formula.rsplit("/", 1)[-1].strip()
            if any(denominator in sentence for sentence in contrast.sentences):
                defects.append(f"{contrast.key}: the contrast's back quotes the formula {formula}")
    return defects


def test_the_independent_review_fixes_hold_on_the_shipped_notes(notebook: Notebook) -> None:
    """The independent card-by-card review (review-independent.md) graded 7 of 112 cards bad: a task card
    whose answer the name and the term back give (Multinomial Logistic Regression: 'multiclass'), a task
    card with many right answers that restates the term back (TF-IDF), a cloze whose answer is in the
    name (Word2vec → 'vectors'), a cloze hiding the last item of an open list ('such as …, robot sensing
    and […]'), a cloze whose front says its answer ('[…]; raising one usually lowers the other' → trade
    off), and the two formula cards whose answers the Precision vs Recall contrast's back quoted
    ('(TP + FP)', '(TP + FN)')."""
    assert _independent_review_defects(notebook) == []
    word2vec = notebook.note("blazingtext")
    assert [fact.id for fact in word2vec.facts] == ["2", "3"]  # the two kept facts keep their histories


def test_the_independent_review_rules_find_the_defects_it_graded_bad(tmp_path: Path) -> None:
    notes: list[dict[str, object]] = [
        {
            "id": "mlr",
            "title": "Multinomial Logistic Regression",
            "kind": "algorithm",
            "summary": "Extension of logistic regression that allows more than two outcomes (multiclass).",
            "task": "classification (multiclass)",
        },
        {
            "id": "w2v",
            "title": "BlazingText (Word2vec mode)",
            "kind": "algorithm",
            "summary": "Optimized Word2vec.",
            "facts": [
                "Word2vec maps words to high-quality ==distributed vectors==",
                "Tagging is critical to applications such as cars, robots and ==medical imaging==",
            ],
        },
        {
            "id": "p",
            "title": "Precision",
            "kind": "metric",
            "summary": "Of the predicted positives, the share that are positives.",
            "formula": "Precision = TP / (TP + FP)",
            "facts": ["Precision and recall ==trade off==; raising one usually lowers the other"],
            "related": [{"id": "r", "difference": "Precision divides by (TP + FP); recall by (TP + FN)."}],
        },
        {
            "id": "r",
            "title": "Recall",
            "kind": "metric",
            "summary": "Of the actual positives, the share predicted as positive.",
            "formula": "Recall = TP / (TP + FN)",
        },
    ]
    found = _independent_review_defects(_load(tmp_path, notes))
    assert len(found) == 6, found
    assert sum("quotes the formula" in defect for defect in found) == 2


def test_a_fresh_import_of_the_shipped_deck_holds_only_cards_to_study(
    built: Built, collection: Collection
) -> None:
    """The shipped lock still ships retired notes and cards the notes no longer make (for collections
    that have them); a learner importing the deck for the first time gets none of them: every card
    asks a question of the notes, none carries a removal notice."""
    import_package(collection, built.deck)
    cards = [collection.get_card(cid) for cid in collection.find_cards("")]
    texts = [_text(" ".join(card_html(card))) for card in cards]
    notices = [text for text in texts if "no longer made" in text or "Removed from your notes" in text]
    assert cards and notices == []
    assert len(cards) == len(collection.find_cards("is:new -is:suspended"))
