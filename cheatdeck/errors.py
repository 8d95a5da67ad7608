"""The project's own exceptions, kept import-light so the command line starts fast."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the sources, with where it is."""

    path: Path
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.path}:{self.line}:{field} {self.message}"


class SourceError(Exception):
    """The sources are invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


class LockError(Exception):
    """The lock file is unreadable, or a build would break the learner's existing cards."""


class TemplateProblem(Exception):
    """A template (shipped or given with --templates) failed to load or render."""
