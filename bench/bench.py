#!/usr/bin/env python3
"""Benchmark cheatdeck on synthetic note sets and compare it with bare genanki / WeasyPrint floors.

Run from the project root:

    .venv/bin/python bench/bench.py [--sizes 100,1000,5000,10000] [--runs 3] [--quick] [--sheet-max 1000]

Everything is written under one temporary folder (removed at the end), including Python's byte-code
cache (`sys.pycache_prefix`), so a run leaves no file behind in the project. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUILD_PY = ROOT / "build.py"
SHIPPED_SOURCE = ROOT / "source"
DEFAULT_SIZES = (100, 1_000, 5_000, 10_000)
QUICK_SIZES = (100, 1_000)
NOTES_PER_FILE = 250
SEED = 20220514

TARGET_NOOP = 0.3
TARGET_HELP = 0.3
TARGET_DECK_5K = 3.0
TARGET_SCALING = 2.2
TARGET_FLOOR_RATIO = 1.15

# --------------------------------------------------------------------------------------------------
# Synthetic notes
# --------------------------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


NOUNS = _words(
    "model endpoint feature vector label dataset batch stream pipeline cluster embedding token image "
    "document transcript forecast anomaly metric gradient weight bias tree forest kernel margin topic "
    "entity sentiment translation speech voice video frame pixel region object face text query index "
    "graph node edge shard container instance notebook experiment trial hyperparameter regularizer "
    "objective loss optimizer scheduler checkpoint artifact registry monitor drift baseline threshold"
)
ADJECTIVES = _words(
    "managed scalable distributed sparse dense linear nonlinear probabilistic incremental real-time "
    "serverless pretrained customizable robust interpretable lightweight multimodal hierarchical "
    "adaptive stochastic deterministic low-latency high-throughput fully-managed"
)
VERBS = _words(
    "detects extracts predicts classifies clusters ranks summarizes translates transcribes labels "
    "monitors deploys scales tunes explains compresses encodes segments recommends forecasts"
)
BRANDS = _words(
    "Comprehend Rekognition Polly Lex Transcribe Translate Textract Kendra Personalize Forecast Fraud "
    "Lookout Monitor Panorama Augmented Clarify Pipelines Canvas Ground Truth Neo Edge Studio Wrangler"
)
TAGS = _words(
    "nlp vision speech classification regression clustering sagemaker sagemaker-builtin inference "
    "evaluation regularization overfitting deep-learning time-series recommendation exam-prep course "
    "ai-service feature-engineering security cost monitoring"
)
DOMAINS = ("language", "vision", "speech", "conversation", "forecasting", "search")
LEARNINGS = ("supervised", "unsupervised", "both", "not-learning")
TASKS = (
    "classification",
    "regression",
    "clustering",
    "topic modelling",
    "anomaly detection",
    "dimensionality reduction",
    "recommendation",
    "forecasting",
    "embedding",
    "sequence generation",
)
INPUTS = (
    "numeric feature vectors",
    "documents (word frequencies)",
    "images",
    "time series",
    "token sequences (e.g. text, audio)",
    "high-dimensional sparse data",
    "tabular data",
)
EXPRESSIONS = (
    "TP / (TP + FP)",
    "TP / (TP + FN)",
    "(TP + TN) / (TP + FP + TN + FN)",
    "2 * (Precision * Recall) / (Precision + Recall)",
    "TN / (TN + FP)",
    "sqrt(mean((y - y_hat)^2))",
    "1 - SS_res / SS_tot",
    "FP / (FP + TN)",
)
HOSTS = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/",
    "https://aws.amazon.com/",
    "https://en.wikipedia.org/wiki/",
    "https://towardsdatascience.com/",
    "https://neptune.ai/blog/",
)
# kind → share of the notes (roughly the shipped notes' mix, with more of everything)
KIND_WEIGHTS = {
    "service": 25,
    "algorithm": 25,
    "concept": 20,
    "metric": 10,
    "deployment": 10,
    "resource": 10,
}


def _plural(noun: str) -> str:
    return noun + ("es" if noun.endswith(("s", "x")) else "s")


def _sentence(rng: random.Random, words: int) -> str:
    parts = [rng.choice(NOUNS if i % 2 else ADJECTIVES + NOUNS) for i in range(words)]
    text = " ".join(parts)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, sentences: int, bold: bool, link: bool) -> str:
    chunks = [_sentence(rng, rng.randint(6, 18)) for _ in range(sentences)]
    if bold:
        chunks.insert(rng.randrange(len(chunks) + 1), f"It is **{rng.choice(ADJECTIVES)}**.")
    if link:
        target = rng.choice(HOSTS) + rng.choice(NOUNS) + "-" + rng.choice(NOUNS)
        chunks.append(f"See [the {rng.choice(NOUNS)} guide]({target}).")
    return textwrap.fill(" ".join(chunks), width=100, break_long_words=False, break_on_hyphens=False)


def _body(rng: random.Random) -> str:
    """Return a Markdown body: empty, one paragraph, or paragraphs with (nested) lists and a link."""
    shape = rng.random()
    if shape < 0.25:
        return ""
    if shape < 0.55:
        return _paragraph(rng, rng.randint(1, 3), bold=rng.random() < 0.6, link=False) + "\n"
    lead = _paragraph(rng, rng.randint(1, 2), bold=True, link=rng.random() < 0.5)
    items = [f"- {_sentence(rng, rng.randint(4, 14))}" for _ in range(rng.randint(2, 6))]
    if rng.random() < 0.3:
        items.insert(1, "  - " + _sentence(rng, rng.randint(3, 8)))
    parts = [lead, "\n".join(items)]
    if shape > 0.8:
        parts.append(_paragraph(rng, rng.randint(2, 5), bold=False, link=True))
    return "\n\n".join(parts) + "\n"


def _references(rng: random.Random, slug: str) -> list[Any]:
    references: list[Any] = [rng.choice(HOSTS) + slug]
    if rng.random() < 0.35:
        references.append({"url": f"{rng.choice(HOSTS)}{slug}-guide", "label": f"{slug} guide"})
    return references


def make_note(rng: random.Random, index: int, kind: str) -> dict[str, Any]:
    """Return one note (as YAML data) of `kind`, realistic in shape and length."""
    first, second = rng.choice(NOUNS), rng.choice(NOUNS)
    if kind in ("service", "deployment"):
        prefix = "Amazon " if kind == "service" else "Amazon SageMaker "
        title = f"{prefix}{rng.choice(BRANDS)} {second.capitalize()}"
    elif kind == "algorithm":
        title = f"{first.capitalize()} {second} ({first[:2].upper()}{second[:1].upper()})"
    elif kind == "metric":
        title = f"{first.capitalize()} {second} score"
    else:
        title = f"{first.capitalize()} {second}"
    note: dict[str, Any] = {
        "id": f"{first}-{second}-{index}",
        "title": title,
        "kind": kind,
        "summary": f"{title} {rng.choice(VERBS)} {_plural(rng.choice(NOUNS))} from "
        + _sentence(rng, rng.randint(8, 24)),
        "body": _body(rng),
        "references": _references(rng, f"{first}-{second}"),
        "tags": sorted(set(rng.sample(TAGS, rng.randint(1, 3)))),
    }
    if kind in ("service", "deployment"):
        note["use_case"] = f"{rng.choice(VERBS).removesuffix('s')} {_plural(rng.choice(NOUNS))} with {title}"
    if kind == "service":
        note["domain"] = rng.choice(DOMAINS)
    if kind == "algorithm":
        note["learning"] = rng.choice(LEARNINGS)
        note["task"] = rng.choice(TASKS)
        note["input"] = rng.choice(INPUTS)
    if kind == "metric":
        note["formula"] = f"{first.capitalize()}{second.capitalize()} = {rng.choice(EXPRESSIONS)}"
    return note


def make_notes(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """Return `count` notes, deterministic for a seed, with ~2% of them in `related` pairs."""
    rng = random.Random(seed)
    kinds = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()), k=count)
    notes = [make_note(rng, index, kind) for index, kind in enumerate(kinds)]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for note in notes:
        by_kind.setdefault(note["kind"], []).append(note)
    pairs = max(1, count // 100)
    for _ in range(pairs):
        group = by_kind[rng.choice([kind for kind, group in by_kind.items() if len(group) > 1])]
        left, right = rng.sample(group, 2)
        if right["id"] not in left.get("related", []):
            left.setdefault("related", []).append(right["id"])
            right.setdefault("related", []).append(left["id"])
    return notes


def write_source(folder: Path, count: int) -> int:
    """Write a deck.yaml and notes files (one series per kind) into `folder`; return the file count."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)

    def dump(data: Any, path: Path) -> None:
        path.write_text(
            yaml.dump(data, Dumper=Dumper, sort_keys=False, width=100, allow_unicode=True), encoding="utf-8"
        )

    folder.mkdir(parents=True)
    dump(
        {
            "id": "bench-deck",
            "title": f"Benchmark deck ({count} notes)",
            "description": "Synthetic notes for **benchmarking** cheatdeck.\n\n- deterministic\n- seeded\n",
            "author": "cheatdeck bench",
            "subject": "benchmark",
            "keywords": ["benchmark", "synthetic"],
        },
        folder / "deck.yaml",
    )
    notes = make_notes(count)
    files = 1
    for kind in KIND_WEIGHTS:
        of_kind = [note for note in notes if note["kind"] == kind]
        for start in range(0, len(of_kind), NOTES_PER_FILE):
            chunk = of_kind[start : start + NOTES_PER_FILE]
            dump({"notes": chunk}, folder / f"{kind}s-{start // NOTES_PER_FILE + 1:03d}.yaml")
            files += 1
    return files


