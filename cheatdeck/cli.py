"""The command line: parse options, call the pipeline, turn the project's errors into messages."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.errors import LockError, SourceError

SOURCE_OPTION = click.option(
    "--source",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("source"),
    show_default=True,
    help="Folder of note sources (deck.yaml and *.yaml notes).",
)
OUT_OPTION = click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("dist"),
    show_default=True,
    help="Folder the artefacts are written to.",
)


class SourceProblems(click.ClickException):
    """Print every source problem, one per line, then a count; exit status 1."""

    def __init__(self, error: SourceError, source: Path):
        self.problems = error.problems
        count = len(self.problems)
        super().__init__(f"{count} error{'s' if count != 1 else ''} in {source}/; nothing written")

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        for problem in self.problems:
            click.echo(str(problem), err=True)
        click.echo(self.format_message(), err=True)


class _EchoHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        prefix = "" if record.levelno < logging.WARNING else f"{record.levelname.lower()}: "
        click.echo(prefix + record.getMessage(), err=record.levelno >= logging.WARNING)


def _configure_logging(verbose: bool) -> None:
    root = logging.getLogger("cheatdeck")
    root.handlers[:] = [_EchoHandler()]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False


@click.group(invoke_without_command=True)
@click.option("-v", "--verbose", is_flag=True, help="Say more about what is done.")
@click.pass_context
def main(context: click.Context, verbose: bool) -> None:
    """Build an Anki deck, a cheat sheet and a comparison grid from study notes.

    With no command, builds source/ into dist/ (the same as `build`).
    """
    _configure_logging(verbose)
    if context.invoked_subcommand is None:
        context.invoke(build_command)


@main.command("check")
@SOURCE_OPTION
def check_command(source: Path) -> None:
    """Validate the sources and summarise them; write nothing.

    Example: python build.py check --source source
    """
    from cheatdeck.sources import load_sources
    from cheatdeck.summary import describe_notebook

    try:
        notebook = load_sources(source)
    except SourceError as error:
        raise SourceProblems(error, source) from None
    for line in describe_notebook(notebook):
        click.echo(line)


@main.command("build")
@SOURCE_OPTION
@OUT_OPTION
@click.option(
    "--templates",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=SHIPPED_TEMPLATES,
    help="Folder of templates to use instead of the shipped ones (copy templates/ and edit it).",
)
@click.option("--dry-run", is_flag=True, help="Print what would change in the deck; write nothing.")
def build_command(source: Path, out: Path, templates: Path, dry_run: bool) -> None:
    """Validate the sources, then write the deck, cheat sheet and grid.

    Example: python build.py build --source source --out dist
    """
    from cheatdeck.pipeline import BuildOptions, build

    try:
        report = build(BuildOptions(source=source, out=out, templates=templates, dry_run=dry_run))
    except SourceError as error:
        raise SourceProblems(error, source) from None
    except LockError as error:
        raise click.ClickException(f"{error}; nothing written") from None
    if dry_run:
        click.echo("dry run: nothing written")
    elif not report.written:
        click.echo("nothing to do: every output is up to date")
