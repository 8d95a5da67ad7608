"""The sheet's parts joined into one PDF, page after page, with the frame drawn over them.

The parts' PDFs (laid out apart by `cheatdeck.sheet.pdf`) are joined as bytes: each part is read once
(`read_pdf`: its objects, pages, links, outline and named destinations), and the join copies the objects
its pages use, renumbered, streams byte for byte, with no PDF library's parse and write. Each frame page
(title, legend, date and "page x of y", in the margins) becomes a form drawn over its sheet page, with its
own resources. The joined PDF keeps every internal link (a link to another part points at its real target;
a link to a target no part lays out is dropped), only plain links (/URI and /GoTo actions: nothing runs on
opening a page or the document), the outline of every part in order, the frame's metadata and language,
and an identifier derived from the parts. The same parts give the same bytes, whatever was joined before.

A part read keeps the bytes of its objects as the join last wrote them (`PreparedPdf.written`): `watch`
joins an edit by writing again only the parts whose objects moved.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cheatdeck.errors import TemplateProblem


class BadPdf(ValueError):
    """A PDF the join cannot read (not what WeasyPrint or a PDF writer makes, or damaged)."""


class Name(bytes):
    """A PDF name, as written (`/Type`)."""


class Token(bytes):
    """A number, `true`, `false` or `null`, as written."""


class String(bytes):
    """A PDF string, as written (`(…)` or `<…>`); `text` is what it says."""

    @property
    def text(self) -> str:
        raw = _hex_bytes(self) if self.startswith(b"<") else _literal_bytes(self)
        if raw.startswith(b"\xfe\xff"):
            return raw[2:].decode("utf-16-be", "replace")
        return raw.decode("latin-1")


class Joined(int):
    """A reference already numbered for the joined PDF."""


class Ref(NamedTuple):
    """A reference to an object: `12 0 R`."""

    number: int
    generation: int


_SPACE = rb"\x00\t\n\x0c\r "
_DELIMITER = rb"()<>\[\]{}/%"
_TOKEN = re.compile(
    rb"(?:[" + _SPACE + rb"]|%[^\r\n]*)*"
    rb"(?:(?P<ref>\d+[" + _SPACE + rb"]+\d+[" + _SPACE + rb"]+R(?![^" + _SPACE + _DELIMITER + rb"]))"
    rb"|(?P<name>/[^" + _SPACE + _DELIMITER + rb"]*)"
    rb"|(?P<open><<|\[)|(?P<close>>>|\])"
    rb"|(?P<hex><[0-9A-Fa-f" + _SPACE + rb"]*>)"
    rb"|(?P<literal>\()"
    rb"|(?P<word>[^" + _SPACE + _DELIMITER + rb"]+))"
)
_WORD = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)|true|false|null")
_PARENTHESIS = re.compile(rb"[\\()]")
_STRING_OR_COMMENT = re.compile(rb"[(%]")
_MAYBE_REFERENCE = re.compile(rb"\d[" + _SPACE + rb"]+R")  # without it, a text has no reference
_REFERENCE = re.compile(
    rb"(?<![^" + _SPACE + rb"()<>\[\]{}])(\d+)[" + _SPACE + rb"]+\d+[" + _SPACE + rb"]+R"
    rb"(?![^" + _SPACE + _DELIMITER + rb"])"
)
_OBJECT = re.compile(rb"[" + _SPACE + rb"]*(\d+)[" + _SPACE + rb"]+(\d+)[" + _SPACE + rb"]+obj")
_STREAM = re.compile(rb"[" + _SPACE + rb"]*stream(?:\r\n|\n)")
_END_STREAM = re.compile(rb"[" + _SPACE + rb"]*endstream")
_XREF_SECTION = re.compile(rb"[" + _SPACE + rb"]*(\d+)[" + _SPACE + rb"]+(\d+)[" + _SPACE + rb"]*[\r\n]")
_XREF_ENTRY = re.compile(rb"[" + _SPACE + rb"]*(\d+)[" + _SPACE + rb"]+(\d+)[" + _SPACE + rb"]+([nf])")
_TRAILER = re.compile(rb"[" + _SPACE + rb"]*trailer")
_START_XREF = re.compile(rb"startxref[" + _SPACE + rb"]+(\d+)")
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|.)", re.DOTALL)
_ESCAPED = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"\n": b"", b"\r": b""}
_DEPTH = 64  # nested arrays and dictionaries: WeasyPrint writes 4 at most
_INFLATED_LIMIT = 256 * 2**20  # bytes a stream the join reads may inflate to
_SAFE_ACTIONS = frozenset({b"/URI", b"/GoTo"})  # what WeasyPrint's links do; nothing else is joined
_NUMBER = rb"([+-]?(?:\d+\.?\d*|\.\d+))"
_DESTINATION_PAIR = re.compile(
    rb"["
    + _SPACE
    + rb"]*(\((?:[^\\()]|\\[^\r\n])*\))["
    + _SPACE
    + rb"]*\[["
    + _SPACE
    + rb"]*(\d+)["
    + _SPACE
    + rb"]+(\d+)["
    + _SPACE
    + rb"]+R["
    + _SPACE
    + rb"]*/XYZ["
    + _SPACE
    + rb"]+"
    + _NUMBER
    + rb"["
    + _SPACE
    + rb"]+"
    + _NUMBER
    + rb"["
    + _SPACE
    + rb"]+"
    + _NUMBER
    + rb"["
    + _SPACE
    + rb"]*\]"
)
"""A named destination's name and place (`(name) [page /XYZ left top zoom]`), as the tokens would read it."""
_OUTLINE_ITEM = re.compile(
    rb"<</Title (\((?:[^\\()]|\\[^\r\n])*\))/Dest \[(\d+) 0 R /XYZ "
    + _NUMBER
    + b" "
    + _NUMBER
    + b" "
    + _NUMBER
    + rb"\]((?:/Count -?\d+|/(?:Prev|First|Last|Next|Parent) \d+ 0 R)*)>>"
)
"""An outline item exactly as WeasyPrint writes one: its title, page, place and links to other items."""
_OUTLINE_LINK = re.compile(rb"/(First|Next) (\d+) 0 R")
_PLAIN_LINK = re.compile(
    rb"<</Type /Annot/Subtype /Link/Rect \[[-+.\d ]*\]/BS <</W 0>>"
    rb"(?:/Dest (\((?:[^\\()]|\\[^\r\n])*\))|/A <</Type /Action/S /URI/URI \((?:[^\\()]|\\[^\r\n])*\)>>)>>"
)
"""A link to a named place or to an address exactly as WeasyPrint writes it (nothing else in it): read
without a parse (group 1: the place's name; None for an address)."""
_HEADER = b"%PDF-1.7\n%\xf0\x9f\x96\xa4\n"
_FRAME = b"/CheatdeckFrame"  # the frame's form, in each page's resources
_FORM_ENTRIES = frozenset({b"/Type", b"/Subtype", b"/BBox", b"/Resources", b"/Matrix"})  # a form's own


