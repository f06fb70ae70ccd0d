"""Element-wise activations."""

from __future__ import annotations

from .spec import Call, OpSpec, Param, same_shape

X = (Param("x", kind="tensor", doc="a grid, pyramid or vector"),)


def _relu(a, i) -> Call:
    import torch.nn.functional as F

    return Call(F.relu)


def _gelu(a, i) -> Call:
    import torch.nn.functional as F

    return Call(F.gelu)


def _sigmoid(a, i) -> Call:
    import torch

    return Call(torch.sigmoid)


SPECS = [
    OpSpec("relu", "ReLU", shape=same_shape, lower=_relu, source="F.relu({{ n.ins[0] }})",
           draw="fold", colour="#f6e3a1", doc="max(x, 0) element by element.", builtin=X,
           example="relu(x)"),
    OpSpec("sigmoid", "sigmoid", shape=same_shape, lower=_sigmoid,
           source="torch.sigmoid({{ n.ins[0] }})", draw="fold", colour="#f6e3a1",
           doc="1 / (1 + exp(-x)) element by element.", builtin=X,
           example="sigmoid(x)"),
    OpSpec("gelu", "GELU", shape=same_shape, lower=_gelu, source="F.gelu({{ n.ins[0] }})",
           draw="fold", colour="#f6e3a1", builtin=X, example="gelu(x)",
           doc="x * Phi(x) element by element (the exact, erf form)."),
]
