"""The project's own exceptions, kept import-light so the command line starts fast."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


@dataclass(frozen=True)
class Advice:
    """Something a stage tells the learner that is not an error: a warning, or what to do next. Stages
    return these as data; the command that ran them says each once (`sync` leaves out what concerns an
    `.apkg` import only: it does that work itself)."""

    message: str
    warning: bool = True  # False: information (said at the default verbosity all the same)
    imports_only: bool = False  # concerns importing the `.apkg` only

    def __str__(self) -> str:
        return self.message


class SourceError(Exception):
    """The sources are invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


class LockError(Exception):
    """The lock file is unreadable, or a build would break the learner's existing cards."""


class TemplateProblem(Exception):
    """A template (shipped or given with --templates) failed to load or render."""


@contextmanager
def template_problems(place: Path, folder: Path | None = None) -> Iterator[None]:
    """Turn what Jinja raises while loading or rendering a template into a `TemplateProblem`: a syntax error
    names its file and line, any other error `place`, a template not in UTF-8 `folder` (default `place`)."""
    import jinja2

    try:
        yield
    except jinja2.TemplateSyntaxError as error:
        where = f"{error.filename or error.name}:{error.lineno}"
        raise TemplateProblem(f"{where}: template syntax error: {error.message}") from None
    except jinja2.TemplateError as error:
        raise TemplateProblem(f"{_template_line(error) or place}: template error: {error}") from None
    except UnicodeDecodeError as error:
        raise TemplateProblem(f"{folder or place}: a template is not UTF-8 ({error.reason})") from None


def _template_line(error: BaseException) -> str | None:
    """The template file and line a rendering error happened at (Jinja gives its traceback the
    template's own frames), the innermost one; None if no frame is a template's."""
    found = None
    trace = error.__traceback__
    while trace is not None:
        name = trace.tb_frame.f_code.co_filename
        if name.endswith((".j2", ".html", ".css")) and Path(name).is_file():
            found = f"{name}:{trace.tb_lineno}"
        trace = trace.tb_next
    return found


class SyncError(Exception):
    """A sync cannot start or go on (no collection, Anki holds it open) or failed while writing; the
    message says what became of the collection and the lock."""


class OutputError(Exception):
    """Writing the outputs failed; the message says whether the previous ones are still in place."""


class UsageError(Exception):
    """The options contradict each other or the sources (an unknown `--tag`, `--out` inside `--source`)."""


@dataclass(frozen=True)
class Failure:
    """What a user reads about a failed command: detail lines, then one summary line."""

    lines: tuple[str, ...]
    summary: str
    internal: bool = False  # a bug in cheatdeck rather than a problem with the input or the machine


def explain(error: Exception, source: Path, outcome: str) -> Failure:
    """Turn any error a command meets into a message; the one place every command (check, build,
    watch, new) maps errors to words. `outcome` says what became of the outputs (for example
    "nothing written"); an `OutputError` says that itself."""
    if isinstance(error, SourceError):
        count = len(error.problems)
        plural = "s" if count != 1 else ""
        return Failure(tuple(map(str, error.problems)), f"{count} error{plural} in {source}/; {outcome}")
    if isinstance(error, OutputError | SyncError):  # their messages say what became of things
        return Failure((), str(error))
    if isinstance(error, LockError | TemplateProblem | UsageError):
        return Failure((), f"{error}; {outcome}")
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return Failure((), f"{where}{error.strerror or error}; {outcome}")
    if isinstance(error, RecursionError | MemoryError):
        return Failure((), f"input too large or too deeply nested ({type(error).__name__}); {outcome}")
    return Failure(
        (),
        f"internal error: {type(error).__name__}: {error}; {outcome} "
        "(please report it; --verbose shows where it happened)",
        internal=True,
    )
