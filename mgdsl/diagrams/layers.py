"""The layer view of an IR: the grid boxes and arrows that a diagram draws.

A *box* is one grid (or vector) as the paper's figures draw it. In the folded view (the
default) boxes are the outputs of weight layers (conv, deconv, linear), the grids of the
input pyramid, grids that data movement materialises for several readers (the pyramid
after pooling between sections, a merged grid), and sums (`add`) that are not the end of
a residual unit, drawn as a small merge node ⊕ that its operands flow into. Elementwise
ops (bn, relu, sigmoid, pad) fold into the box they follow; pooling, upsampling,
concatenation and flattening with a single reader become arrows. A chain of layers that
only feeds a sum and either changes the pyramid level (HRNet's exchange convs, OctConv's
cross-frequency convs) or is the projection shortcut of a residual unit is drawn as the
arrow it is, not as boxes. An `add` folds into the last layer of a residual unit when its
other operands are shortcuts around that unit (identity or projection).

Every arrow's kind is read off the IR, never guessed from shapes:

=========  ===============================================================
kind       meaning
=========  ===============================================================
same       data flow on one pyramid level
pool       to a coarser level through max/avg/global pooling
upsample   to a finer level through upsampling
reshape    to another level by moving values between space and channels
           (space_to_depth, depth_to_space): nothing is resampled
xconv      a cross-scale conv: strided, transposed, a conv reading an upsampled
           grid directly (not through a concatenation), a chain of layers
           into a sum that changes the level (HRNet's exchange); or an op
           reading a grid of another level as it is (attention's keys and
           values from a coarser grid)
broadcast  a 1 x 1 grid (a gate after global pooling) or a learned tensor
           (`param`, drawn as a box only when expanded) spread over a larger
           grid by an elementwise op
residual   an identity shortcut, or a projection whose source the unit also
           reads straight into a layer, into the sum ending the unit
skipcat    a concatenation that bypasses weight layers (U-NET skips)
=========  ===============================================================

Columns (`mgdsl.diagrams.columns`) are assigned afterwards. In the expanded view
(`expand=True`) every IR node is a box.

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
['pool', 'same', 'upsample']
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from mgdsl.diagrams.columns import assign_columns
from mgdsl.diagrams.lanes import assign_lanes
from mgdsl.diagrams.view import Arrow, Box, Column, View
from mgdsl.ops import OPS, SHARES

__all__ = ["Box", "Arrow", "Column", "View", "build_view", "FOLD_OPS", "MOVE_OPS",
           "REDUCE_OPS", "RESHAPE_OPS", "ARROW_KINDS"]

# from each op's `draw` (mgdsl.ops): elementwise ops drawn inside the box they follow,
# data movement drawn as arrows when it has a single reader, and the pooling among it
FOLD_OPS = frozenset(op for op, spec in OPS.items() if spec.draw == "fold")
MOVE_OPS = frozenset(op for op, spec in OPS.items() if spec.draw in ("move", "pool"))
POOL_OPS = frozenset(op for op, spec in OPS.items() if spec.draw == "pool")
UP_OPS = frozenset({"upsample"})
# ops that move values between space and channels: a level change without resampling
RESHAPE_OPS = frozenset({"space_to_depth", "depth_to_space"})
# what an arrow pools through: the pooling ops and global average pooling
REDUCE_OPS = POOL_OPS | {"gap"}
# ops a cross-scale or projection chain may pass through on its way to a sum (each chain
# node must have a single operand, which rules out the binary ones)
CHAIN_OPS = FOLD_OPS | POOL_OPS | UP_OPS

ARROW_KINDS = ("same", "pool", "upsample", "reshape", "xconv", "broadcast", "residual",
               "skipcat")


@dataclass
class _Ref:
    """How an IR node is seen: the box it is drawn in, or the boxes it moves data from
    (each with the ops on the way and whether it is a skip or residual shortcut)."""

    box: str | None = None
    sources: tuple[tuple[str, tuple[int, ...], str], ...] = ()


def _level_sizes(ir: nx.DiGraph) -> tuple[int, list[tuple[int, int]]]:
    """The height of level 0 (the first input at level 0) and, per level, the heights a
    grid on that level may have: halved level by level, rounding down or up."""
    heights = [ir.nodes[n].shape[1] for n in ir.graph.get("inputs", {}).values()
               if len(ir.nodes[n].shape) == 3 and ir.nodes[n].level == 0]
    h0 = heights[0] if heights else 0
    sizes, low, high = [], h0, h0
    while high >= 1 and len(sizes) < 64:
        sizes.append((low, high))
        low, high = low // 2, -(-high // 2)
        if high == 1 and low == 0:
            sizes.append((0, 1))
            break
    return h0, sizes


def _on_level(height: int, level: int, sizes: list[tuple[int, int]]) -> bool:
    """Whether a grid of `height` rows fits pyramid level `level` (with some slack for
    unpadded convolutions, which shrink a grid by a few pixels; a pixel at small sizes)."""
    if level >= len(sizes):
        return height <= 2
    low, high = sizes[level]
    if high < 16:
        return low - 1 <= height <= high + 1
    return 0.75 * low - 2 <= height <= 1.25 * high + 2


def _rows(ir: nx.DiGraph) -> dict[int, float]:
    """The row of every node: its level; for a grid on no pyramid level (adaptive
    pooling, a stride that is not a power of two) the level its height would have, a
    fraction (log2 of how much smaller than level 0 it is); for vectors the row of
    what it reads."""
    h0, sizes = _level_sizes(ir)
    rows: dict[int, float] = {}
    for n in sorted(ir.nodes):
        d = ir.nodes[n]
        level = d.level
        if len(d.shape) == 3 and h0 and d.op != "input" and (
                level is None or not _on_level(d.shape[1], level, sizes)):
            rows[n] = round(math.log2(h0 / max(d.shape[1], 1)), 2)
            if rows[n] == int(rows[n]):
                rows[n] = int(rows[n])
            continue
        if level is None:
            ins = d.inputs
            level = rows[ins[0]] if ins and ins[0] in rows else 0
        rows[n] = level
    return rows


def _is_layer(ir: nx.DiGraph, n: int) -> bool:
    spec = OPS.get(ir.nodes[n].op)
    return spec is not None and spec.weight_layer


def _reaches(ir: nx.DiGraph, src: int, dst: int) -> bool:
    """Whether `src` reaches `dst` (node ids are a topological order)."""
    if src == dst:
        return True
    stack, seen = [dst], {dst}
    while stack:
        v = stack.pop()
        for u in ir.pred[v]:
            if u == src:
                return True
            if u > src and u not in seen:
                seen.add(u)
                stack.append(u)
    return False


def _layers_between(ir: nx.DiGraph, src: int, dst: int) -> int:
    """The most weight layers on a path from `src` to `dst` (-1 when there is none)."""
    best = {src: 0}
    for n in range(src + 1, dst + 1):
        if n not in ir:
            continue
        counts = [best[u] for u in ir.pred[n] if u in best]
        if counts:
            best[n] = max(counts) + (1 if _is_layer(ir, n) else 0)
    return best.get(dst, -1)


def _bypasses_layer(ir: nx.DiGraph, u: int, v: int) -> bool:
    """Whether `u` also reaches `v` through a weight layer (a real skip connection)."""
    return any(w != u and _reaches(ir, u, w) and _layers_between(ir, u, w) > 0
               for w in ir.pred[v])


class _Builder:
    """Walks the IR in topological order and builds boxes and raw arrows."""

    def __init__(self, ir: nx.DiGraph, expand: bool) -> None:
        self.ir = ir
        self.expand = expand
        # the nodes of shared weights: their owners and every later use
        uses = {n: d.args[SHARES] for n, d in ir.nodes(data=True) if SHARES in (d.args or {})}
        self.shared = set(uses) | set(uses.values())
        self.rows = _rows(ir)
        self.refs: dict[int, _Ref] = {}
        self.boxes: dict[str, Box] = {}
        self.arrows: list[Arrow] = []
        self.chain: set[int] = set()  # nodes drawn as part of an arrow into a sum
        self.tail: dict[str, int] = {}  # box -> the last IR node drawn in it
        self.weights: set[int] = set()  # nodes computed from learned tensors alone

    # -- helpers -------------------------------------------------------------------
    def _resolve(self, n: int) -> tuple[tuple[str, tuple[int, ...], str], ...]:
        ref = self.refs[n]
        if ref.box is not None:
            return ((ref.box, (), ""),)
        return ref.sources

    def _new_box(self, n: int, kind: str, group: tuple) -> str:
        d = self.ir.nodes[n]
        box_id = f"n{n}"
        self.boxes[box_id] = Box(
            id=box_id, node=n, kind=kind, op=d.op, row=self.rows[n],
            shape=tuple(d.shape), section=d.section, name=str(d.name or box_id),
            group=group, args=tuple(sorted((k, repr(v)) for k, v in (d.args or {}).items())),
            off_level=len(d.shape) == 3 and d.op != "input" and (
                d.level is None or self.rows[n] != d.level),
            shared=n in self.shared,
        )
        self.refs[n] = _Ref(box=box_id)
        self.tail[box_id] = n
        return box_id

    def _link(self, dst: str, inputs: Iterable[int], reader: int, *, flag: str = "") -> None:
        """Arrows into box `dst` from what the IR node `reader` reads among `inputs`
        (learned tensors among them are written inside the box instead)."""
        for u in dict.fromkeys(inputs):
            if u in self.weights:
                self.boxes[dst].folded.append(self.ir.nodes[u].op)
                continue
            skip_in = "skipcat" if self._skip_flag(u, reader) else ""
            for src, via, was in self._resolve(u):
                self.arrows.append(Arrow(src, dst, flag or was or skip_in,
                                         tuple(self.ir.nodes[m].op for m in via), via,
                                         reader=reader))

    def _skip_flag(self, u: int, v: int) -> bool:
        if self.ir.edges[u, v].get("kind") != "skip":
            return False
        if self.ir.nodes[v].op != "concat":
            return False
        return _bypasses_layer(self.ir, u, v)

    def _scope(self, n: int) -> tuple:
        return tuple(self.ir.nodes[n].scope)

    def _pyramid_level(self, n: int, op: str, ins: Iterable[int]) -> bool:
        """Whether `n` is a coarse grid of the input pyramid (`pyramid(image, levels)`)."""
        scope = self._scope(n)
        return op in POOL_OPS and bool(scope) and scope[-1].startswith("pyramid") and all(
            self.refs[u].box is not None and self.boxes[self.refs[u].box].kind == "input"
            for u in ins)

    def _only_reader(self, n: int) -> int | None:
        succ = self.ir.succ[n]
        return next(iter(succ)) if len(succ) == 1 else None

    # -- arrows that are layers: cross-scale and projection chains -----------------
    def _chain_to_sum(self, n: int) -> tuple[list[int], int] | None:
        """The nodes from weight layer `n` to the sum it alone feeds, and that sum."""
        nodes, cur = [n], n
        while True:
            nxt = self._only_reader(cur)
            if nxt is None:
                return None
            op = self.ir.nodes[nxt].op
            is_sum = OPS.get(op) is not None and OPS[op].shortcut
            if not is_sum and len(set(self.ir.nodes[nxt].inputs)) != 1:
                return None
            if is_sum:
                return nodes, nxt
            if op not in CHAIN_OPS and not _is_layer(self.ir, nxt):
                return None
            nodes.append(nxt)
            cur = nxt

    def _is_arrow_chain(self, n: int) -> bool:
        """Whether weight layer `n` starts a chain drawn as an arrow into a sum: the chain
        changes the level (from the boxes it reads to the sum), or it is the projection
        shortcut of a residual unit (the sum's other operand ends a path of more layers
        from the same input)."""
        ins = list(dict.fromkeys(self.ir.nodes[n].inputs))
        if len(ins) != 1 or self.ir.nodes[n].level is None:
            return False
        found = self._chain_to_sum(n)
        if found is None:
            return False
        nodes, total = found
        if all(self._cross_scale(nodes, i) for i, m in enumerate(nodes)
               if _is_layer(self.ir, m)) and any(
                self.boxes[src].row != self.rows[total] for src, _, _ in self._resolve(ins[0])):
            return True
        layers = sum(_is_layer(self.ir, m) for m in nodes)
        x = ins[0]
        return any(w != nodes[-1] and w != x and self._unit_tail(w)
                   and _reaches(self.ir, x, w) and _layers_between(self.ir, x, w) > layers
                   for w in set(self.ir.nodes[total].inputs))

    def _cross_scale(self, nodes: list[int], i: int) -> bool:
        """Whether layer `nodes[i]` of a chain changes the level itself (strided,
        transposed) or next to a pooling or upsampling, past elementwise ops
        (`conv(avgpool(x))`, `upsample(bn(conv(x)))`)."""
        m = nodes[i]
        before = self.ir.nodes[m].inputs[0]
        if self.ir.nodes[before].level != self.ir.nodes[m].level:
            return True
        ops = [self.ir.nodes[v].op for v in nodes[i + 1:]]
        after = next((op for op in ops if op not in FOLD_OPS), None)
        while self.ir.nodes[before].op in FOLD_OPS and self.ir.nodes[before].inputs:
            before = self.ir.nodes[before].inputs[0]
        return bool((POOL_OPS | UP_OPS) & {after, self.ir.nodes[before].op})

    def _unit_tail(self, w: int) -> bool:
        """Whether `w` is a layer's output (after elementwise ops) read only by one op."""
        if len(self.ir.succ[w]) != 1:
            return False
        while not _is_layer(self.ir, w):
            ins = list(dict.fromkeys(self.ir.nodes[w].inputs))
            if self.ir.nodes[w].op not in FOLD_OPS or len(ins) != 1:
                return False
            w = ins[0]
        return True

    def _extend(self, n: int, op: str, ins: Iterable[int], flag: str = "") -> None:
        """Draw `n` as part of the arrows from its inputs."""
        sources = []
        for u in dict.fromkeys(ins):
            for src, via, was in self._resolve(u):
                sources.append((src, via + (n,), was or flag))
        self.refs[n] = _Ref(sources=tuple(sources))

    # -- node kinds ----------------------------------------------------------------
    def visit(self, n: int) -> None:
        d = self.ir.nodes[n]
        op = d.op
        ins = tuple(d.inputs)
        spec = OPS.get(op)
        if op not in ("input", "output") and not self.expand and all(
                u in self.weights for u in ins):
            # a learned tensor (BiFPN's fusion weights, `draw` "weight"), or what only
            # such tensors feed: weights of the op that reads them, drawn inside its box
            self.weights.add(n)
            self.refs[n] = _Ref(sources=())
            return
        if op == "input":
            self._new_box(n, "input", ("input",))
        elif op == "output":
            box = self._new_box(n, "output", ("output",))
            self._link(box, ins, n)
        elif self.expand:
            self._visit_expanded(n, op, ins)
        elif n in self.chain:
            self._extend(n, op, ins)
        elif spec is not None and spec.weight_layer:
            if self._is_arrow_chain(n):
                nodes, _ = self._chain_to_sum(n)
                self.chain.update(nodes[1:])
                self._extend(n, op, ins)
                return
            box = self._new_box(n, "layer", ("layer", self._scope(n)))
            self._link(box, ins, n)
        elif spec is not None and spec.shortcut and ins:  # a sum
            self._visit_add(n, ins)
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
            kind = "layer" if _is_layer(self.ir, n) else "op"
            box = self._new_box(n, kind, (kind, self._scope(n)))
        for u in dict.fromkeys(ins):
            src = self.refs[u].box
            edge = self.ir.edges[u, n].get("kind", "same")
            kind = "residual" if edge == "skip" and OPS[op].shortcut else \
                ("skipcat" if self._skip_flag(u, n) else "")
            self.arrows.append(Arrow(src, box, kind, (op,), reader=n))

    def _visit_fold(self, n: int, op: str, ins: tuple[int, ...]) -> None:
        """A single-input elementwise op joins the box of its input (it adds no arrow into
        that box, so it cannot make a cycle); one that reads an arrow gets its own box."""
        unique = list(dict.fromkeys(ins))
        box = self.refs[unique[0]].box if len(unique) == 1 else None
        if box is None:
            box = self._new_box(n, "op", ("op", self._scope(n)))
            self._link(box, unique, n)
            return
        self.refs[n] = _Ref(box=box)
        self.tail[box] = n
        if op != "pad":  # a padded shortcut is drawn as its arrow
            self.boxes[box].folded.append(op)

    def _residual_main(self, n: int, unique: list[int]) -> int | None:
        """The operand that ends a residual unit, when every other operand is a shortcut
        around it: the operand is the last node of a layer box (or of a sum, as in
        OctConv's units) read only by this sum, and
        every other operand comes from boxes before that box, never after it."""
        best = None
        for u in unique:
            box = self.refs[u].box
            if box is None or self.tail[box] != u or self.boxes[box].kind not in ("layer", "add") \
                    or self.boxes[box].row != self.rows[n] or len(self.ir.succ[u]) != 1:
                continue
            first = self.boxes[box].node
            if all(self._shortcut_into(v, first) for v in unique if v != u):
                best = u if best is None or first > self.boxes[self.refs[best].box].node \
                    else best
        return best

    def _shortcut_into(self, v: int, first: int) -> bool:
        """Whether operand `v` is a shortcut around the unit whose box starts at `first`."""
        sources = self._resolve(v)
        if not sources or _reaches(self.ir, first, v):
            return False
        return all(_reaches(self.ir, self.boxes[src].node, first) for src, _, _ in sources)

    def _around_unit(self, v: int, main: int) -> bool:
        """Whether operand `v` of a sum is a residual shortcut around the unit ending in
        `main`: an identity (no layer on the way), or a projection whose source
        the unit also reads straight into a layer (ResNet's strided 1x1 conv). A chain of
        layers from a grid that the other path reaches only through pooling or resampling
        (Attention U-Net's gate, theta of the skip plus phi of the coarser signal) is no
        shortcut around a unit: it keeps the kind of its own data flow."""
        if not any(_is_layer(self.ir, m) for _, via, _ in self._resolve(v) for m in via):
            return True
        for _, via, _ in self._resolve(v):
            start = self.ir.nodes[via[0]].inputs[0] if via else v
            if not any(r not in via and self._enters_layer(r) and _reaches(self.ir, r, main)
                       for r in self.ir.succ[start]):
                return False
        return True

    def _enters_layer(self, r: int) -> bool:
        """Whether IR node `r` is a weight layer or elementwise ops leading into one
        (no pooling, resampling or concatenation on the way)."""
        while not _is_layer(self.ir, r):
            if self.ir.nodes[r].op not in FOLD_OPS or len(self.ir.succ[r]) != 1:
                return False
            r = next(iter(self.ir.succ[r]))
        return True

    def _visit_add(self, n: int, ins: tuple[int, ...]) -> None:
        unique = list(dict.fromkeys(ins))
        main = self._residual_main(n, unique)
        if main is not None:
            box = self.refs[main].box
            self.refs[n] = _Ref(box=box)
            self.tail[box] = n
            self.boxes[box].folded.append("add")
            for u in unique:
                if u != main:
                    self._link(box, [u], n, flag="residual" if self._around_unit(u, main) else "")
            return
        # a sum of sums stays one merge node
        for u in unique:
            box = self.refs[u].box
            if box is not None and self.boxes[box].kind == "add" and self.tail[box] == u \
                    and len(self.ir.succ[u]) == 1 and self.boxes[box].row == self.rows[n] \
                    and not any(_reaches(self.ir, self.boxes[box].node, v)
                                for v in unique if v != u):
                self.refs[n] = _Ref(box=box)
                self.tail[box] = n
                self._link(box, [v for v in unique if v != u], n)
                return
        box = self._new_box(n, "add", ("add", self._scope(n)))
        self._link(box, unique, n)

    def _visit_move(self, n: int, op: str, ins: tuple[int, ...]) -> None:
        unique = list(dict.fromkeys(ins))
        if self._pyramid_level(n, op, unique):
            box = self._new_box(n, "input", ("input",))
            self._link(box, unique, n)
            return
        if len(self.ir.succ[n]) >= 2:
            box = self._new_box(n, "pool" if op in POOL_OPS or op == "concat" else "op",
                                ("move", self._scope(n)[:-1] or self._scope(n)))
            self._link(box, unique, n)
            return
        sources: list[tuple[str, tuple[int, ...], str]] = []
        for u in unique:
            skip = "skipcat" if self._skip_flag(u, n) else ""
            for src, via, was in self._resolve(u):
                sources.append((src, via + (n,), was or skip))
        self.refs[n] = _Ref(sources=tuple(sources))


