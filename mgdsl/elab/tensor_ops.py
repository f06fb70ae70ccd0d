"""The built-ins of the ops for today's multi-scale networks (issue 23): reductions that
keep a grid (`mean`, `sum`, `max` with `over`), learned tensors (`param`, `w[i]`),
channel split (`split`), adaptive pooling (`avgpool`/`maxpool` with `output`) and
`space_to_depth` / `depth_to_space`; and the rules they add to indexing and to the
element-wise operators (a grid on no level, such as a learned tensor, broadcasts onto
every grid of the other side).

Registered after the paper's built-ins: `mgdsl.elab` imports this module, so importing any
part of the package registers them.
"""

from __future__ import annotations

from typing import Any

from mgdsl.elab import primitives as prim
from mgdsl.elab.context import CallContext
from mgdsl.elab.levels import is_learned
from mgdsl.elab.values import Pyramid, a_type
from mgdsl.errors import MgShapeError, MgTypeError
from mgdsl.limits import LIMITS
from mgdsl.ops import REQUIRED
from mgdsl.ops.reduce import OVER

__all__ = ["is_learned", "narrow", "slice_hint", "known_as"]


# -------------------------------------------------------------------- space and channels


def _factor(ctx: CallContext, factor: Any) -> int:
    return prim.as_int(ctx, factor, "factor", maximum=64)


@prim.applier("space_to_depth")
def space_to_depth(ctx: CallContext, x, factor):
    """One space_to_depth node per grid; the grid that many levels coarser (a power of two)."""
    p = prim.as_grids(ctx, x)
    r = _factor(ctx, factor)
    out = []
    for i, g in enumerate(p.grids):
        if g.shape[1] % r or g.shape[2] % r:
            raise MgShapeError(f"`space_to_depth` by {r} needs a size divisible by {r}, but grid "
                               f"{i} is {g.size_text()}", ctx.span, code="E333",
                               hint="pad or crop the grid, or choose a factor that divides "
                                    "its size")
        out.append(ctx.node("space_to_depth", [g], {"factor": r},
                            prim._level_shift(ctx, g.level, r, +1)))
    return Pyramid(tuple(out))


@prim.applier("depth_to_space")
def depth_to_space(ctx: CallContext, x, factor):
    """One depth_to_space node per grid; the grid that many levels finer (a power of two)."""
    p = prim.as_grids(ctx, x)
    r = _factor(ctx, factor)
    out = []
    for i, g in enumerate(p.grids):
        if g.channels % (r * r):
            raise MgShapeError(f"`depth_to_space` by {r} needs channels divisible by {r * r}, "
                               f"but grid {i} has {g.channels}", ctx.span, code="E333",
                               hint=f"make the channels a multiple of {r * r} (a 1x1 conv)")
        out.append(ctx.node("depth_to_space", [g], {"factor": r},
                            prim._level_shift(ctx, g.level, r, -1)))
    return Pyramid(tuple(out))


# ------------------------------------------------------------------------ learned tensors


@prim.primitive("param", ("n", REQUIRED), ("init", 1.0), example="x * param(4, init = 1e-6)",
                shape_doc="`n x 1 x 1`, on no level")
def param(ctx: CallContext, n, init):
    """param(n, init = 1): n learned scalars, all starting at `init`, as an n x 1 x 1 tensor
    on no level: `x * param(channels(x)[0], init = 1e-6)` scales every channel (layer
    scale), `w[i]` is one of them, `relu(w)` and `sum(w)` work on them."""
    count = prim.as_int(ctx, n, "the number of values", maximum=LIMITS.max_channels * 16)
    value = prim.as_float(ctx, init, "init")
    return Pyramid((ctx.node("learned", [], {"n": count, "init": value}, None),))


def narrow(ctx: CallContext, value: Pyramid, lo: int, hi: int) -> Pyramid:
    """Values `lo` to `hi - 1` of a learned tensor (`w[i]`, `w[a:b]`)."""
    g = value.grids[0]
    ctx.segment = ctx.elab.frame.next_segment("select")
    if hi <= lo:
        raise MgShapeError("the slice of a learned tensor is empty", ctx.span, code="E308")
    return Pyramid((ctx.node("narrow", [g], {"start": lo, "ch": hi - lo}, g.level),))


def slice_hint(exc: MgShapeError, value: Pyramid) -> None:
    """Say, on an index or slice out of range of a grid, that indexes pick grids and
    `split` picks channels."""
    if len(value) == 1 and len(value.grids[0].shape) == 3:
        exc.hint = (f"indexes and slices pick grids of a pyramid (this is one grid of "
                    f"{value.grids[0].channels} channels); `split(x, [c1, c2, ...])` picks "
                    "channels")


@prim.primitive("split", ("x", REQUIRED), ("sizes", REQUIRED), example="split(x, [1, 3])",
                shape_doc="one `c_i x H x W` grid per size")
def split(ctx: CallContext, x, sizes):
    """split(x, sizes): the channels of grid `x` cut into consecutive groups of `sizes`
    (a list adding up to the channels, or one number: groups of that many, the last one
    smaller if it does not divide), as grids on x's level: `s[i]`, `len(s)`."""
    p = prim.as_grids(ctx, x)
    if len(p) != 1:
        raise MgShapeError(f"`split` cuts one grid, got a {p.describe()}", ctx.span,
                           code="E307", hint="split one grid at a time, e.g. `split(p[0], ...)`")
    g = p.grids[0]
    if isinstance(sizes, tuple):
        parts = [prim.as_int(ctx, s, "a group size", maximum=LIMITS.max_channels * 16)
                 for s in sizes]
        if sum(parts) != g.channels:
            raise MgShapeError(f"the group sizes {list(parts)} add up to {sum(parts)}, but the "
                               f"grid has {g.channels} channels", ctx.span, code="E330",
                               hint="the sizes must add up to the channels (`channels(x)[0]`)")
    else:
        size = prim.as_int(ctx, sizes, "the group size", maximum=LIMITS.max_channels * 16)
        parts = [min(size, g.channels - s) for s in range(0, g.channels, size)]
    out, start = [], 0
    for c in parts:
        out.append(g if c == g.channels else
                   ctx.node("narrow", [g], {"start": start, "ch": c}, g.level))
        start += c
    return Pyramid(tuple(out))


