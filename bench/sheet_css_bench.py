#!/usr/bin/env python3
"""What the sheet's CSS costs: WeasyPrint layout of the shipped sheet under CSS variants, in CPU seconds.

Run from the project root:

    .venv/bin/python bench/sheet_css_bench.py [--runs 5] [--source source]

Each variant is the sheet's HTML with one rule put back as it was before the condensed sheet (or changed),
so the ratio says what that rule costs. Runs are interleaved (one of each variant per round) and timed in
CPU time of this process, so a busy shared machine slows every variant alike; medians are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GRID_CELL = "table.grid th, table.grid td { border: 0.2mm solid #b0b6c2; padding: 0.3mm 1mm;"
VARIANTS: dict[str, list[tuple[str, str]]] = {
    "current CSS": [],
    "+ overflow-wrap: anywhere (notes, grid cells)": [
        (GRID_CELL, GRID_CELL + " overflow-wrap: anywhere;"),
        (".note { margin:", ".note { overflow-wrap: anywhere; margin:"),
    ],
    "+ a border style per kind": [
        (
            ".grid-page {",
            ".note.kind-algorithm { border-left-style: double; } .note.kind-deployment { border-left-style:"
            " dashed; } .note.kind-concept { border-left-style: dotted; } .note.kind-metric"
            " { border-left-width: 0.7mm; } .grid-page {",
        )
    ],
    "grid tables: table-layout auto": [("table-layout: fixed;", "table-layout: auto;")],
    "grid page in one column": [(".grid-columns { columns: 2;", ".grid-columns {")],
    "grid columns: bottom margin on the multi-column box": [
        (
            ".grid-columns { columns: 2; column-gap: 4mm; }",
            ".grid-columns { columns: 2; column-gap: 4mm; margin: 0 0 1.5mm; }",
        ),
        (".grid-columns + h2.section { margin-top: 1.5mm; }", ""),
    ],
    "resources: the padded box is the multi-column box": [
        (".resource-columns { columns: 3; column-gap: 3mm; column-fill: balance; }", ""),
        (".resources {", ".resources { columns: 3; column-gap: 3mm; column-fill: balance;"),
        ('<div class="resources"><div class="resource-columns">', '<div class="resources">'),
        (
            '</div></div></div></div>\n  <h2 class="section" id="references"',
            '</div></div></div>\n  <h2 class="section" id="references"',
        ),
    ],
    # Measured and not kept (less than 3 %, or another picture):
    "notes: no overflow-wrap (same picture here)": [
        ("var(--tint); overflow-wrap: break-word; }", "var(--tint); }")
    ],
    "notes: no orphans/widows (same picture here)": [
        ("column-fill: auto; orphans: 2; widows: 2; }", "column-fill: auto; }")
    ],
    "resources as inline-block rows (2 balancing loops, not 10; 300-note picture differs)": [
        (
            ".resource { break-inside: avoid; margin: 0 0 0.6mm; }",
            ".resource-columns { orphans: 1; widows: 1; } .resource { display: inline-block; width: 100%;"
            " vertical-align: top; margin: 0 0 0.6mm; }",
        )
    ],
}


def variant_html(html: str, edits: list[tuple[str, str]]) -> str:
    """Apply one variant's edits to the sheet's HTML; fail loudly if the CSS no longer has the rule."""
    for old, new in edits:
        if old not in html:
            raise SystemExit(f"the sheet's CSS has no {old!r} any more: update this variant")
        html = html.replace(old, new, 1)
    return html


def main() -> None:
    """Time each variant `--runs` times, interleaved, and print medians and ratios to the current CSS."""
    import weasyprint

    from cheatdeck import SHIPPED_TEMPLATES
    from cheatdeck.notes.sources import load_sources
    from cheatdeck.options import SheetOptions
    from cheatdeck.sheet.document import render_sheet_html

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds (one render of each variant per round)")
    parser.add_argument("--source", type=Path, default=ROOT / "source", help="notes folder")
    arguments = parser.parse_args()
    html = render_sheet_html(load_sources(arguments.source), SHIPPED_TEMPLATES, SheetOptions(), changed=0)
    pages = {name: variant_html(html, edits) for name, edits in VARIANTS.items()}
    weasyprint.HTML(string=html).render()  # warm fonts and caches
    times: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(arguments.runs):
        for name, page in pages.items():
            started = time.process_time()
            weasyprint.HTML(string=page).render()
            times[name].append(time.process_time() - started)
    base = statistics.median(times["current CSS"])
    print("| variant | layout CPU s (median) | × current | runs |")
    print("|---|---:|---:|---|")
    for name, samples in times.items():
        median = statistics.median(samples)
        runs = " ".join(f"{sample:.2f}" for sample in samples)
        print(f"| {name} | {median:.3f} | {median / base:.2f} | {runs} |")


if __name__ == "__main__":
    main()
