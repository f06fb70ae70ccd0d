"""The built-in functions of the `.mg` language and how each one adds IR nodes.

A primitive applies grid by grid unless it is cross-scale (`pyramid`, `concat`, `+`).
Per-grid arguments (channels, kernel sizes, ...) take one value for every grid or a
list with one value per grid. Composite blocks (mg-conv, residual units, multigrid
pooling) are not here: they are written in `.mg` in the standard library (`std.mg`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mgdsl.elab.context import CallContext
from mgdsl.elab.levels import align_off_level, levels_differ
from mgdsl.elab.sharing import wrap
from mgdsl.elab.values import Grid, Pyramid, a_type
from mgdsl.errors import MgLimitError, MgShapeError, MgTypeError
from mgdsl.limits import LIMITS
from mgdsl.ops import OPS, REQUIRED, SHARED, OpSpec, Param
from mgdsl.ops.merge import broadcast_shape


@dataclass(frozen=True)
class Primitive:
    """A built-in function: its parameters (name -> default, REQUIRED if none), whether
    it takes any number of positional tensors, the Python function that applies it, its
    signature as the language writes calls, and `doc`: the signature, then what it does.
    `shape_doc` (its result's shape in words) and `example` (a call reading the language
    reference's `x`, `p`, `v`) document it: an op's come from its `OpSpec`, a language
    function's from its `@primitive` registration."""

    name: str
    params: tuple[tuple[str, Any], ...]
    apply: Callable[..., Any]
    variadic: bool = False
    doc: str = ""
    defaults_allowed: frozenset[str] = field(default_factory=frozenset)
    signature: str = ""
    shape_doc: str = ""
    example: str = ""

    def summary(self) -> str:
        """What the built-in does: its `doc` after the signature."""
        rest = self.doc[len(self.signature):] if self.doc.startswith(self.signature) else self.doc
        return rest.lstrip(": ").strip()


PRIMITIVES: dict[str, Primitive] = {}

# the appliers of the op built-ins that do more than apply the op to every grid
# (`OpSpec.own_applier`), by op name
APPLIERS: dict[str, Callable[..., Any]] = {}


def _summary(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line (a signature may wrap)."""
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def _split_signature(name: str, doc: str) -> str:
    """The `name(args)` a docstring `name(args): what it does` starts with."""
    depth = 0
    for i, char in enumerate(doc):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ")" and depth == 0 and doc.startswith(name + "("):
            return doc[: i + 1]
    return f"{name}(...)"


def primitive(name: str, *params: tuple[str, Any], variadic: bool = False,
              shape_doc: str = "", example: str = ""):
    """Register the decorated function as the built-in `name` with `params`; its
    docstring starts with its signature; `shape_doc` and `example` document its result.
    For language functions that are not IR ops: an op's built-in is declared by its spec
    (`applier`, `_table_builtin`)."""

    def register(fn):
        doc = _summary(fn.__doc__)
        PRIMITIVES[name] = Primitive(
            name, tuple(params), fn, variadic, doc,
            frozenset(p for p, d in params if d is not REQUIRED), _split_signature(name, doc),
            shape_doc, example,
        )
        return fn

    return register


def _register_op(spec: OpSpec, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register `fn` as the built-in of `spec`, with the signature and doc of the spec
    (with the `shared` argument of an op with parameters: `sharing.wrap`); returns the
    function registered."""
    params = spec.builtin or ()
    fn = wrap(spec, fn)
    PRIMITIVES[spec.name] = Primitive(
        spec.name, tuple((p.name, p.default) for p in params if not p.variadic), fn,
        any(p.variadic for p in params), spec.usage(),
        frozenset(p.name for p in params if p.default is not REQUIRED and not p.variadic),
        spec.signature(), spec.shape_text(), spec.example,
    )
    return fn


def applier(name: str):
    """Register the decorated function as the built-in of op `name`, whose spec declares
    its signature (`OpSpec.builtin`, `own_applier`); the function takes the call context
    and one Python parameter per `Param`."""

    def register(fn):
        APPLIERS[name] = _register_op(OPS[name], fn)
        return fn

    return register


# ------------------------------------------------------------------------ argument checks


def as_int(ctx: CallContext, value: Any, what: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """`value` as an integer >= `minimum`; integral floats are accepted, others are errors."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MgTypeError(f"{what} must be an integer, got {a_type(value)}", ctx.span,
                          code="E401")
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise MgTypeError(f"{what} must be an integer, got {value:g}", ctx.span, code="E402",
                              hint="use `//` to round down, or choose values that divide exactly")
        value = int(value)
    if value < minimum:
        raise MgTypeError(f"{what} must be at least {minimum}, got {value}", ctx.span, code="E403")
    if maximum is not None and value > maximum:
        raise MgLimitError(f"{what} is {value:,}, above the limit of {maximum:,}", ctx.span,
                           code="E504", hint="raise the matching limit in mgdsl.limits.LIMITS")
    return value


def as_float(ctx: CallContext, value: Any, what: str) -> float:
    """`value` as a finite float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MgTypeError(f"{what} must be a number, got {value!r}", ctx.span, code="E401")
    return float(value)


def as_bool(ctx: CallContext, value: Any, what: str) -> bool:
    """`value` as a boolean (`true` / `false`)."""
    if not isinstance(value, bool):
        raise MgTypeError(f"{what} must be `true` or `false`, got {value!r}", ctx.span, code="E401")
    return value


def as_choice(ctx: CallContext, value: Any, what: str, choices: Sequence[str]) -> str:
    """`value` as one of the strings `choices`."""
    if value not in choices:
        raise MgTypeError(f"{what} must be one of {', '.join(repr(c) for c in choices)}, "
                          f"got {value!r}", ctx.span, code="E401")
    return value


def choices(op: str, name: str) -> tuple[str, ...]:
    """The strings argument `name` of op `op`'s built-in takes (its `Param.choices`)."""
    return next(p.choices for p in OPS[op].builtin or () if p.name == name)


def as_tensor(ctx: CallContext, value: Any, what: str = "argument") -> Pyramid:
    """`value` as a pyramid (a grid is a one-grid pyramid)."""
    if not isinstance(value, Pyramid):
        raise MgTypeError(f"{what} of `{ctx.func}` must be a grid or pyramid, got "
                          f"{a_type(value)}", ctx.span, code="E404")
    return value


def as_grids(ctx: CallContext, value: Any, what: str = "argument") -> Pyramid:
    """`value` as a pyramid of spatial grids (not vectors); it may be empty (`p[:-1]` of a
    one-grid pyramid), in which case per-grid ops return an empty pyramid too."""
    p = as_tensor(ctx, value, what)
    if any(g.learned for g in p.grids):
        raise MgShapeError(f"`{ctx.func}` needs grids, got a learned tensor", ctx.span,
                           code="E334", hint="a learned tensor (`param(n)`) scales or weighs "
                                             "grids: multiply or divide a grid by it")
    if any(len(g.shape) != 3 for g in p.grids):
        raise MgShapeError(f"`{ctx.func}` needs spatial grids, got a vector", ctx.span,
                           code="E306", hint="vectors come from `flatten`; apply it last")
    return p


def per_grid(ctx: CallContext, value: Any, n: int, what: str) -> list[Any]:
    """One value per grid: a scalar is repeated, a list must have `n` items."""
    if isinstance(value, tuple):
        if len(value) != n:
            raise MgShapeError(
                f"{what} lists {len(value)} value{'s' * (len(value) != 1)} for a pyramid of "
                f"{n} grid{'s' * (n != 1)}", ctx.span, code="E307",
                hint=f"give one value per grid, finest first, or one value for all {n}")
        return list(value)
    return [value] * n


def _level_shift(ctx: CallContext, level: int | None, factor: int, sign: int) -> int | None:
    if level is None:
        return None
    if factor & (factor - 1):
        return level  # a non-power-of-two stride keeps the level label
    return level + sign * (factor.bit_length() - 1)


# ------------------------------------------------------------------------------ per grid


def _divides(ctx: CallContext, groups: int, channels: int, what: str) -> None:
    if channels % groups:
        raise MgShapeError(f"{groups} groups do not divide the {channels} {what} channels",
                           ctx.span, code="E321",
                           hint="`groups` must divide the input and the output channels "
                                "(depthwise: `groups = ch` of the input)")


@applier("conv")
def conv(ctx: CallContext, x, ch, k, stride, pad, bias, groups, dilation):
    """One conv node per grid; a power-of-two stride makes the grid that many levels
    coarser, and `pad` -1 stands for its computed default."""
    p = as_grids(ctx, x)
    n = len(p)
    chs = per_grid(ctx, ch, n, "channels")
    ks = per_grid(ctx, k, n, "kernel sizes")
    strides = per_grid(ctx, stride, n, "strides")
    pads = per_grid(ctx, pad, n, "paddings")
    group_list = per_grid(ctx, groups, n, "groups")
    dilations = per_grid(ctx, dilation, n, "dilations")
    bias = as_bool(ctx, bias, "bias")
    out = []
    for g, c, kk, s, pp, gr, d in zip(p.grids, chs, ks, strides, pads, group_list, dilations,
                                      strict=True):
        kk = as_int(ctx, kk, "kernel size", maximum=LIMITS.max_resolution)
        s = as_int(ctx, s, "stride", maximum=LIMITS.max_resolution)
        d = as_int(ctx, d, "dilation", maximum=LIMITS.max_resolution)
        pp = d * (kk // 2) * (kk % 2) if pp == -1 else as_int(ctx, pp, "padding", minimum=0,
                                                   maximum=LIMITS.max_resolution)
        c = as_int(ctx, c, "channels", maximum=LIMITS.max_channels)
        gr = as_int(ctx, gr, "groups", maximum=LIMITS.max_channels)
        _divides(ctx, gr, g.channels, "input")
        _divides(ctx, gr, c, "output")
        args = {"out_ch": c, "k": kk, "stride": s, "pad": pp, "bias": bias, "groups": gr,
                "dilation": d}
        out.append(ctx.node("conv", [g], args, _level_shift(ctx, g.level, s, +1)))
    return Pyramid(tuple(out))


@applier("deconv")
def deconv(ctx: CallContext, x, ch, k, stride, pad, bias, output_padding):
    """One deconv node per grid (one stride for all), the grid that many levels finer."""
    p = as_grids(ctx, x)
    n = len(p)
    chs = per_grid(ctx, ch, n, "channels")
    ks = per_grid(ctx, k, n, "kernel sizes")
    bias = as_bool(ctx, bias, "bias")
    s = as_int(ctx, stride, "stride", maximum=64)
    pad = as_int(ctx, pad, "padding", minimum=0, maximum=LIMITS.max_resolution)
    extra = as_int(ctx, output_padding, "output_padding", minimum=0, maximum=64)
    if extra >= s:
        raise MgShapeError(f"output_padding {extra} must be below the stride {s}", ctx.span,
                           code="E322", hint="it adds at most stride - 1 rows and columns")
    out = []
    for g, c, kk in zip(p.grids, chs, ks, strict=True):
        args = {"out_ch": as_int(ctx, c, "channels", maximum=LIMITS.max_channels),
                "k": as_int(ctx, kk, "kernel size", maximum=LIMITS.max_resolution),
                "stride": s, "pad": pad, "output_padding": extra, "bias": bias}
        out.append(ctx.node("deconv", [g], args, _level_shift(ctx, g.level, s, -1)))
    return Pyramid(tuple(out))


@applier("bn")
def bn(ctx: CallContext, x, eps, momentum, gamma):
    """One bn node per grid, with one set of arguments for all grids."""
    p = as_grids(ctx, x)
    args = {"eps": as_float(ctx, eps, "eps"), "momentum": as_float(ctx, momentum, "momentum"),
            "gamma": as_choice(ctx, gamma, "gamma", choices("bn", "gamma"))}
    if not 0 < args["eps"] < 1:
        raise MgTypeError(f"eps must be between 0 and 1, got {eps}", ctx.span, code="E403")
    return Pyramid(tuple(ctx.node("bn", [g], dict(args), g.level) for g in p.grids))


def _convert(ctx: CallContext, param: Param, value: Any) -> Any:
    """A per-grid argument of a table built-in, checked by its kind."""
    if param.kind == "int":
        return as_int(ctx, value, param.name, maximum=LIMITS.max_channels * 16)
    if param.kind == "bool":
        return as_bool(ctx, value, param.name)
    if param.kind == "choice":
        return as_choice(ctx, value, param.name, param.choices)
    number = as_float(ctx, value, param.name)
    if param.kind == "fraction" and not 0 <= number < 1:
        raise MgTypeError(f"{param.name} must be at least 0 and below 1, got {value}",
                          ctx.span, code="E403")
    return number


def _table_builtin(spec: OpSpec) -> None:
    """Register the built-in of an op whose spec declares one (`OpSpec.builtin`) and no
    applier of its own: the op applied to every grid, its other arguments one value or
    one per grid."""
    first, *rest = (p for p in spec.builtin or () if p is not SHARED)  # `shared`: wrap

    def apply(ctx: CallContext, **bound):
        x = bound[first.name]
        p = as_grids(ctx, x) if first.kind == "grids" else as_tensor(ctx, x)
        lists = [per_grid(ctx, bound[prm.name], len(p), prm.name) for prm in rest]
        out = []
        for i, g in enumerate(p.grids):
            args = {prm.name: _convert(ctx, prm, vs[i]) for prm, vs in zip(rest, lists, strict=True)}
            problem = spec.check(args, g.shape) if spec.check else None
            if problem:
                raise MgShapeError(f"`{spec.name}` cannot apply to grid {i} "
                                   f"({'x'.join(map(str, g.shape))}): {problem[0]}", ctx.span,
                                   code="E320", hint=problem[1])
            out.append(ctx.node(spec.name, [g], args, g.level))
        return Pyramid(tuple(out))

    apply.__doc__ = spec.usage()
    _register_op(spec, apply)


# registered here, between `bn` and `maxpool`, to keep the language's order of built-ins
for _spec in OPS.values():
    if _spec.builtin is not None and not _spec.own_applier:
        _table_builtin(_spec)


def _pool(op: str):
    def apply(ctx: CallContext, x, k, stride, pad, ceil, output):
        p = as_grids(ctx, x)
        if output is not None:
            return adaptive_pool(ctx, op, p, output, k, stride, pad, ceil)
        k = as_int(ctx, k, "pooling size", maximum=LIMITS.max_resolution)
        s = k if stride == -1 else as_int(ctx, stride, "stride", maximum=LIMITS.max_resolution)
        pad = as_int(ctx, pad, "padding", minimum=0, maximum=k // 2)
        args = {"k": k, "stride": s, "pad": pad, "ceil": as_bool(ctx, ceil, "ceil")}
        return Pyramid(tuple(ctx.node(op, [g], dict(args), _level_shift(ctx, g.level, s, +1))
                             for g in p.grids))

    apply.__doc__ = (f"One {op} node per grid (one set of arguments for all); a power-of-two "
                     "stride makes the grid that many levels coarser; `stride` -1 stands for k.")
    return applier(op)(apply)


_pool("maxpool")
_pool("avgpool")


def adaptive_pool(ctx: CallContext, op: str, p: Pyramid, output: Any, k: Any, stride: Any,
                  pad: Any, ceil: Any) -> Pyramid:
    """`avgpool(x, output = s)` / `maxpool(x, output = [h, w])`: one adaptive pooling
    node per grid, each `s x s` (or `h x w`) at every input size, on no level."""
    if k != 2 or stride != -1 or pad != 0:
        raise MgTypeError(f"`{op}` with `output` takes no `k`, `stride` or `pad`", ctx.span,
                          code="E332", hint="adaptive pooling chooses its windows from the "
                                            "input size; drop the window arguments")
    sizes = output if isinstance(output, tuple) else (output, output)
    if len(sizes) != 2:
        raise MgTypeError(f"`output` is one size or [h, w], got {len(sizes)} values",
                          ctx.span, code="E332", hint="write `output = 6` or `output = [6, 4]`")
    size = tuple(as_int(ctx, s, "output size", maximum=LIMITS.max_resolution)
                 for s in sizes)
    as_bool(ctx, ceil, "ceil")
    return Pyramid(tuple(ctx.node(f"adaptive_{op}", [g], {"output": size}, None)
                         for g in p.grids))


@applier("gap")
def gap(ctx: CallContext, x):
    """One gap node per grid, on the grid's level."""
    p = as_grids(ctx, x)
    return Pyramid(tuple(ctx.node("gap", [g], {}, g.level) for g in p.grids))


@applier("upsample")
def upsample(ctx: CallContext, x, like, scale, mode, align_corners):
    """One upsample node per grid, to the size of the matching grid of `like` (which it
    reads at run time, an IR ref) on that grid's level, or by `scale`, that many levels
    finer for a power of two."""
    p = as_grids(ctx, x)
    mode = as_choice(ctx, mode, "mode", choices("upsample", "mode"))
    align_corners = as_bool(ctx, align_corners, "align_corners")
    if align_corners and mode != "bilinear":
        raise MgTypeError("align_corners applies to bilinear upsampling only", ctx.span,
                          code="E323", hint='add `mode = "bilinear"` or drop `align_corners`')
    refs: list[tuple[Grid, ...]] = [()] * len(p)
    if like is not None:
        target = as_tensor(ctx, like, "`like`")
        if len(target) != len(p):
            raise MgShapeError(f"`like` has {len(target)} grids but the upsampled pyramid has "
                               f"{len(p)}", ctx.span, code="E307")
        sizes = [(t.shape[1:], t.level) for t in target.grids]
        refs = [(t,) for t in target.grids]
    else:
        s = as_int(ctx, scale, "scale", maximum=64)
        sizes = [((g.shape[1] * s, g.shape[2] * s), _level_shift(ctx, g.level, s, -1))
                 for g in p.grids]
    out = []
    for g, (size, level), ref in zip(p.grids, sizes, refs, strict=True):
        if len(size) != 2 or size[0] < g.shape[1] or size[1] < g.shape[2]:
            raise MgShapeError(f"cannot upsample a {g.size_text()} grid to "
                               f"{'x'.join(map(str, size))}", ctx.span, code="E302")
        args = {"size": tuple(size), "from_size": tuple(g.shape[1:]), "mode": mode,
                "align_corners": align_corners}
        out.append(ctx.node("upsample", [g], args, level, refs=ref))
    return Pyramid(tuple(out))


@applier("pad")
def pad(ctx: CallContext, x, ch):
    """One pad node per grid that gains channels; a grid that has `ch` passes through."""
    p = as_grids(ctx, x)
    chs = per_grid(ctx, ch, len(p), "channels")
    out = []
    for g, c in zip(p.grids, chs, strict=True):
        c = as_int(ctx, c, "channels", maximum=LIMITS.max_channels)
        if c < g.channels:
            raise MgShapeError(f"cannot zero-pad {g.channels} channels down to {c}", ctx.span,
                               code="E301", hint="use a projection (a 1x1 conv) to reduce channels")
        out.append(g if c == g.channels else ctx.node("pad", [g], {"out_ch": c}, g.level))
    return Pyramid(tuple(out))


@applier("flatten")
def flatten(ctx: CallContext, x):
    """One flatten node per grid; the vectors it makes have no level."""
    p = as_grids(ctx, x)
    return Pyramid(tuple(ctx.node("flatten", [g], {}, None) for g in p.grids))


@applier("linear")
def linear(ctx: CallContext, x, n, bias, bias_init):
    """One linear node, on the single vector `x` must be."""
    p = as_tensor(ctx, x)
    if len(p) != 1 or len(p.grids[0].shape) != 1:
        raise MgShapeError(f"`linear` needs one vector, got a {p.describe()}", ctx.span,
                           code="E306", hint="write `linear(flatten(p[0]), n)`")
    args = {"out": as_int(ctx, n, "output size", maximum=LIMITS.max_channels * 16),
            "bias": as_bool(ctx, bias, "bias"),
            "bias_init": as_choice(ctx, bias_init, "bias_init", choices("linear", "bias_init"))}
    return Pyramid((ctx.node("linear", [p.grids[0]], args, None),))


# ---------------------------------------------------------------------------- cross-scale


@primitive("pyramid", ("x", REQUIRED), ("levels", REQUIRED), example="pyramid(x, 2)",
           shape_doc="`levels` grids: `x`, then `x` halved 1, 2, ... times (levels 0, 1, ...)")
def pyramid(ctx: CallContext, x, levels):
    """pyramid(x, levels): the input pyramid — `x` and copies average-pooled by 2, 4, ..."""
    p = as_grids(ctx, x)
    if len(p) != 1:
        raise MgShapeError(f"`pyramid` builds from one grid, got a {p.describe()}", ctx.span,
                           code="E307")
    g = p.grids[0]
    n = as_int(ctx, levels, "levels", maximum=LIMITS.max_levels)
    grids = [g]
    for i in range(1, n):
        f = 2**i
        if g.shape[1] < f or g.shape[2] < f:
            raise MgShapeError(f"a {g.size_text()} grid cannot be pooled {n - 1} times",
                               ctx.span, code="E302", hint="use fewer levels or a larger input")
        args = {"k": f, "stride": f, "pad": 0, "ceil": False}
        grids.append(ctx.node("avgpool", [g], args, None if g.level is None else g.level + i))
    return Pyramid(tuple(grids))


@applier("concat")
def concat(ctx: CallContext, *xs):
    """One concat node per level with several grids; a gap between levels, or grids of
    different sizes on one level, are errors."""
    pyramids = [as_tensor(ctx, x, f"operand {i + 1}") for i, x in enumerate(xs)]
    by_level: dict[int | None, list[Grid]] = {}
    for p in pyramids:
        for g in p.grids:
            by_level.setdefault(g.level, []).append(g)
    if not by_level:
        return Pyramid(())
    if None in by_level and len(by_level) > 1:
        if all(len(g.shape) == 3 for g in by_level[None]):  # off-level grids (issue 23)
            raise MgShapeError("cannot concatenate a grid on no level (from adaptive pooling "
                               "or a learned tensor) with grids on levels", ctx.span,
                               code="E304", hint="bring it to a grid's size and level first: "
                                                 "`upsample(y, like = x)`")
        raise MgShapeError("cannot concatenate vectors with grids", ctx.span, code="E306")
    levels = sorted(by_level, key=lambda v: -1 if v is None else v)
    if None not in by_level and levels != list(range(levels[0], levels[-1] + 1)):
        missing = sorted(set(range(levels[0], levels[-1] + 1)) - set(levels))
        raise MgShapeError(f"the concatenation leaves a gap at level {missing[0]}", ctx.span,
                           code="E304", hint="a pyramid must cover consecutive levels")
    out = []
    for lv in levels:
        grids = by_level[lv]
        first = grids[0]
        for other in grids[1:]:
            if other.shape[1:] != first.shape[1:]:
                raise MgShapeError(
                    f"cannot concatenate at level {lv}: a {first.size_text()} grid and a "
                    f"{other.size_text()} grid", ctx.span, code="E302",
                    hint="grids on one level must have one size; make the input size divisible "
                         "by 2^(levels-1), or upsample with `like =`")
        out.append(first if len(grids) == 1 else ctx.node("concat", grids, {}, lv))
    return Pyramid(tuple(out))


ELEMENTWISE = {"+": ("add", "add"), "-": ("sub", "subtract"), "*": ("mul", "multiply"),
               "/": ("div", "divide")}


def elementwise(ctx: CallContext, symbol: str, a: Pyramid, b: Pyramid) -> Pyramid:
    """`a + b`, `a - b`, `a * b` for tensors, grid by grid: both must have the same levels;
    the grids' shapes must be equal or 1 on one side (a one-channel grid gates all
    channels, a 1 x 1 grid scales all positions)."""
    op, verb = ELEMENTWISE[symbol]
    a, b = align_off_level(a, b)
    if a.levels != b.levels:
        raise levels_differ(ctx, verb, a, b)
    out = []
    for i, (x, y) in enumerate(zip(a.grids, b.grids, strict=True)):
        if broadcast_shape({}, [x.shape, y.shape]) is None:
            what = "channels" if x.shape[1:] == y.shape[1:] else "sizes"
            hint = ("zero-pad the shortcut with `pad(p, ch)` or project it with a 1x1 conv"
                    if what == "channels" else None)
            if symbol != "+":
                hint = "the shapes must be equal, or one side must have 1 channel or be 1x1"
            raise MgShapeError(f"cannot {verb} grid {i}: {'x'.join(map(str, x.shape))} and "
                               f"{'x'.join(map(str, y.shape))} ({what} differ)", ctx.span,
                               code="E301", hint=hint)
        out.append(ctx.node(op, [x, y], {}, y.level if x.level is None else x.level))
    return Pyramid(tuple(out))


def add(ctx: CallContext, a: Pyramid, b: Pyramid) -> Pyramid:
    """`a + b` for tensors (see `elementwise`)."""
    return elementwise(ctx, "+", a, b)


def scalar_op(ctx: CallContext, symbol: str, p: Pyramid, value: float, reverse: bool) -> Pyramid:
    """`p + v`, `p - v`, `v - p`, `p * v`, `p / v`, `v / p` ... for a tensor `p` and a
    number `v`: the op on every value of every grid."""
    op, _ = ELEMENTWISE[symbol]
    value = as_float(ctx, value, "the number")
    if symbol == "/" and value == 0 and not reverse:
        raise MgTypeError("division by zero", ctx.span, code="E407")
    args = {"scalar": value, "reverse": reverse and symbol in ("-", "/")}
    return Pyramid(tuple(ctx.node(op, [g], dict(args), g.level) for g in p.grids))


# ---------------------------------------------------------------------- value functions


@primitive("len", ("x", REQUIRED), shape_doc="a number", example="len(p)")
def length(ctx: CallContext, x):
    """len(x): the number of grids of a pyramid, or of items of a list."""
    if isinstance(x, tuple):
        return len(x)
    return len(as_tensor(ctx, x))


@primitive("channels", ("x", REQUIRED), shape_doc="a list of numbers, one per grid",
           example="channels(p)")
def channels(ctx: CallContext, x):
    """channels(x): the list of channel counts of a pyramid's grids."""
    return tuple(g.channels for g in as_tensor(ctx, x).grids)


@primitive("levels", ("x", REQUIRED), shape_doc="a list of numbers, one per grid",
           example="levels(maxpool(p[1:]))")
def levels(ctx: CallContext, x):
    """levels(x): the list of levels of a pyramid's grids (0: the input resolution, 1: half
    of it, ...)."""
    return tuple(g.level for g in as_grids(ctx, x).grids)


def _fold(name: str, fn, example: str):
    def apply(ctx: CallContext, *xs):
        values = xs[0] if len(xs) == 1 and isinstance(xs[0], tuple) else xs
        if not values:
            raise MgTypeError(f"`{name}` needs at least one value", ctx.span, code="E405")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise MgTypeError(f"`{name}` takes numbers, got {a_type(v)}", ctx.span,
                                  code="E401")
        return fn(values)

    apply.__doc__ = f"{name}(a, b, ...): the {name}imum of numbers (or of one list)."
    return primitive(name, variadic=True, shape_doc="a number", example=example)(apply)


_fold("min", min, "min(channels(p))")
_fold("max", max, "max(3, len(p))")

