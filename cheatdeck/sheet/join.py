"""The sheet's parts joined into one PDF, page after page, with the frame drawn over them.

The parts' PDFs (laid out apart by `cheatdeck.sheet.pdf`) are joined with pypdf; the frame's pages (title,
legend, date and "page x of y", in the margins) are merged over them. The joined PDF keeps every internal
link (a link to another part points at its real target; a link to a target no part lays out is dropped),
only plain links (/URI and /GoTo actions: nothing runs on opening a page), the outline of every part in
order, the frame's metadata, and an identifier derived from the parts.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from cheatdeck.errors import TemplateProblem

if TYPE_CHECKING:
    from pypdf import PdfReader, PdfWriter


def join_parts(
    parts: Sequence[bytes],
    frame_for: Callable[[int], bytes],
    owned: Sequence[frozenset[str]],
    parsed: dict[bytes, PdfReader] | None = None,
) -> tuple[bytes, int]:
    """Join the parts' PDFs page after page, draw the frame's pages (`frame_for(page count)`) over
    them, and keep the links, the outline (each part's in turn), the frame's metadata and a
    reproducible identifier. Return the PDF and its page count. The PDFs read are taken from and kept in
    `parsed`, and are not changed: a later join may use them again."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject, DictionaryObject, NameObject

    writer = PdfWriter()
    parsed = {} if parsed is None else parsed
    readers = [_read_once(part, parsed) for part in parts]
    frame = frame_for(sum(len(reader.pages) for reader in readers))
    frame_reader = _read_once(frame, parsed)
    laid_out = {  # the anchors a part lays out itself (an anchor hidden by CSS has no destination)
        name
        for reader, names in zip(readers, owned, strict=True)
        for name in reader.named_destinations
        if name in names
    }
    destinations: dict[str, ArrayObject] = {}
    for reader, names in zip(readers, owned, strict=True):
        first = len(writer.pages)
        for page in reader.pages:
            _add_page(writer, page, laid_out)
        _copy_outline(reader, writer, reader.outline, first, parent=None)
        for name, destination in reader.named_destinations.items():
            number = reader.get_destination_page_number(destination)
            if name in names and number is not None:
                destinations[name] = _xyz(writer.pages[first + number].indirect_reference, destination)
    if len(frame_reader.pages) != len(writer.pages):  # the template's frame shows more than its pages
        raise TemplateProblem(
            f"sheet.html.j2: the frame laid out {len(frame_reader.pages)} page(s) over a sheet of "
            f"{len(writer.pages)}: with `frame`, the template and sheet.css may show only `frame_pages`"
        )
    for page, frame_page in zip(writer.pages, frame_reader.pages, strict=True):
        page.merge_page(frame_page)
        page.compress_content_streams()  # merging leaves them uncompressed
    _set_destinations(writer, destinations)
    metadata: dict[str, Any] = dict(frame_reader.metadata or {})
    metadata["/Producer"] = f"{metadata.get('/Producer', 'WeasyPrint')}, parts joined with pypdf"
    writer.add_metadata(metadata)
    frame_root = cast(DictionaryObject, frame_reader.trailer["/Root"])
    if "/Lang" in frame_root:
        writer.root_object[NameObject("/Lang")] = frame_root["/Lang"]
    digest = hashlib.sha256(b"".join(hashlib.sha256(pdf).digest() for pdf in (*parts, frame))).digest()
    writer._ID = ArrayObject(
        [ByteStringObject(digest[:16]), ByteStringObject(digest[:16])]
    )  # pypdf writes no /ID otherwise
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue(), len(writer.pages)


def _read_once(pdf: bytes, parsed: dict[bytes, PdfReader]) -> PdfReader:
    if pdf not in parsed:
        parsed[pdf] = read_pdf(pdf)
    return parsed[pdf]


def _add_page(writer: PdfWriter, page: Any, laid_out: set[str]) -> None:
    """Add a copy of a part's page to the joined PDF, less its links to nowhere (as WeasyPrint drops them
    in one document) and anything but plain links; the part's page itself is left as it was read."""
    from pypdf.generic import NameObject

    saved = {key: page.raw_get(key) for key in ("/Annots", "/AA") if key in page}
    try:
        _drop_links_to_nowhere(page, laid_out)
        _drop_actions(page)
        writer.add_page(page)
    finally:
        for key in ("/Annots", "/AA"):
            if key in saved:
                page[NameObject(key)] = saved[key]
            elif key in page:
                del page[NameObject(key)]


def _drop_links_to_nowhere(page: Any, targets: set[str]) -> None:
    """Remove the page's links to a named target no part lays out: they lead to a stand-in only (and
    pypdf would name the stand-in's place as their destination)."""
    from pypdf.generic import ArrayObject, NameObject

    if "/Annots" not in page:
        return
    annotations = page["/Annots"].get_object()
    names = [_link_name(annotation.get_object()) for annotation in annotations]
    kept = [link for link, name in zip(annotations, names, strict=True) if name is None or name in targets]
    if len(kept) < len(annotations):
        page[NameObject("/Annots")] = ArrayObject(kept)


def _drop_actions(page: Any) -> None:
    """Remove from a page what could run on opening it: its own actions and any annotation but a plain
    link (WeasyPrint makes none; a forged part might)."""
    from pypdf.generic import ArrayObject, NameObject

    if "/AA" in page:
        del page[NameObject("/AA")]
    if "/Annots" in page:
        annotations = page["/Annots"].get_object()
        kept = [link for link in annotations if harmless(link.get_object())]
        if len(kept) < len(annotations):
            page[NameObject("/Annots")] = ArrayObject(kept)


def _link_name(annotation: Any) -> str | None:
    """The named destination an internal link goes to; None for anything else."""
    if annotation.get("/Subtype") != "/Link":
        return None
    target = annotation.get("/Dest")
    if target is None and "/A" in annotation and annotation["/A"].get("/S") == "/GoTo":
        target = annotation["/A"].get("/D")
    return str(target) if isinstance(target, str) else None


def _copy_outline(
    reader: PdfReader, writer: PdfWriter, items: Sequence[Any], first: int, parent: Any
) -> None:
    """Copy a part's outline under `parent`, its pages shifted by `first`."""
    from pypdf.generic import Fit

    last = None
    for item in items:
        if isinstance(item, list):
            _copy_outline(reader, writer, item, first, last)
            continue
        number = reader.get_destination_page_number(item)
        if number is None:
            continue
        fit = Fit.xyz(float(item.left), float(item.top), 0)
        last = writer.add_outline_item(
            title=str(item.title), page_number=first + number, parent=parent, fit=fit
        )


def _xyz(page: Any, destination: Any) -> Any:
    from pypdf.generic import ArrayObject, FloatObject, NameObject, NumberObject

    return ArrayObject(
        [
            page,
            NameObject("/XYZ"),
            FloatObject(destination.left),
            FloatObject(destination.top),
            NumberObject(0),
        ]
    )


def _set_destinations(writer: PdfWriter, destinations: Mapping[str, Any]) -> None:
    """Write the named destinations as one sorted name tree (each link names its target)."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    names = ArrayObject()
    for name in sorted(destinations, key=lambda text: text.encode()):
        names.extend([TextStringObject(name), destinations[name]])
    dests = DictionaryObject({NameObject("/Names"): names})
    writer.root_object[NameObject("/Names")] = DictionaryObject({NameObject("/Dests"): dests})


def read_pdf(pdf: bytes) -> PdfReader:
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(pdf))


_SAFE_ACTIONS = frozenset({"/URI", "/GoTo"})  # what WeasyPrint's links do; nothing else is joined


def harmless(annotation: Any) -> bool:
    """True for a link that goes to a place in the sheet or to an address, and does nothing else."""
    if annotation.get("/Subtype") != "/Link" or "/AA" in annotation:
        return False
    action = annotation.get("/A")
    if action is None:
        return True
    action = action.get_object()
    return action.get("/S") in _SAFE_ACTIONS and "/Next" not in action
