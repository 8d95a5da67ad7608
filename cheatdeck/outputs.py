"""Outputs plug in: each declares what it reads and turns it into an artefact the pipeline writes.

An output module (`deck`, `sheet`, `grid` …) defines `OUTPUT`, and `cheatdeck.options.OUTPUTS` registers
it under its name. A build computes only what the requested outputs declare they need, each thing once,
then asks each output for its artefact: a stamp of its content and a writer per file in `out/`.

What an output may need (`NEEDS`):
- `plan`: the deck planned against the lock (note types, notes, modification times);
- `date`: the day the sources last changed, the newest time in the lock this build leaves behind (the
  lock on disk, or the one a deck build in the same run writes), so it never needs planning and never
  reads the clock;
- `grid`: the comparison grid's rows of the whole notebook.
This module is light on purpose: the pipeline and the CLI import it without any heavy dependency.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import importlib
import json
import os
import secrets
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from cheatdeck import PACKAGE_DIR
from cheatdeck.errors import TemplateProblem
from cheatdeck.options import OUTPUTS

if TYPE_CHECKING:
    from cheatdeck.anki.reconcile import DeckPlan
    from cheatdeck.build.pipeline import BuildReport
    from cheatdeck.grid import Grid
    from cheatdeck.notes.model import Notebook
    from cheatdeck.options import BuildOptions

NEEDS = ("plan", "date", "grid")
SHEET_FILE = "cheatsheet.pdf"
GRID_CSV = "grid.csv"
GRID_HTML = "grid.html"
CACHE_FOLDER = ".cheatdeck-cache"  # what a build keeps to build faster next time (the sheet's parts)
T = TypeVar("T")


@dataclass(frozen=True)
class Artefact:
    """One artefact: a stamp of its content and a writer per output file."""

    name: str
    stamp: str
    writers: Mapping[str, Callable[[Path], object]]


@dataclass
class Shared:
    """What a build computed for its outputs; an output reads only what it declared it needs."""

    options: BuildOptions
    notebook: Notebook
    report: BuildReport
    computed: dict[str, object] = field(default_factory=dict)

    def _get(self, need: str) -> object:
        if need not in self.computed:
            raise RuntimeError(f"an output read {need!r} without declaring it in its `needs`")
        return self.computed[need]

    @property
    def plan(self) -> DeckPlan:
        """The planned deck."""
        return cast("DeckPlan", self._get("plan"))

    @property
    def date(self) -> int:
        """The time the sources last changed (Unix seconds)."""
        return cast(int, self._get("date"))

    @property
    def grid(self) -> Grid:
        """The whole notebook's grid."""
        return cast("Grid", self._get("grid"))


@dataclass(frozen=True)
class Output:
    """A kind of output: its name, the shared things it reads (see `NEEDS`) and how it is planned."""

    name: str
    needs: tuple[str, ...]
    plan: Callable[[Shared], Artefact]

    def __post_init__(self) -> None:
        unknown = set(self.needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"output {self.name!r} needs unknown things: {', '.join(sorted(unknown))}")


def load_output(name: str) -> Output:
    """Return the registered output of this name (its module is imported only now)."""
    output = importlib.import_module(OUTPUTS[name]).OUTPUT
    if not isinstance(output, Output) or output.name != name:
        raise TypeError(f"{OUTPUTS[name]}.OUTPUT is not the output {name!r}")
    return output


@functools.cache
def code_digest() -> str:
    """A digest of cheatdeck's own code, for what CACHE_FOLDER keeps: how it was made may change."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def keep_in_cache(path: Path, data: bytes) -> bool:
    """Write a file of CACHE_FOLDER whole or not at all; say whether it was kept. The cache only saves
    time, so a failure is no error, and leaves no temporary file behind."""
    temporary = path.with_name(f".{path.name}.cheatdeck-{secrets.token_hex(4)}.tmp")  # as `recover` knows
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError:
        with contextlib.suppress(OSError):  # no folder to leave it in, say
            temporary.unlink(missing_ok=True)
        return False
    return True


class DamagedCache(Exception):
    """A file of CACHE_FOLDER that is not what the cache wrote: it is made again, never trusted."""

    def __init__(self, path: Path, why: str):
        super().__init__(f"{path}: damaged cache entry ({why})")
        self.path = path


def read_from_cache(path: Path, limit: int) -> bytes | None:
    """Read a file of CACHE_FOLDER: None if there is none; `DamagedCache` unless it is a regular file
    (never through a link, never a pipe or a device, which could hang the build or never end) of at most
    `limit` bytes."""
    flags = (
        os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    )
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as error:
        why = "a link, not a file the cache wrote" if error.errno == errno.ELOOP else error.strerror
        raise DamagedCache(path, str(why or error)) from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise DamagedCache(path, "not a regular file")
        if status.st_size > limit:
            raise DamagedCache(path, f"{status.st_size} bytes, more than the cache writes")
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise DamagedCache(path, str(error.strerror or error)) from None
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise DamagedCache(path, f"more than {limit} bytes, more than the cache writes")
    return data


def json_from_cache(path: Path, limit: int) -> object | None:
    """Read a JSON file of CACHE_FOLDER (see `read_from_cache`); `DamagedCache` if it does not parse,
    nests too deep or is no object."""
    data = read_from_cache(path, limit)
    if data is None:
        return None
    try:
        value = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise DamagedCache(path, f"not the JSON the cache writes: {type(error).__name__}") from None
    if not isinstance(value, dict):
        raise DamagedCache(path, "not the JSON the cache writes")
    return value


def stamp(*parts: str) -> str:
    """Return a hash of the parts an artefact's content is made of."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def rendered(render: Callable[[], T]) -> T:
    """Run a template; an error raised inside a user's template (say, a division by zero) is a
    `TemplateProblem`, not a traceback. Jinja's own errors are explained by the pipeline."""
    import jinja2

    try:
        return render()
    except jinja2.TemplateError:
        raise
    except Exception as error:
        raise TemplateProblem(f"template failed while rendering: {type(error).__name__}: {error}") from None


def write_text(path: Path, text: str) -> None:
    """Write text exactly (UTF-8, newlines untouched)."""
    path.write_text(text, encoding="utf-8", newline="")
