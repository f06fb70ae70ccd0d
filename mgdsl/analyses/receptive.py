"""Receptive field and routing depth of every output, from the IR alone.

Receptive field: the side, in input pixels, of the window of the input that can affect
one output pixel (`r_out = r_in + (k - 1) * j_in`, `j_out = j_in * stride`; merges take
the largest window; global pooling, flatten and linear layers see everything).

Routing depth: the fewest weight layers (convs, transposed convs, linear layers) on one
path from the input to the output through which any input pixel can influence any
output pixel, i.e. whose window reaches 2 * side - 1 pixels. This is where multigrid
networks differ from single-grid ones: a coarse grid routes information across the
image in few layers (the paper's case for multigrid routing). None means no path ever spans the input.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from fractions import Fraction

import networkx as nx

from mgdsl.ops import OPS

__all__ = ["OutputReach", "receptive_fields", "rf_step"]

FULL = float("inf")


@dataclass(frozen=True)
class OutputReach:
    """The receptive field (pixels; inf = the whole input) and routing depth of one output."""

    name: str
    receptive_field: float
    routing_depth: int | None
    input_side: int

    def rf_text(self) -> str:
        """Human form: `44 px`, `212 px (spans the input)` or `global`."""
        if self.receptive_field == FULL:
            return "global"
        spans = " (spans the input)" if self.receptive_field >= 2 * self.input_side - 1 else ""
        return f"{int(self.receptive_field)} px{spans}"


def _prune(frontier: list[tuple[int, float]]) -> list[tuple[int, float]]:
    best: list[tuple[int, float]] = []
    for d, r in sorted(frontier, key=lambda t: (t[0], -t[1])):
        if not best or r > best[-1][1]:
            best.append((d, r))
    return best


@functools.cache
def _takes_shapes(op: str) -> bool:
    return len(inspect.signature(OPS[op].rf).parameters) >= 2


def rf_step(spec, args: dict, shapes: list[tuple[int, ...]]) -> tuple[int | None, Fraction]:
    """`(extent, stride)` of one op: `spec.rf(args)`, or `spec.rf(args, shapes)` for an op
    whose step depends on its input's size (adaptive pooling)."""
    return spec.rf(args, shapes) if _takes_shapes(spec.name) else spec.rf(args)


def receptive_fields(ir: nx.DiGraph) -> list[OutputReach]:
    """Receptive field and routing depth of each output of `ir`, in declaration order."""
    side = max((max(ir.nodes[n].shape[1:]) for n in ir.graph["inputs"].values()), default=1)
    need = 2 * side - 1
    jump: dict[int, Fraction] = {}
    frontier: dict[int, list[tuple[int, float]]] = {}
    for n in sorted(ir.nodes):
        data = ir.nodes[n]
        # values of learned tensors alone (`param(n)`) see no pixel: they are left out
        ins = [u for u in dict.fromkeys(data.inputs) if frontier[u]]
        if not ins:
            source = data.op == "input"
            jump[n], frontier[n] = Fraction(1), [(0, 1.0)] if source else []
            continue
        spec = OPS[data.op]
        extent, stride = rf_step(spec, data.args, [ir.nodes[u].shape for u in data.inputs])
        j_in = jump[ins[0]]
        merged = [e for u in ins for e in frontier[u]]
        step = 1 if spec.weight_layer else 0
        out = []
        for d, r in merged:
            r2 = FULL if extent is None or r == FULL else r + (extent - 1) * float(j_in)
            out.append((d + step, r2))
        jump[n] = j_in * stride
        frontier[n] = _prune(out)
    result = []
    for name, n in ir.graph["outputs"].items():
        f = frontier[n]
        rf = max((r for _, r in f), default=1.0)
        depth = next((d for d, r in f if r >= need), None)
        result.append(OutputReach(name, rf, depth, side))
    return result
