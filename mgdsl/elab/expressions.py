"""Expressions of the elaborator: names, numbers, lists, arithmetic, comparisons and
conditions (calls are in `calls`, indexing in `slicing`)."""

from __future__ import annotations

from typing import Any

from mgdsl.elab import primitives as prim
from mgdsl.elab.frame import _Skip
from mgdsl.elab.values import POISON, Pyramid, a_type
from mgdsl.errors import MgLimitError, MgNameError, MgTypeError, Span, did_you_mean
from mgdsl.syntax import ast

__all__ = ["Expressions", "CONSTANTS", "MAX_INT"]

CONSTANTS: dict[str, Any] = {"true": True, "false": False, "none": None}
MAX_INT = 2**62


class Expressions:
    """The expression part of `Elaborator` (mixed into it)."""

    def lookup(self, name: str, span: Span) -> Any:
        if name in self.frame.vars:
            value = self.frame.vars[name]
        elif name in CONSTANTS:
            value = CONSTANTS[name]
        else:
            candidates = list(self.frame.vars) + list(CONSTANTS)
            hint = did_you_mean(name, candidates)
            if name in self.program.blocks or name in prim.PRIMITIVES:
                hint = f"`{name}` is a function: call it as `{name}(...)`"
            raise MgNameError(f"unknown name `{name}`", span, code="E200", hint=hint)
        if value is POISON:
            raise _Skip()
        return value

    def eval(self, expr: ast.Expr) -> Any:
        self._tick(expr.span)
        if isinstance(expr, ast.Num):
            return expr.value
        if isinstance(expr, ast.Str):
            return expr.value
        if isinstance(expr, ast.Name):
            return self.lookup(expr.id, expr.span)
        if isinstance(expr, ast.ListExpr):
            items = tuple(self.eval(x) for x in expr.items)
            for x, node in zip(items, expr.items, strict=True):
                if isinstance(x, (Pyramid, tuple)):
                    raise MgTypeError(f"a list holds numbers, not {a_type(x)}", node.span,
                                      code="E404", hint="combine grids with `concat(...)`")
            return items
        if isinstance(expr, ast.BinOp):
            return self._binop(expr)
        if isinstance(expr, ast.Neg):
            value = self.eval(expr.operand)
            if isinstance(value, tuple):
                self._tick(expr.span, len(value))
            return self._arith("-", 0, value, expr) if not isinstance(value, tuple) else \
                tuple(self._arith("-", 0, v, expr) for v in value)
        if isinstance(expr, ast.Not):
            return not self._truth(self.eval(expr.operand), "`not`", expr.operand)
        if isinstance(expr, ast.Call):
            return self.call(expr)
        if isinstance(expr, ast.Index):
            return self._index(expr)
        raise TypeError(expr)  # pragma: no cover

    def condition(self, expr: ast.Expr, what: str) -> bool:
        """Evaluate the condition `expr` of `what` (e.g. "`if`") to true or false."""
        return self._truth(self.eval(expr), what, expr)

    def _truth(self, value: Any, what: str, expr: ast.Expr) -> bool:
        if isinstance(value, Pyramid):
            raise MgTypeError(f"the condition of {what} is {a_type(value)}: tensor values are "
                              "not known while the network is built", self._user_span(expr.span),
                              code="E440", hint=_KNOWN_HINT)
        if not isinstance(value, bool):
            raise MgTypeError(f"{what} needs `true` or `false`, got {a_type(value)}",
                              self._user_span(expr.span), code="E441",
                              hint="compare it, for example `n > 0` or `len(p) == 3`")
        return value

    def _compare(self, expr: ast.BinOp, a: Any, b: Any) -> bool:
        op = expr.op
        if isinstance(a, Pyramid) or isinstance(b, Pyramid):
            raise MgTypeError(f"cannot compare {a_type(a)} and {a_type(b)} with `{op}`: tensor "
                              "values are not known while the network is built",
                              self._user_span(expr.span), code="E440", hint=_KNOWN_HINT)
        kinds = {_kind(a), _kind(b)} - {"none"}
        if op in ("==", "!="):
            if len(kinds) > 1:
                raise MgTypeError(f"cannot compare {a_type(a)} and {a_type(b)} with `{op}`",
                                  self._user_span(expr.span), code="E442",
                                  hint="both sides must be numbers, strings, booleans or lists")
            return (a == b) == (op == "==")
        if kinds != {"number"}:
            raise MgTypeError(f"`{op}` compares numbers, not {a_type(a)} and {a_type(b)}",
                              self._user_span(expr.span), code="E442",
                              hint="compare one item (`ch[0]`), or `min(...)`, `max(...)`, "
                                   "`len(...)` of a list")
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        return a >= b

    def _binop(self, expr: ast.BinOp) -> Any:
        if expr.op in ("and", "or"):
            left = self._truth(self.eval(expr.left), f"`{expr.op}`", expr.left)
            if left == (expr.op == "or"):  # decided by the left side: the right never runs
                return left
            return self._truth(self.eval(expr.right), f"`{expr.op}`", expr.right)
        a, b = self.eval(expr.left), self.eval(expr.right)
        if expr.op in _COMPARISONS:
            return self._compare(expr, a, b)
        if isinstance(a, Pyramid) or isinstance(b, Pyramid):
            if expr.op in prim.ELEMENTWISE:
                if isinstance(a, Pyramid) and isinstance(b, Pyramid):
                    return prim.elementwise(self._ctx_numbered(expr.op, expr.span), expr.op, a, b)
                number = b if isinstance(a, Pyramid) else a
                if isinstance(number, (int, float)) and not isinstance(number, bool):
                    p = a if isinstance(a, Pyramid) else b
                    return prim.scalar_op(self._ctx_numbered(expr.op, expr.span), expr.op, p,
                                          number, reverse=p is b)
            raise MgTypeError(f"cannot apply `{expr.op}` to {a_type(a)} and {a_type(b)}",
                              expr.span, code="E406",
                              hint="tensors support `+`, `-`, `*` and `/` (grid by grid, or "
                                   "with a number)")
        if isinstance(a, tuple) or isinstance(b, tuple):
            self._tick(expr.span, len(a) if isinstance(a, tuple) else len(b))
            if isinstance(a, tuple) and isinstance(b, tuple):
                if len(a) != len(b):
                    raise MgTypeError(f"lists of different lengths ({len(a)} and {len(b)})",
                                      expr.span, code="E406")
                return tuple(self._arith(expr.op, x, y, expr) for x, y in zip(a, b, strict=True))
            if isinstance(a, tuple):
                return tuple(self._arith(expr.op, x, b, expr) for x in a)
            return tuple(self._arith(expr.op, a, y, expr) for y in b)
        return self._arith(expr.op, a, b, expr)

    def _arith(self, op: str, a: Any, b: Any, expr: ast.Expr) -> Any:
        for v in (a, b):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise MgTypeError(f"cannot apply `{op}` to {a_type(v)}", expr.span,
                                  code="E406")
        if op in ("/", "//") and b == 0:
            raise MgTypeError("division by zero", expr.span, code="E407")
        if op == "**":
            r = _power(a, b, expr.span)
        elif op == "+":
            r = a + b
        elif op == "-":
            r = a - b
        elif op == "*":
            r = a * b
        elif op == "//":
            r = a // b
        elif isinstance(a, int) and isinstance(b, int):
            r = a // b if a % b == 0 else _inexact(a, b, expr.span)
        else:
            r = a / b
        if isinstance(r, int) and abs(r) > MAX_INT:
            raise MgLimitError("an integer grew beyond 2^62", expr.span, code="E509")
        if isinstance(r, float) and r != r:  # NaN from inf - inf
            raise MgTypeError("the result is not a number", expr.span, code="E407")
        return r


