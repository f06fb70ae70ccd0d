"""A drawing as data: the nodes and edges `emit` lays out, before any output format.

`Scene` records what `emit` draws with the same calls as `graphviz.Digraph` (`attr`,
`node`, `edge`) and Graphviz's attribute names, so one drawing feeds both the DOT text
(`to_dot`, replayed into `graphviz.Digraph` call for call) and the TikZ picture
(`mgdsl.diagrams.tikz`). Every node carries a pinned `pos` in inches.

>>> s = Scene("N")
>>> s.node("a", "1", pos="0,0!")
>>> s.edge("a", "a", color="#000000")
>>> len(s.nodes), s.edges[0][:2]
(1, ('a', 'a'))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import graphviz

__all__ = ["Scene", "scene_to_dot"]


@dataclass
class Scene:
    """Graph attributes, then nodes and edges in drawing order (attributes as strings)."""

    name: str
    graph: dict[str, str] = field(default_factory=dict)
    edge_defaults: dict[str, str] = field(default_factory=dict)
    nodes: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    strips: list[tuple[int, int]] = field(default_factory=list)  # (first, last) column

    def attr(self, kind: str | None = None, **attrs: str) -> None:
        """Graph attributes, or the defaults of every edge (`kind="edge"`)."""
        (self.edge_defaults if kind == "edge" else self.graph).update(attrs)

    def node(self, name: str, label: str = "", **attrs: str) -> None:
        """A node with its label and attributes."""
        self.nodes.append((name, label, attrs))

    def edge(self, tail: str, head: str, **attrs: str) -> None:
        """An edge between two nodes."""
        self.edges.append((tail, head, attrs))

    def position(self, name: str) -> tuple[float, float]:
        """The pinned centre of node `name`, in inches."""
        for n, _, attrs in self.nodes:
            if n == name:
                x, y = attrs["pos"].rstrip("!").split(",")
                return float(x), float(y)
        raise KeyError(name)


def scene_to_dot(scene: Scene) -> str:
    """The DOT text of a scene (Graphviz's `neato` keeps the pinned positions)."""
    g = graphviz.Digraph(scene.name)
    g.attr(**scene.graph)
    if scene.edge_defaults:
        g.attr("edge", **scene.edge_defaults)
    for name, label, attrs in scene.nodes:
        g.node(name, label, **attrs)
    for tail, head, attrs in scene.edges:
        g.edge(tail, head, **attrs)
    return g.source
