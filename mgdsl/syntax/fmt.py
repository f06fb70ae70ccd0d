"""Canonical formatting of `.mg` source (`mgdsl fmt`).

The formatter prints the AST back with one statement per line, four-space indentation,
spaces around binary operators and keyword `=`, and only the parentheses precedence
needs. Comments are kept: a comment on its own line stays before the statement that
follows it; a comment after code stays at the end of that statement. A body of a single
short statement without comments stays on one line (`block cbr(p, ch) { return ... }`).
One blank line between statements, items and comments is kept where the source had
any. Formatting is
idempotent and `parse(format_source(x))` elaborates to the same IR as `x`.

>>> print(format_source('network N(){input x:1 x 8 x 8\\noutput y=relu( x )}'), end="")
network N() {
    input x: 1 x 8 x 8
    output y = relu(x)
}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mgdsl.syntax import ast
from mgdsl.syntax.parser import parse_text, read_source

__all__ = ["format_source", "format_module", "format_expr", "read_source"]

INDENT = "    "
MAX_LINE = 100

# binding strength, loosest first; a child binding looser than its slot needs parentheses
_PRECEDENCE = {"or": 1, "and": 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
               "+": 5, "-": 5, "*": 6, "/": 6, "//": 6, "**": 8}
_NOT, _NEG, _POSTFIX = 3, 7, 9
_COMPARE = 4


def format_expr(expr: ast.Expr | ast.Slice, parent: int = 0) -> str:
    """One expression as canonical text; `parent` is the enclosing operator precedence."""
    if isinstance(expr, ast.Num):
        return expr.text
    if isinstance(expr, ast.Str):
        return f'"{expr.value}"'
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.ListExpr):
        return "[" + ", ".join(format_expr(x) for x in expr.items) + "]"
    if isinstance(expr, ast.BinOp):
        prec = _PRECEDENCE[expr.op]
        if expr.op == "**":  # `postfix ** unary`: groups to the right
            left, right = format_expr(expr.left, _POSTFIX), format_expr(expr.right, _NEG)
        elif prec == _COMPARE:  # comparisons do not chain: both sides bind tighter
            left, right = format_expr(expr.left, prec + 1), format_expr(expr.right, prec + 1)
        else:
            # the right operand of - / // binds tighter: a - (b - c) keeps its parentheses
            left, right = format_expr(expr.left, prec), format_expr(expr.right, prec + 1)
        text = f"{left} {expr.op} {right}"
        return f"({text})" if prec < parent else text
    if isinstance(expr, ast.Neg):
        text = "-" + format_expr(expr.operand, _NEG)
        return f"({text})" if _NEG < parent else text
    if isinstance(expr, ast.Not):
        text = "not " + format_expr(expr.operand, _NOT)
        return f"({text})" if _NOT < parent else text
    if isinstance(expr, ast.Call):
        return f"{expr.func}({', '.join(_call_args(expr))})"
    if isinstance(expr, ast.Index):
        return f"{format_expr(expr.value, _POSTFIX)}[{format_expr(expr.index)}]"
    if isinstance(expr, ast.Slice):
        lo = format_expr(expr.lo) if expr.lo is not None else ""
        hi = format_expr(expr.hi) if expr.hi is not None else ""
        return f"{lo}:{hi}"
    raise TypeError(expr)  # pragma: no cover


def _call_args(call: ast.Call) -> list[str]:
    return ([format_expr(a) for a in call.args]
            + [f"{k.name} = {format_expr(k.value)}" for k in call.kwargs])


# ------------------------------------------------------------------- long lines
# Newlines are not significant in `.mg`, so a line may break after any `,` or before a
# binary operator. A call or list that does not fit keeps as many arguments per line as
# fit, continuation lines aligned just after its opening bracket; an argument too long for
# a line of its own is broken the same way inside. A long binary expression breaks before
# its operator, the right side aligned with the left. Only what cannot be broken (a long
# name, number or string) may still pass the limit.


def _wrap_expr(expr: ast.Expr, first: str, suffix: str, width: int, parent: int = 0) -> list[str]:
    """`first + expr + suffix` as lines of at most `width` columns where it can be broken.

    `first` is the text before the expression on its first line (indentation included),
    `suffix` what follows it on its last line, `parent` the precedence of the enclosing
    operator (as for `format_expr`).
    """
    flat = first + format_expr(expr, parent) + suffix
    if len(flat) <= width:
        return [flat]
    if isinstance(expr, ast.Call):
        items = [("", a) for a in expr.args] + [(f"{k.name} = ", k.value) for k in expr.kwargs]
        return _wrap_items(first, expr.func + "(", items, ")" + suffix, width)
    if isinstance(expr, ast.ListExpr):
        return _wrap_items(first, "[", [("", x) for x in expr.items], "]" + suffix, width)
    if isinstance(expr, ast.BinOp) and expr.op != "**":
        prec = _PRECEDENCE[expr.op]
        if prec < parent:  # needs parentheses: break inside them
            return _wrap_items(first, "(", [("", expr)], ")" + suffix, width)
        if prec == _COMPARE:
            left = _wrap_expr(expr.left, first, "", width, prec + 1)
            column = " " * len(first)  # the right side aligns with the left one
            return left + _wrap_expr(expr.right, f"{column}{expr.op} ", suffix, width, prec + 1)
        return _wrap_chain(expr, prec, first, suffix, width)
    return [flat]


def _wrap_chain(expr: ast.BinOp, prec: int, first: str, suffix: str, width: int) -> list[str]:
    """`a + b - c ...` (one precedence, grouped to the left) filled line by line, each line
    after the first starting with its operator under the first operand."""
    chain: list[tuple[str, ast.Expr]] = []
    node: ast.Expr = expr
    while isinstance(node, ast.BinOp) and node.op != "**" and _PRECEDENCE[node.op] == prec:
        chain.append((node.op, node.right))
        node = node.left
    chain.reverse()
    column = " " * len(first)
    lines = _wrap_expr(node, first, "" if chain else suffix, width, prec)
    cur = lines.pop()
    for i, (op, operand) in enumerate(chain):
        tail = suffix if i == len(chain) - 1 else ""
        text = f"{op} {format_expr(operand, prec + 1)}{tail}"
        if len(cur) + 1 + len(text) <= width:
            cur += " " + text
            continue
        lines.append(cur)
        more = _wrap_expr(operand, f"{column}{op} ", tail, width, prec + 1)
        lines.extend(more[:-1])
        cur = more[-1]
    lines.append(cur)
    return lines


def _wrap_items(first: str, head: str, items: Sequence[tuple[str, ast.Expr | None]],
                close: str, width: int) -> list[str]:
    """`first + head + items joined by ', ' + close`, filled line by line within `width`.

    Continuation lines align after `head`; when that column is far right they are indented
    eight spaces past the line's own indentation instead, after a break at `head`.
    """
    lines: list[str] = []
    cur = first + head
    column = len(cur)
    base = len(first) - len(first.lstrip())
    if column > width // 2 + base // 2 and items:
        lines.append(cur)
        column = base + 8
        cur = " " * column
    pad = " " * column
    fresh = True  # no item on `cur` yet
    for i, (label, expr) in enumerate(items):
        tail = "," if i < len(items) - 1 else close
        text = label + (format_expr(expr) if expr is not None else "") + tail
        sep = "" if fresh else " "
        if len(cur) + len(sep) + len(text) <= width:
            cur += sep + text
            fresh = False
            continue
        if not fresh:
            lines.append(cur)
            cur, fresh = pad, True
            if len(cur) + len(text) <= width:
                cur += text
                fresh = False
                continue
        if expr is None:
            cur += text
        else:  # too long for a line of its own: break inside it
            inner = _wrap_expr(expr, cur + label, tail, width)
            lines.extend(inner[:-1])
            cur = inner[-1]
        fresh = False
    lines.append(cur)
    return lines


def _params(params: tuple[ast.Param, ...]) -> str:
    return ", ".join(p.name if p.default is None else f"{p.name} = {format_expr(p.default)}"
                     for p in params)


class _Printer:
    def __init__(self, module: ast.Module) -> None:
        self.lines: list[str] = []
        text_lines = module.text.split("\n")  # lines as the parser counts them (not at \r)
        self.own_line: list[ast.Comment] = []
        self.trailing: dict[int, list[ast.Comment]] = {}
        for c in module.comments:
            before = text_lines[c.line - 1][: c.col - 1] if c.line <= len(text_lines) else ""
            if before.strip():
                self.trailing.setdefault(c.line, []).append(c)
            else:
                self.own_line.append(c)
        self.module = module
        self.last_line: int | None = None  # source line of the last thing printed

    # comments ---------------------------------------------------------------------------

    def flush_before(self, line: int, indent: str) -> None:
        while self.own_line and self.own_line[0].line < line:
            comment = self.own_line.pop(0)
            self.gap(comment.line)
            self.lines.append(indent + comment.text.rstrip())
            self.last_line = comment.line

    def take_trailing(self, first: int, last: int) -> str:
        found = []
        for ln in range(first, last + 1):
            found.extend(self.trailing.pop(ln, []))
        return "  " + "  ".join(c.text.rstrip() for c in found) if found else ""

    def has_comments(self, first: int, last: int) -> bool:
        return any(first <= c.line <= last for c in self.own_line) or any(
            first <= ln <= last for ln in self.trailing)

    # statements ---------------------------------------------------------------------------

    def gap(self, line: int) -> None:
        """Keep one blank line where the source had at least one before `line`."""
        if self.last_line is None or not self.lines or self.lines[-1] == "" \
                or self.lines[-1].endswith("{"):
            return
        if line - self.last_line > 1:
            self.lines.append("")

    def wrapped(self, stmt: ast.Stmt, indent: str) -> list[str]:
        """A simple statement as lines within `MAX_LINE` columns where it can be broken."""
        split = _split(stmt)
        if isinstance(stmt, ast.InputDecl) and stmt.pyramid:
            grids = [(" x ".join(format_expr(d) for d in g), None) for g in stmt.pyramid]
            return _wrap_items(f"{indent}input {stmt.name}: pyramid ", "[", grids, "]", MAX_LINE)
        if split is None:
            return [indent + self.simple(stmt)]
        return _wrap_expr(split[1], indent + split[0], "", MAX_LINE)

    def simple(self, stmt: ast.Stmt) -> str:
        if isinstance(stmt, ast.Assign):
            return f"{stmt.target} = {format_expr(stmt.value)}"
        if isinstance(stmt, ast.SliceAssign):
            return f"{stmt.target}[{format_expr(stmt.index)}] = {format_expr(stmt.value)}"
        if isinstance(stmt, ast.InputDecl) and stmt.pyramid:
            grids = ", ".join(" x ".join(format_expr(d) for d in g) for g in stmt.pyramid)
            return f"input {stmt.name}: pyramid [{grids}]"
        if isinstance(stmt, ast.InputDecl):
            return f"input {stmt.name}: " + " x ".join(format_expr(d) for d in stmt.dims)
        if isinstance(stmt, ast.OutputDecl):
            return f"output {stmt.name} = {format_expr(stmt.value)}"
        if isinstance(stmt, ast.Return):
            return f"return {format_expr(stmt.value)}"
        if isinstance(stmt, ast.Default):
            return f"default {stmt.op}.{stmt.arg} = {format_expr(stmt.value)}"
        raise TypeError(stmt)  # pragma: no cover

    def body(self, header: str, start: int, body: tuple[ast.Stmt, ...], end, indent: str,
             *, lead: str | None = None, one_line: bool = True,
             wrap: Callable[[str, str], list[str]] | None = None) -> None:
        """`header { body }` from source line `start` to the brace at `end`; `lead` replaces
        the indentation before the header (`} else ` continues the previous line); `wrap`
        breaks a header too long for one line: `wrap(lead, " {")` gives its lines."""
        stop = end.line
        lead = indent if lead is None else lead
        if (one_line and len(body) == 1
                and not isinstance(body[0], (ast.Repeat, ast.Section, ast.If))
                and not self.has_comments(start, stop - 1)
                and not any(c.line == stop for c in self.own_line)):
            one = f"{lead}{header} {{ {self.simple(body[0])} }}"
            if len(one) <= MAX_LINE:
                self.lines.append(one + self.take_trailing(start, stop))
                self.last_line = stop
                return
        shares_line = bool(body) and body[0].span.line == start
        # the header may span lines (`repeat n\n{  # c`): its comments end at the first statement
        header_end = max(start, body[0].span.line - 1 if body else stop - 1)
        lines = [f"{lead}{header} {{"]
        if len(lines[0]) > MAX_LINE and wrap is not None:
            lines = wrap(lead, " {")
        lines[-1] += "" if shares_line else self.take_trailing(start, header_end)
        self.lines.extend(lines)
        self.last_line = start
        inner = indent + INDENT
        for stmt in body:
            self.statement(stmt, inner)
        self.flush_before(stop, inner)
        self.lines.append(f"{indent}}}" + self.take_trailing(stop, stop))
        self.last_line = stop

    def if_stmt(self, stmt: ast.If, indent: str, lead: str | None = None) -> None:
        """`if c { ... } else if d { ... } else { ... }`, each `else` after its `}`."""
        header = f"if {format_expr(stmt.cond)}"
        self.body(header, stmt.span.line, stmt.body, stmt.end, indent, lead=lead,
                  one_line=not stmt.orelse,
                  wrap=lambda lead, end: _wrap_expr(stmt.cond, lead + "if ", end, MAX_LINE))
        if not stmt.orelse:
            return
        closing = self.lines.pop()  # `}` and maybe a comment: `else` continues the line
        comment = closing[len(indent) + 1:].strip()
        line = stmt.orelse[0].span.line if stmt.chained else stmt.end.line
        if comment:  # it goes after the `{` that now ends the line
            self.trailing.setdefault(line, []).append(ast.Comment(line, 0, comment))
        if stmt.chained:
            self.if_stmt(stmt.orelse[0], indent, lead=f"{indent}}} else ")
        else:
            self.body("else", stmt.end.line, stmt.orelse, stmt.else_end, indent,
                      lead=f"{indent}}} ", one_line=False)

    def statement(self, stmt: ast.Stmt, indent: str) -> None:
        self.flush_before(stmt.span.line, indent)
        self.gap(stmt.span.line)
        if isinstance(stmt, ast.Repeat):
            var = f" as {stmt.var}" if stmt.var else ""
            header = f"repeat {format_expr(stmt.count)}{var}"
            self.body(header, stmt.span.line, stmt.body, stmt.end, indent,
                      wrap=lambda lead, end: _wrap_expr(stmt.count, lead + "repeat ", var + end,
                                                        MAX_LINE))
        elif isinstance(stmt, ast.Section):
            self.body(f"section {stmt.name}", stmt.span.line, stmt.body, stmt.end, indent)
        elif isinstance(stmt, ast.If):
            self.if_stmt(stmt, indent)
        else:
            lines = self.wrapped(stmt, indent)
            lines[-1] += self.take_trailing(stmt.span.line, stmt.span.end_line)
            self.lines.extend(lines)
            self.last_line = stmt.span.end_line

    def item(self, item) -> None:
        self.flush_before(item.span.line, "")
        self.gap(item.span.line)
        if isinstance(item, ast.Use):
            self.lines.append(f'use "{item.path}"' + self.take_trailing(item.span.line,
                                                                       item.span.end_line))
            self.last_line = item.span.end_line
        else:
            kind = "block" if isinstance(item, ast.BlockDef) else "network"
            items = [(p.name, None) if p.default is None else (f"{p.name} = ", p.default)
                     for p in item.params]
            self.body(f"{kind} {item.name}({_params(item.params)})", item.span.line, item.body,
                      item.end, "",
                      wrap=lambda lead, end: _wrap_items(f"{lead}{kind} {item.name}", "(", items,
                                                         ")" + end, MAX_LINE))

    def run(self) -> str:
        for item in self.module.items:
            self.item(item)
        self.flush_before(10**9, "")
        for line in sorted(self.trailing):  # comments the walk could not place
            self.lines.extend(c.text.rstrip() for c in self.trailing[line])
        while self.lines and self.lines[0] == "":
            self.lines.pop(0)
        return "\n".join(self.lines) + "\n" if self.lines else ""


def _split(stmt: ast.Stmt) -> tuple[str, ast.Expr] | None:
    """A simple statement as (the text before its expression, the expression)."""
    if isinstance(stmt, ast.Assign):
        return f"{stmt.target} = ", stmt.value
    if isinstance(stmt, ast.SliceAssign):
        return f"{stmt.target}[{format_expr(stmt.index)}] = ", stmt.value
    if isinstance(stmt, ast.OutputDecl):
        return f"output {stmt.name} = ", stmt.value
    if isinstance(stmt, ast.Return):
        return "return ", stmt.value
    if isinstance(stmt, ast.Default):
        return f"default {stmt.op}.{stmt.arg} = ", stmt.value
    return None


def format_module(module: ast.Module) -> str:
    """Canonical text of a parsed module (its `text` and comments are used for comments)."""
    return _Printer(module).run()


def format_source(text: str, file: str = "<string>") -> str:
    """Parse `text` and return its canonical formatting; raises `MgSyntaxError` if invalid."""
    return format_module(parse_text(text, file))
