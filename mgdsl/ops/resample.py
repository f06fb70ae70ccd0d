"""Resampling and channel padding: `upsample`, `pad`."""

from __future__ import annotations

import math
from fractions import Fraction

from .spec import Args, Call, OpSpec, Param, Shape

UPSAMPLE_OPTIONAL = {"mode": "nearest", "align_corners": False}

X = Param("x", kind="grids", doc="a grid or pyramid")

UPSAMPLE_ARGS = (
    X, Param("like", None, "tensor", "grids whose sizes to take, one per grid of `x`"),
    Param("scale", 2, "int", "the factor, when there is no `like`; 2 makes every grid one "
                             "level finer"),
    Param("mode", "nearest", "choice", "the interpolation",
          choices=("nearest", "bilinear")),
    Param("align_corners", False, "bool", "bilinear only: align the corner pixels"),
)


def resize_like(x, like, mode: str = "nearest", align_corners: bool | None = None):
    """`x` resized to the spatial size of the tensor `like` (the fx lowering of
    `upsample(x, like = y)`; the emitted source writes the same call inline)."""
    import torch.nn.functional as F

    return F.interpolate(x, size=like.shape[-2:], mode=mode, align_corners=align_corners)


def _modes(a: Args) -> dict:
    mode = a.get("mode", "nearest")
    return {"mode": mode, **({"align_corners": a.get("align_corners", False)}
                             if mode == "bilinear" else {})}


def _upsample_rf(a: Args) -> tuple[int, Fraction]:
    """Nearest reads one input pixel per output pixel; bilinear reads the two nearest
    along each axis (one where the grid keeps its size)."""
    stride = Fraction(a["from_size"][0], a["size"][0])
    resized = tuple(a["size"]) != tuple(a["from_size"])
    bilinear = a.get("mode", "nearest") == "bilinear" and resized
    return (2 if bilinear else 1), stride


def _upsample_reads(a: Args, ins: list[Shape], out: Shape, axis: int):
    """PyTorch's source index for output i: nearest floor(i * in / out); bilinear
    (i + 1/2) in / out - 1/2, or i (in - 1) / (out - 1) with aligned corners, read at the
    two pixels around it (one where it falls on a pixel)."""
    n, m = a["from_size"][axis], a["size"][axis]
    if a.get("mode", "nearest") != "bilinear":
        return lambda i: (i * n // m, i * n // m)
    if n == m:
        return lambda i: (i, i)
    if a.get("align_corners", False):
        ratio = Fraction(n - 1, max(m - 1, 1))
        return lambda i: (math.floor(i * ratio), math.ceil(i * ratio))
    ratio = Fraction(n, m)
    return lambda i: (math.floor((i + Fraction(1, 2)) * ratio - Fraction(1, 2)),
                      math.ceil((i + Fraction(1, 2)) * ratio - Fraction(1, 2)))


def _upsample(a: Args, ins: list[Shape]) -> Call:
    # `ins` holds the `like` grid's shape after the input's when the size follows it
    if len(ins) > 1:
        return Call(resize_like, (), _modes(a))
    import torch.nn.functional as F

    return Call(F.interpolate, (), {"scale_factor": a["size"][0] // a["from_size"][0],
                                    **_modes(a)})


def _pad(a: Args, ins: list[Shape]) -> Call:
    import torch.nn.functional as F

    return Call(F.pad, ((0, 0, 0, 0, 0, a["out_ch"] - ins[0][0]),))


SPECS = [
    OpSpec("upsample", "nearest or bilinear upsampling",
           shape=lambda a, i: (i[0][0], a["size"][0], a["size"][1]),
           rf=_upsample_rf, reads=_upsample_reads, lower=_upsample,
           source=("F.interpolate({{ n.ins[0] }}, "
                   "{% if n.refs %}size={{ n.refs[0] }}.shape[-2:]"
                   "{% else %}scale_factor={{ n.out[1] // n.in[0][1] }}{% endif %}"
                   ", mode={{ n.lit.get('mode', '\"nearest\"') }}"
                   "{% if n.lit.get('mode') == '\"bilinear\"' %}"
                   ", align_corners={{ n.lit.get('align_corners', 'False') }}{% endif %})"),
           draw="move", colour="#f0b0a0", optional=UPSAMPLE_OPTIONAL,
           doc="Every grid resized to the size of the matching grid of `like` (read at run "
               "time, so compiled modules follow the input size), or by an integer `scale`; "
               "bilinear with align_corners = false unless given.",
           example="upsample(x, scale = 2)", builtin=UPSAMPLE_ARGS, own_applier=True,
           builtin_doc="every grid resized to the size of the grids of `like` (one per grid; "
                       "at run time, so a compiled module follows its input's size) or by an "
                       "integer `scale`.",
           shape_doc="`C x sH x sW`, or the size of the matching grid of `like`"),
    OpSpec("pad", "zero-pad channels at the end",
           shape=lambda a, i: (a["out_ch"],) + tuple(i[0][1:]), lower=_pad,
           source="F.pad({{ n.ins[0] }}, (0, 0, 0, 0, 0, {{ n.extra }}))", draw="fold",
           colour="#dddddd", doc="Zero channels appended up to `ch` (identity when equal).",
           example="pad(x, 6)", own_applier=True,
           builtin=(X, Param("ch", kind="int", doc="the channels to reach, at least the "
                                                   "grid's")),
           builtin_doc="zero-pad every grid's channels at the end up to `ch` (identity if "
                       "equal).",
           shape_doc="`ch x H x W` (`ch` at least C)"),
]
