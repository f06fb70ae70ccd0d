"""Convolutions: `conv` and `deconv` (transposed convolution)."""

from __future__ import annotations

from fractions import Fraction

from .spec import Args, Module, OpSpec, Param, Shape, conv_out, deconv_out

# conv arguments an IR node stores only when they differ from these
CONV_OPTIONAL = {"groups": 1, "dilation": 1}

X = Param("x", kind="grids", doc="a grid or pyramid")
CH = Param("ch", kind="int", doc="the output channels")
BIAS = Param("bias", True, "bool", "whether the layer adds a learned bias per channel")

CONV_ARGS = (
    X, CH, Param("k", 3, "int", "the kernel size (k x k)"),
    Param("stride", 1, "int", "the step between kernel positions; 2 halves the size and "
                              "makes the grid one level coarser"),
    Param("pad", -1, "int", "zeros added on every side; the default keeps the size at stride "
                            "1 for an odd k, and is 0 for an even k, as in PyTorch (so a k x k "
                            "stride-k patchify conv maps H to H / k exactly)",
          computed="dilation * (k // 2) for odd k, else 0"),
    BIAS,
    Param("groups", 1, "int", "channel groups convolved separately; it must divide the "
                              "input and output channels"),
    Param("dilation", 1, "int", "the spacing of the kernel's taps"),
)

DECONV_ARGS = (
    X, CH, Param("k", 2, "int", "the kernel size (k x k)"),
    Param("stride", 2, "int", "the upsampling factor; 2 doubles the size and makes the "
                              "grid one level finer"),
    Param("pad", 0, "int", "rows and columns removed from every side of the output"),
    BIAS,
    Param("output_padding", 0, "int", "rows and columns added at the end, below the stride"),
)


def _conv_shape(a: Args, ins: list[Shape]) -> Shape:
    c, h, w = ins[0]
    d = a.get("dilation", 1)
    return (a["out_ch"], conv_out(h, a["k"], a["stride"], a["pad"], d),
            conv_out(w, a["k"], a["stride"], a["pad"], d))


def _deconv_shape(a: Args, ins: list[Shape]) -> Shape:
    c, h, w = ins[0]
    op = a.get("output_padding", 0)
    return (a["out_ch"], deconv_out(h, a["k"], a["stride"], a["pad"], op),
            deconv_out(w, a["k"], a["stride"], a["pad"], op))


def _params(a: Args, ins: list[Shape], out: Shape) -> int:
    fan_in = ins[0][0] // a.get("groups", 1)
    return fan_in * a["out_ch"] * a["k"] * a["k"] + (a["out_ch"] if a["bias"] else 0)


def _lower_conv(a: Args, ins: list[Shape]) -> Module:
    from torch import nn

    return Module(nn.Conv2d, (ins[0][0], a["out_ch"], a["k"]),
                  {"stride": a["stride"], "padding": a["pad"], "bias": a["bias"],
                   "groups": a.get("groups", 1), "dilation": a.get("dilation", 1)})


def _lower_deconv(a: Args, ins: list[Shape]) -> Module:
    from torch import nn

    return Module(nn.ConvTranspose2d, (ins[0][0], a["out_ch"], a["k"]),
                  {"stride": a["stride"], "padding": a["pad"],
                   "output_padding": a.get("output_padding", 0), "bias": a["bias"]})


CONV = OpSpec(
    "conv", "2-d convolution", shape=_conv_shape, params=_params,
    macs=lambda a, i, o: o[0] * o[1] * o[2] * (i[0][0] // a.get("groups", 1)) * a["k"] * a["k"],
    rf=lambda a: (a.get("dilation", 1) * (a["k"] - 1) + 1, Fraction(a["stride"])),
    weight_layer=True, optional=CONV_OPTIONAL,
    lower=_lower_conv, module=True, source="{{ n.mod }}({{ n.ins[0] }})",
    source_module=(
        "nn.Conv2d({{ n.cin }}, {{ n.lit.out_ch }}, {{ n.lit.k }}"
        "{% if n.lit.stride != '1' %}, stride={{ n.lit.stride }}{% endif %}"
        "{% if n.lit.pad != '0' %}, padding={{ n.lit.pad }}{% endif %}"
        "{% if n.lit.bias != 'True' %}, bias=False{% endif %}"
        "{% if 'groups' in n.lit %}, groups={{ n.lit.groups }}{% endif %}"
        "{% if 'dilation' in n.lit %}, dilation={{ n.lit.dilation }}{% endif %})"),
    init="weight N(0, sqrt(2 / (k*k*c_out))), bias 0 (the paper's Torch code)",
    draw="layer", colour="#9ec0f0", folds_bn=True,
    doc="A k x k convolution of every grid; `pad` defaults to dilation * (k // 2) for an odd "
        "k (the same size at stride 1) and to 0 for an even k (ConvNeXt's 4 x 4 stride-4 "
        "stem and 2 x 2 downsampling: exact). `groups` splits input and output channels into groups convolved "
        "separately (`groups` = the input channels: depthwise); `dilation` spaces the taps.",
    example="conv(x, 8, 3, stride = 2)",
    builtin=CONV_ARGS, own_applier=True, builtin_doc="a convolution per grid.",
    shape_doc="`ch x H' x W'` with H' = (H + 2 pad - dilation (k - 1) - 1) // stride + 1 (same "
              "size at stride 1 for an odd k; H / k for an even k at stride k)")

def _deconv_reads(a: Args, ins: list[Shape], out: Shape, axis: int):
    """Output i of a transposed conv sums input j's tap t where j * stride - pad + t = i."""
    s, k, p = a["stride"], a["k"], a["pad"]
    return lambda i: (-(-(i + p - k + 1) // s), (i + p) // s)


DECONV = OpSpec(
    "deconv", "transposed 2-d convolution", shape=_deconv_shape, params=_params,
    macs=lambda a, i, o: i[0][0] * a["out_ch"] * a["k"] * a["k"] * i[0][1] * i[0][2],
    rf=lambda a: (max(1, -(-a["k"] // a["stride"])), Fraction(1, a["stride"])),
    reads=_deconv_reads,
    weight_layer=True, lower=_lower_deconv, module=True,
    source="{{ n.mod }}({{ n.ins[0] }})",
    source_module=(
        "nn.ConvTranspose2d({{ n.cin }}, {{ n.lit.out_ch }}, {{ n.lit.k }}, "
        "stride={{ n.lit.stride }}"
        "{% if n.lit.pad != '0' %}, padding={{ n.lit.pad }}{% endif %}"
        "{% if n.lit.get('output_padding', '0') != '0' %}, "
        "output_padding={{ n.lit.output_padding }}{% endif %}"
        "{% if n.lit.bias != 'True' %}, bias=False{% endif %})"),
    init="weight and bias U(+-1/sqrt(c_in*k*k))",
    draw="layer", colour="#b7a6ee",
    doc="A transposed convolution of every grid: stride 2 doubles the size; "
        "`output_padding` (below the stride) adds rows and columns at the end.",
    example="deconv(x, 6)",
    builtin=DECONV_ARGS, own_applier=True, builtin_doc="a transposed convolution per grid.",
    shape_doc="`ch x H' x W'` with H' = (H - 1) stride - 2 pad + k + output_padding (double "
              "size by default)")

SPECS = [CONV, DECONV]