def _literal_bytes(token: bytes) -> bytes:
    def unescape(match: re.Match[bytes]) -> bytes:
        code = match[1]
        if code.isdigit():
            return bytes([int(code, 8) & 0xFF])
        return _ESCAPED.get(code, code)

    return _ESCAPE.sub(unescape, token[1:-1])


def _hex_bytes(token: bytes) -> bytes:
    digits = bytes(byte for byte in token[1:-1] if byte not in b"\x00\t\n\x0c\r ")
    return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())


def _literal_end(data: bytes, position: int) -> int:
    """The end of the literal string whose `(` is just before `position`."""
    depth = 1
    while depth:
        found = _PARENTHESIS.search(data, position)
        if found is None:
            raise BadPdf("a string never closed")
        if found[0] == b"\\":
            position = found.end() + 1
            continue
        depth += 1 if found[0] == b"(" else -1
        position = found.end()
    return position


def parse(data: bytes, position: int = 0) -> tuple[Any, int]:
    """Read the PDF value (dictionary, array, name, string, number, reference …) at `position`; return it
    and the position after it."""
    stack: list[list[Any]] = []
    while True:
        token = _TOKEN.match(data, position)
        if token is None or token.lastgroup is None:
            raise BadPdf(f"no PDF value at byte {position}")
        kind, text, position = token.lastgroup, token[token.lastgroup], token.end()
        if kind == "open":
            if len(stack) >= _DEPTH:
                raise BadPdf("values nested too deeply")
            stack.append([text])
            if text == b"[":  # a name tree's leaves, as WeasyPrint writes them: read a pair at once
                while (pair := _DESTINATION_PAIR.match(data, position)) is not None:
                    place = [Ref(int(pair[2]), int(pair[3])), Name(b"/XYZ"), *map(Token, pair.group(4, 5, 6))]
                    stack[-1] += (String(pair[1]), place)
                    position = pair.end()
            continue
        value: Any
        if kind == "close":
            value = _closed(stack, text)
        elif kind == "literal":
            end = _literal_end(data, position)
            value, position = String(data[token.start(kind) : end]), end
        else:
            value = _scalar(kind, text, position)
        if not stack:
            return value, position
        stack[-1].append(value)


def _scalar(kind: str, text: bytes, position: int) -> Any:
    if kind == "ref":
        number, generation, _ = text.split()
        return Ref(int(number), int(generation))
    if kind == "name":
        return Name(text)
    if kind == "hex":
        return String(text)
    if _WORD.fullmatch(text):
        return Token(text)
    raise BadPdf(f"unexpected {text[:20]!r} at byte {position}")


def _closed(stack: list[list[Any]], text: bytes) -> Any:
    if not stack or (stack[-1][0] == b"<<") != (text == b">>"):
        raise BadPdf("unbalanced brackets")
    items = stack.pop()
    if items[0] == b"[":
        return items[1:]
    keys, values = items[1::2], items[2::2]
    if len(keys) != len(values) or not all(isinstance(key, Name) for key in keys):
        raise BadPdf("a dictionary whose keys are not names")
    return dict(zip(keys, values, strict=True))


def write(value: Any, numbers: Mapping[int, int]) -> bytes:
    """The PDF text of a value read by `parse`, its references renumbered (`numbers`: old → new; a
    reference to an object not joined is `null`)."""
    if isinstance(value, Joined):
        return b"%d 0 R" % value
    if isinstance(value, Ref):
        number = numbers.get(value.number)
        return b"null" if number is None else b"%d 0 R" % number
    if isinstance(value, dict):
        inner = b" ".join(key + b" " + write(item, numbers) for key, item in value.items())
        return b"<< " + inner + b" >>"
    if isinstance(value, list):
        return b"[" + b" ".join(write(item, numbers) for item in value) + b"]"
    return bytes(value)


def pdf_string(text: str) -> String:
    """`text` as a PDF string (as WeasyPrint writes one)."""
    try:
        return String(b"(" + re.sub(rb"([\\()])", rb"\\\1", text.encode("ascii")) + b")")
    except UnicodeEncodeError:
        return String(b"<" + (b"\xfe\xff" + text.encode("utf-16-be")).hex().encode() + b">")


def _references(value: Any) -> Iterator[int]:
    if isinstance(value, Ref):
        yield value.number
    elif isinstance(value, dict):
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _integer(value: Any) -> int:
    if not isinstance(value, Token) or not value.lstrip(b"+-").isdigit():
        raise BadPdf(f"not an integer: {bytes(value)[:20]!r}")
    return int(value)


