#!/usr/bin/env python3
"""One-note `watch` saves at one size, in this process: wall and CPU time of each, then whether every
output is byte-identical to a `--force` build of the same notes into a fresh folder.

It measures the cheatdeck Python imports (PYTHONPATH's, else the installed one; its folder is printed):
compare two trees by running the script with each in turn, interleaved, and read the load average
printed beside each:

    PYTHONPATH=. .venv/bin/python bench/save_bench.py [--notes 1000] [--edits 3]

Each edit changes the first services note's summary (as bench/edit_bench.py does) and runs
`watch.build_once` (deck and grid, then the sheet); the time to the deck and grid is printed too. CPU is
this process's and its layout workers'. Everything is written under a temporary folder,
removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import cheatdeck  # before edit_bench puts this script's tree first on the path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import edit_bench

import bench


def ready(times: list[float], started: float, _: object) -> None:
    """Note when the deck and grid of a save are out."""
    times.append(time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1_000)
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument(
        "--ahead",
        choices=("auto", "on", "off"),
        default="auto",
        help="lay the sheet out ahead in a worker: as the load allows (auto), always, never",
    )
    args = parser.parse_args(argv)
    if args.ahead != "auto":  # a tree without the worker has no `_busy`: nothing to choose
        from cheatdeck.sheet import pdf

        pdf._busy = (lambda: False) if args.ahead == "on" else (lambda: True)  # type: ignore[attr-defined]

    from cheatdeck.build.pipeline import build
    from cheatdeck.build.watch import build_once
    from cheatdeck.options import BuildOptions

    root = Path(tempfile.mkdtemp(prefix="save-bench-"))
    try:
        bench.write_source(root / "source", args.notes)
        options = BuildOptions(source=root / "source", out=root / "out", artefacts=("deck", "sheet", "grid"))
        build(replace(options, force=True))
        times, quick = [], []
        for run in range(args.edits):
            edit_bench.edit_summary(root / "source", run)
            wall, cpu = time.perf_counter(), edit_bench.cpu_now()
            result = build_once(options, lambda line: None, partial(ready, quick, wall))
            if isinstance(result, Exception):
                raise SystemExit(f"the edited build failed: {result}")
            times.append(f"{time.perf_counter() - wall:.2f}/{edit_bench.cpu_now() - cpu:.2f}")
        cheatdeck.forget_caches()
        build(replace(options, out=root / "fresh", force=True))
        fresh = [p for p in (root / "fresh").iterdir() if p.is_file() and not p.name.startswith(".")]
        same = all((root / "out" / path.name).read_bytes() == path.read_bytes() for path in fresh)
        print(
            f"{Path(cheatdeck.__file__).resolve().parent.parent}: {args.notes} notes, ahead {args.ahead}, "
            f"save → every output (wall/CPU s): {' '.join(times)}; "
            f"→ deck and grid (wall s): {' '.join(f'{seconds:.2f}' for seconds in quick)}; "
            f"byte-identical to --force: {same}; load {os.getloadavg()[0]:.2f}"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
