"""A contrast of three: a `related` entry naming two notes (`ids:`) makes one contrast card for the three,
their differing fields side by side in three columns, in place of three pair cards; written in YAML or in
Markdown, checked with file, line and field; the pair cards a learner already has are retired."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import html5lib
import pytest
import yaml
from anki.collection import Collection

from cheatdeck import identity
from cheatdeck.anki.lock import RETIRED_TAG
from cheatdeck.cards.lint import lint
from cheatdeck.cards.plan import NOTETYPES, CardPlanner, contrast_pairs
from cheatdeck.errors import SourceError
from cheatdeck.notes.sources import load_sources
from tests.anki_helpers import card_html, import_package
from tests.conftest import build_into

SENTENCE = (
    "Image classification gives a whole image one category; object detection draws a bounding box around "
    "each object; semantic segmentation gives every pixel a class label."
)


def _vision(related: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The vision triad as three algorithm notes; `related` gives each note's entries."""
    notes = [
        ("image-classification", "Image Classification", "sort whole images", "one label per picture"),
        ("object-detection", "Object Detection", "locate objects in boxes", "find every thing in a picture"),
        ("semantic-segmentation", "Semantic Segmentation", "classify every pixel", "understand a scene"),
    ]
    return [
        {
            "id": note_id,
            "title": title,
            "kind": "algorithm",
            "summary": f"Computer vision algorithm number {index + 1} of the three.",
            "learning": "supervised",
            "task": task,
            "use_case": use_case,
            "input": "images",
            **({"related": related[note_id]} if related.get(note_id) else {}),
        }
        for index, (note_id, title, task, use_case) in enumerate(notes)
    ]


THREE = {
    "semantic-segmentation": [{"ids": ["image-classification", "object-detection"], "difference": SENTENCE}]
}
PAIRS = {
    "image-classification": [
        {
            "id": "object-detection",
            "difference": "Image classification labels the image; detection boxes objects.",
        },
        {
            "id": "semantic-segmentation",
            "difference": "A whole image gets one category; segmentation, every pixel.",
        },
    ],
    "object-detection": [
        {
            "id": "semantic-segmentation",
            "difference": "Detection boxes each object; segmentation labels pixels.",
        }
    ],
}


def _write(source: Path, notes: list[dict[str, Any]]) -> Path:
    source.mkdir(parents=True, exist_ok=True)
    (source / "deck.yaml").write_text("id: t\ntitle: T\n", encoding="utf-8")
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": notes}, sort_keys=False), encoding="utf-8")
    return source


def _tree(html: str) -> ElementTree.Element:
    return html5lib.parse(html, namespaceHTMLElements=False)


def _text(element: ElementTree.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_a_contrast_of_three_is_one_card_with_the_three_side_by_side(
    tmp_path: Path, collection: Collection
) -> None:
    source = _write(tmp_path / "source", _vision(THREE))
    build_into(source, tmp_path / "dist", artefacts=("deck",))
    import_package(collection, tmp_path / "dist" / "t.apkg")
    contrasts = collection.find_notes('"note:cheatdeck contrast*"')
    assert len(contrasts) == 1  # not three pair cards
    note = collection.get_note(contrasts[0])
    key = "image-classification+object-detection+semantic-segmentation"
    assert note["Source id"] == key
    assert note.guid == identity.note_guid("t", "contrast", key, NOTETYPES["contrast"].version)
    [card] = note.cards()
    question, answer = card_html(card)
    front = _text(_tree(question))
    assert "Image Classification vs Object Detection vs Semantic Segmentation" in front
    assert "What tells them apart?" in front and "pixel" not in front
    back = _tree(answer)
    [sentence] = [p for p in back.iter("p") if p.get("class") == "difference"]
    assert _text(sentence) == SENTENCE
    [table] = [t for t in back.iter("table") if t.get("class") == "differences"]
    [head] = table.findall("./thead/tr")
    assert [_text(cell) for cell in head] == [
        "",
        "Image Classification",
        "Object Detection",
        "Semantic Segmentation",
    ]
    rows = {_text(row[0]): [_text(cell) for cell in row[1:]] for row in table.findall("./tbody/tr")}
    # only the fields that differ among the three: learning and input are the same for all
    assert rows == {
        "Use case": ["one label per picture", "find every thing in a picture", "understand a scene"],
        "Task": ["sort whole images", "locate objects in boxes", "classify every pixel"],
    }
    assert sorted(contrast_pairs(load_sources(source))) == [
        ("image-classification", "object-detection"),
        ("image-classification", "semantic-segmentation"),
        ("object-detection", "semantic-segmentation"),
    ]  # the sheet links each to the other two


MARKDOWN = """\
# Vision
kind: algorithm
learning: supervised
input: images

## Image Classification {#image-classification}
summary: Computer vision algorithm that sorts whole images.
task: sort whole images

## Object Detection {#object-detection}
summary: Computer vision algorithm that boxes objects.
task: locate objects in boxes
related:
- id: k-means
  difference: Detection is supervised and boxes objects;
    K-means groups unlabelled points.

## Semantic Segmentation {#semantic-segmentation}
summary: Computer vision algorithm that labels pixels.
task: classify every pixel
related:
- ids: image-classification, object-detection
  difference: {sentence}

## K-means {#k-means}
summary: Clustering of unlabelled points.
learning: unsupervised
task: clustering
"""


def test_a_contrast_of_three_and_a_pairs_difference_are_written_in_markdown(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "deck.yaml").write_text("id: t\ntitle: T\n", encoding="utf-8")
    (source / "vision.md").write_text(MARKDOWN.replace("{sentence}", SENTENCE), encoding="utf-8")
    notebook = load_sources(source)
    contrasts = {contrast.key: contrast.sentences for contrast in CardPlanner(notebook).contrasts}
    assert contrasts == {
        "image-classification+object-detection+semantic-segmentation": [SENTENCE],
        "k-means+object-detection": [
            "Detection is supervised and boxes objects; K-means groups unlabelled points."
        ],
    }


def _problems(tmp_path: Path, related: dict[str, list[Any]]) -> str:
    source = _write(tmp_path / "source", _vision(related))
    with pytest.raises(SourceError) as raised:
        load_sources(source)
    return str(raised.value)


def _line(source: Path, text: str, after: int = 0) -> int:
    lines = (source / "notes.yaml").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if number > after and text in line)


