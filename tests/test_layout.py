"""The package's shape: no import cycles, and the query path loads no reader or exporter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import search

PACKAGE = Path(search.__file__).parent


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports_at_load() -> dict[str, set[str]]:
    """Each module's imports of other search modules that run when it is imported."""
    modules = {_module_of(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.parse(path.read_text()).body:  # top level only: lazy imports are fine
            if isinstance(node, ast.ImportFrom) and node.module and node.module in modules:
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names} & modules.keys()
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names} & modules.keys()
        graph[name] = found - {name}
    return graph


def test_no_import_cycles() -> None:
    graph = _imports_at_load()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                cycle = path[path.index(dep) :] + [dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep, [*path, dep])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_query_path_imports_no_reader_exporter_or_torch() -> None:
    loaded = _loaded_after("import search.api.app, search.answer.answerer")
    assert "search.retrieve.searcher" in loaded  # the check itself sees the query path
    unwanted = {m for m in loaded if m.startswith(("search.ingest", "torch", "pypdf", "bs4"))}
    unwanted |= {"search.embed.export", "search.index.build", "sentence_transformers"} & loaded
    assert not unwanted


def test_cli_help_imports_no_search_stage() -> None:
    loaded = _loaded_after("from search.cli import cli")
    assert "search.cli" in loaded
    assert not {m for m in loaded if m.startswith(("search.index", "search.embed", "torch"))}
