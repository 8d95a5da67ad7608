"""Turn an HTML page into Markdown with a real HTML5 parser (tinyhtml5, which WeasyPrint already uses).

Headings, paragraphs, nested lists, tables, code blocks, quotes, links and images become their Markdown
forms; scripts, styles, drawings (`<svg>`, with whatever they hold) and a heading's own anchor links
(`<a class="anchor-link">¶</a>`) are dropped. A link keeps its address only if it goes to the web or to a
mail address (`javascript:`, `data:`, `file:` … keep their words only); an image only if it is on the web
or a relative path. A page nested deeper than `DEEPEST_NESTING` elements is refused before it is parsed
(the parser takes quadratic time on it, and the converter recurses).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element

_BLOCKS = {"p", "div", "section", "article", "main", "header", "aside", "figure", "body"}
# Page furniture (navigation, footers) and what never shows as text.
_SKIPPED = {
    "script",
    "style",
    "noscript",
    "template",
    "head",
    "title",
    "meta",
    "link",
    "button",
    "svg",
    "nav",
}
_SKIPPED |= {"footer", "form", "iframe"}
_OTHER_BLOCKS = {"ul", "ol", "pre", "table", "blockquote", "hr", "dl"}
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_SPACE = re.compile(r"\s+")
DEEPEST_NESTING = 200
_LINK_SCHEMES = ("http", "https", "mailto")
_IMAGE_SCHEMES = ("http", "https")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")  # browsers drop these before reading a scheme
# Elements whose end tag may be left out (the parser closes them): they do not count towards nesting.
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source"}
_VOID |= {"track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead"}
_VOID |= {"tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rp", "rtc", "frame", "keygen"}
_RAW_TEXT = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style|textarea|title|xmp|noscript|iframe|noembed|noframes)\b[^>]*>.*?(?:</\1\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_TAG = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)[^>]*?(/?)>")


class TooDeep(ValueError):
    """A page nests elements deeper than `DEEPEST_NESTING`; `line` is where that depth is reached."""

    def __init__(self, line: int) -> None:
        self.line = line
        super().__init__(f"elements nested deeper than {DEEPEST_NESTING}")


_ESCAPED = re.compile(r"([\\`*\[\]])")


def html_to_markdown(html: str, left_out: list[str] | None = None) -> str:
    """Return the Markdown form of an HTML document or fragment; add to `left_out` each link and image
    address dropped for its scheme (`javascript:`, `data:` …)."""
    import tinyhtml5

    _check_nesting(html)
    root = tinyhtml5.parse(html, namespace_html_elements=False)
    _check_tree_depth(root)
    if left_out is not None:
        left_out += _refused_addresses(root)
    body = root.find("body")
    blocks = list(_blocks(body if body is not None else root))
    text = "\n\n".join(block for block in blocks if block.strip())
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _check_nesting(html: str) -> None:
    """Raise `TooDeep` if the page's tags nest deeper than allowed (counted as a parser would, roughly:
    end tags close what they name, elements whose end tag is optional do not count, and `<x/>` closes
    itself only inside a drawing or a formula, as in HTML)."""
    text = _RAW_TEXT.sub(lambda match: "\n" * match[0].count("\n"), html)
    stack: list[str] = []
    for match in _TAG.finditer(text):
        name = match[2].lower()
        if match[1]:
            if name in stack:
                del stack[len(stack) - 1 - stack[::-1].index(name) :]
        elif name not in _VOID and not (match[3] and ("svg" in stack or "math" in stack)):
            stack.append(name)
            if len(stack) > DEEPEST_NESTING:
                raise TooDeep(text.count("\n", 0, match.start()) + 1)


def _check_tree_depth(root: Element) -> None:
    """Raise `TooDeep` if the parsed tree is deeper than allowed (the converter walks it recursively)."""
    level: list[tuple[Element, int]] = [(root, 1)]
    while level:
        element, depth = level.pop()
        if depth > DEEPEST_NESTING:
            raise TooDeep(1)
        level += [(child, depth + 1) for child in element]


def _refused_addresses(root: Element) -> list[str]:
    """Return the link and image addresses of the page that the Markdown leaves out for their scheme."""
    refused = []
    for element in root.iter():
        tag, href, src = _tag(element), element.get("href") or "", element.get("src") or ""
        if tag == "a" and href and not _allowed(href, _LINK_SCHEMES):
            refused.append(f"link {_short(href)}")
        elif tag == "img" and src and not _allowed(src, _IMAGE_SCHEMES):
            refused.append(f"image {_short(src)}")
    return refused


def _short(url: str) -> str:
    text = _IGNORED_IN_URLS.sub(" ", url).strip()
    return text if len(text) <= 40 else f"{text[:40]}…"


def _tag(element: Element) -> str:
    """Return an element's name without its namespace (`<svg>` and its children are in SVG's)."""
    if not isinstance(element.tag, str):
        return ""
    return element.tag.rpartition("}")[2].lower()


def _blocks(element: Element) -> Iterator[str]:
    """Yield the Markdown blocks inside `element`, in order."""
    inline: list[str] = [_text(element.text)]
    for child in element:
        tag = _tag(child)
        if tag in _SKIPPED:
            inline.append(_text(child.tail))
            continue
        if tag in _HEADINGS or tag in _BLOCKS or tag in _OTHER_BLOCKS:
            yield _join_inline(inline)
            inline = []
            yield from _block(child, tag)
            inline.append(_text(child.tail))
        else:
            inline.append(_inline(child))
            inline.append(_text(child.tail))
    yield _join_inline(inline)


def _block(element: Element, tag: str) -> Iterator[str]:
    if tag in _HEADINGS:
        yield f"{'#' * _HEADINGS[tag]} {_inline_children(element).strip()}"
    elif tag in ("ul", "ol"):
        yield _list(element, ordered=tag == "ol")
    elif tag == "pre":
        yield _code_block(element)
    elif tag == "table":
        yield _table(element)
    elif tag == "blockquote":
        quoted = "\n\n".join(block for block in _blocks(element) if block.strip())
        yield "\n".join(f"> {line}" if line else ">" for line in quoted.split("\n"))
    elif tag == "hr":
        yield "---"
    elif tag == "dl":
        yield from _definitions(element)
    else:
        yield from _blocks(element)


def _list(element: Element, ordered: bool) -> str:
    lines = []
    number = 1
    for item in element:
        if _tag(item) != "li":
            continue
        marker = f"{number}. " if ordered else "- "
        number += 1
        content = "\n\n".join(block for block in _blocks(item) if block.strip()) or ""
        first, *rest = content.split("\n") if content else [""]
        lines.append(f"{marker}{first}")
        lines += [f"{' ' * len(marker)}{line}" if line else "" for line in rest]
    return "\n".join(lines)


def _definitions(element: Element) -> Iterator[str]:
    """Yield a definition list's blocks: a term with its one short definition as one paragraph,
    "**Term**: definition" (as a guide written in Markdown defines a term); else the term in bold, then
    each definition."""
    children = [child for child in element if _tag(child) in ("dt", "dd")]
    joined: set[int] = set()
    for index, child in enumerate(children):
        if index in joined:
            continue
        text = _inline_children(child).strip()
        if _tag(child) == "dd":
            yield text
            continue
        following = children[index + 1 : index + 3]
        if (
            following
            and _tag(following[0]) == "dd"
            and (len(following) == 1 or _tag(following[1]) == "dt")
            and not any(_tag(inner) in _DEFINITION_BLOCKS for inner in following[0].iter())
        ):
            meaning = " ".join(_inline_children(following[0]).split())
            if text and meaning and "\n" not in text:
                joined.add(index + 1)
                yield f"**{text}**: {meaning}"
                continue
        yield f"**{text}**"


_DEFINITION_BLOCKS = {"p", "div", "ul", "ol", "table", "pre", "blockquote", "dl", "h1", "h2", "h3", "h4"}


def _code_block(element: Element) -> str:
    code = element.find("code")
    source = code if code is not None else element
    text = "".join(source.itertext()).strip("\n")
    classes = (source.get("class") or "").split()
    language = next((c.split("-", 1)[1] for c in classes if c.startswith(("language-", "lang-"))), "")
    fence = "````" if "```" in text else "```"
    return f"{fence}{language}\n{text}\n{fence}"


def _table(element: Element) -> str:
    rows = [row for row in element.iter() if _tag(row) == "tr"]
    cells = [
        [_inline_children(cell).strip().replace("|", "\\|") for cell in row if _tag(cell) in ("td", "th")]
        for row in rows
    ]
    cells = [row for row in cells if row]
    if not cells:
        return ""
    width = max(len(row) for row in cells)
    cells = [row + [""] * (width - len(row)) for row in cells]
    lines = [f"| {' | '.join(cells[0])} |", f"|{'---|' * width}"]
    lines += [f"| {' | '.join(row)} |" for row in cells[1:]]
    return "\n".join(lines)


def _inline(element: Element) -> str:
    tag = _tag(element)
    if tag in _SKIPPED:
        return ""
    if tag == "br":
        return "\\\n"
    if tag == "img":
        return _image(element)
    text = _inline_children(element)
    if tag == "a":
        return _link(element, text)
    if not text.strip():
        return text
    return _styled(tag, element, text)


def _image(element: Element) -> str:
    """Return an image as Markdown with its alt text; nothing if it has no source."""
    src = element.get("src") or ""
    alt = _SPACE.sub(" ", element.get("alt") or "").strip()
    if not src or not _allowed(src, _IMAGE_SCHEMES):
        return ""
    path = _url(src).replace("(", "%28").replace(")", "%29")
    return f"![{_escape(alt)}]({path})"


def _link(element: Element, text: str) -> str:
    """Return a link as Markdown: an autolink when it shows its URL, its text alone when it goes nowhere."""
    href = element.get("href") or ""
    if "anchor-link" in (element.get("class") or "") or (not text.strip() and href.startswith("#")):
        return ""
    if not href or href.startswith("#") or not _allowed(href, _LINK_SCHEMES):
        return text
    if "".join(element.itertext()).strip() == href.strip() and " " not in href.strip():
        return f"<{href.strip()}>"
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # an image in a link: its alt text
    return f"[{text.strip() or _escape(href)}]({_url(href)})"


_MARKS = {"strong": "**", "b": "**", "em": "*", "i": "*", "del": "~~", "s": "~~", "strike": "~~"}


def _styled(tag: str, element: Element, text: str) -> str:
    """Return inline text with the Markdown of its element: bold, italic, code or struck through."""
    if tag in _MARKS:
        return _wrap(text, _MARKS[tag])
    if tag in ("code", "kbd", "samp", "tt"):
        code = "".join(element.itertext())
        fence = "``" if "`" in code else "`"
        return f"{fence}{code}{fence}"
    return text


def _wrap(text: str, mark: str) -> str:
    """Wrap text in emphasis marks, keeping surrounding spaces outside (CommonMark needs that)."""
    stripped = text.strip()
    before = text[: len(text) - len(text.lstrip())]
    after = text[len(text.rstrip()) :]
    return f"{before}{mark}{stripped}{mark}{after}"


def _inline_children(element: Element) -> str:
    parts = [_text(element.text)]
    for child in element:
        parts.append(_inline(child))
        parts.append(_text(child.tail))
    return "".join(parts)


def _join_inline(parts: list[str]) -> str:
    text = "".join(parts)
    return "\n".join(_literal_start(line.strip()) for line in text.split("\n")).strip()


def _literal_start(line: str) -> str:
    """Escape what would make a line of text a heading, list item, quote or rule in Markdown."""
    if re.fullmatch(r"[-=_*\s]{3,}", line):
        return f"\\{line}"
    number = re.match(r"^(\d+)([.)])(\s|$)", line)
    if number:
        return f"{number[1]}\\{line[len(number[1]) :]}"
    return f"\\{line}" if re.match(r"^([#>+-])(\s|$)", line) else line


def _text(text: str | None) -> str:
    return _escape(_SPACE.sub(" ", text)) if text else ""


def _escape(text: str) -> str:
    text = _ESCAPED.sub(r"\\\1", text)
    return re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", text)


def _allowed(url: str, schemes: tuple[str, ...]) -> bool:
    """Return True for a relative URL or one whose scheme is in `schemes` (read as a browser would)."""
    scheme = _SCHEME.match(_IGNORED_IN_URLS.sub("", url))
    return scheme is None or scheme[1].lower() in schemes


def _url(url: str) -> str:
    return url.strip().replace(" ", "%20")
