"""The built-ins `attention` and `window_attention` (ops in `mgdsl.ops.attention`).

`attention(q, k, v, heads = h)` adds one node per grid of `q`, reading every grid of `k`
and `v`: the keys may be the query grid itself, a coarser grid (spatial-reduction
attention) or a whole pyramid, whose positions are attended together (cross-scale
attention). `window_attention` adds one node per grid, like any per-grid layer.
"""

from __future__ import annotations

from mgdsl.elab.context import CallContext
from mgdsl.elab.primitives import applier, as_grids, as_int, per_grid
from mgdsl.elab.values import Grid, Pyramid
from mgdsl.errors import MgShapeError
from mgdsl.limits import LIMITS

__all__ = ["attention", "window_attention"]


def _text(g: Grid) -> str:
    return "x".join(map(str, g.shape))


def _heads_divide(ctx: CallContext, heads: int, g: Grid, i: int) -> None:
    if g.channels % heads:
        raise MgShapeError(f"{heads} heads do not divide the {g.channels} channels of grid {i} "
                           f"({_text(g)})", ctx.span, code="E351",
                           hint="each head takes channels / heads consecutive channels: "
                                "choose heads that divide the channels")


@applier("attention")
def attention(ctx: CallContext, q, k, v, heads):
    """One attention node per grid of `q`, over all grids of `k` and `v`."""
    qs, ks, vs = (as_grids(ctx, t, f"`{n}`") for t, n in ((q, "q"), (k, "k"), (v, "v")))
    heads = as_int(ctx, heads, "heads", maximum=LIMITS.max_channels)
    if not ks.grids or len(ks) != len(vs):
        raise MgShapeError(f"`k` is a {ks.describe()} but `v` is a {vs.describe()}", ctx.span,
                           code="E352", hint="keys and values come in pairs: one value grid "
                                             "of the same size per key grid")
    for i, (kg, vg) in enumerate(zip(ks.grids, vs.grids, strict=True)):
        if kg.shape[1:] != vg.shape[1:]:
            raise MgShapeError(f"key grid {i} is {kg.size_text()} but value grid {i} is "
                               f"{vg.size_text()}", ctx.span, code="E352",
                               hint="each value grid must have the size of its key grid")
    c = qs.grids[0].channels if qs.grids else ks.grids[0].channels
    for name, p in (("q", qs), ("k", ks), ("v", vs)):
        for i, g in enumerate(p.grids):
            if g.channels != c:
                raise MgShapeError(
                    f"`{name}` grid {i} has {g.channels} channels, but attention needs {c} "
                    f"in every grid of q, k and v", ctx.span, code="E350",
                    hint="project them to one channel count with 1x1 convs, e.g. "
                         f"`conv({name}, {c}, 1)`")
    for i, g in enumerate(qs.grids):
        _heads_divide(ctx, heads, g, i)
    kv = [*ks.grids, *vs.grids]
    return Pyramid(tuple(ctx.node("attention", [g, *kv], {"heads": heads}, g.level)
                         for g in qs.grids))


@applier("window_attention")
def window_attention(ctx: CallContext, x, heads, window, shift):
    """One window_attention node per grid (heads one value or one per grid)."""
    p = as_grids(ctx, x)
    heads_list = per_grid(ctx, heads, len(p), "heads")
    window = as_int(ctx, window, "window", maximum=LIMITS.max_resolution)
    shift = as_int(ctx, shift, "shift", minimum=0, maximum=LIMITS.max_resolution)
    if shift >= window:
        raise MgShapeError(f"a shift of {shift} is not below the window {window}", ctx.span,
                           code="E353", hint=f"Swin shifts by half a window: shift = "
                                             f"{window // 2}")
    out = []
    for i, (g, h) in enumerate(zip(p.grids, heads_list, strict=True)):
        h = as_int(ctx, h, "heads", maximum=LIMITS.max_channels)
        _heads_divide(ctx, h, g, i)
        args = {"heads": h, "window": window, "shift": shift}
        out.append(ctx.node("window_attention", [g], args, g.level))
    return Pyramid(tuple(out))
