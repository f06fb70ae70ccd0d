"""Shared weights: the `shared` argument of every op with parameters.

`conv(p, c, 3, shared = true)` applies one layer to every grid of `p` (RetinaNet's and
FCOS's heads across P3-P7); `shared = "name"` applies one layer at every call that names
it in the same variable scope (CBAM's MLP on the mean and on the max). The IR keeps one
node per application; every node after the first holds `shares`: the id of the first
node, whose weights it uses. Such a node has 0 parameters (so `stats` counts shared
weights once) and no module of its own: both backends call the first node's module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from .spec import OpSpec, Param

__all__ = ["SHARED", "SHARES", "shareable", "with_shared"]

SHARES = "shares"  # the IR argument naming the node whose weights a node uses

SHARED = Param("shared", False, "bool",
               "`true`: one set of weights for every grid; a name (`\"mlp1\"`): one set for "
               "every call that gives this name, in the same block call or network")

_NO_PARAMS = OpSpec.__dataclass_fields__["params"].default


def shareable(spec: OpSpec) -> bool:
    """Whether the op's built-in takes `shared`: it is a layer with parameters."""
    return spec.module and spec.params is not _NO_PARAMS and spec.builtin is not None


def _once(params: Callable) -> Callable:
    def count(args, ins, out) -> int:
        return 0 if SHARES in args else params(args, ins, out)

    count.__doc__ = params.__doc__
    return count


def with_shared(spec: OpSpec) -> OpSpec:
    """`spec` with the `shared` argument added to its built-in and its parameters counted
    on the first node of a share only; unchanged for ops without parameters."""
    if not shareable(spec):
        return spec
    return dataclasses.replace(spec, builtin=(*spec.builtin, SHARED), params=_once(spec.params))
