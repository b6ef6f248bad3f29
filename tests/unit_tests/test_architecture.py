"""The shape of the package: no import cycle, lazy imports only where the target is heavy,
no provider name compared outside ``providers/`` (the provider spec says what differs),
and the module paths the docs show still importable after the move into subpackages.

The graph is read from the source (ast): nothing is imported to inspect it.
"""

from __future__ import annotations

import ast
import graphlib
import importlib
from pathlib import Path

import pytest

import langchain_llmswitch

PACKAGE = Path(langchain_llmswitch.__file__).parent
ROOT = "langchain_llmswitch"

LAZY_ALLOWED = {
    # (importing module, imported module): why it waits
    ("cli", "bench"): "httpx, only for `llmswitch bench`",
    ("cli", "bench.ceiling"): "httpx (the bench package)",
    ("cli", "bench.overhead"): "httpx (the bench package)",
    ("cli", "bench.plot"): "httpx (the bench package)",
    ("factory", "reliability.fallback"): "langchain-core's model classes",
    ("providers.embedded", "embedded.server"): "subprocess, urllib.request: only when it builds",
    ("providers.ollama", "reliability.transport"): "httpx",
    ("providers.openai_protocol", "reliability.transport"): "httpx",
    ("embedded.models", "embedded.minilm_gguf"): "numpy, gguf (the embedded extra)",
    ("pytest_plugin", ""): "pydantic-settings, not on every pytest run",
    ("pytest_plugin", "replay"): "the package (pydantic-settings): only when replaying",
}


def _modules() -> dict[str, ast.Module]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = ast.parse(path.read_text())
    return modules


MODULES = _modules()


def _target(module: str | None, name: str) -> str | None:
    """The package module an import names (``from a import b`` may name module ``a.b``)."""
    if module is None or not (module == ROOT or module.startswith(ROOT + ".")):
        return None
    base = module.removeprefix(ROOT).removeprefix(".")
    full = f"{base}.{name}".lstrip(".")
    return full if full in MODULES else base


def _imports(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(top-level imports, imports inside functions) of package modules."""
    top_nodes: set[int] = set()
    never_run: set[int] = set()
    for statement in tree.body:
        if isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.unparse(statement.test):
            never_run.update(id(child) for child in ast.walk(statement))
        elif isinstance(statement, ast.Import | ast.ImportFrom | ast.Try):
            top_nodes.update(id(child) for child in ast.walk(statement))
    top: set[str] = set()
    lazy: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str | None] = []
        if id(node) in never_run:
            continue
        if isinstance(node, ast.ImportFrom):
            targets = [_target(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [_target(alias.name, "") for alias in node.names]
        for target in targets:
            if target is not None:
                (top if id(node) in top_nodes else lazy).add(target)
    return top, lazy


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for name, tree in MODULES.items():
        top, lazy = _imports(tree)
        needed = set()
        for target in top | lazy:
            needed.add(target)
            # importing a.b.c runs a.b first, unless the importer lives inside a.b
            parts = target.split(".")
            for depth in range(1, len(parts)):
                parent = ".".join(parts[:depth])
                if not (name == parent or name.startswith(parent + ".")):
                    needed.add(parent)
        graph[name] = needed - {name}
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on a cycle


def test_lazy_imports_are_only_of_heavy_modules() -> None:
    found = {(name, target) for name, tree in MODULES.items() for target in _imports(tree)[1]}
    assert found == set(LAZY_ALLOWED)


PROVIDER_NAMES = {"ollama", "vllm", "openai", "embedded"}


def _names_in(node: ast.AST) -> set[str]:
    return {
        child.value
        for child in ast.walk(node)
        if isinstance(child, ast.Constant) and child.value in PROVIDER_NAMES
    }


def test_no_provider_name_is_compared_outside_providers() -> None:
    found = []
    for name, tree in MODULES.items():
        if name.startswith("providers") or name.startswith("bench.stub"):
            continue  # the table itself; the stub server answers both protocols
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                text = ast.unparse(node)
                if "protocol" not in text and any(_names_in(side) for side in sides):
                    found.append(f"{name}: {text}")
            elif (
                isinstance(node, ast.Dict)
                and {k.value for k in node.keys if isinstance(k, ast.Constant)} & PROVIDER_NAMES
            ):
                found.append(f"{name}: {ast.unparse(node)[:60]}")
    assert found == []


OLD_PATHS = {
    "langchain_llmswitch.images": "langchain_llmswitch.vision.images",
    "langchain_llmswitch.ocr": "langchain_llmswitch.vision.ocr",
    "langchain_llmswitch.readiness": "langchain_llmswitch.reliability.readiness",
    "langchain_llmswitch.bench_overhead": "langchain_llmswitch.bench.overhead",
}


@pytest.mark.parametrize(("old", "new"), sorted(OLD_PATHS.items()))
def test_the_import_paths_the_docs_show_keep_working(old: str, new: str) -> None:
    before, after = importlib.import_module(old), importlib.import_module(new)
    assert before.__all__ == after.__all__
    for name in after.__all__:
        assert getattr(before, name) is getattr(after, name)
