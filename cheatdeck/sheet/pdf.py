"""The sheet's PDF, laid out part by part: a one-note edit lays out only the part holding the note.

Each part of the sheet (`cheatdeck.sheet.document.SheetParts`: its chapters and its back matter) is rendered
by WeasyPrint to a PDF of its own, without page margins, on as many cores as there are parts to render. A
rendered part is kept in `out/.cheatdeck-cache/`, keyed by its HTML, the WeasyPrint version, the fonts
installed and the files it read, so the next build renders only the parts that changed. Then the parts
are joined page after page, with the frame (title, legend, date and "page x of y", in the margins) drawn
over them (`cheatdeck.sheet.join`). The same parts give the same bytes: from the cache or rendered afresh.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import multiprocessing
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cheatdeck.errors import TemplateProblem
from cheatdeck.outputs import DamagedCache
from cheatdeck.sheet import join
from cheatdeck.sheet.weasy import PART_EPOCH as _PART_EPOCH
from cheatdeck.sheet.weasy import Fit, Rendered, fit_of, load_weasyprint, shown_urls_kept
from cheatdeck.sheet.weasy import collected_warnings as _collected_warnings
from cheatdeck.sheet.weasy import source_date_epoch as _source_date_epoch

if TYPE_CHECKING:
    from cheatdeck.sheet.document import Flow, NestedFlow, SheetParts
    from cheatdeck.sheet.flow import FlowPart
    from cheatdeck.sheet.join import PreparedPdf

log = logging.getLogger(__name__)
_DRAWINGS = re.compile(r"<svg\b.*?</svg>", re.DOTALL)

_ENTRY = re.compile(r"([0-9a-f]{64})\.(?:pdf|json)")  # a part kept in the cache: its key, PDF or record


@dataclass(frozen=True)
class Renderer:
    """How WeasyPrint reads a part: the URL the HTML is based on and the folders its URLs may reach."""

    base: str
    roots: Mapping[str, Path]

    def files_read(self, *texts: str) -> list[str]:
        """Name and hash every local file the HTML shows (images, CSS `url()`), for the sheet's stamp:
        a changed figure changes the sheet even where its HTML does not. The HTML may come in pieces
        (a long sheet's items: each is read once, whatever the edits after it)."""
        from cheatdeck.hashing import file_hash
        from cheatdeck.sheet.fetch import local_file

        found = []
        for url in sorted({url for html in texts for url in shown_urls_kept(html, self.base)}):
            path = local_file(url, self.roots)
            if path is not None:
                found.append(f"{url} {file_hash(path)}")
        return found

    def render(self, html: str, epoch: int) -> Rendered:
        """Render one HTML document to PDF bytes (reproducible for a given `epoch`)."""
        load_weasyprint()
        import weasyprint

        from cheatdeck.sheet.breaks import breakable
        from cheatdeck.sheet.fetch import local_fetcher

        files: dict[str, str] = {}
        fetcher = local_fetcher(self.roots, served=files)
        with _source_date_epoch(epoch), _collected_warnings() as warnings:
            # Very long tokens get break opportunities for the layout only (see `cheatdeck.sheet.breaks`).
            document = weasyprint.HTML(string=breakable(html), base_url=self.base, url_fetcher=fetcher)
            identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
            laid_out = document.render(pdf_identifier=identifier)
            pdf = laid_out.write_pdf(pdf_identifier=identifier)
        return Rendered(pdf, tuple(warnings), files, len(laid_out.pages), fit_of(laid_out.pages))


def write_parts_pdf(
    sheet: SheetParts,
    target: Path,
    changed: int,
    renderer: Renderer,
    cache: Path | None,
    *,
    reuse: bool,
    jobs: int,
) -> int:
    """Write the sheet's PDF at `target` from its parts; return its page count. Parts found in `cache`
    (a folder; None: no cache) are not rendered again if `reuse`; the others render on up to `jobs`
    processes, and are kept in `cache`. In a worker laying the sheet out ahead (`lay_out_ahead`), only
    that: the parts are kept in `cache`, no PDF is written, and 0 is returned."""
    load_weasyprint()
    if _AHEAD.on and (sheet.frame is None or sheet.whole is not None or cache is None):
        return 0  # a short sheet keeps nothing in the cache: it is laid out when it is written
    if sheet.frame is None:  # one document, margins and all (a short sheet of notes alone)
        return _write_one_document(sheet.parts[0], target, changed, renderer)
    if sheet.whole is not None:  # a short sheet with back matter: its two sides laid out side by side
        return _write_side_by_side(sheet, target, changed, renderer, jobs)
    return _write_parts(sheet, target, renderer, cache, reuse, 1 if _AHEAD.on else jobs)


def _write_parts(
    sheet: SheetParts, target: Path, renderer: Renderer, cache: Path | None, reuse: bool, jobs: int
) -> int:
    """`write_parts_pdf` for a long sheet: its parts laid out (or found in the cache), joined."""
    import weasyprint

    from cheatdeck.sheet.fonts import fonts_digest

    fonts = fonts_digest()
    versions = (weasyprint.__version__, fonts)
    keys = [_key(part, renderer, *versions) for part in sheet.parts]
    rendered: dict[int, Rendered] = {}
    parsed: dict[bytes, PreparedPdf] = {}  # the kept parts as their check read them: read once
    if cache is not None and reuse:
        rendered = {i: hit for i, key in enumerate(keys) if (hit := _cached(cache, key, renderer, parsed))}
    missing = [index for index in range(len(sheet.parts)) if index not in rendered]
    back_job = (sheet.back, renderer, cache, versions, reuse) if sheet.back else None
    with _rendering(renderer, [sheet.parts[i] for i in missing], jobs, back_job) as results:
        flow = _lay_out_flow(sheet, renderer, cache, versions, parsed, reuse=reuse)  # meanwhile, here
        laid, back = results()
    flow += _read_before(back, parsed)  # the back matter's pages of rows, resources and references
    rendered.update(zip(missing, laid, strict=True))
    if cache is not None:
        _store(cache, {keys[index]: rendered[index] for index in missing})
    if _AHEAD.on:  # every part is in the cache now: the sheet's write joins them
        return 0
    _warn([part.rendered for part in flow] + [rendered[index] for index in range(len(sheet.parts))])
    pdfs = [part.rendered.pdf for part in flow] + [rendered[index].pdf for index in range(len(sheet.parts))]
    owned = [part.owned for part in flow] + [_owned(part) for part in sheet.parts]
    frames = _Frames(sheet, renderer, cache, versions, parsed)
    frames.reuse = reuse  # --force lays the frame out afresh too (and keeps it)

    def lay_out_again(indexes: list[int]) -> None:
        frames.reuse = False  # a kept part failed to join: nothing kept is trusted
        if any(index < len(flow) for index in indexes):
            flow[:] = _lay_out_flow(sheet, renderer, cache, versions, parsed, reuse=False)
            flow.extend(_lay_out_back(sheet.back, renderer, cache, versions, False) if sheet.back else [])
        again = [index - len(flow) for index in indexes if index >= len(flow)]
        fresh = dict(zip(again, _render_all(renderer, [sheet.parts[i] for i in again], jobs), strict=True))
        pdfs[:] = [part.rendered.pdf for part in flow] + [
            fresh[index].pdf if index in fresh else pdf for index, pdf in enumerate(pdfs[len(flow) :])
        ]
        if cache is not None:
            _store(cache, {keys[index]: part for index, part in fresh.items()})

    kept = [index for index, part in enumerate(flow) if not part.fresh]
    kept += [len(flow) + index for index in range(len(sheet.parts)) if index not in missing]
    # a page of notes (or rows) continues the section before: its first entries go under that section's
    continues = [part.start > 0 and (True if part.leading is None else part.leading) for part in flow]
    joined, pages = _join_or_lay_out_again(
        pdfs, frames.frame_for, owned, kept, lay_out_again, parsed, continues
    )
    target.write_bytes(joined)
    _remember(parsed, {*pdfs, frames.last})  # not a kept part that failed to join
    if cache is not None:
        _prune(cache, keep={*keys, *frames.keys, *(part.key for part in flow)})
    fresh_parts = len(missing) + sum(part.fresh for part in flow)
    log.info("cheat sheet: %d part(s), %d laid out afresh", len(pdfs), fresh_parts)
    return pages


class _AheadMode:
    """Whether this process is a worker laying a sheet out ahead (`lay_out_ahead`): its sheet write
    keeps the parts in the cache and stops before the join."""

    on = False


_AHEAD = _AheadMode()


@dataclass
class Ahead:
    """A worker process laying a sheet out ahead (see `lay_out_ahead`)."""

    pid: int
    status: int | None = None  # its wait status, once reaped

    def wait(self) -> bool:
        """Wait for the worker to end; say whether it laid everything out."""
        if self.status is None:
            self.status = _reap(self.pid, 0)
        code = os.waitstatus_to_exitcode(self.status)
        if code != 0:
            log.info("cheat sheet: the worker laying it out ahead failed (%s); laid out now", code)
        return code == 0

    def stop(self) -> None:
        """End the worker now (its work is not needed), and reap it."""
        if self.status is None:
            with contextlib.suppress(ProcessLookupError):  # reaped only here: it is there
                os.kill(self.pid, signal.SIGKILL)
            self.status = _reap(self.pid, 0)


def _reap(pid: int, options: int) -> int:
    try:
        return os.waitpid(pid, options)[1]
    except ChildProcessError:  # reaped by another: nothing is known of how it ended
        return 1 << 8


def lay_out_ahead(write: Callable[[Path], object]) -> Ahead | None:
    """Run the sheet's writer `write` in a forked worker process that lays out the parts the sheet's
    PDF needs and keeps them in the cache, then ends without writing the PDF: the same writer, run
    later in this process (while the worker ran, this one wrote other outputs), finds them there. A
    short sheet, which keeps nothing in the cache, is left to the write. None where no worker is forked:
    one core, or none idle (`_busy`: the worker would only take this process's time), or not Linux (fork
    is unsafe on macOS and absent on Windows). The worker ends with this process, even killed; a worker
    that fails costs only time."""
    if _cores() < 2 or not sys.platform.startswith("linux") or _busy():
        return None
    parent = os.getpid()
    gc.freeze()  # the parent's objects stay untouched by the worker's collector: no copy-on-write
    try:
        pid = os.fork()
    except OSError as error:
        gc.unfreeze()
        log.info("cheat sheet: not laid out ahead (no worker process: %s)", error)
        return None
    if pid == 0:  # the worker: never returns into the build it was forked from
        code = 1
        try:
            _end_with(parent)
            _ahead_work(write)
            code = 0
        finally:
            os._exit(code)
    gc.unfreeze()
    return Ahead(pid)


def _ahead_work(write: Callable[[Path], object]) -> None:
    """What the worker does: the sheet's write in ahead mode, silent (the write after says what it
    has to say: WeasyPrint's warnings are kept with each part)."""
    _AHEAD.on = True
    logging.disable(logging.CRITICAL)
    write(Path(os.devnull))


def _busy() -> bool:
    """Whether no core is idle: the load average of the last minute (this process's own run in it) is
    over the cores less a half. On 2 cores at a load of 8 a worker laying out ahead delayed the deck
    and grid and saved nothing."""
    return os.getloadavg()[0] > _cores() - 0.5


def _cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


def _remember(parsed: dict[bytes, PreparedPdf], joined_from: set[bytes]) -> None:
    """Keep the parts and frame just joined, as read, for the next build in this process."""
    _READ.clear()
    _READ.update(
        (hashlib.sha256(pdf).hexdigest(), read) for pdf, read in parsed.items() if pdf in joined_from
    )


def _read_before(parts: list[FlowPart], parsed: dict[bytes, PreparedPdf]) -> list[FlowPart]:
    """Parts a worker found in the cache: as this process read them for the last join, if it did."""
    for part in parts:
        if not part.fresh and (read := _READ.get(hashlib.sha256(part.rendered.pdf).hexdigest())):
            parsed.setdefault(part.rendered.pdf, read)
    return parts


def _write_one_document(html: str, target: Path, changed: int, renderer: Renderer) -> int:
    """Lay the sheet out as one document, margins and all, dated `changed`; return its page count."""
    rendered = renderer.render(html, changed)
    _warn([rendered])
    target.write_bytes(rendered.pdf)
    assert rendered.pages is not None  # laid out just now
    return rendered.pages


def _write_side_by_side(sheet: SheetParts, target: Path, changed: int, renderer: Renderer, jobs: int) -> int:
    """A short sheet with back matter: its notes' page(s) are laid out here while a worker lays out its
    back matter and then the frame for the page count most likely (a page of notes), and they are
    joined, where the back matter starts a page in the one document too (`_starts_a_page`); else the
    one document is laid out (`sheet.whole`). Nothing is kept in the cache: a short sheet is laid out
    afresh, as its one document was, and its layout decides which of the two it is."""
    assert sheet.frame is not None and sheet.whole is not None and sheet.flow is not None
    parsed: dict[bytes, PreparedPdf] = {}
    guess = len(sheet.parts) + 1  # a page for each part of the back matter, and one of notes
    ahead = [*sheet.parts, sheet.frame_for(guess)]
    with _rendering(renderer, ahead, jobs) as results:
        flow = _lay_out_flow(sheet, renderer, None, ("", ""), parsed, reuse=False)  # no cache: no key
        (*back, framed), _ = results()
    if not _starts_a_page(flow[-1].rendered.fit, back[0].fit):
        log.info("cheat sheet: the back matter follows the notes on their page: laid out as one document")
        return _write_one_document(sheet.whole(), target, changed, renderer)
    frames = [framed]

    def frame_for(pages: int) -> bytes:
        if pages != guess:  # more pages of notes than guessed: the frame for them, laid out here
            frames.append(renderer.render(sheet.frame_for(pages), _PART_EPOCH))
        return frames[-1].pdf

    pdfs = [part.rendered.pdf for part in flow] + [part.pdf for part in back]
    owned = [part.owned for part in flow] + [_owned(part) for part in sheet.parts]
    continues = [part.start > 0 for part in flow]
    joined, pages = join.join_parts(pdfs, frame_for, owned=owned, parsed=parsed, continues=continues)
    _warn([part.rendered for part in flow] + back + frames[-1:])
    target.write_bytes(joined)
    log.info("cheat sheet: %d page(s) of notes and the back matter laid out side by side", len(flow))
    return pages


def _starts_a_page(notes: Fit | None, back: Fit | None) -> bool:
    """Whether the one document would start the back matter on a page of its own: its first box avoids
    a break inside (WeasyPrint then moves it whole to the next page where it does not fit) and is
    taller than the room left below the notes on their last page (counted without the margins between
    them, which only leave less)."""
    return notes is not None and back is not None and back.lead_avoids_break and back.lead > notes.room


class _Frames:
    """The frame for a page count, kept in the cache as the parts are: an edit that keeps the page count
    and the day does not lay it out again. Its HTML holds the day it prints (and its metadata's dates);
    it is laid out at PART_EPOCH as the parts are, so the second of the last change (which moves with
    every edit a deck build stamps) does not make it another frame. `keys` names the frames asked for,
    to keep them."""

    def __init__(
        self,
        sheet: SheetParts,
        renderer: Renderer,
        cache: Path | None,
        versions: tuple[str, str],
        parsed: dict[bytes, PreparedPdf],
    ):
        self.sheet, self.renderer, self.cache = sheet, renderer, cache
        self.versions, self.parsed = versions, parsed
        self.reuse = cache is not None
        self.keys: list[str] = []
        self.last = b""  # the frame given last

    def frame_for(self, pages: int) -> bytes:
        """The frame's PDF for a sheet of `pages` pages."""
        html = self.sheet.frame_for(pages)
        self.keys.append(_key(html, self.renderer, *self.versions))
        if self.cache is not None and self.reuse:
            kept = _cached(self.cache, self.keys[-1], self.renderer, self.parsed)
            if kept is not None:
                self.last = kept.pdf
                return kept.pdf
        frame = self.renderer.render(html, _PART_EPOCH)
        if self.cache is not None:
            _store(self.cache, {self.keys[-1]: frame})
        self.last = frame.pdf
        return frame.pdf


def _join_or_lay_out_again(
    pdfs: list[bytes],
    frame_for: Callable[[int], bytes],
    owned: list[frozenset[str]],
    kept: list[int],
    lay_out_again: Callable[[list[int]], None],
    parsed: dict[bytes, PreparedPdf],
    continues: list[bool | int],
) -> tuple[bytes, int]:
    """Join the parts; if that fails while some came from the cache (one read whole but is damaged in
    a way only joining finds), lay those out again and join once more."""
    try:
        return join.join_parts(pdfs, frame_for, owned=owned, parsed=parsed, continues=continues)
    except TemplateProblem:
        raise
    except Exception as error:  # a forged part raises many kinds (BadPdf, ValueError, RecursionError …)
        if not kept:
            raise
        log.warning("a kept part of the sheet could not be joined (%s); laid out again", type(error).__name__)
        lay_out_again(kept)
        return join.join_parts(pdfs, frame_for, owned=owned, continues=continues)


def _warn(parts: list[Rendered]) -> None:
    for part in parts:
        for warning in part.warnings:
            log.warning("weasyprint: %s", warning)


def _lay_out_flow(
    sheet: SheetParts,
    renderer: Renderer,
    cache: Path | None,
    versions: tuple[str, str],
    parsed: dict[bytes, PreparedPdf],
    *,
    reuse: bool,
) -> list[FlowPart]:
    """The parts of the sheet's notes, a page each (`cheatdeck.sheet.flow`), from the cache or laid out
    in this process."""
    if sheet.flow is None:
        return []
    from cheatdeck.sheet.flow import INDEX

    return _lay_out_cached(sheet.flow, renderer, cache, versions, parsed, reuse, INDEX)


def _lay_out_back(
    back: NestedFlow, renderer: Renderer, cache: Path | None, versions: tuple[str, str], reuse: bool
) -> list[FlowPart]:
    """The parts of the sheet's back matter, a page each (`cheatdeck.sheet.flow`), from the cache or laid
    out here (in a worker process, beside the notes' parts)."""
    from cheatdeck.sheet.flow import BACK_INDEX

    return _lay_out_cached(back, renderer, cache, versions, {}, reuse, BACK_INDEX)


def _lay_out_cached(
    flow: Flow | NestedFlow,
    renderer: Renderer,
    cache: Path | None,
    versions: tuple[str, str],
    parsed: dict[bytes, PreparedPdf],
    reuse: bool,
    index_name: str,
) -> list[FlowPart]:
    """Lay a flow out by the page, its parts kept in `cache` (None: no cache) under `index_name`'s cut."""
    from cheatdeck.sheet.flow import lay_out_flow

    def cached(key: str) -> Rendered | None:
        return _cached(cache, key, renderer, parsed) if cache is not None else None

    def store(key: str, part: Rendered) -> None:
        if cache is not None:
            _store(cache, {key: part})

    return lay_out_flow(
        flow,
        renderer,
        cache,
        lambda text: _key(text, renderer, *versions),
        reuse=reuse and cache is not None,
        cached=cached,
        store=store,
        index_name=index_name,
    )


_BackJob = tuple["NestedFlow", Renderer, Path | None, tuple[str, str], bool]


@contextmanager
def _rendering(
    renderer: Renderer, parts: list[str], jobs: int, back: _BackJob | None = None
) -> Iterator[Callable[[], tuple[list[Rendered], list[FlowPart]]]]:
    """Render the parts, and lay out the back matter's flow (`back`: `_lay_out_back`'s arguments), in
    worker processes while the block runs (the notes' flow is laid out meanwhile, in this process); the
    function given returns them. With one core, or none to spare, they are laid out when it is called."""

    def here() -> tuple[list[Rendered], list[FlowPart]]:
        return _render_all(renderer, parts, jobs), _lay_out_back(*back) if back else []

    if jobs < 2 or not (parts or back) or not sys.platform.startswith("linux"):
        yield here
        return
    gc.freeze()  # the parent's objects stay untouched by the workers' collector: no copy-on-write
    pool = None
    try:
        fork = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(
            min(jobs, len(parts) + (1 if back else 0)),
            mp_context=fork,
            initializer=_end_with,
            initargs=(os.getpid(),),
        )
        backed = pool.submit(_lay_out_back, *back) if back else None  # the longest job, first
        order = sorted(range(len(parts)), key=lambda index: -_weight(parts[index]))
        futures = {index: pool.submit(renderer.render, parts[index], _PART_EPOCH) for index in order}
    except (BrokenProcessPool, OSError) as error:
        log.warning("cheat sheet: laying the parts out in this process (no worker process: %s)", error)
        futures, backed = {}, None
    finally:
        gc.unfreeze()

    def results() -> tuple[list[Rendered], list[FlowPart]]:
        try:
            if back and backed is None:
                raise KeyError("back matter")
            laid = [futures[index].result() for index in range(len(parts))]
            return laid, backed.result() if backed else []
        except (BrokenProcessPool, OSError, KeyError) as error:  # a worker killed (out of memory?)
            log.warning(
                "cheat sheet: laying the parts out one after the other (the worker processes failed: %s)",
                error or "none started",
            )
            return [renderer.render(part, _PART_EPOCH) for part in parts], _lay_out_back(
                *back
            ) if back else []

    try:
        yield results
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _owned(html: str) -> frozenset[str]:
    """The anchors a part lays out itself (not its stand-ins for other parts' targets)."""
    from cheatdeck.sheet.anchors import anchors_of

    return anchors_of(html)


def _render_all(renderer: Renderer, parts: list[str], jobs: int) -> list[Rendered]:
    """Render the parts, the largest first, on up to `jobs` processes (forked: WeasyPrint is loaded)."""
    workers = min(jobs, len(parts))
    if workers < 2 or not sys.platform.startswith("linux"):  # fork is unsafe on macOS, absent on Windows
        return [renderer.render(part, _PART_EPOCH) for part in parts]
    order = sorted(range(len(parts)), key=lambda index: -_weight(parts[index]))
    gc.freeze()  # the parent's objects stay untouched by the workers' collector: no copy-on-write
    try:
        fork = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            workers, mp_context=fork, initializer=_end_with, initargs=(os.getpid(),)
        ) as pool:
            futures = {index: pool.submit(renderer.render, parts[index], _PART_EPOCH) for index in order}
            return [futures[index].result() for index in range(len(parts))]
    except (BrokenProcessPool, OSError) as error:  # a worker killed (out of memory?), or no process left
        log.warning(
            "cheat sheet: laying the parts out one after the other (the worker processes failed: %s)", error
        )
        return [renderer.render(part, _PART_EPOCH) for part in parts]
    finally:
        gc.unfreeze()  # a long `watch` collects them again between builds


