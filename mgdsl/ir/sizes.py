"""Checking a network at another input size than the declared one (`--input`).

A module is compiled at the declared size (that is also where `stats` counts). It runs
at another size when the network elaborates there *and* every layer is the same layer:
the same ops in the same order, with the same channels and parameter counts. A
`flatten` of a grid larger than 1 x 1 followed by `linear`, for example, ties a network
to one size; `size_mismatch` finds the first node that differs and says so (E326).
"""

from __future__ import annotations

import networkx as nx

from mgdsl.errors import MgError, MgShapeError, MgTypeError
from mgdsl.ir.node import IRNode

__all__ = ["parse_size", "size_text", "size_mismatch", "size_note"]


def size_text(shape: tuple[int, ...]) -> str:
    """`3x96x128`."""
    return "x".join(map(str, shape))


def parse_size(text: str) -> tuple[int, ...]:
    """`3x96x128` -> (3, 96, 128); an `MgTypeError` (E325) for anything else."""
    parts = text.lower().replace(" ", "").split("x")
    if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise MgTypeError(f"an input size is C x H x W, like 3x96x128; got `{text}`",
                          code="E325", hint="for example --input image=3x96x128")
    return tuple(int(p) for p in parts)


def size_note(inputs: dict[str, tuple[int, ...]]) -> str:
    """The note added to errors found while checking another size."""
    sizes = ", ".join(f"{k} = {size_text(v)}" for k, v in inputs.items())
    return f"while checking the network at input {sizes}"


HINT = ("a module compiled at the declared size cannot run here: `linear` after `flatten` "
        "of a grid ties a network to one size (pool to 1x1 with `gap` first), or check a "
        "size whose grids keep their channels")


def _what(data: IRNode) -> str:
    shape = data.shape
    kind = "vector" if len(shape) == 1 else "grid"
    return f"the {kind} `{data.name}` ({data.op}, {size_text(shape)})"


def size_mismatch(declared: nx.DiGraph, other: nx.DiGraph) -> MgError | None:
    """None when a module compiled for `declared` runs at `other`'s input size (the same
    network elaborated at another size); otherwise the error naming the first grid or
    layer that does not fit."""
    sizes = {k: size_text(other.nodes[n].shape) for k, n in other.graph["inputs"].items()}
    at = ", ".join(f"{k} = {v}" for k, v in sizes.items())
    for n in sorted(declared.nodes):
        d = declared.nodes[n]
        o = other.nodes.get(n)
        if o is None or o.op != d.op or o.name != d.name:
            return MgShapeError(f"at input {at} the network builds other layers than at its "
                                f"declared size (from {_what(d)} on)", d.span, code="E326")
        if d.op == "input":
            continue
        if o.shape[0] != d.shape[0]:
            what = "values" if len(d.shape) == 1 else "channels"
            return MgShapeError(
                f"at input {at}, {_what(o)} does not fit: it has {o.shape[0]:,} {what}, "
                f"{d.shape[0]:,} at the declared size", o.span, code="E326", hint=HINT)
        if o.meta.params != d.meta.params:
            return MgShapeError(
                f"at input {at}, {_what(o)} does not fit: it has {o.meta.params:,} "
                f"parameters, {d.meta.params:,} at the declared size", o.span,
                code="E326", hint=HINT)
    return None