@dataclass
class _Object:
    """An object as the join copies it: its text cut at each reference, and its stream as written."""

    pieces: list[bytes]
    references: list[int]
    stream: bytes | None  # with its dictionary's /Length as it was: the bytes are not changed

    def written(self, numbers: Mapping[int, int]) -> bytes:
        out = [self.pieces[0]]
        for reference, piece in zip(self.references, self.pieces[1:], strict=True):
            number = numbers.get(reference)
            out.append(b"null" if number is None else b"%d 0 R" % number)
            out.append(piece)
        if self.stream is not None:
            out.extend((b"\nstream\n", self.stream, b"\nendstream"))
        return b"".join(out)


def _cut(text: bytes) -> tuple[list[bytes], list[int]]:
    """Cut an object's text at its references (never inside a string or a comment)."""
    if not _MAYBE_REFERENCE.search(text):
        return [text], []
    pieces, references, start = [], [], 0
    spans = [(0, len(text))]
    if _STRING_OR_COMMENT.search(text):
        spans, position = [], 0
        while (found := _STRING_OR_COMMENT.search(text, position)) is not None:
            spans.append((position, found.start()))
            if found[0] == b"(":
                position = _literal_end(text, found.end())
            else:
                end = re.compile(rb"[\r\n]").search(text, found.end())
                position = len(text) if end is None else end.start()
        spans.append((position, len(text)))
    for low, high in spans:
        for match in _REFERENCE.finditer(text, low, high):
            pieces.append(text[start : match.start()])
            references.append(int(match[1]))
            start = match.end()
    pieces.append(text[start:])
    return pieces, references


class _Document:
    """A PDF's objects, read as they are asked for (its cross-reference table or stream, its object
    streams)."""

    def __init__(self, pdf: bytes):
        self.pdf = pdf
        self.offsets: dict[int, int] = {}
        self.packed: dict[int, tuple[int, int]] = {}  # number → (object stream, index)
        self.texts: dict[int, tuple[bytes, bytes | None]] = {}  # number → (text, stream)
        self.values: dict[int, Any] = {}  # number → value, as read
        self.unpacked: dict[int, list[tuple[int, bytes]]] = {}
        self.trailer = self._read_cross_references()

    def _read_cross_references(self) -> dict[bytes, Any]:
        found = list(_START_XREF.finditer(self.pdf, max(0, len(self.pdf) - 1024)))
        if not found:
            raise BadPdf("no startxref")
        offset: int | None = int(found[-1][1])
        trailer: dict[bytes, Any] | None = None
        seen: set[int] = set()
        while offset is not None:
            if offset in seen or len(seen) > 64:
                raise BadPdf("cross-reference sections in a loop")
            seen.add(offset)
            if self.pdf.startswith(b"xref", offset):
                section = self._table(offset + 4)
            else:
                section = self._stream(offset)
            trailer = section if trailer is None else trailer
            previous = section.get(Name(b"/Prev"))
            offset = None if previous is None else _integer(previous)
        assert trailer is not None
        return trailer

    def _table(self, position: int) -> dict[bytes, Any]:
        while (section := _XREF_SECTION.match(self.pdf, position)) is not None:
            first, count = int(section[1]), int(section[2])
            position = section.end()
            for number in range(first, first + count):
                entry = _XREF_ENTRY.match(self.pdf, position)
                if entry is None:
                    raise BadPdf("a cross-reference entry unreadable")
                position = entry.end()
                if entry[3] == b"n" and number not in self.offsets and number not in self.packed:
                    self.offsets[number] = int(entry[1])
        trailer = _TRAILER.match(self.pdf, position)
        if trailer is None:
            raise BadPdf("no trailer")
        value, _ = parse(self.pdf, trailer.end())
        if not isinstance(value, dict):
            raise BadPdf("a trailer that is not a dictionary")
        return value

    def _stream(self, offset: int) -> dict[bytes, Any]:
        value, _, stream = self._at(offset, None)
        if not isinstance(value, dict) or value.get(Name(b"/Type")) != b"/XRef" or stream is None:
            raise BadPdf("startxref leads to no cross-reference")
        widths = [_integer(width) for width in value.get(Name(b"/W"), [])]
        if len(widths) != 3 or min(widths) < 0 or sum(widths) == 0:
            raise BadPdf("cross-reference widths unreadable")
        index = value.get(Name(b"/Index"), [Token(b"0"), value.get(Name(b"/Size"), Token(b"0"))])
        data, row, position = _decoded(value, stream), sum(widths), 0
        for first, count in zip(index[::2], index[1::2], strict=True):
            for number in range(_integer(first), _integer(first) + _integer(count)):
                if position + row > len(data):
                    raise BadPdf("cross-reference stream too short")
                fields, at = [], position
                for width in widths:
                    fields.append(int.from_bytes(data[at : at + width], "big"))
                    at += width
                kind = fields[0] if widths[0] else 1
                position += row
                if number in self.offsets or number in self.packed:
                    continue
                if kind == 1:
                    self.offsets[number] = fields[1]
                elif kind == 2:
                    self.packed[number] = (fields[1], fields[2])
        return value

    def _at(self, offset: int, number: int | None) -> tuple[Any, bytes, bytes | None]:
        header = _OBJECT.match(self.pdf, offset)
        if header is None or (number is not None and int(header[1]) != number):
            raise BadPdf(f"object {number} is not where the cross-reference puts it")
        value, end = parse(self.pdf, header.end())
        text = self.pdf[header.end() : end].strip(b"\x00\t\n\x0c\r ")
        stream = None
        opening = _STREAM.match(self.pdf, end)
        if opening is not None:
            if not isinstance(value, dict):
                raise BadPdf("a stream without a dictionary")
            length = value.get(Name(b"/Length"))
            if isinstance(length, Ref):
                if length.number == number:
                    raise BadPdf("a stream whose length is itself")
                length = self.get(length.number)
            size = _integer(length)
            stream = self.pdf[opening.end() : opening.end() + size]
            if len(stream) != size or not _END_STREAM.match(self.pdf, opening.end() + size):
                raise BadPdf("a stream cut short")
        return value, text, stream

    def load(self, number: int) -> tuple[bytes, bytes | None] | None:
        """Object `number` as written: its text (a stream's: its dictionary) and its stream, if any;
        None where there is none. Its text is not read (`get` reads it)."""
        if number in self.texts:
            return self.texts[number]
        if number in self.offsets:
            self.texts[number] = (b"null", None)  # a guard: an object whose length is itself
            value, text, stream = self._at(self.offsets[number], number)
            self.values[number] = value
        elif number in self.packed:
            container, index = self.packed[number]
            objects = self._unpack(container)
            if index >= len(objects) or objects[index][0] != number:
                raise BadPdf(f"object {number} is not in its object stream")
            text, stream = objects[index][1], None
        else:
            return None
        self.texts[number] = (text, stream)
        return text, stream

    def _unpack(self, container: int) -> list[tuple[int, bytes]]:
        if container not in self.unpacked:
            if container in self.packed or container not in self.offsets:
                raise BadPdf("an object stream that is not one")
            self.unpacked[container] = []  # a guard against a stream holding itself
            value, _, stream = self._at(self.offsets[container], container)
            if not isinstance(value, dict) or stream is None:
                raise BadPdf("an object stream that is not one")
            data = _decoded(value, stream)
            first, count = _integer(value.get(Name(b"/First"))), _integer(value.get(Name(b"/N")))
            numbers = [int(item) for item in data[:first].split()]
            if len(numbers) != 2 * count:
                raise BadPdf("an object stream's table unreadable")
            starts = [first + offset for offset in numbers[1::2]] + [len(data)]
            self.unpacked[container] = [
                (numbers[2 * index], data[starts[index] : starts[index + 1]].strip(b"\x00\t\n\x0c\r "))
                for index in range(count)
            ]
        return self.unpacked[container]

    def get(self, number: int) -> Any:
        """The value of object `number` (a stream's: its dictionary); None where there is none."""
        if number not in self.values:
            loaded = self.load(number)
            if loaded is None:
                return None
            if number not in self.values:
                self.values[number] = parse(loaded[0])[0]
        return self.values[number]

    def resolve(self, value: Any) -> Any:
        return self.get(value.number) if isinstance(value, Ref) else value

    def copied(self, number: int) -> _Object | None:
        loaded = self.load(number)
        if loaded is None:
            return None
        pieces, references = _cut(loaded[0])
        return _Object(pieces, references, loaded[1])