def _end_with(parent: int) -> None:
    """Make a worker end when the build that forked it ends, even killed: left running, it would hold
    the out folder's lock (inherited), and the next build would wait for it for ever."""
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the build ended before that
        os._exit(1)


def _weight(html: str) -> int:
    """How long a part takes to lay out, roughly: its length, where the formulas' drawings count an
    eighth (measured: about 20 µs of CPU per character of text, 2.4 µs per character of drawing)."""
    drawings = sum(len(drawing) for drawing in _DRAWINGS.findall(html))
    return len(html) - drawings + drawings // 8


def _key(part: str, renderer: Renderer, version: str, fonts: str, epoch: int = _PART_EPOCH) -> str:
    from cheatdeck.outputs import code_digest

    digest = hashlib.sha256()
    for text in (version, fonts, code_digest(), str(epoch), renderer.base, part):
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()


_READ: dict[str, PreparedPdf] = {}
"""The parts and frame of the last sheet joined in this process, as read (sha256 → PDF read): a `watch`
edit reads and checks only what it laid out again. Whatever the cache holds is checked once."""
_PART_LIMIT = 256 * 2**20  # bytes: no part the cache writes is near this (a 1,000-note sheet: 3 MB)
_RECORD_LIMIT = 16 * 2**20


def _cached(cache: Path, key: str, renderer: Renderer, parsed: dict[bytes, PreparedPdf]) -> Rendered | None:
    """A part rendered before from the same HTML, if every file it read is unchanged (its PDF, as
    read, goes in `parsed`). A damaged entry (not a regular file, too large, not what the cache writes,
    a PDF WeasyPrint would not make) is named in a warning and laid out again."""
    try:
        return _cached_or_damaged(cache, key, renderer, parsed)
    except DamagedCache as damage:
        log.warning("%s; laid out again", damage)
        return None


