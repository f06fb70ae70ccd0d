"""AST -> graph IR: evaluate a network's body, calling blocks and primitives, adding nodes.

Scopes. Variables are lexical: a network (with its sections and repeats) is one variable
scope; each block call is a fresh scope holding its parameters. Names of IR nodes follow
the *dynamic* scopes: `section` names and block calls (`resmg1` = the second call of
`resmg` in that scope) and the op itself (`conv0`), then the grid level (`g2`).
`default op.arg = v` sets a primitive's default for the rest of the scope and every
block called from it.

Errors. A statement that fails is recorded and its targets become poisoned; statements
that read a poisoned variable are skipped silently, so one mistake is reported once and
independent mistakes are all reported together.

The work is split by kind of syntax: `statements`, `expressions`, `calls` (blocks,
built-ins, argument binding) and `slicing`, each a mixin of `Elaborator`; `frame` holds
the scopes. This module holds the entry point and the network's parameters.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from mgdsl.elab.calls import Calls
from mgdsl.elab.context import CallContext
from mgdsl.elab.expressions import Expressions
from mgdsl.elab.frame import Frame
from mgdsl.elab.program import Program
from mgdsl.elab.slicing import Slicing
from mgdsl.elab.statements import Statements
from mgdsl.elab.values import a_type, type_name
from mgdsl.errors import (
    MgError,
    MgErrors,
    MgLimitError,
    MgNameError,
    MgTypeError,
    Span,
    did_you_mean,
)
from mgdsl.ir.graph import IRBuilder
from mgdsl.syntax import ast
from mgdsl.syntax.literal import mg_literal

__all__ = ["elaborate", "CallContext"]


class Elaborator(Statements, Expressions, Slicing, Calls):
    """Evaluates one network of a program into an IR graph."""

    def __init__(self, program: Program, network: ast.NetworkDef,
                 inputs: dict[str, tuple[int, ...]] | None = None) -> None:
        self.program = program
        self.network = network
        self.input_sizes = dict(inputs or {})
        self.builder = IRBuilder(network.name, network.span.file, network.span)
        self.errors: list[MgError] = []
        self.std_hinted = False
        self.steps = 0
        self.total_params = 0
        self.call_stack: list[str] = []
        self.frame = Frame({}, (), None, None)
        self.loops = 0  # `repeat` bodies entered in the current block call (or the network)

    def run(self, overrides: dict[str, Any]) -> nx.DiGraph:
        net = self.network
        names = [p.name for p in net.params]
        for key in overrides:
            if key not in names:
                hint = did_you_mean(key, names) or (
                    f"`{net.name}` has parameters: {', '.join(names)}" if names
                    else f"`{net.name}` has no parameters")
                raise MgNameError(f"network `{net.name}` has no parameter `{key}`", net.span,
                                  code="E202", hint=hint, subject=("param", key))
        frame = self.frame
        for p in net.params:
            if p.name in overrides:
                value = overrides[p.name]
                self._check_override(p, value)
            elif p.default is not None:
                value = self.eval(p.default)
            else:
                raise MgNameError(f"network parameter `{p.name}` has no default and no value",
                                  p.span, code="E203", hint=f"pass it with --set {p.name}=...")
            frame.vars[p.name] = value
        self.builder.graph.graph["params"] = {p.name: frame.vars[p.name] for p in net.params}
        try:
            self.exec_body(net.body, where="network")
        except MgLimitError as exc:
            self.errors.append(exc)
        declared = self.builder.graph.graph["inputs"]
        for name in self.input_sizes:
            if name not in declared and not self.errors:
                raise _no_such_input(net.name, name, list(declared), net.span)
        if self.errors:
            unique = {(e.code, e.span, e.message): e for e in reversed(self.errors)}
            raise MgErrors(sorted(unique.values(), key=self.errors.index))
        return self.builder.graph

    def _check_override(self, param: ast.Param, value: Any) -> None:
        """E710 when `value` is of another kind than the parameter's literal default."""
        if not _is_literal(param.default):
            return
        default = self.eval(param.default)
        if _param_kind(value) != _param_kind(default):
            shown = mg_literal(default)
            raise MgTypeError(
                f"network parameter `{param.name}` takes {a_type(default)} (its default is "
                f"{shown}), not {a_type(value)} `{mg_literal(value)}`", param.span, code="E710",
                hint=f"give `{param.name}` a value like {shown}", subject=("param", param.name))


def _is_literal(expr: ast.Expr | None) -> bool:
    """True for a number, string, `true`/`false` or a list of those (maybe negated)."""
    if isinstance(expr, (ast.Num, ast.Str)):
        return True
    if isinstance(expr, ast.Name):
        return expr.id in ("true", "false")
    if isinstance(expr, ast.Neg):
        return _is_literal(expr.operand)
    if isinstance(expr, ast.ListExpr):
        return all(_is_literal(item) for item in expr.items)
    return False


def _param_kind(value: Any) -> str:
    """What a parameter value is, with integers and floats alike: number, boolean, ..."""
    return "number" if type_name(value) == "integer" else type_name(value)


def elaborate(program: Program, network: str | None = None, *,
              inputs: dict[str, tuple[int, ...]] | None = None, **overrides: Any) -> nx.DiGraph:
    """Build the IR of one network of `program` (the only one when `network` is None).

    `inputs` maps input names to a `(C, H, W)` that replaces the declared size (to check
    the network at another size). Raises `MgErrors` with every problem found.
    """
    nets = program.networks
    if not nets:
        raise MgNameError("the file defines no network",
                          Span.point(program.entry.file, source=program.entry.source),
                          code="E210", hint="add `network NAME() { ... }`")
    if network is None:
        if len(nets) > 1:
            raise MgNameError(f"the file defines {len(nets)} networks; choose one",
                              nets[1].span, code="E211",
                              hint="networks: " + ", ".join(n.name for n in nets))
        net = nets[0]
    else:
        matches = [n for n in nets if n.name == network]
        if not matches:
            raise MgNameError(f"no network `{network}` in {program.entry.file}",
                              Span.point(program.entry.file, source=program.entry.source), code="E211",
                              hint=did_you_mean(network, [n.name for n in nets])
                              or "networks: " + ", ".join(n.name for n in nets),
                              subject=("network", network))
        net = matches[0]
    return Elaborator(program, net, inputs).run(dict(overrides))


def _no_such_input(network: str, name: str, declared: list[str], span) -> MgNameError:
    """E324 for an input size given for `name`; a pyramid input `name` has one input per
    grid (`name_0`, `name_1`, ...), which the message names."""
    grids = [d for d in declared if d.startswith(f"{name}_") and d[len(name) + 1:].isdigit()]
    if grids:
        return MgNameError(
            f"`{name}` of network `{network}` is a pyramid input: each of its grids "
            f"({', '.join(grids)}) takes its own size", span, code="E324",
            hint="give every grid, finest first, each half the one before: "
                 + " ".join(f"--input {g}=CxHxW" for g in grids))
    return MgNameError(f"network `{network}` has no input `{name}`", span, code="E324",
                       hint=did_you_mean(name, declared)
                       or f"its inputs: {', '.join(declared) or 'none'}")
