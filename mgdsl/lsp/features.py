"""The editor features as LSP values: diagnostics, hover, definition, completion, symbols,
formatting. Each is a function of an `Analysis` (or the text) and a position; none raises
for any text or position an editor can send.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from mgdsl.analyses.cost import cost_of
from mgdsl.compilation import (
    BUILTINS,
    KEYWORDS,
    BlockInfo,
    Compilation,
    Poison,
    Pyramid,
    resolve_use,
)
from mgdsl.errors import MgError, Span
from mgdsl.lsp.analysis import Analysis, Evaluation, Key
from mgdsl.lsp.source import HEADER, Lines
from mgdsl.syntax import ast
from mgdsl.syntax.literal import mg_literal

__all__ = ["diagnostics", "hover", "definition", "completion", "document_symbols",
           "formatting", "uri_of", "path_of"]

CONSTANTS = ("true", "false", "none")
_USE = re.compile(r'^\s*use\s+"([^"\n]*)"?')


def uri_of(path: str | Path) -> str:
    """The `file://` URI of a path."""
    return Path(path).resolve().as_uri()


def path_of(uri: str) -> str:
    """The file system path of a `file://` URI; another URI becomes the display name
    `<uri>`, so a buffer with no file `use`s the standard library only."""
    from pygls.uris import to_fs_path

    return (to_fs_path(uri) or f"<{uri}>") if uri.startswith("file:") else f"<{uri}>"


# ------------------------------------------------------------------------------ ranges


def _range(lines: Lines, key: Key) -> lsp.Range:
    l0, c0, l1, c1 = key
    l0, l1 = max(l0 - 1, 0), max(l1 - 1, 0)
    return lsp.Range(lsp.Position(l0, lines.to_client(l0, max(c0 - 1, 0))),
                     lsp.Position(l1, lines.to_client(l1, max(c1 - 1, 0))))


def _key(span: Span) -> Key:
    return (span.line, span.col, span.end_line, span.end_col)


def _name_key(lines: Lines, span: Span, name: str) -> Key:
    """The span of the first whole-word `name` at or after `span`'s start (else `span`)."""
    for n in range(span.line - 1, min(span.end_line, span.line + 3)):
        text = lines.line(n)
        start = span.col - 1 if n == span.line - 1 else 0
        m = re.compile(rf"\b{re.escape(name)}\b").search(text, start)
        if m:
            return (n + 1, m.start() + 1, n + 1, m.end() + 1)
    return _key(span)


def _position(lines: Lines, pos: lsp.Position) -> tuple[int, int]:
    """LSP position -> 0-based line and code-point column."""
    return pos.line, lines.from_client(pos.line, pos.character)


# ------------------------------------------------------------------------- diagnostics


def diagnostics(analysis: Analysis, errors_url: str | None = None,
                encoding: str = "utf-16") -> list[lsp.Diagnostic]:
    """Every error and warning of `analysis`, placed in its file: problems in a `use`d file
    are shown on the `use` line that brings it in."""
    lines = Lines(analysis.text, encoding)
    out = []
    for error in analysis.errors:
        out.append(_diagnostic(error, analysis, lines, errors_url))
    return out


def _diagnostic(error: MgError, analysis: Analysis, lines: Lines,
                errors_url: str | None) -> lsp.Diagnostic:
    span = error.span
    message = error.message
    if span is not None and _same_file(span.file, analysis.file):
        rng = _range(lines, _key(span))
    else:
        rng = _range(lines, _use_key(analysis, span))
        if span is not None:
            message = f"{span}: {message}"
    extra = [f"note: {n}" for n in error.notes] + ([f"hint: {error.hint}"] if error.hint else [])
    warning = getattr(error, "kind", "error") == "warning" or str(error.code).startswith("W")
    href = f"{errors_url}#{error.code.lower()}" if errors_url else None
    return lsp.Diagnostic(
        range=rng, message="\n".join([message, *extra]),
        severity=lsp.DiagnosticSeverity.Warning if warning else lsp.DiagnosticSeverity.Error,
        code=error.code, source="mgdsl",
        code_description=lsp.CodeDescription(href=href) if href else None)


def _same_file(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, ValueError):
        return False


def _use_key(analysis: Analysis, span: Span | None) -> Key:
    """Where to show a problem found in another file: its `use` line, or the top."""
    module = analysis.module
    uses = [i for i in (module.items if module else ()) if isinstance(i, ast.Use)]
    if span is not None:
        name = Path(span.file).name
        for use in uses:
            if Path(use.path).name in (name, name.removesuffix(".mg")):
                return _key(use.span)
    if not uses:  # the entry did not parse: find the `use` lines in the text
        for n, text in enumerate(analysis.text.split("\n")):
            if span is not None and _USE.match(text) and Path(span.file).stem in text:
                return (n + 1, 1, n + 1, len(text.rstrip()) + 1)
    return _key(uses[0].span) if uses else (1, 1, 1, 2)


