"""The graph IR: a `networkx.DiGraph` of grid tensors and their data dependencies.

One node per operation producing one grid tensor (or one vector after `flatten`). Node
ids are integers in creation order, which is a topological order. Every backend (stats,
diagrams, fx, source) reads this graph; none re-parses text.

Node attributes
===============

=========  ==========================================================  ===============
attribute  meaning                                                     filled by
=========  ==========================================================  ===============
op         primitive op name, a key of `mgdsl.ops.OPS` (`conv`, ...)    elaborate
inputs     tuple of operand node ids in order (may repeat: `x + x`)    elaborate
refs       tuple of node ids whose *shapes* the op reads at run time   elaborate
           (`upsample(x, like = y)` goes to y's size); not edges, and
           left out of dumps; usually empty
args       dict of the op's parameters (`out_ch`, `k`, `eps`, ...)      elaborate
shape      output shape: `(C, H, W)` for grids, `(N,)` for vectors      elaborate
level      pyramid level (0 = input resolution, +1 per halving);       elaborate
           None ("off-level", dumps `@-`) for vectors (shape `(N,)`)
           and for spatial grids on no level: adaptive pooling
           (`adaptive_avgpool`, `adaptive_maxpool`: a fixed size at
           every input size) and learned tensors (`learned`, shape
           `(n, 1, 1)`, and values computed from them alone); an
           element-wise op of an off-level grid and a grid takes the
           grid's level, `upsample(y, like = x)` x's
name       unique dotted name following the scopes, e.g.               elaborate
           `s2.resmg1.mgconv0.conv0.g1`; the fx/source module path
scope      tuple of scope segments (sections, block calls, the op)     elaborate
section    innermost `section` name, or None outside sections          elaborate
span       `Span` of the text responsible, in the user's file (calls   elaborate
           into the standard library point at the call site)
origin     `Span` of the op in the file that wrote it (may be std.mg)  elaborate
meta       dict of analysis results: `params`, `macs`, `live`, ...     analyses
=========  ==========================================================  ===============

Edge attributes (u -> v means v reads u)
=======================================

=====  =============================================================  ===============
index  first operand position of u in v's `inputs` (0-based)          elaborate
kind   `same` (u and v on one level), `down` (to a coarser level),    elaborate;
       `up` (to a finer level), `skip` (into an `add`/`concat` from   `skip` by
       a node that also reaches v along a longer path: residual       validate
       shortcuts and U-NET skip concatenations)
=====  =============================================================  ===============

Graph attributes (`ir.graph[...]`)
==================================

=======  ===========================================================
name     the network's name
file     the file that defines it
span     `Span` of the network's definition (its header line)
warnings list of `MgWarning` (W codes) found by `mgdsl.ir.lint` during validate
params   dict of the network parameters after defaults and overrides
inputs   dict input name -> node id, in declaration order
outputs  dict output name -> node id of its `output` node, in order
=======  ===========================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import networkx as nx

from mgdsl.errors import MgLimitError, Span
from mgdsl.ir.node import IRNode, NodeMeta
from mgdsl.limits import LIMITS

__all__ = ["IRBuilder", "NetworkGraph", "edge_kind", "operands", "reads", "topological_nodes"]


class NetworkGraph(nx.DiGraph):
    """The IR: a plain `networkx.DiGraph` that Jupyter can show as its Figure 3-style
    diagram.

    Its node data are typed records: `ir.nodes[n]` is an `IRNode` (`.op`, `.shape`, ...).
    The IR does not know how to draw itself (drawing is a layer above it): `display` maps
    `svg` and `html` to functions of the graph that the package fills in
    (`mgdsl/__init__.py`, from `mgdsl.diagrams.notebook`, loaded only when shown)."""

    node_attr_dict_factory = IRNode
    display: ClassVar[dict[str, Callable[[nx.DiGraph], str | None]]] = {}

    def __repr__(self) -> str:
        return (f"<network {self.graph.get('name', '?')}: {len(self):,} IR nodes, "
                f"{self.number_of_edges():,} edges>")

    def _repr_svg_(self) -> str | None:
        show = self.display.get("svg")
        return show(self) if show is not None else None

    def _repr_html_(self) -> str | None:
        show = self.display.get("html")
        return show(self) if show is not None else None


def edge_kind(src_level: int | None, dst_level: int | None) -> str:
    """`down`, `up` or `same` from the levels of an edge's ends."""
    if src_level is None or dst_level is None or src_level == dst_level:
        return "same"
    return "down" if dst_level > src_level else "up"


class IRBuilder:
    """Adds nodes to a new IR graph, keeping names unique and the node count bounded."""

    def __init__(self, name: str, file: str, span: Span | None = None) -> None:
        self.graph = NetworkGraph(name=name, file=file, span=span or Span.point(file), params={},
                                  inputs={}, outputs={})
        self._names: set[str] = set()
        self._suffix: dict[str, int] = {}

    def unique_name(self, name: str) -> str:
        """`name`, or `name_2`, `name_3`, ... if taken."""
        if name not in self._names:
            self._names.add(name)
            return name
        # resume from the last suffix given for `name`: thousands of nodes of one name
        # (a split into single channels) must not cost a scan each
        k = self._suffix.get(name, 2)
        while f"{name}_{k}" in self._names:
            k += 1
        self._suffix[name] = k + 1
        self._names.add(f"{name}_{k}")
        return f"{name}_{k}"

    def add(
        self,
        op: str,
        inputs: Iterable[int],
        *,
        shape: tuple[int, ...],
        level: int | None,
        args: dict[str, Any],
        name: str,
        scope: tuple[str, ...],
        section: str | None,
        span: Span,
        origin: Span,
        refs: tuple[int, ...] = (),
    ) -> int:
        """Add one node reading `inputs` (in operand order) and the shapes of `refs`;
        returns its id."""
        g = self.graph
        if len(g) >= LIMITS.max_nodes:
            raise MgLimitError(f"the network has more than {LIMITS.max_nodes:,} IR nodes", span,
                               hint="raise mgdsl.limits.LIMITS.max_nodes", code="E503")
        nid = len(g)
        inputs = tuple(inputs)
        g.add_node(nid, op=op, inputs=inputs, args=args, shape=tuple(shape), level=level,
                   name=self.unique_name(name), scope=scope, section=section,
                   span=span, origin=origin, meta=NodeMeta(), refs=tuple(refs))
        for index, src in enumerate(inputs):
            if not g.has_edge(src, nid):
                g.add_edge(src, nid, index=index, kind=edge_kind(g.nodes[src].level, level))
        return nid


def operands(ir: nx.DiGraph, node: int) -> tuple[int, ...]:
    """The inputs of `node` in operand order."""
    return ir.nodes[node].inputs


def reads(ir: nx.DiGraph, node: int) -> tuple[int, ...]:
    """Every node whose value `node` reads at run time: its inputs, then its `refs`."""
    d = ir.nodes[node]
    return (*d.inputs, *d.refs)


def topological_nodes(ir: nx.DiGraph) -> list[int]:
    """Node ids in a topological order (creation order is one)."""
    return sorted(ir.nodes)
