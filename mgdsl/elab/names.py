"""Undefined names in block bodies, found without elaborating anything.

A network's blocks are checked when the network calls them; a file of blocks only (a
library) has no network to elaborate, so `mgdsl check` reads its blocks, and those of the
files it `use`s (not the standard library's), with this pass instead:

- a call of a function that is neither a built-in nor a block of the program: E201;
- a name that nothing in the block binds (a parameter, an assignment anywhere in the body,
  a `repeat ... as` variable, a constant): E200.

The pass is flow-insensitive, so it never reports a name that some run could bind (a
variable assigned in one branch of an `if` and read after it); reading a variable before
its assignment is left to elaboration.

>>> from mgdsl.elab.program import load_program
>>> p = load_program("<lib>", text="block b(x) {\\n    return relu(x) + y\\n}\\n")
>>> [(e.code, e.message) for e in undefined_names(p)]
[('E200', 'unknown name `y`')]
"""

from __future__ import annotations

from collections.abc import Iterator

from mgdsl.elab.calls import _std_blocks
from mgdsl.elab.expressions import CONSTANTS
from mgdsl.elab.primitives import PRIMITIVES
from mgdsl.elab.program import Program
from mgdsl.errors import MgError, MgNameError, did_you_mean
from mgdsl.syntax import ast

__all__ = ["undefined_names"]


def undefined_names(program: Program) -> list[MgError]:
    """E200/E201 for the undefined names in the blocks of `program`'s own files (the entry
    file and the files it `use`s, not the standard library), in source order."""
    errors: list[MgError] = []
    hinted = False
    for info in program.blocks.values():
        if info.is_std:
            continue
        block = info.node
        bound = set(CONSTANTS) | {p.name for p in block.params}
        bound |= {name for stmt in _walk(block.body) for name in _binds(stmt)}
        exprs = [p.default for p in block.params if p.default is not None]
        exprs += [e for stmt in _walk(block.body) for e in _exprs(stmt)]
        for expr in exprs:
            for node in _nodes(expr):
                if isinstance(node, ast.Call) and node.func not in PRIMITIVES \
                        and node.func not in program.blocks:
                    hint = None
                    if node.func in _std_blocks():
                        hint = None if hinted else (f"`{node.func}` is a block of the standard "
                                                    "library: add `use \"std.mg\"` at the top "
                                                    "of the file")
                        hinted = True
                    else:
                        hint = did_you_mean(node.func, list(PRIMITIVES) + list(program.blocks))
                    errors.append(MgNameError(f"unknown function `{node.func}`",
                                              node.func_span, code="E201", hint=hint))
                elif isinstance(node, ast.Name) and node.id not in bound:
                    hint = (f"`{node.id}` is a function: call it as `{node.id}(...)`"
                            if node.id in PRIMITIVES or node.id in program.blocks
                            else did_you_mean(node.id, bound))
                    errors.append(MgNameError(f"unknown name `{node.id}`", node.span,
                                              code="E200", hint=hint))
    return sorted(errors, key=lambda e: (e.span.file, e.span.line, e.span.col))


def _walk(body: tuple[ast.Stmt, ...]) -> Iterator[ast.Stmt]:
    """Every statement of `body`, nested ones included."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.Repeat | ast.Section):
            yield from _walk(stmt.body)
        elif isinstance(stmt, ast.If):
            yield from _walk(stmt.body)
            yield from _walk(stmt.orelse)


def _binds(stmt: ast.Stmt) -> Iterator[str]:
    """The names `stmt` itself binds."""
    if isinstance(stmt, ast.Assign | ast.SliceAssign):
        yield stmt.target
    elif isinstance(stmt, ast.Repeat) and stmt.var:
        yield stmt.var
    elif isinstance(stmt, ast.InputDecl | ast.OutputDecl):
        yield stmt.name


def _exprs(stmt: ast.Stmt) -> Iterator[ast.Expr]:
    """The expressions `stmt` itself reads (not those of nested statements)."""
    if isinstance(stmt, ast.Assign | ast.OutputDecl | ast.Return | ast.Default):
        yield stmt.value
    elif isinstance(stmt, ast.SliceAssign):
        yield from (stmt.index, stmt.value)
    elif isinstance(stmt, ast.Repeat):
        yield stmt.count
    elif isinstance(stmt, ast.If):
        yield stmt.cond
    elif isinstance(stmt, ast.InputDecl):
        yield from stmt.dims


def _nodes(expr: ast.Expr | ast.Slice | None) -> Iterator[ast.Node]:
    """`expr` and every expression inside it."""
    if expr is None:
        return
    yield expr
    children: tuple = ()
    if isinstance(expr, ast.ListExpr):
        children = expr.items
    elif isinstance(expr, ast.BinOp):
        children = (expr.left, expr.right)
    elif isinstance(expr, ast.Neg | ast.Not):
        children = (expr.operand,)
    elif isinstance(expr, ast.Call):
        children = (*expr.args, *(kw.value for kw in expr.kwargs))
    elif isinstance(expr, ast.Index):
        children = (expr.value, expr.index)
    elif isinstance(expr, ast.Slice):
        children = (expr.lo, expr.hi)
    for child in children:
        yield from _nodes(child)
