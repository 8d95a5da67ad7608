"""Turn note text into safe HTML: the one renderer both the cards and the cheat sheet use.

Markdown is rendered by markdown-it-py with raw HTML switched off, so `<script>` or `<b>` written in a
note is shown as text, and unsafe link schemes (`javascript:`) are not turned into links.
"""

from __future__ import annotations

import re
from functools import cache
from html import escape

from markdown_it import MarkdownIt

from cheatdeck.model import Note, Reference


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(["table", "strikethrough"])


def render_markdown(text: str) -> str:
    """Render a note body (Markdown) to HTML; raw HTML in the text is escaped."""
    return _markdown().render(text).strip() if text.strip() else ""


def render_text(text: str) -> str:
    """Escape plain text (titles, summaries, grid cells) for HTML."""
    return escape(text, quote=True)


def render_reference(reference: Reference) -> str:
    """Render a reference as a link whose text is its label, or its URL."""
    label = reference.label or reference.url
    return f'<a href="{escape(reference.url, quote=True)}">{escape(label)}</a>'


def render_references(note: Note) -> str:
    """Render a note's references as a list of links (empty when it has none)."""
    if not note.references:
        return ""
    items = "".join(f"<li>{render_reference(reference)}</li>" for reference in note.references)
    return f'<ul class="references">{items}</ul>'


_FRACTION = re.compile(r"^(?P<numerator>\(.*\)|[^/]+?)\s*/\s*(?P<denominator>\(.*\)|[^/]+)$")


def split_formula(formula: str) -> tuple[str, str]:
    """Split `Name = expression` into its name and expression."""
    name, _, expression = formula.partition("=")
    return name.strip(), expression.strip()


def render_expression(expression: str) -> str:
    """Typeset an expression; a top-level `a / b` becomes a stacked fraction."""
    match = _FRACTION.match(expression)
    if not match:
        return f'<span class="expr">{escape(expression)}</span>'
    numerator, denominator = (_unwrap(match[part]) for part in ("numerator", "denominator"))
    return (
        '<span class="frac">'
        f'<span class="num">{escape(numerator)}</span>'
        f'<span class="den">{escape(denominator)}</span>'
        "</span>"
    )


def render_formula(formula: str) -> str:
    """Typeset `Name = expression` the same way on cards and on the sheet."""
    name, expression = split_formula(formula)
    return (
        f'<span class="formula"><span class="formula-name">{escape(name)}</span>'
        f' <span class="eq">=</span> {render_expression(expression)}</span>'
    )


def render_formula_cloze(formula: str) -> str:
    """Typeset a formula with its expression hidden as Anki cloze 1."""
    name, expression = split_formula(formula)
    hidden = render_expression(expression).replace("}}", "} }")
    return (
        f'<span class="formula"><span class="formula-name">{escape(name)}</span>'
        f' <span class="eq">=</span> {{{{c1::{hidden}}}}}</span>'
    )


def _unwrap(part: str) -> str:
    part = part.strip()
    if part.startswith("(") and part.endswith(")") and _balanced(part[1:-1]):
        return part[1:-1].strip()
    return part


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0