def _decoded(value: dict[bytes, Any], stream: bytes) -> bytes:
    """A stream's data, inflated (the only filter the join reads; WeasyPrint writes no other)."""
    method = value.get(Name(b"/Filter"))
    if method is None:
        return stream
    if method not in (b"/FlateDecode", [b"/FlateDecode"]) or Name(b"/DecodeParms") in value:
        raise BadPdf("a stream the join cannot read")
    inflate = zlib.decompressobj()
    data = inflate.decompress(stream, _INFLATED_LIMIT)
    if inflate.unconsumed_tail:
        raise BadPdf("a stream inflating beyond the limit")
    return data


@dataclass(frozen=True)
class _Page:
    """One page: its object number, its entries (inherited ones included), resources and contents."""

    number: int
    entries: dict[bytes, Any]  # but /Type, /Parent, /Annots, /AA, /Contents and /Resources
    resources: dict[bytes, Any]  # its /XObject made direct
    contents: list[Any]
    links: list[tuple[Any, str | None]]  # (reference or dictionary, the named target or None)


@dataclass(frozen=True)
class _Item:
    """An outline item: its title, the page and place it goes to, and the items under it."""

    title: Any
    page: int
    left: Any
    top: Any
    children: list[_Item]


@dataclass
class PreparedPdf:
    """A PDF read for the join: its pages, links, outline and named destinations, the objects its pages
    use, and what in it WeasyPrint never makes (`unsafe`: never joined)."""

    document: _Document
    pages: list[_Page]
    outline: list[_Item]
    destinations: dict[str, tuple[int, Any, Any]]  # name → (page, left, top)
    info: dict[bytes, Any]
    language: Any
    unsafe: list[str]
    objects: dict[int, _Object] = field(default_factory=dict)  # the ones the pages use, as cut
    written: tuple[Any, bytes, list[int]] | None = None  # (first number, bytes, offsets) as last joined


_INHERITED = (b"/Resources", b"/MediaBox", b"/CropBox", b"/Rotate")
_HANDLED = {Name(key) for key in (b"/Type", b"/Parent", b"/Annots", b"/AA", b"/Contents", b"/Resources")}


def read_pdf(pdf: bytes) -> PreparedPdf:
    """Read a PDF for the join; raise `BadPdf` (or another ValueError) where it cannot be read."""
    document = _Document(pdf)
    root = document.resolve(document.trailer.get(Name(b"/Root")))
    if not isinstance(root, dict):
        raise BadPdf("no catalog")
    unsafe = []
    names = document.resolve(root.get(Name(b"/Names")))
    names = names if isinstance(names, dict) else {}
    if Name(b"/OpenAction") in root or Name(b"/AA") in root or Name(b"/JavaScript") in names:
        unsafe.append("it holds an action run on opening")
    pages = [_page(document, page, inherited, unsafe) for page, inherited in _page_tree(document, root)]
    numbers = {page.number: index for index, page in enumerate(pages)}
    destinations = _destinations(document, root, names, numbers)
    outline_root = document.resolve(root.get(Name(b"/Outlines")))
    first = outline_root.get(Name(b"/First")) if isinstance(outline_root, dict) else None
    outline = _outline(document, first, destinations, numbers, set())
    info = document.resolve(document.trailer.get(Name(b"/Info")))
    return PreparedPdf(
        document,
        pages,
        outline,
        destinations,
        info if isinstance(info, dict) else {},
        root.get(Name(b"/Lang")),
        unsafe,
    )


