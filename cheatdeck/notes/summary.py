"""Describe a loaded notebook in a few lines: notes per kind and how fully each kind fills its fields."""

from __future__ import annotations

from cheatdeck.notes.kinds import field_text
from cheatdeck.notes.model import Notebook


def describe_notebook(notebook: Notebook) -> list[str]:
    """Return the summary lines `check` prints."""
    kinds = notebook.kinds
    counts = ", ".join(
        f"{kind.name} {len(notebook.by_kind(kind.name))}" for kind in kinds if notebook.by_kind(kind.name)
    )
    plural = "" if len(notebook.notes) == 1 else "s"
    lines = [f"{notebook.deck.title}: {len(notebook.notes)} note{plural} ({counts})"]
    gridded = [rows.kind for table in kinds.grid for rows in table.rows]
    for name in dict.fromkeys([*gridded, *kinds.names]):  # the grid's order, then the other kinds
        kind = kinds[name]
        notes = notebook.by_kind(name)
        if not notes or not kind.fields:
            continue
        filled = ", ".join(
            f"{field} {sum(field_text(note, field) is not None for note in notes)}/{len(notes)}"
            for field in kind.fields
        )
        lines.append(f"  grid {name}: {filled}")
    return lines
