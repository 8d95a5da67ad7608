#!/usr/bin/env python3
"""The edit loop at any size: one-note edits, the shipped build against its floor, no-op, peak memory.

Run from the project root:

    .venv/bin/python bench/edit_bench.py [--sizes 300,1000,3000] [--runs 3] [--quick] [--bare]
        [--no-one-document] [--rss-sizes 1000]

For each size N (bench.py's seeded synthetic notes) it builds everything once (`--force`, timed: the
"full" build), then edits one note's summary and rebuilds through `watch.build_once` (deck and grid
first, the sheet after, as `watch` does), `--runs` times; then edits a grid field (`use_case`) `--runs`
times the same way, builds `--runs` more summary edits each with a fresh `build.py build` process
(start-up and cold caches included), and finally times a no-op rebuild; `--bare` also times bare
WeasyPrint on each size's whole HTML. It lays each size's sheet out as one document too (WeasyPrint on
the whole HTML; `--no-one-document` skips it), for the page count the parts must keep, and for the sizes
in `--rss-sizes` runs one more forced build in a fresh process for the most memory that process and its
layout workers held at once (their RSS summed every 50 ms). The load average is printed beside every
size. Then it times
a forced full build of the shipped notes against two floors: (a) bare WeasyPrint on SIMPLE HTML with the
same words and page size in plain balanced columns, plus bare genanki (the honest floor), and (b) bare
WeasyPrint on cheatdeck's own HTML. Every figure is given as wall time and CPU time of this process (and
its children); the machine is shared, so ratios measured in one run are the figures of record.
The sheet's parts render on every core, so the full-build targets are judged on wall time (parallel
work counts), with the CPU ratio beside them.
Everything is written under one temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import gc
import re
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench  # noqa: E402  (bench/bench.py: the synthetic notes and the genanki floor)

DEFAULT_SIZES = (300, 1_000, 3_000)
QUICK_SIZES = (300,)
TARGET_EDIT_ALL = {300: 1.0, 1_000: 1.5, 3_000: 2.0}  # save → every output, one-note edit (wall s)
TARGET_GRID_FIELD = 2.0  # a grid field edited at 1,000 notes: save → every output (wall s)
TARGET_FLOOR = 1.5  # shipped full build / simple-HTML floor (wall), on the way to 1.15
TARGET_NOOP = 0.3  # no-op rebuild at 1,000 notes


@dataclass(frozen=True)
class Time:
    """One measurement: wall seconds and CPU seconds (this process and its children)."""

    wall: float
    cpu: float
    own: float = 0.0  # CPU seconds of this process alone (its workers aside)


def cpu_now() -> float:
    """Return the CPU seconds used so far by this process and its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def own_cpu_now() -> float:
    """Return the CPU seconds used so far by this process alone (its workers aside)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def measure(function: Callable[[], Any]) -> tuple[Time, Any]:
    """Return (wall and CPU time of one call, its result); earlier garbage is collected first, untimed."""
    gc.collect()
    wall, cpu, own = time.perf_counter(), cpu_now(), own_cpu_now()
    result = function()
    return Time(time.perf_counter() - wall, cpu_now() - cpu, own_cpu_now() - own), result


def peak_rss_mb() -> float:
    """Return the peak resident memory of this process so far, in MB (Linux: ru_maxrss is in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Series:
    """Named lists of measurements, with medians."""

    times: dict[str, list[Time]] = field(default_factory=dict)

    def add(self, name: str, value: Time) -> None:
        self.times.setdefault(name, []).append(value)

    def wall(self, name: str) -> float | None:
        values = self.times.get(name)
        return statistics.median(t.wall for t in values) if values else None

    def cpu(self, name: str) -> float | None:
        values = self.times.get(name)
        return statistics.median(t.cpu for t in values) if values else None


def edit_summary(source: Path, run: int) -> None:
    """Change the first note's summary in the first services file (a real one-note edit)."""
    import yaml  # type: ignore[import-untyped]

    path = sorted(source.glob("services-*.yaml"))[0]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["notes"][0]["summary"] = data["notes"][0]["summary"].rstrip(".") + f", edited {run + 1} times."
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True), encoding="utf-8")


def edit_use_case(source: Path, run: int) -> None:
    """Change the first service's use case: its page of notes and the grid pages both change."""
    import yaml  # type: ignore[import-untyped]

    path = sorted(source.glob("services-*.yaml"))[0]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["notes"][0]["use_case"] = data["notes"][0]["use_case"] + f" (revised {run + 1})"
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True), encoding="utf-8")


