"""Time `import` on a guide the size of the one in issue 15 (236 kB, 163 sections), and on 10× that.

Writes a seeded, deterministic Markdown study guide (domains as container headings, sections with
paragraphs, nested lists, tables, fenced code, links under "References", remote images), then times, with
`time.perf_counter`, the first import into an empty folder, a re-import with nothing changed (asserted to
update and write nothing), a re-import after one section's code was edited (asserted to update that one
note), and `load_sources` of the result. Prints medians over `--runs` runs.

    .venv/bin/python bench/import_bench.py [--runs 3] [--sections 163]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cheatdeck.importer.guide import import_guides
from cheatdeck.notes.sources import load_sources

_VOCABULARY = "model data training endpoint feature label batch stream latency accuracy cluster vector \
metric bucket storage inference pipeline tuning regression classification sagemaker kinesis glue token"
WORDS = _VOCABULARY.split()


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def write_guide(path: Path, sections: int, seed: int = 15) -> int:
    """Write a guide with `sections` note sections; return its size in bytes."""
    rng = random.Random(seed)
    parts = ["---\ntitle: Synthetic study guide\n---\n", "# Synthetic study guide\n\nIntro text.\n"]
    for number in range(sections):
        if number % 20 == 0:
            parts.append(f"# Domain {number // 20 + 1}: {rng.choice(WORDS).title()}\n")
        title = rng.choice(("Amazon ", "AWS ", "", "")) + f"{rng.choice(WORDS).title()} {number}"
        body = [f"## {title}\n", " ".join(_sentence(rng, rng.randint(8, 20)) for _ in range(4)) + "\n"]
        body.append("\n".join(f"- {_sentence(rng, 8)}\n  - {_sentence(rng, 6)}" for _ in range(5)) + "\n")
        body.append("| a | b |\n|---|---|\n" + "".join(f"| {rng.choice(WORDS)} | {n} |\n" for n in range(5)))
        body.append(f"```python\nprint({number})  # {rng.choice(WORDS)}\n```\n")
        body.append(f"![diagram](https://example.com/{number}.png)\n")
        if rng.random() < 0.3:
            body.append(f"It is {rng.choice(('supervised', 'unsupervised'))}.\n")
        body.append(
            f"### Details\n\n{_sentence(rng, 30)}\n\n### References\n\n- https://example.com/{number}/a\n"
            f"- [Docs {number}](https://docs.example.com/{number})\n"
        )
        parts.append("\n".join(body))
    path.write_text("\n".join(parts), encoding="utf-8")
    return path.stat().st_size


def _time(action: Callable[..., object], *arguments: object) -> float:
    start = time.perf_counter()
    action(*arguments)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sections", type=int, default=163)
    arguments = parser.parse_args()
    for sections in (arguments.sections, arguments.sections * 10):
        times: dict[str, list[float]] = {"import": [], "re-import": [], "edit+re-import": [], "check": []}
        for _ in range(arguments.runs):
            with tempfile.TemporaryDirectory(prefix="cheatdeck-import-bench-") as scratch:
                root = Path(scratch)
                guide = root / "guide.md"
                size = write_guide(guide, sections)
                notes = root / "notes"
                times["import"].append(_time(import_guides, [guide], notes))
                start = time.perf_counter()
                report = import_guides([guide], notes)
                times["re-import"].append(time.perf_counter() - start)
                # the same guide again changes nothing: no note updated, no file written
                assert (report.updated, report.added, report.written) == ([], [], []), report.lines()
                text = guide.read_text(encoding="utf-8")  # one section's text edited
                guide.write_text(text.replace("print(0)", "print(0, 'edited')"), encoding="utf-8")
                start = time.perf_counter()
                report = import_guides([guide], notes)
                times["edit+re-import"].append(time.perf_counter() - start)
                assert len(report.updated) == 1 and not report.added and not report.removed, report.lines()
                notebook = load_sources(notes)
                times["check"].append(_time(load_sources, notes))
                shutil.rmtree(notes)
        figures = ", ".join(f"{name} {statistics.median(values):.3f} s" for name, values in times.items())
        print(f"{sections} sections, {size / 1000:.0f} kB, {len(notebook.notes)} notes: {figures}")


if __name__ == "__main__":
    main()