# ------------------------------------------------------------------------------- hover


def _grid_rows(value: Pyramid) -> list[str]:
    rows = []
    for g in value.grids:
        level = "vector" if g.level is None else str(g.level)
        rows.append(f"| {level} | {' × '.join(str(s) for s in g.shape)} |")
    return rows


def _compact(value: Any) -> str:
    if isinstance(value, Pyramid):
        return "; ".join(
            f"L{g.level}: {'×'.join(map(str, g.shape))}" if g.level is not None
            else f"vector {g.shape[0]}" for g in value.grids) or "empty pyramid"
    return mg_literal(value)


def _kind(value: Any) -> str:
    if isinstance(value, Pyramid):
        if len(value) == 1:
            return "vector" if value.grids[0].level is None else "grid"
        return f"pyramid of {len(value)} grids"
    from mgdsl.compilation import type_name

    return type_name(value)


def _count(n: int) -> str:
    for unit, size in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return str(n)


def _cost(ev: Evaluation) -> str:
    if ev.params is None:
        return ""
    return f"params {ev.params:,} ({_count(ev.params)}) · MACs {ev.macs:,} ({_count(ev.macs)})"


def _values_markdown(evals: list[Evaluation], multi_network: bool) -> list[str]:
    evals = [e for e in evals if not isinstance(e.value, Poison)]
    if not evals:  # every evaluation failed: its error says why
        return ["no value: computing it failed (see the error)"]
    if len(evals) == 1 and evals[0].count == 1:
        ev = evals[0]
        out = [f"{_kind(ev.value)}" + (f" = `{mg_literal(ev.value)}`"
                                       if not isinstance(ev.value, Pyramid) else "")]
        if isinstance(ev.value, Pyramid) and ev.value.grids:
            out += ["", "| level | C × H × W |", "|--:|--:|", *_grid_rows(ev.value)]
        if _cost(ev):
            out += ["", _cost(ev)]
        return out
    total = sum(e.count for e in evals)
    out = [f"evaluated {total} time{'s' * (total != 1)}, {len(evals)} distinct value"
           f"{'s' * (len(evals) != 1)}:", ""]
    for ev in evals:
        where = f" in `{ev.network}`" if multi_network and ev.network else ""
        count = f"{ev.count}× " if ev.count > 1 else ""
        cost = f" — {_cost(ev)}" if _cost(ev) else ""
        out.append(f"- {count}{_kind(ev.value)}{where}: `{_compact(ev.value)}`{cost}")
    return out


def _signature(name: str, analysis: Analysis) -> list[str]:
    """The signature and doc of the block or built-in `name`, as Markdown lines."""
    block = analysis.program.blocks.get(name) if analysis.program else None
    if block is not None:
        where = Path(block.file).name
        doc = _doc_comment(analysis, block)
        return [f"```mg\nblock {name}({_param_text(block)})\n```",
                f"{'standard block' if block.is_std else 'block'} from `{where}`"
                f":{block.node.span.line}", *(["", doc] if doc else [])]
    spec = BUILTINS.get(name)
    if spec is not None:
        return [f"```mg\n{spec.signature}\n```", f"built-in: {spec.doc}" if spec.doc
                else "built-in"]
    return []


def _param_text(block: BlockInfo) -> str:
    from mgdsl.syntax.fmt import format_expr

    return ", ".join(p.name if p.default is None else f"{p.name} = {format_expr(p.default)}"
                     for p in block.node.params)


def _doc_comment(analysis: Analysis, block: BlockInfo) -> str:
    """The comment lines right above a block's definition."""
    module = analysis.program.modules.get(_module_key(analysis, block.file)) \
        if analysis.program else None
    if module is None:
        return ""
    by_line = {c.line: c.text for c in module.comments}
    out, line = [], block.node.span.line - 1
    while line in by_line:
        out.append(by_line[line].lstrip("#").strip())
        line -= 1
    return " ".join(reversed(out))


def _module_key(analysis: Analysis, file: str) -> str:
    program = analysis.program
    if file in program.modules:
        return file
    for key, module in program.modules.items():
        if module.file == file:
            return key
    return file


