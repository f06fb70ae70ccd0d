"""AST -> graph IR: evaluate a network's body, calling blocks and primitives, adding nodes.

Scopes. Variables are lexical: a network (with its sections and repeats) is one variable
scope; each block call is a fresh scope holding its parameters. Names of IR nodes follow
the *dynamic* scopes: `section` names and block calls (`resmg1` = the second call of
`resmg` in that scope) and the op itself (`conv0`), then the grid level (`g2`).
`default op.arg = v` sets a primitive's default for the rest of the scope and every
block called from it.

Errors. A statement that fails is recorded and its targets become poisoned; statements
that read a poisoned variable are skipped silently, so one mistake is reported once and
independent mistakes are all reported together.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from mgdsl.elab import primitives as prim
from mgdsl.elab import tensor_ops
from mgdsl.elab.context import CallContext
from mgdsl.elab.program import BlockInfo, Program, stdlib_dir
from mgdsl.elab.values import POISON, Pyramid, a_type, type_name
from mgdsl.errors import (
    MgError,
    MgErrors,
    MgLimitError,
    MgNameError,
    MgShapeError,
    MgTypeError,
    Span,
    did_you_mean,
)
from mgdsl.ir.graph import IRBuilder
from mgdsl.limits import LIMITS
from mgdsl.syntax import ast
from mgdsl.syntax.literal import mg_literal
from mgdsl.syntax.parser import parse_file

__all__ = ["elaborate", "CallContext"]

CONSTANTS: dict[str, Any] = {"true": True, "false": False, "none": None}
MAX_INT = 2**62


# limits hit while building (not while checking an argument): elaboration stops there
FATAL_LIMITS = frozenset({"E503", "E507", "E508", "E510"})


class _Skip(Exception):
    """A poisoned value was read: skip the statement without a new diagnostic."""


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


@dataclass
class Frame:
    """One dynamic scope: a network, a section or a block call."""

    vars: dict[str, Any]
    path: tuple[str, ...]
    section: str | None
    parent: Frame | None
    in_std: bool = False
    call_span: Span | None = None
    block: str | None = None
    counters: dict[str, int] = field(default_factory=dict)
    defaults: dict[tuple[str, str], Any] = field(default_factory=dict)
    default_spans: dict[tuple[str, str], Span] = field(default_factory=dict)
    sections: set[str] = field(default_factory=set)

    def next_segment(self, name: str) -> str:
        """`name0`, `name1`, ... for successive uses of `name` in this scope."""
        k = self.counters.get(name, 0)
        self.counters[name] = k + 1
        return f"{name}{k}"

    def default(self, op: str, arg: str) -> Any:
        """The innermost `default op.arg = v` in force, or `_MISSING`."""
        return self._innermost("defaults", (op, arg))

    def default_span(self, op: str, arg: str) -> Span | None:
        """The span of the `default op.arg = v` statement in force, if any."""
        span = self._innermost("default_spans", (op, arg))
        return None if span is _MISSING else span

    def _innermost(self, table: str, key: tuple[str, str]) -> Any:
        frame: Frame | None = self
        while frame is not None:
            values = getattr(frame, table)
            if key in values:
                return values[key]
            frame = frame.parent
        return _MISSING


_MISSING = object()


# the words the argument checks of `primitives` use for an argument, where not its name
_ARG_WORDS = {"k": ("kernel size", "pooling size"), "pad": ("padding",), "n": ("output size",),
              "ch": ("channels",)}


def _blame_default(exc: MgError, from_defaults: dict[str, Span | None], call: Span) -> None:
    """Point a bad-value error at the `default op.arg = ...` that supplied the value."""
    if exc.code not in ("E401", "E402", "E403", "E504"):
        return
    for name, span in from_defaults.items():
        if span is not None and exc.message.startswith(_ARG_WORDS.get(name, (name,))):
            exc.span = span
            exc.notes.append(f"the value is used by the call at {call}")
            return


@functools.lru_cache(maxsize=1)
def _std_blocks() -> frozenset[str]:
    """The names of the blocks of the standard library (`std.mg`)."""
    module = parse_file(stdlib_dir() / "std.mg")
    return frozenset(i.name for i in module.items if isinstance(i, ast.BlockDef))


class Elaborator:
    """Evaluates one network of a program into an IR graph."""

    def __init__(self, program: Program, network: ast.NetworkDef,
                 inputs: dict[str, tuple[int, ...]] | None = None) -> None:
        self.program = program
        self.network = network
        self.input_sizes = dict(inputs or {})
        self.builder = IRBuilder(network.name, network.span.file, network.span)
        self.errors: list[MgError] = []
        self.std_hinted = False
        self.steps = 0
        self.total_params = 0
        self.call_stack: list[str] = []
        self.frame = Frame({}, (), None, None)
        self.loops = 0  # `repeat` bodies entered in the current block call (or the network)

    # --------------------------------------------------------------------- entry point

    def run(self, overrides: dict[str, Any]) -> nx.DiGraph:
        net = self.network
        names = [p.name for p in net.params]
        for key in overrides:
            if key not in names:
                hint = did_you_mean(key, names) or (
                    f"`{net.name}` has parameters: {', '.join(names)}" if names
                    else f"`{net.name}` has no parameters")
                raise MgNameError(f"network `{net.name}` has no parameter `{key}`", net.span,
                                  code="E202", hint=hint, subject=("param", key))
        frame = self.frame
        for p in net.params:
            if p.name in overrides:
                value = overrides[p.name]
                self._check_override(p, value)
            elif p.default is not None:
                value = self.eval(p.default)
            else:
                raise MgNameError(f"network parameter `{p.name}` has no default and no value",
                                  p.span, code="E203", hint=f"pass it with --set {p.name}=...")
            frame.vars[p.name] = value
        self.builder.graph.graph["params"] = {p.name: frame.vars[p.name] for p in net.params}
        try:
            self.exec_body(net.body, where="network")
        except MgLimitError as exc:
            self.errors.append(exc)
        declared = self.builder.graph.graph["inputs"]
        for name in self.input_sizes:
            if name not in declared and not self.errors:
                raise MgNameError(f"network `{net.name}` has no input `{name}`", net.span,
                                  code="E324", hint=did_you_mean(name, list(declared))
                                  or f"its inputs: {', '.join(declared) or 'none'}")
        if self.errors:
            unique = {(e.code, e.span, e.message): e for e in reversed(self.errors)}
            raise MgErrors(sorted(unique.values(), key=self.errors.index))
        return self.builder.graph

    def _check_override(self, param: ast.Param, value: Any) -> None:
        """E710 when `value` is of another kind than the parameter's literal default."""
        if not _is_literal(param.default):
            return
        default = self.eval(param.default)
        if _param_kind(value) != _param_kind(default):
            shown = mg_literal(default)
            raise MgTypeError(
                f"network parameter `{param.name}` takes {a_type(default)} (its default is "
                f"{shown}), not {a_type(value)} `{mg_literal(value)}`", param.span, code="E710",
                hint=f"give `{param.name}` a value like {shown}", subject=("param", param.name))

    # ----------------------------------------------------------------------- statements

    def exec_body(self, body: tuple[ast.Stmt, ...], *, where: str) -> None:
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.Return) and where == "block" and i != len(body) - 1:
                raise MgNameError("statements after `return` never run", body[i + 1].span,
                                  code="E208", hint="`return` must be the last statement")
            self.exec_stmt(stmt, where=where)

    def _tick(self, span: Span, work: int = 1) -> None:
        """Count `work` steps (statements, expression nodes, list items) against the limit."""
        self.steps += work
        if self.steps > LIMITS.max_steps:
            raise MgLimitError(f"elaboration ran more than {LIMITS.max_steps:,} steps",
                               self._user_span(span), code="E508",
                               hint="lower the repeat counts, or raise mgdsl.limits.LIMITS.max_steps")

    def exec_stmt(self, stmt: ast.Stmt, *, where: str) -> None:
        self._tick(stmt.span)
        try:
            self._exec(stmt, where)
        except _Skip:
            self._poison(stmt)
        except MgError as exc:
            fatal = isinstance(exc, MgLimitError) and exc.code in FATAL_LIMITS
            nested = isinstance(stmt, (ast.Repeat, ast.Section, ast.If))
            if fatal or where != "network":
                raise  # inside a block (nested or not): the call site reports it
            if not nested or exc not in self.errors:
                self.errors.append(exc)
            self._poison(stmt)

    def _poison(self, stmt: ast.Stmt) -> None:
        for name in _assigned(stmt):
            self.frame.vars[name] = POISON

    def _exec(self, stmt: ast.Stmt, where: str) -> None:
        frame = self.frame
        if isinstance(stmt, ast.Assign):
            frame.vars[stmt.target] = self.eval(stmt.value)
        elif isinstance(stmt, ast.SliceAssign):
            self._slice_assign(stmt)
        elif isinstance(stmt, ast.Repeat):
            self._repeat(stmt, where)
        elif isinstance(stmt, ast.If):
            branch = stmt.body if self.condition(stmt.cond, "`if`") else stmt.orelse
            self.exec_body(branch, where=where)
        elif isinstance(stmt, ast.Section):
            self._section(stmt, where)
        elif isinstance(stmt, ast.InputDecl):
            self._input(stmt, where)
        elif isinstance(stmt, ast.OutputDecl):
            self._output(stmt, where)
        elif isinstance(stmt, ast.Return):
            if where != "block":
                raise MgNameError("`return` is only allowed in a block", stmt.span, code="E208",
                                  hint="a network names its results with `output NAME = ...`")
            if self.loops:
                raise MgNameError("`return` cannot stand inside `repeat`", stmt.span, code="E208")
            raise _Return(self.eval(stmt.value))
        elif isinstance(stmt, ast.Default):
            self._default(stmt)
        else:  # pragma: no cover - the grammar has no other statements
            raise TypeError(stmt)

    def _repeat(self, stmt: ast.Repeat, where: str) -> None:
        count = prim.as_int(self._ctx("repeat", stmt.count.span), self.eval(stmt.count),
                            "the repeat count", minimum=0, maximum=LIMITS.max_repeat)
        self.loops += 1
        try:
            for i in range(count):
                if stmt.var:
                    self.frame.vars[stmt.var] = i
                before = len(self.errors)
                for inner in stmt.body:
                    self.exec_stmt(inner, where=where)
                if len(self.errors) > before:  # report a failing body once, not `count` times
                    for inner in stmt.body:
                        self._poison(inner)
                    return
        finally:
            self.loops -= 1

    def _section(self, stmt: ast.Section, where: str) -> None:
        parent = self.frame
        if stmt.name in parent.sections:
            raise MgNameError(f"section `{stmt.name}` appears twice here", stmt.span, code="E206",
                              hint="give each section its own name")
        parent.sections.add(stmt.name)
        self.frame = Frame(parent.vars, parent.path + (stmt.name,), stmt.name, parent,
                           in_std=parent.in_std, call_span=parent.call_span, block=parent.block)
        try:
            self.exec_body(stmt.body, where=where)
        finally:
            self.frame = parent

    def _input(self, stmt: ast.InputDecl, where: str) -> None:
        if where != "network":
            raise MgNameError("`input` is only allowed in a network", stmt.span, code="E208")
        ctx = self._ctx("input", stmt.span)
        dims = [prim.as_int(ctx, self.eval(d), what, maximum=limit)
                for d, what, limit in zip(stmt.dims, ("channels", "height", "width"),
                                          (LIMITS.max_channels, LIMITS.max_resolution,
                                           LIMITS.max_resolution), strict=True)]
        inputs = self.builder.graph.graph["inputs"]
        if stmt.name in inputs:
            raise MgNameError(f"input `{stmt.name}` is declared twice", stmt.span, code="E206")
        if stmt.name in self.input_sizes:  # checking another size (`--input`)
            size = self.input_sizes[stmt.name]
            if len(size) != 3:
                raise MgTypeError(f"input `{stmt.name}` needs 3 sizes (C x H x W), got "
                                  f"{len(size)}", stmt.span, code="E325")
            dims = [prim.as_int(ctx, v, what, maximum=limit)
                    for v, what, limit in zip(size, ("channels", "height", "width"),
                                              (LIMITS.max_channels, LIMITS.max_resolution,
                                               LIMITS.max_resolution), strict=True)]
        ctx.segment = stmt.name
        grid = ctx.node("input", [], {"shape": tuple(dims), "name": stmt.name}, 0)
        inputs[stmt.name] = grid.node
        self.frame.vars[stmt.name] = Pyramid((grid,))

    def _output(self, stmt: ast.OutputDecl, where: str) -> None:
        if where != "network":
            raise MgNameError("`output` is only allowed in a network", stmt.span, code="E208",
                              hint="blocks hand back their result with `return`")
        outputs = self.builder.graph.graph["outputs"]
        if stmt.name in outputs:
            raise MgNameError(f"output `{stmt.name}` is declared twice", stmt.span, code="E206")
        value = self.eval(stmt.value)
        ctx = self._ctx("output", stmt.value.span)
        p = prim.as_tensor(ctx, value, "an output")
        if len(p) != 1:
            raise MgShapeError(f"an output must be one grid or vector, got a {p.describe()}",
                               stmt.value.span, code="E307",
                               hint="pick one grid, e.g. `p[0]` for the finest")
        ctx.segment = stmt.name
        g = p.grids[0]
        outputs[stmt.name] = ctx.node("output", [g], {"name": stmt.name}, g.level).node

    def _default(self, stmt: ast.Default) -> None:
        spec = prim.PRIMITIVES.get(stmt.op)
        if spec is None:
            raise MgNameError(f"`{stmt.op}` is not a built-in op", stmt.span, code="E201",
                              hint=did_you_mean(stmt.op, prim.PRIMITIVES))
        if stmt.arg not in spec.defaults_allowed:
            raise MgNameError(f"`{stmt.op}` has no optional argument `{stmt.arg}`", stmt.span,
                              code="E202",
                              hint=did_you_mean(stmt.arg, spec.defaults_allowed)
                              or f"its optional arguments: {', '.join(sorted(spec.defaults_allowed))}")
        self.frame.defaults[(stmt.op, stmt.arg)] = self.eval(stmt.value)
        self.frame.default_spans[(stmt.op, stmt.arg)] = stmt.span

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

    # ---------------------------------------------------------------------- expressions

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

    # ----------------------------------------------------------------------------- calls

    def _user_span(self, span: Span) -> Span:
        frame = self.frame
        return frame.call_span if frame.in_std and frame.call_span else span

    def _ctx(self, func: str, span: Span) -> CallContext:
        return CallContext(self, func, self._user_span(span), span, func)

    def _ctx_numbered(self, symbol: str, span: Span) -> CallContext:
        """The context of an element-wise operator: its IR segment is the symbol for the
        first use in a scope (`+`, as IR dumps have always named it) and the symbol
        numbered for later ones (`+1`, `+2`, ...); identifiers spell it out (`add1`)."""
        k = self.frame.counters.get(symbol, 0)
        self.frame.counters[symbol] = k + 1
        return CallContext(self, symbol, self._user_span(span), span,
                           symbol if k == 0 else f"{symbol}{k}")

    def call(self, expr: ast.Call) -> Any:
        name = expr.func
        if name in prim.PRIMITIVES:
            return self._call_primitive(prim.PRIMITIVES[name], expr)
        block = self.program.blocks.get(name)
        if block is not None:
            return self._call_block(block, expr)
        if name in _std_blocks():
            # the hint once per network: one missing `use` makes every std call unknown
            hint = None if self.std_hinted else (
                f'`{name}` is a block of the standard library: add `use "std.mg"` at the top '
                "of the file")
            self.std_hinted = True
        else:
            hint = (tensor_ops.known_as(name)
                    or did_you_mean(name, list(prim.PRIMITIVES) + list(self.program.blocks)))
        raise MgNameError(f"unknown function `{name}`", self._user_span(expr.func_span),
                          code="E201", hint=hint)

    def _bind(self, func: str, params: list[tuple[str, Any]], expr: ast.Call,
              variadic: bool) -> tuple[list[Any], dict[str, Any]]:
        span = self._user_span(expr.span)
        if variadic:
            return [self.eval(a) for a in expr.args], self._variadic_kwargs(func, params, expr)
        names = [p for p, _ in params]
        if len(expr.args) > len(names):
            raise MgTypeError(f"`{func}` takes at most {len(names)} argument"
                              f"{'s' * (len(names) != 1)} ({', '.join(names)}), got "
                              f"{len(expr.args)}", span, code="E408")
        bound: dict[str, Any] = {}
        for pname, arg in zip(names, expr.args, strict=False):
            bound[pname] = self.eval(arg)
        for kw in expr.kwargs:
            if kw.name not in names:
                raise MgNameError(f"`{func}` has no argument `{kw.name}`",
                                  self._user_span(kw.span), code="E202",
                                  hint=did_you_mean(kw.name, names)
                                  or f"its arguments: {', '.join(names)}")
            if kw.name in bound:
                raise MgTypeError(f"argument `{kw.name}` of `{func}` given twice",
                                  self._user_span(kw.span), code="E408")
            bound[kw.name] = self.eval(kw.value)
        return [], bound

    def _variadic_kwargs(self, func: str, params: list[tuple[str, Any]],
                         expr: ast.Call) -> dict[str, Any]:
        """The keyword arguments of a call of a built-in taking any number of values: only
        its declared ones (`max(x, over = "space")`)."""
        names = [p for p, _ in params]
        for kw in expr.kwargs:
            if kw.name not in names:
                raise MgTypeError(f"`{func}` takes no keyword argument `{kw.name}`"
                                  if names else f"`{func}` takes no keyword arguments",
                                  self._user_span(kw.span if names else expr.span), code="E408")
        return {kw.name: self.eval(kw.value) for kw in expr.kwargs}

    def _call_primitive(self, spec: prim.Primitive, expr: ast.Call) -> Any:
        positional, bound = self._bind(spec.name, list(spec.params), expr, spec.variadic)
        self._tick(expr.span, sum(len(v) for v in (*positional, *bound.values())
                                  if isinstance(v, tuple)))
        ctx = CallContext(self, spec.name, self._user_span(expr.span), expr.span,
                          self.frame.next_segment(spec.name))
        if spec.variadic:
            return spec.apply(ctx, *positional, **bound)
        from_defaults: dict[str, Span] = {}
        for pname, default in spec.params:
            if pname in bound:
                continue
            value = self.frame.default(spec.name, pname)
            if value is _MISSING:
                if default is prim.REQUIRED:
                    raise MgTypeError(f"`{spec.name}` needs argument `{pname}`", ctx.span,
                                      code="E409", hint=spec.doc)
                value = default
            else:
                from_defaults[pname] = self.frame.default_span(spec.name, pname)
            bound[pname] = value
        try:
            return spec.apply(ctx, **bound)
        except MgError as exc:
            _blame_default(exc, from_defaults, ctx.span)
            raise

    def _call_block(self, block: BlockInfo, expr: ast.Call) -> Any:
        node = block.node
        params = [(p.name, p.default) for p in node.params]
        _, bound = self._bind(node.name, params, expr, variadic=False)
        span = self._user_span(expr.span)
        if node.name in self.call_stack:
            chain = " -> ".join(self.call_stack[self.call_stack.index(node.name):] + [node.name])
            raise MgNameError(f"block `{node.name}` calls itself ({chain})", span, code="E209",
                              hint="blocks cannot be recursive; use `repeat`")
        if len(self.call_stack) >= LIMITS.max_call_depth:
            raise MgLimitError(f"blocks nested more than {LIMITS.max_call_depth} calls deep",
                               span, code="E510")
        caller = self.frame
        frame = Frame({}, caller.path + (caller.next_segment(node.name),), caller.section,
                      caller, in_std=block.is_std, call_span=span, block=node.name)
        self.frame = frame
        self.call_stack.append(node.name)
        loops, self.loops = self.loops, 0  # a `return` in the block is the block's own
        self.steps += 1
        try:
            for p in node.params:
                if p.name in bound:
                    frame.vars[p.name] = bound[p.name]
                elif p.default is not None:
                    frame.vars[p.name] = self.eval(p.default)
                else:
                    raise MgTypeError(f"block `{node.name}` needs argument `{p.name}`", span,
                                      code="E409",
                                      hint=f"`{node.name}({', '.join(n for n, _ in params)})`")
            try:
                self.exec_body(node.body, where="block")
            except _Return as ret:
                return ret.value
            raise MgTypeError(f"block `{node.name}` returns nothing", node.span, code="E410",
                              hint="end the block with `return ...`")
        except MgError as exc:
            if not block.is_std and exc.span is not None and exc.span.file == block.file:
                exc.notes.append(f"in block `{node.name}` called at {span}")
            elif block.is_std:
                if exc.span is None or exc.span.file == block.file:
                    exc.span = span  # never point into std.mg: point at the user's call
                note = f"inside standard block `{node.name}`"
                if note not in exc.notes:
                    exc.notes.append(note)
            raise
        finally:
            self.call_stack.pop()
            self.loops = loops
            self.frame = caller


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


