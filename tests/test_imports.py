"""The shape of the tree: no import cycles between our modules, and no import inside a function
except the few kept there on purpose (each for its cost or an optional package, never a cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Ours: the product's packages, its tests, and the scripts beside it (benchmarks, the README's pictures).
PACKAGES = ("projector", "scenes", "media", "benchmarks", "docs", "tests")

#: Modules that import inside a function, and why. A new entry needs a reason that is not a cycle.
DEFERRED_ALLOWED = {
    # pygame is loaded only when an operator asks for a message preview, not by every server.
    "projector.server.message_preview": "pygame only when a preview is rendered",
    "projector.server.layout_preview": "pygame only when a layout preview is rendered",
    # OpenCV takes a third of a second to load; only portrait crops need it.
    "media.faces": "cv2 only when a portrait is cropped",
    # Pillow's colour management is an optional part of Pillow (built without littlecms, it is absent).
    "media.pipeline": "ImageCms may be missing from a Pillow build",
    # OpenGL loads only when the GL output is chosen; failing to load it is an answer naming what to
    # install (and the probe runs it in a child process, so a driver that crashes costs nothing).
    "projector.display.output.output_gl": "moderngl only when the GL output is chosen",
    "projector.display.output.gl_probe": "moderngl in the probe's child process",
    # The language model loads in a second when a message arrives, not when the server starts.
    "projector.server.language": "langid's model only when first needed",
    # ``projector display`` runs on the display's modules alone: the full command line (server,
    # store, aiohttp: about 30 MB resident on a small box all night) loads for the other commands.
    "projector.cli.entry": "the full command line only for commands other than display",
    # A machine without OpenGL still measures the software output stage.
    "benchmarks.output_stage": "moderngl only when the GL stage is measured",
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(module: str, node: ast.Import | ast.ImportFrom, known: dict[str, Path]) -> set[str]:
    """Our modules that ``node`` makes Python load (a package's ``__init__`` included)."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".")
            is_package = known[module].name == "__init__.py"
            anchor = package if is_package else package[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        names = [base] + [f"{base}.{alias.name}" for alias in node.names]
    loaded: set[str] = set()
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in known and prefix != module:
                loaded.add(prefix)
    return loaded


def _graph() -> tuple[dict[str, set[str]], dict[str, list[int]]]:
    """Module-level imports between our modules, and the lines of imports inside functions."""
    known = _modules()
    graph: dict[str, set[str]] = {m: set() for m in known}
    deferred: dict[str, list[int]] = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))

        def visit(node: ast.AST, in_function: bool, module: str = module) -> None:
            if isinstance(node, ast.If) and _is_type_checking(node):
                return  # read by mypy only; never executed
            if isinstance(node, ast.Import | ast.ImportFrom):
                if in_function:
                    deferred.setdefault(module, []).append(node.lineno)
                else:
                    graph[module] |= _imported(module, node, known)
                return
            inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            for child in ast.iter_child_nodes(node):
                visit(child, inside)

        visit(tree, False)
    return graph, deferred


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def _without_packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package's ``__init__`` is loaded by its submodules: an edge from a submodule to its own
    parent package is how Python works, not a cycle of ours, unless ``__init__`` imports back."""
    return {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}


def test_no_import_cycles() -> None:
    graph, _ = _graph()
    assert _cycles(_without_packages(graph)) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_imports_inside_functions_only_where_allowed() -> None:
    _, deferred = _graph()
    unexpected = {m: lines for m, lines in deferred.items() if m not in DEFERRED_ALLOWED}
    assert unexpected == {}
    stale = set(DEFERRED_ALLOWED) - set(deferred)
    assert stale == set(), "these no longer import inside a function: drop them from DEFERRED_ALLOWED"