# --------------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------------


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """Return (seconds, result) of one call, measured with perf_counter."""
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


class Workspace:
    """Hands out fresh, numbered folders under one temporary root."""

    def __init__(self, root: Path):
        self.root = root
        self.counter = 0

    def fresh(self, label: str) -> Path:
        self.counter += 1
        path = self.root / f"{self.counter:04d}-{label}"
        path.mkdir(parents=True)
        return path

    def copy_of(self, source: Path, label: str) -> tuple[Path, Path]:
        """Return (a fresh copy of `source`, an empty output folder beside it)."""
        base = self.fresh(label)
        shutil.copytree(source, base / "source")
        return base / "source", base / "out"

    def discard(self, path: Path) -> None:
        shutil.rmtree(path.parent if path.name in ("source", "out") else path, ignore_errors=True)


def options_for(source: Path, out: Path, artefacts: tuple[str, ...], force: bool = True) -> Any:
    from cheatdeck.options import BuildOptions

    return BuildOptions(source=source, out=out, artefacts=artefacts, force=force)


def run_build(source: Path, out: Path, artefacts: tuple[str, ...], force: bool = True) -> Any:
    from cheatdeck.build.pipeline import build

    return build(options_for(source, out, artefacts, force))


def forget_caches() -> None:
    """Empty cheatdeck's in-memory caches, so each run costs what a fresh `build` process pays (imported
    late: the bench puts the checkout on `sys.path` first)."""
    from cheatdeck import forget_caches as forget

    forget()


