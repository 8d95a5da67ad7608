"""The notes of a long sheet, laid out a page at a time: a one-note edit lays out about a page, whatever the
sheet's length.

The notes are a flow of items (`cheatdeck.sheet.document.Flow`: a note, the first of a kind with its kind's
heading). The flow is cut into parts greedily, from the first item on: a part holds exactly the items that
end on its first PAGES pages when laid out from the top of a page (columns filled one after the other, as
WeasyPrint fills every page but the last), and the next part starts with the item after. The last part
holds what is left when it all fits, its columns balanced as one document's last page. An item taller
than PAGES pages is a part of its own. So the cut is a function of the items alone, never of the edits
that led to them: an edited build gives the bytes of a `--force` build.

To find a part, WeasyPrint lays out a run of items from its first one, but only its first PAGES pages
(it stops there); the item left unfinished on the last page is taken off that page, and the pages kept
are the part. What a part shows depends only on the items it holds and on the one after (which did not
fit), so it is kept in the cache under their HTML; `flow.json` remembers how many items each part held,
so the next build finds it again without laying anything out. An edit lays out the part holding the
note; if that part still ends where it did, every later part is found in the cache; otherwise the parts
after it are laid out again until one ends where one ended before.

The back matter (`cheatdeck.sheet.document.NestedFlow`: the grid's rows inside their group's table inside
their table's part of the grid, the resources, the references) is cut the same way, its items found in
the layout by a mark on their element and placed against the skip stack along their path. Its items are
of nearly one height, so a greedy cut, once an edit moves where a page ends, never meets an old seam again
(every later page would be laid out again): a page of the back matter ends at a preferred seam (an item
whose content's hash says so) among its last few items where there is one, the items after it taken off
the page with the one that did not fit; its key holds the items that chose the seam.

This reads WeasyPrint's layout (`make_all_pages`, its page boxes and its skip stacks): not a public API.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from cheatdeck.errors import TemplateProblem
from cheatdeck.sheet.anchors import anchors_in
from cheatdeck.sheet.weasy import (
    PART_EPOCH,
    Rendered,
    collected_warnings,
    fit_of,
    load_weasyprint,
    shown_urls,
    source_date_epoch,
)

if TYPE_CHECKING:
    from cheatdeck.sheet.document import Flow, NestedFlow
    from cheatdeck.sheet.pdf import Renderer
log = logging.getLogger(__name__)

PAGES = 1
"""Pages per part. One page is about 50 synthetic notes at A4 landscape in five columns: a part's seam
leaves less than one note's height blank in its last column."""
ITEMS_GUESS = 64  # items tried for a part when nothing better is known (twice as many if all fit)
SLACK = 6  # items tried beyond what a part held before: an item laid out past the page costs little
SEAM_EVERY = 4  # one item of the back matter in SEAM_EVERY (by its content's hash) is a preferred seam
SEAM_ROOM = 8  # a part of the back matter ends at the last preferred seam among its last SEAM_ROOM items
ENDS = ("last", "straddle", "alone", "seam")  # how a part ends (written in the back matter's index)
INDEX = "flow.json"  # in the sheet's cache: how many items the parts starting with an item held
BACK_INDEX = "flow-back.json"  # the back matter's: [held, decided, ENDS index, leading bookmarks]
_LINKS = re.compile(r'\bhref="#([^"]+)"')


@dataclass(frozen=True)
class FlowPart:
    """One part of the flow: its PDF, its key in the cache, the anchors it lays out, its items."""

    key: str
    rendered: Rendered
    owned: frozenset[str]
    start: int
    count: int
    fresh: bool  # laid out by this build (not found in the cache)
    seen: int = 0  # the items whose content decided where it ends (a nested flow's)
    ends: str = ""  # how it ends (ENDS; a nested flow's)
    leading: int | None = None  # its bookmarks before its first of level 1 (a nested flow's)