def timed_cli_build(source: Path, out: Path, env: dict[str, str]) -> Time:
    """Time `python build.py build` in a fresh process (start-up and cold caches included)."""
    import subprocess

    command = [sys.executable, str(ROOT / "build.py"), "build", "--source", str(source), "--out", str(out)]
    gc.collect()
    wall, cpu = time.perf_counter(), cpu_now()
    subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return Time(time.perf_counter() - wall, cpu_now() - cpu)


def timed_build_once(options: Any) -> tuple[Time, Time, Any]:
    """Run `watch.build_once`; return (time until deck and grid are current, time until all are, report)."""
    from cheatdeck.build.watch import build_once

    gc.collect()
    wall, cpu = time.perf_counter(), cpu_now()
    marks: list[Time] = []

    def between(quick: Any) -> None:
        marks.append(Time(time.perf_counter() - wall, cpu_now() - cpu))

    report = build_once(options, lambda line: None, between)
    total = Time(time.perf_counter() - wall, cpu_now() - cpu)
    if isinstance(report, Exception):
        raise SystemExit(f"the edited build failed: {report}")
    if not marks:
        raise SystemExit("build_once did not write deck and grid first (between was not called)")
    return marks[0], total, report


_RSS_BUILD = """
import os, resource, sys, threading, time
from pathlib import Path
from cheatdeck.build.pipeline import build
from cheatdeck.options import BuildOptions

peak = [0]
def held():  # the resident memory of this process and of its children, now
    me = os.getpid()
    pids = [me, *map(int, open(f"/proc/{me}/task/{me}/children").read().split())]
    total = 0
    for pid in pids:
        try:
            total += int(open(f"/proc/{pid}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total
def watch():
    while True:
        peak[0] = max(peak[0], held())
        time.sleep(0.05)
threading.Thread(target=watch, daemon=True).start()
build(BuildOptions(source=Path(sys.argv[1]), out=Path(sys.argv[2]), force=True))
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(own, workers, peak[0])
"""


