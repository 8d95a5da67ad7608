"""The folder tree is the architecture: imports point down the stages only, and no modules import in a loop.

docs/architecture.md draws the picture this test keeps true. Imports made for annotations only (under
`if TYPE_CHECKING:`) may name a higher stage's type; code never imports one, eagerly or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

from cheatdeck import PACKAGE_DIR

LAYERS = {
    "cheatdeck": 0,  # the package itself: its version, where its templates are
    "cheatdeck.errors": 0,
    "cheatdeck.clock": 0,
    "cheatdeck.options": 0,
    "cheatdeck.tree": 0,
    "cheatdeck.hashing": 0,
    "cheatdeck.identity": 0,
    "cheatdeck.outputs": 0,
    "cheatdeck.transaction": 0,
    "cheatdeck.notes": 1,
    "cheatdeck.cards": 2,
    "cheatdeck.anki": 3,
    "cheatdeck.templating": 3,
    "cheatdeck.grid": 4,
    "cheatdeck.sheet": 5,
    "cheatdeck.importer": 5,
    "cheatdeck.build": 6,
    "cheatdeck.study": 6,
    "cheatdeck.cli": 7,
}
"""Each stage's floor: a module may import its own folder and any lower floor, never a higher one."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _stage(module: str) -> str:
    """Return the LAYERS entry a module belongs to (its folder, or itself at the top of the package)."""
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        if ".".join(parts[:length]) in LAYERS:
            return ".".join(parts[:length])
    raise AssertionError(f"{module} is on no floor: add it to LAYERS and docs/architecture.md")


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(path: Path) -> set[str]:
    """Return the cheatdeck modules a file imports at run time (at the top or inside functions)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("cheatdeck"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cheatdeck"):
            for alias in node.names:  # `from cheatdeck.notes import model` imports a module
                candidate = f"{node.module}.{alias.name}"
                is_module = (PACKAGE_DIR.parent / candidate.replace(".", "/")).with_suffix(".py").is_file()
                found.add(candidate if is_module else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _graph() -> dict[str, set[str]]:
    return {_module_name(path): _imports(path) for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def test_imports_point_down_the_stages_only() -> None:
    """A stage imports only lower floors; on the bottom floor (small shared modules) any module may import
    another, the loop test keeping them in order."""
    wrong = []
    for module, targets in _graph().items():
        floor = LAYERS[_stage(module)]
        for target in sorted(targets):
            target_floor = LAYERS[_stage(target)]
            sideways = target_floor == floor and _stage(target) != _stage(module) and floor > 0
            if target_floor > floor or sideways:
                wrong.append(f"{module} (floor {floor}) imports {target} (floor {target_floor})")
    assert wrong == []


def test_no_modules_import_each_other_in_a_loop() -> None:
    graph = _graph()
    loops: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if target == module or target not in graph:
                continue
            if state.get(target) == 1:
                loops.append([*path[path.index(target) :], target])
            elif target not in state:
                walk(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert loops == []


def test_every_module_is_on_a_floor() -> None:
    for module in _graph():
        _stage(module)


DRAWING_START = "<!-- imports between stages: drawn from the code by `python -m tests.test_architecture` -->"
DRAWING_END = "<!-- end of the drawing -->"
ARCHITECTURE_PAGE = PACKAGE_DIR.parent / "docs" / "architecture.md"


def _stage_label(stage: str) -> str:
    """A stage as the page names it: a folder with a slash, a module as a file, the bottom floor as one."""
    if LAYERS[stage] == 0:
        return "floor 0"
    name = stage.removeprefix("cheatdeck.")
    return f"{name}/" if (PACKAGE_DIR / name).is_dir() else f"{name}.py"


def draw_stage_imports() -> str:
    """Return which stages each stage imports, top floor first, as the architecture page shows it."""
    edges: dict[str, set[str]] = {}
    for module, targets in _graph().items():
        for target in targets:
            source, destination = _stage_label(_stage(module)), _stage_label(_stage(target))
            if source != destination:
                edges.setdefault(source, set()).add(destination)
    floors = {_stage_label(stage): floor for stage, floor in LAYERS.items()}
    order = sorted(floors, key=lambda label: (-floors[label], label))
    lines = [
        f"{label:<14} → {', '.join(sorted(edges[label], key=lambda t: (-floors[t], t)))}"
        for label in order
        if label in edges
    ]
    return "\n".join([DRAWING_START, "```", *lines, "```", DRAWING_END])


def test_the_architecture_page_shows_the_imports_the_code_has() -> None:
    """The page's drawing of imports between stages is the code's own (regenerate it with
    `python -m tests.test_architecture` after moving a module)."""
    page = ARCHITECTURE_PAGE.read_text(encoding="utf-8")
    start, end = page.find(DRAWING_START), page.find(DRAWING_END)
    assert start >= 0 and end > start, f"{ARCHITECTURE_PAGE} lost its drawing markers"
    assert page[start : end + len(DRAWING_END)] == draw_stage_imports()


if __name__ == "__main__":
    text = ARCHITECTURE_PAGE.read_text(encoding="utf-8")
    start, end = text.find(DRAWING_START), text.find(DRAWING_END)
    ARCHITECTURE_PAGE.write_text(text[:start] + draw_stage_imports() + text[end + len(DRAWING_END) :])
    print(draw_stage_imports())
