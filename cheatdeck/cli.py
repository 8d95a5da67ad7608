"""The command line: parse options, call the pipeline, turn the project's errors into messages.

Only Click and the standard library are imported at start-up, so `--help` answers at once; each command
imports what it needs.
"""

from __future__ import annotations

import logging
import re
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.errors import Advice, Failure, explain
from cheatdeck.options import (
    ARTEFACTS,
    DEFAULT_ARTEFACTS,
    FLASHCARD_SIZES,
    LAYOUTS,
    ORIENTATIONS,
    PAPERS,
    BuildOptions,
    FlashcardOptions,
    SheetOptions,
)

if TYPE_CHECKING:
    from cheatdeck.anki.sync import SyncReport


def _source_option(function: Any) -> Any:
    return click.option(
        "--source",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path("source"),
        show_default=True,
        help="Folder of note sources (deck.yaml and *.yaml notes).",
    )(function)


def _collection_options(verb: str) -> Callable[[Any], Any]:
    """Attach `--templates`, `--collection` and `--profile` as `sync` and `focus` take them; `verb` says
    what the command does to the collection ("update", "read")."""

    def attach(function: Any) -> Any:
        options = [
            click.option(
                "--templates",
                type=click.Path(path_type=Path, file_okay=False, exists=True),
                default=SHIPPED_TEMPLATES,
                help="Templates to use instead of the shipped ones (as for build).",
            ),
            click.option(
                "--collection",
                type=click.Path(path_type=Path, dir_okay=False),
                help=f"The collection file (collection.anki2) to {verb}.",
            ),
            click.option(
                "--profile", help=f"The Anki profile whose collection to {verb} (in Anki's data folder)."
            ),
        ]
        for option in reversed(options):
            function = option(function)
        return function

    return attach


def _check_collection_choice(command: str, collection: Path | None, profile: str | None) -> None:
    """Refuse `--collection` with `--profile`, and a collection command without Anki's backend."""
    if collection and profile:
        raise click.UsageError("give --collection or --profile, not both")
    import importlib.util

    if importlib.util.find_spec("anki") is None:
        raise click.ClickException(f"{command} needs Anki's backend: pip install -e '.[anki]'")


