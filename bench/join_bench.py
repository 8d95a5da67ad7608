#!/usr/bin/env python3
"""The sheet's join alone: what joining the laid-out parts costs at 300, 1,000 and 3,000 notes.

Run from the project root (or with PYTHONPATH at another checkout, to measure its join):

    .venv/bin/python bench/join_bench.py [--sizes 300,1000,3000] [--runs 5] [--work DIR]

For each size N (bench.py's seeded synthetic notes) it builds the sheet once (`--force`, untimed) and
keeps what the build handed the join: the parts' PDFs, the frame's and the anchors each part lays out.
Then it times `cheatdeck.sheet.join.join_parts` on them, `--runs` times each, in three cases:
- cold: nothing read before (a fresh `build` process joining parts from the cache);
- edit: every part read before but one (a `watch` edit: the part laid out again is read afresh);
- edit, shifted: the same, where the edit moved the objects of every later part (their numbers change);
and checks that every case gives the bytes of the cold join, and that the joined PDF reads back whole
(pypdf's strict reader: pages, outline, named destinations; PDFium: each page's text).
Figures are the median CPU and wall seconds of this process; the load average is printed beside them.
`--work DIR` keeps the sources and builds there (a second run, e.g. at another commit, reuses them).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bench  # noqa: E402  (bench/bench.py: the synthetic notes)


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def captured_join(source: Path, out: Path) -> dict[str, Any]:
    """Build the sheet, keeping the arguments of its join (the frame as the bytes it gave)."""
    import cheatdeck.sheet.join
    import cheatdeck.sheet.pdf
    from cheatdeck.build.pipeline import build
    from cheatdeck.options import BuildOptions

    seen: dict[str, Any] = {}
    join = cheatdeck.sheet.join.join_parts

    def keeping(
        parts: Any, frame_for: Callable[[int], bytes], owned: Any, parsed: Any = None, **rest: Any
    ) -> Any:
        def frame(pages: int) -> bytes:
            seen["frame"] = frame_for(pages)
            return seen["frame"]

        seen["parts"], seen["owned"], seen["rest"] = list(parts), list(owned), rest
        return join(parts, frame, owned=owned, parsed=parsed, **rest)

    cheatdeck.sheet.pdf.join.join_parts = keeping  # type: ignore[assignment]
    try:
        build(BuildOptions(source=source, out=out, artefacts=("sheet",), force=True))
    finally:
        cheatdeck.sheet.pdf.join.join_parts = join
    return seen


def timed(function: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def check(pdf: bytes, parts: int) -> str:
    """Read the joined PDF back whole; describe what it holds."""
    from pypdf import PdfReader

    sys.path.insert(0, str(ROOT))
    from tests.pdf_text import page_texts

    reader = PdfReader(io.BytesIO(pdf), strict=True)
    pages = len(reader.pages)
    links = sum(len(page.get("/Annots", [])) for page in reader.pages)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        texts = page_texts(Path(file.name))
    framed = all(f"page {number} of {pages}" in text for number, text in enumerate(texts, start=1))
    return (
        f"{parts} parts, {pages} pages ({len(texts)} read by PDFium, page x of y on each: {framed}), "
        f"{links} links, {len(reader.outline)} top bookmarks, {len(reader.named_destinations)} "
        f"named destinations, {len(pdf) / 2**20:.1f} MiB"
    )


def bench_size(count: int, runs: int, work: Path) -> None:
    from cheatdeck.sheet.join import join_parts

    source, out = work / f"notes-{count}", work / f"dist-{count}"
    if not source.exists():
        bench.write_source(source, count)
    seen = captured_join(source, out)
    parts, owned, frame, rest = seen["parts"], seen["owned"], seen["frame"], seen["rest"]

    def join(parsed: dict[bytes, Any]) -> bytes:
        return join_parts(parts, lambda _: frame, owned=owned, parsed=parsed, **rest)[0]

    edited = len(parts) // 2  # the part an edit laid out again
    warm: dict[bytes, Any] = {}
    reference = join(warm)
    figures: dict[str, list[tuple[float, float]]] = {"cold": [], "edit": [], "edit, shifted": []}
    for _ in range(runs):
        cpu, wall, joined = timed(lambda: join({}))
        assert joined == reference, "a cold join gave other bytes"
        figures["cold"].append((cpu, wall))
        for case in ("edit", "edit, shifted"):
            parsed = {pdf: read for pdf, read in warm.items() if pdf != parts[edited]}
            if case == "edit, shifted":
                for pdf in parts[edited:]:
                    if hasattr(parsed.get(pdf), "written"):
                        parsed[pdf].written = None
            cpu, wall, joined = timed(lambda parsed=parsed: join(parsed))
            assert joined == reference, f"{case}: other bytes than a cold join"
            figures[case].append((cpu, wall))
            warm = parsed  # the edited part read again, as `watch` keeps it
    print(f"{count:>5} notes ({load()}): {check(reference, len(parts))}")
    for case, values in figures.items():
        cpu = statistics.median(value[0] for value in values)
        wall = statistics.median(value[1] for value in values)
        print(f"      join, {case:<14} CPU {cpu:6.3f} s   wall {wall:6.3f} s   ({runs} runs, same bytes)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="300,1000,3000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None)
    arguments = parser.parse_args(argv)
    import cheatdeck

    print(f"cheatdeck from {Path(cheatdeck.__file__).parent.parent}; {load()}")
    with tempfile.TemporaryDirectory() as temporary:
        work = arguments.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        for count in (int(size) for size in arguments.sizes.split(",")):
            bench_size(count, arguments.runs, work)
    print(f"done; {load()}")


if __name__ == "__main__":
    main()
