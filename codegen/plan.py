"""What both backends compile from an IR: names, module paths, folded BNs, the node order.

`plan(ir, fold_bn=..., prune=...)` decides every identifier once, so the fx module and
the emitted source build the same module tree (same `state_dict` keys, same order) and
compute the same nodes. It does not import torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from mgdsl.ir.graph import topological_nodes
from mgdsl.ops import MODULE_OPS, OPS, SHARES

from .names import Namespace, py_ident, spell, spelled_name

__all__ = ["MODULE_OPS", "Plan", "plan", "module_paths", "foldable_bns", "local_names",
           "shared_modules"]


@dataclass
class Plan:
    """The compilation decisions for one IR.

    `inputs`: (node, identifier) in declaration order; `outputs`: (identifier, node whose
    value is returned); `paths`: node -> module path segments for every module op that
    is kept (folded BNs have none); `folded`: BN node -> the conv it is folded into;
    `compute`: the nodes to compute, in order (no inputs, outputs, folded BNs or, when
    pruning, dead nodes); `value`: node -> the node whose tensor stands for it (a folded
    BN stands for its conv's output); `shared`: node -> the node whose module it calls
    (shared weights: such a node has no path of its own).
    """

    class_name: str
    inputs: list[tuple[int, str]]
    outputs: list[tuple[str, int]]
    paths: dict[int, tuple[str, ...]]
    folded: dict[int, int]
    compute: list[int]
    value: dict[int, int] = field(default_factory=dict)
    shared: dict[int, int] = field(default_factory=dict)

    def source_of(self, node: int) -> int:
        """The node whose value `node`'s consumers read."""
        return self.value.get(node, node)

    def path_of(self, node: int) -> tuple[str, ...]:
        """The module path of the module that module op `node` calls."""
        return self.paths[self.shared.get(node, node)]


class _Trie:
    __slots__ = ("ident", "names", "children")

    def __init__(self, ident: str = "") -> None:
        self.ident = ident
        self.names = Namespace()
        self.children: dict[str, _Trie] = {}


def module_paths(ir: nx.DiGraph, nodes: list[int]) -> dict[int, tuple[str, ...]]:
    """Module path segments for `nodes`, following their dotted IR names.

    Segments are sanitised with `py_ident` and kept distinct among siblings; a leaf never
    shares its path with a container (a section called `conv0` beside an op `conv0`
    gives `conv0` and `conv0_2`). First come, first named, in `nodes` order.
    """
    root = _Trie()
    out: dict[int, tuple[str, ...]] = {}
    for nid in nodes:
        *prefix, last = (spell(seg) for seg in ir.nodes[nid].name.split("."))
        t, path = root, []
        for seg in prefix:
            child = t.children.get(seg)
            if child is None:
                child = t.children[seg] = _Trie(t.names.add(seg))
            path.append(child.ident)
            t = child
        path.append(t.names.add(last))
        out[nid] = tuple(path)
    return out


def foldable_bns(ir: nx.DiGraph) -> dict[int, int]:
    """BN node -> conv node, for every BN whose input is an op that folds BNs (`folds_bn`:
    a convolution) read by that BN alone."""
    out = {}
    shared = shared_modules(ir)
    in_shares = set(shared) | set(shared.values())  # folding would change every use
    for nid, data in ir.nodes(data=True):
        if data.op != "bn" or nid in in_shares:
            continue
        (src,) = data.inputs
        if (OPS[ir.nodes[src].op].folds_bn and list(ir.successors(src)) == [nid]
                and src not in in_shares):
            out[nid] = src
    return out


def shared_modules(ir: nx.DiGraph) -> dict[int, int]:
    """Node -> the node whose module (weights) it uses, for the nodes of shared weights
    after the first (`shares` in their arguments)."""
    return {n: d.args[SHARES] for n, d in ir.nodes(data=True) if SHARES in d.args}


def plan(ir: nx.DiGraph, *, fold_bn: bool = False, prune: bool = False,
         class_name: str | None = None) -> Plan:
    """Decide names, module paths and the computed nodes of `ir` (see `Plan`)."""
    order = topological_nodes(ir)
    folded = foldable_bns(ir) if fold_bn else {}
    shared = shared_modules(ir)
    module_nodes = [n for n in order if ir.nodes[n].op in MODULE_OPS and n not in folded
                    and n not in shared]
    paths = module_paths(ir, module_nodes)
    args = Namespace()
    inputs = [(nid, args.add(name)) for name, nid in ir.graph["inputs"].items()]
    # dict keys are strings, so the .mg output names are kept as they are
    outputs = [(name, ir.nodes[nid].inputs[0]) for name, nid in ir.graph["outputs"].items()]
    compute = [n for n in order
               if ir.nodes[n].op not in ("input", "output") and n not in folded
               and not (prune and ir.nodes[n].meta.live is False)]
    value = {bn: conv for bn, conv in folded.items()}
    name = py_ident(class_name if class_name else ir.graph["name"])
    return Plan(name, inputs, outputs, paths, folded, compute, value, shared)


def local_names(ir: nx.DiGraph, p: Plan) -> dict[int, str]:
    """Variable names for `forward`: the inputs' own names, then one per computed node
    from its dotted IR name (`s2.mgcbr0.relu0.g1` -> `s2_mgcbr0_relu0_g1`, `fpn.+.g4` ->
    `fpn_add_g4`)."""
    ns = Namespace(ident for _, ident in p.inputs)
    out = {nid: ident for nid, ident in p.inputs}
    for nid in p.compute:
        out[nid] = ns.add(spelled_name(ir.nodes[nid].name))
    return out
