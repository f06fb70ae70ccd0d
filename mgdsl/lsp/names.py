"""Every name a parsed `.mg` file writes, where exactly, and what it refers to.

A block or network body is one scope (sections, `if` and `repeat` bodies share it), so a
variable is identified by its definition and its name. What a name refers to is left
unresolved here: `("block", B)` is whatever block `B` the file's program defines,
`("kwarg", B, p)` the parameter `p` of that block; `references` resolves them.

>>> from mgdsl.syntax.parser import parse_text
>>> m = parse_text("block b(p) {\\n    q = relu(p)\\n    return conv(q, 4, k = 3)\\n}", "x.mg")
>>> [(o.ref[0], o.name, o.key[:2], o.is_def) for o in occurrences(m)]  # doctest: +NORMALIZE_WHITESPACE
[('block', 'b', (1, 7), True), ('var', 'p', (1, 9), True), ('var', 'q', (2, 5), True),
 ('prim', 'relu', (2, 9), False), ('var', 'p', (2, 14), False), ('prim', 'conv', (3, 12), False),
 ('var', 'q', (3, 17), False), ('prim-kwarg', 'k', (3, 23), False)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mgdsl.compilation import BUILTINS
from mgdsl.errors import Span
from mgdsl.syntax import ast

__all__ = ["Occurrence", "occurrences", "Key", "Owner", "declared_names"]

Key = tuple[int, int, int, int]  # 1-based line, col, end line, end col (end exclusive)
Owner = tuple[str, str]  # ("block" | "network", name)


@dataclass(frozen=True)
class Occurrence:
    """One written name: `ref` is ("block", name), ("network", name), ("prim", name),
    ("var", owner, name), ("kwarg", callee, name) or ("prim-kwarg", op, name)."""

    key: Key
    ref: tuple[Any, ...]
    is_def: bool = False

    @property
    def name(self) -> str:
        """The name as written."""
        return self.ref[-1]


def _at(span: Span, name: str) -> Key:
    return (span.line, span.col, span.line, span.col + len(name))


def _find(lines: list[str], span: Span, pattern: str, name: str) -> Key | None:
    """The key of `name` matched by group 1 of `pattern`, searched from `span`'s start."""
    regex = re.compile(pattern.format(re.escape(name)))
    for n in range(span.line - 1, min(span.end_line, span.line + 2, len(lines))):
        start = span.col - 1 if n == span.line - 1 else 0
        m = regex.search(lines[n], start)
        if m:
            return (n + 1, m.start(1) + 1, n + 1, m.end(1) + 1)
    return None


def declared_names(definition: ast.BlockDef | ast.NetworkDef) -> set[str]:
    """The variables of a block or network: its parameters and every name its body
    assigns, declares as an input or counts with `repeat ... as`."""
    out = {p.name for p in definition.params}

    def visit(body: tuple[ast.Stmt, ...]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Assign | ast.SliceAssign):
                out.add(stmt.target)
            elif isinstance(stmt, ast.InputDecl):
                out.add(stmt.name)
            elif isinstance(stmt, ast.Repeat):
                if stmt.var:
                    out.add(stmt.var)
                visit(stmt.body)
            elif isinstance(stmt, ast.If):
                visit(stmt.body)
                visit(stmt.orelse)
            elif isinstance(stmt, ast.Section):
                visit(stmt.body)

    visit(definition.body)
    return out


class _Walker:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.out: list[Occurrence] = []
        self.owner: Owner = ("network", "")
        self.declared: set[str] = set()

    def definition(self, item: ast.BlockDef | ast.NetworkDef) -> None:
        kind = "block" if isinstance(item, ast.BlockDef) else "network"
        key = _find(self.lines, item.span, rf"\b{kind}\s+({{}})\b", item.name)
        if key:
            self.out.append(Occurrence(key, (kind, item.name), True))
        self.owner, self.declared = (kind, item.name), declared_names(item)
        for p in item.params:
            self.out.append(Occurrence(_at(p.span, p.name), ("var", self.owner, p.name), True))
            if p.default is not None:
                self.expr(p.default)
        self.body(item.body)

    def body(self, body: tuple[ast.Stmt, ...]) -> None:
        for stmt in body:
            self.stmt(stmt)

    def var(self, key: Key | None, name: str, is_def: bool) -> None:
        if key is not None:
            self.out.append(Occurrence(key, ("var", self.owner, name), is_def))

    def stmt(self, stmt: ast.Stmt) -> None:
        if isinstance(stmt, ast.Assign):
            self.var(_at(stmt.span, stmt.target), stmt.target, True)
            self.expr(stmt.value)
        elif isinstance(stmt, ast.SliceAssign):
            self.var(_at(stmt.span, stmt.target), stmt.target, False)
            self.index(stmt.index)
            self.expr(stmt.value)
        elif isinstance(stmt, ast.InputDecl):
            self.var(_find(self.lines, stmt.span, r"\binput\s+({})\b", stmt.name), stmt.name, True)
            for grid in stmt.pyramid or (stmt.dims,):  # a pyramid input's `dims` is its first
                for d in grid:
                    self.expr(d)
        elif isinstance(stmt, ast.Repeat):
            self.expr(stmt.count)
            if stmt.var:
                self.var(_find(self.lines, stmt.span, r"\bas\s+({})\b", stmt.var), stmt.var, True)
            self.body(stmt.body)
        elif isinstance(stmt, ast.If):
            self.expr(stmt.cond)
            self.body(stmt.body)
            self.body(stmt.orelse)
        elif isinstance(stmt, ast.Section):
            self.body(stmt.body)
        elif isinstance(stmt, ast.OutputDecl | ast.Return | ast.Default):
            self.expr(stmt.value)

    def index(self, index: ast.Expr | ast.Slice) -> None:
        if isinstance(index, ast.Slice):
            for bound in (index.lo, index.hi):
                if bound is not None:
                    self.expr(bound)
        else:
            self.expr(index)

    def expr(self, e: ast.Expr) -> None:
        if isinstance(e, ast.Name):
            if e.id in self.declared:
                self.var(_at(e.span, e.id), e.id, False)
        elif isinstance(e, ast.Call):
            is_prim = e.func in BUILTINS
            self.out.append(Occurrence(_at(e.func_span, e.func),
                                       ("prim" if is_prim else "block", e.func)))
            for a in e.args:
                self.expr(a)
            for kw in e.kwargs:
                ref = ("prim-kwarg" if is_prim else "kwarg", e.func, kw.name)
                self.out.append(Occurrence(_at(kw.span, kw.name), ref))
                self.expr(kw.value)
        elif isinstance(e, ast.ListExpr):
            for item in e.items:
                self.expr(item)
        elif isinstance(e, ast.BinOp):
            self.expr(e.left)
            self.expr(e.right)
        elif isinstance(e, ast.Neg | ast.Not):
            self.expr(e.operand)
        elif isinstance(e, ast.Index):
            self.expr(e.value)
            self.index(e.index)


def occurrences(module: ast.Module) -> list[Occurrence]:
    """Every block, network, variable, parameter and argument name `module` writes."""
    walker = _Walker(module.text.split("\n"))
    for item in module.items:
        if isinstance(item, ast.BlockDef | ast.NetworkDef):
            walker.definition(item)
    return walker.out
