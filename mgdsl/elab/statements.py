"""Statements of the elaborator: assignments, `repeat`, `if`, sections, inputs, outputs,
`default` and `return`.

Errors. A statement that fails is recorded and its targets become poisoned; statements
that read a poisoned variable are skipped silently, so one mistake is reported once and
independent mistakes are all reported together.
"""

from __future__ import annotations

from collections.abc import Iterator

from mgdsl.elab import primitives as prim
from mgdsl.elab.frame import Frame, _Return, _Skip
from mgdsl.elab.inputs import pyramid_input
from mgdsl.elab.values import POISON, Pyramid
from mgdsl.errors import (
    MgError,
    MgLimitError,
    MgNameError,
    MgShapeError,
    MgTypeError,
    Span,
    did_you_mean,
)
from mgdsl.limits import LIMITS
from mgdsl.syntax import ast

__all__ = ["Statements"]

# limits hit while building (not while checking an argument): elaboration stops there
FATAL_LIMITS = frozenset({"E503", "E507", "E508", "E510"})


class Statements:
    """The statement half of `Elaborator` (mixed into it): runs bodies statement by statement."""

    errors: list[MgError]
    frame: Frame
    steps: int
    loops: int
    input_sizes: dict[str, tuple[int, ...]]

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
        if stmt.pyramid:
            return pyramid_input(self, stmt, where)
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


def _assigned(stmt: ast.Stmt) -> Iterator[str]:
    if isinstance(stmt, (ast.Assign, ast.SliceAssign)):
        yield stmt.target
    elif isinstance(stmt, (ast.Repeat, ast.Section, ast.If)):
        for inner in stmt.body + (stmt.orelse if isinstance(stmt, ast.If) else ()):
            yield from _assigned(inner)
    elif isinstance(stmt, ast.InputDecl):
        yield stmt.name