# ------------------------------------------------------------------------------ reductions


def _numbers(ctx: CallContext, name: str, xs: tuple) -> tuple:
    values = xs[0] if len(xs) == 1 and isinstance(xs[0], tuple) else xs
    if not values:
        raise MgTypeError(f"`{name}` needs at least one value", ctx.span, code="E405")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise MgTypeError(f"`{name}` takes numbers or tensors, got {a_type(v)}", ctx.span,
                              code="E401")
    return values


def _reduce(ctx: CallContext, fn: str, xs: tuple, over: Any) -> Pyramid:
    if len(xs) != 1:
        raise MgTypeError(f"`{fn}` of a tensor takes one tensor, got {len(xs)} values",
                          ctx.span, code="E408",
                          hint=f'write `{fn}(x, over = "channels")` or `over = "space"`')
    p = prim.as_tensor(ctx, xs[0])
    if over is None:
        if not is_learned(p):
            raise MgTypeError(f"`{fn}` of a grid needs `over`", ctx.span, code="E331",
                              hint=f'`{fn}(x, over = "channels")` gives a 1 x H x W grid, '
                                   f'`{fn}(x, over = "space")` a C x 1 x 1 grid')
        over = "channels"
    over = prim.as_choice(ctx, over, "over", OVER)
    out = []
    for g in p.grids:
        if len(g.shape) != 3:
            raise MgShapeError(f"`{fn}` needs grids, got a vector", ctx.span, code="E306",
                               hint="reduce before `flatten`")
        out.append(ctx.node("reduce", [g], {"fn": fn, "over": over}, g.level))
    return Pyramid(tuple(out))


def _reduction(name: str, numbers):
    fold = prim.PRIMITIVES[name].apply if name in prim.PRIMITIVES else None

    def apply(ctx: CallContext, *xs, over=None):
        if xs and isinstance(xs[0], Pyramid):
            return _reduce(ctx, name, xs, over)
        if over is not None:
            raise MgTypeError(f"`over` applies to tensors, and `{name}` got {a_type(xs[0])}"
                              if xs else f"`{name}` needs a tensor for `over`", ctx.span,
                              code="E331", hint=f"`{name}` of numbers takes no `over`")
        if fold is not None:
            return fold(ctx, *xs)
        return numbers(_numbers(ctx, name, xs))

    return apply


def _register(name: str, numbers, doc: str, shape_doc: str, example: str) -> None:
    apply = _reduction(name, numbers)
    apply.__doc__ = doc
    prim.primitive(name, ("over", None), variadic=True, shape_doc=shape_doc,
                   example=example)(apply)


_register("max", max, 'max(a, b, ..., over = none): the maximum of numbers (or of one '
                      'list); of a tensor, its maximum over "channels" (a 1 x H x W grid per '
                      'grid) or "space" (C x 1 x 1).',
          'a number; of a tensor, per grid `1 x H x W` (`over = "channels"`) or `C x 1 x 1` '
          '(`over = "space"`)', "max(3, len(p))")
_register("mean", lambda v: sum(v) / len(v),
          'mean(a, b, ..., over = none): the mean of numbers (or of one list); of a tensor, '
          'its mean over "channels" (a 1 x H x W grid per grid) or "space" (C x 1 x 1, like '
          '`gap`); of a learned tensor, of its values.', "as `max`", 'mean(p, over = "space")')
_register("sum", sum, 'sum(a, b, ..., over = none): the sum of numbers (or of one list); of '
                      'a tensor, its sum over "channels" (a 1 x H x W grid per grid) or '
                      '"space" (C x 1 x 1); of a learned tensor, of its values (`sum(w)`).',
          "as `max`; of a learned tensor `1 x 1 x 1`", "sum(param(3, init = 0.5))")


# ------------------------------------------------------------------- PyTorch's spellings

# names a PyTorch user may reach for, and the built-in that does it here
_KNOWN_AS = {
    "ln": "layernorm", "layer_norm": "layernorm", "LayerNorm": "layernorm",
    "LayerNorm2d": "layernorm", "batchnorm": "bn", "batch_norm": "bn", "BatchNorm2d": "bn",
    "GroupNorm": "groupnorm", "group_norm": "groupnorm", "Conv2d": "conv",
    "conv2d": "conv", "ConvTranspose2d": "deconv", "Linear": "linear",
    "adaptive_avg_pool2d": "avgpool", "AdaptiveAvgPool2d": "avgpool",
    "adaptive_max_pool2d": "maxpool", "AdaptiveMaxPool2d": "maxpool",
    "avg_pool2d": "avgpool", "max_pool2d": "maxpool", "pixel_unshuffle": "space_to_depth",
    "pixel_shuffle": "depth_to_space", "chunk": "split", "narrow": "split",
    "Parameter": "param", "cat": "concat", "interpolate": "upsample", "amax": "max",
    "Upsample": "upsample",
}


def known_as(name: str) -> str | None:
    """A hint for an unknown function that PyTorch spells `name`: the built-in to use."""
    target = _KNOWN_AS.get(name)
    if target is None or target not in prim.PRIMITIVES:
        return None
    return f"here it is `{prim.PRIMITIVES[target].signature}`"