def rss_of_a_build(source: Path, out: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Peak RSS (MiB) of a forced build in a fresh process, of its largest layout worker, and of all of
    them at once (their RSS summed every 50 ms; pages they share count twice)."""
    import subprocess

    command = [sys.executable, "-c", _RSS_BUILD, str(source), str(out)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    own, workers, together = (int(value) / 2**20 for value in done.stdout.split()[-3:])
    return own, workers, together


def one_document_pages(source: Path) -> tuple[int, Time]:
    """The page count of the sheet laid out as one document (WeasyPrint on the whole HTML), and its time."""
    from cheatdeck import SHIPPED_TEMPLATES
    from cheatdeck.sheet.document import sheet_renderer

    html = bench.sheet_html(source)
    renderer = sheet_renderer(source, SHIPPED_TEMPLATES, None)
    took, rendered = measure(lambda: renderer.render(html, 0))
    return rendered.pages, took


def load() -> str:
    """The machine's load average (1, 5, 15 minutes): the machine is shared."""
    import os

    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def bench_size(
    count: int,
    runs: int,
    space: bench.Workspace,
    env: dict[str, str],
    bare: bool,
    one_document: bool = True,
    rss: bool = False,
) -> tuple[Series, dict[str, Any]]:
    """Full build, `runs` one-note edits (a summary; a grid field), an edit built by a fresh `build.py`
    process, and a no-op rebuild, of `count` synthetic notes."""
    from cheatdeck.build.pipeline import build
    from cheatdeck.options import BuildOptions

    series, facts = Series(), {"load before": load()}
    master = space.fresh(f"edit-{count}") / "source"
    bench.write_source(master, count)
    source, out = space.copy_of(master, f"edit-work-{count}")
    options = BuildOptions(source=source, out=out, artefacts=("deck", "sheet", "grid"))
    full, report = measure(lambda: build(replace(options, force=True)))
    series.add("full", full)
    facts["pages"] = report.sheet_pages
    if one_document:
        facts["one_pages"], took = one_document_pages(source)
        series.add("one document", took)
    if rss:
        facts["rss_all"] = rss_of_a_build(master, space.fresh(f"rss-{count}") / "out", env)
    if bare:
        html = bench.sheet_html(source)
        series.add("weasyprint", measure(lambda: bench.sheet_floor(html, space.fresh("wp") / "f.pdf"))[0])
    for run in range(runs):
        print(f"  N={count}: edit {run + 1}/{runs}", file=sys.stderr, flush=True)
        edit_summary(source, run)
        quick, total, report = timed_build_once(options)
        series.add("deck+grid", quick)
        series.add("sheet", Time(total.wall - quick.wall, total.cpu - quick.cpu))
        series.add("edit", total)
    for run in range(runs):
        print(f"  N={count}: grid-field edit {run + 1}/{runs}", file=sys.stderr, flush=True)
        edit_use_case(source, run)
        series.add("edit grid field", timed_build_once(options)[1])
    for run in range(runs):
        print(f"  N={count}: edit built by a fresh process {run + 1}/{runs}", file=sys.stderr, flush=True)
        edit_summary(source, runs + run)
        series.add("edit (CLI)", timed_cli_build(source, out, env))
    noop, report = measure(lambda: build(options))
    series.add("noop", noop)
    facts["noop_ok"] = report.up_to_date
    facts["noop_wrote"] = ", ".join(path.name for path in report.written) or "nothing"
    forced = space.fresh(f"forced-{count}") / "out"
    build(replace(options, out=forced, force=True))
    names = sorted(path.name for path in out.iterdir() if not path.name.startswith("."))
    facts["identical"] = all((forced / name).read_bytes() == (out / name).read_bytes() for name in names)
    facts["rss"] = peak_rss_mb()
    facts["load after"] = load()
    space.discard(source)
    return series, facts


class _Words(HTMLParser):
    """Collect the visible text of an HTML page as one string per block element."""

    BLOCKS = frozenset(
        ["p", "li", "h1", "h2", "h3", "h4", "dt", "dd", "td", "th", "tr", "article", "section", "div"]
    )

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[list[str]] = [[]]
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.blocks.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "title"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.blocks[-1].append(data)


def simple_html(html: str) -> str:
    """Return SIMPLE HTML with the same words and page as cheatdeck's sheet: plain balanced columns."""
    from html import escape

    parser = _Words()
    parser.feed(html)
    paragraphs = [" ".join("".join(block).split()) for block in parser.blocks]
    page = re.search(r"size:\s*([^;]+);\s*margin:\s*([^;]+);", html)
    size, margin = (page.group(1), page.group(2)) if page else ("a4 landscape", "7mm 6mm")
    body = "\n".join(f"<p>{escape(text)}</p>" for text in paragraphs if text)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>@page {{ size: {size}; margin: {margin}; }}"
        'html { font-family: "DejaVu Sans Condensed", sans-serif; font-size: 7pt; line-height: 1.16; }'
        "body { margin: 0; columns: 5; column-gap: 2.5mm; } p { margin: 0 0 0.8mm; }"
        f"</style></head><body>{body}</body></html>"
    )


def bench_shipped(runs: int, space: bench.Workspace) -> tuple[Series, dict[str, Any]]:
    """Forced full build of the shipped notes against the simple-HTML floor and cheatdeck's-HTML floor."""
    import weasyprint

    from cheatdeck.notes.sources import load_sources

    series = Series()
    own = bench.sheet_html(bench.SHIPPED_SOURCE)
    simple = simple_html(own)
    floor_inputs = bench.deck_floor_inputs(load_sources(bench.SHIPPED_SOURCE))
    facts = {
        "pages": len(weasyprint.HTML(string=own).render().pages),
        "simple_pages": len(weasyprint.HTML(string=simple).render().pages),
        "words": len(" ".join(_text_of(own)).split()),
        "simple_words": len(" ".join(_text_of(simple)).split()),
    }
    for run in range(runs):  # interleaved, so a busy machine slows every figure alike
        print(f"  shipped: run {run + 1}/{runs}", file=sys.stderr, flush=True)
        source, out = space.copy_of(bench.SHIPPED_SOURCE, "shipped")
        bench.forget_caches()  # what a fresh `build` process pays
        full = measure(partial(bench.run_build, source, out, ("deck", "sheet", "grid")))[0]
        series.add("full", full)
        series.add("full, build process", Time(full.wall, full.own))
        scratch = space.fresh("floors")
        deck = measure(partial(bench.deck_floor, floor_inputs, scratch / "floor.apkg"))[0]
        plain = measure(partial(bench.sheet_floor, simple, scratch / "simple.pdf"))[0]
        mine = measure(partial(bench.sheet_floor, own, scratch / "own.pdf"))[0]
        series.add("deck floor", deck)
        series.add("simple floor", Time(deck.wall + plain.wall, deck.cpu + plain.cpu))
        series.add("own-HTML floor", Time(deck.wall + mine.wall, deck.cpu + mine.cpu))
        space.discard(source)
        space.discard(scratch)
    return series, facts


