"""The HTML a card's fields hold, rendered from templates (`templates/anki/fields/*.html.j2`).

Each fragment (the labelled fields, what *More* folds away, a picture, a contrast card's table and answer)
is a small Jinja template, so a copy of the templates (`--templates`) restyles the cards' fields as it
restyles the sheet. Every value reaches a template as HTML the renderers made safe (`Markup`) or as text
Jinja escapes. A copy made before a fragment existed gets the shipped one. The fragments are field content:
changing one changes every note that shows it, and the next import replaces those notes' text in Anki.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.errors import template_problems

FRAGMENTS = Path("anki") / "fields"
"""Where the fragments are, inside a templates folder."""


@cache
def _environment(templates: Path) -> Environment:
    folders = [templates / FRAGMENTS, SHIPPED_TEMPLATES / FRAGMENTS]
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(str(folder)) for folder in dict.fromkeys(folders)]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=False,
    )


def render_fragment(templates: Path, name: str, **values: Any) -> str:
    """Render one fragment (`<name>.html.j2`) with `values`; HTML values must come as `Markup`. A broken
    template is a `TemplateProblem` naming its file and line (sync plans the deck too, outside the build)."""
    with template_problems(templates / FRAGMENTS / f"{name}.html.j2", templates / FRAGMENTS):
        html = _environment(templates).get_template(f"{name}.html.j2").render(**values)
    return str(html).strip("\n")


__all__ = ["Markup", "render_fragment"]
