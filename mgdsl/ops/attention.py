"""Attention: `attention` (multi-head scaled dot-product attention between grids, within a
grid, across a coarser grid or across a whole pyramid) and `window_attention` (Swin's
shifted-window multi-head self-attention with its projections and position bias).

MACs are the multiply-accumulates of the matmuls (Q K^T and A V) and of the projections,
exactly what `FlopCounterMode` counts for the lowerings in `mgdsl.codegen.attention`,
which are written with matmuls (it counts 0 for `scaled_dot_product_attention` on the
CPU); the softmax, the scaling and the position bias count 0, like every element-wise op.
"""

from __future__ import annotations

from fractions import Fraction

from .spec import Args, Call, Module, OpSpec, Param, Shape, same_shape

__all__ = ["SPECS", "ATTENTION", "WINDOW_ATTENTION", "windows_padded"]


def _attention_macs(a: Args, ins: list[Shape], out: Shape) -> int:
    c, h, w = ins[0]
    n = (len(ins) - 1) // 2
    keys = sum(s[1] * s[2] for s in ins[1:1 + n])
    return 2 * c * h * w * keys  # Q K^T and A V, each C * (HW) * N


def _lower_attention(a: Args, ins: list[Shape]) -> Call:
    return Call("attention", (), {"heads": a["heads"]})


ATTENTION = OpSpec(
    "attention", "multi-head scaled dot-product attention", shape=lambda a, i: i[0],
    macs=_attention_macs, rf=lambda a: (None, Fraction(1)), lower=_lower_attention,
    source='attention({{ n.ins | join(", ") }}, heads={{ n.lit.heads }})',
    draw="box", colour="#f2b6d0", joins=True,
    doc="Multi-head scaled dot-product attention: every position of the query grid "
        "attends to every position of the key grids (all of them together when they are "
        "a pyramid) and takes the softmax-weighted sum of the value grids; the channels "
        "are cut into `heads` groups of consecutive channels, each attending on its own. "
        "No parameters (the projections are 1x1 convs written around it); counts the "
        "MACs of Q K^T and A V.",
    example="attention(x, x, x, heads = 2)",
    shape_doc="per grid of `q`, its shape (`k` and `v`: any sizes, q's channels)",
    builtin=(Param("q", kind="grids", doc="the queries: a grid (or a pyramid: each grid "
                                            "attends on its own)"),
             Param("k", kind="grids", doc="the keys: a grid or a whole pyramid, with q's "
                                            "channels"),
             Param("v", kind="grids", doc="the values: grids of the keys' sizes, with q's "
                                            "channels"),
             Param("heads", 1, "int", "attention heads; they must divide the channels")),
    own_applier=True,
    builtin_doc="every position of each grid of `q` attends to every position of `k` "
                "and `v` (one grid, a coarser grid, or a whole pyramid attended together); "
                "the result has q's shape.",
)


def windows_padded(size: int, window: int) -> int:
    """A side of the grid padded at its end to whole windows."""
    return -(-size // window) * window


def _window_params(a: Args, ins: list[Shape], out: Shape) -> int:
    c = ins[0][0]
    return 4 * c * c + 4 * c + (2 * a["window"] - 1) ** 2 * a["heads"]


def _window_macs(a: Args, ins: list[Shape], out: Shape) -> int:
    c, h, w = ins[0]
    win = a["window"]
    positions = windows_padded(h, win) * windows_padded(w, win)
    # qkv (3C^2) and output (C^2) projections of every padded position, and the
    # attention matmuls of every window (2 * N * C per position, N = window^2)
    return positions * c * (4 * c + 2 * win * win)


def _window_reads(a: Args, ins: list[Shape], out: Shape, axis: int):
    """Pixel i attends within its window of the grid rolled back by `shift`: rolled index
    j holds pixel j + shift, and windows are the blocks [b w, (b + 1) w)."""
    w, s = a["window"], a.get("shift", 0)
    return lambda i: ((i - s) // w * w + s, (i - s) // w * w + s + w - 1)


def _lower_window(a: Args, ins: list[Shape]) -> Module:
    return Module("WindowAttention", (ins[0][0], a["heads"]),
                  {"window": a["window"], "shift": a["shift"]})


WINDOW_ATTENTION = OpSpec(
    "window_attention", "shifted-window multi-head self-attention (Swin)",
    shape=same_shape, params=_window_params, macs=_window_macs,
    # a pixel attends within the (shifted) window that holds it: `window` pixels a side
    rf=lambda a: (a["window"], Fraction(1)), reads=_window_reads, weight_layer=True,
    lower=_lower_window, module=True, source="{{ n.mod }}({{ n.ins[0] }})",
    source_module=("WindowAttention({{ n.cin }}, {{ n.lit.heads }}, window={{ n.lit.window }}"
                   "{% if n.lit.shift != '0' %}, shift={{ n.lit.shift }}{% endif %})"),
    init="qkv and output projections as `linear` (weight and bias U(+-1/sqrt(fan_in))), "
         "relative position bias table truncated N(0, 0.02)",
    draw="layer", colour="#e59cc0",
    doc="Swin's window multi-head self-attention, as torchvision's `swin_t` computes it: "
        "a qkv projection (C -> 3C), attention within non-overlapping window x window "
        "windows with a learned relative position bias per head, an output projection "
        "(C -> C). The grid is padded at the bottom and right to whole windows; `shift` > 0 "
        "rolls it by `shift` first (and back after), with the mask that keeps windows "
        "from attending across the roll (no shift along a side that is one window). "
        "4C^2 + 4C + (2 window - 1)^2 heads parameters.",
    example="window_attention(x, heads = 2, window = 3, shift = 1)",
    builtin=(Param("x", kind="grids", doc="a grid or pyramid"),
             Param("heads", 1, "int", "attention heads; they must divide the channels"),
             Param("window", 7, "int", "the side of the square windows"),
             Param("shift", 0, "int", "the cyclic shift (Swin's odd blocks: window // 2); "
                                      "below the window")),
    own_applier=True, builtin_doc="Swin's (shifted) window self-attention per grid.",
)

SPECS = [ATTENTION, WINDOW_ATTENTION]
