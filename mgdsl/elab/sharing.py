"""Elaborating `shared = true` and `shared = "name"` (see `mgdsl.ops.sharing`).

`wrap` gives the built-in of an op with parameters a `shared` argument: the call runs
with a `Share` on its context, and `Share.link` (called by `CallContext.node` for every
node the call adds) makes the first node of the share the owner of the weights and marks
every later node `shares = owner`. Nodes that share weights must be the same layer: the
same op, arguments and input channels (E355 otherwise).

`shared = true` shares among the grids of one call; a name shares among every call that
gives it in one variable scope (a network with its sections and repeats, or one block
call): a block that applies one MLP twice keeps one MLP per call of the block.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mgdsl.elab.values import Grid, a_type
from mgdsl.errors import MgShapeError, MgTypeError, Span
from mgdsl.ops import OPS, SHARES, OpSpec
from mgdsl.ops.sharing import shareable
from mgdsl.syntax.literal import mg_literal

__all__ = ["Share", "wrap"]


@dataclass
class _Owner:
    node: int
    op: str
    key: tuple
    span: Span


@dataclass
class Share:
    """One set of shared weights being used by a call: its owner once the first node is
    added; `what` names it in messages."""

    what: str
    owner: _Owner | None = None
    uses: list[int] = field(default_factory=list)

    def link(self, ctx: Any, op: str, args: dict[str, Any], inputs: list[Grid]) -> dict[str, Any]:
        """`args` of a new node, with `shares` when an owner exists (E355 when the node is
        another layer than the owner)."""
        key = (op, tuple(sorted(args.items())), tuple(g.shape[0] for g in inputs))
        if self.owner is None:
            self.owner = _Owner(-1, op, key, ctx.span)
            return args
        if key != self.owner.key:
            raise MgShapeError(
                f"{self.what} cannot share weights between {_difference(self.owner.key, key)}",
                ctx.span, code="E355",
                notes=[f"the weights were first used at {self.owner.span}"]
                if self.owner.span != ctx.span else [],
                hint="shared weights need one layer: the grids must agree in channels and "
                     "the arguments must be one value for all grids")
        return {**args, SHARES: self.owner.node}

    def added(self, node: int) -> None:
        """Record the id of the node just added (the owner's, when it is the first)."""
        if self.owner is not None and self.owner.node == -1:
            self.owner.node = node


def _difference(first: tuple, other: tuple) -> str:
    """How two layers differ: "a `conv` of 16 input channels and one of 32"."""
    (op1, args1, ch1), (op2, args2, ch2) = first, other
    if op1 != op2:
        return f"a `{op1}` and a `{op2}`"
    if ch1 != ch2:
        return (f"a `{op1}` of {', '.join(map(str, ch1))} input channels and one of "
                f"{', '.join(map(str, ch2))}")
    a, b = dict(args1), dict(args2)
    keys = [k for k in sorted({*a, *b}) if a.get(k) != b.get(k)]

    def text(d: dict) -> str:
        return ", ".join(f"{k} = {mg_literal(d[k])}" if k in d else f"no {k}" for k in keys)

    return f"a `{op1}` with {text(a)} and one with {text(b)}"


def _scope_shares(ctx: Any) -> dict[tuple[int, str], tuple[dict, Share]]:
    table = getattr(ctx.elab, "named_shares", None)
    if table is None:
        table = ctx.elab.named_shares = {}
    return table


def _share_for(ctx: Any, shared: Any) -> Share | None:
    if shared is False:
        return None
    if shared is True:
        return Share(f"`{ctx.func}` with `shared = true`")
    if not isinstance(shared, str) or not shared:
        raise MgTypeError(f"`shared` must be `true`, `false` or a name in quotes, got "
                          f"{a_type(shared)}", ctx.span, code="E401",
                          hint='`shared = true` shares among the grids of one call, '
                               '`shared = "mlp1"` among every call naming "mlp1"')
    scope = ctx.elab.frame.vars  # the variable scope: one per network and per block call
    table = _scope_shares(ctx)
    entry = table.get((id(scope), shared))
    if entry is None:  # the scope is kept in the entry, so its id is never reused
        entry = table[(id(scope), shared)] = (scope, Share(f'`shared = "{shared}"`'))
    return entry[1]


def wrap(spec: OpSpec, fn: Callable[..., Any]) -> Callable[..., Any]:
    """The built-in `fn` of op `spec` with a `shared` argument when the op has
    parameters (`fn` itself otherwise)."""
    if not shareable(OPS[spec.name]):
        return fn

    @functools.wraps(fn)
    def apply(ctx, *args, shared, **kwargs):
        share = _share_for(ctx, shared)
        ctx.share = share
        try:
            return fn(ctx, *args, **kwargs)
        finally:
            ctx.share = None

    sig = inspect.signature(fn)
    extra = inspect.Parameter("shared", inspect.Parameter.KEYWORD_ONLY)
    params = [p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
    apply.__signature__ = sig.replace(parameters=[*params, extra])
    return apply
