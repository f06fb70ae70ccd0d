"""Structural checks of diagrams, shared by the render tests: parse our DOT and TikZ
text back into boxes and arrows, and compare them with the view and with the IR."""

from __future__ import annotations

import re
from collections import Counter

import networkx as nx

from mgdsl.diagrams.layers import REDUCE_OPS, UP_OPS
from mgdsl.ops import OPS

NODE = re.compile(r'^\t(\w+) \[(.*)\]$', re.M)
EDGE = re.compile(r'^\t(\w+) -> (\w+)(?::\w+)? \[(.*)\]$', re.M)
ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^ \]]+)')
TIKZ_NODE = re.compile(r'^\\(?:node\[[^\n]*?\]|coordinate) \((\w+)\) at \(([-\d.]+),([-\d.]+)\)',
                       re.M)
TIKZ_ARROW = re.compile(r'^\\draw\[mg (\w+)[^\]]*\] \((\w+)(?:\.\w+)?\) -- \((\w+)(?:\.\w+)?\);',
                        re.M)


def _attrs(text: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in ATTR.findall(text)}


def parse_dot(source: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, dict]]]:
    """Nodes (id -> attributes) and edges (tail, head, attributes) of our DOT text."""
    nodes = {m.group(1): _attrs(m.group(2)) for m in NODE.finditer(source)
             if m.group(1) not in ("graph", "node", "edge")}
    edges = [(m.group(1), m.group(2), _attrs(m.group(3))) for m in EDGE.finditer(source)]
    return nodes, edges


def dot_drawing(source: str) -> tuple[dict[str, tuple[float, float]], list[tuple[str, str, str]]]:
    """Positions of every node and (tail, head, kind) of every arrow segment, from DOT."""
    nodes, edges = parse_dot(source)
    pos = {k: tuple(float(c) for c in v["pos"].rstrip("!").split(",")) for k, v in nodes.items()}
    arrows = [(t, h, a["class"].split()[-1]) for t, h, a in edges if "class" in a]
    return pos, arrows


def tikz_drawing(source: str) -> tuple[dict[str, tuple[float, float]], list[tuple[str, str, str]]]:
    """The same from TikZ text."""
    pos = {m.group(1): (float(m.group(2)), float(m.group(3))) for m in TIKZ_NODE.finditer(source)}
    arrows = [(m.group(2), m.group(3), m.group(1)) for m in TIKZ_ARROW.finditer(source)]
    return pos, arrows


def expected_kind(ir: nx.DiGraph, view, arrow) -> str:
    """The kind an arrow must have, from the IR alone: the levels of the grids it joins,
    the IR ops it passes through, and the op it enters."""
    src, dst = view.boxes[arrow.src], view.boxes[arrow.dst]
    ops = [ir.nodes[m].op for m in arrow.nodes]
    weight = any(OPS[op].weight_layer for op in ops)
    if arrow.kind == "residual":
        # a shortcut into a sum ending a unit: its source reaches the unit's first layer
        assert "add" in dst.folded, "a residual arrow enters a sum"
        assert nx.has_path(ir, src.node, dst.node), "a shortcut comes from before the unit"
        if weight:  # a projection: the unit leaves its source through more than resampling
            start = ir.nodes[arrow.nodes[0]].inputs[0]
            others = [ir.nodes[r].op for r in ir.succ[start] if r not in arrow.nodes]
            assert any(op not in REDUCE_OPS | UP_OPS for op in others), \
                "a projection shortcut goes around a unit reading the same grid"
        return "residual"
    if arrow.kind == "skipcat":
        assert "concat" in ops or not ops
        return "skipcat"
    reader = arrow.reader if arrow.reader >= 0 else dst.node
    operand = arrow.nodes[-1] if arrow.nodes else src.node
    spread = ir.nodes[reader].shape[1:]
    if not weight and not OPS[ir.nodes[reader].op].weight_layer and len(spread) == 2 and (
            (ir.nodes[src.node].op == "learned" and ir.nodes[operand].shape[1:] != spread)
            or (tuple(ir.nodes[operand].shape[1:]) == (1, 1) and tuple(spread) != (1, 1))):
        return "broadcast"  # a learned scale or a 1 x 1 gate, spread over a grid
    if src.row == dst.row:
        return "same"
    took = set(ops) | {ir.nodes[reader].op}
    if weight:
        return "xconv"
    if {"space_to_depth", "depth_to_space"} & took:
        return "reshape"  # space <-> channels: nothing is resampled
    if OPS[ir.nodes[reader].op].weight_layer and "concat" not in ops \
            and not REDUCE_OPS & set(ops):
        return "xconv"
    if UP_OPS & took:
        return "upsample"
    if REDUCE_OPS & took:
        return "pool"
    # nothing on the way resamples: never a guess from the direction alone
    assert not UP_OPS & took and not REDUCE_OPS & took
    return "xconv"  # read across levels as it is (attention's k and v)