def _page_tree(document: _Document, root: dict[bytes, Any]) -> Iterator[tuple[int, dict[bytes, Any]]]:
    """The page objects in order, each with what it inherits from the tree above it."""
    top = root.get(Name(b"/Pages"))
    if not isinstance(top, Ref):
        raise BadPdf("no page tree")
    pending: list[tuple[int, dict[bytes, Any], int]] = [(top.number, {}, 0)]
    seen: set[int] = set()
    while pending:
        number, inherited, depth = pending.pop()
        node = document.get(number)
        if not isinstance(node, dict) or number in seen or depth > _DEPTH:
            raise BadPdf("a page tree that is not one")
        seen.add(number)
        if node.get(Name(b"/Type")) == b"/Page" or Name(b"/Kids") not in node:
            yield number, inherited
            continue
        below: dict[bytes, Any] = {
            **inherited,
            **{key: node[key] for key in map(Name, _INHERITED) if key in node},
        }
        kids = document.resolve(node[Name(b"/Kids")])
        if not isinstance(kids, list) or not all(isinstance(kid, Ref) for kid in kids):
            raise BadPdf("a page tree that is not one")
        pending.extend((kid.number, below, depth + 1) for kid in reversed(kids))


def _page(document: _Document, number: int, inherited: dict[bytes, Any], unsafe: list[str]) -> _Page:
    own = document.get(number)
    if not isinstance(own, dict):
        raise BadPdf("a page that is not a dictionary")
    page = {**inherited, **own}
    if Name(b"/AA") in page:
        unsafe.append("a page holds an action run on opening it")
    resources = document.resolve(page.get(Name(b"/Resources")))
    resources = dict(resources) if isinstance(resources, dict) else {}
    objects = document.resolve(resources.get(Name(b"/XObject")))
    resources[Name(b"/XObject")] = dict(objects) if isinstance(objects, dict) else {}
    contents = document.resolve(page.get(Name(b"/Contents")))
    contents = contents if isinstance(contents, list) else [page[Name(b"/Contents")]] if contents else []
    if not all(isinstance(content, Ref) for content in contents):
        raise BadPdf("a page's contents that are not streams")
    links: list[tuple[Any, str | None]] = []
    annotations = document.resolve(page.get(Name(b"/Annots")))
    for entry in annotations if isinstance(annotations, list) else []:
        written = document.load(entry.number) if isinstance(entry, Ref) else None
        plain = _PLAIN_LINK.fullmatch(written[0]) if written is not None and written[1] is None else None
        if plain is not None:  # a link to a named place, as WeasyPrint writes every one: read at once
            links.append((entry, None if plain[1] is None else String(plain[1]).text))
            continue
        annotation = document.resolve(entry)
        if not isinstance(annotation, dict) or not harmless(annotation, document):
            unsafe.append("a page holds an annotation WeasyPrint does not make")
            continue
        links.append((entry, _link_name(annotation, document)))
    entries = {key: value for key, value in page.items() if key not in _HANDLED}
    return _Page(number, entries, resources, contents, links)


def harmless(annotation: dict[bytes, Any], document: _Document) -> bool:
    """True for a link that goes to a place in the sheet or to an address, and does nothing else."""
    if annotation.get(Name(b"/Subtype")) != b"/Link" or Name(b"/AA") in annotation:
        return False
    action = document.resolve(annotation.get(Name(b"/A")))
    if action is None:
        return True
    return (
        isinstance(action, dict) and action.get(Name(b"/S")) in _SAFE_ACTIONS and Name(b"/Next") not in action
    )


def _link_name(annotation: dict[bytes, Any], document: _Document) -> str | None:
    """The named destination an internal link goes to; None for anything else."""
    target = annotation.get(Name(b"/Dest"))
    action = document.resolve(annotation.get(Name(b"/A")))
    if target is None and isinstance(action, dict) and action.get(Name(b"/S")) == b"/GoTo":
        target = action.get(Name(b"/D"))
    target = document.resolve(target)
    return target.text if isinstance(target, String) else None


def _destinations(
    document: _Document, root: dict[bytes, Any], names: dict[bytes, Any], pages: Mapping[int, int]
) -> dict[str, tuple[int, Any, Any]]:
    """The named destinations that go to a page of this PDF: name → (page object, left, top)."""
    found: dict[str, tuple[int, Any, Any]] = {}
    pairs: list[tuple[Any, Any]] = []
    old_style = document.resolve(root.get(Name(b"/Dests")))
    if isinstance(old_style, dict):
        pairs.extend((String(b"(" + key[1:] + b")"), value) for key, value in old_style.items())
    tree = document.resolve(names.get(Name(b"/Dests")))
    pending: list[dict[bytes, Any]] = [tree] if isinstance(tree, dict) else []
    seen: set[int] = set()
    while pending:
        node = pending.pop()
        if id(node) in seen or len(seen) > 100_000:
            raise BadPdf("a name tree that is not one")
        seen.add(id(node))
        leaves = document.resolve(node.get(Name(b"/Names")))
        if isinstance(leaves, list):
            pairs.extend(zip(leaves[::2], leaves[1::2], strict=False))
        kids = document.resolve(node.get(Name(b"/Kids")))
        for kid in reversed(kids) if isinstance(kids, list) else []:
            child = document.resolve(kid)
            if isinstance(child, dict):
                pending.append(child)
    for written_key, value in pairs:
        key = document.resolve(written_key)
        target = _place(document, value, pages)
        if isinstance(key, String) and target is not None:
            found[key.text] = target
    return found


def _place(document: _Document, value: Any, pages: Mapping[int, int]) -> tuple[int, Any, Any] | None:
    """(page object, left, top) of an explicit destination; None where it is not one to a page here."""
    value = document.resolve(value)
    if isinstance(value, dict):
        value = document.resolve(value.get(Name(b"/D")))
    if not isinstance(value, list) or not value or not isinstance(value[0], Ref):
        return None
    if value[0].number not in pages:
        return None
    xyz = len(value) >= 4 and value[1] == b"/XYZ"
    left, top = (value[2], value[3]) if xyz else (Token(b"null"), Token(b"null"))
    if not all(isinstance(place, Token) for place in (left, top)):
        raise BadPdf("a destination whose place is not numbers")
    return value[0].number, left, top


