"""The registry of primitive IR ops: one `OpSpec` per op, defined in one place.

Each module of this package defines a family of ops (`conv`, `norm`, `activation`,
`pool`, `resample`, `merge`, `vector`, `io`, `attention`, and `layernorm`, `reduce`, `arith`,
`learned`, `adaptive`, `reshape`); `OPS` maps every op name to its spec.
Nothing here imports torch: lowerings import it when called.
"""

from __future__ import annotations

from . import (
    activation,
    adaptive,
    arith,
    attention,
    conv,
    io,
    layernorm,
    learned,
    merge,
    norm,
    pool,
    reduce,
    resample,
    reshape,
    vector,
)
from .sharing import SHARED, SHARES, with_shared
from .spec import (
    DRAW_KINDS,
    PARAM_KINDS,
    REQUIRED,
    Args,
    Call,
    Module,
    OpSpec,
    Param,
    Shape,
    conv_out,
    deconv_out,
    pool_out,
    same_shape,
    signature_text,
)

__all__ = ["OpSpec", "Param", "REQUIRED", "OPS", "Module", "Call", "Args", "Shape", "DRAW_KINDS", "pool_out",
           "conv_out", "deconv_out", "same_shape", "MODULE_OPS", "PARAM_KINDS", "signature_text",
           "SHARED", "SHARES"]

_FAMILIES = (io, conv, norm, activation, pool, resample, merge, vector, attention,
             layernorm, reduce, arith, learned, adaptive, reshape)  # the last six: issue 23's

OPS: dict[str, OpSpec] = {spec.name: with_shared(spec) for family in _FAMILIES
                          for spec in family.SPECS}

# the module of this package that defines each op (`conv`, `activation`, ...)
FAMILY: dict[str, str] = {spec.name: family.__name__.rpartition(".")[2]
                          for family in _FAMILIES for spec in family.SPECS}

# ops lowered to a submodule (`call_module`); the others are functions
MODULE_OPS = frozenset(name for name, spec in OPS.items() if spec.module)