@dataclass(frozen=True)
class _Item:
    digest: str
    links: frozenset[str]
    anchors: frozenset[str]


@dataclass
class _Laid:
    """A run of items laid out for a part: its document, how many of its items it finished (all of them:
    `complete`), the element of the first one it did not, WeasyPrint's warnings and the files it read."""

    document: Any
    finished: int
    complete: bool
    unfinished: list[Any]  # the elements to take off the last page: the first item not finished, and
    # the headings and boxes it brings with it (a nested flow's)
    warnings: list[str]
    files: dict[str, str]
    marked: dict[tuple[str, str], tuple[list[int], Any]] | None = None  # a nested flow's marked elements


def lay_out_flow(
    flow: Flow | NestedFlow,
    renderer: Renderer,
    cache: Path | None,
    key_of: Callable[[str], str],
    *,
    reuse: bool,
    cached: Callable[[str], Rendered | None],
    store: Callable[[str, Rendered], None],
    index_name: str = INDEX,
) -> list[FlowPart]:
    """Cut the flow into parts of PAGES pages and lay out those not found in the cache (`cached(key)`, if
    `reuse`); `store(key, rendered)` keeps each one laid out. `key_of(text)` makes a cache key of the
    text a part's layout depends on. `index_name`: the file in `cache` remembering the cut."""
    items = _items(flow)
    index = _read_index(cache / index_name) if cache is not None and reuse else {}
    parts: list[FlowPart] = []
    start = 0
    find = _find_nested if _nested(flow) else _find
    while start < len(items):
        before = index.get(items[start].digest, [])
        found = find(flow, items, start, before, key_of, cached) if reuse else None
        if found is None:
            guess = _guess(before, parts)
            found = _lay_out_part(flow, items, start, guess, renderer, key_of)
            store(found.key, found.rendered)
        parts.append(found)
        start += found.count
    if cache is not None:
        _write_index(cache / index_name, {items[part.start].digest: _entry(flow, part) for part in parts})
    return parts


def _entry(flow: Flow | NestedFlow, part: FlowPart) -> list[int]:
    """What the index keeps of a part: how many items it held (a nested flow's: and how many decided
    where it ends, and how it ends)."""
    if not _nested(flow):
        return [part.count]
    return [part.count, part.seen, ENDS.index(part.ends), part.leading or 0]


def _items(flow: Flow | NestedFlow) -> list[_Item]:
    if not _nested(flow):
        return [_item(html) for html in flow.items]
    nested: NestedFlow = flow  # type: ignore[assignment]
    return [  # an item of the back matter with the headings and boxes it begins, as its part prints them
        _item(lead + html, "\0".join((context, lead, html)))
        for context, lead, html in zip(nested.contexts, nested.leads, nested.items, strict=True)
    ]


def _nested(flow: Flow | NestedFlow) -> bool:
    return hasattr(flow, "leads")


@functools.lru_cache(maxsize=1 << 14)  # a sheet's items: an edit reads only those it changed
def _item(html: str, identity: str | None = None) -> _Item:
    links = frozenset(unquote(unescape(name)) for name in _LINKS.findall(html))
    digest = hashlib.sha256((html if identity is None else identity).encode()).hexdigest()
    return _Item(digest, links, frozenset(anchors_in(html)))


def _part_key(
    flow: Flow | NestedFlow,
    items: list[_Item],
    start: int,
    count: int,
    ends: str,
    key_of: Callable[[str], str],
    decided: int | None = None,
) -> str:
    """The cache key of a part holding `count` items from `start`: the items it holds and, unless it is
    the last part (`ends` "last") or an item alone ("alone"), the item after, which did not fit (a
    part ending at a seam: the `decided` items from `start` whose content chose that seam)."""
    return key_of(_part_text(flow, items, start, count, ends, decided))