def _build_options(function: Any) -> Any:
    """Attach the options shared by `build` and `watch`."""
    options = [
        _source_option,
        click.option(
            "--out",
            type=click.Path(path_type=Path, file_okay=False),
            default=Path("dist"),
            show_default=True,
            help="Folder the artefacts are written to.",
        ),
        click.option(
            "--templates",
            type=click.Path(path_type=Path, file_okay=False, exists=True),
            default=SHIPPED_TEMPLATES,
            help="Templates to use instead of the shipped ones (copy templates/ and edit the copy).",
        ),
        click.option(
            "--paper", type=click.Choice(PAPERS), default="a4", show_default=True, help="Sheet paper size."
        ),
        click.option(
            "--orientation",
            type=click.Choice(ORIENTATIONS),
            default="landscape",
            show_default=True,
            help="Sheet orientation.",
        ),
        click.option(
            "--layout",
            type=click.Choice(LAYOUTS),
            default="sheet",
            show_default=True,
            help="Sheet layout: the condensed cheat sheet, or the full notes as a study guide.",
        ),
        click.option(
            "--only",
            "only_kinds",
            metavar="KIND",
            multiple=True,
            help="Print only notes of this kind on the sheet (repeatable): a built-in kind (service, "
            "algorithm, deployment, concept, metric, resource) or one deck.yaml declares.",
        ),
        click.option(
            "--tag", "tags", multiple=True, help="Print only notes with this tag on the sheet (repeatable)."
        ),
        click.option(
            "--artefact",
            "artefacts",
            type=click.Choice(ARTEFACTS),
            multiple=True,
            help="Build only this artefact (repeatable; default: deck, sheet and grid; flashcards are "
            "built when named).",
        ),
        click.option(
            "--card-size",
            type=click.Choice(FLASHCARD_SIZES),
            help="Flashcards: eight to an A4 or Letter page (8-up, the default), or 5 x 3 inch index cards.",
        ),
        click.option(
            "--cards",
            metavar="KIND",
            multiple=True,
            help="Flashcards: print only this card kind (repeatable): term, reverse, learning, task, facts, "
            "cloze or contrast, as deck.yaml's cards: switches name them.",
        ),
        click.option(
            "--force", is_flag=True, help="Rebuild every artefact even if its inputs are unchanged."
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _options(
    source: Path,
    out: Path,
    templates: Path,
    paper: str,
    orientation: str,
    layout: str,
    only_kinds: tuple[str, ...],
    tags: tuple[str, ...],
    artefacts: tuple[str, ...],
    force: bool,
    card_size: str | None = None,
    cards: tuple[str, ...] = (),
    dry_run: bool = False,
    forget_retired: bool = False,
    profile: str | None = None,
    collection: Path | None = None,
) -> BuildOptions:
    _check_kinds(source, only_kinds)
    if (card_size or cards) and "flashcards" not in artefacts:
        option = "'--card-size'" if card_size else "'--cards'"
        raise click.BadParameter(
            "it shapes the flashcards only: add --artefact flashcards", param_hint=option
        )
    return BuildOptions(
        source=source,
        out=out,
        templates=templates,
        sheet=SheetOptions(
            paper=paper, orientation=orientation, only_kinds=only_kinds, tags=tags, layout=layout
        ),
        flashcards=FlashcardOptions(size=card_size or FlashcardOptions.size, cards=cards),
        artefacts=artefacts or DEFAULT_ARTEFACTS,
        force=force,
        dry_run=dry_run,
        forget_retired=forget_retired,
        profile=profile or None,
        collection=collection,
    )


def _check_kinds(source: Path, names: tuple[str, ...]) -> None:
    """Refuse a kind `--only` names that the deck does not have (its own kinds, or the built-in ones)."""
    if not names:
        return
    from cheatdeck.notes.sources import read_kinds

    kinds = read_kinds(source).names
    for name in names:
        if name not in kinds:
            choices = ", ".join(map(repr, kinds))
            raise click.BadParameter(f"{name!r} is not one of {choices}.", param_hint="'--only'")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Return text for the terminal with its control characters written as escapes (`\\x1b`): a file
    name or a guide's text someone else wrote never sends the terminal an escape sequence."""
    return _CONTROL.sub(lambda match: match[0].encode("unicode_escape").decode("ascii"), text)


def _echo(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    click.echo(printable(message), err=err, nl=nl)


class CommandFailed(click.ClickException):
    """Print a failure's detail lines (every source problem), then its summary; exit status 1."""

    def __init__(self, failure: Failure):
        self.failure = failure
        super().__init__(printable(failure.summary))

    def show(self, file: IO[Any] | None = None) -> None:
        for line in self.failure.lines:
            _echo(line, err=True)
        _echo(self.format_message(), err=True)


@contextmanager
def _error_boundary(source: Path, outcome: str = "nothing written") -> Iterator[None]:
    """Turn every error a command meets into a message and exit status 1: never a traceback.

    The mapping itself lives in `errors.explain`, shared with watch mode.
    """
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except Exception as error:
        failure = explain(error, source, outcome)
        if failure.internal:
            logging.getLogger("cheatdeck").debug("where it happened:", exc_info=error)
        raise CommandFailed(failure) from None


class _EchoHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        prefix = "" if record.levelno < logging.WARNING else f"{record.levelname.lower()}: "
        _echo(prefix + self.format(record), err=record.levelno >= logging.WARNING)


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
@_source_option
@click.option("--strict", is_flag=True, help="Exit with status 1 when there is any warning.")
def check_command(source: Path, strict: bool) -> None:
    """Validate the sources, lint the cards they make and summarise them; write nothing.

    Says every warning a build of the deck would say too (a renamed deck, notes of an older note type).

    Example: python build.py check --source source --strict
    """
    from cheatdeck.anki.lock import LOCK_FILE, read_lock
    from cheatdeck.anki.reconcile import plan_deck
    from cheatdeck.cards.lint import lint
    from cheatdeck.notes.sources import load_sources
    from cheatdeck.notes.summary import describe_notebook
    from cheatdeck.sheet.fonts import glyph_warnings

    with _error_boundary(source):
        notebook = load_sources(source)
        plan = plan_deck(notebook, SHIPPED_TEMPLATES, read_lock(source / LOCK_FILE))  # the deck's warnings
        deck = [advice for advice in plan.advice if advice.warning]
        found = (notebook.warnings, lint(notebook), glyph_warnings(notebook), deck)
        warnings = [str(warning) for records in found for warning in records]
        summary = describe_notebook(notebook)
    for warning in warnings:
        _echo(f"warning: {warning}", err=True)
    for line in summary:
        _echo(line)
    if strict and warnings:
        count = len(warnings)
        raise click.ClickException(f"{count} warning{'s' if count != 1 else ''} in {source}/ (--strict)")


@main.command("build")
@_build_options
@click.option("--dry-run", is_flag=True, help="Print what would change in the deck; write nothing.")
@click.option(
    "--forget-retired",
    is_flag=True,
    help="Stop shipping the notes already retired (after deleting them in Anki; see README).",
)
@click.option(
    "--profile",
    envvar="CHEATDECK_PROFILE",
    help="Your Anki profile (or set CHEATDECK_PROFILE once): the build reads a copy of its collection "
    "and stops shipping the retired notes you deleted there.",
)
@click.option(
    "--collection",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="CHEATDECK_COLLECTION",
    help="As --profile, naming the collection file (collection.anki2) itself.",
)
def build_command(**arguments: Any) -> None:
    """Validate the sources, then write the deck, cheat sheet and grid that changed.

    Example: python build.py build --source source --out dist --paper letter
    """
    from cheatdeck.build.pipeline import build

    with _error_boundary(arguments["source"]):
        options = _options(**arguments)
        report = build(options)
    _say_advice(report.advice)
    if options.dry_run:
        _echo("dry run: nothing written")


@main.command("watch")
@_build_options
def watch_command(**arguments: Any) -> None:
    """Rebuild whenever a source or template file is saved; stop with Ctrl-C.

    A validation error is printed and the last good outputs stay in place.

    Example: python build.py watch --source source --out dist
    """
    from cheatdeck.build.watch import watch

    logs = logging.getLogger("cheatdeck")
    if logs.level > logging.DEBUG:  # each save is told in one line; -v shows the build's own account
        logs.setLevel(logging.WARNING)
    terminal = _Terminal()
    try:
        with _error_boundary(arguments["source"], "watching stopped"):
            watch(
                _options(**arguments),
                echo=terminal.echo,
                progress=terminal.progress if terminal.rewrites else None,
            )
    except KeyboardInterrupt:  # Ctrl-C is how watching ends: no "Aborted!", exit status 0
        terminal.echo("stopped watching")


def _say_advice(advice: Iterable[Advice]) -> None:
    """Say each warning (on standard error) and next step a stage returned, once."""
    said: set[str] = set()
    for item in advice:
        if str(item) not in said:
            said.add(str(item))
            _echo(f"warning: {item}" if item.warning else str(item), err=item.warning)


class _Terminal:
    """Standard output for watch: a line of progress is replaced by the line that follows it."""

    def __init__(self) -> None:
        self.rewrites = sys.stdout.isatty()
        self._partial = False

    def progress(self, text: str) -> None:
        click.echo(("\r\x1b[K" if self._partial else "") + printable(text), nl=False)
        self._partial = True

    def echo(self, text: str) -> None:
        click.echo(("\r\x1b[K" if self._partial else "") + printable(text))
        self._partial = False


@main.command("new")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--title", default="My exam notes", show_default=True, help="The deck's title.")
@click.option(
    "--format",
    "notes_format",
    type=click.Choice(("yaml", "md")),
    default="yaml",
    show_default=True,
    help="Write the example notes as YAML (notes.yaml) or Markdown (notes.md).",
)
def new_command(folder: Path, title: str, notes_format: str) -> None:
    """Create a notes folder for another exam, ready for `check` and `build`.

    Example: python build.py new ~/notes/cka --title "Certified Kubernetes Administrator" --format md
    """
    from cheatdeck.notes.scaffold import scaffold, title_problem

    if not title.strip():
        raise click.ClickException("--title must not be empty")
    problem = title_problem(title)
    if problem:
        raise click.ClickException(f"--title: {problem}")
    with _error_boundary(folder, "stopped"):
        try:
            written = scaffold(folder, title, notes_format)
        except FileExistsError as error:
            raise click.ClickException(printable(str(error))) from None
        except OSError as error:
            raise click.ClickException(
                printable(f"{error.filename or folder}: {error.strerror or error}")
            ) from None
    for path in written:
        _echo(f"created {path}")
    _echo(f"next: {_command_line('check', '--source', str(folder))}")


@main.command("import")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--into",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Notes folder to write to (created if missing; gets a deck.yaml if it has none).",
)
@click.option(
    "--level",
    type=click.IntRange(1, 6),
    default=None,
    help="Make every heading down to this level a note (deeper ones stay in the note's text); by default "
    "the topics are chosen from the guide's own outline, per branch, and the choice is printed.",
)
@click.option("--explain", is_flag=True, help="List every guess (kind, summary, fields …) with its reason.")
def import_command(sources: tuple[Path, ...], into: Path, level: int | None, explain: bool) -> None:
    """Turn study guides (Markdown files, HTML pages, folders of Markdown files) into Markdown notes.

    Prints what it guessed (kinds, summaries, fields) for review; --explain lists every guess and why.
    Importing the same guide again updates only the notes whose section changed; a note you edited is
    kept as you left it.

    Example: python build.py import study-guide.md blog-post.html --into notes
    """
    from cheatdeck.importer.guide import GuideError, import_guides

    with _error_boundary(into, "stopped"):
        try:
            report = import_guides(sources, into, level)
        except GuideError as error:
            raise click.ClickException(printable(str(error))) from None
        except OSError as error:
            raise click.ClickException(
                printable(f"{error.filename or into}: {error.strerror or error}")
            ) from None
    for line in report.lines(explain):
        _echo(line)
    _echo(f"next: {_command_line('check', '--source', str(into))}")


@main.command("sync")
@_source_option
@_collection_options("update")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("dist"),
    show_default=True,
    help="The build's out folder: sync takes turns with builds there and finishes a killed one first.",
)
@click.option("--dry-run", is_flag=True, help="Print what would change in the collection; write nothing.")
@click.option("--yes", is_flag=True, help="Delete retired notes without asking.")
@click.option("--keep-anki", is_flag=True, help="On a conflict, keep the text edited in Anki.")
@click.option("--keep-source", is_flag=True, help="On a conflict, take the text from the sources.")
def sync_command(
    source: Path,
    templates: Path,
    collection: Path | None,
    profile: str | None,
    out: Path,
    dry_run: bool,
    yes: bool,
    keep_anki: bool,
    keep_source: bool,
) -> None:
    """Bring an Anki collection up to date with the notes, through Anki's own backend.

    Adds new notes, updates changed ones in place (review history kept), moves notes to a new note-type
    version with their history, deletes retired notes (asking first), and reports every field you edited
    in Anki instead of overwriting it. Close Anki first; Anki's own backup is made before any change.
    Needs the anki package: pip install -e '.[anki]'.

    Example: python build.py sync --profile "User 1" --dry-run
    """
    _check_collection_choice("sync", collection, profile)
    if keep_anki and keep_source:
        raise click.UsageError("give --keep-anki or --keep-source, not both")
    from cheatdeck.anki.sync import SyncOptions, sync

    options = SyncOptions(
        source=source,
        templates=templates,
        collection=collection,
        profile=profile,
        dry_run=dry_run,
        keep="anki" if keep_anki else "source" if keep_source else None,
        out=out,
    )
    with _error_boundary(source, "nothing changed"):
        report = sync(
            options,
            _confirm_deletion if not yes else lambda _notes: True,
            _confirm_tidy if not yes else lambda _leftovers: True,
        )
    _echo_sync_report(report, dry_run)


@main.command("focus")
@_source_option
@_collection_options("read")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("dist"),
    show_default=True,
    help="Folder focus.pdf is written to.",
)
@click.option("--limit", type=click.IntRange(1), help="Print at most this many notes.")
@click.option(
    "--since",
    type=click.IntRange(1),
    metavar="DAYS",
    help="List only notes answered Again in the last DAYS days, counting those answers (default: count "
    "the last 30 days, list every note with a cost).",
)
@click.option("--tag", "tags", multiple=True, help="Only notes with this tag (repeatable).")
@click.option(
    "--paper", type=click.Choice(PAPERS), default="a4", show_default=True, help="Paper size of the page."
)
@click.option("--explain", is_flag=True, help="Print each ranked note's score and what it is made of.")
def focus_command(
    source: Path,
    templates: Path,
    collection: Path | None,
    profile: str | None,
    out: Path,
    limit: int | None,
    since: int | None,
    tags: tuple[str, ...],
    paper: str,
    explain: bool,
) -> None:
    """Print one page of the notes you keep missing in Anki (dist/focus.pdf), costliest first.

    Reads your review history read-only through Anki's backend (a copy; if Anki has the collection
    open, its newest automatic backup) and ranks this deck's notes by lapses, recent Again answers, low
    ease or high difficulty, and cards not yet learned. Needs the anki package: pip install -e '.[anki]'.

    Example: python build.py focus --profile "User 1" --since 14 --explain
    """
    _check_collection_choice("focus", collection, profile)
    from cheatdeck.study.focus import FocusOptions, focus

    options = FocusOptions(
        source=source,
        out=out,
        templates=templates,
        collection=collection,
        profile=profile,
        limit=limit,
        since=since,
        tags=tags,
        sheet=SheetOptions(paper=paper),
    )
    with _error_boundary(source, "nothing written"):
        report = focus(options)
    for line in report.explained if explain else ():
        _echo(line)
    for line in report.lines:
        _echo(line)