def _spatial(ir: nx.DiGraph, n: int) -> tuple[int, ...]:
    shape = ir.nodes[n].shape
    return tuple(shape[1:]) if len(shape) == 3 else ()


def _broadcast(ir: nx.DiGraph, src_node: int, nodes: tuple[int, ...], reader: int) -> bool:
    """Whether `reader` only broadcasts the operand over its grid: a learned tensor (on no
    level) or a 1 x 1 grid (a global pooling's gate) that an elementwise op spreads over a
    larger grid, with no weight layer on the way."""
    if reader < 0 or _is_layer(ir, reader) or any(_is_layer(ir, m) for m in nodes):
        return False
    operand = nodes[-1] if nodes else src_node
    mine, out = _spatial(ir, operand), _spatial(ir, reader)
    if ir.nodes[src_node].op == "learned" and ir.nodes[src_node].level is None:
        return mine != out
    return mine == (1, 1) and out not in ((), (1, 1))


def arrow_kind(ir: nx.DiGraph, src: Box, dst: Box, nodes: tuple[int, ...], reader: int,
               flag: str = "") -> str:
    """The kind of an arrow from what the IR says the reading op does with it: the IR
    nodes it passes through (`nodes`), the node that reads it (`reader`, -1 when unknown:
    the box's own node) and the rows it joins (see the module docstring)."""
    if flag:
        return flag
    if reader < 0:
        reader = dst.node
    if _broadcast(ir, src.node, nodes, reader):
        return "broadcast"
    if src.row == dst.row:
        return "same"
    ops = {ir.nodes[m].op for m in nodes}
    took = ops | {ir.nodes[reader].op}
    if any(_is_layer(ir, m) for m in nodes):
        return "xconv"  # a strided or transposed conv, or one next to a resampling
    if RESHAPE_OPS & took:
        return "reshape"
    if _is_layer(ir, reader) and "concat" not in ops and not REDUCE_OPS & ops:
        return "xconv"  # a conv that resamples, or reads an upsampled grid (an up-conv)
    if UP_OPS & took:
        return "upsample"
    if REDUCE_OPS & took:
        return "pool"
    # nothing resamples: the reader takes a grid of another level as it is (attention's
    # keys and values from a coarser grid, an op on a grid of no pyramid level)
    return "xconv"


def _classify(ir: nx.DiGraph, view: View) -> None:
    """Give every arrow its final kind and drop duplicates; mark dropped grids."""
    seen: set[tuple[str, str, str]] = set()
    arrows: list[Arrow] = []
    boxes = view.boxes
    for a in view.arrows:
        src, dst = boxes[a.src], boxes[a.dst]
        if src is dst:
            continue
        kind = arrow_kind(ir, src, dst, a.nodes, a.reader, a.kind)
        key = (a.src, a.dst, kind)
        if key in seen:
            continue
        seen.add(key)
        arrows.append(Arrow(a.src, a.dst, kind, a.via, a.nodes, reader=a.reader))
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
        section = ir.nodes[n].section
        if section and section not in sections:
            sections.append(section)
    view = View(str(ir.graph.get("name", "network")), builder.boxes, [],
                builder.arrows, sections, expand)
    _classify(ir, view)
    view.columns = assign_columns(view.boxes, view.arrows)
    assign_lanes(view.boxes, view.arrows)
    return view