def _part_text(
    flow: Flow | NestedFlow, items: list[_Item], start: int, count: int, ends: str, decided: int | None = None
) -> str:
    """What a part's layout depends on, but for the versions of WeasyPrint, the fonts and cheatdeck."""
    held = items[start : start + count]
    seen = items[start : start + count + (1 if ends == "straddle" else 0)]
    owned = frozenset().union(*(item.anchors for item in held))
    stand_ins = sorted((frozenset().union(*(item.links for item in held)) & flow.anchors) - owned)
    if _nested(flow):  # the boxes around the items count too: the part's whole HTML
        after = items[start + count : start + (len(seen) if decided is None else decided)]
        html = flow.html(start, start + count)
        return "\0".join([f"nested flow {PAGES} {ends}", html, *(item.digest for item in after), *stand_ins])
    return "\0".join(
        [f"flow {PAGES} {ends}", flow.prefix, flow.suffix, *(item.digest for item in seen), *stand_ins]
    )


def _find(
    flow: Flow | NestedFlow,
    items: list[_Item],
    start: int,
    counts: Iterator[int] | tuple[int, ...] | list[int],
    key_of: Callable[[str], str],
    cached: Callable[[str], Rendered | None],
) -> FlowPart | None:
    """The part starting at `start` as kept in the cache, if one of the counts it held before still holds."""
    for count in counts:
        if count < 1 or start + count > len(items):
            continue
        if start + count == len(items):
            candidates = ["last"] + (["alone"] if count == 1 else [])
        else:
            candidates = ["straddle"] + (["alone"] if count == 1 else [])
        for ends in candidates:
            key = _part_key(flow, items, start, count, ends, key_of)
            hit = cached(key)
            if hit is not None:
                return FlowPart(key, hit, _owned(items, start, count), start, count, fresh=False)
    return None


def _find_nested(
    flow: Flow | NestedFlow,
    items: list[_Item],
    start: int,
    entry: Iterator[int] | tuple[int, ...] | list[int],
    key_of: Callable[[str], str],
    cached: Callable[[str], Rendered | None],
) -> FlowPart | None:
    """The part of the back matter starting at `start` as kept in the cache, if the items that decided
    it before (its index `entry`: held, decided, how it ends) are unchanged."""
    entry = list(entry)
    if len(entry) != 4 or not 0 <= entry[2] < len(ENDS):
        return None
    count, decided, ends, leading = entry[0], entry[1], ENDS[entry[2]], entry[3]
    if count < 1 or decided < count or start + decided > len(items):
        return None
    if ends == "last" and start + count != len(items):  # more items now: it ends otherwise
        return None
    key = _part_key(flow, items, start, count, ends, key_of, decided)
    hit = cached(key)
    if hit is None:
        return None
    return FlowPart(key, hit, _owned(items, start, count), start, count, False, decided, ends, leading)


