"""Calls in the elaborator: built-in ops and blocks, argument binding, `default` values
and the spans errors point at (the user's call, never inside `std.mg`)."""

from __future__ import annotations

import functools
from typing import Any

from mgdsl.elab import primitives as prim
from mgdsl.elab import tensor_ops
from mgdsl.elab.context import CallContext
from mgdsl.elab.frame import _MISSING, Frame, _Return
from mgdsl.elab.program import BlockInfo, stdlib_dir
from mgdsl.errors import MgError, MgLimitError, MgNameError, MgTypeError, Span, did_you_mean
from mgdsl.limits import LIMITS
from mgdsl.syntax import ast
from mgdsl.syntax.parser import parse_file

__all__ = ["Calls"]


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


class Calls:
    """The call part of `Elaborator` (mixed into it)."""

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
