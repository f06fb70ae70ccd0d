"""One JSON-able summary of a checked IR: totals, breakdowns, grid shapes, reach.

`mgdsl stats` prints it; `mgdsl stats --json` dumps it as is.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from mgdsl.analyses.cost import cost_of
from mgdsl.analyses.receptive import FULL, receptive_fields
from mgdsl.paths import display_path

__all__ = ["summarize", "MACS_NOTE"]

MACS_NOTE = ("MACs = multiply-accumulates of conv, transposed-conv and linear layers for one "
             "sample (the paper's FLOPs column); torch's FlopCounterMode reports 2x")


def _grid_shapes(ir: nx.DiGraph) -> list[dict[str, Any]]:
    """Per section (in order of appearance), the pyramid it hands on: on each level, the
    shape of the section's last grid that a node outside the section (or an output) reads.

    Nodes outside every section form the row ``input`` before the first section and ``-``
    after it.
    """
    first = min((n for n in ir.nodes if ir.nodes[n].section), default=None)

    def group(n: int) -> str:
        d = ir.nodes[n]
        if d.section:
            return d.section
        before = d.op == "input" if first is None else n < first
        return "input" if before else "-"

    rows: dict[str, dict[str, str]] = {}
    for n in sorted(ir.nodes):
        d = ir.nodes[n]
        if d.level is None or d.op == "output":
            continue
        here = group(n)
        levels = rows.setdefault(here, {})
        if any(ir.nodes[s].op == "output" or group(s) != here for s in ir.successors(n)):
            levels[str(d.level)] = "x".join(map(str, d.shape))
    return [{"section": s, "levels": dict(sorted(v.items(), key=lambda kv: int(kv[0])))}
            for s, v in rows.items() if v]


def summarize(ir: nx.DiGraph) -> dict[str, Any]:
    """Totals and breakdowns of parameters and MACs, grid shapes, and per-output reach."""
    cost = cost_of(ir)
    g = ir.graph
    dead = [ir.nodes[n].name for n in sorted(ir.nodes)
            if ir.nodes[n].meta.live is False and ir.nodes[n].meta.macs]
    return {
        "network": g["name"],
        "file": display_path(g["file"]),
        "params": dict(g.get("params", {})),
        "nodes": len(ir),
        "total_params": cost.params,
        "total_macs": cost.macs,
        "live_macs": cost.live_macs,
        "macs_note": MACS_NOTE,
        "by_section": [{"section": k, "params": v[0], "macs": v[1]}
                       for k, v in cost.by_section.items()],
        "by_level": [{"level": k, "params": v[0], "macs": v[1]}
                     for k, v in sorted(cost.by_level.items(),
                                        key=lambda kv: (kv[0] == "-", kv[0].zfill(4)))],
        "grids": _grid_shapes(ir),
        "inputs": {name: list(ir.nodes[n].shape) for name, n in g["inputs"].items()},
        "outputs": [
            {"name": r.name, "shape": list(ir.nodes[g["outputs"][r.name]].shape),
             "receptive_field": None if r.receptive_field == FULL else int(r.receptive_field),
             "receptive_field_text": r.rf_text(), "routing_depth": r.routing_depth}
            for r in receptive_fields(ir)
        ],
        "dead_weight_layers": dead,
    }