def deck_floor_inputs(notebook: Any) -> dict[str, Any]:
    """Prepare (untimed) what a bare genanki script needs: templates, CSS and each note's field HTML."""
    from html import escape

    from markdown_it import MarkdownIt

    from cheatdeck.cards.plan import NOTETYPES
    from cheatdeck.notes.kinds import FORMULA_FIELD, labelled_values

    markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    spec = NOTETYPES["topic"]
    anki = ROOT / "templates" / "anki"
    templates = [
        {
            "name": card.capitalize(),
            "qfmt": (anki / f"{card}.front.html").read_text(encoding="utf-8"),
            "afmt": (anki / f"{card}.back.html").read_text(encoding="utf-8"),
        }
        for card in spec.cards
    ]
    rows = []
    for note in notebook.notes:
        facts = [*labelled_values(note), (FORMULA_FIELD.label, note.formula)]
        details = "".join(f"<dt>{k}</dt><dd>{escape(v)}</dd>" for k, v in facts if v)
        links = "".join(
            f'<li><a href="{escape(r.url)}">{escape(r.label or r.url)}</a></li>' for r in note.references
        )
        fields = [
            note.id,
            escape(note.title),
            note.kind.value.capitalize(),
            escape(note.summary),
            markdown.render(note.body).strip() if note.body.strip() else "",
            f'<dl class="details">{details}</dl>' if details else "",
            f'<ul class="references">{links}</ul>' if links else "",
            "",
            "y",
            escape(note.use_case or note.summary)
            if note.kind.value in ("service", "algorithm", "deployment")
            else "",
            f"<b>{note.learning.value}</b> — {escape(note.task or '')}" if note.learning else "",
        ]
        assert len(fields) == len(spec.fields)
        rows.append((note.id, fields, sorted({f"kind::{note.kind.value}", *note.tags})))
    return {
        "fields": list(spec.fields),
        "templates": templates,
        "css": (anki / "card.css").read_text(encoding="utf-8"),
        "rows": rows,
        "title": notebook.deck.title,
    }