def _outline(
    document: _Document,
    reference: Any,
    destinations: Mapping[str, tuple[int, Any, Any]],
    pages: Mapping[int, int],
    seen: set[int],
    depth: int = 0,
) -> list[_Item]:
    """The items from `reference` on, in order, each with those under it (an item whose place is not a
    page of this PDF is left out). `seen`: the items read so far (an outline in a loop is refused)."""
    items: list[_Item] = []
    while isinstance(reference, Ref):
        if reference.number in seen or depth > _DEPTH:
            raise BadPdf("an outline in a loop, or nested too deeply")
        seen.add(reference.number)
        title, place, first, reference = _outline_item(document, reference.number, destinations, pages)
        children = _outline(document, first, destinations, pages, seen, depth + 1)
        if place is not None and title is not None:
            items.append(_Item(title, *place, children))
    return items


def _outline_item(
    document: _Document,
    number: int,
    destinations: Mapping[str, tuple[int, Any, Any]],
    pages: Mapping[int, int],
) -> tuple[String | None, tuple[int, Any, Any] | None, Any, Any]:
    """An outline item's title, place, first item under it and next item."""
    loaded = document.load(number)
    plain = _OUTLINE_ITEM.fullmatch(loaded[0]) if loaded is not None and loaded[1] is None else None
    if plain is not None:  # as WeasyPrint writes every one: read without a parse
        links = {key: Ref(int(value), 0) for key, value in _OUTLINE_LINK.findall(plain[6])}
        page = int(plain[2])
        place = (page, Token(plain[3]), Token(plain[4])) if page in pages else None
        return String(plain[1]), place, links.get(b"First"), links.get(b"Next")
    item = document.get(number)
    if not isinstance(item, dict):
        raise BadPdf("an outline item that is not one")
    target = document.resolve(item.get(Name(b"/Dest")))
    action = document.resolve(item.get(Name(b"/A")))
    if target is None and isinstance(action, dict) and action.get(Name(b"/S")) == b"/GoTo":
        target = document.resolve(action.get(Name(b"/D")))
    place = destinations.get(target.text) if isinstance(target, String) else None
    title = document.resolve(item.get(Name(b"/Title")))
    return (
        title if isinstance(title, String) else None,
        place or _place(document, target, pages),
        item.get(Name(b"/First")),
        item.get(Name(b"/Next")),
    )


class _Writer:
    """The joined PDF, object after object, numbered in order."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = [_HEADER]
        self.size = len(_HEADER)
        self.offsets: list[int] = []

    def add(self, body: bytes) -> int:
        self.offsets.append(self.size)
        chunk = b"%d 0 obj\n%s\nendobj\n" % (len(self.offsets), body)
        self.chunks.append(chunk)
        self.size += len(chunk)
        return len(self.offsets)

    def add_written(self, chunk: bytes, offsets: list[int]) -> None:
        """Objects written before, numbered from the next number on (`offsets` within `chunk`)."""
        self.offsets.extend(self.size + offset for offset in offsets)
        self.chunks.append(chunk)
        self.size += len(chunk)

    def finish(self, root: int, info: int, identifier: bytes) -> bytes:
        table = [b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.offsets) + 1)]
        table.extend(b"%010d 00000 n \n" % offset for offset in self.offsets)
        hexadecimal = identifier.hex().encode()
        trailer = b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n" % (
            len(self.offsets) + 1,
            root,
            info,
            hexadecimal,
            hexadecimal,
        )
        return b"".join((*self.chunks, *table, trailer, b"startxref\n%d\n%%%%EOF\n" % self.size))


def _stream(dictionary: dict[bytes, Any], data: bytes, numbers: Mapping[int, int]) -> bytes:
    entries = {key: value for key, value in dictionary.items() if key != b"/Length"}
    entries[Name(b"/Length")] = Token(b"%d" % len(data))
    return write(entries, numbers) + b"\nstream\n" + data + b"\nendstream"


@dataclass
class _Part:
    """A part as this join writes it: its pages' numbers, its objects' first number, the links kept."""

    read: PreparedPdf
    pages: dict[int, int]  # page object in the part → in the joined PDF
    owned: frozenset[str]  # the anchors it lays out itself (not its stand-ins for other parts' targets)
    first: int = 0
    dropped: frozenset[tuple[int, int]] = frozenset()  # the indexes (page, link) of links to nowhere
    used: list[int] = field(default_factory=list)  # its objects copied, in order

    def numbers(self) -> dict[int, int]:
        return {**self.pages, **{old: self.first + index for index, old in enumerate(self.used)}}


def join_parts(
    parts: Sequence[bytes],
    frame_for: Callable[[int], bytes],
    owned: Sequence[frozenset[str]],
    parsed: dict[bytes, PreparedPdf] | None = None,
    continues: Sequence[bool | int] = (),
) -> tuple[bytes, int]:
    """Join the parts' PDFs page after page, draw the frame's pages (`frame_for(page count)`) over
    them, and keep the links, the outline (each part's in turn), the frame's metadata and a
    reproducible identifier. Return the PDF and its page count. The PDFs read are taken from and kept in
    `parsed` (each keeps its objects as this join wrote them, to be copied again as they are). A part
    that `continues` the section of the part before (a page of the notes, `cheatdeck.sheet.flow`) puts
    the entries its outline starts with that head nothing (its notes) under that section's entry."""
    parsed = {} if parsed is None else parsed
    prepared = [_read_once(part, parsed) for part in parts]
    count = sum(len(part.pages) for part in prepared)
    frame_pdf = frame_for(count)
    frame = _read_once(frame_pdf, parsed)
    if len(frame.pages) != count:  # the template's frame shows more than its pages
        raise TemplateProblem(
            f"sheet.html.j2: the frame laid out {len(frame.pages)} page(s) over a sheet of "
            f"{count}: with `frame`, the template and sheet.css may show only `frame_pages`"
        )
    laid_out = {  # the anchors a part lays out itself (an anchor hidden by CSS has no destination)
        name
        for part, names in zip(prepared, owned, strict=True)
        for name in part.destinations
        if name in names
    }
    digest = hashlib.sha256(b"".join(hashlib.sha256(pdf).digest() for pdf in (*parts, frame_pdf)))
    return _write(prepared, owned, frame, laid_out, digest.digest()[:16], continues), count


def _write(
    prepared: list[PreparedPdf],
    owned: Sequence[frozenset[str]],
    frame: PreparedPdf,
    laid_out: set[str],
    identifier: bytes,
    continues: Sequence[bool | int] = (),
) -> bytes:
    """Number every object of the joined PDF, then write them in order: the catalog, the page tree, the
    metadata and the `q` opening each page (1 to 4), the pages, each part's objects, the frame's, the
    frame's forms, what ends each page, the outline."""
    number = 5
    parts = []
    for read, anchors in zip(prepared, owned, strict=True):
        pages = {page.number: number + index for index, page in enumerate(read.pages)}
        parts.append(_Part(read, pages, anchors))
        number += len(read.pages)
    for part in (*parts, frame_part := _Part(frame, {}, frozenset())):
        part.dropped = frozenset(
            (index, link)
            for index, page in enumerate(part.read.pages)
            for link, (_, name) in enumerate(page.links)
            if name is not None and name not in laid_out
        )
        part.first, part.used = number, _used_by(part, contents=part is not frame_part)
        number += len(part.used)
    forms: list[list[tuple[int, Ref]]] = []  # per page: (form number, its content stream)
    for page in frame.pages:
        forms.append([(number + index, content) for index, content in enumerate(page.contents)])
        number += len(page.contents)
    ends = list(_page_ends(parts, forms))
    endings = {ending: number + index for index, ending in enumerate(dict.fromkeys(ends))}
    outline = _outline_numbers(parts, number + len(endings))
    writer = _Writer()
    writer.add(_catalog(parts, frame, outline))
    kids = b" ".join(b"%d 0 R" % kid for part in parts for kid in part.pages.values())
    writer.add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(ends)))
    writer.add(_info(frame))
    writer.add(_stream({}, b"q\n", {}))
    ahead = iter(zip(forms, ends, strict=True))
    for part in parts:
        numbers = part.numbers()
        for index, page in enumerate(part.read.pages):
            page_forms, ending = next(ahead)
            writer.add(_page_written(part, index, page, numbers, page_forms, endings[ending]))
    for part in (*parts, frame_part):
        _copy(writer, part)
    _write_forms(writer, frame_part, forms)
    for ending in endings:
        writer.add(_stream({}, ending, {}))
    for body in _outline_written(parts, outline, continues):
        writer.add(body)
    return writer.finish(1, 3, identifier)


