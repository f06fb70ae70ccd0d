"""Lanes within a row: branches that run side by side on one pyramid level are drawn one
above the other in that level's band, so a fork and its merge read as such.

The boxes of one row are split into lanes, each a chain: every box of a lane is reached
(through the arrows) by the box before it in that lane. Two boxes that neither reaches
therefore never share a lane, and never a column either (`columns` places a box one
column right of everything it reads, so a column holds no path); a chain stays in one
lane. Boxes are taken in column order and each joins, when it can, the lane of the box
it reads on its own row (the main path stays on one track), else the lowest lane it may
join, else a new one. Lane 0 is the bottom of the band.

>>> from mgdsl.diagrams.view import Arrow, Box
>>> def box(i, column):
...     b = Box(f"b{i}", i, "layer", "conv", 0, (8, 8, 8), None, f"b{i}", (i,))
...     b.column = column
...     return b
>>> boxes = {b.id: b for b in [box(0, 0), box(1, 1), box(2, 1), box(3, 2)]}
>>> arrows = [Arrow("b0", "b1", "same"), Arrow("b0", "b2", "same"),
...           Arrow("b1", "b3", "same"), Arrow("b2", "b3", "same")]
>>> assign_lanes(boxes, arrows)
>>> [boxes[b].lane for b in ("b0", "b1", "b2", "b3")]
[0, 0, 1, 0]
"""

from __future__ import annotations

import itertools

import networkx as nx

from mgdsl.diagrams.view import Arrow, Box

__all__ = ["assign_lanes", "box_graph"]


def box_graph(boxes: dict[str, Box], arrows: list[Arrow]) -> nx.DiGraph:
    """The boxes as nodes and the arrows as edges."""
    g = nx.DiGraph()
    g.add_nodes_from(boxes)
    g.add_edges_from((a.src, a.dst) for a in arrows if a.src != a.dst)
    return g


def assign_lanes(boxes: dict[str, Box], arrows: list[Arrow]) -> None:
    """Set every box's `lane` (see the module docstring)."""
    g = box_graph(boxes, arrows)
    by_row: dict[float, list[Box]] = {}
    for b in boxes.values():
        by_row.setdefault(b.row, []).append(b)
    for members in by_row.values():
        members.sort(key=lambda b: (b.column, b.node))
        if len(members) == 1 or len({b.column for b in members}) == len(members) and all(
                g.has_edge(a.id, b.id) for a, b in itertools.pairwise(members)):
            for b in members:
                b.lane = 0
            continue
        lanes: list[str] = []  # the last box of each lane
        for b in members:
            before = nx.ancestors(g, b.id)
            free = [i for i, last in enumerate(lanes) if last in before]
            fed = [i for i in free if g.has_edge(lanes[i], b.id)]
            lane = fed[0] if fed else free[0] if free else len(lanes)
            if lane == len(lanes):
                lanes.append(b.id)
            lanes[lane] = b.id
            b.lane = lane
