"""Warnings and advice are data: a build returns them as records, the command says each once, and
`check --strict` sees the warnings a build would say."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import watchfiles
from click.testing import CliRunner

from cheatdeck.build import watch as watching
from cheatdeck.build.pipeline import BuildReport
from cheatdeck.cli import main
from cheatdeck.options import BuildOptions
from tests.conftest import build_into

OLD_TITLE = "AWS Certified Machine Learning – Specialty (MLS-C01)"
RENAMED = (
    "rename the deck 'AWS Certified Machine Learning – Specialty (MLS-C01)' to 'MLS-C01 renamed' in Anki"
)


def _rename(source: Path) -> None:
    """Change the deck's title in deck.yaml: Anki matches decks by name, so a build warns."""
    deck = source / "deck.yaml"
    text = deck.read_text(encoding="utf-8")
    assert f"title: {OLD_TITLE}\n" in text
    deck.write_text(text.replace(f"title: {OLD_TITLE}\n", "title: MLS-C01 renamed\n"), encoding="utf-8")


def test_a_build_returns_its_warnings_as_records_and_logs_none(
    scratch_source: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The pipeline logged the planner's advice itself, so only a reader of the log saw it (1aab41a)."""
    _rename(scratch_source)
    with caplog.at_level(logging.DEBUG, logger="cheatdeck"):
        report = build_into(scratch_source, tmp_path / "dist", artefacts=("deck", "grid"))
    warnings = [str(item) for item in report.advice if item.warning]
    assert len(warnings) == 1 and RENAMED in warnings[0], report.advice
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING], caplog.text


def test_the_build_command_says_each_warning_once_on_standard_error(
    scratch_source: Path, tmp_path: Path
) -> None:
    _rename(scratch_source)
    arguments = [
        "build",
        "--source",
        str(scratch_source),
        "--out",
        str(tmp_path / "dist"),
        "--artefact",
        "deck",
    ]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    assert [line for line in result.stderr.splitlines() if RENAMED in line] == [
        line for line in result.stderr.splitlines() if line.startswith("warning: the deck's title changed")
    ]
    assert sum(RENAMED in line for line in result.stderr.splitlines()) == 1, result.stderr
    assert RENAMED not in result.stdout


def test_watch_says_a_warning_when_it_appears_not_on_every_save(
    scratch_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """watch printed the build's log at every save, the same warnings again and again (1aab41a)."""
    (scratch_source / "plans.md").write_text("# Plans\n\nNo note here yet.\n", encoding="utf-8")
    notes = scratch_source / "services.yaml"
    whole = notes.read_text(encoding="utf-8")

    def saves(*folders: Path, **options: object) -> Iterator[set[tuple[watchfiles.Change, str]]]:
        for edit in ("One.", "Two."):
            notes.write_text(whole.replace("summary: >-", f"summary: >-\n      {edit}", 1), encoding="utf-8")
            yield {(watchfiles.Change.modified, str(notes))}

    monkeypatch.setattr(watchfiles, "watch", saves)
    lines: list[str] = []
    results: list[BuildReport | Exception] = []
    options = BuildOptions(source=scratch_source, out=tmp_path / "dist", artefacts=("deck", "grid"))
    watching.watch(options, lines.append, on_result=results.append, sleep=lambda seconds: None)
    assert len(results) == 3, lines
    for result in results:  # every build returns it …
        assert isinstance(result, BuildReport)
        assert [str(item) for item in result.advice if "plans.md" in str(item)], result.advice
    said = [line for line in lines if "plans.md" in line]  # … and watch says it once
    assert len(said) == 1 and said[0].startswith("warning: "), lines
    assert lines.index(said[0]) == 1  # under the start line: the first build said it


def test_check_strict_sees_the_warnings_a_build_would_say(scratch_source: Path) -> None:
    """`check --strict` passed while every build warned that the deck must be renamed in Anki (1aab41a)."""
    assert CliRunner().invoke(main, ["check", "--source", str(scratch_source), "--strict"]).exit_code == 0
    _rename(scratch_source)
    result = CliRunner().invoke(main, ["check", "--source", str(scratch_source), "--strict"])
    assert result.exit_code == 1
    assert sum(RENAMED in line for line in result.stderr.splitlines()) == 1, result.stderr
    assert "1 warning in " in result.stderr