def hover(analysis: Analysis, position: lsp.Position,
          encoding: str = "utf-16") -> lsp.Hover | None:
    """The value under the cursor with its shape per grid; for a call its cost and the
    called block's or built-in's signature."""
    lines = Lines(analysis.text, encoding)
    line, col = _position(lines, position)
    parts: list[str] = []
    key = analysis.innermost(line + 1, col + 1)
    word = lines.word_at(line, col)
    word_span = lines.word_span(line, col)
    rng = None
    if key is not None:
        expr_text = _excerpt(lines, key)
        if expr_text:
            parts += [f"`{expr_text}`", ""]
        multi = len(analysis.graphs) > 1
        parts += _values_markdown(analysis.values[key], multi)
        rng = _range(lines, key)
    if word and re.search(r"\bnetwork\s*$", lines.line(line)[:word_span[0]]):
        parts = _network_summary(analysis, word)
    elif word and _is_callee(lines, line, word_span):
        sig = _signature(word, analysis)
        if sig:
            parts = [*parts, "", "---", "", *sig] if parts else sig
            if rng is None and word_span:
                rng = lsp.Range(lsp.Position(line, lines.to_client(line, word_span[0])),
                                lsp.Position(line, lines.to_client(line, word_span[1])))
    if not parts:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown,
                                                value="\n".join(parts)), range=rng)


def _network_summary(analysis: Analysis, name: str) -> list[str]:
    """Totals and the input and output shapes of network `name` (if it was built)."""
    for graph in analysis.graphs:
        if graph.graph.get("name") != name:
            continue
        try:
            cost = cost_of(graph)
        except Exception:  # noqa: BLE001 - a partial graph after an error may not count
            return []
        return [f"network `{name}`", "",
                f"params {cost.params:,} ({_count(cost.params)}) · MACs {cost.macs:,} "
                f"({_count(cost.macs)}) · {len(graph)} IR nodes", "",
                f"inputs: {_shapes(graph, graph.graph['inputs'])}  ",
                f"outputs: {_shapes(graph, graph.graph['outputs'])}"]
    return []


def _shapes(graph, table: dict[str, int]) -> str:
    return ", ".join(f"`{k}` {' × '.join(map(str, graph.nodes[n].shape))}"
                     for k, n in table.items()) or "none"


def _is_callee(lines: Lines, line: int, span: tuple[int, int] | None) -> bool:
    if span is None:
        return False
    text = lines.line(line)
    after = text[span[1]:].lstrip()
    before = text[:span[0]].rstrip()
    return after.startswith("(") or before.endswith("default") or \
        bool(re.search(r"\bblock$", before))


def _excerpt(lines: Lines, key: Key, limit: int = 60) -> str:
    l0, c0, l1, c1 = key
    if l0 == l1:
        text = lines.line(l0 - 1)[c0 - 1:c1 - 1]
    else:
        text = lines.line(l0 - 1)[c0 - 1:] + " …"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --------------------------------------------------------------------------- definition


def definition(analysis: Analysis, position: lsp.Position,
               encoding: str = "utf-16") -> list[lsp.Location]:
    """Where the name under the cursor is defined: a block, network, variable, argument
    name, or the file a `use` brings in."""
    lines = Lines(analysis.text, encoding)
    line, col = _position(lines, position)
    use = _USE.match(lines.line(line))
    if use and col >= lines.line(line).find('"'):
        return _use_target(analysis, use.group(1))
    span = lines.word_span(line, col)
    if span is None:
        return []
    word = lines.line(line)[span[0]:span[1]]
    text = lines.line(line)
    is_kwarg = re.match(r"\s*=(?!=)", text[span[1]:]) and \
        lines.enclosing_call(line, span[0]) is not None
    if is_kwarg:
        func, _ = lines.enclosing_call(line, span[0])
        return _param_location(analysis, func, word, encoding)
    if text[span[1]:].lstrip().startswith("("):
        found = _def_location(analysis, word, encoding)
        if found:
            return found
    variable = _variable_location(analysis, lines, line, col, word)
    if variable:
        return variable
    return _def_location(analysis, word, encoding)


def _use_target(analysis: Analysis, name: str) -> list[lsp.Location]:
    try:
        path, _ = resolve_use(ast.Use(Span.point(analysis.file), name), analysis.file)
    except MgError:
        return []
    return [lsp.Location(uri_of(path), lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))]


def _module_lines(analysis: Analysis, file: str, encoding: str) -> Lines:
    if _same_file(file, analysis.file):
        return Lines(analysis.text, encoding)
    module = analysis.program.modules.get(_module_key(analysis, file)) if analysis.program \
        else None
    return Lines(module.text if module is not None else "", encoding)


