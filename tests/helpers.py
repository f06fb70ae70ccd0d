"""Small helpers shared by several test modules."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def import_source(text: str, path: Path, prefix: str = "mg_emitted"):
    """Write generated Python `text` to `path` and import it; returns the module."""
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"{prefix}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
