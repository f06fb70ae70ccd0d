"""Where the package's own `.mg` files live, and how generated text spells a source file.

At the bottom of the layers (no mgdsl imports): the front end resolves `use "std.mg"`
with `stdlib_dir`, and the analyses and code generators print files with `display_path`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["stdlib_dir", "display_path"]


def stdlib_dir() -> Path:
    """The folder of the standard library's `.mg` files inside the installed package."""
    return Path(str(resources.files("mgdsl.stdlib")))


def display_path(file: str) -> str:
    """A stable, machine-independent spelling of a source file for generated text:
    `architectures/x.mg` for zoo files, `mgdsl/stdlib/x.mg` for the standard library,
    a path relative to the working directory when inside it, else the path as given."""
    if file.startswith("<"):
        return file
    path = Path(file)
    try:
        resolved = path.resolve()
    except OSError:
        return file
    bases = [(Path(str(resources.files("mgdsl.architectures"))), "architectures"),
             (stdlib_dir(), "mgdsl/stdlib"), (Path.cwd(), "")]
    for base, prefix in bases:
        try:
            rel = resolved.relative_to(base.resolve())
        except (ValueError, OSError):
            continue
        return f"{prefix}/{rel.as_posix()}" if prefix else rel.as_posix()
    return file