def _text_of(html: str) -> list[str]:
    parser = _Words()
    parser.feed(html)
    return ["".join(block) for block in parser.blocks]


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def pair(series: Series, name: str) -> str:
    """Return 'wall / cpu' medians of one measurement."""
    return f"{fmt(series.wall(name))} / {fmt(series.cpu(name))}"


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def both(series: Series, numerator: str, denominator: str) -> str:
    """The ratio of two medians, in wall time and in CPU time."""
    wall = ratio(series.wall(numerator), series.wall(denominator))
    cpu = ratio(series.cpu(numerator), series.cpu(denominator))
    return f"{fmt(wall)}× / {fmt(cpu)}×"


def verdict(value: float | None, limit: float) -> str:
    return "not measured" if value is None else ("met" if value <= limit else "NOT met")


def print_report(
    results: dict[int, tuple[Series, dict[str, Any]]], shipped: Series, shipped_facts: dict[str, Any]
) -> None:
    """Print the tables: the edit loop by size, the shipped build against its floors, the targets."""
    print("## One-note edit, through watch.build_once (deck and grid first, then the sheet)\n")
    print(
        "| N | pages (one document) | save → deck+grid | save → every output | fresh `build.py` process "
        "| grid-field edit (`watch`) | full `--force` | edit / full (CPU) | no-op | peak RSS MB "
        "| fresh forced build: RSS MiB, all processes at once | load |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for count, (series, facts) in results.items():
        share = ratio(series.cpu("edit"), series.cpu("full"))
        noop = pair(series, "noop") + ("" if facts["noop_ok"] else f" (NOT a no-op: {facts['noop_wrote']})")
        one = facts.get("one_pages")
        pages = f"{facts['pages']} ({one}, {facts['pages'] / one - 1:+.1%})" if one else f"{facts['pages']}"
        together = facts.get("rss_all", (None, None, None))[2]
        rss_all = f"{together:.0f}" if together is not None else "—"
        print(
            f"| {count:,} | {pages} | {pair(series, 'deck+grid')} | {pair(series, 'edit')} "
            f"| {pair(series, 'edit (CLI)')} | {pair(series, 'edit grid field')} | {pair(series, 'full')} "
            f"| {fmt(share)}× | {noop} | {facts['rss']:.0f} | {rss_all} "
            f"| {facts['load before']} → {facts['load after']} |"
        )
    print(
        "\nPeak RSS is this process's peak so far (sizes run in increasing order; workers not counted); "
        "the fresh forced build's is the most its process and its layout workers held at once (sampled "
        "every 50 ms; their own ru_maxrss would count the bench's memory, kept across fork and exec)."
    )
    for count, (series, facts) in results.items():
        same = "byte-identical to" if facts["identical"] else "DIFFERENT from"
        print(f"N={count:,}: the outputs after the edits are {same} a `--force` build of the same sources.")
        if series.wall("weasyprint") is not None:
            print(
                f"N={count:,}: bare WeasyPrint on the whole HTML {pair(series, 'weasyprint')}; "
                f"full / bare {both(series, 'full', 'weasyprint')} (wall / CPU)"
            )

    full_c, simple_c = shipped.cpu("full"), shipped.cpu("simple floor")
    print("\n## Shipped notes, full `build --force` against the floors (interleaved)\n")
    print(
        f"Simple-HTML floor: bare genanki + bare WeasyPrint on {shipped_facts['simple_words']} words in "
        f"plain balanced columns, {shipped_facts['simple_pages']} page(s); cheatdeck's HTML: "
        f"{shipped_facts['words']} words, {shipped_facts['pages']} page(s). Load average now: {load()}.\n"
    )
    print(
        "| full build | deck floor | simple-HTML floor | own-HTML floor "
        "| full / simple (wall / CPU) | full / own (wall / CPU) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {pair(shipped, 'full')} | {pair(shipped, 'deck floor')} | {pair(shipped, 'simple floor')} "
        f"| {pair(shipped, 'own-HTML floor')} | {both(shipped, 'full', 'simple floor')} "
        f"| {both(shipped, 'full', 'own-HTML floor')} |"
    )
    own_c = shipped.cpu("full, build process")
    print(
        f"\nThe build process's own CPU (the layout worker's aside: the full build's longest path, its wall"
        f" time on cores nothing else uses): {fmt(own_c)} s, {fmt(ratio(own_c, simple_c))}× the simple"
        " floor's CPU."
    )

    print("\n## Targets\n")
    print("| target | measured | verdict |")
    print("|---|---:|---|")
    rows: list[tuple[str, float | None, float]] = [
        (
            f"one-note edit, {count:,} notes: save → every output ≤ {limit:g} s (wall)",
            results[count][0].wall("edit") if count in results else None,
            limit,
        )
        for count, limit in TARGET_EDIT_ALL.items()
    ]
    at1000 = results.get(1_000, (None, None))[0]
    rows += [
        (
            f"pages of the parts / one document at {count:,} notes − 1 ≤ 5 %",
            abs(facts["pages"] / facts["one_pages"] - 1) if facts.get("one_pages") else None,
            0.05,
        )
        for count, (_, facts) in results.items()
    ]
    rows += [
        (
            f"grid-field edit, 1,000 notes ≤ {TARGET_GRID_FIELD:g} s (wall)",
            at1000 and at1000.wall("edit grid field"),
            TARGET_GRID_FIELD,
        ),
        (
            f"shipped full build ≤ {TARGET_FLOOR:g} × simple-HTML floor "
            f"(wall; CPU {fmt(ratio(full_c, simple_c))}×)",
            ratio(shipped.wall("full"), shipped.wall("simple floor")),
            TARGET_FLOOR,
        ),
        ("no-op rebuild at 1,000 notes ≤ 0.3 s (wall)", at1000 and at1000.wall("noop"), TARGET_NOOP),
    ]
    for label, measured, limit in rows:
        value = measured if isinstance(measured, int | float) and not isinstance(measured, bool) else None
        print(f"| {label} | {fmt(value)} | {verdict(value, limit)} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=bench.parse_sizes, help="note counts (default 100,300,1000)")
    parser.add_argument("--runs", type=int, help="edits (and shipped builds) per size; medians (default 3)")
    parser.add_argument("--quick", action="store_true", help="size 300 and 1 run (unless given)")
    parser.add_argument("--bare", action="store_true", help="also bare WeasyPrint on each size's HTML")
    parser.add_argument(
        "--no-one-document", action="store_true", help="skip the one-document layout (its page count)"
    )
    parser.add_argument(
        "--rss-sizes", type=bench.parse_sizes, default=(1_000,), help="sizes whose fresh build's RSS is read"
    )
    args = parser.parse_args(argv)
    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    runs = args.runs or (1 if args.quick else 3)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    started = time.perf_counter()
    print("# cheatdeck: the edit loop (bench/edit_bench.py)\n")
    print(f"- sizes {', '.join(map(str, sizes))}; runs {runs}; cheatdeck {bench.git_head()}")
    print(f"- load average at the start: {load()} (1 / 5 / 15 min)")
    print("- every figure is `wall / CPU` seconds (median); CPU = this process and its children\n")
    with tempfile.TemporaryDirectory(prefix="cheatdeck-edit-bench-") as temporary:
        root = Path(temporary)
        sys.pycache_prefix = str(root / "pycache")
        space = bench.Workspace(root / "work")
        print("warming up…", file=sys.stderr, flush=True)
        bench.warm_up(space, bench.subprocess_env(root / "pycache"))
        env = bench.subprocess_env(root / "pycache")
        results = {
            count: bench_size(
                count, runs, space, env, args.bare, not args.no_one_document, count in args.rss_sizes
            )
            for count in sizes
        }
        shipped, shipped_facts = bench_shipped(runs, space)

    print_report(results, shipped, shipped_facts)
    print("\n<details><summary>every run (wall / CPU s)</summary>\n")
    for label, series in [*((f"N={c}", s) for c, (s, _) in results.items()), ("shipped", shipped)]:
        text = "; ".join(
            f"{name} " + ", ".join(f"{t.wall:.2f}/{t.cpu:.2f}" for t in values)
            for name, values in series.times.items()
        )
        print(f"- {label}: {text}")
    print("\n</details>")
    print(f"\nTotal wall time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
