"""The public Python API: parse, build, check and load networks.

>>> import mgdsl
>>> ir = mgdsl.build_graph('''
... use "std.mg"
... network Tiny(c = 8) {
...     input image: 1 x 16 x 16
...     p = stems(image, [c, c / 2], levels = 2)
...     p = mgcbr(p, [c, c])
...     output y = sigmoid(cb(p[0], 1))
... }''')
>>> mgdsl.stats(ir).params
1995
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import networkx as nx

from mgdsl.analyses.cost import Cost, cost_of
from mgdsl.compilation import Compilation, Program, load_program, resolve_target
from mgdsl.compilation import parse as _parse
from mgdsl.errors import MgError
from mgdsl.syntax import ast
from mgdsl.zoo import ZooEntry

__all__ = ["parse", "build_graph", "load", "stats", "check_files", "resolve_target",
           "load_target_program", "as_graph"]


def parse(source: str | Path) -> ast.Module:
    """Parse `.mg` text, or the file at a path (a `Path` or a string ending in `.mg`).

    >>> parse('network N() { input x: 1 x 4 x 4  output y = x }').items[0].name
    'N'
    """
    return _parse(source)


def build_graph(source: str | Path | Program, network: str | None = None, *,
                inputs: dict[str, tuple[int, ...]] | None = None, **params: Any) -> nx.DiGraph:
    """Text, a path or a loaded program -> the checked IR of one network.

    `params` override the network's parameters. `inputs` (`{"image": (3, 96, 128)}`)
    checks the network at another input size: the IR is built at that size, and it is
    an error (E326, naming the grid) when a module compiled at the declared size could
    not run there. The result is validated and annotated with parameter and MAC counts
    (`ir.nodes[n].meta`).
    """
    return Compilation(source, params=params, inputs=inputs).ir(network)


def load_target_program(target: str | Path) -> tuple[Program, str | None, dict[str, Any]]:
    """Load the program behind a path or zoo name, with the zoo entry's parameters."""
    path, network, params = resolve_target(target)
    return load_program(path), network, params


def load(target: str | Path, network: str | None = None, *,
         inputs: dict[str, tuple[int, ...]] | None = None, **params: Any) -> nx.DiGraph:
    """The checked IR of a `.mg` file or a zoo name (`mgdsl.load("MG-16")`).

    Keyword arguments override network parameters (like `mgdsl check --set k=v`);
    `inputs` checks another input size (like `mgdsl check --input image=3x96x128`).
    """
    program, zoo_network, zoo_params = load_target_program(target)
    return build_graph(program, network or zoo_network, inputs=inputs,
                       **{**zoo_params, **params})


def as_graph(target: nx.DiGraph | str | Path, network: str | None = None, *,
             inputs: dict[str, tuple[int, ...]] | None = None, **params: Any) -> nx.DiGraph:
    """A checked IR as it is, or the IR of a zoo name or `.mg` path (as `load` builds it).

    >>> as_graph("MG-16").graph["name"]
    'MG'
    """
    if isinstance(target, nx.DiGraph):
        if network is not None or inputs or params:
            raise TypeError("network, inputs and parameters apply to a name or a path, "
                            "not to an IR that is already built")
        return target
    return load(target, network, inputs=inputs, **params)


def stats(ir: nx.DiGraph | str | Path, network: str | None = None, *,
          inputs: dict[str, tuple[int, ...]] | None = None, **params: Any) -> Cost:
    """Parameter and MAC totals and breakdowns of a checked IR, or of a zoo name or
    `.mg` path (`mgdsl.stats("PMG-11-seg")`)."""
    return cost_of(as_graph(ir, network, inputs=inputs, **params))


def check_files(paths: list[str | Path], network: str | None = None, *,
                inputs: dict[str, tuple[int, ...]] | None = None,
                **params: Any) -> tuple[list[nx.DiGraph], list[MgError]]:
    """Parse, elaborate and validate every network of every file (at the `inputs` sizes
    when given); never stops at the first problem. Returns the IRs built and every
    error found."""
    graphs: list[nx.DiGraph] = []
    errors: list[MgError] = []
    for path in paths:
        try:
            file, zoo_network, zoo_params = resolve_target(path)
        except MgError as exc:
            errors.append(exc)
            continue
        compilation = Compilation(file, params={**zoo_params, **params}, inputs=inputs)
        compilation.check(network or zoo_network)
        graphs += compilation.graphs.values()
        errors += compilation.errors
    return graphs, errors


@functools.cache
def _zoo_program(path: str) -> Program:
    return load_program(path)


def zoo_graph(entry: ZooEntry) -> nx.DiGraph:
    """The checked IR of a zoo entry; each architecture file is parsed once."""
    return build_graph(_zoo_program(str(entry.path)), entry.network, **dict(entry.params))


def zoo_count(entry: ZooEntry) -> tuple[int, int]:
    """`(params, MACs)` of a zoo entry's checked IR, counted as the paper does."""
    cost = cost_of(zoo_graph(entry))
    return cost.params, cost.macs
