"""Parameters and MACs of a checked IR, from the op registry alone (no torch).

MACs are multiply-accumulates of conv, transposed-conv and linear layers, for one input
sample: the convention of the paper's FLOPs column. torch's `FlopCounterMode` reports
exactly twice this number.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx

from mgdsl.ops import OPS, SHARES

__all__ = ["Cost", "annotate_cost", "cost_of"]


@dataclass(repr=False)
class Cost:
    """Totals and breakdowns of parameters and MACs (each breakdown maps a key to
    `[params, macs]`). Prints as a table; shows as an HTML table in Jupyter.

    >>> cost = Cost(params=10, macs=200, live_macs=200)
    >>> cost.by_op["conv"] = [10, 200]
    >>> cost
    Cost(params=10, macs=200, live_macs=200, by_section={}, by_level={}, by_op={'conv': [10, 200]})
    >>> print(cost)
    parameters  10
    MACs        200
    <BLANKLINE>
    by op:
      op    params  MACs
      conv      10   200
    """

    params: int = 0
    macs: int = 0
    live_macs: int = 0
    by_section: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_level: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_op: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def _tables(self) -> list[tuple[str, str, list[tuple[str, int, int]]]]:
        out = []
        for title, key, table in (("by section", "section", self.by_section),
                                  ("by level", "level", self.by_level),
                                  ("by op", "op", self.by_op)):
            if table:
                out.append((title, key, [(k, v[0], v[1]) for k, v in table.items()]))
        return out

    def __repr__(self) -> str:
        tables = ", ".join(f"{name}={ {k: list(v) for k, v in getattr(self, name).items()} }"
                           for name in ("by_section", "by_level", "by_op"))
        return (f"Cost(params={self.params}, macs={self.macs}, live_macs={self.live_macs}, "
                f"{tables})").replace("{ ", "{").replace(" }", "}")

    def __str__(self) -> str:
        lines = [f"parameters  {self.params:,}", f"MACs        {self.macs:,}"]
        if self.live_macs != self.macs:
            lines.append(f"live MACs   {self.live_macs:,}  (reaching an output)")
        for title, key, rows in self._tables():
            cells = [(key, "params", "MACs")] + [(k, f"{p:,}", f"{m:,}") for k, p, m in rows]
            widths = [max(len(c[i]) for c in cells) for i in range(3)]
            lines += ["", f"{title}:"]
            for c in cells:
                lines.append(f"  {c[0]:<{widths[0]}}  {c[1]:>{widths[1]}}  {c[2]:>{widths[2]}}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        def row(cells: tuple, tag: str = "td") -> str:
            return "<tr>" + "".join(
                f'<{tag} style="text-align:{"left" if i == 0 else "right"}">'
                f"{html.escape(str(c))}</{tag}>" for i, c in enumerate(cells)) + "</tr>"

        parts = ['<table class="mgdsl-cost">',
                 row(("", "params", "MACs"), "th"),
                 row(("total", f"{self.params:,}", f"{self.macs:,}"))]
        if self.live_macs != self.macs:
            parts.append(row(("reaching an output", "", f"{self.live_macs:,}")))
        for title, _, rows in self._tables():
            parts.append(f'<tr><th colspan="3" style="text-align:left">{html.escape(title)}'
                         f"</th></tr>")
            parts += [row((k, f"{p:,}", f"{m:,}")) for k, p, m in rows]
        return "\n".join(parts + ["</table>"])


def annotate_cost(ir: nx.DiGraph) -> None:
    """Write `meta.params` and `meta.macs` on every node."""
    for _, data in ir.nodes(data=True):
        spec = OPS[data.op]
        ins = [ir.nodes[u].shape for u in data.inputs]
        data.meta.params = spec.params(data.args, ins, data.shape)
        data.meta.macs = spec.macs(data.args, ins, data.shape)


SHARED_LEVELS = "shared"  # the by-level row of weights used on several levels


def _shared_across_levels(ir: nx.DiGraph) -> set[int]:
    """The nodes holding weights that nodes on other levels use too (`shared = true`
    across a pyramid): their parameters belong to no one level."""
    levels: dict[int, set] = {}
    for _, data in ir.nodes(data=True):
        owner = data.args.get(SHARES)
        if owner is not None:
            levels.setdefault(owner, {ir.nodes[owner].level}).add(data.level)
    return {owner for owner, seen in levels.items() if len(seen) > 1}


def cost_of(ir: nx.DiGraph) -> Cost:
    """Totals per network, per section, per level and per op (annotating if needed). The
    parameters of a layer shared across levels go to the level row `shared`, its MACs to
    each level it runs on."""
    cost = Cost()
    shared = _shared_across_levels(ir)
    for n, data in ir.nodes(data=True):
        meta = data.meta
        if meta.params is None:
            annotate_cost(ir)
            return cost_of(ir)
        p, m = meta.params, meta.macs
        cost.params += p
        cost.macs += m
        if meta.live is not False:
            cost.live_macs += m
        if not (p or m):
            continue
        level = "-" if data.level is None else str(data.level)
        for table, key in ((cost.by_section, data.section or "-"),
                           (cost.by_level, level),
                           (cost.by_op, data.op)):
            if table is cost.by_level and n in shared and p:
                cost.by_level[SHARED_LEVELS][0] += p
                p_here = 0
            else:
                p_here = p
            table[key][0] += p_here
            table[key][1] += m
    if SHARED_LEVELS in cost.by_level:  # after the levels
        cost.by_level[SHARED_LEVELS] = cost.by_level.pop(SHARED_LEVELS)
    return cost
