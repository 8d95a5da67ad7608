"""Anki typesets every \\(…\\) and \\[…\\] in a card with MathJax, whose `\\href`, `\\style`, `\\class` …
make links, styles and elements: only the math cheatdeck wrapped reaches it, and only without those. And
Anki runs LaTeX on `[latex]…[/latex]` and `[$]…[/$]`: none reaches it from a note.
Cards rendered by Anki's backend, parsed with html5lib."""

from __future__ import annotations

import re
from pathlib import Path

import html5lib
import yaml
from anki.collection import Collection

from tests.anki_helpers import card_html, import_package
from tests.conftest import build_into

HREF = r"\href{javascript:alert(1)}{\style{position:fixed;inset:0}{x}}"
_DELIMITED = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.DOTALL)


def _mathjax_inputs(html: str) -> list[str]:
    """The TeX MathJax would typeset: each delimited span within one run of text (its strings end at
    elements; Anki leaves code and pre alone)."""
    found = []
    for element in html5lib.parse(html, namespaceHTMLElements=False).iter():
        if str(element.tag) in {"code", "pre", "script", "style"}:
            continue
        for text in (element.text, element.tail):
            for match in _DELIMITED.finditer(text or ""):
                found.append(match[1] if match[1] is not None else match[2])
    return found


def test_only_the_notes_own_safe_math_reaches_mathjax(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    kinds = [{"name": "trap", "label": rf"\({HREF}\)", "colour": "#0b7285"}]
    notes = [
        {
            "id": "trap",
            "title": "Trap",
            "kind": "trap",
            "summary": rf"Inline ${HREF}$ and escaped \\({HREF}\\) and &#92;[{HREF}&#92;]. "
            r"[latex]\immediate\write18{touch x}[/latex] [$]y[/$] [$$]z[/$$] [LaTeX]w[/LaTeX]",
            "body": f"Display:\n\n$${HREF}$$\n\nSafe: $x^2 + 1$ and $$\\frac{{a}}{{b}}$$ stay math.\n",
            "facts": [rf"A fact with ${HREF}$ is ==true=="],
        }
    ]
    (source / "deck.yaml").write_text(yaml.safe_dump({"id": "t", "title": "T", "kinds": kinds}), "utf-8")
    (source / "notes.yaml").write_text(yaml.safe_dump({"notes": notes}), "utf-8")
    out = tmp_path / "dist"
    build_into(source, out, artefacts=("deck",))
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_package(col, out / "t.apkg")
        inputs, latex = [], []
        for cid in col.find_cards(""):
            question, answer = card_html(col.get_card(cid))
            inputs += _mathjax_inputs(question) + _mathjax_inputs(answer)
        for nid in col.find_notes(""):  # what Anki would hand LaTeX when it shows the cards
            for field in col.get_note(nid).fields:
                latex += col._backend.extract_latex(text=field, svg=False, expand_clozes=True).latex
    finally:
        col.close()
    assert "x^2 + 1" in inputs and r"\frac{a}{b}" in inputs  # a note's own math is still typeset
    assert not [tex for tex in inputs if re.search(r"\\(href|style|class)\b", tex)], inputs
    assert not latex, latex
