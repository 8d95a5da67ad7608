"""The clock seam: every time cheatdeck reads comes from `cheatdeck.clock.now()`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cheatdeck import clock
from cheatdeck.cli import main
from cheatdeck.errors import UsageError
from tests.conftest import FROZEN_NOW, set_clock


def test_tests_run_at_the_frozen_time_whatever_the_day() -> None:
    assert clock.now() == FROZEN_NOW


def test_source_date_epoch_sets_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    set_clock(monkeypatch, 2_000_000_000)
    assert clock.now() == 2_000_000_000


def test_without_source_date_epoch_the_clock_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.ENVIRONMENT)
    monkeypatch.setattr(clock.time, "time", lambda: 1_234_567_890.75)
    assert clock.now() == 1_234_567_890


@pytest.mark.parametrize("value", ["yesterday", "-5", "1.5", "１２３"])
def test_a_malformed_source_date_epoch_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(clock.ENVIRONMENT, value)
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH: expected a Unix time in whole seconds"):
        clock.now()


def test_a_build_with_a_malformed_source_date_epoch_says_so(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = scratch_source / "services.yaml"
    notes.write_text(notes.read_text(encoding="utf-8").replace("summary: ", "summary: Edited. ", 1))
    monkeypatch.setenv(clock.ENVIRONMENT, "tomorrow")
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, ["build", "--source", str(scratch_source), "--out", str(out)])
    assert result.exit_code == 1
    assert "SOURCE_DATE_EPOCH: expected a Unix time in whole seconds, got 'tomorrow'" in result.output
    assert "Traceback" not in result.output and not out.exists()
