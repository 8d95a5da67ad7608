"""Print every card of a deck as question → answer in plain text, in the order Anki introduces them.

Usage: .venv/bin/python bench/cards_as_text.py [dist/aws-mls-c01.apkg]

The package is imported with Anki's own backend into a scratch collection, so what is printed is what
Anki renders (templates, conditionals, cloze), with the markup removed. Read it as an exam candidate.
"""

from __future__ import annotations

import re
import sys
import tempfile
from html import unescape
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

_FRACTION = re.compile(
    r'<span class="frac"><span class="num">(?P<num>.*?)</span>(?:<span class="slash">[^<]*</span>)?'
    r'<span class="den">(?P<den>.*?)</span></span>'
)


def _bracketed(part: str) -> str:
    """Return one side of a fraction, in brackets when it is more than one term: TP + FP → (TP + FP)."""
    return f"({part})" if re.search(r"[\s+\-*/]", part.strip()) else part


def _fraction(match: re.Match[str]) -> str:
    """Quote a stacked fraction on one line as it reads: TP / (TP + FP), never TP / TP + FP."""
    return f"{_bracketed(match['num'])} / {_bracketed(match['den'])}"


def plain(html: str) -> str:
    """Return rendered card HTML as one line of text."""
    html = re.sub(r"<(style|script)\b[^>]*>.*?</\1>", "", html, flags=re.DOTALL)
    html = re.sub(r'<span class="paren">[()]</span>', "", html)  # the field's own brackets: bracketed below
    html = _FRACTION.sub(_fraction, html)
    html = re.sub(r'<div class="cheatdeck-status">[^<]*</div>', "", html)  # a switch's value, hidden by CSS
    html = re.sub(r"<details[^>]*>\s*<summary>(.*?)</summary>.*?</details>", r" [\1 …]", html, flags=re.S)
    html = re.sub(r"</(div|p|li|dd|tr|h\d|summary)>|<br>", " | ", html)
    html = re.sub(r"</(dt|th|td)>", ": ", html)
    html = re.sub(r"</?(span|b|strong|em|i|code|mark|a|sub|sup|wbr)\b[^>]*>", "", html)  # inline: no gap
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    text = re.sub(r"\s*(\|\s*)+", " | ", re.sub(r"\s+", " ", text))
    return text.strip(" |")


def cards_as_text(package: Path) -> list[str]:
    """Return one line per card: kind, question → answer."""
    with tempfile.TemporaryDirectory() as scratch:
        collection = Collection(str(Path(scratch) / "c.anki2"))
        try:
            request = ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
            collection.import_anki_package(request)
            lines = []
            for cid in collection.find_cards("", order="c.due, c.ord"):
                card = collection.get_card(cid)
                question = card.question()
                answer = card.answer()
                answer = answer.split('<hr id="answer">', 1)[-1] if '<hr id="answer">' in answer else answer
                kind = card.template()["name"]
                lines.append(f"[{kind}] {plain(question)} → {plain(answer)}")
            return lines
        finally:
            collection.close()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "dist/aws-mls-c01.apkg")
    for number, line in enumerate(cards_as_text(target), 1):
        print(f"{number:3}. {line}")
