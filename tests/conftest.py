"""Shared fixtures: the shipped sources, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from cheatdeck.model import Notebook
from cheatdeck.sources import load_sources

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def notebook() -> Notebook:
    """The shipped MLS-C01 notes, validated."""
    return load_sources(SOURCE)
