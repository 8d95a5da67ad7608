"""Import a guide into a scratch notes folder, build its deck and print every card as question → answer.

Usage: .venv/bin/python bench/import_cards.py GUIDE [--deck DECK_YAML] [--level N] [--explain]

Prints the import report, `check --strict`'s warnings and the cards in plain text (bench/cards_as_text.py),
for grading the cards a real guide gives card by card, as a learner would.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from cards_as_text import cards_as_text

from cheatdeck.cli import main


def run(arguments: list[str]) -> str:
    """Run a cheatdeck command and return its output."""
    result = CliRunner().invoke(main, arguments)
    return f"[exit {result.exit_code}]\n{result.output}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("guide", type=Path, nargs="+")
    parser.add_argument("--deck", type=Path)
    parser.add_argument("--level")
    parser.add_argument("--explain", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        notes = Path(scratch) / "notes"
        notes.mkdir()
        if options.deck:
            shutil.copyfile(options.deck, notes / "deck.yaml")
        extra = (["--level", options.level] if options.level else []) + (
            ["--explain"] if options.explain else []
        )
        print(run(["import", *map(str, options.guide), "--into", str(notes), *extra]))
        print(run(["check", "--strict", "--source", str(notes)]))
        dist = str(Path(scratch) / "dist")
        print(run(["build", "--source", str(notes), "--out", dist, "--artefact", "deck"]))
        for package in sorted((Path(scratch) / "dist").glob("*.apkg")):
            for number, line in enumerate(cards_as_text(package), 1):
                print(f"{number:3}. {line}")
