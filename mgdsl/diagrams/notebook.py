"""How networks show themselves in Jupyter: the IR as its diagram, with a one-line
summary above it. Without Graphviz's `dot` the notebook falls back to the text repr.

>>> import mgdsl
>>> ir = mgdsl.build_graph('network N() { input x: 1 x 8 x 8  output y = relu(x) }')
>>> ir_html(ir).startswith('<div class="mgdsl-network">') or ir_html(ir) is None
True
"""

from __future__ import annotations

import html

import networkx as nx

from mgdsl.diagrams.errors import MgRenderError
from mgdsl.syntax.literal import mg_arguments

__all__ = ["ir_svg", "ir_html", "summary_line"]


def ir_svg(ir: nx.DiGraph) -> str | None:
    """The SVG diagram of `ir`, or None when Graphviz is not installed."""
    from mgdsl.diagrams.draw import draw
    from mgdsl.diagrams.emit import to_dot
    from mgdsl.diagrams.layers import build_view

    try:
        source = to_dot(build_view(ir), params=ir.graph.get("params") or {})
        return draw(source, "svg").decode("utf-8")
    except MgRenderError:
        return None


def summary_line(ir: nx.DiGraph) -> str:
    """`name(params): N nodes, P parameters, M MACs` for a checked IR."""
    from mgdsl.analyses.cost import cost_of

    cost = cost_of(ir)
    params = ir.graph.get("params") or {}
    args = mg_arguments(params)
    return (f"{ir.graph.get('name', 'network')}({args}): {len(ir):,} IR nodes, "
            f"{cost.params:,} parameters, {cost.macs:,} MACs")


def ir_html(ir: nx.DiGraph) -> str | None:
    """The summary line over the diagram, as HTML; None without Graphviz."""
    svg = ir_svg(ir)
    if svg is None:
        return None
    body = svg[svg.index("<svg"):] if "<svg" in svg else svg
    return (f'<div class="mgdsl-network"><p><code>{html.escape(summary_line(ir))}</code></p>'
            f"{body}</div>")