def test_a_bad_contrast_of_three_is_an_error_naming_file_line_and_field(tmp_path: Path) -> None:
    one = {"semantic-segmentation": [{"ids": ["image-classification"]}]}
    message = _problems(tmp_path / "one", one)
    path = tmp_path / "one" / "source" / "notes.yaml"
    assert f"{path}:{_line(path.parent, '- ids:')}: notes[2].related[0]: " in message, message
    assert "a contrast of three names two other notes under ids" in message

    both = {
        "semantic-segmentation": [
            {"id": "object-detection", "ids": ["image-classification", "object-detection"]}
        ]
    }
    assert "name the note contrasted with as id, or the two of a contrast of three as ids" in _problems(
        tmp_path / "both", both
    )

    unknown = {"semantic-segmentation": [{"ids": ["image-clasification", "object-detection"]}]}
    message = _problems(tmp_path / "unknown", unknown)
    path = tmp_path / "unknown" / "source" / "notes.yaml"
    line = _line(path.parent, "image-clasification")
    assert f"{path}:{line}: notes[2].related[0].ids[0]: unknown note id 'image-clasification'" in message
    assert "did you mean 'image-classification'" in message

    # a pair of the three listed on its own as well: two cards would ask the same
    twice = {**THREE, "image-classification": ["object-detection"]}
    message = _problems(tmp_path / "twice", twice)
    path = tmp_path / "twice" / "source" / "notes.yaml"
    line = _line(path.parent, "- object-detection")
    assert (
        f"{path}:{line}: notes[0].related[0]: image-classification and object-detection are already"
        in message
    )
    assert "contrasted as three" in message and len(message.strip().splitlines()) == 1, message


def test_a_contrast_of_three_with_nothing_to_tell_is_named_by_the_lint(tmp_path: Path) -> None:
    notes = _vision({"semantic-segmentation": [{"ids": ["image-classification", "object-detection"]}]})
    for note in notes:
        note.pop("task"), note.pop("use_case")
    warnings = [str(w) for w in lint(load_sources(_write(tmp_path / "source", notes)))]
    [found] = [w for w in warnings if "no contrast card" in w]
    assert (
        "notes[2].related[0]: no-card: no contrast card with image-classification and object-detection"
        in found
    )
    assert "all three" in found and "{ids: [image-classification, object-detection], difference:" in found


def test_the_pair_cards_a_contrast_of_three_replaces_are_retired_in_a_learners_collection(
    tmp_path: Path, collection: Collection
) -> None:
    source, out = tmp_path / "source", tmp_path / "dist"
    _write(source, _vision(PAIRS))
    build_into(source, out, artefacts=("deck",))
    import_package(collection, out / "t.apkg")
    pairs = sorted(
        collection.get_note(nid)["Source id"] for nid in collection.find_notes('"note:cheatdeck contrast*"')
    )
    assert len(pairs) == 3 and all(key.count("+") == 1 for key in pairs)

    _write(source, _vision(THREE))
    report = build_into(source, out, artefacts=("deck",))
    assert all(key in report.deck_changes for key in pairs), report.deck_changes
    counts = import_package(collection, out / "t.apkg")
    assert (counts.new, counts.conflicting) == (1, 0)
    retired = sorted(
        collection.get_note(nid)["Source id"] for nid in collection.find_notes(f"tag:{RETIRED_TAG}")
    )
    assert retired == pairs
    for nid in collection.find_notes(f"tag:{RETIRED_TAG}"):
        [card] = collection.get_note(nid).cards()
        assert "Removed from your notes" in _text(_tree(card.question()))
        # its answer keeps its layout: the table still folds under "Side by side"
        [fold] = [d for d in _tree(card.answer()).iter("details") if d.find("summary") is not None]
        assert _text(fold.find("summary")) == "Side by side" and fold.find(".//table") is not None
    live = collection.find_notes(f'"note:cheatdeck contrast*" -tag:{RETIRED_TAG}')
    assert [collection.get_note(nid)["Source id"] for nid in live] == [
        "image-classification+object-detection+semantic-segmentation"
    ]
