"""The open documents as one project: which files each one reads, and where its problems lie.

A block's body is elaborated only when a network calls it, so a mistake in `lib.mg`'s
block body is found while checking `net.mg`. `Project` keeps, per checked document, the
files its check read (`uses`) and the problems located in other files (`found`), so the
server can publish those problems in the file that defines the block, and re-check every
document that reads a file when that file changes.

>>> from mgdsl.lsp.analysis import analyse
>>> p = Project()
>>> changed = p.record("file:///w/n.mg", analyse("network N() { p = ", "/w/n.mg"))
>>> p.dependents("/w/lib.mg"), changed
([], set())
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from mgdsl.compilation import resolve_use
from mgdsl.errors import MgError, Span
from mgdsl.lsp.analysis import Analysis
from mgdsl.paths import stdlib_dir
from mgdsl.syntax import ast

__all__ = ["Project", "Checked", "resolved", "USE_LINE"]

USE_LINE = re.compile(r'^\s*use\s+"([^"\n]*)"', re.MULTILINE)


def resolved(path: str | Path) -> str:
    """The canonical spelling of a file path (display names like `<untitled:1>` as they are)."""
    path = str(path)
    if path.startswith("<"):
        return path
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):
        return path


def _is_std(path: str) -> bool:
    return Path(path).parent == Path(resolved(stdlib_dir()))


@dataclass
class Checked:
    """What one check of one document found beyond the document itself."""

    analysis: Analysis
    uses: frozenset[str] = frozenset()  # resolved paths of the other files it read
    found: dict[str, list[MgError]] = field(default_factory=dict)  # path -> problems there


class Project:
    """The latest check of each open document, indexed by the files it read."""

    def __init__(self) -> None:
        self.checked: dict[str, Checked] = {}

    def record(self, uri: str, analysis: Analysis) -> set[str]:
        """Keep `analysis` as the check of `uri`; returns the other files whose borrowed
        problems changed (they need publishing again)."""
        before = self.checked.get(uri)
        own = resolved(analysis.file)
        found: dict[str, list[MgError]] = {}
        for error in analysis.errors:
            span = error.span
            if span is None:
                continue
            path = resolved(span.file)
            if path != own and not path.startswith("<") and not _is_std(path):
                found.setdefault(path, []).append(error)
        checked = Checked(analysis, frozenset(_uses(analysis, own) | set(found)), found)
        self.checked[uri] = checked
        old = before.found if before else {}
        return {p for p in set(old) | set(found) if old.get(p) != found.get(p)}

    def forget(self, uri: str) -> set[str]:
        """Drop the check of a closed document; returns the files whose borrowed problems
        went with it."""
        before = self.checked.pop(uri, None)
        return set(before.found) if before else set()

    def dependents(self, path: str | Path) -> list[str]:
        """The open documents whose last check read the file at `path`."""
        key = resolved(path)
        return [uri for uri, c in self.checked.items()
                if key in c.uses and resolved(c.analysis.file) != key]

    def found_in(self, path: str | Path) -> list[MgError]:
        """Problems located in the file at `path` that checks of other documents found
        (each once, however many documents found it)."""
        key = resolved(path)
        seen: dict[tuple, MgError] = {}
        for c in self.checked.values():
            for error in c.found.get(key, ()):
                seen.setdefault((error.code, error.span, error.message), error)
        return list(seen.values())


def _uses(analysis: Analysis, own: str) -> set[str]:
    """The other files a check read: every module of its program, or (when the program
    did not load) the files its `use` lines name."""
    if analysis.program is not None:
        files = {resolved(m.file) for m in analysis.program.modules.values()}
    else:
        files = set()
        for m in USE_LINE.finditer(analysis.text):
            try:
                path, _ = resolve_use(ast.Use(Span.point(analysis.file), m.group(1)),
                                       analysis.file)
            except MgError:
                continue
            files.add(resolved(path))
    return {f for f in files if f != own and not _is_std(f)}
