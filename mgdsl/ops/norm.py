"""Normalisation: batch norm."""

from __future__ import annotations

from .spec import Args, Module, OpSpec, Shape, same_shape


def _lower_bn(a: Args, ins: list[Shape]) -> Module:
    from mgdsl.codegen.support import BatchNorm

    return Module(BatchNorm, (ins[0][0],), {"eps": a["eps"], "momentum": a["momentum"],
                                            "gamma_init": a["gamma"]})


BN = OpSpec(
    "bn", "batch norm", shape=same_shape, params=lambda a, i, o: 2 * i[0][0],
    lower=_lower_bn, module=True, source="{{ n.mod }}({{ n.ins[0] }})",
    source_module=(
        "BatchNorm({{ n.cin }}"
        "{% if n.lit.eps != '1e-05' %}, eps={{ n.lit.eps }}{% endif %}"
        "{% if n.lit.momentum != '0.1' %}, momentum={{ n.lit.momentum }}{% endif %}"
        "{% if n.lit.gamma != '\"one\"' %}, gamma_init={{ n.lit.gamma }}{% endif %})"),
    init="beta 0, gamma 1 (`one`) or U(0, 1) (`uniform`), running statistics reset",
    draw="fold", colour="#cfe8cf",
    doc="Batch norm of every grid (learned scale and shift per channel).",
    example="bn(x)",
)

SPECS = [BN]
