"""One editor buffer -> its diagnostics and what every expression in it evaluates to.

`analyse(text, path)` does what `mgdsl check` does for one file (parse, load the `use`d
files, elaborate and validate every network, count parameters and MACs: the front end,
`mgdsl.compilation.Compilation`, in its recording mode) and, on the way, records the value of each expression and statement of this file that elaboration
evaluates: a pyramid with its grid shapes, a number, a list. A call also remembers the
IR nodes it added, so its parameters and MACs can be summed. Expressions evaluated more
than once (inside `repeat`, or in a block called several times) keep their distinct
values, counted.

>>> a = analyse('network N() { input x: 1 x 8 x 8\\n output y = relu(x) }', "n.mg")
>>> a.errors
[]
>>> [e.value.describe() for e in a.values_at(2, 13)]
['grid 1x8x8']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from mgdsl.compilation import Compilation, Key, Program, Recorded
from mgdsl.errors import MgError
from mgdsl.syntax import ast

__all__ = ["Analysis", "Evaluation", "analyse", "Key"]

MAX_VALUES = 12  # distinct values kept per expression (a repeat may evaluate it 1,000 times)


@dataclass
class Evaluation:
    """One distinct value an expression took, how often, and the cost of the IR it added
    (None for expressions that add no nodes, or when counting failed)."""

    value: Any
    count: int = 1
    params: int | None = None
    macs: int | None = None
    network: str = ""


@dataclass
class Analysis:
    """Everything the editor features need about one buffer."""

    file: str
    text: str
    module: ast.Module | None = None
    program: Program | None = None
    errors: list[MgError] = field(default_factory=list)
    graphs: list[nx.DiGraph] = field(default_factory=list)
    values: dict[Key, list[Evaluation]] = field(default_factory=dict)

    def values_at(self, line: int, col: int) -> list[Evaluation]:
        """The values of the innermost recorded expression around 1-based `line:col`."""
        key = self.innermost(line, col)
        return self.values[key] if key else []

    def innermost(self, line: int, col: int) -> Key | None:
        """The smallest recorded span containing `line:col`, or None."""
        best: Key | None = None
        for key in self.values:
            if _contains(key, line, col) and (best is None or _inside(key, best)):
                best = key
        return best


def _contains(key: Key, line: int, col: int) -> bool:
    l0, c0, l1, c1 = key
    return (l0, c0) <= (line, col) < (l1, c1) or (line, col) == (l1, c1)


def _inside(a: Key, b: Key) -> bool:
    """`a` lies within `b` (and is not larger)."""
    return (b[0], b[1]) <= (a[0], a[1]) and (a[2], a[3]) <= (b[2], b[3])


def _describe(value: Any) -> str:
    describe = getattr(value, "describe", None)
    return describe() if callable(describe) else repr(value)


def _node_cost(graph: nx.DiGraph, first: int, last: int) -> tuple[int, int] | None:
    params = macs = 0
    for n in range(first, last):
        meta = graph.nodes[n].meta
        if meta.params is None or meta.macs is None:
            return None
        params += meta.params
        macs += meta.macs
    return params, macs


def _evaluations(records: list[Recorded], graphs: dict[str, nx.DiGraph]) -> list[Evaluation]:
    out: dict[tuple, Evaluation] = {}
    for r in records:
        graph = graphs[r.graph]
        cost = _node_cost(graph, r.first, r.last) if r.last > r.first else None
        name = graph.graph.get("name", "")
        key = (_describe(r.value), cost, name)
        ev = out.get(key)
        if ev is not None:
            ev.count += 1
        elif len(out) < MAX_VALUES:
            out[key] = Evaluation(r.value, 1, *(cost or (None, None)), network=name)
    return list(out.values())


def analyse(text: str, path: str | Path, sources: Mapping[str, str] | None = None) -> Analysis:
    """Check `text` as the contents of the file at `path` (its `use`s resolve from there;
    `sources` maps resolved paths of used files to texts that replace them, the editor's
    unsaved buffers).

    Never raises for bad input: every problem becomes an entry of `errors`.
    """
    file = str(path)
    compilation = Compilation(file, text=text, record=True, sources=sources).check()
    result = Analysis(file, text, module=compilation.module, program=compilation.program,
                      errors=compilation.errors, graphs=list(compilation.graphs.values()))
    result.values = {k: _evaluations(v, compilation.graphs) for k, v in compilation.values.items()}
    return result