def _assigned(stmt: ast.Stmt) -> Iterator[str]:
    if isinstance(stmt, (ast.Assign, ast.SliceAssign)):
        yield stmt.target
    elif isinstance(stmt, (ast.Repeat, ast.Section, ast.If)):
        for inner in stmt.body + (stmt.orelse if isinstance(stmt, ast.If) else ()):
            yield from _assigned(inner)
    elif isinstance(stmt, ast.InputDecl):
        yield stmt.name


def _is_literal(expr: ast.Expr | None) -> bool:
    """True for a number, string, `true`/`false` or a list of those (maybe negated)."""
    if isinstance(expr, (ast.Num, ast.Str)):
        return True
    if isinstance(expr, ast.Name):
        return expr.id in ("true", "false")
    if isinstance(expr, ast.Neg):
        return _is_literal(expr.operand)
    if isinstance(expr, ast.ListExpr):
        return all(_is_literal(item) for item in expr.items)
    return False


def _param_kind(value: Any) -> str:
    """What a parameter value is, with integers and floats alike: number, boolean, ..."""
    return "number" if type_name(value) == "integer" else type_name(value)


def elaborate(program: Program, network: str | None = None, *,
              inputs: dict[str, tuple[int, ...]] | None = None, **overrides: Any) -> nx.DiGraph:
    """Build the IR of one network of `program` (the only one when `network` is None).

    `inputs` maps input names to a `(C, H, W)` that replaces the declared size (to check
    the network at another size). Raises `MgErrors` with every problem found.
    """
    nets = program.networks
    if not nets:
        raise MgNameError("the file defines no network",
                          Span.point(program.entry.file, source=program.entry.source),
                          code="E210", hint="add `network NAME() { ... }`")
    if network is None:
        if len(nets) > 1:
            raise MgNameError(f"the file defines {len(nets)} networks; choose one",
                              nets[1].span, code="E211",
                              hint="networks: " + ", ".join(n.name for n in nets))
        net = nets[0]
    else:
        matches = [n for n in nets if n.name == network]
        if not matches:
            raise MgNameError(f"no network `{network}` in {program.entry.file}",
                              Span.point(program.entry.file, source=program.entry.source), code="E211",
                              hint=did_you_mean(network, [n.name for n in nets])
                              or "networks: " + ", ".join(n.name for n in nets),
                              subject=("network", network))
        net = matches[0]
    return Elaborator(program, net, inputs).run(dict(overrides))
