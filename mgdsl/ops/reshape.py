"""Moving values between space and channels: `space_to_depth` (pixel unshuffle) and
`depth_to_space` (pixel shuffle)."""

from __future__ import annotations

from fractions import Fraction

from .spec import Args, Call, OpSpec, Param, Shape

X = Param("x", kind="grids", doc="a grid or pyramid")


def _s2d_shape(a: Args, ins: list[Shape]) -> Shape:
    c, h, w = ins[0]
    r = a["factor"]
    return (c * r * r, h // r, w // r)


def _d2s_shape(a: Args, ins: list[Shape]) -> Shape:
    c, h, w = ins[0]
    r = a["factor"]
    return (c // (r * r), h * r, w * r)


def _lower(fn: str):
    def lower(a: Args, ins: list[Shape]) -> Call:
        import torch.nn.functional as F

        return Call(getattr(F, fn), (a["factor"],))

    return lower


SPECS = [
    OpSpec("space_to_depth", "pixel unshuffle", shape=_s2d_shape, lower=_lower("pixel_unshuffle"),
           rf=lambda a: (a["factor"], Fraction(a["factor"])),
           source="F.pixel_unshuffle({{ n.ins[0] }}, {{ n.lit.factor }})", draw="move",
           colour="#dddddd", own_applier=True, example="space_to_depth(x, 2)",
           shape_doc="`C r² x H/r x W/r`, log2(r) levels coarser",
           builtin=(X, Param("factor", 2, "int", "the block size r: the size divides by r, "
                                                  "the channels multiply by r * r")),
           doc="Every r x r block of positions becomes r * r channels (PyTorch's "
               "`pixel_unshuffle`, channel c * r * r + i * r + j from offset (i, j)): "
               "C x H x W to C r² x H/r x W/r, levels coarser like a stride r (Swin's patch "
               "merging).",
           builtin_doc="every r x r block of positions of every grid as r * r channels."),
    OpSpec("depth_to_space", "pixel shuffle", shape=_d2s_shape, lower=_lower("pixel_shuffle"),
           rf=lambda a: (1, Fraction(1, a["factor"])),
           source="F.pixel_shuffle({{ n.ins[0] }}, {{ n.lit.factor }})", draw="move",
           colour="#dddddd", own_applier=True, example="depth_to_space(x, 2)",
           shape_doc="`C/r² x rH x rW`, log2(r) levels finer",
           builtin=(X, Param("factor", 2, "int", "the block size r: the size multiplies by "
                                                  "r, the channels divide by r * r")),
           doc="The inverse of `space_to_depth` (PyTorch's `pixel_shuffle`): C x H x W to "
               "C/r² x rH x rW, levels finer like an upsampling by r.",
           builtin_doc="every r * r channels of every grid as an r x r block of positions."),
]