def _command_line(*words: str) -> str:
    """Return a cheatdeck command as a fresh shell in the project folder runs it (as the README shows)."""
    return shlex.join([".venv/bin/python", "build.py", *words])


def _confirm_deletion(notes: list[str]) -> bool:
    """Ask before sync deletes retired notes from the collection; no (or Ctrl-C) keeps them."""
    _echo(
        f"{len(notes)} retired note(s) to delete from the collection, with their review history: "
        + "; ".join(notes)
    )
    try:
        return click.confirm("Delete them?", default=False)
    except click.Abort:
        return False


def _confirm_tidy(leftovers: list[str]) -> bool:
    """Ask before sync removes what an upgrade left empty; no (or Ctrl-C) leaves it, to be asked again."""
    _echo(f"the upgrade left {len(leftovers)} thing(s) empty: {'; '.join(leftovers)}")
    try:
        return click.confirm("Remove what the upgrade left empty?", default=False)
    except click.Abort:
        return False


def _echo_sync_report(report: SyncReport, dry_run: bool) -> None:
    """Print what sync did (or would do); fail if conflicts were left unresolved."""
    _echo(f"collection: {report.collection}")
    if report.backup:
        _echo(f"backup: {report.backup}")
    for line in report.lines():
        _echo(line)
    _echo(("dry run: " if dry_run else "sync: ") + report.counts())
    if report.schema_changed:
        _echo(
            "note: moving notes to a new note type changes the collection's schema; Anki's next "
            "AnkiWeb sync asks to upload the whole collection (choose Upload)"
        )
    if report.kept and not dry_run:
        _echo(f"kept {len(report.kept)} retired note(s) in the collection; run sync --yes to delete them")
    if report.unresolved:
        how = "rerun with --keep-anki or --keep-source"
        if all(conflict.notetype for conflict in report.unresolved):
            how = "change the note type back in Anki, or delete the note there"
        elif any(conflict.notetype for conflict in report.unresolved):
            how += "; for a note type changed in Anki, change it back or delete the note there"
        raise click.ClickException(f"{len(report.unresolved)} conflict(s) left as they are: {how}")