def _cached_or_damaged(
    cache: Path, key: str, renderer: Renderer, parsed: dict[bytes, PreparedPdf]
) -> Rendered | None:
    from cheatdeck.hashing import file_hash
    from cheatdeck.outputs import json_from_cache, read_from_cache
    from cheatdeck.sheet.fetch import local_file

    record = cache / f"{key}.json"
    entry = json_from_cache(record, _RECORD_LIMIT)
    if entry is None:
        return None
    assert isinstance(entry, dict)
    files, warnings, digest = entry.get("files"), entry.get("warnings"), entry.get("sha256")
    if not (
        isinstance(files, dict)
        and all(isinstance(url, str) and isinstance(value, str) for url, value in files.items())
        and isinstance(warnings, list)
        and all(isinstance(warning, str) for warning in warnings)
        and isinstance(digest, str)
    ):
        raise DamagedCache(record, "not the record the cache writes")
    for url, value in files.items():
        path = local_file(url, renderer.roots)
        if path is None or file_hash(path) != value:
            return None  # a file the part shows has changed: not damage, just another part
    part = cache / f"{key}.pdf"
    pdf = read_from_cache(part, _PART_LIMIT)
    if pdf is None:
        return None
    if hashlib.sha256(pdf).hexdigest() != digest:  # cut short, or changed by hand
        raise DamagedCache(part, "its content is not what the cache wrote")
    parsed[pdf] = _READ.get(digest) or _check_part(part, pdf)
    return Rendered(pdf, tuple(warnings), files)


