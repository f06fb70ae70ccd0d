"""The public API surface, as a golden file: the names and signatures of `mgdsl.__all__` and
the other public entry points. A change here must be deliberate: refresh the file with
`pytest tests/test_api.py --update-golden` and read the diff before committing.
"""

from __future__ import annotations

import importlib
import inspect

import pytest
from paths import TESTS

GOLDEN = TESTS / "golden" / "api.txt"

# module -> the names it offers (its `__all__` unless listed)
ENTRY_POINTS: dict[str, list[str] | None] = {
    "mgdsl": None,
    "mgdsl.zoo": None,
    "mgdsl.data": None,
    "mgdsl.data.registry": None,
    "mgdsl.train": None,
    "mgdsl.cli.main": ["main", "VERBS"],
}


def describe(module_name: str, name: str) -> list[str]:
    """One line per name (and per public method of a class), without importing lazy names."""
    module = importlib.import_module(module_name)
    qual = f"{module_name}.{name}"
    if name not in vars(module):
        return [f"{qual}  # imported on first use"]
    value = vars(module)[name]
    if inspect.isclass(value):
        lines = [f"class {qual}{_signature(value)}"]
        for attr, member in sorted(vars(value).items()):
            if attr.startswith("_"):
                continue
            if isinstance(member, property):
                lines.append(f"    {attr}: property")
            elif inspect.isfunction(member) or isinstance(member, (classmethod, staticmethod)):
                lines.append(f"    {attr}{_signature(getattr(value, attr))}")
        return lines
    if callable(value):
        return [f"{qual}{_signature(value)}"]
    return [f"{qual}: {type(value).__name__}"]


def _signature(value) -> str:
    try:
        return str(inspect.signature(value))
    except (TypeError, ValueError):
        return "(...)"


def surface() -> str:
    """The whole public surface, one sorted block per entry point."""
    out = []
    for module_name, names in ENTRY_POINTS.items():
        module = importlib.import_module(module_name)
        out.append(f"# {module_name}")
        for name in sorted(names or module.__all__):
            out.extend(describe(module_name, name))
        out.append("")
    return "\n".join(out)


def test_public_api_matches_the_golden_file(update_golden: bool) -> None:
    actual = surface()
    if update_golden or not GOLDEN.exists():
        GOLDEN.write_text(actual, encoding="utf-8")
        if not update_golden:
            pytest.fail(f"{GOLDEN.name} was missing; written, please review it")
    assert actual == GOLDEN.read_text(encoding="utf-8"), (
        "the public API changed; if that is intended, run "
        "`pytest tests/test_api.py --update-golden` and review the diff")


def test_the_surface_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = ("import sys; sys.path[:0] = ['tests', 'tests/support']; import test_api as t; t.surface(); "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=GOLDEN.parents[2])