def _location(analysis: Analysis, file: str, span: Span, name: str,
              encoding: str) -> lsp.Location:
    lines = _module_lines(analysis, file, encoding)
    uri = uri_of(file) if not file.startswith("<") else file
    return lsp.Location(uri, _range(lines, _name_key(lines, span, name)))


def _def_location(analysis: Analysis, name: str, encoding: str) -> list[lsp.Location]:
    program = analysis.program
    if program is not None:
        block = program.blocks.get(name)
        if block is not None:
            return [_location(analysis, block.file, block.node.span, name, encoding)]
        for net in program.networks:
            if net.name == name:
                return [_location(analysis, analysis.file, net.span, name, encoding)]
    lines = Lines(analysis.text, encoding)  # the buffer does not parse: read the headers
    for n, text in enumerate(lines.lines):
        m = HEADER.match(text)
        if m and m.group(2) == name:
            start = text.index(name, m.start(2))
            return [lsp.Location(uri_of(analysis.file), _range(
                lines, (n + 1, start + 1, n + 1, start + len(name) + 1)))]
    return []


def _param_location(analysis: Analysis, func: str, name: str,
                    encoding: str) -> list[lsp.Location]:
    block = analysis.program.blocks.get(func) if analysis.program else None
    if block is None:
        return []
    for p in block.node.params:
        if p.name == name:
            return [_location(analysis, block.file, p.span, name, encoding)]
    return []


def _variable_location(analysis: Analysis, lines: Lines, line: int, col: int,
                       word: str) -> list[lsp.Location]:
    """Where variable `word` is defined: the name itself when the cursor is on a
    definition, else the nearest definition above in the enclosing block or network (an
    assignment, an `input`, a `repeat ... as`, or a parameter)."""
    uri = uri_of(analysis.file) if not analysis.file.startswith("<") else analysis.file
    here = [d for d in lines.defined_on(line) if d[0] == word and d[2] <= col <= d[2] + len(word)]
    above = [d for d in lines.definitions(line) if d[0] == word]
    found = here or above[-1:]
    if not found:
        return []
    _, n, c = found[0]
    return [lsp.Location(uri, _range(lines, (n + 1, c + 1, n + 1, c + len(word) + 1)))]


# --------------------------------------------------------------------------- completion


def completion(analysis: Analysis, position: lsp.Position,
               blocks: dict[str, BlockInfo] | None = None,
               encoding: str = "utf-16") -> lsp.CompletionList:
    """Names that fit at the cursor: after `default` an op and its arguments; inside a
    call that function's argument names; else variables in scope, blocks, built-ins and
    keywords. `blocks` (from the last buffer that parsed) stands in when this one does not."""
    lines = Lines(analysis.text, encoding)
    line, col = _position(lines, position)
    before = lines.prefix(line, col)
    if analysis.program is not None:
        blocks = analysis.program.blocks
    elif blocks is None:
        blocks = _used_blocks(analysis)
    blocks = dict(blocks or {})
    items: list[lsp.CompletionItem] = []
    m = re.search(r"\bdefault\s+(\w+)\.(\w*)$", before)
    if m:
        spec = BUILTINS.get(m.group(1))
        return _list([_item(a, lsp.CompletionItemKind.Property, f"{m.group(1)} argument")
                      for a in sorted(spec.defaults_allowed)] if spec else [])
    if re.search(r"\bdefault\s+\w*$", before):
        return _list([_item(n, lsp.CompletionItemKind.Function, "built-in")
                      for n, s in sorted(BUILTINS.items()) if s.defaults_allowed])
    if lines.enclosing_def(line) is None:
        return _list([_item(k, lsp.CompletionItemKind.Keyword, "keyword")
                      for k in ("use", "block", "network")])
    call = lines.enclosing_call(line, col)
    if call is not None:
        for name in _arg_names(call[0], blocks):
            items.append(lsp.CompletionItem(
                label=f"{name} =", kind=lsp.CompletionItemKind.Property,
                detail=f"argument of {call[0]}", insert_text=f"{name} = ", sort_text=f"0{name}",
                filter_text=name))
    for name in lines.scope_names(line, col):
        items.append(_item(name, lsp.CompletionItemKind.Variable, "variable", "1"))
    for name, block in sorted(blocks.items()):
        items.append(_item(name, lsp.CompletionItemKind.Function,
                           f"block ({Path(block.file).name})", "2"))
    for text in lines.lines:
        h = HEADER.match(text)
        if h and h.group(1) == "block" and h.group(2) not in blocks:
            items.append(_item(h.group(2), lsp.CompletionItemKind.Function, "block", "2"))
    for name, spec in sorted(BUILTINS.items()):
        items.append(_item(name, lsp.CompletionItemKind.Function, "built-in " + spec.doc, "3"))
    for word in (*_statement_keywords(), *CONSTANTS):
        items.append(_item(word, lsp.CompletionItemKind.Keyword, "keyword", "4"))
    return _list(items)


