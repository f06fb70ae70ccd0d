"""Grids on no pyramid level in element-wise operators: a learned tensor (`param(n)`) or
an adaptively pooled grid (`avgpool(x, output = 6)`) has level None, and `+ - * /`
repeat it for every grid of the other side, whose levels the result takes; and the E303
message when two sides' levels differ."""

from __future__ import annotations

from typing import Any

from mgdsl.elab.context import CallContext
from mgdsl.elab.values import Grid, Pyramid
from mgdsl.errors import MgShapeError

__all__ = ["is_learned", "align_off_level", "levels_differ"]


def is_learned(value: Any) -> bool:
    """Whether `value` is one learned tensor (`param(n)`, or computed from such alone)."""
    return isinstance(value, Pyramid) and len(value) == 1 and value.grids[0].learned


def _off_level(p: Pyramid) -> bool:
    """One spatial grid on no level: a learned tensor or an adaptively pooled grid."""
    return len(p) == 1 and p.grids[0].level is None and len(p.grids[0].shape) == 3


def align_off_level(a: Pyramid, b: Pyramid) -> tuple[Pyramid, Pyramid]:
    """`a` and `b` for an element-wise op: a side that is one grid on no level (a learned
    tensor, an adaptively pooled grid) is repeated for every grid of the other side, so
    it scales (or is added to) each of them; otherwise both unchanged."""
    if a.levels == b.levels:
        return a, b
    if _off_level(a) and len(b) and not _off_level(b):
        return _repeat(a, b), b
    if _off_level(b) and len(a) and not _off_level(a):
        return a, _repeat(b, a)
    return a, b


def _repeat(one: Pyramid, like: Pyramid) -> Pyramid:
    """The single grid of `one` once per grid of `like`, on `like`'s levels (the node is
    the same: only the level the operator gives its result changes)."""
    g = one.grids[0]
    return Pyramid(tuple(Grid(g.node, other.level, g.shape, g.learned) for other in like.grids))


def levels_differ(ctx: CallContext, verb: str, a: Pyramid, b: Pyramid) -> MgShapeError:
    """E303 for `a op b` whose levels differ, saying what the levels are and why."""
    la, lb = list(a.levels), list(b.levels)
    where = (f"levels {la} and {lb}" if len(a) > 1 or len(b) > 1
             else f"level {la[0]} and level {lb[0]}")
    same = len(a) == len(b) == 1 and a.grids[0].shape[1:] == b.grids[0].shape[1:]
    why = ("; the sizes agree, but a level counts halvings from the input (a plain `input` is "
           "on level 0 whatever its size; `input p: pyramid [...]` puts its grids on levels "
           "0, 1, ...), and strides, pooling and `upsample` move it" if same else "")
    return MgShapeError(f"cannot {verb} a {a.describe()} and a {b.describe()}: their levels "
                        f"differ ({where}){why}", ctx.span, code="E303",
                        hint="give both sides the same grids (slice them), or bring one to the "
                             "other's level: `upsample(y, like = x)` takes x's")
