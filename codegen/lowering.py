"""The op -> torch lowering table: one `Lowering` per op of `mgdsl.ops.OPS`.

A lowering says how the fx backend computes an IR node: `module` ops build a submodule
(`make(args, in_shapes)` gives its class and constructor arguments) and become
`call_module` nodes; `function` ops become
`call_function(target, (*inputs, *extra), kwargs)` with `call(args, in_shapes)` giving
`(extra, kwargs)`; `input` and `output` are placeholders and the returned value. The
source emitter renders the same op from the macro of the same name in
`templates/ops.py.j2`; tests check that both exist for every op and agree numerically.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .support import BatchNorm, Linear

__all__ = ["Lowering", "LOWERINGS"]

Shape = tuple[int, ...]
Args = dict[str, Any]


def _no_extra(args: Args, ins: list[Shape]) -> tuple[tuple, dict]:
    return (), {}


@dataclass(frozen=True)
class Lowering:
    """How one op runs in torch (see the module docstring)."""

    op: str
    kind: str  # "input", "module", "function" or "output"
    make: Callable[[Args, list[Shape]], tuple[type[nn.Module], tuple, dict]] | None = None
    target: Callable[..., Any] | None = None
    call: Callable[[Args, list[Shape]], tuple[tuple, dict]] = _no_extra
    variadic: bool = False  # the inputs go in as one list (torch.cat)


def _pool(args: Args, ins: list[Shape]) -> tuple[tuple, dict]:
    return (args["k"], args["stride"], args["pad"]), {"ceil_mode": args["ceil"]}


def _pad(args: Args, ins: list[Shape]) -> tuple[tuple, dict]:
    return ((0, 0, 0, 0, 0, args["out_ch"] - ins[0][0]),), {}


LOWERINGS: dict[str, Lowering] = {
    low.op: low
    for low in [
        Lowering("input", "input"),
        Lowering("conv", "module", make=lambda a, i: (nn.Conv2d, (i[0][0], a["out_ch"], a["k"]), {
            "stride": a["stride"], "padding": a["pad"], "bias": a["bias"]})),
        Lowering("deconv", "module", make=lambda a, i: (
            nn.ConvTranspose2d, (i[0][0], a["out_ch"], a["k"]), {
                "stride": a["stride"], "padding": a["pad"],
                "output_padding": a.get("output_padding", 0), "bias": a["bias"]})),
        Lowering("bn", "module", make=lambda a, i: (BatchNorm, (i[0][0],), {
            "eps": a["eps"], "momentum": a["momentum"], "gamma_init": a["gamma"]})),
        Lowering("relu", "function", target=F.relu),
        Lowering("sigmoid", "function", target=torch.sigmoid),
        Lowering("maxpool", "function", target=F.max_pool2d, call=_pool),
        Lowering("avgpool", "function", target=F.avg_pool2d, call=_pool),
        Lowering("gap", "function", target=F.adaptive_avg_pool2d, call=lambda a, i: ((1,), {})),
        Lowering("upsample", "function", target=F.interpolate,
                 call=lambda a, i: ((), {"size": tuple(a["size"]), "mode": "nearest"})),
        Lowering("concat", "function", target=torch.cat, call=lambda a, i: ((1,), {}),
                 variadic=True),
        Lowering("add", "function", target=operator.add),
        Lowering("pad", "function", target=F.pad, call=_pad),
        Lowering("flatten", "function", target=torch.flatten, call=lambda a, i: ((1,), {})),
        Lowering("linear", "module", make=lambda a, i: (Linear, (i[0][0], a["out"]), {
            "bias": a["bias"], "bias_init": a["bias_init"]})),
        Lowering("output", "output"),
    ]
}
