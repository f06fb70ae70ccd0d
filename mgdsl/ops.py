"""The registry of primitive IR ops: one `OpSpec` per op with its shape, cost and
receptive-field rules. Lowerings to torch live in `mgdsl.codegen` (keyed by op name), so
that this module, and everything up to the analyses, never imports torch.

Conventions (the paper's): parameters are every learnable tensor (conv and
linear weights and biases, BN gamma and beta; never BN running statistics); MACs are the
multiply-accumulates of conv, transposed conv and linear layers only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

Shape = tuple[int, ...]
Args = dict[str, Any]

__all__ = ["OpSpec", "OPS", "pool_out", "conv_out", "deconv_out"]


def conv_out(size: int, k: int, stride: int, pad: int) -> int:
    """Output length of a convolution along one axis (floor mode)."""
    return (size + 2 * pad - k) // stride + 1


def deconv_out(size: int, k: int, stride: int, pad: int, output_padding: int = 0) -> int:
    """Output length of a transposed convolution along one axis."""
    return (size - 1) * stride - 2 * pad + k + output_padding


def pool_out(size: int, k: int, stride: int, pad: int, ceil: bool) -> int:
    """Output length of max/avg pooling along one axis, exactly as PyTorch computes it."""
    span = size + 2 * pad - k
    out = (-(-span // stride) if ceil else span // stride) + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    return out


@dataclass(frozen=True)
class OpSpec:
    """Everything the front end and the analyses know about one primitive op.

    `shape(args, in_shapes)` gives the output shape; `params` and `macs` take
    `(args, in_shapes, out_shape)`; `rf(args)` gives `(extent, stride)` for the receptive
    field recurrence `r_out = r_in + (extent - 1) * j_in`, `j_out = j_in * stride`
    (`extent` None means the op sees its whole input); `weight_layer` marks ops that count
    as a layer of depth (conv, transposed conv, linear).
    """

    name: str
    shape: Callable[[Args, list[Shape]], Shape]
    params: Callable[[Args, list[Shape], Shape], int] = lambda a, i, o: 0
    macs: Callable[[Args, list[Shape], Shape], int] = lambda a, i, o: 0
    rf: Callable[[Args], tuple[int | None, Fraction]] = lambda a: (1, Fraction(1))
    weight_layer: bool = False
    summary: str = ""


def _same(args: Args, ins: list[Shape]) -> Shape:
    return ins[0]


def _conv_shape(a: Args, ins: list[Shape]) -> Shape:
    c, h, w = ins[0]
    return (a["out_ch"], conv_out(h, a["k"], a["stride"], a["pad"]),
            conv_out(w, a["k"], a["stride"], a["pad"]))


def _deconv_shape(a: Args, ins: list[Shape]) -> Shape:
    c, h, w = ins[0]
    op = a.get("output_padding", 0)
    return (a["out_ch"], deconv_out(h, a["k"], a["stride"], a["pad"], op),
            deconv_out(w, a["k"], a["stride"], a["pad"], op))


def _pool_shape(a: Args, ins: list[Shape]) -> Shape:
    c, h, w = ins[0]
    return (c, pool_out(h, a["k"], a["stride"], a["pad"], a["ceil"]),
            pool_out(w, a["k"], a["stride"], a["pad"], a["ceil"]))


def _conv_params(a: Args, ins: list[Shape], out: Shape) -> int:
    return ins[0][0] * a["out_ch"] * a["k"] * a["k"] + (a["out_ch"] if a["bias"] else 0)


def _concat_shape(a: Args, ins: list[Shape]) -> Shape:
    return (sum(s[0] for s in ins),) + tuple(ins[0][1:])


OPS: dict[str, OpSpec] = {
    spec.name: spec
    for spec in [
        OpSpec("input", shape=lambda a, i: tuple(a["shape"]), summary="network input"),
        OpSpec(
            "conv", shape=_conv_shape, params=_conv_params,
            macs=lambda a, i, o: o[0] * o[1] * o[2] * i[0][0] * a["k"] * a["k"],
            rf=lambda a: (a["k"], Fraction(a["stride"])), weight_layer=True,
            summary="2-d convolution",
        ),
        OpSpec(
            "deconv", shape=_deconv_shape, params=_conv_params,
            macs=lambda a, i, o: i[0][0] * a["out_ch"] * a["k"] * a["k"] * i[0][1] * i[0][2],
            rf=lambda a: (max(1, -(-a["k"] // a["stride"])), Fraction(1, a["stride"])),
            weight_layer=True, summary="transposed 2-d convolution",
        ),
        OpSpec("bn", shape=_same, params=lambda a, i, o: 2 * i[0][0], summary="batch norm"),
        OpSpec("relu", shape=_same, summary="ReLU"),
        OpSpec("sigmoid", shape=_same, summary="sigmoid"),
        OpSpec("maxpool", shape=_pool_shape, rf=lambda a: (a["k"], Fraction(a["stride"])),
               summary="max pooling"),
        OpSpec("avgpool", shape=_pool_shape, rf=lambda a: (a["k"], Fraction(a["stride"])),
               summary="average pooling"),
        OpSpec("gap", shape=lambda a, i: (i[0][0], 1, 1), rf=lambda a: (None, Fraction(1)),
               summary="global average pooling"),
        OpSpec(
            "upsample", shape=lambda a, i: (i[0][0], a["size"][0], a["size"][1]),
            rf=lambda a: (1, Fraction(a["from_size"][0], a["size"][0])),
            summary="nearest upsampling to a given size",
        ),
        OpSpec("concat", shape=_concat_shape, summary="channel concatenation"),
        OpSpec("add", shape=_same, summary="elementwise sum"),
        OpSpec("pad", shape=lambda a, i: (a["out_ch"],) + tuple(i[0][1:]),
               summary="zero-pad channels at the end"),
        OpSpec("flatten", shape=lambda a, i: (math.prod(i[0]),), rf=lambda a: (None, Fraction(1)),
               summary="flatten to a vector"),
        OpSpec(
            "linear", shape=lambda a, i: (a["out"],),
            params=lambda a, i, o: i[0][0] * a["out"] + (a["out"] if a["bias"] else 0),
            macs=lambda a, i, o: i[0][0] * a["out"], rf=lambda a: (None, Fraction(1)),
            weight_layer=True, summary="fully connected layer",
        ),
        OpSpec("output", shape=_same, summary="named network output"),
    ]
}
