"""Small helpers shared by several test modules."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

import pytest
from paths import ROOT

import mgdsl
from mgdsl.errors import MgError, flatten_errors


def import_source(text: str, path: Path, prefix: str = "mg_emitted"):
    """Write generated Python `text` to `path` and import it; returns the module."""
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"{prefix}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def repository_mg_files() -> list[Path]:
    """Every `.mg` file of the repository: git's list of tracked files, or, outside a git
    checkout, a walk that leaves out hidden folders, `node_modules` and `runs`."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "*.mg"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):  # no git, or not a checkout
        out = None
    if out is not None:
        return sorted(ROOT / f for f in out.split("\0") if f and (ROOT / f).is_file())
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("node_modules", "runs")]
        found.extend(Path(folder) / f for f in files if f.endswith(".mg"))
    return sorted(found)


def build(body: str, header: str = "network N()", **params):
    """The IR of a network `header { body }` that uses the standard library."""
    return mgdsl.build_graph(f'use "std.mg"\n{header} {{\n{body}\n}}\n', **params)


def codes(body: str, header: str = "network N()", **params) -> list[str]:
    """The error codes building `header { body }` raises (it must raise)."""
    with pytest.raises(MgError) as info:
        build(body, header, **params)
    return [e.code for e in flatten_errors(info.value)]
