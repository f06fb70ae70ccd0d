"""The front end: a program -> each network's checked IR, every diagnostic, and what an
editor shows about the text.

`Compilation` is the one way into the compiler: it parses a program (text or a path, with
the files it `use`s), elaborates its networks (with parameter overrides and, optionally,
other input sizes), validates them and counts parameters and MACs. The public API
(`mgdsl.api`), the CLI, `mgdsl serve`, the language server, the drawings of standard
blocks, the language reference, the code generators and training all come through here;
none of them imports the elaborator (`mgdsl.elab`) or the parser (`mgdsl.syntax.parser`)
itself (`tests/test_imports.py` keeps it so).

>>> c = Compilation('network N() { input x: 1 x 8 x 8\\n output y = relu(x) }').check()
>>> c.errors, c.networks, c.graphs["N"].graph["outputs"]
([], ['N'], {'y': 2})
>>> Compilation('network N() { output y = z }').check().errors[0].code
'E200'

Two ways to use it: `ir(network)` builds one network and raises `MgErrors` with every
problem (what `mgdsl.build_graph` does); `check()` builds every network and collects the
problems in `errors` (what `mgdsl check`, the editor and the web page do).

Editor hooks. With `record=True`, elaboration also notes the value of every expression
and statement of the entry file it evaluates (`values`: span -> `Recorded` values, with
the IR nodes each added, so a hover can sum their cost), keeps the partial graph of a
network that failed, and `definition(name)`, `uses()` and `used_file(path)` answer
go-to-definition and where names are called.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from mgdsl.analyses.cost import annotate_cost
from mgdsl.elab.elaborate import Elaborator, elaborate
from mgdsl.elab.names import undefined_names
from mgdsl.elab.primitives import PRIMITIVES, Primitive
from mgdsl.elab.program import BlockInfo, Program, _resolve_use, load_program
from mgdsl.elab.values import Poison, Pyramid, type_name
from mgdsl.errors import MgError, Span, flatten_errors
from mgdsl.gcpause import gc_paused
from mgdsl.ir.sizes import size_mismatch, size_note
from mgdsl.ir.validate import validate
from mgdsl.paths import stdlib_dir
from mgdsl.syntax import ast
from mgdsl.syntax.parser import KEYWORDS, parse_file, parse_text, read_source
from mgdsl.zoo import lookup

__all__ = ["Compilation", "Recorded", "Key", "parse", "load_program", "read_source",
           "resolve_target", "resolve_use", "parse_text",
           "evaluate", "std_module", "BUILTINS", "KEYWORDS", "BlockInfo", "Program",
           "Primitive", "Pyramid", "Poison", "type_name"]

#: the built-in functions of the language by name (ops and language functions)
BUILTINS: Mapping[str, Primitive] = PRIMITIVES

#: a span inside the entry file without its file name: (line, col, end_line, end_col)
Key = tuple[int, int, int, int]

MAX_RECORDS = 48  # values kept per span (a `repeat` may evaluate an expression 1,000 times)


def resolve_target(target: str | Path) -> tuple[Path, str | None, dict[str, Any]]:
    """A `.mg` path or a zoo name like `PMG-11-seg` -> (file, network, parameters)."""
    path = Path(target)
    if path.suffix == ".mg" or path.exists():
        return path, None, {}
    entry = lookup(str(target))
    return entry.path, entry.network, dict(entry.params)


def looks_like_path(source: str | Path) -> bool:
    """A `Path`, or a one-line string ending in `.mg` (anything else is program text)."""
    if isinstance(source, Path):
        return True
    return "\n" not in source and "{" not in source and source.endswith(".mg")


def parse(source: str | Path, file: str = "<string>") -> ast.Module:
    """Parse `.mg` text, or the file at a path (see `looks_like_path`), into its AST."""
    if looks_like_path(source):
        return parse_file(source)
    return parse_text(str(source), file)


def std_module() -> ast.Module:
    """The parsed standard library, `std.mg`."""
    return parse_file(stdlib_dir() / "std.mg")


def _as_value(value: Any) -> Any:
    """A Python parameter value as the language holds it: lists become tuples (a `.mg`
    list), at every depth, so `len`, `max` and `*` work on them as on a tuple."""
    if isinstance(value, (list, tuple)):
        return tuple(_as_value(v) for v in value)
    return value


@dataclass
class Recorded:
    """One value an expression of the entry file took while network `graph` was built,
    and the IR nodes `[first, last)` that evaluating it added."""

    value: Any
    graph: str
    first: int
    last: int


class _Recorder(Elaborator):
    """An elaborator that also notes the value of every expression written in `file`."""

    def __init__(self, program: Program, network: ast.NetworkDef, file: str,
                 sink: dict[Key, list[Recorded]],
                 inputs: dict[str, tuple[int, ...]] | None = None) -> None:
        super().__init__(program, network, inputs)
        self._file = file
        self._sink = sink

    def _note(self, span: Span | None, value: Any, first: int) -> None:
        if span is None or span.file != self._file:
            return
        key = (span.line, span.col, span.end_line, span.end_col)
        records = self._sink.setdefault(key, [])
        record = Recorded(value, self.network.name, first, len(self.builder.graph))
        if len(records) < MAX_RECORDS:
            records.append(record)
        else:
            records[-1] = record

    def eval(self, expr: ast.Expr) -> Any:
        if self.frame.in_std:  # the standard library is not the user's text: no records
            return super().eval(expr)
        first = len(self.builder.graph)
        value = super().eval(expr)
        self._note(expr.span, value, first)
        return value

    def exec_stmt(self, stmt: ast.Stmt, *, where: str) -> None:
        if self.frame.in_std:
            return super().exec_stmt(stmt, where=where)
        first = len(self.builder.graph)
        super().exec_stmt(stmt, where=where)
        target = getattr(stmt, "target", None) or (
            stmt.name if isinstance(stmt, ast.InputDecl) else None)
        if target is not None and target in self.frame.vars:
            self._note(stmt.span, self.frame.vars[target], first)


class Compilation:
    """One program through the front end (see the module docstring).

    `source` is `.mg` text, a path, or an already loaded `Program`; with `text`, `source`
    is the file name the text stands for (its `use`s resolve from there). `params`
    override network parameters, `inputs` (`{"image": (3, 96, 128)}`) checks the
    networks at other input sizes, `root` confines `use` to a folder (E930), `sources`
    maps resolved paths of used files to texts read instead (an editor's unsaved buffers).
    """

    def __init__(self, source: str | Path | Program, *, text: str | None = None,
                 params: Mapping[str, Any] | None = None,
                 inputs: Mapping[str, tuple[int, ...]] | None = None,
                 root: str | Path | None = None, record: bool = False,
                 sources: Mapping[str, str] | None = None) -> None:
        self.params = {k: _as_value(v) for k, v in (params or {}).items()}
        self.inputs = {k: tuple(v) for k, v in inputs.items()} if inputs else None
        self.record = record
        self.errors: list[MgError] = []
        self.graphs: dict[str, nx.DiGraph] = {}
        self.values: dict[Key, list[Recorded]] = {}
        self.program: Program | None = None
        self._load_error: MgError | None = None
        if isinstance(source, Program):
            self.program, self.file, self.text = source, source.entry.file, None
            return
        if text is None and not looks_like_path(source):
            source, text = "<string>", str(source)
        self.file, self.text = str(source), text
        try:
            self.program = load_program(source, text=text, root=root, sources=sources)
        except MgError as exc:
            self._load_error = exc
            self.errors += flatten_errors(exc)

    # ------------------------------------------------------------------------- results

    @property
    def module(self) -> ast.Module | None:
        """The entry file's AST, when it parsed."""
        return self.program.entry if self.program is not None else None

    @property
    def networks(self) -> list[str]:
        """The names of the networks the entry file defines, in order."""
        return [n.name for n in self.program.networks] if self.program is not None else []

    @property
    def blocks(self) -> dict[str, BlockInfo]:
        """Every block the program can call (its own and those of the files it uses)."""
        return self.program.blocks if self.program is not None else {}

    @property
    def warnings(self) -> list[MgError]:
        """The warnings (W codes) the checks left on the networks built so far."""
        return [w for g in self.graphs.values() for w in g.graph.get("warnings") or ()
                if isinstance(w, MgError)]

    def ir(self, network: str | None = None) -> nx.DiGraph:
        """The checked IR of one network (the only one when `network` is None), annotated
        with parameter and MAC counts; raises `MgErrors` with every problem found.

        With `inputs`, the IR is built at those sizes, and it is an error (E326, naming
        the grid) when a module compiled at the declared size could not run there.
        """
        if self._load_error is not None:
            raise self._load_error
        assert self.program is not None
        with gc_paused():
            if not self.inputs:
                ir = self._build(network, None)
            else:
                try:
                    ir = self._build(network, self.inputs)
                except MgError as exc:
                    for err in flatten_errors(exc):
                        err.notes.append(size_note(self.inputs))
                    raise
                problem = size_mismatch(self._build(network, None), ir)
                if problem is not None:
                    raise problem
        self.graphs[ir.graph["name"]] = ir
        return ir

    def check(self, network: str | None = None) -> Compilation:
        """Build every network of the entry file (or only `network`), collecting every
        problem in `errors` instead of stopping at the first; returns itself.

        A file of blocks only (no network, none asked for) elaborates nothing; its block
        bodies (and those of the files it `use`s) are checked for undefined names."""
        if self.program is None:
            return self
        if self.record:
            self._check_recording(network)
            return self
        if not self.program.networks and self.program.blocks and network is None:
            self.errors += undefined_names(self.program)
            return self
        for name in [network] if network else (self.networks or [None]):
            try:
                self.ir(name)
            except MgError as exc:
                self.errors += flatten_errors(exc)
        return self

    def _build(self, network: str | None, inputs: dict[str, tuple[int, ...]] | None
               ) -> nx.DiGraph:
        assert self.program is not None
        ir = elaborate(self.program, network, inputs=inputs, **self.params)
        validate(ir)
        annotate_cost(ir)
        return ir

    def _check_recording(self, network: str | None) -> None:
        """`check` for an editor: every value noted, partial graphs kept, costs counted
        where they can be."""
        assert self.program is not None
        program, file = self.program, self.program.entry.file
        with gc_paused():
            for net in program.networks:
                if network is not None and net.name != network:
                    continue
                recorder = _Recorder(program, net, file, self.values, self.inputs)
                try:
                    validate(recorder.run(dict(self.params)))
                except MgError as exc:
                    self.errors += flatten_errors(exc)
                graph = recorder.builder.graph
                self.graphs[net.name] = graph
                try:
                    annotate_cost(graph)
                except Exception:  # noqa: BLE001 - a partial graph may miss what counting needs
                    pass
                self.errors += [w for w in graph.graph.get("warnings") or ()
                                if isinstance(w, MgError)]

    # ---------------------------------------------------------------------- editor hooks

    def definition(self, name: str) -> tuple[str, Span] | None:
        """Where block or network `name` is defined: (file, span of its definition)."""
        if self.program is None:
            return None
        block = self.program.blocks.get(name)
        if block is not None:
            return block.file, block.node.span
        for net in self.program.networks:
            if net.name == name:
                return self.program.entry.file, net.span
        return None

    def uses(self, name: str | None = None) -> list[tuple[str, Span]]:
        """The calls written in the entry file, `(function, span of its name)` in text
        order; only those of `name` when given."""
        if self.program is None:
            return []
        found = [(e.func, e.func_span) for e in _calls(self.program.entry)
                 if name is None or e.func == name]
        return sorted(found, key=lambda c: (c[1].line, c[1].col))

    def used_file(self, path: str) -> Path | None:
        """The file `use "path"` in the entry file brings in, or None if there is none."""
        try:
            return resolve_use(ast.Use(Span.point(self.file), path), self.file)[0]
        except MgError:
            return None


def resolve_use(use: ast.Use, including: str, root: Path | None = None) -> tuple[Path, bool]:
    """The file a `use` in file `including` brings in, and whether it is the standard
    library's: the front end's one resolution rule (raises `MgFileError` E601/E930)."""
    return _resolve_use(use, including, root)


def _calls(node: Any) -> Iterator[ast.Call]:
    """Every call expression under an AST node."""
    if isinstance(node, ast.Call):
        yield node
    if isinstance(node, (tuple, list)):
        for item in node:
            yield from _calls(item)
    elif hasattr(node, "__dataclass_fields__"):
        for name in node.__dataclass_fields__:
            value = getattr(node, name)
            if isinstance(value, (tuple, list)) or hasattr(value, "__dataclass_fields__"):
                yield from _calls(value)


def evaluate(text: str, network: str, name: str, file: str = "<evaluate>") -> Any:
    """The value variable `name` holds after network `network` of `text` (read as `file`)
    has run; raises `MgErrors` when the network does not build."""
    program = load_program(file, text=text)
    net = next(n for n in program.networks if n.name == network)
    elaborator = Elaborator(program, net)
    elaborator.run({})
    return elaborator.frame.vars[name]
