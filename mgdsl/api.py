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

from mgdsl.analyses.cost import Cost, annotate_cost, cost_of
from mgdsl.elab.elaborate import elaborate
from mgdsl.elab.program import Program, load_program
from mgdsl.errors import MgError, MgErrors
from mgdsl.gcpause import gc_paused
from mgdsl.ir.sizes import size_mismatch, size_note
from mgdsl.ir.validate import validate
from mgdsl.syntax import ast
from mgdsl.syntax.parser import parse_file, parse_text
from mgdsl.zoo import ZooEntry, lookup

__all__ = ["parse", "build_graph", "load", "stats", "check_files", "resolve_target",
           "load_target_program"]


def _looks_like_path(source: str | Path) -> bool:
    if isinstance(source, Path):
        return True
    return "\n" not in source and "{" not in source and source.endswith(".mg")


def parse(source: str | Path) -> ast.Module:
    """Parse `.mg` text, or the file at a path (a `Path` or a string ending in `.mg`).

    >>> parse('network N() { input x: 1 x 4 x 4  output y = x }').items[0].name
    'N'
    """
    if _looks_like_path(source):
        return parse_file(source)
    return parse_text(str(source))


def _program(source: str | Path | Program) -> Program:
    if isinstance(source, Program):
        return source
    if _looks_like_path(source):
        return load_program(source)
    return load_program("<string>", text=str(source))


def _as_value(value: Any) -> Any:
    """A Python parameter value as the language holds it: lists become tuples (a `.mg`
    list), at every depth, so `len`, `max` and `*` work on them as on a tuple."""
    if isinstance(value, (list, tuple)):
        return tuple(_as_value(v) for v in value)
    return value


def _build(program: Program, network: str | None, inputs: dict[str, tuple[int, ...]] | None,
           params: dict[str, Any]) -> nx.DiGraph:
    ir = elaborate(program, network, inputs=inputs, **{k: _as_value(v) for k, v in params.items()})
    validate(ir)
    annotate_cost(ir)
    return ir


def build_graph(source: str | Path | Program, network: str | None = None, *,
                inputs: dict[str, tuple[int, ...]] | None = None, **params: Any) -> nx.DiGraph:
    """Text, a path or a loaded program -> the checked IR of one network.

    `params` override the network's parameters. `inputs` (`{"image": (3, 96, 128)}`)
    checks the network at another input size: the IR is built at that size, and it is
    an error (E326, naming the grid) when a module compiled at the declared size could
    not run there. The result is validated and annotated with parameter and MAC counts
    (`ir.nodes[n]["meta"]`).
    """
    program = _program(source)
    with gc_paused():
        if not inputs:
            return _build(program, network, None, params)
        sized = {k: tuple(v) for k, v in inputs.items()}
        try:
            ir = _build(program, network, sized, params)
        except MgError as exc:
            for err in exc.errors if isinstance(exc, MgErrors) else [exc]:
                err.notes.append(size_note(sized))
            raise
        problem = size_mismatch(_build(program, network, None, params), ir)
    if problem is not None:
        raise problem
    return ir


def resolve_target(target: str | Path) -> tuple[Path, str | None, dict[str, Any]]:
    """A `.mg` path or a zoo name like `PMG-11-seg` -> (file, network, parameters)."""
    path = Path(target)
    if path.suffix == ".mg" or path.exists():
        return path, None, {}
    entry = lookup(str(target))
    return entry.path, entry.network, dict(entry.params)


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


def stats(ir: nx.DiGraph) -> Cost:
    """Parameter and MAC totals and breakdowns of a checked IR."""
    return cost_of(ir)


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
            program, zoo_network, zoo_params = load_target_program(path)
        except MgError as exc:
            errors.extend(exc.errors if isinstance(exc, MgErrors) else [exc])
            continue
        if not program.networks and program.blocks and not (network or zoo_network):
            continue  # a library of blocks: parsing and registering them was the check
        names = [network or zoo_network] if (network or zoo_network) else \
            [n.name for n in program.networks] or [None]
        for name in names:
            try:
                graphs.append(build_graph(program, name, inputs=inputs,
                                          **{**zoo_params, **params}))
            except MgError as exc:
                errors.extend(exc.errors if isinstance(exc, MgErrors) else [exc])
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