def deck_floor(inputs: dict[str, Any], target: Path) -> None:
    """The floor for the deck: bare genanki, one model, one note per source note, one package."""
    import genanki

    model = genanki.Model(
        1_607_392_319,
        "bench topic",
        fields=[{"name": name} for name in inputs["fields"]],
        templates=inputs["templates"],
        css=inputs["css"],
    )
    deck = genanki.Deck(2_059_400_110, inputs["title"])
    for note_id, fields, tags in inputs["rows"]:
        deck.add_note(genanki.Note(model=model, fields=fields, tags=tags, guid=genanki.guid_for(note_id)))
    genanki.Package(deck).write_to_file(str(target))


def sheet_html(source: Path) -> str:
    """Return the exact HTML cheatdeck renders for the cheat sheet of `source` (untimed)."""
    from cheatdeck import SHIPPED_TEMPLATES
    from cheatdeck.anki.lock import LOCK_FILE, read_lock
    from cheatdeck.anki.reconcile import plan_deck
    from cheatdeck.notes.sources import load_sources
    from cheatdeck.options import SheetOptions
    from cheatdeck.sheet.document import render_sheet_html

    notebook = load_sources(source)
    changed = plan_deck(notebook, SHIPPED_TEMPLATES, read_lock(source / LOCK_FILE)).lock.latest()
    return render_sheet_html(notebook, SHIPPED_TEMPLATES, SheetOptions(), changed)


def sheet_floor(html: str, target: Path) -> None:
    """The floor for the sheet: bare WeasyPrint on the same HTML."""
    import weasyprint

    weasyprint.HTML(string=html).write_pdf(target)


