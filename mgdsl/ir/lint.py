"""Warnings (W1xx): networks that are valid but probably not what their author meant.

`lint(ir)` looks at a validated IR and returns `MgWarning`s; `validate` stores them in
``ir.graph["warnings"]``, where `mgdsl check` and the Python API find them. Warnings never
stop a command (exit status 0). A warning is silenced by a comment on the line it points
at: ``p = maxpool(p)  # allow(W101)`` (several codes: ``# allow(W101, W103)``).

- W101: a max-pool whose `ceil` rounding makes a grid one pixel bigger than `floor` would;
- W102: a conv with a bias whose every reader is a batch norm, which cancels the bias;
- W103: ops with parameters that no output reads (they count, but train to nothing);
- W104: a conv with an even kernel whose output is not the input's size divided by the
  stride (even kernels get no padding by default: exact for a k x k stride-k patchify
  conv, one or more pixels short otherwise);
- W120: a normalisation whose groups hold one value of a sample (group norm with
  channels / groups × H × W = 1, a layer norm of one channel: any op whose
  `OpSpec.norm_group` says 1): its output is constant, and PyTorch refuses it at batch 1;
- W121: a batch norm of a 1x1 grid (groups that span the batch, `OpSpec.norm_batch`):
  constant, and refused by PyTorch, only when training at batch 1.

Only ops written in the user's own files are judged: the standard library's blocks follow
the paper on purpose (its conv-bias-BN units, batch norms of the 1x1 coarsest grid,
pyramids whose coarse grids a head ignores). W120 is the exception: it judges every op, at
the user's call, since a constant output is a mistake wherever it comes from.

>>> import mgdsl
>>> ir = mgdsl.build_graph('network N() { input x: 1 x 9 x 9  output y = maxpool(x) }')
>>> [w.code for w in ir.graph["warnings"]]
['W101']
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path

import networkx as nx

from mgdsl.errors import MgWarning, Span
from mgdsl.ir.node import IRNode
from mgdsl.ops import OPS, SHARES, pool_out

__all__ = ["lint", "allowed_codes"]

_ALLOW = re.compile(r"#.*?\ballow\(\s*([^)]*)\)")


def allowed_codes(span: Span | None) -> set[str]:
    """The codes a `# allow(...)` comment silences on the line `span` points at."""
    if span is None or span.source is None:
        return set()
    line = span.source.line(span.line) or ""
    m = _ALLOW.search(line)
    return {c.strip().upper() for c in m.group(1).split(",")} if m else set()


@functools.lru_cache(maxsize=1)
def _stdlib() -> str:
    return str(Path(str(resources.files("mgdsl.stdlib"))).resolve())


@functools.lru_cache(maxsize=256)
def _in_stdlib(file: str) -> bool:
    """Whether `file` lies in the standard library's folder (resolving a path is a system
    call per component, and every node of a network asks)."""
    return str(Path(file).resolve().parent) == _stdlib()


def _users(data: IRNode) -> bool:
    """Whether the op was written in a user's file rather than the standard library."""
    origin = data.origin
    if origin is None or origin.file.startswith("<"):
        return True
    return not _in_stdlib(origin.file)


def _pool_ceil(ir: nx.DiGraph, n: int, data: IRNode) -> MgWarning | None:
    a = data.args
    if data.op != "maxpool" or not a.get("ceil"):
        return None
    _, h, w = ir.nodes[data.inputs[0]].shape
    ceil = [pool_out(s, a["k"], a["stride"], a["pad"], True) for s in (h, w)]
    floor = [pool_out(s, a["k"], a["stride"], a["pad"], False) for s in (h, w)]
    if ceil == floor:
        return None
    return MgWarning(f"`ceil` rounding pools a {h}x{w} grid to {ceil[0]}x{ceil[1]}, one "
                     f"pixel bigger than `floor` would ({floor[0]}x{floor[1]})", data.span,
                     code="W101", hint="pass `ceil = false` or an input size divisible by "
                                       "the stride; add `# allow(W101)` if it is meant")