def _check_part(path: Path, pdf: bytes) -> PreparedPdf:
    """Return the PDF read; raise `DamagedCache` unless it reads whole and holds nothing WeasyPrint never
    makes: no action run on opening a page or the document, no JavaScript, no link but to a place or an
    address."""
    try:
        read = join.read_pdf(pdf)
    except Exception as error:  # a forged file raises many kinds (BadPdf, ValueError, RecursionError …)
        raise DamagedCache(path, f"not a PDF the cache wrote: {type(error).__name__}") from None
    if read.unsafe:
        raise DamagedCache(path, read.unsafe[0])
    return read


def _store(cache: Path, fresh: Mapping[str, Rendered]) -> None:
    """Keep the parts just rendered. A cache that cannot be written only costs time on the next build."""
    from cheatdeck.outputs import keep_in_cache

    for key, rendered in fresh.items():
        entry = {
            "sha256": hashlib.sha256(rendered.pdf).hexdigest(),
            "files": dict(rendered.files),
            "warnings": list(rendered.warnings),
        }
        if keep_in_cache(cache / f"{key}.pdf", rendered.pdf):
            keep_in_cache(cache / f"{key}.json", json.dumps(entry).encode())


def _prune(cache: Path, keep: set[str]) -> None:
    """Forget the parts (and frames) this sheet no longer has."""
    try:
        for path in cache.iterdir():
            kept = _ENTRY.fullmatch(path.name)  # only what this cache writes: the folder may be a link
            if kept and kept[1] not in keep:
                path.unlink()
    except OSError as error:
        log.debug("sheet cache not pruned: %s", error)
