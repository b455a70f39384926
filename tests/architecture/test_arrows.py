"""
The house's arrows, read from the code's own imports: `web -> actors -> storage`.

web imports storage only in its composition root (web/app.py, web/cli.py); storage
imports neither actors nor web; actors never imports web; the service imports none of
its harness (loadtest, fakes, tests, bench) when it starts; only storage touches the
pool or knows what a lost connection looks like; and no two modules import each other
(imports under TYPE_CHECKING are for the type checker only and do not count).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE = ("actors", "storage", "web")
HARNESS = ("loadtest", "fakes", "tests", "bench")
COMPOSITION_ROOT = {"web/app.py", "web/cli.py"}
FORBIDDEN = {"web": {"storage"}, "storage": {"actors", "web"}, "actors": {"web"}}


def _modules() -> dict[str, Path]:
    found = {}
    for package in SERVICE:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _imports(path: Path, module: str) -> Iterator[tuple[str, bool]]:
    """(imported module, imported when the module loads?) outside TYPE_CHECKING blocks."""

    def visit(node: ast.AST, at_load: bool) -> Iterator[tuple[str, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                yield from ((alias.name, at_load) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = module.split(".")
                    if path.name != "__init__.py":
                        package = package[:-1]
                    package = package[: len(package) - child.level + 1]
                    base = ".".join([*package, base] if base else package)
                yield base, at_load
                yield from ((f"{base}.{alias.name}", at_load) for alias in child.names)
            inside_function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            yield from visit(child, at_load and not inside_function)

    yield from visit(ast.parse(path.read_text(encoding="utf-8")), True)


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_the_one_way(module: str) -> None:
    path = MODULES[module]
    relative = str(path.relative_to(ROOT))
    package = module.split(".")[0]
    wrong = []
    for target, at_load in _imports(path, module):
        head = target.split(".")[0]
        if head in FORBIDDEN[package] and relative not in COMPOSITION_ROOT:
            wrong.append(f"{package} imports {target}")
        if head in HARNESS and (at_load or relative not in COMPOSITION_ROOT):
            wrong.append(f"the service imports its harness: {target}")
    if package != "storage":
        text = path.read_text(encoding="utf-8")
        wrong += [f"{relative} names {word}" for word in ("CONNECTION_ERRORS",) if word in text]
        if ".acquire(" in text and "pool" in text:
            wrong.append(f"{relative} acquires a database connection itself")
    assert wrong == []


def test_no_two_modules_import_each_other() -> None:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, at_load in _imports(path, name):
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if at_load and target and target != name and not name.startswith(target + "."):
                graph[name].add(target)
    cycles = []
    for start in graph:
        seen: set[str] = set()
        stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start and not _package_init_cycle(trail):
                    cycles.append(" -> ".join((*trail, start)))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, (*trail, nxt)))
    assert cycles == []


def _package_init_cycle(trail: tuple[str, ...]) -> bool:
    """A package's __init__ re-exporting its own modules is how packages work."""
    return any("." not in name or MODULES[name].name == "__init__.py" for name in trail)