def _seam(items: list[_Item], start: int, finished: int) -> int:
    """How many of the `finished` items from `start` a part of the back matter holds: up to the last
    preferred seam (an item whose content's hash says so) among the last few that fit, else all. An edit
    that moves the seams before by an item or two then finds a later part ending where it did: the
    pages after it are not laid out again (greedy seams between rows of the same height never meet
    again)."""
    room = min(SEAM_ROOM, finished // 4)
    for count in range(finished, finished - room, -1):
        if int(items[start + count - 1].digest[:8], 16) % SEAM_EVERY == 0:
            return count
    return finished


def _guess(counts: Iterator[int] | tuple[int, ...] | list[int], parts: list[FlowPart]) -> int:
    """How many items to lay out for a part: a few more than it held before, or than the parts before it."""
    known = list(counts) or [part.count for part in parts[-3:]]
    return max(known) + SLACK if known else ITEMS_GUESS


def _owned(items: list[_Item], start: int, count: int) -> frozenset[str]:
    return frozenset().union(*(item.anchors for item in items[start : start + count]))


def _lay_out_part(
    flow: Flow | NestedFlow,
    items: list[_Item],
    start: int,
    guess: int,
    renderer: Renderer,
    key_of: Callable[[str], str],
) -> FlowPart:
    """Lay out the part starting at item `start`, trying `guess` items first (twice as many while they
    all fit and more are left)."""
    tried = max(1, guess)
    stop = min(len(items), start + tried)
    laid = _lay_out(flow, renderer, start, stop, PAGES)
    while laid.complete and stop < len(items):  # all fit: the part holds more
        tried *= 2
        stop = min(len(items), start + tried)
        laid = _lay_out(flow, renderer, start, stop, PAGES)
    log.debug("flow: items %d-%d laid out for a part, %d of them held", start, stop, laid.finished)
    decided = None
    if laid.complete:
        count, ends = stop - start, "last"
    elif laid.finished >= 1:
        count, ends = laid.finished, "straddle"
        if _nested(flow) and (held := _seam(items, start, laid.finished)) < laid.finished:
            count, ends, decided = held, "seam", laid.finished + 1  # the items after the seam go too
            laid.unfinished = _elements(laid, range(held, laid.finished + 1))
        _drop_unfinished(laid)
    else:  # the first item alone is taller than PAGES pages: a part of its own, on as many as it needs
        count, ends = 1, "alone"
        laid = _lay_out(flow, renderer, start, start + 1, None)
    text = _part_text(flow, items, start, count, ends, decided)
    key = key_of(text)
    seen = decided or count + (1 if ends == "straddle" else 0)
    laid.files = _files_shown(laid.files, flow, start, start + seen, stop, renderer)
    # the PDF's identifier comes from the part's content only, as a part laid out whole has its HTML's
    rendered = _write(laid, flow, items, start, count, hashlib.sha256(text.encode()).hexdigest())
    leading = _leading(laid.document) if _nested(flow) else None
    return FlowPart(key, rendered, _owned(items, start, count), start, count, True, seen, ends, leading)


def _leading(document: Any) -> int:
    """How many of a part's bookmarks come before its first of level 1: continuing the section of the
    part before, they go under its entry in the joined outline (a heading of level 1 that heads no
    entry, as References, does not)."""
    levels = [level for page in document.pages for level, *_ in page.bookmarks]
    return next((index for index, level in enumerate(levels) if level <= 1), len(levels))


def _elements(laid: _Laid, numbers: range) -> list[Any]:
    """The elements of a nested flow's items `numbers` (from 0 at the part's start), and of the
    headings and boxes they begin."""
    wanted = {str(number) for number in numbers}
    return [element for (_, number), (_, element) in (laid.marked or {}).items() if number in wanted]


def _files_shown(
    files: dict[str, str], flow: Flow | NestedFlow, start: int, seen: int, stop: int, renderer: Renderer
) -> dict[str, str]:
    """The files read for a part, less those only items past the one that did not fit show (they were
    read for a layout that did not reach them): a change to them does not change the part."""
    past = shown_urls(flow.html(seen, stop) if seen < stop else "", renderer.base)
    if not past:
        return files
    held = shown_urls(flow.html(start, seen), renderer.base)
    return {url: digest for url, digest in files.items() if url in held or url not in past}


def _lay_out(flow: Flow | NestedFlow, renderer: Renderer, start: int, stop: int, pages: int | None) -> _Laid:
    """Lay out items `start` … `stop - 1` on at most `pages` pages (None: all they take)."""
    load_weasyprint()
    import weasyprint
    from weasyprint import layout

    from cheatdeck.sheet.breaks import breakable
    from cheatdeck.sheet.fetch import local_fetcher

    files: dict[str, str] = {}
    fetcher = local_fetcher(renderer.roots, served=files)
    state: dict[str, Any] = {"resume": None}
    original = layout.make_all_pages

    def first_pages(context: Any, root_box: Any, html: Any, made: list[Any]) -> Iterator[Any]:
        state["root"] = root_box
        for number, page in enumerate(original(context, root_box, html, made), start=1):
            yield page
            if pages is not None and number >= pages:
                state["resume"] = context.page_maker[number][0]
                return  # the pages after are not laid out

    nested = _nested(flow)
    html = flow.html(start, stop, marked=True) if nested else flow.html(start, stop)  # type: ignore[call-arg]
    with source_date_epoch(PART_EPOCH), collected_warnings() as warnings, _patched(layout, first_pages):
        document = weasyprint.HTML(string=breakable(html), base_url=renderer.base, url_fetcher=fetcher)
        document = document.render()
    count = stop - start
    if nested:
        return _laid_nested(document, state["root"], state["resume"], count, warnings, files)
    notes, path = _notes_box(state["root"])
    if len(notes.children) != count:
        raise TemplateProblem(
            f'sheet.html.j2: the notes (class "notes") hold {len(notes.children)} element(s) for '
            f"{count} item(s): each `flow_item` mark must be followed by one element, the note's"
        )
    resume = state["resume"]
    if resume is None:
        return _Laid(document, count, True, [], warnings, files)
    finished = _resumes_at(resume, path, count)
    unfinished = [notes.children[finished].element] if finished < count else []
    return _Laid(document, finished, finished == count, unfinished, warnings, files)


def _laid_nested(
    document: Any, root: Any, resume: Any, count: int, warnings: list[str], files: dict[str, str]
) -> _Laid:
    """A nested flow's run laid out: its items found in the layout tree by their marks (`data-flow-item`),
    those finished before the layout would resume, and the elements that go with the first one not."""
    marked = _marked_boxes(root)
    paths = [marked.get(("item", str(number))) for number in range(count)]
    if any(path is None for path in paths) or sum(what == "item" for what, _ in marked) != count:
        raise TemplateProblem(
            f"sheet.html.j2: the back matter holds {sum(what == 'item' for what, _ in marked)} item "
            f"element(s) for {count} item(s): each `flow_item` mark must be followed by one element, "
            "and each `flow_head` mark by one heading"
        )
    if resume is None:
        return _Laid(document, count, True, [], warnings, files, marked)
    finished = next(
        (number for number, found in enumerate(paths) if not _ended_before(found[0], resume)),  # type: ignore[index]
        count,
    )
    number = str(finished)
    unfinished = [found[1] for (_, at), found in marked.items() if at == number]
    return _Laid(document, finished, finished == count, unfinished, warnings, files, marked)


def _marked_boxes(root: Any) -> dict[tuple[str, str], tuple[list[int], Any]]:
    """The outermost box of each marked element (an item, a heading, a box an item begins): its path of
    child indexes from the root, and its element, by (what it is, the number of its item)."""
    found: dict[tuple[str, str], tuple[list[int], Any]] = {}
    stack: list[tuple[Any, list[int]]] = [(root, [])]
    while stack:
        box, path = stack.pop()
        element: Any = getattr(box, "element", None)
        if element is not None and getattr(box, "element_tag", "") == getattr(element, "tag", None):
            for what in ("item", "lead", "from"):
                number = element.get(f"data-flow-{what}")
                if number is not None:
                    found.setdefault((what, number), (path, element))
        children = list(getattr(box, "children", []))
        stack.extend((child, [*path, index]) for index, child in reversed(list(enumerate(children))))
    return found


def _ended_before(path: list[int], resume: Any) -> bool:
    """Whether the box at `path` ends before the layout resumes at `resume` (WeasyPrint's skip stack,
    nested {child index: skip stack of that child}; None: that child from its start)."""
    stack = resume
    for index in path:
        if stack is None:
            return False  # a box holding it resumes from its start
        (where, inner), *_ = sorted(stack.items())
        if where != index:
            return bool(where > index)
        stack = inner
    return False  # it resumes inside it


@contextmanager
def _patched(layout: Any, first_pages: Any) -> Iterator[None]:
    original = layout.make_all_pages
    layout.make_all_pages = first_pages
    try:
        yield
    finally:
        layout.make_all_pages = original


def _notes_box(root: Any) -> tuple[Any, list[int]]:
    """The notes' box in the layout tree (before pagination), and the path of child indexes to it."""
    stack: list[tuple[Any, list[int]]] = [(root, [])]
    while stack:
        box, path = stack.pop()
        element: Any = getattr(box, "element", None)
        tag = getattr(element, "tag", None)  # a pseudo-element's box has its element's, another tag
        classes = (element.get("class") or "").split() if element is not None else []
        if "notes" in classes and box is not root and getattr(box, "element_tag", "") == tag:
            return box, path
        children = list(getattr(box, "children", []))
        stack.extend((child, [*path, index]) for index, child in reversed(list(enumerate(children))))
    raise TemplateProblem('sheet.html.j2: `flow_item` marks outside an element of class "notes"')


def _resumes_at(resume: Any, path: list[int], count: int) -> int:
    """How many items ended before the layout would resume (`resume`, WeasyPrint's skip stack)."""
    stack = resume
    for index in path:
        if stack is None:
            return count
        (where, inner), *_ = sorted(stack.items())
        if where > index:
            return count  # past the notes
        if where < index:
            return 0
        stack = inner
    if stack is None:
        return count
    return int(min(stack))


def _drop_unfinished(laid: _Laid) -> None:
    """Take the unfinished item off the last page: the next part starts with it."""
    from weasyprint.document import Page

    box = laid.document.pages[-1]._page_box
    _drop(box, {id(element) for element in laid.unfinished})
    laid.document.pages[-1] = Page(box)


def _drop(box: Any, elements: set[int]) -> None:
    children = getattr(box, "children", None)
    if not children:
        return
    kept = [child for child in children if id(getattr(child, "element", None)) not in elements]
    if len(kept) != len(children):
        box.children = type(children)(kept) if isinstance(children, tuple) else kept
    for child in kept:
        _drop(child, elements)


def _write(
    laid: _Laid, flow: Flow | NestedFlow, items: list[_Item], start: int, count: int, digest: str
) -> Rendered:
    """The part's PDF: its pages, with a stand-in anchor for each link to an anchor another part lays out."""
    document = laid.document
    owned = _owned(items, start, count)
    laid_out = {name for page in document.pages for name in page.anchors}
    linked = {target for page in document.pages for kind, target, *_ in page.links if kind == "internal"}
    for name in sorted(((linked - laid_out) & flow.anchors) - owned):
        document.pages[0].anchors[name] = (0, 0, 0, 0)
    identifier = digest[:32].encode()

    with source_date_epoch(PART_EPOCH), collected_warnings() as warnings:
        pdf = document.write_pdf(pdf_identifier=identifier)
    return Rendered(pdf, (*laid.warnings, *warnings), laid.files, len(document.pages), fit_of(document.pages))


def _read_index(path: Path) -> dict[str, list[int]]:
    from cheatdeck.outputs import DamagedCache, json_from_cache

    try:
        entry = json_from_cache(path, 16 * 2**20)
    except DamagedCache as damage:
        log.warning("%s; laid out again", damage)
        return {}
    if not isinstance(entry, dict):
        return {}
    starts = entry.get("starts")
    if not isinstance(starts, dict):
        return {}
    return {
        digest: [count for count in counts if isinstance(count, int)][:8]
        for digest, counts in starts.items()
        if isinstance(digest, str) and isinstance(counts, list)
    }


def _write_index(path: Path, starts: dict[str, list[int]]) -> None:
    from cheatdeck.outputs import keep_in_cache

    keep_in_cache(path, json.dumps({"starts": starts}, sort_keys=True).encode())
