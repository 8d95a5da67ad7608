"""Kind colours on cards: each badge takes its kind's day and night colour from the kinds, by the note
type's own CSS and script, with no field in an attribute and no note's fields changed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import html5lib
import pytest
import yaml
from anki.collection import Collection

from cheatdeck.anki.badges import SCRIPT_MARK, kind_css, kind_script
from cheatdeck.notes.kinds import BUILTIN
from cheatdeck.notes.sources import load_sources
from tests.anki_helpers import card_html, import_package, own_script
from tests.conftest import build_into

NASTY = "</script><script>alert(1)</script> {{Name}} & 'quoted' \"label\""

_FAKE_DOM = """
const badges = JSON.parse(require("fs").readFileSync(0, "utf8"));
const made = badges.map((badge) => {
  const element = { classes: [], textContent: badge.text };
  element.querySelector = () => (badge.name === null ? null : { textContent: badge.name });
  element.classList = { add: (name) => element.classes.push(name) };
  return element;
});
globalThis.document = { querySelectorAll: () => made };
"""


def _deck(source: Path) -> None:
    kinds = [
        {"name": "cloud", "label": "Cloud  service", "colour": "#1565c0", "fields": ["use_case"]},
        {"name": "nasty", "label": NASTY, "colour": "#2e7d32", "night": "#a5d6a7"},
    ]
    notes = [
        {
            "id": "s3",
            "title": "S3",
            "kind": "cloud",
            "summary": "Object storage that scales.",
            "use_case": "keep any number of files durably",
            "facts": [{"q": "Durability?", "a": "Eleven nines"}],
        },
        {"id": "x", "title": "X", "kind": "nasty", "summary": "A kind whose label is hostile."},
    ]
    source.mkdir(parents=True)
    (source / "deck.yaml").write_text(
        yaml.safe_dump({"id": "t", "title": "T", "kinds": kinds}), encoding="utf-8"
    )
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": notes}), encoding="utf-8")


def _badges(html: str) -> list[dict[str, str | None]]:
    """Return each badge of a card side as the script sees it: its kind-name part's text and its text."""
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    found = []
    for element in tree.iter():
        if "kind" in element.get("class", "").split():
            name = next((e for e in element.iter() if e.get("class") == "kind-name"), None)
            found.append(
                {
                    "name": None if name is None else "".join(name.itertext()),
                    "text": "".join(element.itertext()),
                }
            )
    return found


def test_each_badge_takes_its_kind_s_class_in_a_real_script_engine(
    tmp_path: Path, collection: Collection
) -> None:
    """The script, as Anki renders it, run by Node against the badges Anki rendered: a label with a space,
    quotes, `</script>` and Anki's own `{{…}}` reaches its kind's class, and nothing else runs."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    source = tmp_path / "source"
    _deck(source)
    build_into(source, tmp_path / "dist", artefacts=("deck",))
    import_package(collection, tmp_path / "dist" / "t.apkg")
    checked = 0
    for cid in collection.find_cards(""):
        card = collection.get_card(cid)
        kind = 0 if card.note()["Source id"].startswith("s3") else 1
        for side in (card.question(), card.answer()):
            script = own_script(card)
            badges = _badges(side)
            if not badges:
                continue
            assert script and side.count(script) == 1, card.template()["name"]
            body = re.fullmatch(r"<script>(.*)</script>", script, re.DOTALL)
            assert body and "</script" not in body[1].lower() and "{{" not in body[1]
            run = subprocess.run(
                [
                    node,
                    "-e",
                    _FAKE_DOM + body[1] + "\nconsole.log(JSON.stringify(made.map((m) => m.classes)));",
                ],
                input=json.dumps(badges),
                capture_output=True,
                text=True,
                check=True,
            )
            assert json.loads(run.stdout) == [[f"cheatdeck-kind-{kind}"]] * len(badges), (badges, run.stdout)
            checked += 1
    assert checked >= 6  # term, reverse and fact cards of the first note, term of the second; both sides


def test_the_note_types_css_holds_each_kind_s_day_and_night_colour(tmp_path: Path) -> None:
    source = tmp_path / "source"
    _deck(source)
    kinds = load_sources(source).kinds
    css = kind_css(kinds)
    assert ".kind.cheatdeck-kind-0 { color: #1565c0; }" in css
    assert ".nightMode .kind.cheatdeck-kind-1, .night_mode .kind.cheatdeck-kind-1 { color: #a5d6a7; }" in css
    assert kinds["cloud"].night == "#8ab2e0"  # by default, the colour lightened
    assert [spec.night for spec in BUILTIN] == [
        "#90caf9",
        "#a5d6a7",
        "#ce93d8",
        "#ffcc80",
        "#ef9a9a",
        "#b0bec5",
    ]


def test_the_script_writes_labels_as_data(tmp_path: Path) -> None:
    """Nothing in a label closes the script or is read by Anki's template syntax."""
    source = tmp_path / "source"
    _deck(source)
    script = kind_script(load_sources(source).kinds)
    assert script.startswith(f"<script>\n{SCRIPT_MARK}\n") and script.count("</script>") == 1
    for text in ("<", ">", "&", "{{", "}}", "alert(1)</"):
        assert (
            text
            not in script.removeprefix("<script>")
            .removesuffix("</script>")
            .split("var labels = ")[1]
            .split(";")[0]
        )


def test_no_card_holds_a_script_but_the_note_type_s_own(tmp_path: Path, collection: Collection) -> None:
    """Every script a card shows is the note type's own (the one `card_html` takes away)."""
    source = tmp_path / "source"
    _deck(source)
    build_into(source, tmp_path / "dist", artefacts=("deck",))
    import_package(collection, tmp_path / "dist" / "t.apkg")
    for cid in collection.find_cards(""):
        for html in card_html(collection.get_card(cid)):
            assert "<script" not in html.lower()