def _write_forms(writer: _Writer, frame: _Part, forms: list[list[tuple[int, Ref]]]) -> None:
    """Each frame page's contents as a form: its stream as it was, its own resources and size."""
    numbers = frame.numbers()
    for page, page_forms in zip(frame.read.pages, forms, strict=True):
        box = page.entries.get(Name(b"/MediaBox"))
        if box is None:
            raise BadPdf("a frame page without a size")
        for _, content in page_forms:
            loaded = frame.read.document.load(content.number)
            stream = frame.read.document.get(content.number)
            if loaded is None or loaded[1] is None or not isinstance(stream, dict):
                raise BadPdf("a frame page whose contents are not a stream")
            dictionary = {key: value for key, value in stream.items() if key not in _FORM_ENTRIES}
            dictionary[Name(b"/Type")], dictionary[Name(b"/Subtype")] = Name(b"/XObject"), Name(b"/Form")
            dictionary[Name(b"/BBox")], dictionary[Name(b"/Resources")] = box, page.resources
            writer.add(_stream(dictionary, loaded[1], numbers))


def _used_by(part: _Part, contents: bool = True) -> list[int]:
    """The objects of a part its pages use (a part's: with its contents and the links kept), in order."""
    roots: list[Any] = []
    for index, page in enumerate(part.read.pages):
        roots.extend((page.entries, page.resources))
        if contents:
            roots.append(page.contents)
            roots.extend(link for at, (link, _) in enumerate(page.links) if (index, at) not in part.dropped)
    found, pending = set(), [number for root in roots for number in _references(root)]
    objects, document = part.read.objects, part.read.document
    while pending:
        number = pending.pop()
        if number in found or number in part.pages:
            continue
        if number not in objects:
            copied = document.copied(number)
            if copied is None:
                continue
            objects[number] = copied
        found.add(number)
        pending.extend(objects[number].references)
    return sorted(found)


def _copy(writer: _Writer, part: _Part) -> None:
    """Write a part's objects; as written by the last join where that is the same bytes."""
    key = (part.first, tuple(part.pages.values()), part.dropped)
    if part.read.written is not None and part.read.written[0] == key:
        writer.add_written(*part.read.written[1:])
        return
    numbers, start, size = part.numbers(), len(writer.chunks), writer.size
    for old in part.used:
        writer.add(part.read.objects[old].written(numbers))
    offsets = [offset - size for offset in writer.offsets[len(writer.offsets) - len(part.used) :]]
    part.read.written = (key, b"".join(writer.chunks[start:]), offsets)


def _page_ends(parts: list[_Part], forms: list[list[tuple[int, Ref]]]) -> Iterator[bytes]:
    """What ends each page: its own graphics state restored, then the frame's forms drawn."""
    pages = (page for part in parts for page in part.read.pages)
    for page, page_forms in zip(pages, forms, strict=True):
        yield b"\nQ\n" + b"".join(
            b"q %s Do Q\n" % _form_name(page, index) for index in range(len(page_forms))
        )


