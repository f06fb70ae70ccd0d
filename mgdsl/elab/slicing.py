"""Indexing and slicing in the elaborator: `p[i]`, `p[lo:hi]`, `ch[0]` and `p[1:] = ...`."""

from __future__ import annotations

from typing import Any

from mgdsl.elab import primitives as prim
from mgdsl.elab import tensor_ops
from mgdsl.elab.context import CallContext
from mgdsl.elab.expressions import MAX_INT
from mgdsl.elab.values import Pyramid, a_type
from mgdsl.errors import MgShapeError, MgTypeError, Span
from mgdsl.syntax import ast

__all__ = ["Slicing"]


class Slicing:
    """The indexing part of `Elaborator` (mixed into it)."""

    def _slice_assign(self, stmt: ast.SliceAssign) -> None:
        current = self.lookup(stmt.target, stmt.span)
        ctx = self._ctx("slice assignment", stmt.span)
        base = prim.as_tensor(ctx, current, f"`{stmt.target}`")
        lo, hi = self._bounds(stmt.index, len(base), stmt.span)
        value = prim.as_tensor(ctx, self.eval(stmt.value), "the assigned value")
        old = base.grids[lo:hi]
        if tuple(g.level for g in old) != value.levels:
            raise MgShapeError(
                f"`{stmt.target}[...]` holds {len(old)} grid(s) on levels "
                f"{[g.level for g in old]} but the value has {len(value)} on levels "
                f"{list(value.levels)}", stmt.span, code="E304",
                hint="slice assignment replaces grids level for level")
        self.frame.vars[stmt.target] = Pyramid(base.grids[:lo] + value.grids + base.grids[hi:])

    def _bounds(self, index: ast.Expr | ast.Slice, n: int, span: Span) -> tuple[int, int]:
        ctx = self._ctx("index", span)
        if isinstance(index, ast.Slice):
            lo = 0 if index.lo is None else self._int_index(ctx, index.lo)
            hi = n if index.hi is None else self._int_index(ctx, index.hi)
            lo, hi = (lo + n if lo < 0 else lo), (hi + n if hi < 0 else hi)
            if not (0 <= lo <= n and 0 <= hi <= n):
                raise MgShapeError(f"slice out of range for {n} items", index.span, code="E308",
                                   hint=f"valid positions are 0..{n - 1} (or -{n}..-1)")
            return lo, max(lo, hi)
        i = self._int_index(ctx, index)
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise MgShapeError(f"index {i} out of range for {n} item{'s' * (n != 1)}", index.span,
                               code="E308",
                               hint=f"valid positions are 0..{n - 1} (or -{n}..-1)" if n
                               else "the value is empty")
        return j, j + 1

    def _int_index(self, ctx: CallContext, expr: ast.Expr) -> int:
        v = self.eval(expr)
        return prim.as_int(ctx, v, "an index", minimum=-MAX_INT)

    def _index(self, expr: ast.Index) -> Any:
        value = self.eval(expr.value)
        if tensor_ops.is_learned(value):  # `w[i]`: values of a learned tensor
            lo, hi = self._bounds(expr.index, value.grids[0].channels, expr.span)
            return tensor_ops.narrow(self._ctx("index", expr.span), value, lo, hi)
        if isinstance(value, Pyramid):
            try:
                lo, hi = self._bounds(expr.index, len(value), expr.span)
            except MgShapeError as exc:
                tensor_ops.slice_hint(exc, value)
                raise
            return Pyramid(value.grids[lo:hi])
        if isinstance(value, tuple):
            lo, hi = self._bounds(expr.index, len(value), expr.span)
            self._tick(expr.span, hi - lo)
            return value[lo] if not isinstance(expr.index, ast.Slice) else value[lo:hi]
        raise MgTypeError(f"cannot index {a_type(value)}", expr.span, code="E406")