def _used_blocks(analysis: Analysis) -> dict[str, BlockInfo]:
    """The blocks of the files the buffer's `use` lines name, when the buffer itself does
    not parse."""
    uses = "\n".join(line for line in analysis.text.split("\n") if _USE.match(line))
    return Compilation(analysis.file, text=uses).blocks


def _statement_keywords() -> list[str]:
    return [k for k in KEYWORDS if k not in ("use", "block", "network")] + \
        ["as", "if", "else", "and", "or", "not"]


def _arg_names(func: str, blocks: dict[str, BlockInfo]) -> list[str]:
    block = blocks.get(func)
    if block is not None:
        return [p.name for p in block.node.params]
    spec = BUILTINS.get(func)
    if spec is not None and not spec.variadic:
        return [p for p, _ in spec.params]
    return []


def _item(label: str, kind: lsp.CompletionItemKind, detail: str,
          order: str = "") -> lsp.CompletionItem:
    return lsp.CompletionItem(label=label, kind=kind, detail=detail, sort_text=order + label)


def _list(items: list[lsp.CompletionItem]) -> lsp.CompletionList:
    seen: dict[str, lsp.CompletionItem] = {}
    for item in items:
        seen.setdefault(item.label, item)
    return lsp.CompletionList(is_incomplete=False, items=list(seen.values()))


# ------------------------------------------------------------------------------ symbols


def document_symbols(module: ast.Module | None, text: str,
                     encoding: str = "utf-16") -> list[lsp.DocumentSymbol]:
    """Networks, blocks and `use`s, with the sections, inputs and outputs inside them."""
    if module is None:
        return []
    lines = Lines(text, encoding)
    out = []
    for item in module.items:
        if isinstance(item, ast.Use):
            out.append(_symbol(lines, item.span, f'use "{item.path}"', None,
                               lsp.SymbolKind.Module))
        elif isinstance(item, (ast.BlockDef, ast.NetworkDef)):
            kind = lsp.SymbolKind.Class if isinstance(item, ast.NetworkDef) \
                else lsp.SymbolKind.Function
            params = ", ".join(p.name for p in item.params)
            sym = _symbol(lines, item.span, item.name, item.name, kind, f"({params})")
            sym.children = _inner_symbols(lines, item.body)
            out.append(sym)
    return out


def _inner_symbols(lines: Lines, body: tuple[ast.Stmt, ...]) -> list[lsp.DocumentSymbol]:
    out = []
    for stmt in body:
        if isinstance(stmt, ast.Section):
            sym = _symbol(lines, stmt.span, stmt.name, stmt.name, lsp.SymbolKind.Namespace,
                          "section")
            sym.children = _inner_symbols(lines, stmt.body)
            out.append(sym)
        elif isinstance(stmt, ast.InputDecl):
            out.append(_symbol(lines, stmt.span, stmt.name, stmt.name, lsp.SymbolKind.Variable,
                               "input"))
        elif isinstance(stmt, ast.OutputDecl):
            out.append(_symbol(lines, stmt.span, stmt.name, stmt.name, lsp.SymbolKind.Field,
                               "output"))
        elif isinstance(stmt, ast.Node):  # statements with bodies (repeat, if ...)
            for f in stmt.__dataclass_fields__:
                child = getattr(stmt, f)
                if isinstance(child, ast.Node):
                    child = (child,)
                if isinstance(child, tuple):
                    out += _inner_symbols(lines, child)
    return out


def _symbol(lines: Lines, span: Span, name: str, word: str | None, kind: lsp.SymbolKind,
            detail: str | None = None) -> lsp.DocumentSymbol:
    rng = _range(lines, _key(span))
    sel = _range(lines, _name_key(lines, span, word)) if word else rng
    return lsp.DocumentSymbol(name=name, kind=kind, range=rng, selection_range=sel,
                              detail=detail, children=[])


# --------------------------------------------------------------------------- formatting


def formatting(text: str, file: str, encoding: str = "utf-16") -> list[lsp.TextEdit]:
    """`mgdsl fmt` of the buffer as one edit (none when it is formatted or does not parse)."""
    from mgdsl.syntax.fmt import format_source

    try:
        out = format_source(text, file)
    except MgError:
        return []
    if out == text:
        return []
    lines = Lines(text, encoding)
    last = len(lines.lines) - 1
    end = lsp.Position(last, lines.to_client(last, len(lines.line(last))))
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), out)]