def _form_name(page: _Page, index: int) -> bytes:
    """The name of the frame's form in the page's resources (one the page does not use itself)."""
    name = _FRAME + (b"%d" % index if index else b"")
    while name in page.resources[Name(b"/XObject")]:
        name += b"x"
    return name


def _page_written(
    part: _Part, index: int, page: _Page, numbers: Mapping[int, int], forms: list[tuple[int, Ref]], end: int
) -> bytes:
    resources = dict(page.resources)
    objects = dict(resources[Name(b"/XObject")])
    for at, (form, _) in enumerate(forms):
        objects[Name(_form_name(page, at))] = Joined(form)
    resources[Name(b"/XObject")] = objects
    links = [link for at, (link, _) in enumerate(page.links) if (index, at) not in part.dropped]
    entries: dict[bytes, Any] = {Name(b"/Type"): Name(b"/Page"), Name(b"/Parent"): Joined(2)}
    entries.update(page.entries)
    entries[Name(b"/Resources")] = resources
    entries[Name(b"/Contents")] = [Joined(4), *page.contents, Joined(end)]
    if links:
        entries[Name(b"/Annots")] = links
    return write(entries, numbers)


def _catalog(parts: list[_Part], frame: PreparedPdf, outline: list[int]) -> bytes:
    destinations: dict[str, bytes] = {}
    for part in parts:
        for name, (page, left, top) in part.read.destinations.items():
            if name in part.owned:  # not a stand-in for another part's target
                destinations[name] = b"[%d 0 R /XYZ %s %s 0]" % (part.pages[page], left, top)
    names = b" ".join(
        pdf_string(name) + b" " + destinations[name]
        for name in sorted(destinations, key=lambda text: text.encode())
    )
    catalog = b"<< /Type /Catalog /Pages 2 0 R"
    if outline:
        catalog += b" /Outlines %d 0 R" % outline[0]
    catalog += b" /Names << /Dests << /Names [%s] >> >>" % names
    if frame.language is not None:
        catalog += b" /Lang " + write(frame.language, {})
    return catalog + b" >>"


def _info(frame: PreparedPdf) -> bytes:
    """The frame's metadata (title, author, dates …), naming the join in /Producer."""
    entries = dict(frame.info)
    producer = entries.get(Name(b"/Producer"))
    made_by = producer.text if isinstance(producer, String) else "WeasyPrint"
    entries[Name(b"/Producer")] = pdf_string(f"{made_by}, parts joined by cheatdeck")
    return write(entries, {})


def _outline_numbers(parts: list[_Part], first: int) -> list[int]:
    """The outline's numbers: its root, then its items in order (none where no part has one)."""
    count = sum(_size(part.read.outline) for part in parts)
    return list(range(first, first + count + 1)) if count else []


def _nodes(nodes: list[_Node]) -> int:
    return sum(1 + _nodes(children) for _, _, children in nodes)


def _size(items: list[_Item]) -> int:
    return sum(1 + _size(item.children) for item in items)


_Node = tuple[_Part, _Item, list[Any]]  # an outline item, with the part it points into and its children


def _outline_tree(parts: list[_Part], continues: Sequence[bool | int]) -> list[_Node]:
    """Each part's outline in turn; a part that continues a section puts its leading entries that head
    nothing under the last entry at the top that does (`continues[i]` a count, not True: that many of
    its leading entries, for a part whose first heading heads nothing either, as References)."""

    def node(part: _Part, item: _Item) -> _Node:
        return (part, item, [node(part, child) for child in item.children])

    top: list[_Node] = []
    for index, part in enumerate(parts):
        items = list(part.read.outline)
        leading = continues[index] if index < len(continues) else False
        if leading and top and top[-1][2]:
            for _ in range(len(items) if leading is True else leading):
                if not items or (leading is True and items[0].children):
                    break
                top[-1][2].append(node(part, items.pop(0)))
        top += [node(part, item) for item in items]
    return top


def _outline_written(
    parts: list[_Part], numbers: list[int], continues: Sequence[bool | int] = ()
) -> list[bytes]:
    """The outline's objects: the root, then each part's items in turn, every item open."""
    if not numbers:
        return []
    bodies: dict[int, bytes] = {}
    top = _outline_tree(parts, continues)
    counter = iter(numbers[1:])
    bodies[numbers[0]] = _level(top, numbers[0], counter, bodies, root=True)
    return [bodies[number] for number in numbers]


def _level(
    items: list[_Node],
    parent: int,
    counter: Iterator[int],
    bodies: dict[int, bytes],
    root: bool,
) -> bytes:
    """Number and write `items` (under `parent`); return the parent's own entries."""
    numbers = [next(counter) for _ in items]
    for at, ((part, item, children), number) in enumerate(zip(items, numbers, strict=True)):
        entries = b"/Title %s /Parent %d 0 R /Dest [%d 0 R /XYZ %s %s 0]" % (
            item.title,
            parent,
            part.pages[item.page],
            item.left,
            item.top,
        )
        if at:
            entries += b" /Prev %d 0 R" % numbers[at - 1]
        if at + 1 < len(numbers):
            entries += b" /Next %d 0 R" % numbers[at + 1]
        entries += _level(children, number, counter, bodies, root=False)
        bodies[number] = b"<< " + entries + b" >>"
    if not items:
        return b""
    count = len(items) + sum(_nodes(children) for _, _, children in items)
    own = b" /First %d 0 R /Last %d 0 R /Count %d" % (numbers[0], numbers[-1], count)
    return b"<< /Type /Outlines" + own + b" >>" if root else own


def _read_once(pdf: bytes, parsed: dict[bytes, PreparedPdf]) -> PreparedPdf:
    if pdf not in parsed:
        parsed[pdf] = read_pdf(pdf)
    return parsed[pdf]
