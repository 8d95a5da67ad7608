#!/usr/bin/env python3
"""Time the two figures issue 10 names: a 50,000-character unbreakable token on the sheet (target: under
2 s of layout), and a no-op build beside large media (no re-hashing of unchanged files).

    .venv/bin/python bench/hardening_bench.py                  # token 50,000 chars; media 300 MB; 3 runs
    .venv/bin/python bench/hardening_bench.py --token 20000 --media-mb 50 --runs 5

Token: a one-note notes folder whose summary (on the guide layout: whose body) is one word of N letters;
the sheet HTML is rendered, then `weasyprint.HTML(...).render()` is timed on what `write_sheet_pdf` hands
it (`breakable(html)`), against the same note with a 100-character word (the sheet's fixed cost). The
layout of the raw HTML (no break opportunities, as before the fix) is timed too, for a shorter token only:
it grows quadratically (issue 10 measured 44 s at 20,000 characters).

No-op: a notes folder with one note and `--media-mb` of media in 30 MB files, built once; files are dated
a minute back (as saved media are), then a no-op `build()` is timed: with the stat cache, and with the
state file's cache emptied (every input file is hashed again, as before the fix).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cheatdeck import SHIPPED_TEMPLATES  # noqa: E402
from cheatdeck.build.pipeline import build  # noqa: E402
from cheatdeck.build.state import STATE_FILE  # noqa: E402
from cheatdeck.notes.sources import load_sources  # noqa: E402
from cheatdeck.options import BuildOptions, SheetOptions  # noqa: E402
from cheatdeck.sheet.breaks import breakable  # noqa: E402
from cheatdeck.sheet.document import render_sheet_html  # noqa: E402


def _median(runs: int, action: Callable[[], object]) -> tuple[float, list[float], float]:
    """Run `action`; return the median wall time, every wall time, and the median CPU time of this
    process (steadier than wall time on a shared machine)."""
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(times), times, statistics.median(cpu)


def _token_html(root: Path, length: int, layout: str) -> str:
    source = root / f"token-{length}-{layout}"
    source.mkdir(parents=True)
    (source / "deck.yaml").write_text("id: token\ntitle: Token\n")
    word = "x" * length  # in the summary on the condensed sheet, in the body on the guide
    summary, body = ("s", f"    body: y{word}\n") if layout == "guide" else (f"s{word}", "")
    (source / "notes.yaml").write_text(
        f"notes:\n  - id: a\n    title: A\n    kind: concept\n    summary: {summary}\n{body}"
    )
    return render_sheet_html(load_sources(source), SHIPPED_TEMPLATES, SheetOptions(layout=layout), 0)


def bench_token(root: Path, length: int, raw_length: int, runs: int) -> None:
    import weasyprint

    weasyprint.HTML(string="<p>warm up</p>").render()
    print(f"\nToken on the sheet (layout only, `HTML.render()`), median of {runs} runs, seconds")
    print(
        "| layout | token | pages | layout s (wall) | runs | CPU s | fixed cost (100 chars) | token's share |"
    )
    print("|---|---:|---:|---:|---|---:|---:|---:|")
    for layout in ("sheet", "guide"):
        base_html = breakable(_token_html(root, 100, layout))
        base, _, _ = _median(runs, lambda html=base_html: weasyprint.HTML(string=html).render())
        html = breakable(_token_html(root, length, layout))
        pages = len(weasyprint.HTML(string=html).render().pages)
        median, times, cpu = _median(runs, lambda html=html: weasyprint.HTML(string=html).render())
        spread = ", ".join(f"{t:.2f}" for t in times)
        cells = [layout, f"{length:,}", pages, f"{median:.2f}", spread, f"{cpu:.2f}", f"{base:.2f}"]
        print("| " + " | ".join(map(str, cells)) + f" | {median - base:.2f} |")
    if raw_length:
        html = _token_html(root, raw_length, "sheet")
        for label, text in (("without breaks (before)", html), ("with breaks (now)", breakable(html))):
            median, _, cpu = _median(1, lambda text=text: weasyprint.HTML(string=text).render())
            print(f"sheet, {raw_length:,}-char token, {label}: {median:.2f} s (CPU {cpu:.2f} s)")


def bench_no_op(root: Path, media_mb: int, runs: int) -> None:
    source, out = root / "media-source", root / "media-dist"
    (source / "media").mkdir(parents=True)
    (source / "deck.yaml").write_text("id: media\ntitle: Media\n")
    (source / "notes.yaml").write_text(
        "notes:\n  - id: a\n    title: A\n    kind: concept\n    summary: Big media.\n"
    )
    chunk = os.urandom(1 << 20)
    remaining, index = media_mb, 0
    while remaining > 0:
        size = min(30, remaining)
        with open(source / "media" / f"clip-{index}.bin", "wb") as handle:
            for _ in range(size):
                handle.write(chunk)
        remaining, index = remaining - size, index + 1
    minute_ago = time.time_ns() - 60 * 10**9
    for path in (source / "media").iterdir():
        os.utime(path, ns=(minute_ago, minute_ago))
    options = BuildOptions(source=source, out=out, artefacts=("deck", "grid"))
    build(options)
    build(options)  # the first no-op after the build: the state now caches every settled file
    state_path = out / STATE_FILE
    state = state_path.read_text()

    def cached() -> None:
        assert build(options).up_to_date

    def uncached() -> None:
        data = json.loads(state)
        data["files"] = {}
        state_path.write_text(json.dumps(data))
        try:
            assert build(options).up_to_date
        finally:
            state_path.write_text(state)

    with_cache, times, _ = _median(runs, cached)
    without, times_without, _ = _median(runs, uncached)
    print(f"\nNo-op build() beside {media_mb} MB of media ({index} files), median of {runs} runs, seconds")
    print(f"with the stat cache:           {with_cache:.3f}  (runs {', '.join(f'{t:.3f}' for t in times)})")
    print(
        f"every file hashed (no cache):  {without:.3f}  (runs {', '.join(f'{t:.3f}' for t in times_without)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--token", type=int, default=50_000, help="length of the unbreakable token")
    parser.add_argument(
        "--raw-token", type=int, default=4_000, help="token laid out without breaks (0: skip)"
    )
    parser.add_argument("--media-mb", type=int, default=300, help="megabytes of media for the no-op build")
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load {load}")
    with tempfile.TemporaryDirectory(prefix="cheatdeck-hardening-bench-") as scratch:
        bench_token(Path(scratch), arguments.token, arguments.raw_token, arguments.runs)
        bench_no_op(Path(scratch), arguments.media_mb, arguments.runs)


if __name__ == "__main__":
    main()
