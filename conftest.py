"""Pytest set-up for the tests and the doctests of `mgdsl/` and `codegen/`: the `torch` marker.

* A test module that imports torch (directly, or through `mgdsl.codegen`, `mgdsl.train` or
  the data tasks) says so with ``pytestmark = pytest.mark.torch``; a single test of another
  module with ``@pytest.mark.torch``. Doctest modules are marked here, from the imports they
  run when imported (`needs_torch`, a static reading of module-level imports).
* A run that deselects them (``-m "not torch"``: the torch-free tier) does not even import
  the marked modules, and makes every ``import torch`` fail: a test that needs torch without
  the marker fails loudly there instead of passing by accident. `tests/test_torch_marker.py`
  collects that tier in a subprocess on every default run.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from importlib.abc import MetaPathFinder
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
# where the editable install finds each package (pyproject's package-dir)
PACKAGES = {"mgdsl": ROOT / "mgdsl", "mgdsl.codegen": ROOT / "codegen"}
SOURCE_DIRS = tuple(PACKAGES.values())


class TorchBlocker(MetaPathFinder):
    """Refuses `import torch` in the torch-free tier."""

    def find_spec(self, fullname, path=None, target=None):
        """Raise ImportError for torch and its submodules; leave everything else alone."""
        if fullname == "torch" or fullname.startswith("torch."):
            raise ImportError(
                "torch is not importable in the torch-free tier (-m 'not torch'): mark the test "
                "that needs it with @pytest.mark.torch (or its module with pytestmark)")
        return None


def torch_deselected(config: pytest.Config) -> bool:
    """True when the marker expression leaves out the `torch` tests."""
    return re.search(r"\bnot\s+torch\b", config.option.markexpr or "") is not None


def pytest_configure(config: pytest.Config) -> None:
    """Block torch for the whole torch-free tier (before anything is collected)."""
    if torch_deselected(config):
        if "torch" in sys.modules:
            raise pytest.UsageError("torch was imported before the torch-free tier started")
        sys.meta_path.insert(0, TorchBlocker())


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Never import the golden files' scripts (data that tests run in a scratch folder, not
    doctest modules) nor the helpers of tests/support; in the torch-free tier, skip the modules that need torch instead of
    importing them."""
    if collection_path.is_relative_to(ROOT / "tests" / "golden"):
        return True
    if collection_path.is_relative_to(ROOT / "tests" / "support"):
        return True  # helpers that test modules import, not tests (nor doctests) themselves
    if not torch_deselected(config) or collection_path.suffix != ".py":
        return None
    if _is_marked_test_module(collection_path):
        return True
    if collection_path.is_relative_to(ROOT / "tests"):
        return None
    return True if _under_sources(collection_path) and needs_torch(collection_path) else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the doctests of modules that import torch when imported."""
    for item in items:
        if isinstance(item, pytest.DoctestItem) and needs_torch(Path(item.path)):
            item.add_marker(pytest.mark.torch)


def _under_sources(path: Path) -> bool:
    return any(path.is_relative_to(d) for d in SOURCE_DIRS)


def _is_marked_test_module(path: Path) -> bool:
    """True for a test module with ``pytestmark = pytest.mark.torch`` (or a list with it)."""
    if not path.name.startswith("test_"):
        return False
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            return "mark.torch" in ast.unparse(node.value)
    return False


@functools.cache
def _module_file(name: str) -> Path | None:
    """The source file of module `name` when it is part of this repository."""
    for prefix in sorted(PACKAGES, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            base = PACKAGES[prefix].joinpath(*name[len(prefix):].split(".")[1:])
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                if candidate.is_file():
                    return candidate
    return None


@functools.cache
def _imports(path: Path) -> frozenset[str]:
    """Modules imported by the module-level statements of `path` (not under TYPE_CHECKING,
    not inside functions), with the packages that importing them runs (each file is read
    once: every module's closure walks the same files)."""
    package = path.parent  # what a relative import of level 1 names
    names: set[str] = set()
    todo = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                todo.extend(getattr(node, field, []))
        elif isinstance(node, ast.ExceptHandler):
            todo.extend(node.body)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                owner = _module_name(package)
                parts = owner.split(".")[: len(owner.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    # importing a.b.c runs a and a.b too
    return frozenset(".".join(n.split(".")[:i]) for n in names for i in range(1, n.count(".") + 2))


def _module_name(directory: Path) -> str:
    for prefix, base in sorted(PACKAGES.items(), key=lambda kv: len(str(kv[1])), reverse=True):
        if directory == base or directory.is_relative_to(base):
            return ".".join([prefix, *directory.relative_to(base).parts])
    return directory.name


_NEEDS: dict[Path, bool] = {}


def needs_torch(path: Path) -> bool:
    """True when importing the source file `path` imports torch (through this repository's
    modules, read statically)."""
    path = path.resolve()
    if path not in _NEEDS:
        seen: set[Path] = set()
        todo = [path]
        found = False
        while todo and not found:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            for name in _imports(current):
                if name == "torch" or name.startswith("torch."):
                    found = True
                    break
                file = _module_file(name)
                if file is not None:
                    todo.append(file.resolve())
        _NEEDS[path] = found
    return _NEEDS[path]