def check_positions(view, pos: dict, strips: list[tuple[int, int]] | None = None) -> dict:
    """Where the boxes are: a column's boxes share one x and, strip by strip (top to
    bottom, never overlapping), x grows column by column and a lane's boxes share one y,
    finer levels and lower lanes below the others. Returns each column's strip."""
    strips = strips or [(0, len(view.columns) - 1)]
    strip_of = {c: k for k, (first, last) in enumerate(strips) for c in range(first, last + 1)}
    assert sorted(strip_of) == list(range(len(view.columns))), "strips cover every column"
    boxes = {b: pos[b] for b in view.boxes}
    x_of: dict[int, set[float]] = {}
    for col in view.columns:
        x_of[col.index] = {boxes[b][0] for b in col.boxes}
        assert len(x_of[col.index]) == 1, "a column's boxes share one x"
    for first, last in strips:
        xs = [min(x_of[c]) for c in range(first, last + 1)]
        assert xs == sorted(set(xs)), "one x per column, growing to the right"

    def heights(strip: tuple[int, int]) -> list[float]:
        return [boxes[b][1] for c in range(strip[0], strip[1] + 1) for b in view.columns[c].boxes]

    for upper, lower in zip(strips, strips[1:], strict=False):
        assert max(heights(lower)) < min(heights(upper)), "each strip lies below the one before"
    ys: dict[tuple, set[float]] = {}
    for b in view.boxes.values():
        ys.setdefault((strip_of[b.column], b.row, b.lane), set()).add(boxes[b.id][1])
    assert all(len(v) == 1 for v in ys.values()), "a lane's boxes share one y"
    for k in range(len(strips)):
        by_lane = [next(iter(ys[key])) for key in sorted(ys) if key[0] == k]
        assert by_lane == sorted(by_lane), "finer levels (and lower lanes) lie below the others"
    return strip_of


def check_drawing(ir: nx.DiGraph, view, pos: dict, arrows: list[tuple[str, str, str]],
                  *, collapsed: bool, strips: list[tuple[int, int]] | None = None) -> None:
    """Boxes of one layer share a column, columns are the layers, every arrow points
    right and has the IR's kind, and the drawing shows exactly the view's arrows. With
    `strips` (a drawing wrapped into strips, top to bottom), each strip on its own: x
    grows column by column, strips do not overlap, and an arrow between two strips runs
    through a connector (`wrap*` nodes) at each end."""
    strips = strips or [(0, len(view.columns) - 1)]
    strip_of = check_positions(view, pos, strips)
    boxes = {b: pos[b] for b in view.boxes}
    by_scope: dict[tuple, list[str]] = {}
    for b in view.boxes.values():
        if b.kind in ("layer", "pool", "input"):
            by_scope.setdefault((b.kind,) + tuple(ir.nodes[b.node].scope), []).append(b.id)
    for members in by_scope.values():
        rows = [view.boxes[b].row for b in members]
        if len(rows) == len(set(rows)):
            assert len({boxes[b][0] for b in members}) == 1, "boxes of one layer, one column"
    for tail, head, _ in arrows:
        # an arrow within the input pyramid's column is routed along its left side
        around = tail in view.boxes and view.boxes[tail].kind == "input" and \
            head not in view.boxes
        # the unseen join between the two connectors of an arrow that crosses strips
        joined = tail.startswith("wrap") and head.startswith("wrap")
        assert around or joined or pos[head][0] >= pos[tail][0] - 1e-9, \
            f"{tail} -> {head} points left"
        if joined:
            assert pos[head][1] < pos[tail][1], "a connector leads into a later strip"
    into_boxes = Counter((t, h, k) for t, h, k in arrows if h in view.boxes)
    hops = {h: t for t, h, _ in arrows if h not in view.boxes}
    drawn = Counter()
    for (t, h, k), n in into_boxes.items():
        while t in hops:  # follow a bridged arrow back to its source box
            t = hops[t]
        drawn[(t, h, k)] += n
    assert drawn == Counter((a.src, a.dst, a.kind) for a in view.arrows)
    wrapped = {(t, h) for t, h, _ in arrows if t.startswith("wrap")}
    for a in view.arrows:
        x0, x1 = boxes[a.src][0], boxes[a.dst][0]
        same_input = view.boxes[a.src].kind == view.boxes[a.dst].kind == "input"
        if strip_of[view.boxes[a.src].column] != strip_of[view.boxes[a.dst].column]:
            assert any(h == a.dst for _, h in wrapped), "a wrapped arrow ends at a connector"
            continue
        assert x1 > x0 or same_input, "no arrow within a column (but the input pyramid's)"
        if not collapsed:
            assert a.kind == expected_kind(ir, view, a), (a, view.boxes[a.src], view.boxes[a.dst])