def subprocess_env(pycache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_cli(
    args: list[str], env: dict[str, str], cwd: Path
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run `python build.py ARGS` and return its wall time (interpreter start-up included)."""
    command = [sys.executable, str(BUILD_PY), *args]
    return timed(
        lambda: subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=True)
    )


@dataclass
class Samples:
    """Per-measurement lists of seconds (one per run) and facts seen along the way."""

    times: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    pages: int | None = None
    files: int = 0

    def add(self, name: str, seconds: float) -> None:
        self.times.setdefault(name, []).append(seconds)

    def median(self, name: str) -> float | None:
        values = self.times.get(name)
        return statistics.median(values) if values else None


def bench_size(count: int, runs: int, sheet_max: int, space: Workspace, env: dict[str, str]) -> Samples:
    """Measure every step for `count` notes, each run on fresh copies of the same generated source."""
    from cheatdeck.notes.sources import load_sources

    samples = Samples()
    master = space.fresh(f"master-{count}") / "source"
    samples.files = write_source(master, count)
    with_sheet = count <= sheet_max
    full = ("deck", "sheet", "grid") if with_sheet else ("deck", "grid")
    notebook = load_sources(master)
    floor_inputs = deck_floor_inputs(notebook)
    html = sheet_html(master) if with_sheet else ""

    for run in range(runs):
        print(f"  N={count}: run {run + 1}/{runs}", file=sys.stderr, flush=True)
        forget_caches()
        samples.add("check", timed(lambda: load_sources(master))[0])

        for artefact in ("deck", "grid", *(("sheet",) if with_sheet else ())):
            source, out = space.copy_of(master, f"{artefact}-{count}")
            forget_caches()
            seconds, report = timed(lambda s=source, o=out, a=artefact: run_build(s, o, (a,)))
            samples.add(artefact, seconds)
            if artefact == "sheet":
                samples.pages = report.sheet_pages
            space.discard(source)

        source, out = space.copy_of(master, f"full-{count}")
        forget_caches()
        samples.add("full", timed(lambda s=source, o=out: run_build(s, o, full))[0])
        seconds, report = timed(lambda s=source, o=out: run_build(s, o, full, force=False))
        samples.add("noop", seconds)
        if not report.up_to_date:
            samples.notes.append(f"run {run + 1}: the in-process rebuild was NOT a no-op")
        artefact_flags = [flag for name in full for flag in ("--artefact", name)]
        seconds, done = run_cli(
            ["build", "--source", str(source), "--out", str(out), *artefact_flags], env, space.root
        )
        samples.add("noop_cli", seconds)
        if "nothing to do" not in done.stdout + done.stderr:
            samples.notes.append(f"run {run + 1}: the CLI rebuild was NOT a no-op: {done.stdout.strip()!r}")
        space.discard(source)

        scratch = space.fresh(f"floor-{count}")
        samples.add("deck_floor", timed(lambda d=scratch: deck_floor(floor_inputs, d / "floor.apkg"))[0])
        if with_sheet:
            samples.add("sheet_floor", timed(lambda d=scratch: sheet_floor(html, d / "floor.pdf"))[0])
        space.discard(scratch)
    return samples


def bench_shipped(runs: int, space: Workspace) -> Samples:
    """Full build of the shipped notes (all artefacts, force) and the genanki + WeasyPrint floor."""
    from cheatdeck.notes.sources import load_sources

    samples = Samples()
    notebook = load_sources(SHIPPED_SOURCE)
    floor_inputs = deck_floor_inputs(notebook)
    html = sheet_html(SHIPPED_SOURCE)
    for run in range(runs):
        print(f"  shipped sources: run {run + 1}/{runs}", file=sys.stderr, flush=True)
        source, out = space.copy_of(SHIPPED_SOURCE, "shipped")
        forget_caches()
        seconds, report = timed(lambda s=source, o=out: run_build(s, o, ("deck", "sheet", "grid")))
        samples.add("full", seconds)
        samples.pages = report.sheet_pages
        space.discard(source)
        scratch = space.fresh("shipped-floor")
        deck_seconds = timed(lambda d=scratch: deck_floor(floor_inputs, d / "floor.apkg"))[0]
        sheet_seconds = timed(lambda d=scratch: sheet_floor(html, d / "floor.pdf"))[0]
        samples.add("deck_floor", deck_seconds)
        samples.add("sheet_floor", sheet_seconds)
        samples.add("floor", deck_seconds + sheet_seconds)
        space.discard(scratch)
    return samples


def git_head() -> str:
    """Return the commit the project is at (read-only `git rev-parse`), or 'unknown'."""
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"at commit {done.stdout.strip()}"


def warm_up(space: Workspace, env: dict[str, str]) -> None:
    """Import the heavy modules and let fontconfig and the byte-code cache settle (untimed)."""
    source, out = space.copy_of(SHIPPED_SOURCE, "warm-up")
    run_build(source, out, ("deck", "sheet", "grid"))
    run_cli(["--help"], env, space.root)
    run_cli(["build", "--source", str(source), "--out", str(out)], env, space.root)
    space.discard(source)


def profile(what: str, count: int, space: Workspace, top: int) -> None:
    """Print the top functions of one build of `what` for `count` notes (cProfile)."""
    import cProfile
    import pstats

    master = space.fresh(f"profile-master-{count}") / "source"
    write_source(master, count)
    source, out = space.copy_of(master, f"profile-{what}-{count}")
    artefacts = ("deck", "sheet", "grid") if what == "full" else (what,)
    forget_caches()
    profiler = cProfile.Profile()
    if what == "check":
        from cheatdeck.notes.sources import load_sources

        profiler.runcall(load_sources, source)
    else:
        profiler.runcall(run_build, source, out, artefacts)
    for order in ("cumulative", "tottime"):
        print(f"\n### cProfile: {what} build, N={count}, by {order}\n\n```")
        pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats(order).print_stats(top)
        print("```")


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def fmt(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.3f}"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else numerator / denominator


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "not measured"
    return "PASS" if value <= limit else "FAIL"


def print_report(
    results: dict[int, Samples], shipped: Samples, help_times: list[float], runs: int, sheet_max: int
) -> None:
    print(f"\n## Medians over {runs} run(s), seconds\n")
    print(
        "| N | files | check | deck | deck floor | deck/floor | sheet | pages | sheet floor | sheet/floor "
        "| grid | full | no-op build() | no-op CLI |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for count, samples in results.items():
        m = samples.median
        print(
            f"| {count:,} | {samples.files} | {fmt(m('check'))} | {fmt(m('deck'))} | {fmt(m('deck_floor'))} "
            f"| {fmt_ratio(ratio(m('deck'), m('deck_floor')))} | {fmt(m('sheet'))} "
            f"| {samples.pages if samples.pages is not None else '—'} | {fmt(m('sheet_floor'))} "
            f"| {fmt_ratio(ratio(m('sheet'), m('sheet_floor')))} | {fmt(m('grid'))} "
            f"| {fmt(m('full'))} | {fmt(m('noop'))} | {fmt(m('noop_cli'))} |"
        )
    help_median = statistics.median(help_times)
    print(
        f"\n`python build.py --help` (wall, subprocess): {help_median:.3f} s  "
        f"(all runs: {', '.join(f'{t:.3f}' for t in help_times)})"
    )
    print(
        f"\nSheet timed only for N ≤ {sheet_max:,}; for larger N, `full` (a forced build of every artefact, "
        "then the two no-op rebuilds) covers deck + grid only. "
        "Floors: deck = bare genanki (one 11-field model, one note per source note, no parsing); "
        "sheet = bare `weasyprint.HTML(string=html).write_pdf()` on cheatdeck's HTML. "
        "cheatdeck's deck/sheet/grid times are whole `build()` calls "
        "(load + validate + plan + write + lock + state)."
    )
    for count, samples in results.items():
        for line in samples.notes:
            print(f"\n**N={count}: {line}**")
    print("\n<details><summary>every run (seconds), to judge the noise</summary>\n")
    for count, samples in [*results.items(), ("shipped", shipped)]:
        runs_text = "; ".join(
            f"{name} {', '.join(f'{t:.3f}' for t in values)}" for name, values in samples.times.items()
        )
        print(f"- N={count}: {runs_text}" if isinstance(count, int) else f"- {count}: {runs_text}")
    print("\n</details>")

    m = shipped.median
    full, floor = m("full"), m("floor")
    shipped_ratio = ratio(full, floor)
    print("\n## Shipped sources (source/, copied), full build with --force\n")
    print("| full build | floor (genanki + WeasyPrint) | deck floor | sheet floor | pages | ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {fmt(full)} | {fmt(floor)} | {fmt(m('deck_floor'))} | {fmt(m('sheet_floor'))} "
        f"| {shipped.pages} | {fmt_ratio(shipped_ratio)} |"
    )

    deck_5k = results[5_000].median("deck") if 5_000 in results else None
    deck_10k = results[10_000].median("deck") if 10_000 in results else None
    scaling = ratio(deck_10k, deck_5k)
    noop = max((s.median("noop") or 0.0 for s in results.values()), default=None)
    noop_cli = max((s.median("noop_cli") or 0.0 for s in results.values()), default=None)
    print("\n## Targets\n")
    print("| target | measured | verdict |")
    print("|---|---:|---|")
    rows = [
        (
            f"full build of shipped sources / floor ≤ {TARGET_FLOOR_RATIO}",
            fmt_ratio(shipped_ratio),
            verdict(shipped_ratio, TARGET_FLOOR_RATIO),
        ),
        (f"deck 10k / deck 5k ≤ {TARGET_SCALING}", fmt_ratio(scaling), verdict(scaling, TARGET_SCALING)),
        (f"deck of 5,000 notes ≤ {TARGET_DECK_5K} s", fmt(deck_5k), verdict(deck_5k, TARGET_DECK_5K)),
        (f"no-op build() ≤ {TARGET_NOOP} s (worst N)", fmt(noop), verdict(noop, TARGET_NOOP)),
        (f"no-op CLI ≤ {TARGET_NOOP} s (worst N)", fmt(noop_cli), verdict(noop_cli, TARGET_NOOP)),
        (f"--help ≤ {TARGET_HELP} s", fmt(help_median), verdict(help_median, TARGET_HELP)),
    ]
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------


def parse_sizes(text: str) -> tuple[int, ...]:
    sizes = []
    for given in text.split(","):
        part = given.strip().lower().replace("_", "")
        sizes.append(int(float(part[:-1]) * 1000) if part.endswith("k") else int(part))
    if not sizes or any(size < 2 for size in sizes):
        raise argparse.ArgumentTypeError("sizes must be integers ≥ 2, e.g. 100,1000,5000")
    return tuple(sizes)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=parse_sizes, help="note counts (default 100,1000,5000,10000)")
    parser.add_argument("--runs", type=int, help="runs per measurement; the median is reported (default 3)")
    parser.add_argument("--quick", action="store_true", help="sizes 100,1000 and 1 run (unless given)")
    parser.add_argument("--sheet-max", type=int, default=1_000, help="time the PDF only up to this N")
    parser.add_argument(
        "--profile",
        choices=("check", "deck", "sheet", "grid", "full"),
        help="instead of the benchmark, cProfile one build of this artefact at the largest size",
    )
    parser.add_argument("--top", type=int, default=25, help="functions to list with --profile")
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = QUICK_SIZES if args.quick else DEFAULT_SIZES
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    started = time.perf_counter()
    print("# cheatdeck benchmark\n")
    print(f"- machine: {platform.platform()}, {platform.machine()}, os.cpu_count()={os.cpu_count()}")
    print(f"- python: {platform.python_implementation()} {platform.python_version()} ({sys.executable})")
    print(
        f"- sizes: {', '.join(f'{s:,}' for s in args.sizes)}; runs: {args.runs}; "
        f"sheet up to N={args.sheet_max:,}"
    )

    with tempfile.TemporaryDirectory(prefix="cheatdeck-bench-") as temporary:
        root = Path(temporary)
        pycache = root / "pycache"
        sys.pycache_prefix = str(pycache)  # byte code goes to the temp dir, never beside the sources
        sys.path.insert(0, str(ROOT))
        env = subprocess_env(pycache)
        space = Workspace(root / "work")

        if args.profile:
            sizes = [s for s in args.sizes if args.profile not in ("sheet", "full") or s <= args.sheet_max]
            warm_up(space, env)
            profile(args.profile, max(sizes or args.sizes), space, args.top)
            return

        print("warming up (imports, fonts, byte-code cache)…", file=sys.stderr, flush=True)
        warm_up(space, env)
        versions = {}
        from importlib.metadata import version

        for package in ("genanki", "weasyprint", "pydantic", "PyYAML", "markdown-it-py", "Jinja2"):
            versions[package] = version(package)
        print(f"- versions: {', '.join(f'{k} {v}' for k, v in versions.items())}; cheatdeck {git_head()}")

        help_times = [run_cli(["--help"], env, space.root)[0] for _ in range(args.runs)]
        results = {}
        for count in args.sizes:
            results[count] = bench_size(count, args.runs, args.sheet_max, space, env)
        shipped = bench_shipped(args.runs, space)
        print_report(results, shipped, help_times, args.runs, args.sheet_max)
    print(f"\nTotal wall time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
