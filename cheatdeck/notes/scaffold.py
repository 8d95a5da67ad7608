"""`new`: start a notes folder for another exam, with its own deck identity and one example per kind."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from pathlib import Path

import yaml

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.notes.kinds import control_character_problem, one_line

FORMAT_GUIDE = SHIPPED_TEMPLATES.parent / "source" / "README.md"
DEFAULT_TITLE = "My exam notes"
_PLACEHOLDER = re.compile(r"\{\{ (deck_id|title|description) \}\}")


def title_problem(title: str) -> str | None:
    """Return why `title` cannot be a deck's title (None when it can): it is one line of text."""
    if not title.strip():
        return "expected a title, got nothing"
    return control_character_problem(title)


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


def deck_file_text(title: str, description: str = "") -> str:
    """Return the text of a `deck.yaml` for a new deck called `title`, with its own stable deck id. A title
    a deck cannot hold (a guide's, for `import`) is cleaned: one line, no control characters; so is a
    `description` (default: "Notes for <title>.")."""
    template = (SHIPPED_TEMPLATES / "new" / "deck.yaml").read_text(encoding="utf-8")
    title = title.strip() if title_problem(title) is None else one_line(title) or DEFAULT_TITLE
    values = {
        "deck_id": _deck_id(title),
        "title": _yaml_text(title),
        "description": _yaml_text(one_line(description) or f"Notes for {title}."),
    }
    return _PLACEHOLDER.sub(lambda match: values[match[1]], template)  # one pass: no value is read again


def _deck_id(title: str) -> str:
    """Return a slug of the title plus a random suffix, so two learners' decks never share ids."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "notes"
    return f"{slug}-{secrets.token_hex(3)}"


def _yaml_text(text: str) -> str:
    """Return `text` as a YAML double-quoted scalar that reads back as exactly `text`."""
    written = json.dumps(text, ensure_ascii=False)  # readable: a JSON string is a YAML one
    if yaml.safe_load(written) != text:
        written = yaml.safe_dump(text, default_style='"', allow_unicode=True, width=1 << 30).strip()
    return written
