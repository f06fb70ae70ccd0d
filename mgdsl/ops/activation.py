"""Element-wise activations, softmax over channels, dropout."""

from __future__ import annotations

from .spec import REQUIRED, Call, Module, OpSpec, Param, same_shape

X = (Param("x", kind="tensor", doc="a grid, pyramid or vector"),)


def _relu(a, i) -> Call:
    import torch.nn.functional as F

    return Call(F.relu)


def _gelu(a, i) -> Call:
    import torch.nn.functional as F

    return Call(F.gelu)


def _tanh(a, i) -> Call:
    import torch

    return Call(torch.tanh)


def _silu(a, i) -> Call:
    import torch.nn.functional as F

    return Call(F.silu)


def _leaky_relu(a, i) -> Call:
    import torch.nn.functional as F

    return Call(F.leaky_relu, (a["slope"],))


def _softmax(a, i) -> Call:
    import torch.nn.functional as F

    return Call(F.softmax, (), {"dim": 1})


def _dropout(a, i) -> Module:
    from torch import nn

    return Module(nn.Dropout, (a["p"],))


def _sigmoid(a, i) -> Call:
    import torch

    return Call(torch.sigmoid)


SPECS = [
    OpSpec("relu", "ReLU", shape=same_shape, lower=_relu, source="F.relu({{ n.ins[0] }})",
           draw="fold", colour="#f6e3a1", doc="The rectifier max(x, 0), element by element.", builtin=X,
           example="relu(x)"),
    OpSpec("sigmoid", "sigmoid", shape=same_shape, lower=_sigmoid,
           source="torch.sigmoid({{ n.ins[0] }})", draw="fold", colour="#f6e3a1",
           doc="The logistic function 1 / (1 + exp(-x)), element by element.", builtin=X,
           example="sigmoid(x)"),
    OpSpec("gelu", "GELU", shape=same_shape, lower=_gelu, source="F.gelu({{ n.ins[0] }})",
           draw="fold", colour="#f6e3a1", builtin=X, example="gelu(x)",
           doc="The Gaussian error linear unit x * Phi(x), element by element (the exact, "
               "erf form)."),
    OpSpec("tanh", "tanh", shape=same_shape, lower=_tanh, source="torch.tanh({{ n.ins[0] }})",
           draw="fold", colour="#f6e3a1", builtin=X, example="tanh(x)",
           doc="The hyperbolic tangent element by element."),
    OpSpec("silu", "SiLU (swish)", shape=same_shape, lower=_silu,
           source="F.silu({{ n.ins[0] }})", draw="fold", colour="#f6e3a1", builtin=X,
           example="silu(x)", doc="The sigmoid-weighted linear unit x * sigmoid(x), element by element."),
    OpSpec("leaky_relu", "leaky ReLU", shape=same_shape, lower=_leaky_relu,
           source="F.leaky_relu({{ n.ins[0] }}, {{ n.lit.slope }})", draw="fold",
           colour="#f6e3a1", example="leaky_relu(x, slope = 0.2)",
           builtin=X + (Param("slope", 0.01, "number", "the slope below 0"),),
           doc="A ReLU with a slope below 0: x for x >= 0, slope * x below, element by "
               "element."),
    OpSpec("softmax", "softmax over channels", shape=same_shape, lower=_softmax,
           source="F.softmax({{ n.ins[0] }}, dim=1)", draw="fold", colour="#f6e3a1",
           builtin=X, example="softmax(x)",
           doc="At every position, the channels' exp(x) divided by their sum."),
    OpSpec("dropout", "dropout", shape=same_shape, lower=_dropout, module=True,
           source="{{ n.mod }}({{ n.ins[0] }})", source_module="nn.Dropout({{ n.lit.p }})",
           init="no weights", draw="fold", colour="#eeeeee", example="dropout(x, 0.5)",
           builtin=X + (Param("p", REQUIRED, "fraction", "the probability of a zero"),),
           doc="Zeroes values with probability p while training (scaling the rest by "
               "1 / (1 - p)); the identity in eval mode."),
]
