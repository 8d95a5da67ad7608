"""Describe a loaded notebook in a few lines: notes per kind and grid coverage."""

from __future__ import annotations

from cheatdeck.model import Kind, Notebook

_GRID_FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.SERVICE: ("use_case", "domain"),
    Kind.DEPLOYMENT: ("use_case",),
    Kind.ALGORITHM: ("learning", "task", "input"),
    Kind.METRIC: ("formula",),
}


def describe_notebook(notebook: Notebook) -> list[str]:
    """Return the summary lines `check` prints."""
    counts = ", ".join(
        f"{kind.value} {len(notebook.by_kind(kind))}" for kind in Kind if notebook.by_kind(kind)
    )
    plural = "" if len(notebook.notes) == 1 else "s"
    lines = [f"{notebook.deck.title}: {len(notebook.notes)} note{plural} ({counts})"]
    for kind, fields in _GRID_FIELDS.items():
        notes = notebook.by_kind(kind)
        if not notes:
            continue
        filled = ", ".join(
            f"{field} {sum(getattr(note, field) is not None for note in notes)}/{len(notes)}"
            for field in fields
        )
        lines.append(f"  grid {kind.value}: {filled}")
    return lines
