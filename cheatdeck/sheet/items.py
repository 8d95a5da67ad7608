"""Each note's HTML on the sheet, rendered once for its content: a `watch` edit renders the notes it changed,
not every note of the deck (issue 26).

The sheet's template wraps a note's item in `{% call remember_item(note, section, loop.first) %}`. The
item's HTML is kept in memory under a key of everything it is made from: the note (all its content), its
kind, whether it is its kind's first, the template's text, cheatdeck's code, and every value of the
template's context the item reads (found in the template, its macros followed: `titles`, `contrasts` …,
each digested whole). A template whose item reads something this cannot key (a variable the template
sets itself, `loop` beyond `loop.first`, `section` beyond its kind, an included template) has its items
rendered every time, as before: the cache only ever saves time, never changes a byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from cheatdeck.hashing import fingerprint

if TYPE_CHECKING:
    from jinja2 import Environment, Template
    from jinja2.nodes import Node

ITEM_CALL = "remember_item"
"""The name the sheet's template calls to have a note's item kept (see the module's doc)."""
_SECTION_READS = frozenset({"kind", "badge", "label"})  # what of its section an item may read: its kind's


def render_item(caller: Callable[[], str]) -> Markup:
    """Render one note's item with the template's own markup (the one place an item is rendered)."""
    return Markup(caller())


class ItemCache:
    """The items of the last sheet rendered, by key. Emptied by `cheatdeck.forget_caches`."""

    def __init__(self) -> None:
        self.kept: dict[str, Markup] = {}

    def cache_info(self) -> SimpleNamespace:
        """How many items are kept (those of the last render)."""
        return SimpleNamespace(currsize=len(self.kept), maxsize=1 << 20)

    def cache_clear(self) -> None:
        """Forget every item."""
        self.kept.clear()

    def remember(
        self, environment: Environment, template: Template, context: Mapping[str, Any], extra: object
    ) -> Remember:
        """A `remember_item` for one render of `template` (as compiled) with `context`; `extra`: what else
        the environment's filters read (their state), digested into every key."""
        return Remember(self, environment, template, context, extra)


ITEMS = ItemCache()


class Remember:
    """`remember_item` for one render: the note's item from the cache, or rendered and kept."""

    def __init__(
        self,
        cache: ItemCache,
        environment: Environment,
        template: Template,
        context: Mapping[str, Any],
        extra: object,
    ):
        self.cache, self.environment, self.template = cache, environment, template
        self.context, self.extra = context, extra
        self.prefix: str | None = None  # the key's part shared by every item; "" when items are not kept
        self.made: dict[str, Markup] = {}
        self.kinds: dict[int, tuple[object, str]] = {}

    def __call__(self, note: object, section: object, first: object, *, caller: Callable[[], str]) -> Markup:
        if self.prefix is None:
            self.prefix = self._prefix()
        if not self.prefix:
            return render_item(caller)
        kind = getattr(section, "kind", None)
        known = self.kinds.get(id(kind))
        if known is None or known[0] is not kind:
            known = self.kinds[id(kind)] = (kind, fingerprint(kind))
        key = hashlib.sha256(
            f"{self.prefix}\0{fingerprint(note)}\0{known[1]}\0{bool(first)}".encode()
        ).hexdigest()
        item = self.made.get(key) or self.cache.kept.get(key)
        if item is None:
            item = render_item(caller)
        self.made[key] = item
        return item

    def finish(self) -> None:
        """Keep the items this render made or took (a render without items keeps the last ones)."""
        if self.made:
            self.cache.kept = self.made
            self.made = {}

    def _prefix(self) -> str:
        from cheatdeck.outputs import code_digest
        from cheatdeck.sheet.typeset import drawings_kept

        loader, name = self.environment.loader, self.template.name
        if loader is None or name is None:
            return ""
        source = loader.get_source(self.environment, name)[0]
        if not self.template.is_up_to_date:  # saved since it was compiled: `source` is not what renders
            return ""
        reads = item_reads(self.environment, source)
        if reads is None:
            return ""
        names, macros = reads
        # an item rendered keeps its formulas' drawings, which `save_drawings` saves: not an item kept
        # from before they were forgotten (`--force`)
        digest = hashlib.sha256(f"{code_digest()}\0{drawings_kept()}\0{name}\0{source}\0".encode())
        digest.update(fingerprint(self.extra).encode())
        for name in sorted(names):
            if name in self.context:
                digest.update(f"{name}\0{fingerprint(self.context[name])}\0".encode())
            elif name not in macros and name not in self.environment.globals:
                return ""  # a name the template defines itself (`{% set %}`): not keyed, not kept
        return digest.hexdigest()


def item_reads(environment: Environment, source: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """The names of the template's context its `remember_item` items read (theirs and their macros'),
    and the template's macros among them; None if an item reads what a key cannot hold."""
    key = (source, tuple(sorted(environment.filters)), tuple(sorted(environment.globals)))
    if key not in _READS:
        if len(_READS) >= 8:
            _READS.clear()
        _READS[key] = _item_reads(environment, source)
    return _READS[key]


_Reads = tuple[frozenset[str], frozenset[str]] | None
_READS: dict[tuple[str, tuple[str, ...], tuple[str, ...]], _Reads] = {}


def _item_reads(environment: Environment, source: str) -> _Reads:
    from jinja2 import nodes

    tree = environment.parse(source)
    macros = {macro.name: macro for macro in tree.find_all(nodes.Macro)}
    assigned = {
        target.name
        for node in tree.find_all((nodes.Assign, nodes.AssignBlock, nodes.For, nodes.With))
        for target in node.find_all(nodes.Name)
        if target.ctx in ("store", "param")
    }
    names: set[str] = set()
    for block in tree.find_all(nodes.CallBlock):
        call = block.call
        if not (isinstance(call.node, nodes.Name) and call.node.name == ITEM_CALL):
            continue
        bound = _bound_names(call)
        if bound is None or any(_unkeyable(node) for node in block.body):
            return None
        note, section = bound
        free = _free_names(environment, [*block.body, nodes.Output(list(block.defaults))])
        reads_first = _reads_only(block.body, "loop", {"first"})
        if not (reads_first and _reads_only(block.body, section, _SECTION_READS)):
            return None
        names |= free - {note, section, "loop"}
    followed: set[str] = set()
    while pending := (names & macros.keys()) - followed:
        for name in pending:
            followed.add(name)
            macro = macros[name]
            if any(_unkeyable(node) for node in macro.body):
                return None
            defaults = nodes.Output(list(macro.defaults))  # `by=deck.author` reads the context too
            names |= (
                _free_names(environment, [*macro.body, defaults])
                - {arg.name for arg in macro.args}
                - {"caller"}
            )
    if (names - followed) & assigned:
        return None  # read from a variable the template sets or loops over: not the context's
    return frozenset(names), frozenset(followed)


def _bound_names(call: Node) -> tuple[str, str] | None:
    """The names `remember_item(note, section, loop.first)` is called with, if it is called so."""
    from jinja2 import nodes

    assert isinstance(call, nodes.Call)
    args = call.args
    if call.kwargs or call.dyn_args or call.dyn_kwargs or len(args) != 3:
        return None
    note, section, first = args
    if not (isinstance(note, nodes.Name) and isinstance(section, nodes.Name)):
        return None
    if not (
        isinstance(first, nodes.Getattr)
        and first.attr == "first"
        and isinstance(first.node, nodes.Name)
        and first.node.name == "loop"
    ):
        return None
    return note.name, section.name


def _free_names(environment: Environment, body: Iterable[Node]) -> set[str]:
    from jinja2 import meta, nodes

    template = nodes.Template(list(body))
    template.set_environment(environment)
    return set(meta.find_undeclared_variables(template))


def _unkeyable(node: Node) -> bool:
    """Whether an item's markup reads another template (its text is not in the key)."""
    from jinja2 import nodes

    kinds = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends, nodes.Block)
    return isinstance(node, kinds) or any(True for _ in node.find_all(kinds))


def _reads_only(body: Iterable[Node], name: str, attributes: Iterable[str]) -> bool:
    """Whether the markup reads `name` (the enclosing loop's variable) only as `name.attribute`, one of
    `attributes` (a `loop` of a loop inside the markup is that loop's own)."""
    from jinja2 import nodes

    allowed = frozenset(attributes)

    def fine(node: Node, inner_loop: bool) -> bool:
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name == name:
            return node.attr in allowed or (name == "loop" and inner_loop)
        if isinstance(node, nodes.Name) and node.name == name:
            return name == "loop" and inner_loop
        if isinstance(node, nodes.For):
            outer = [node.target, node.iter, *([node.test] if node.test else []), *node.else_]
            inside = all(fine(child, True) for child in node.body)  # a `loop` there is this loop's
            return inside and all(fine(child, inner_loop) for child in outer)
        return all(fine(child, inner_loop) for child in node.iter_child_nodes())

    return all(fine(node, False) for node in body)
