"""Receptive field and routing depth of every output, from the IR alone.

Receptive field: the side, in input pixels, of the window of the input that can affect
one output pixel, on an unbounded input (so it may be wider than the image). Each op says
which input pixels an output pixel reads (`OpSpec.reads`, or `extent` pixels from
`floor(i * stride) - pad` by its `rf` rule); the windows of the output pixels around the
centre, one whole period of their phases, are followed back to the inputs (a merge reads
the hull of its operands' windows) and the widest is reported. This is exact where the
recurrence `r_out = r_in + (k - 1) * j_in`, `j_out = j_in * stride` is not: after an
upsampling, neighbouring pixels' windows move by 0 or a whole coarse pixel, not by the
fractional jump (two bilinear upsamplings in a row; nearest upsampling then an aligned
pooling). Global pooling, flatten and linear layers see everything. A coarser grid of a
pyramid input counts its pixels at the finest input's size.

Routing depth: the fewest weight layers (convs, transposed convs, linear layers) on one
path from the input to the output through which any input pixel can influence any
output pixel, i.e. whose window reaches 2 * side - 1 pixels. This is where multigrid
networks differ from single-grid ones: a coarse grid routes information across the
image in few layers (the paper's case for multigrid routing). None means no path ever spans the input.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
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


PERIOD_CAP = 64  # output pixels followed back at most, per axis


def _window_map(spec, args: dict, ins: list[tuple[int, ...]], out: tuple[int, ...],
                axis: int) -> Callable[[int], tuple[int, int]] | None:
    """Output index -> (first, last) input index along `axis`; None: the whole input."""
    if spec.reads is not None:
        return spec.reads(args, ins, out, axis)
    extent, stride = rf_step(spec, args, ins)
    if extent is None:
        return None
    pad = args.get("pad", 0) if "k" in args else 0  # convs and poolings
    num, den = stride.numerator, stride.denominator  # integer floors: no Fraction per pixel
    return lambda i: (i * num // den - pad, i * num // den - pad + extent - 1)


def _widest_window(ir: nx.DiGraph, out: int, side: int, period: int) -> float:
    """The widest window, in pixels of the finest input, of `period` output pixels around
    the centre of output node `out`, along either axis (FULL if any reads everything)."""
    shape = ir.nodes[out].shape
    if len(shape) != 3:
        return FULL
    widest = 1.0
    for axis in (0, 1):
        centre = shape[1 + axis] // 2
        start = centre - period // 2
        demand: dict[int, list[tuple[int, int]] | None] = {
            out: [(i, i) for i in range(start, start + period)]}
        for n in sorted(nx.ancestors(ir, out) | {out}, reverse=True):
            if n not in demand:
                continue
            windows = demand.pop(n)
            data = ir.nodes[n]
            if data.op == "input":
                if windows is None:
                    return FULL
                scale = side / data.shape[1 + axis]
                widest = max(widest, max((hi - lo + 1) * scale for lo, hi in windows))
                continue
            spec = OPS[data.op]
            in_shapes = [ir.nodes[u].shape for u in data.inputs]
            for u in dict.fromkeys(data.inputs):
                grid = ir.nodes[u].shape
                if len(grid) != 3:
                    continue  # a vector or a learned tensor: no pixels of the input
                if windows is None:
                    mapped = None
                elif grid[1 + axis] == 1 and data.shape[1 + axis] != 1:
                    mapped = [(0, 0)] * len(windows)  # a 1 x 1 grid spread over the grid
                else:
                    reads = _window_map(spec, data.args, in_shapes, data.shape, axis)
                    mapped = None if reads is None else \
                        [(reads(lo)[0], reads(hi)[1]) for lo, hi in windows]
                if u not in demand:
                    demand[u] = mapped
                elif demand[u] is None or mapped is None:
                    demand[u] = None
                else:
                    demand[u] = [(min(a[0], b[0]), max(a[1], b[1]))
                                 for a, b in zip(demand[u], mapped, strict=True)]
    return widest


def _period(ir: nx.DiGraph, out: int, jump: dict[int, Fraction]) -> int:
    """How many output pixels one cycle of window phases takes: every grid on the way
    must step a whole number of its pixels (capped at `PERIOD_CAP`)."""
    period = 1
    for n in nx.ancestors(ir, out):
        if n in jump and jump[n]:
            period = math.lcm(period, (jump[out] / jump[n]).denominator)
            if period >= PERIOD_CAP:
                return PERIOD_CAP
    return period


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
        if rf != FULL and f:
            rf = _widest_window(ir, n, side, _period(ir, n, jump))
        depth = next((d for d, r in f if r >= need), None)
        result.append(OutputReach(name, rf, depth, side))
    return result
