"""Normalisation: batch norm and group norm."""

from __future__ import annotations

from fractions import Fraction

from .spec import REQUIRED, Args, Module, OpSpec, Param, Shape, same_shape

X = Param("x", kind="grids", doc="a grid or pyramid")
EPS = Param("eps", 1e-5, "number", "added to the variance")


def _positions(shape: Shape) -> int:
    """The positions of one channel: H × W of a grid, 1 of a vector."""
    count = 1
    for size in shape[1:]:
        count *= size
    return count


def _lower_bn(a: Args, ins: list[Shape]) -> Module:
    return Module("BatchNorm", (ins[0][0],), {"eps": a["eps"], "momentum": a["momentum"],
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
    builtin=(X, EPS,
             Param("momentum", 0.1, "number", "the weight of each batch in the running "
                                              "statistics"),
             Param("gamma", "one", "choice", 'the initial scale: 1 ("one") or U(0, 1) ("uniform")',
                   choices=("one", "uniform"))),
    own_applier=True, builtin_doc="batch norm per grid.",
    norm_group=lambda a, shape: _positions(shape), norm_batch=True,
)

def _lower_gn(a: Args, ins: list[Shape]) -> Module:
    from torch import nn

    return Module(nn.GroupNorm, (a["groups"], ins[0][0]), {"eps": a["eps"]})


def _gn_check(a: Args, shape: Shape) -> tuple[str, str] | None:
    if len(shape) != 3:
        return "it needs a spatial grid", "apply it before `flatten`"
    if not 0 < a["eps"] < 1:
        return f"eps must be between 0 and 1, got {a['eps']}", "the default is 1e-5"
    if shape[0] % a["groups"]:
        return (f"{a['groups']} groups do not divide {shape[0]} channels",
                "choose a number of groups that divides every grid's channels")
    return None


GROUPNORM = OpSpec(
    "groupnorm", "group norm", shape=same_shape, params=lambda a, i, o: 2 * i[0][0],
    lower=_lower_gn, module=True, source="{{ n.mod }}({{ n.ins[0] }})",
    source_module=("nn.GroupNorm({{ n.lit.groups }}, {{ n.cin }}"
                   "{% if n.lit.eps != '1e-05' %}, eps={{ n.lit.eps }}{% endif %})"),
    init="gamma 1, beta 0", draw="fold", colour="#cfe8cf", check=_gn_check,
    # its statistics are taken over all positions: every output pixel reads the whole grid
    rf=lambda a: (None, Fraction(1)),
    builtin=(X, Param("groups", REQUIRED, "int", "channel groups normalised together"), EPS),
    doc="Normalises each sample over groups of channels (and all positions), then a "
        "learned scale and shift per channel; independent of the batch.",
    example="groupnorm(x, 2)",
    norm_group=lambda a, shape: shape[0] // a["groups"] * _positions(shape),
)

SPECS = [BN, GROUPNORM]
