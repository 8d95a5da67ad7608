"""The Jinja environment shared by the cheat sheet and the grid: autoescaping on, note text filters."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.bccache import Bucket
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from cheatdeck.notes.kinds import labelled_values
from cheatdeck.notes.render import link_targets, normalise_link, render_formula, render_markdown

if TYPE_CHECKING:
    from jinja2.nodes import Node


def make_environment(templates: Path) -> Environment:
    """Return a Jinja environment over `templates` that escapes everything not marked safe. Sandboxed: a
    template of a shared `--templates` folder is data too, and cannot reach Python through Jinja's own
    objects (`lipsum.__globals__` …) to run a command or read a file."""
    environment = SandboxedEnvironment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(["html", "j2", "css"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=COMPILED,
    )
    environment.filters["markdown"] = lambda text: Markup(render_markdown(text))
    environment.filters["formula"] = lambda text: Markup(render_formula(text))
    environment.filters["short_url"] = short_url
    environment.filters["unlinked"] = unlinked
    environment.filters["inline_paragraphs"] = inline_paragraphs
    environment.filters["css_string"] = css_string
    environment.filters["groupby_ordered"] = groupby_ordered
    environment.filters["labelled"] = labelled_values
    return environment


class CompiledTemplates(BytecodeCache):
    """The templates compiled in this process, by file and source text (Jinja checks the text's checksum
    before taking the code): each build makes its environments afresh, and compiling the sheet's and the
    grid's templates again cost every `watch` save about 0.04 s. Emptied by `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.kept: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        """Give the bucket the code kept for its template, if any (Jinja drops it if the text changed)."""
        code = self.kept.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep the code just compiled."""
        if len(self.kept) >= 256:
            self.kept.clear()
        self.kept[bucket.key] = bucket.bytecode_to_string()

    def cache_info(self) -> Any:
        """How many templates are kept."""
        from types import SimpleNamespace

        return SimpleNamespace(currsize=len(self.kept), maxsize=256)

    def cache_clear(self) -> None:
        """Forget every compiled template."""
        self.kept.clear()


COMPILED = CompiledTemplates()


def inline_paragraphs(html: str) -> Markup:
    """Unwrap rendered paragraphs so a short body runs on after a bold lead-in."""
    return Markup(html.replace("<p>", "").replace("</p>", " ").strip())


def css_string(text: str) -> Markup:
    """Quote text as a CSS string literal that cannot close its <style> element."""
    escaped = "".join(
        char if char.isalnum() or char in " -_.,:;()/–—'’" else f"\\{ord(char):x} " for char in text
    )
    return Markup(f'"{escaped}"')


def groupby_ordered(items: Iterable[Any], attribute: str) -> list[tuple[Any, list[Any]]]:
    """Group consecutive items by an attribute, keeping their order (Jinja's groupby sorts)."""
    return [
        (key, list(group))
        for key, group in itertools.groupby(items, key=lambda item: getattr(item, attribute))
    ]


def unlinked(references: Iterable[Any], body: str) -> list[Any]:
    """Return the references the body does not already link to (links are printed once)."""
    linked = link_targets(body) if body else set()
    return [reference for reference in references if normalise_link(reference.url) not in linked]


def short_url(url: str) -> str:
    """Return a URL without its scheme and 'www.', for printing: 'https://www.a.com/x/' → 'a.com/x'."""
    parts = urlsplit(url)
    text = parts.netloc.removeprefix("www.") + parts.path.rstrip("/")
    if parts.query:
        text += "?…"
    return text


def format_day(timestamp: int) -> str:
    """Format a Unix time as an ISO date (UTC): the day the sources last changed."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def free_names(environment: Environment, body: Iterable[Node]) -> set[str]:
    """The context names a piece of template syntax reads (an expression counts as printed)."""
    from jinja2 import meta, nodes

    template = nodes.Template(
        [nodes.Output([node]) if isinstance(node, nodes.Expr) else node for node in body]
    )
    template.set_environment(environment)
    return set(meta.find_undeclared_variables(template))


def reads_other_templates(body: Iterable[Node]) -> bool:
    """Whether a piece of template syntax reads another template (an include, import, extends or block:
    text a cache key holding this template's text would miss)."""
    from jinja2 import nodes

    kinds = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends, nodes.Block)
    return any(isinstance(node, kinds) or any(True for _ in node.find_all(kinds)) for node in body)
