"""Find references and rename, for blocks, variables and parameters, across files.

A block is found wherever a file's program (the file and what it `use`s) resolves a call
to the same definition: in the open documents and in every `.mg` file under the
workspace folders. A variable lives in one block or network body. A block parameter is
also named by the keyword arguments of every call of its block. Built-ins, their
arguments and the standard library's blocks are found but never renamed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types as lsp

from mgdsl.compilation import BUILTINS, KEYWORDS, parse_text, resolve_use
from mgdsl.errors import MgError
from mgdsl.lsp.features import CONSTANTS, path_of, uri_of
from mgdsl.lsp.names import Key, Occurrence, occurrences
from mgdsl.lsp.project import resolved
from mgdsl.lsp.source import Lines
from mgdsl.lsp.wire import RequestFailed
from mgdsl.paths import stdlib_dir
from mgdsl.syntax import ast

__all__ = ["Sources", "Symbol", "symbol_at", "find_references", "rename_edits", "prepare",
           "register", "MAX_FILES"]

MAX_FILES = 5000  # .mg files scanned under the workspace folders
_SKIP_DIRS = {"node_modules", "__pycache__", "venv", "build", "dist", "runs"}
IDENTIFIER = re.compile(r"(?!\d)\w+")


class Sources:
    """The texts the server sees (open buffers over files on disk), parsed once each."""

    def __init__(self, read: Callable[[str], str | None], roots: Iterable[str] = (),
                 extra: Iterable[str] = ()) -> None:
        self.read = read
        self.roots = [r for r in roots if r]
        self.extra = list(extra)
        self._parsed: dict[str, tuple[str, ast.Module | None]] = {}
        self._occurrences: dict[str, list[Occurrence]] = {}

    def module(self, path: str) -> ast.Module | None:
        """The parsed file at `path` (None when it cannot be read or does not parse)."""
        text = self.read(path)
        if text is None:
            return None
        kept = self._parsed.get(path)
        if kept is not None and kept[0] == text:
            return kept[1]
        try:
            module = parse_text(text, path)
        except MgError:
            module = None
        self._parsed[path] = (text, module)
        self._occurrences.pop(path, None)
        return module

    def occurrences(self, path: str) -> list[Occurrence]:
        """The names written in the file at `path`."""
        module = self.module(path)
        if module is None:
            return []
        if path not in self._occurrences:
            self._occurrences[path] = occurrences(module)
        return self._occurrences[path]

    def blocks(self, path: str) -> dict[str, str]:
        """Block name -> resolved path of the file defining it, as the program of the file
        at `path` sees them (its own blocks, then those of its `use`s, first wins)."""
        out: dict[str, str] = {}
        seen: set[str] = set()

        def visit(file: str) -> None:
            if file in seen:
                return
            seen.add(file)
            module = self.module(file)
            if module is None:
                return
            for item in module.items:
                if isinstance(item, ast.BlockDef) and item.name not in BUILTINS:
                    out.setdefault(item.name, file)
            for item in module.items:
                if isinstance(item, ast.Use):
                    try:
                        used, _ = resolve_use(item, file)
                    except MgError:
                        continue
                    visit(resolved(used))

        visit(path)
        return out

    def files(self) -> list[str]:
        """Resolved paths of the `.mg` files that may refer to a block: those under the
        workspace folders, and the extra (open) ones."""
        found: dict[str, None] = dict.fromkeys(resolved(p) for p in self.extra)
        folders = 0
        for root in self.roots:
            for folder, dirs, files in os.walk(root):
                folders += 1
                if folders > 20 * MAX_FILES:  # a home folder as the workspace: stop early
                    return list(found)
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
                for name in sorted(files):
                    if name.endswith(".mg"):
                        found[resolved(os.path.join(folder, name))] = None
                if len(found) > MAX_FILES:
                    return list(found)[:MAX_FILES]
        return list(found)


@dataclass(frozen=True)
class Symbol:
    """A renameable (or at least findable) thing: a block, or a variable or parameter of
    the block or network `owner` in `file`."""

    kind: str  # "block", "variable", "parameter", "builtin", "network"
    name: str
    file: str  # resolved path of the defining file ("" for built-ins)
    owner: tuple[str, str] | None = None

    @property
    def is_std(self) -> bool:
        """Defined by the standard library (never renamed)."""
        return bool(self.file) and Path(self.file).parent == Path(resolved(stdlib_dir()))


def _contains(key: Key, line: int, col: int) -> bool:
    return (key[0], key[1]) <= (line, col) <= (key[2], key[3])


def symbol_at(sources: Sources, path: str, line: int, col: int
              ) -> tuple[Symbol, Occurrence] | None:
    """The symbol named at 1-based `line:col` of the file at `path`, and that name."""
    path = resolved(path)
    for occ in sources.occurrences(path):
        if _contains(occ.key, line, col):
            symbol = _resolve(sources, path, occ)
            return (symbol, occ) if symbol else None
    return None


def _resolve(sources: Sources, path: str, occ: Occurrence) -> Symbol | None:
    kind = occ.ref[0]
    if kind == "block":
        file = sources.blocks(path).get(occ.name)
        return Symbol("block", occ.name, file) if file else None
    if kind == "var":
        owner = occ.ref[1]
        params = _params(sources, path, owner)
        return Symbol("parameter" if occ.name in params else "variable", occ.name, path, owner)
    if kind == "kwarg":
        file = sources.blocks(path).get(occ.ref[1])
        if file and occ.name in _params(sources, file, ("block", occ.ref[1])):
            return Symbol("parameter", occ.name, file, ("block", occ.ref[1]))
        return None
    if kind in ("prim", "prim-kwarg"):
        return Symbol("builtin", occ.name, "")
    if kind == "network":
        return Symbol("network", occ.name, path)
    return None


def _definition(sources: Sources, path: str, owner: tuple[str, str]
                ) -> ast.BlockDef | ast.NetworkDef | None:
    module = sources.module(path)
    kind = ast.BlockDef if owner[0] == "block" else ast.NetworkDef
    for item in module.items if module else ():
        if isinstance(item, kind) and item.name == owner[1]:
            return item
    return None


def _params(sources: Sources, path: str, owner: tuple[str, str]) -> list[str]:
    definition = _definition(sources, path, owner)
    return [p.name for p in definition.params] if definition else []


def find_references(sources: Sources, symbol: Symbol) -> list[tuple[str, Occurrence]]:
    """(resolved path, occurrence) of every place that names `symbol`, definitions
    included, in file order."""
    out: list[tuple[str, Occurrence]] = []
    if symbol.kind in ("variable", "parameter"):
        for occ in sources.occurrences(symbol.file):
            if occ.ref == ("var", symbol.owner, symbol.name):
                out.append((symbol.file, occ))
    if symbol.kind == "network":
        out += [(symbol.file, o) for o in sources.occurrences(symbol.file)
                if o.ref == ("network", symbol.name)]
    callee = symbol.name if symbol.kind == "block" else \
        symbol.owner[1] if symbol.kind == "parameter" and symbol.owner[0] == "block" else None
    if callee is None:
        return out
    for path in dict.fromkeys([symbol.file, *sources.files()]):
        wanted = ("block", callee) if symbol.kind == "block" else ("kwarg", callee, symbol.name)
        hits = [o for o in sources.occurrences(path) if o.ref == wanted]
        if hits and sources.blocks(path).get(callee) == symbol.file:
            out += [(path, o) for o in hits]
    return out


def check_new_name(sources: Sources, symbol: Symbol, new: str) -> None:
    """Raise `RequestFailed` unless `symbol` may be renamed to `new`."""
    if not IDENTIFIER.fullmatch(new):
        raise RequestFailed(f"`{new}` is not a name")
    if new in KEYWORDS or new in CONSTANTS or new in ("if", "else", "and", "or", "not", "as"):
        raise RequestFailed(f"`{new}` is a keyword")
    if new == symbol.name:
        return
    if symbol.kind == "block":
        if new in BUILTINS:
            raise RequestFailed(f"`{new}` is a built-in function")
        users = {p for p, _ in find_references(sources, symbol)}
        for path in users | {symbol.file}:
            if new in sources.blocks(path):
                raise RequestFailed(f"a block `{new}` exists already (seen from "
                                    f"{Path(path).name})")
    else:
        definition = _definition(sources, symbol.file, symbol.owner)
        from mgdsl.lsp.names import declared_names

        if definition is not None and new in declared_names(definition):
            raise RequestFailed(f"`{new}` is already a variable of {symbol.owner[0]} "
                                f"`{symbol.owner[1]}`")


def prepare(sources: Sources, path: str, line: int, col: int) -> tuple[Symbol, Occurrence]:
    """The renameable symbol at 1-based `line:col`, or `RequestFailed` saying why not."""
    if sources.module(resolved(path)) is None:
        raise RequestFailed("the file does not parse: fix its syntax errors first")
    found = symbol_at(sources, path, line, col)
    if found is None:
        raise RequestFailed("no block, variable or parameter here")
    symbol = found[0]
    if symbol.kind == "builtin":
        raise RequestFailed(f"`{symbol.name}` is built in and cannot be renamed")
    if symbol.kind == "network":
        raise RequestFailed("networks are named on the command line and in other tools: "
                            "rename them by hand")
    if symbol.is_std:
        raise RequestFailed(f"`{symbol.name}` belongs to the standard library")
    return found


def rename_edits(sources: Sources, symbol: Symbol, new: str) -> dict[str, list[Key]]:
    """Resolved path -> the keys to replace with `new` (after `check_new_name`)."""
    check_new_name(sources, symbol, new)
    out: dict[str, list[Key]] = {}
    for path, occ in find_references(sources, symbol):
        out.setdefault(path, []).append(occ.key)
    return out


# -------------------------------------------------------------------------------- LSP


def _lsp_range(lines: Lines, key: Key) -> lsp.Range:
    return lsp.Range(lsp.Position(key[0] - 1, lines.to_client(key[0] - 1, key[1] - 1)),
                     lsp.Position(key[2] - 1, lines.to_client(key[2] - 1, key[3] - 1)))


def register(server, wrap: Callable) -> None:
    """Add references, prepareRename and rename to a `MgLanguageServer`."""

    def sources(ls) -> Sources:
        def read(path: str) -> str | None:
            try:
                return ls.text(uri_of(path))
            except RequestFailed:
                return None

        roots = [path_of(f.uri) for f in ls.workspace.folders.values()] or \
            ([ls.workspace.root_path] if ls.workspace.root_path else [])
        opened = [path_of(u) for u in ls.workspace.text_documents if u.startswith("file:")]
        return Sources(read, [r for r in roots if not r.startswith("<")], opened)

    def where(ls, params) -> tuple[Sources, str, int, int]:
        uri = params.text_document.uri
        if not uri.startswith("file:"):
            raise RequestFailed("references and rename work on files only")
        lines = Lines(ls.text(uri), ls.encoding)
        col = lines.from_client(params.position.line, params.position.character)
        return sources(ls), path_of(uri), params.position.line + 1, col + 1

    def lines_of(ls, src: Sources, path: str) -> Lines:
        return Lines(src.read(path) or "", ls.encoding)

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    @wrap
    def references(ls, params: lsp.ReferenceParams) -> list[lsp.Location]:
        src, path, line, col = where(ls, params)
        found = symbol_at(src, path, line, col)
        if found is None:
            return []
        out = []
        for file, occ in find_references(src, found[0]):
            if occ.is_def and not params.context.include_declaration:
                continue
            out.append(lsp.Location(uri_of(file), _lsp_range(lines_of(ls, src, file), occ.key)))
        return out

    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    @wrap
    def prepare_rename(ls, params: lsp.PrepareRenameParams) -> lsp.PrepareRenamePlaceholder:
        src, path, line, col = where(ls, params)
        _, occ = prepare(src, path, line, col)
        return lsp.PrepareRenamePlaceholder(
            range=_lsp_range(lines_of(ls, src, resolved(path)), occ.key), placeholder=occ.name)

    @server.feature(lsp.TEXT_DOCUMENT_RENAME, lsp.RenameOptions(prepare_provider=True))
    @wrap
    def rename(ls, params: lsp.RenameParams) -> lsp.WorkspaceEdit:
        src, path, line, col = where(ls, params)
        symbol, _ = prepare(src, path, line, col)
        changes = {}
        for file, keys in rename_edits(src, symbol, params.new_name).items():
            lines = lines_of(ls, src, file)
            changes[uri_of(file)] = [lsp.TextEdit(_lsp_range(lines, k), params.new_name)
                                     for k in keys]
        return lsp.WorkspaceEdit(changes=changes)
