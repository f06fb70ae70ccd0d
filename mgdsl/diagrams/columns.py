"""Columns for a layer view: the boxes of one layer share a column, and every arrow
points right.

Boxes made by one op instance (one `scope`: all grids of a layer) form a group; a group
whose boxes would share a row is split where the row repeats. Groups are placed by
longest path over the arrows (a group sits one column right of the rightmost group it
reads, two when the arrow carries a weight layer: a cross-scale or projection conv drawn
as an arrow stands for a layer, so OctConv's two frequencies stay in step), in a
topological order with ties broken by the IR order, so the statement order
that built a network does not matter: two branches written one after the other land
side by side, in one column, and `lanes` stacks them within their row. A column
therefore never holds two boxes one of which reaches the other. Outputs share the last
column. The box graph is acyclic by construction (`layers`); should two groups still
read each other, just those groups are split into single boxes, so placement never
falls back to one column per box.

>>> from mgdsl.diagrams.view import Arrow, Box
>>> def box(i, row, group):
...     return Box(f"b{i}", i, "layer", "conv", row, (8, 8, 8), None, f"b{i}", group)
>>> boxes = {b.id: b for b in [box(0, 0, ("a",)), box(1, 1, ("b",)), box(2, 0, ("c",))]}
>>> cols = assign_columns(boxes, [Arrow("b0", "b2", "same")])
>>> [c.boxes for c in cols]
[['b0', 'b1'], ['b2']]
>>> cols = assign_columns({b.id: b for b in [box(0, 0, ("a",)), box(1, 0, ("b",))]}, [])
>>> [c.boxes for c in cols]
[['b0', 'b1']]
"""

from __future__ import annotations

import networkx as nx

from mgdsl.diagrams.view import Arrow, Box, Column
from mgdsl.ops import OPS

__all__ = ["assign_columns"]


def _groups(boxes: dict[str, Box]) -> list[list[str]]:
    """Boxes of one op instance, split where a row would repeat; in IR order."""
    groups: dict[tuple, list[str]] = {}
    for box in sorted(boxes.values(), key=lambda b: b.node):
        groups.setdefault(box.group, []).append(box.id)
    parts: list[list[str]] = []
    for members in groups.values():
        current: list[str] = []
        rows: set[int] = set()
        for box_id in members:
            if boxes[box_id].row in rows:
                parts.append(current)
                current, rows = [], set()
            current.append(box_id)
            rows.add(boxes[box_id].row)
        parts.append(current)
    return parts


def _carries_layer(arrow: Arrow) -> bool:
    """Whether a weight layer is drawn on the arrow (a cross-scale conv, a projection)."""
    return any(OPS[op].weight_layer for op in arrow.via if op in OPS)


def _part_graph(parts: list[list[str]], boxes: dict[str, Box],
                arrows: list[Arrow]) -> nx.DiGraph:
    """Parts as nodes, an edge where an arrow joins two parts; parts on a cycle (or with
    an arrow inside them, other than the input pyramid's) are split into single boxes."""
    while True:
        part_of = {b: i for i, part in enumerate(parts) for b in part}
        dag = nx.DiGraph()
        dag.add_nodes_from(range(len(parts)))
        bad: set[int] = set()
        for a in arrows:
            i, j = part_of[a.src], part_of[a.dst]
            if i != j:
                span = 2 if _carries_layer(a) else 1
                dag.add_edge(i, j, span=max(span, dag.edges[i, j]["span"]
                                            if dag.has_edge(i, j) else 1))
            elif boxes[a.src].kind != "input" and len(parts[i]) > 1:
                bad.add(i)
        for scc in nx.strongly_connected_components(dag):
            if len(scc) > 1:
                bad |= {i for i in scc if len(parts[i]) > 1}
        if not bad:
            return dag
        parts[:] = [p for i, part in enumerate(parts)
                    for p in ([[b] for b in part] if i in bad else [part])]


def assign_columns(boxes: dict[str, Box], arrows: list[Arrow]) -> list[Column]:
    """Set every box's `column` and return the columns, left to right."""
    parts = _groups(boxes)
    dag = _part_graph(parts, boxes, arrows)
    first = [min(boxes[b].node for b in part) for part in parts]
    is_output = [all(boxes[b].kind == "output" for b in part) for part in parts]
    order = nx.lexicographical_topological_sort(dag, key=lambda i: (is_output[i], first[i]))
    column: dict[int, int] = {}
    last = -1
    for i in order:
        col = max((column[p] + dag.edges[p, i]["span"] for p in dag.pred[i]), default=0)
        if is_output[i]:
            col = max(col, last + 1)
        column[i] = col
        if not is_output[i]:
            last = max(last, col)
    used = sorted(set(column.values()))
    index = {c: k for k, c in enumerate(used)}
    members: dict[int, list[str]] = {k: [] for k in range(len(used))}
    for i, part in enumerate(parts):
        members[index[column[i]]].extend(part)
    columns = []
    for k in range(len(used)):
        ids = sorted(members[k], key=lambda b: (boxes[b].row, boxes[b].node))
        for box_id in ids:
            boxes[box_id].column = k
        kinds = {boxes[b].kind for b in ids}
        kind = "layer" if "layer" in kinds else (kinds.pop() if len(kinds) == 1 else "op")
        sections = [boxes[b].section for b in ids if boxes[b].section]
        columns.append(Column(k, kind, ids, sections[0] if sections else None))
    return columns
