"""Parameters and MACs of a checked IR, from the op registry alone (no torch).

MACs are multiply-accumulates of conv, transposed-conv and linear layers, for one input
sample: the convention of the paper's FLOPs column. torch's `FlopCounterMode` reports
exactly twice this number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx

from mgdsl.ops import OPS

__all__ = ["Cost", "annotate_cost", "cost_of"]


@dataclass
class Cost:
    """Totals and breakdowns of parameters and MACs."""

    params: int = 0
    macs: int = 0
    live_macs: int = 0
    by_section: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_level: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_op: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))


def annotate_cost(ir: nx.DiGraph) -> None:
    """Write `meta["params"]` and `meta["macs"]` on every node."""
    for _, data in ir.nodes(data=True):
        spec = OPS[data["op"]]
        ins = [ir.nodes[u]["shape"] for u in data["inputs"]]
        data["meta"]["params"] = spec.params(data["args"], ins, data["shape"])
        data["meta"]["macs"] = spec.macs(data["args"], ins, data["shape"])


def cost_of(ir: nx.DiGraph) -> Cost:
    """Totals per network, per section, per level and per op (annotating if needed)."""
    cost = Cost()
    for _, data in ir.nodes(data=True):
        meta = data["meta"]
        if "params" not in meta:
            annotate_cost(ir)
            return cost_of(ir)
        p, m = meta["params"], meta["macs"]
        cost.params += p
        cost.macs += m
        if meta.get("live", True):
            cost.live_macs += m
        if not (p or m):
            continue
        for table, key in ((cost.by_section, data["section"] or "-"),
                           (cost.by_level, "-" if data["level"] is None else str(data["level"])),
                           (cost.by_op, data["op"])):
            table[key][0] += p
            table[key][1] += m
    return cost
