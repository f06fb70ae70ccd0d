"""Resampling and channel padding: `upsample`, `pad`."""

from __future__ import annotations

from fractions import Fraction

from .spec import Args, Call, OpSpec, Shape


def _upsample(a: Args, ins: list[Shape]) -> Call:
    import torch.nn.functional as F

    return Call(F.interpolate, (), {"size": tuple(a["size"]), "mode": "nearest"})


def _pad(a: Args, ins: list[Shape]) -> Call:
    import torch.nn.functional as F

    return Call(F.pad, ((0, 0, 0, 0, 0, a["out_ch"] - ins[0][0]),))


SPECS = [
    OpSpec("upsample", "nearest upsampling to a given size",
           shape=lambda a, i: (i[0][0], a["size"][0], a["size"][1]),
           rf=lambda a: (1, Fraction(a["from_size"][0], a["size"][0])), lower=_upsample,
           source='F.interpolate({{ n.ins[0] }}, size={{ n.lit.size }}, mode="nearest")',
           draw="move", colour="#f0b0a0",
           doc="Every grid resized to the size of a `like` grid, or by an integer `scale`.",
           example="upsample(x, scale = 2)"),
    OpSpec("pad", "zero-pad channels at the end",
           shape=lambda a, i: (a["out_ch"],) + tuple(i[0][1:]), lower=_pad,
           source="F.pad({{ n.ins[0] }}, (0, 0, 0, 0, 0, {{ n.extra }}))", draw="fold",
           colour="#dddddd", doc="Zero channels appended up to `ch` (identity when equal).",
           example="pad(x, 6)"),
]
