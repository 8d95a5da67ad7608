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
from types import CodeType, SimpleNamespace
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from cheatdeck.hashing import fingerprint
from cheatdeck.templating import free_names, reads_other_templates

if TYPE_CHECKING:
    from jinja2 import Environment, Template, nodes
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

    def render(
        self, environment: Environment, template: Template, context: Mapping[str, Any], extra: object
    ) -> str:
        """`template` rendered with `context` and a `remember_item` (see `remember`): where the template's
        loop over the notes writes nothing but their items between text of its own, that loop runs over
        two stand-ins only and the items are put in their place (`Remember.outline`), the notes whose
        items are not kept rendered by the loop alone; else the whole template is rendered."""
        remember = self.remember(environment, template, context, extra)
        html = remember.outline()
        if html is None:
            html = template.render(**context, remember_item=remember)
        remember.finish()
        return html


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
        key = self._key(note, section, first)
        item = self.made.get(key) or self.cache.kept.get(key)
        if item is None:
            item = render_item(caller)
        self.made[key] = item
        return item

    def _key(self, note: object, section: object, first: object) -> str:
        kind = getattr(section, "kind", None)
        known = self.kinds.get(id(kind))
        if known is None or known[0] is not kind:
            known = self.kinds[id(kind)] = (kind, fingerprint(kind))
        return hashlib.sha256(
            f"{self.prefix}\0{fingerprint(note)}\0{known[1]}\0{bool(first)}".encode()
        ).hexdigest()

    def outline(self) -> str | None:
        """The render, its item loop run over two stand-ins (see `_outline_code`) and each stand-in's
        pair then spread to the loop's notes, the items between: the text the loop writes before and
        after each item is the same for every note, so `before M0 (after + before) M1 after` gives
        `before item0 (after + before) item1 … item(n-1) after`. The notes whose items are not kept are
        rendered by a second run of the loop over them alone (each with its first note, for
        `loop.first`). None: the template is not one this can read (it is then rendered whole)."""
        loader, name = self.environment.loader, self.template.name
        if loader is None or name is None:
            return None
        source = loader.get_source(self.environment, name)[0]  # what the outline renders, and the keys read
        if not self.template.is_up_to_date:  # saved since `template` was compiled: it is rendered whole
            return None
        code = _outline_code(self.environment, self.template, source)
        if code is None:
            return None
        from secrets import token_hex

        outline = self.environment.template_class.from_code(
            self.environment, code, self.environment.make_globals(None)
        )
        loops = _Loops(self, token_hex(8))
        try:  # the template's own error, if any, is the whole render's to raise
            text = outline.render(**self.context, remember_item=loops.stand_in, **{ITEM_LOOP: loops.outline})
            if any(loops.notes):  # the loop ran: its items are keyed (a render without one needs no key)
                self.prefix = self._prefix(source)
                if not self.prefix:
                    return None
            keys = loops.keys()
            if any(key not in self.made and key not in self.cache.kept for group in keys for key in group):
                loops.index = 0
                outline.render(**self.context, remember_item=self, **{ITEM_LOOP: loops.unkept})
        except Exception:  # rendered whole, as before
            return None
        return loops.spread(text, keys)

    def finish(self) -> None:
        """Keep the items this render made or took (a render without items keeps the last ones)."""
        if self.made:
            self.cache.kept = self.made
            self.made = {}

    def _prefix(self, outlined: str | None = None) -> str:
        """The key's part shared by every item ("": items are not kept). `outlined`: the template's text
        the outline was compiled from and renders (else the file's, if `template` was compiled from it)."""
        from cheatdeck.outputs import code_digest
        from cheatdeck.sheet.typeset import drawings_kept

        loader, name = self.environment.loader, self.template.name
        if loader is None or name is None:
            return ""
        source = outlined if outlined is not None else loader.get_source(self.environment, name)[0]
        if outlined is None and not self.template.is_up_to_date:  # saved since it was compiled: `source`
            return ""  # is not what renders
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
        if bound is None or reads_other_templates(block.body):
            return None
        note, section = bound
        free = free_names(environment, [*block.body, nodes.Output(list(block.defaults))])
        reads_first = _reads_only(block.body, "loop", {"first"})
        if not (reads_first and _reads_only(block.body, section, _SECTION_READS)):
            return None
        names |= free - {note, section, "loop"}
    followed: set[str] = set()
    while pending := (names & macros.keys()) - followed:
        for name in pending:
            followed.add(name)
            macro = macros[name]
            if reads_other_templates(macro.body):
                return None
            defaults = nodes.Output(list(macro.defaults))  # `by=deck.author` reads the context too
            names |= (
                free_names(environment, [*macro.body, defaults])
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


ITEM_LOOP = "cheatdeck_item_loop"
"""What the outline of the template (`_outline_code`) calls on the notes its item loop runs over."""


class _NotOutlined(Exception):
    """The outline met what it does not expect: the template is rendered whole."""


class _StandIn:
    """One of the two stand-ins an item loop of the outline runs over (`group`: which run of the loop)."""

    def __init__(self, group: int, index: int):
        self.group, self.index = group, index


class _Loops:
    """The runs of the item loop in one render of the outline: each run's notes and section."""

    def __init__(self, remember: Remember, nonce: str):
        self.remember, self.nonce = remember, nonce
        self.notes: list[tuple[object, ...]] = []
        self.sections: list[list[object]] = []
        self.index = 0  # the run the second render is at
        self.wanted: list[list[int]] = []

    def marker(self, group: int, index: int) -> str:
        return f"\0cheatdeck-item-{self.nonce}-{group}-{index}\0"

    def outline(self, notes: object) -> list[_StandIn]:
        """The loop's run over two stand-ins for `notes` (none if there are none, as the loop has)."""
        if not isinstance(notes, (list, tuple)):
            raise _NotOutlined
        group = len(self.notes)
        self.notes.append(tuple(notes))
        self.sections.append([])
        return [_StandIn(group, 0), _StandIn(group, 1)] if notes else []

    def stand_in(self, note: object, section: object, first: object, *, caller: Callable[[], str]) -> Markup:
        """`remember_item` in the outline: the stand-in's marker."""
        if not isinstance(note, _StandIn) or bool(first) != (note.index == 0):
            raise _NotOutlined
        self.sections[note.group].append(section)
        return Markup(self.marker(note.group, note.index))

    def keys(self) -> list[list[str]]:
        """Each run's notes' keys, and which notes' items are not kept (`wanted`)."""
        remember, keys = self.remember, []
        for notes, sections in zip(self.notes, self.sections, strict=True):
            if notes and (len(sections) != 2 or sections[0] is not sections[1]):
                raise _NotOutlined
            section = sections[0] if notes else None
            group = [remember._key(note, section, index == 0) for index, note in enumerate(notes)]
            made, kept = remember.made, remember.cache.kept
            self.wanted.append([i for i, key in enumerate(group) if key not in made and key not in kept])
            keys.append(group)
        return keys

    def unkept(self, notes: object) -> list[object]:
        """The loop's run in the second render: the notes whose items are not kept, after the first."""
        group, self.index = self.index, self.index + 1
        if not isinstance(notes, (list, tuple)) or group >= len(self.notes):
            raise _NotOutlined
        before = self.notes[group]
        if len(notes) != len(before) or any(a is not b for a, b in zip(notes, before, strict=True)):
            raise _NotOutlined
        wanted = self.wanted[group]
        return [notes[0], *(notes[i] for i in wanted if i)] if wanted else []

    def spread(self, text: str, keys: list[list[str]]) -> str | None:
        """The outline's text with each run's two markers spread to its notes' items."""
        made, kept = self.remember.made, self.remember.cache.kept
        out: list[str] = []
        at = 0
        for group, group_keys in enumerate(keys):
            if not group_keys:
                continue
            first, second = self.marker(group, 0), self.marker(group, 1)
            start = text.find(first, at)
            end = text.find(second, start + len(first))
            if start < 0 or end < 0:
                return None
            between = text[start + len(first) : end]
            items = []
            for key in group_keys:
                item = made.get(key) or kept.get(key)
                if item is None:
                    return None
                made[key] = item
                items.append(item)
            out += (text[at:start], between.join(items))
            at = end + len(second)
        out.append(text[at:])
        html = "".join(out)
        return None if self.nonce in html else html


_OUTLINES: dict[tuple[str, str | None, tuple[str, ...], tuple[str, ...]], CodeType | None] = {}


def _outline_code(environment: Environment, template: Template, source: str) -> CodeType | None:
    """The code of `template` (of text `source`) with its item loop run over `ITEM_LOOP(notes)`, or None
    when the loop writes more than its items and text of its own (see `_outline_tree`)."""
    key = (source, template.name, tuple(sorted(environment.filters)), tuple(sorted(environment.globals)))
    if key not in _OUTLINES:
        if len(_OUTLINES) >= 8:
            _OUTLINES.clear()
        tree = _outline_tree(environment, source)
        _OUTLINES[key] = None if tree is None else environment.compile(tree, template.name, template.filename)
    return _OUTLINES[key]


def _outline_tree(environment: Environment, source: str) -> nodes.Template | None:
    """The parsed template with its item loop's notes passed through `ITEM_LOOP`, if the loop is one
    `{% for note in … %}` holding the one `remember_item(note, section, loop.first)` call block (no
    arguments of its own) and otherwise only text and names the template never sets (the same for every
    note), inside nothing but other loops and conditions (its output goes out as it is written)."""
    from jinja2 import nodes

    tree = environment.parse(source)
    if any(True for _ in tree.find_all((nodes.Extends, nodes.Block))):
        return None
    if any(name.name == ITEM_LOOP for name in tree.find_all(nodes.Name)):
        return None
    calls = [
        block
        for block in tree.find_all(nodes.CallBlock)
        if isinstance(block.call.node, nodes.Name) and block.call.node.name == ITEM_CALL
    ]
    if len(calls) != 1 or calls[0].args or calls[0].defaults:
        return None
    block = calls[0]
    bound = _bound_names(block.call)
    path = _path(tree, block)
    if bound is None or path is None or not isinstance(path[-1], nodes.For):
        return None
    loop = path[-1]
    if not all(isinstance(node, (nodes.Template, nodes.For, nodes.If)) for node in path[:-1]):
        return None
    if not _only_items_and_text(tree, loop, block, *bound):
        return None
    loop.iter = nodes.Call(nodes.Name(ITEM_LOOP, "load"), [loop.iter], [], None, None)
    loop.iter.set_lineno(loop.lineno)
    return tree


def _only_items_and_text(tree: Node, loop: nodes.For, block: Node, note: str, section: str) -> bool:
    """Whether `loop` runs over every note (`for note in …`, no condition, not recursive) and writes
    only its item (`block`) and, around it, text, names the template never sets and their attributes
    (values of the context: the same for every note)."""
    from jinja2 import nodes

    if loop.recursive or loop.test is not None or block not in loop.body:
        return False
    if not (isinstance(loop.target, nodes.Name) and loop.target.name == note) or section in (note, "loop"):
        return False
    assigned = {
        target.name
        for node in tree.find_all((nodes.Assign, nodes.AssignBlock, nodes.For, nodes.With, nodes.Macro))
        for target in node.find_all(nodes.Name)
        if target.ctx in ("store", "param")
    } | {note, "loop"}
    for node in loop.body:
        if node is block:
            continue
        if not isinstance(node, nodes.Output):
            return False
        for child in node.nodes:
            value = child
            while isinstance(value, nodes.Getattr):  # `deck.title`: an attribute of a value of the context
                value = value.node
            if not (
                isinstance(value, nodes.TemplateData)
                or (isinstance(value, nodes.Name) and value.name not in assigned)
            ):
                return False
    return True


def _path(tree: Node, target: Node) -> list[Node] | None:
    """The nodes from `tree` down to `target`'s parent, each inside the one before (where it is a
    statement of a body or an `else`: not in a loop's `iter`, which an outline would run)."""
    from jinja2 import nodes

    for child in tree.iter_child_nodes():
        if child is target:
            return [tree]
        if isinstance(child, (nodes.Stmt, nodes.Template)):
            below = _path(child, target)
            if below is not None:
                return [tree, *below]
    return None
