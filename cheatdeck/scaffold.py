"""`new`: start a notes folder for another exam, with its own deck identity and one example per kind."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path

from cheatdeck import SHIPPED_TEMPLATES

FORMAT_GUIDE = SHIPPED_TEMPLATES.parent / "source" / "README.md"


def scaffold(folder: Path, title: str, notes_format: str = "yaml") -> list[Path]:
    """Create `folder` with deck.yaml, example notes (`notes.yaml` or `notes.md`) and the format guide;
    refuse to overwrite anything."""
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} exists and is not empty; choose a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "media").mkdir()
    new = SHIPPED_TEMPLATES / "new"
    notes = f"notes.{notes_format}"
    written = [write_deck_file(folder, title), folder / notes, folder / "README.md"]
    shutil.copyfile(new / notes, written[1])
    shutil.copyfile(FORMAT_GUIDE, written[2])
    return written


def write_deck_file(folder: Path, title: str) -> Path:
    """Write `folder/deck.yaml` for a new deck called `title`, with its own stable deck id."""
    path = folder / "deck.yaml"
    path.write_text(deck_file_text(title), encoding="utf-8")
    return path


def deck_file_text(title: str) -> str:
    """Return the text of a `deck.yaml` for a new deck called `title`, with its own stable deck id."""
    deck = (SHIPPED_TEMPLATES / "new" / "deck.yaml").read_text(encoding="utf-8")
    values = {
        "deck_id": _deck_id(title),
        "title": _yaml_text(title),
        "description": _yaml_text(f"Notes for {title}."),
    }
    for key, value in values.items():
        deck = deck.replace(f"{{{{ {key} }}}}", value)
    return deck


def _deck_id(title: str) -> str:
    """Return a slug of the title plus a random suffix, so two learners' decks never share ids."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "notes"
    return f"{slug}-{secrets.token_hex(3)}"


def _yaml_text(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
