"""Turn note text into safe HTML: the one renderer both the cards and the cheat sheet use.

Markdown is rendered by markdown-it-py with raw HTML switched off, so `<script>` or `<b>` written in a
note is shown as text, and unsafe link schemes (`javascript:`) are not turned into links.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from html import escape
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

from cheatdeck.notes.model import CLOZE_SPAN, Correction, Fact, Note, Reference

ImageResolver = Callable[[str], str]


@cache
def _markdown() -> MarkdownIt:
    markdown = (
        MarkdownIt("commonmark", {"html": False, "typographer": False})
        .enable(["table", "strikethrough"])
        .use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    )
    markdown.add_render_rule("math_inline", _render_math_inline)
    markdown.add_render_rule("math_inline_double", _render_math_inline_double)
    markdown.add_render_rule("math_block", _render_math_block)
    markdown.add_render_rule("image", _render_image)
    return markdown


def render_markdown(text: str, *, mathjax: bool = False, images: ImageResolver | None = None) -> str:
    """Render a note body (Markdown) to HTML; raw HTML in the text is escaped.

    Math (`$x$`, `$$x$$`) is kept as TeX: wrapped in MathJax delimiters for Anki when `mathjax`,
    shown as set text otherwise (WeasyPrint runs no JavaScript). A local image's path goes through
    `images`; a remote image is never fetched: it becomes a link.
    """
    if not text.strip():
        return ""
    markdown = _markdown()
    env = {"mathjax": mathjax, "images": images}
    return str(markdown.renderer.render(list(_parsed(text)), markdown.options, env)).strip()


@lru_cache(maxsize=1 << 12)
def _parsed(text: str) -> tuple[Token, ...]:
    """Return the tokens of a Markdown text, remembered: a build parses each body for its links, its
    images, the cards and the sheet. Tokens depend on the text alone, and no render rule changes them."""
    return tuple(_markdown().parse(text))


def render_inline(text: str, *, mathjax: bool = False) -> str:
    """Render a one-line field (summary, use case, task, fact …) as inline Markdown: `**bold**`, `*em*`,
    `` `code` ``, `[text](url)` and `$math$` become markup, never raw text; raw HTML is escaped."""
    return _render_inline(text, mathjax)


@lru_cache(maxsize=1 << 14)
def _render_inline(text: str, mathjax: bool) -> str:
    """Return `render_inline(text)`, remembered: a pure function of the text."""
    if not text.strip():
        return ""
    return str(_markdown().renderInline(text, {"mathjax": mathjax})).strip()


def render_fact(fact: Fact, *, mathjax: bool = False) -> str:
    """Render a fact on one line: a statement with its `==marked==` parts in `<mark>`, or question and answer.

    Each piece between marks is rendered as inline Markdown on its own, so a mark never splits a tag."""
    if fact.q is not None and fact.a is not None:
        question, answer = render_inline(fact.q, mathjax=mathjax), render_inline(fact.a, mathjax=mathjax)
        return f'<span class="q">{question}</span> <span class="a">{answer}</span>'
    text, parts, start = fact.text or "", [], 0
    for match in CLOZE_SPAN.finditer(text):
        parts.append(render_inline_piece(text[start : match.start()], mathjax=mathjax))
        parts.append(f"<mark>{render_inline(match['hidden'], mathjax=mathjax)}</mark>")
        start = match.end()
    parts.append(render_inline_piece(text[start:], mathjax=mathjax))
    return "".join(parts)


def render_inline_piece(text: str, *, mathjax: bool = False) -> str:
    """Render a piece of a sentence, keeping the spaces at its ends that `render_inline` would strip."""
    if not text.strip():
        return text and " "
    inner = render_inline(text, mathjax=mathjax)
    return (" " if text[0].isspace() else "") + inner + (" " if text[-1].isspace() else "")


def image_sources(text: str) -> list[str]:
    """Return the `src` of every image a Markdown text shows, in order (local paths percent-decoded)."""
    sources = []
    for token in _parsed(text):
        for child in token.children or ():
            if child.type == "image":
                src = str(child.attrGet("src") or "")
                sources.append(src if is_remote(src) else unquote(src))
    return sources


def link_targets(text: str) -> set[str]:
    """Return the href of every link a Markdown text holds, as the renderer writes them."""
    return {
        str(child.attrGet("href"))
        for token in _parsed(text)
        for child in token.children or ()
        if child.type == "link_open"
    }


def normalise_link(url: str) -> str:
    """Return a URL as the Markdown renderer would write it in an href."""
    return str(_markdown().normalizeLink(url))


def is_remote(src: str) -> bool:
    """Return True for a URL with a scheme or host (never fetched), False for a path in the notes folder."""
    return bool(re.match(r"^([a-z][a-z0-9+.-]*:|//)", src, re.IGNORECASE))


def _render_math_inline(
    renderer: Any, tokens: list[Token], index: int, options: Any, env: dict[str, Any]
) -> str:
    tex = escape(tokens[index].content)
    return (
        f'<span class="math">\\({tex}\\)</span>' if env.get("mathjax") else f'<span class="math">{tex}</span>'
    )


def _render_math_inline_double(
    renderer: Any, tokens: list[Token], index: int, options: Any, env: dict[str, Any]
) -> str:
    """`$$…$$` inside a line of text: display math for MathJax, but in a span, since a paragraph cannot
    hold a block (Anki's editor would split the paragraph around it); the sheet sets it in the line."""
    tex = escape(tokens[index].content.strip())
    return (
        f'<span class="math">\\[{tex}\\]</span>' if env.get("mathjax") else f'<span class="math">{tex}</span>'
    )


def _render_math_block(
    renderer: Any, tokens: list[Token], index: int, options: Any, env: dict[str, Any]
) -> str:
    tex = escape(tokens[index].content.strip())
    return f'<div class="math">\\[{tex}\\]</div>' if env.get("mathjax") else f'<div class="math">{tex}</div>'


def _render_image(renderer: Any, tokens: list[Token], index: int, options: Any, env: dict[str, Any]) -> str:
    token = tokens[index]
    src = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    if is_remote(src):
        return f'<a class="remote-image" href="{escape(src)}">{escape(alt or src)}</a>'
    resolve = env.get("images")
    return f'<img src="{escape(resolve(unquote(src)) if resolve else src)}" alt="{escape(alt)}">'


def render_text(text: str) -> str:
    """Escape plain text (titles, summaries, grid cells) for HTML."""
    return escape(text, quote=True)


UNSOURCED_MARK = "†"
"""Follows a value the notes' author added (a note's `unsourced:` field): it is not in the note's source."""
UNSOURCED_MEANING = "the notes' author added this value: it is not in the source"
UNSOURCED_HTML = f'<sup class="unsourced" title="{UNSOURCED_MEANING}">{UNSOURCED_MARK}</sup>'
"""The mark as HTML, after the value it marks (cards, the sheet, the grid page)."""
UNSOURCED_NOTE = f"{UNSOURCED_MARK} {UNSOURCED_MEANING[:1].upper()}{UNSOURCED_MEANING[1:]}"
"""The mark's meaning in one line, printed where a mark is shown (under the grid, on a card's back):
a phone shows no hover text."""
UNSOURCED_GROUP_HTML = (
    '<sup class="unsourced" title="the notes\' author added the value this row is grouped by: '
    f'it is not in the source">{UNSOURCED_MARK}</sup>'
)
"""The mark after a name in a grouped table: the value the row is grouped by is the author's addition."""


def mark_unsourced(note: Note, field: str, html: str) -> str:
    """Return a rendered field value, followed by the unsourced mark if the note says the author added it."""
    return f"{html}{UNSOURCED_HTML}" if html and note.is_unsourced(field) else html


def render_reference(reference: Reference) -> str:
    """Render a reference as a link whose text is its label, or its URL."""
    label = reference.label or reference.url
    return f'<a href="{escape(reference.url, quote=True)}">{escape(label)}</a>'


def render_correction(correction: Correction, *, mathjax: bool = False) -> str:
    """Render a correction: what is right first, then the source's wrong words struck out, then the
    reference to check it by. The wrong claim is never shown without its correction."""
    right = render_inline(correction.right, mathjax=mathjax)
    says = render_inline(correction.says.rstrip(" ."), mathjax=mathjax)
    link = render_reference(correction.reference)
    return (
        f'<p class="correction"><b class="correction-mark">Corrected:</b> {right} '
        f'<span class="source-said">(the source says <s>{says}</s>; see {link})</span></p>'
    )


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
    hidden = _cloze_safe(render_expression(expression))
    return (
        f'<span class="formula"><span class="formula-name">{_cloze_safe(escape(name))}</span>'
        f' <span class="eq">=</span> {{{{c1::{hidden}}}}}</span>'
    )


def _cloze_safe(html: str) -> str:
    """Break up the character pairs of Anki's cloze syntax (`{{c1::…::hint}}`) with `<wbr>`, so note text
    cannot form one. (Character references would not do: Anki's editor saves `&#123;` back as `{`.)"""
    for pair in ("{{", "}}", "::"):
        while pair in html:
            html = html.replace(pair, f"{pair[0]}<wbr>{pair[1]}")
    return html


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


_OWN_MATH = re.compile(r'(<(span|div) class="math">)\\[(\[](.*?)\\[)\]](</\2>)', re.DOTALL)
_DELIMITER = re.compile(r"\\(?=[()\[\]])")
_ACTIVE_TEX = re.compile(
    r"\\(?:href|class|style|cssId|data|html|require|unicode|bbox|mmlToken|texttip|mathtip|toggle|action)"
    r"(?![A-Za-z])"
)


def mathjax_safe(html: str) -> str:
    """Return field HTML for Anki, whose MathJax typesets every `\\(…\\)` and `\\[…\\]` in a card (and which
    runs LaTeX on `[latex]…[/latex]`, `[$]…[/$]`: those are split too, see `_broken`), so
    that only the math the renderer wrapped (`<span class="math">`) reaches it, and only without the TeX
    commands that make links, styles or elements or load code (`\\href`, `\\style`, `\\require` …): such
    math is shown as its TeX, and any other delimiter (from a note's text, a label) is split by an element,
    which ends MathJax's run of text. HTML without a backslash or a bracket is returned as it is."""
    if "\\" not in html and "[" not in html:
        return html
    parts, last = [], 0
    for match in _OWN_MATH.finditer(html):
        parts.append(_broken(html[last : match.start()]))
        tex = match[3]
        safe = not _ACTIVE_TEX.search(tex) and not _DELIMITER.search(tex)
        parts.append(match[0] if safe else f"{match[1]}{_broken(tex)}{match[4]}")
        last = match.end()
    parts.append(_broken(html[last:]))
    return "".join(parts)


_TAG = re.compile(r"(<[^>]*>)")
_ANKI_LATEX = re.compile(r"\[(?=(?:latex|/latex|\$\$?|/\$\$?)\])", re.IGNORECASE)


def _broken(html: str) -> str:
    """Split every MathJax delimiter and every tag of Anki's own LaTeX (`[latex]`, `[$]`, `[$$]`: Anki
    would run LaTeX on it) in the text of `html` (never inside a tag) by an element."""
    return "".join(
        piece
        if piece.startswith("<")
        else _ANKI_LATEX.sub("[<span></span>", _DELIMITER.sub("<span>\\\\</span>", piece))
        for piece in _TAG.split(html)
    )
