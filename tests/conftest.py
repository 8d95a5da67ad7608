"""Shared fixtures: the shipped sources, loaded once per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from anki.collection import Collection
from hypothesis import settings

from cheatdeck import clock
from cheatdeck.build.pipeline import BuildReport, build
from cheatdeck.notes.model import Notebook
from cheatdeck.notes.sources import load_sources
from cheatdeck.options import BuildOptions

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Property tests draw the same examples on every run (CI's included): a run never fails by luck of the draw.
# A new case a property finds goes into its test as an @example. To look for new cases, draw at random:
# `pytest --hypothesis-profile=explore tests/test_fuzz.py tests/test_scaffold.py tests/test_cards.py`.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, database=None, max_examples=2000)
settings.load_profile("repeatable")

FROZEN_NOW = 1_795_636_800
"""The time every test runs at unless it sets its own (2026-11-25 20:00 UTC), so no test depends on the day it
is run (cheatdeck.clock). A lock may be newer: a change is then stamped one second after its newest time."""


def set_clock(monkeypatch: pytest.MonkeyPatch, timestamp: int) -> None:
    """Make `cheatdeck.clock.now()` return `timestamp` for the rest of the test."""
    monkeypatch.setenv(clock.ENVIRONMENT, str(timestamp))


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs at FROZEN_NOW, whatever the machine's date (the clock is an input)."""
    set_clock(monkeypatch, FROZEN_NOW)


@pytest.fixture(scope="session")
def notebook() -> Notebook:
    """The shipped MLS-C01 notes, validated."""
    return load_sources(SOURCE)


@dataclass(frozen=True)
class Built:
    """The shipped sources built once: a copy of source/ (with its lock) and the dist folder."""

    source: Path
    out: Path
    report: BuildReport

    @property
    def deck(self) -> Path:
        return self.out / "aws-mls-c01.apkg"


def build_into(source: Path, out: Path, **options: object) -> BuildReport:
    """Build `source` into `out` through the pipeline (the CLI's own code path)."""
    return build(BuildOptions(source=source, out=out, **options))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build the shipped sources once per session, from a copy so the repo's lock is never touched."""
    root = tmp_path_factory.mktemp("shipped")
    source = root / "source"
    shutil.copytree(SOURCE, source)
    report = build_into(source, root / "dist")
    return Built(source, root / "dist", report)


@pytest.fixture
def scratch_source(tmp_path: Path) -> Path:
    """A private, editable copy of the shipped sources (lock included)."""
    source = tmp_path / "source"
    shutil.copytree(SOURCE, source)
    return source


@pytest.fixture
def collection(tmp_path: Path) -> Iterator[Collection]:
    """A fresh, empty Anki collection."""
    col = Collection(str(tmp_path / "collection.anki2"))
    yield col
    col.close()