def parallel_pairs(view) -> list[tuple]:
    """Every pair of boxes neither of which reaches the other through the arrows."""
    g = nx.DiGraph()
    g.add_nodes_from(view.boxes)
    g.add_edges_from((a.src, a.dst) for a in view.arrows)
    closure = {b: nx.descendants(g, b) for b in g}
    ids = sorted(view.boxes)
    return [(view.boxes[a], view.boxes[b]) for i, a in enumerate(ids) for b in ids[i + 1:]
            if b not in closure[a] and a not in closure[b]]


def check_no_chains(view, scene) -> None:
    """Two boxes that neither reaches the other are never drawn as a chain: no arrow joins
    them and they are on different levels or lanes; every lane is a chain; and no arrow
    along a row is drawn through a box it does not join (which would read as a chain)."""
    arrows = {(a.src, a.dst) for a in view.arrows}
    for a, b in parallel_pairs(view):
        assert (a.id, b.id) not in arrows and (b.id, a.id) not in arrows
        assert (a.row, a.lane) != (b.row, b.lane), \
            f"{a.name} and {b.name} are parallel but drawn in one lane of one level"
    nodes = {name: attrs for name, _, attrs in scene.nodes}
    rects = {}
    for b in view.boxes.values():
        x, y = (float(v) for v in nodes[b.id]["pos"].rstrip("!").split(","))
        w, h = float(nodes[b.id]["width"]), float(nodes[b.id]["height"])
        rects[b.id] = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
    for tail, head, attrs in scene.edges:
        if tail not in view.boxes or head not in view.boxes:
            continue
        if view.boxes[tail].row != view.boxes[head].row:
            continue
        p, q = _port(rects[tail], attrs.get("tailport")), _port(rects[head], attrs.get("headport"))
        for other, r in rects.items():
            if other not in (tail, head) and view.boxes[other].row == view.boxes[tail].row:
                assert not _crosses(p, q, r), f"{tail} -> {head} is drawn through {other}"


def _port(rect, port) -> tuple[float, float]:
    x0, y0, x1, y1 = rect
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return {"n": (cx, y1), "s": (cx, y0), "e": (x1, cy), "w": (x0, cy)}.get(port, (cx, cy))


def _crosses(p, q, rect, steps: int = 64) -> bool:
    """Whether segment p-q passes through the inside of `rect` (shrunk by a hair)."""
    x0, y0, x1, y1 = rect[0] + 0.01, rect[1] + 0.01, rect[2] - 0.01, rect[3] - 0.01
    for i in range(1, steps):
        t = i / steps
        x, y = p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])
        if x0 < x < x1 and y0 < y < y1:
            return True
    return False


def layer_count(ir: nx.DiGraph, view) -> tuple[int, bool]:
    """How many columns the layers need: the longest chain of op instances (groups of
    boxes of one scope, split where they read each other), input and outputs included;
    and whether two op instances at one depth share a row (parallel layers on one grid,
    drawn in lanes of one column)."""
    key = {}
    for b in view.boxes.values():
        key[b.id] = ("input",) if b.kind == "input" else ("output",) if b.kind == "output" \
            else (b.kind,) + tuple(ir.nodes[b.node].scope)
    inner = {key[a.src] for a in view.arrows
             if key[a.src] == key[a.dst] and key[a.src] != ("input",)}
    for b in view.boxes.values():
        if key[b.id] in inner:
            key[b.id] = (b.id,)
    g = nx.DiGraph()
    g.add_nodes_from(set(key.values()))
    g.add_edges_from((key[a.src], key[a.dst]) for a in view.arrows if key[a.src] != key[a.dst])
    depth: dict = {}
    for n in nx.topological_sort(g):
        depth[n] = max((depth[p] + 1 for p in g.pred[n]), default=0)
    last = max((d for n, d in depth.items() if n != ("output",)), default=0)
    out = depth.get(("output",), 0)
    count = max(last + 1, out) + 1 if ("output",) in depth else last + 1
    cells: dict[tuple[int, int], set] = {}
    for b in view.boxes.values():
        cells.setdefault((depth[key[b.id]], b.row), set()).add(key[b.id])
    return count, any(len(groups) > 1 for groups in cells.values())
