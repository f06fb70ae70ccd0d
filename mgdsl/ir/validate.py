"""Validation of an elaborated IR: every check that needs the whole graph.

- the network has at least one output, and every output reads an input;
- every node's recorded shape agrees with its op's shape rule (a self-check of the
  elaborator; a failure here is an internal error, not a user mistake);
- edges into `add` / `concat` that bypass a longer path are re-labelled `skip`;
- nodes that no output reads are marked `meta.live = False` (they still count as
  parameters, as in the paper's counts; backends may skip computing them);
- the warnings of `mgdsl.ir.lint` go to ``ir.graph["warnings"]`` (a list of `MgWarning`).

>>> import mgdsl
>>> ir = mgdsl.build_graph('network N() { input x: 1 x 8 x 8  output y = relu(x) }')
>>> [ir.nodes[n].meta.live for n in ir]
[True, True, True]
"""

from __future__ import annotations

import networkx as nx

from mgdsl.errors import MgError, MgErrors, MgNameError, Span
from mgdsl.ir.graph import reads
from mgdsl.ir.lint import lint
from mgdsl.ops import OPS

__all__ = ["validate", "InternalIRError"]


class InternalIRError(AssertionError):
    """The IR contradicts its own rules: a bug in mgdsl, never the user's fault."""


def validate(ir: nx.DiGraph) -> nx.DiGraph:
    """Check `ir` in place (see the module docstring); raises `MgErrors` on user errors."""
    errors: list[MgError] = []
    file = ir.graph.get("file", "<string>")
    where = ir.graph.get("span") or Span.point(file)
    outputs = ir.graph["outputs"]
    inputs = ir.graph["inputs"]
    if not outputs:
        errors.append(MgNameError(f"network `{ir.graph['name']}` declares no output",
                                  where, code="E212",
                                  hint="name a result with `output NAME = ...`"))
    if not inputs:
        errors.append(MgNameError(f"network `{ir.graph['name']}` declares no input",
                                  where, code="E213",
                                  hint="declare one with `input image: C x H x W`"))
    for n, data in ir.nodes(data=True):
        spec = OPS[data.op]
        expected = spec.shape(data.args, [ir.nodes[u].shape for u in data.inputs])
        if tuple(expected) != data.shape:
            raise InternalIRError(f"node {n} ({data.name}): shape {data.shape} but its "
                                  f"rule gives {expected}")
    _mark_live(ir)
    _mark_skips(ir)
    if errors:
        raise MgErrors(errors)
    ir.graph["warnings"] = lint(ir)
    return ir


def _mark_live(ir: nx.DiGraph) -> None:
    live: set[int] = set()
    stack = list(ir.graph["outputs"].values())
    while stack:  # ancestors along edges and along `refs` (shapes read at run time)
        n = stack.pop()
        if n in live:
            continue
        live.add(n)
        stack.extend(reads(ir, n))
    for n, data in ir.nodes(data=True):
        data.meta.live = n in live


def _reaches_another(ir: nx.DiGraph, src: int, targets: set[int]) -> bool:
    """Whether `src` reaches a node of `targets` other than itself. Ids are a topological
    order, so the search never goes past the largest target: one pass per operand keeps
    a join of thousands of grids (a `split` into single channels, concatenated) linear."""
    ceiling = max(targets)
    stack, seen = [src], {src}
    while stack:
        for w in ir.succ[stack.pop()]:
            if w in targets and w != src:
                return True
            if w < ceiling and w not in seen:
                seen.add(w)
                stack.append(w)
    return False


def _mark_skips(ir: nx.DiGraph) -> None:
    for v, data in ir.nodes(data=True):
        if not OPS[data.op].joins:
            continue
        ins = list(dict.fromkeys(data.inputs))
        targets = set(ins)
        for u in ins:
            if len(ins) > 1 and _reaches_another(ir, u, targets):
                ir.edges[u, v]["kind"] = "skip"
