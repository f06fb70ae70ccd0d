"""The layer view of an IR: the grid boxes, columns and arrows that a diagram draws.

A *box* is one grid (or vector) as the paper's figures draw it. In the folded view (the
default) boxes are the outputs of weight layers (conv, deconv, linear), the grids of the
input pyramid, and grids that data movement materialises for several readers (the pyramid
after pooling between sections, a merged grid). Elementwise ops (bn, relu, sigmoid, pad,
add) fold into the box they follow; pooling, upsampling, concatenation and flattening
with a single reader become arrows. A *column* gathers the boxes of one op instance (one
`scope`): all grids of one layer. *Arrows* carry a kind: ``same``, ``down``, ``up``,
``residual`` (shortcut into a sum), ``skipcat`` (a concatenation that bypasses weight
layers, as in U-NET) and ``carry`` (a grid waiting over empty columns of its row before
it is read, as in progressive networks). In the expanded view (`expand=True`) every IR node is a box.

>>> import mgdsl
>>> ir = mgdsl.build_graph('''use "std.mg"
... network N() {
...     input x: 1 x 8 x 8
...     p = stems(x, [4, 2], levels = 2)
...     p = mgcbr(p, [4, 2])
...     output y = sigmoid(cb(p[0], 1))
... }''')
>>> v = build_view(ir)
>>> [c.kind for c in v.columns]
['input', 'layer', 'layer', 'layer', 'output']
>>> sorted({a.kind for a in v.arrows})
['down', 'same', 'up']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from mgdsl.ops import OPS

__all__ = ["Box", "Arrow", "Column", "View", "build_view", "FOLD_OPS", "MOVE_OPS"]

# from each op's `draw` (mgdsl.ops): elementwise ops drawn inside the box they follow,
# data movement drawn as arrows when it has a single reader, and the pooling among it
FOLD_OPS = frozenset(op for op, spec in OPS.items() if spec.draw == "fold")
MOVE_OPS = frozenset(op for op, spec in OPS.items() if spec.draw in ("move", "pool"))
POOL_OPS = frozenset(op for op, spec in OPS.items() if spec.draw == "pool")


@dataclass
class Box:
    """One drawn grid: `node` is the IR node that made it, `folded` the ops drawn in it."""

    id: str
    node: int
    kind: str  # input | layer | pool | op | output
    op: str
    row: int
    shape: tuple[int, ...]
    section: str | None
    name: str
    group: tuple
    folded: list[str] = field(default_factory=list)
    column: int = -1
    dropped: bool = False


@dataclass
class Arrow:
    """A data dependency between two boxes, through the ops in `via`."""

    src: str
    dst: str
    kind: str  # same | down | up | residual | skipcat | carry
    via: tuple[str, ...] = ()


@dataclass
class Column:
    """A column of boxes: one layer (or the input pyramid, a pooling step, the outputs)."""

    index: int
    kind: str
    boxes: list[str]
    section: str | None
    repeat: int = 1  # > 1 on the first column of a folded run (`collapse`)
    span: int = 1  # how many columns the folded run keeps


@dataclass
class View:
    """Everything a diagram needs, in drawing order; no graphviz in here."""

    name: str
    boxes: dict[str, Box]
    columns: list[Column]
    arrows: list[Arrow]
    sections: list[str]
    expanded: bool = False

    def column_of(self, box_id: str) -> int:
        """The column index of a box."""
        return self.boxes[box_id].column


@dataclass
class _Ref:
    """How an IR node is seen: the box it is drawn in, or the boxes it moves data from."""

    box: str | None = None
    sources: tuple[tuple[str, tuple[str, ...], bool], ...] = ()


def _rows(ir: nx.DiGraph) -> dict[int, int]:
    """The row of every node: its level, or for vectors the row of what it reads."""
    rows: dict[int, int] = {}
    for n in sorted(ir.nodes):
        level = ir.nodes[n].get("level")
        if level is None:
            ins = ir.nodes[n].get("inputs", ())
            level = rows[ins[0]] if ins and ins[0] in rows else 0
        rows[n] = int(level)
    return rows


def _fan_out(ir: nx.DiGraph, n: int) -> int:
    return len(ir.succ[n])


def _bypasses_layer(ir: nx.DiGraph, u: int, v: int) -> bool:
    """Whether `u` also reaches `v` through a weight layer (a real skip connection)."""
    forward, stack = {u}, [u]
    while stack:
        x = stack.pop()
        for y in ir.succ[x]:
            if y < v and y not in forward:
                forward.add(y)
                stack.append(y)
    for w in ir.pred[v]:
        if w == u or w not in forward:
            continue
        back, stack = {w}, [w]
        while stack:
            x = stack.pop()
            spec = OPS.get(ir.nodes[x]["op"])
            if x != u and spec is not None and spec.weight_layer:
                return True
            for y in ir.pred[x]:
                if y in forward and y not in back:
                    back.add(y)
                    stack.append(y)
    return False


class _Builder:
    """Walks the IR in topological order and builds boxes and raw arrows."""

    def __init__(self, ir: nx.DiGraph, expand: bool) -> None:
        self.ir = ir
        self.expand = expand
        self.rows = _rows(ir)
        self.refs: dict[int, _Ref] = {}
        self.boxes: dict[str, Box] = {}
        self.arrows: list[Arrow] = []
        self.depth: dict[str, int] = {}
        self.residual: set[tuple[str, str]] = set()

    # -- helpers -------------------------------------------------------------------
    def _resolve(self, n: int) -> tuple[tuple[str, tuple[str, ...], bool], ...]:
        ref = self.refs[n]
        if ref.box is not None:
            return ((ref.box, (), False),)
        return ref.sources

    def _new_box(self, n: int, kind: str, group: tuple) -> str:
        d = self.ir.nodes[n]
        box_id = f"n{n}"
        self.boxes[box_id] = Box(
            id=box_id, node=n, kind=kind, op=d["op"], row=self.rows[n],
            shape=tuple(d.get("shape", ())), section=d.get("section"),
            name=str(d.get("name", box_id)), group=group,
        )
        self.refs[n] = _Ref(box=box_id)
        return box_id

    def _link(self, dst: str, inputs: Iterable[int], reader: int, *,
              residual: bool = False) -> None:
        """Arrows into box `dst` from what the IR node `reader` reads among `inputs`."""
        depth = self.depth.get(dst, 0)
        for u in dict.fromkeys(inputs):
            skip_in = self._skip_flag(u, reader)
            for src, via, skip in self._resolve(u):
                kind = "residual" if residual else ("skipcat" if skip or skip_in else "")
                self.arrows.append(Arrow(src, dst, kind, via))
                depth = max(depth, self.depth.get(src, 0) + 1)
        self.depth[dst] = depth

    def _skip_flag(self, u: int, v: int) -> bool:
        if self.ir.edges[u, v].get("kind") != "skip":
            return False
        if self.ir.nodes[v]["op"] != "concat":
            return False
        return _bypasses_layer(self.ir, u, v)

    def _scope(self, n: int) -> tuple:
        return tuple(self.ir.nodes[n].get("scope", ()))

    def _pyramid_level(self, n: int, op: str, ins: Iterable[int]) -> bool:
        """Whether `n` is a coarse grid of the input pyramid (`pyramid(image, levels)`)."""
        scope = self._scope(n)
        return op in POOL_OPS and bool(scope) and scope[-1].startswith("pyramid") and all(
            self.refs[u].box is not None and self.boxes[self.refs[u].box].kind == "input"
            for u in ins)

    # -- node kinds ----------------------------------------------------------------
    def visit(self, n: int) -> None:
        d = self.ir.nodes[n]
        op = d["op"]
        ins = tuple(d.get("inputs", ()))
        spec = OPS.get(op)
        if op == "input":
            self._new_box(n, "input", ("input",))
        elif op == "output":
            box = self._new_box(n, "output", ("output",))
            self._link(box, ins, n)
        elif self.expand:
            self._visit_expanded(n, op, ins)
        elif spec is not None and spec.weight_layer:
            box = self._new_box(n, "layer", ("layer", self._scope(n)))
            self._link(box, ins, n)
        elif op in FOLD_OPS and ins:
            self._visit_fold(n, op, ins)
        elif op in MOVE_OPS and ins:
            self._visit_move(n, op, ins)
        else:
            box = self._new_box(n, "op", ("op", self._scope(n)))
            self._link(box, ins, n)

    def _visit_expanded(self, n: int, op: str, ins: tuple[int, ...]) -> None:
        if self._pyramid_level(n, op, ins):
            box = self._new_box(n, "input", ("input",))
        else:
            spec = OPS.get(op)
            kind = "layer" if spec is not None and spec.weight_layer else "op"
            box = self._new_box(n, kind, (kind, self._scope(n)))
        for u in dict.fromkeys(ins):
            src = self.refs[u].box
            edge = self.ir.edges[u, n].get("kind", "same")
            kind = "residual" if edge == "skip" and OPS[op].shortcut else \
                ("skipcat" if self._skip_flag(u, n) else "")
            self.arrows.append(Arrow(src, box, kind))

    def _visit_fold(self, n: int, op: str, ins: tuple[int, ...]) -> None:
        unique = list(dict.fromkeys(ins))

        def rank(item: tuple[int, int]) -> tuple:
            pos, u = item
            ref = self.refs[u]
            skip = self.ir.edges[u, n].get("kind") == "skip"
            return (ref.box is None, skip, -self.depth.get(ref.box or "", 0), pos)

        main = min(enumerate(unique), key=rank)[1]
        box = self.refs[main].box
        # a broadcast (a gate of one channel or 1 x 1 scaling a grid) gets a box of its own
        shape = self.ir.nodes[n].get("shape")
        if box is None or (len(unique) > 1 and any(self.ir.nodes[u].get("shape") != shape
                                                    for u in unique)):
            box = self._new_box(n, "op", ("op", self._scope(n)))
            self._link(box, unique, n)
            return
        self.refs[n] = _Ref(box=box)
        if op != "pad":  # a padded shortcut is drawn as its arrow
            self.boxes[box].folded.append(op)
        others = [u for u in unique if u != main]
        if others:
            self._link(box, others, n, residual=OPS[op].shortcut)

    def _visit_move(self, n: int, op: str, ins: tuple[int, ...]) -> None:
        unique = list(dict.fromkeys(ins))
        if self._pyramid_level(n, op, unique):
            box = self._new_box(n, "input", ("input",))
            self._link(box, unique, n)
            return
        if _fan_out(self.ir, n) >= 2:
            box = self._new_box(n, "pool" if op in POOL_OPS or op == "concat" else "op",
                                ("move", self._scope(n)[:-1] or self._scope(n)))
            self._link(box, unique, n)
            return
        sources: list[tuple[str, tuple[str, ...], bool]] = []
        for u in unique:
            skip = self._skip_flag(u, n)
            for src, via, was_skip in self._resolve(u):
                sources.append((src, via + (op,), was_skip or skip))
        self.refs[n] = _Ref(sources=tuple(sources))


def _assign_columns(boxes: dict[str, Box], arrows: list[Arrow]) -> list[Column]:
    """Group boxes into columns, split groups whose rows clash, order them left to right."""
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
    part_of = {box_id: i for i, part in enumerate(parts) for box_id in part}
    dag = nx.DiGraph()
    dag.add_nodes_from(range(len(parts)))
    for a in arrows:
        if part_of[a.src] != part_of[a.dst]:
            dag.add_edge(part_of[a.src], part_of[a.dst])
    first = [min(boxes[b].node for b in part) for part in parts]
    is_output = [boxes[part[0]].kind == "output" for part in parts]
    if nx.is_directed_acyclic_graph(dag):
        order = list(nx.lexicographical_topological_sort(
            dag, key=lambda i: (is_output[i], first[i])))
    else:  # a grouping that loops: fall back to one column per box
        parts = [[b.id] for b in sorted(boxes.values(), key=lambda b: b.node)]
        order = list(range(len(parts)))
    columns = []
    for index, i in enumerate(order):
        members = sorted(parts[i], key=lambda b: (boxes[b].row, boxes[b].node))
        for box_id in members:
            boxes[box_id].column = index
        kinds = {boxes[b].kind for b in members}
        kind = kinds.pop() if len(kinds) == 1 else "op"
        sections = [boxes[b].section for b in members if boxes[b].section]
        columns.append(Column(index, kind, members, sections[0] if sections else None))
    return columns


def _classify(view: View) -> None:
    """Give every arrow its final kind and drop duplicates; mark dropped grids."""
    seen: set[tuple[str, str, str]] = set()
    arrows: list[Arrow] = []
    boxes = view.boxes
    occupied = {(b.row, b.column) for b in boxes.values()}
    for a in view.arrows:
        src, dst = boxes[a.src], boxes[a.dst]
        kind = a.kind
        span = dst.column - src.column
        if not kind:
            if dst.row > src.row:
                kind = "down"
            elif dst.row < src.row:
                kind = "up"
            else:
                waits = span > 1 and dst.kind != "output" and not view.expanded and not any(
                    (src.row, c) in occupied for c in range(src.column + 1, dst.column))
                kind = "carry" if waits else "same"
        key = (a.src, a.dst, kind)
        if key in seen:
            continue
        seen.add(key)
        arrows.append(Arrow(a.src, a.dst, kind, a.via))
    shortcut = {a.src for a in arrows if a.kind == "residual"}
    shortcut -= {a.src for a in arrows if a.kind != "residual"}
    for a in arrows:  # into a projection shortcut: part of the shortcut
        if a.dst in shortcut and a.kind in ("same", "carry"):
            a.kind = "residual"
    view.arrows = arrows
    read = {a.src for a in arrows}
    for box in boxes.values():
        box.dropped = box.kind != "output" and box.id not in read and not view.expanded


def build_view(ir: nx.DiGraph, *, expand: bool = False) -> View:
    """The layer view of a checked IR (see the module docstring)."""
    builder = _Builder(ir, expand)
    for n in sorted(ir.nodes):
        builder.visit(n)
    sections: list[str] = []
    for n in sorted(ir.nodes):
        section = ir.nodes[n].get("section")
        if section and section not in sections:
            sections.append(section)
    columns = _assign_columns(builder.boxes, builder.arrows)
    view = View(str(ir.graph.get("name", "network")), builder.boxes, columns,
                builder.arrows, sections, expand)
    _classify(view)
    return view