_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_KNOWN_HINT = ("a condition may use numbers, parameters, channel counts (`channels(p)`), "
               "levels (`levels(p)`) and `len(p)`")


def _kind(value: Any) -> str:
    """The kind of a value for comparisons: numbers compare with numbers, and so on."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "list" if isinstance(value, tuple) else type(value).__name__


def _inexact(a: int, b: int, span: Span) -> int:
    """E402 for `a / b` of integers that do not divide: it would be a fraction where
    `.mg` integers count channels and sizes, so it says so at the division."""
    raise MgTypeError(f"{a} / {b} is not a whole number: `/` of two integers must divide "
                      "exactly, since they count channels and sizes", span, code="E402",
                      hint=f"write `{a} // {b}` to round down ({a // b}), or `{a}.0 / {b}` "
                           f"for the fraction {a / b:g}")


def _power(a: int | float, b: int | float, span: Span) -> int | float:
    """`a ** b` for numbers, refused before it grows past 2^62 or leaves the real numbers."""
    try:
        if isinstance(a, int) and isinstance(b, int):
            if b < 0:
                return float(a) ** b  # as Python: a negative power of an integer is a float
            if abs(a) > 1 and b * (abs(a).bit_length() - 1) > 62:
                raise MgLimitError(f"{a} ** {b} grows beyond 2^62", span, code="E509",
                                   hint="integers are limited to 2^62")
            return a**b  # now b <= 62 (or |a| <= 1): cheap; the caller checks the size
        r = float(a) ** b
    except ZeroDivisionError:
        raise MgTypeError("zero to a negative power", span, code="E407") from None
    except OverflowError:
        raise MgLimitError(f"{a:g} ** {b:g} is too large", span, code="E509",
                           hint="numbers are limited to about 1e308") from None
    if isinstance(r, complex):
        raise MgTypeError(f"({a:g}) ** {b:g} is not a real number", span, code="E407",
                          hint="a negative number has no real fractional power")
    return r
