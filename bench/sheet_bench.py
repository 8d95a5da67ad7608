#!/usr/bin/env python3
"""Measure the cheat sheet's layout: pages, words, blank column area per page and render time, per layout.

Run from the project root:

    .venv/bin/python bench/sheet_bench.py [--sizes 100,300,1000] [--layouts sheet,guide] [--runs 1]

For the shipped notes and for synthetic note sets (bench.py's generator, plus 1-4 facts per note, a few
with math), it renders each layout once untimed (fonts, caches) and then `--runs` times, and prints:
pages, words on the page (from the laid-out text boxes), blank share of the note columns on every notes
page (the last page of each chapter is marked *: it may be short), headings left alone at a column
foot, and the median seconds for HTML (Jinja + Markdown + math), layout (WeasyPrint render; its CPU time
in brackets, steadier than wall time on a shared machine) and PDF writing.
Everything is written under one temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bench import ADJECTIVES, NOUNS, make_notes  # noqa: E402  (bench/bench.py: the note generator)

SEED = 20241125
BLANK_TARGET = 0.10


def _fact(rng: random.Random) -> Any:
    """Return one synthetic fact: a statement with a ==marked== span, a q/a pair, or one with math."""
    noun, other, adjective = rng.choice(NOUNS), rng.choice(NOUNS), rng.choice(ADJECTIVES)
    shape = rng.random()
    if shape < 0.6:
        return f"A {adjective} {noun} needs =={rng.randint(2, 15)} {other}s== per {rng.choice(NOUNS)}"
    if shape < 0.9:
        return {"q": f"Which {noun} does a {adjective} {other} use?", "a": f"the {rng.choice(NOUNS)} {noun}"}
    return f"{noun.capitalize()} score: ==$\\frac{{TP}}{{TP+FP}}$== for each {other}"


def synthetic_notes(count: int) -> list[dict[str, Any]]:
    """Return bench.py's `count` synthetic notes, each with 1-4 facts (deterministic)."""
    rng = random.Random(SEED)
    notes = make_notes(count)
    for note in notes:
        note["facts"] = [_fact(rng) for _ in range(rng.randint(1, 4))]
    return notes


def write_synthetic_source(folder: Path, count: int) -> Path:
    """Write a deck.yaml and one notes file of `count` synthetic notes into `folder`; return it."""
    import yaml

    folder.mkdir(parents=True)
    (folder / "deck.yaml").write_text(f"id: sheet-bench\ntitle: Sheet benchmark ({count} notes)\n")
    text = yaml.safe_dump({"notes": synthetic_notes(count)}, sort_keys=False, allow_unicode=True)
    (folder / "notes.yaml").write_text(text, encoding="utf-8")
    return folder


@dataclass
class Result:
    """One layout of one note set, measured."""

    name: str
    layout: str
    pages: int
    words: int
    fills: list[Any]
    html_s: float
    layout_s: float
    write_s: float
    layout_cpu_s: float


def measure(name: str, source: Path, layout: str, runs: int, scratch: Path) -> Result:
    """Render `source` in `layout` (one untimed warm-up, then `runs` timed) and read the layout back."""
    import weasyprint

    from cheatdeck import SHIPPED_TEMPLATES
    from cheatdeck.notes.sources import load_sources
    from cheatdeck.options import SheetOptions
    from cheatdeck.sheet.document import render_sheet_html
    from cheatdeck.sheet.layout import notes_pages

    notebook = load_sources(source)
    times: dict[str, list[float]] = {"html": [], "layout": [], "write": [], "layout_cpu": []}
    document = None
    for run in range(runs + 1):
        started = time.perf_counter()
        html = render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(layout=layout), changed=0)
        rendered, cpu = time.perf_counter(), time.process_time()
        document = weasyprint.HTML(string=html, base_url=str(source)).render()
        laid_out, layout_cpu = time.perf_counter(), time.process_time() - cpu
        document.write_pdf(scratch / f"{name}-{layout}.pdf")
        written = time.perf_counter()
        if run:  # the first run warms fonts and caches
            times["html"].append(rendered - started)
            times["layout"].append(laid_out - rendered)
            times["write"].append(written - laid_out)
            times["layout_cpu"].append(layout_cpu)
    assert document is not None
    words = sum(
        len(box.text.split())
        for page in document.pages
        for box in _walk(page._page_box)
        if hasattr(box, "text")
    )
    return Result(
        name,
        layout,
        len(document.pages),
        words,
        notes_pages(document),
        *(statistics.median(times[key]) for key in ("html", "layout", "write", "layout_cpu")),
    )


def _walk(box: Any) -> Any:
    yield box
    for child in getattr(box, "children", []):
        yield from _walk(child)


def report(result: Result) -> str:
    """Return one result as a Markdown table row."""
    blanks = " ".join(
        f"p{fill.page}:{fill.blank:.0%}{'*' if fill.ends_chapter else ''}" for fill in result.fills
    )
    worst = max((fill.blank for fill in result.fills if not fill.ends_chapter), default=0.0)
    lonely = sum(len(fill.lonely_headings) for fill in result.fills)
    verdict = "ok" if worst <= BLANK_TARGET and not lonely else "OVER"
    return (
        f"| {result.name} | {result.layout} | {result.pages} | {result.words:,} | {blanks} | {worst:.1%} "
        f"{verdict} | {lonely} | {result.html_s:.2f} | {result.layout_s:.2f} ({result.layout_cpu_s:.2f}) "
        f"| {result.write_s:.2f} |"
    )


def main() -> None:
    """Measure the shipped notes and each synthetic size in each layout; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000", help="synthetic note counts, comma-separated")
    parser.add_argument("--layouts", default="sheet,guide", help="layouts to measure, comma-separated")
    parser.add_argument("--runs", type=int, default=1, help="timed runs per case (median reported)")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",") if size]
    layouts = arguments.layouts.split(",")
    scratch = Path(tempfile.mkdtemp(prefix="sheet-bench-"))
    try:
        cases = [("shipped", ROOT / "source")]
        cases += [(f"{n} notes", write_synthetic_source(scratch / f"source-{n}", n)) for n in sizes]
        print(
            "| notes | layout | pages | words | blank column area per notes page (* a chapter's last page) "
            "| worst but last | lonely headings | html s | layout s (cpu s) | pdf s |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for name, source in cases:
            for layout in layouts:
                print(report(measure(name.replace(" ", "-"), source, layout, arguments.runs, scratch)))
                sys.stdout.flush()
        print(f"\ntarget: blank column area <= {BLANK_TARGET:.0%} on every notes page but the last")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