def _bias_before_bn(ir: nx.DiGraph, n: int, data: IRNode) -> MgWarning | None:
    if data.op != "conv" or not data.args.get("bias"):
        return None
    readers = [ir.nodes[v].op for v in ir.succ[n]]
    if not readers or any(op != "bn" for op in readers):
        return None
    return MgWarning("this conv's bias goes straight into a batch norm, which subtracts "
                     "it again", data.span, code="W102",
                     hint="pass `bias = false` to the conv (as the paper's networks do)")


def _even_kernel(ir: nx.DiGraph, n: int, data: IRNode) -> MgWarning | None:
    a = data.args
    if data.op != "conv" or a["k"] % 2:
        return None
    _, h, w = ir.nodes[data.inputs[0]].shape
    _, oh, ow = data.shape
    s = a["stride"]
    if (oh, ow) == (-(-h // s), -(-w // s)):
        return None
    return MgWarning(f"a {a['k']}x{a['k']} conv at stride {s} turns a {h}x{w} grid into "
                     f"{oh}x{ow}, not {-(-h // s)}x{-(-w // s)}", data.span, code="W104",
                     hint="an even kernel gets no padding by default (exact for a k x k "
                          "stride-k patchify conv); give `pad`, or add `# allow(W104)`")


def _one_value_norm(ir: nx.DiGraph, n: int, data: IRNode) -> MgWarning | None:
    """W120/W121: a normalisation whose groups hold one value per sample
    (`OpSpec.norm_group`); W121 when the groups also span the batch (batch norm)."""
    spec = OPS[data.op]
    if spec.norm_group is None or not data.inputs:
        return None
    shape = ir.nodes[data.inputs[0]].shape
    if spec.norm_group(data.args, shape) != 1 or (spec.norm_batch and not _users(data)):
        return None
    grid = "x".join(map(str, shape))
    if spec.norm_batch:
        return MgWarning(
            f"`{data.op}` normalises each channel of this {grid} grid over the batch alone: "
            "at batch 1 its output is constant (its shift), and PyTorch refuses to train it",
            data.span, code="W121",
            hint="normalise the grid before it is pooled to 1x1, or train with batches of "
                 "2 or more; add `# allow(W121)` if it is meant")
    return MgWarning(
        f"`{data.op}` normalises groups of one value on this {grid} grid: its output is "
        "constant (its shift) whatever the input, and PyTorch refuses it at batch 1",
        data.span, code="W120",
        hint="normalise fewer, bigger groups (or a bigger grid), or drop the norm; "
             "add `# allow(W120)` if it is meant")


def _dead_params(ir: nx.DiGraph) -> list[MgWarning]:
    """One warning per source line whose parameterised ops no output reads."""
    by_span: dict[Span, int] = {}
    # shared weights whose first use is dead still reach an output through a later use
    used = {d.args[SHARES] for _, d in ir.nodes(data=True)
            if SHARES in d.args and d.meta.live is not False}
    for n, data in ir.nodes(data=True):
        if data.meta.live is not False or not _users(data) or n in used:
            continue
        ins = [ir.nodes[u].shape for u in data.inputs]
        count = OPS[data.op].params(data.args, ins, data.shape)
        if count and data.span is not None:
            by_span[data.span] = by_span.get(data.span, 0) + count
    return [MgWarning(f"{count:,} parameters here reach no output", span, code="W103",
                      hint="use the result, or delete the statement")
            for span, count in by_span.items()]


def lint(ir: nx.DiGraph) -> list[MgWarning]:
    """The warnings of a validated IR, in source order, without the silenced ones."""
    found: list[MgWarning] = []
    for n, data in ir.nodes(data=True):
        w = _one_value_norm(ir, n, data)
        if w is not None:
            found.append(w)
        if not _users(data):
            continue
        for check in (_pool_ceil, _bias_before_bn, _even_kernel):
            w = check(ir, n, data)
            if w is not None:
                found.append(w)
    found += _dead_params(ir)
    seen: set[tuple] = set()
    out = []
    for w in sorted(found, key=lambda w: (w.span.line, w.span.col, w.code) if w.span else (0, 0, w.code)):
        key = (w.code, w.span, w.message)
        if key in seen or w.code in allowed_codes(w.span):
            continue
        seen.add(key)
        out.append(w)
    return out
