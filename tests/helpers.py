"""Small helpers shared by several test modules."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import mgdsl
from mgdsl.errors import MgError, flatten_errors


def import_source(text: str, path: Path, prefix: str = "mg_emitted"):
    """Write generated Python `text` to `path` and import it; returns the module."""
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"{prefix}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(body: str, header: str = "network N()", **params):
    """The IR of a network `header { body }` that uses the standard library."""
    return mgdsl.build_graph(f'use "std.mg"\n{header} {{\n{body}\n}}\n', **params)


def codes(body: str, header: str = "network N()", **params) -> list[str]:
    """The error codes building `header { body }` raises (it must raise)."""
    with pytest.raises(MgError) as info:
        build(body, header, **params)
    return [e.code for e in flatten_errors(info.value)]
