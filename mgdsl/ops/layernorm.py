"""Layer norm over the channels at every position (ConvNeXt's LayerNorm2d)."""

from __future__ import annotations

from .spec import Args, Module, OpSpec, Param, Shape, same_shape


def _lower(a: Args, ins: list[Shape]) -> Module:
    return Module("LayerNorm2d", (ins[0][0],), {"eps": a["eps"]})


def _check(a: Args, shape: Shape) -> tuple[str, str] | None:
    if not 0 < a["eps"] < 1:
        return f"eps must be between 0 and 1, got {a['eps']}", "the default is 1e-6"
    return None


LAYERNORM = OpSpec(
    "layernorm", "layer norm over channels", shape=same_shape,
    params=lambda a, i, o: 2 * i[0][0], lower=_lower, module=True,
    source="{{ n.mod }}({{ n.ins[0] }})",
    source_module="LayerNorm2d({{ n.cin }}, eps={{ n.lit.eps }})",
    init="gamma 1, beta 0", draw="fold", colour="#cfe8cf", check=_check,
    norm_group=lambda a, shape: shape[0],
    builtin=(Param("x", kind="grids", doc="a grid or pyramid"),
             Param("eps", 1e-6, "number", "added to the variance")),
    doc="At every position of every grid, the channels normalised to mean 0 and variance "
        "1, then a learned scale and shift per channel (2C parameters): ConvNeXt's "
        "LayerNorm2d, the per-token LayerNorm of Swin, SegFormer and PVT. Unlike "
        "`groupnorm(x, 1)`, which has as many parameters, it does not mix positions.",
    example="layernorm(x)",
)

SPECS = [LAYERNORM]
