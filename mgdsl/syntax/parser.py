"""Text -> AST: the Lark parser (built once, LALR), syntax-error translation, file reading.

Syntax errors are matched against `SYNTAX_ERRORS`, a table of bad examples (as lark's
own grammar loader does), so that the message speaks of what a person typed rather than
of parser states and terminal names. The table doubles as a test (tests/syntax/test_parser.py).
"""

from __future__ import annotations

import codecs
import errno
import functools
import os
import re
import stat
import threading
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from mgdsl.errors import MgFileError, MgLimitError, MgSyntaxError, SourceFile, Span
from mgdsl.limits import LIMITS
from mgdsl.syntax import ast

__all__ = ["parse_text", "parse_file", "read_source", "symlink_loop", "SYNTAX_ERRORS", "KEYWORDS"]

KEYWORDS = ("use", "block", "network", "repeat", "section", "input", "output", "return", "default",
            "if", "else", "and", "or", "not")


# comments are collected by a lexer callback during the one parse (per thread)
_COMMENTS = threading.local()


def _collect_comment(token: Token) -> Token:
    bucket = getattr(_COMMENTS, "items", None)
    if bucket is not None:
        bucket.append(token)
    return token


@functools.lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files("mgdsl.syntax").joinpath("mg.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=True, lexer_callbacks={"COMMENT": _collect_comment})


# --------------------------------------------------------------------------- tree -> AST


def _span(src: SourceFile, meta_or_token) -> Span:
    m = meta_or_token
    return Span(src.path, m.line, m.column, m.end_line, m.end_column, src)


class _ToAst:
    """Structural only: every method builds a node and nothing can fail here.

    A plain bottom-up walk calling `self.<rule>(meta, children)`: Lark's `Transformer`
    with `v_args` builds a wrapper object per node visited, which cost more than the walk.
    The tree is at most `LIMITS.max_nesting` deep (checked first), so recursion is safe.
    """

    def __init__(self, src: SourceFile) -> None:
        self.src = src

    def transform(self, node):
        if not isinstance(node, Tree):
            return node  # a Token, or None for an absent optional part
        children = [self.transform(child) for child in node.children]
        return getattr(self, node.data)(node.meta, children)

    def _s(self, meta) -> Span:
        return _span(self.src, meta)

    def start(self, meta, items):
        return tuple(items)

    def use(self, meta, c):
        return ast.Use(self._s(meta), c[0].value[1:-1])

    def params(self, meta, c):
        return tuple(p for p in c if p is not None)

    def param(self, meta, c):
        return ast.Param(self._s(meta), str(c[0]), c[1])

    def body(self, meta, c):
        return (tuple(c), Span(self.src.path, meta.end_line, meta.end_column - 1,
                               meta.end_line, meta.end_column, self.src))

    def block_def(self, meta, c):
        body, end = c[2]
        return ast.BlockDef(self._s(meta), str(c[0]), c[1] or (), body, end)

    def network_def(self, meta, c):
        body, end = c[2]
        return ast.NetworkDef(self._s(meta), str(c[0]), c[1] or (), body, end)

    def target(self, meta, c):
        return c[0]

    def assign(self, meta, c):
        return ast.Assign(self._s(meta), str(c[0]), c[1])

    def slice_assign(self, meta, c):
        return ast.SliceAssign(self._s(meta), str(c[0]), c[1], c[2])

    def repeat(self, meta, c):
        body, end = c[2]
        return ast.Repeat(self._s(meta), c[0], str(c[1]) if c[1] is not None else None, body, end)

    def if_stmt(self, meta, c):
        body, end = c[1]
        if len(c) == 2:
            return ast.If(self._s(meta), c[0], body, (), False, end)
        other = c[2]
        if isinstance(other, ast.If):
            return ast.If(self._s(meta), c[0], body, (other,), True, end, other.span)
        orelse, else_end = other
        return ast.If(self._s(meta), c[0], body, orelse, False, end, else_end)

    def section(self, meta, c):
        body, end = c[1]
        return ast.Section(self._s(meta), str(c[0]), body, end)

    def input_decl(self, meta, c):
        return ast.InputDecl(self._s(meta), str(c[0]), (c[1], c[2], c[3]))

    def pyramid_input(self, meta, c):
        grids = tuple(g for g in c[1:] if g is not None)
        return ast.InputDecl(self._s(meta), str(c[0]), grids[0], grids)

    def grid_size(self, meta, c):
        return (c[0], c[1], c[2])

    def output_decl(self, meta, c):
        return ast.OutputDecl(self._s(meta), str(c[0]), c[1])

    def return_stmt(self, meta, c):
        return ast.Return(self._s(meta), c[0])

    def default_stmt(self, meta, c):
        return ast.Default(self._s(meta), str(c[0]), str(c[1]), c[2])

    def _bin(op):  # noqa: N805 - a method factory
        def build(self, meta, c):
            return ast.BinOp(self._s(meta), op, c[0], c[1])

        return build

    add, sub, mul, div, floordiv = _bin("+"), _bin("-"), _bin("*"), _bin("/"), _bin("//")
    pow, and_, or_ = _bin("**"), _bin("and"), _bin("or")

    def compare(self, meta, c):
        return ast.BinOp(self._s(meta), str(c[1]), c[0], c[2])

    def not_(self, meta, c):
        return ast.Not(self._s(meta), c[0])

    def neg(self, meta, c):
        return ast.Neg(self._s(meta), c[0])

    def index(self, meta, c):
        return ast.Index(self._s(meta), c[0], c[1])

    def at(self, meta, c):
        return c[0]

    def slice(self, meta, c):
        return ast.Slice(self._s(meta), c[0], c[1])

    def call(self, meta, c):
        name, args = c[0], c[1] or ()
        positional = tuple(a for a in args if not isinstance(a, ast.Keyword))
        keywords = tuple(a for a in args if isinstance(a, ast.Keyword))
        return ast.Call(self._s(meta), str(name), _span(self.src, name), positional, keywords)

    def args(self, meta, c):
        return tuple(a for a in c if a is not None)

    def kwarg(self, meta, c):
        return ast.Keyword(self._s(meta), str(c[0]), c[1])

    def number(self, meta, c):
        text = str(c[0])
        if any(ch in text for ch in ".eE"):
            return ast.Num(self._s(meta), float(text), text)
        if len(text) > 100:  # int() refuses > 4300 digits; anything past 2^62 is useless
            raise MgLimitError(f"a number literal of {len(text):,} digits", self._s(meta),
                               code="E509", hint="integers are limited to 2^62")
        return ast.Num(self._s(meta), int(text), text)

    def string(self, meta, c):
        return ast.Str(self._s(meta), str(c[0])[1:-1])

    def name(self, meta, c):
        return ast.Name(self._s(meta), str(c[0]))

    def list(self, meta, c):
        return ast.ListExpr(self._s(meta), tuple(x for x in c if x is not None))


# ----------------------------------------------------------------------- syntax errors

# (message, hint, bad examples). The first example whose parser state matches wins.
SYNTAX_ERRORS: list[tuple[str, str, list[str]]] = [
    ("missing `=` in an assignment", "write `name = expression`",
     ["network N() { p relu(p) }", "network N() { p }"]),
    ("a statement cannot start here", "statements are assignments, `input`, `output`, "
     "`repeat`, `section`, `return` or `default`",
     ["network N() { 3 }", "network N() { (p) }", "network N() { = 3 }", "network N() { + }"]),
    ("missing `{` to open the body", "a body is written `{ ... }`",
     ["network N() p = 1 }", "block b(p) return p }", "network N() { repeat 2 p = 1 }"]),
    ("unclosed `{`: the file ends inside a body", "add the missing `}`",
     ["network N() { p = 1", "network N() {", "block b(p) { return p"]),
    ("unclosed `(`", "add the missing `)`",
     ["network N() { p = f(1, 2 }", "network N() { p = (1 + 2 }", "network N(a = 1 { }"]),
    ("unclosed `[`", "add the missing `]`",
     ["network N() { p = [1, 2 }", "network N() { q = p[1: }"]),
    ("an expression is missing", "an operand is missing before this point",
     ["network N() { p = }", "network N() { p = 1 + }", "network N() { p = f(1, ) + }",
      "network N() { p = * 2 }", "network N() { p = f(,) }"]),
    ("two values in a row", "separate arguments and list items with `,`; "
     "write operators between operands",
     ["network N() { p = f(1 2) }", "network N() { p = [1 2] }"]),
    ("`input` needs a shape `C x H x W`", "for example `input image: 3 x 32 x 32`",
     ["network N() { input image 3 x 32 x 32 }", "network N() { input image: 3 x 32 }",
      "network N() { input image: 3, 32, 32 }", "network N() { input: 3 x 3 x 3 }"]),
    ("`output` needs a name and a value", "for example `output logits = linear(v, 10)`",
     ["network N() { output y p }", "network N() { output y }"]),
    ("only blocks, networks and `use` may stand at the top level",
     "put statements inside a `network NAME() { ... }`",
     ["p = 1", "repeat 2 { }", "input x: 1 x 2 x 2", "3"]),
    ("a block or network needs a parameter list", "write `block name(p, ...) { ... }`",
     ["block b { }", "network N { }"]),
    ("`use` needs a quoted file name", "for example `use \"blocks.mg\"`",
     ["use blocks", "use 3"]),
    ("a parameter name is expected", "parameters are `name` or `name = default`",
     ["block b(1) { }", "network N(a = 1, 2) { }"]),
    ("comparisons do not chain", "write `a < b and b < c`",
     ["network N() { x = 1 < 2 < 3 }", "network N() { x = 1 == 2 != 3 }",
      "network N() { y = 2  x = 1 < 2 < 3 }", "network N() { y = 2  z = 1 < 2 < 3 }"]),
    ("`else` must follow the `}` of an `if`", "write `if cond { ... } else { ... }`",
     ["network N() { else { } }", "network N() { x = 1 else { } }"]),
    ("`default` sets an op argument: `default op.arg = value`", "for example `default bn.eps = 1e-3`",
     ["network N() { default bn = 1 }", "network N() { default bn.eps 1 }"]),
]

_CHAINED = next(i for i, (m, _, _) in enumerate(SYNTAX_ERRORS) if m.startswith("comparisons"))

_TERMINAL_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a quoted string", "$END": "end of file",
}


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    try:
        term = _lark().get_terminal(name)
    except KeyError:
        return name.lower()
    if term.pattern.type == "str":
        return f"`{term.pattern.value}`"
    return name.lower()


def _acceptable(exc: UnexpectedInput) -> set[str]:
    """The terminals that could legally come where the parser stopped.

    LALR's own `expected` set includes look-aheads that merged states allow but no
    continuation accepts; the interactive parser tries each terminal for real.
    """
    parser = getattr(exc, "interactive_parser", None)
    if parser is not None:
        try:
            return set(parser.accepts()) - {"$END"}
        except Exception:  # noqa: BLE001 - fall back to lark's own set
            pass
    return set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())


def _expected(exc: UnexpectedInput) -> str:
    words = sorted({_describe_terminal(n) for n in _acceptable(exc)})
    if not words:
        return ""
    return "expected " + ", ".join(words)


_GLUED_X = re.compile(r"x\d+(x\d+)*")


def _token_text(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    return f"`{tok.value}`"


def _translate(exc: UnexpectedInput, src: SourceFile) -> MgSyntaxError:
    text, file = src.text, src.path
    line = getattr(exc, "line", 1) or 1
    col = getattr(exc, "column", 1) or 1
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if 0 <= exc.pos_in_stream < len(text) else "?"
        hint = None
        if char == "'":
            hint = "strings use double quotes"
        elif char in "&|!":
            hint = "logic is written `and`, `or`, `not`; inequality is `!=`"
        elif char in "%^":
            hint = "mgdsl arithmetic has + - * / // ** only"
        return MgSyntaxError(f"unexpected character {char!r}", Span.point(file, line, col, src),
                             hint=hint, code="E101")
    tok = getattr(exc, "token", None)
    if isinstance(exc, UnexpectedEOF) or (tok is not None and tok.type == "$END"):
        lines = text.split("\n")  # as lark counts lines: `\r` and friends do not end one
        if len(lines) > 1 and not lines[-1]:
            lines.pop()
        line, col = len(lines), len(lines[-1]) + 1
        span = Span.point(file, line, col, src)
        found = "end of file"
    else:
        span = Span(file, tok.line, tok.column, tok.end_line or tok.line,
                    tok.end_column or tok.column + 1, src)
        found = _token_text(tok)
    if found == "end of file" and "`}`" in _expected(exc):
        return MgSyntaxError("unclosed `{`: the file ends inside a body", span,
                             hint="add the missing `}`", notes=[_expected(exc)], code="E102")
    if tok is not None and tok.type == "NAME" and _GLUED_X.fullmatch(tok.value) and \
            re.search(r"\d\s*$", text[:tok.start_pos]):
        number = re.search(r"(\d+)\s*$", text[:tok.start_pos]).group(1)
        glued = number + tok.value
        spaced = " x ".join([number, *tok.value[1:].split("x")])
        return MgSyntaxError(f"`{glued}` is read as the number {number} followed by the name "
                             f"`{tok.value}`", span, code="E102",
                             hint=f"write a space on each side of every `x`: `{spaced}`")
    try:
        label = exc.match_examples(_lark().parse,
                                   {i: ex for i, (_, _, ex) in enumerate(SYNTAX_ERRORS)},
                                   use_accepts=True)
    except TypeError:  # lark (1.2, 1.3) formats a ParserState with %d in a debug message
        label = None
    history = [t for t in getattr(exc, "token_history", None) or [] if t is not None]
    if tok is not None and tok.value == "=" and history and history[-1].value in KEYWORDS:
        word = history[-1].value
        return MgSyntaxError(f"`{word}` is a keyword and cannot be assigned to",
                             _span(src, history[-1]), hint=f"rename it, for example `{word}_`",
                             code="E103")
    if tok is not None and tok.type != "$END" and tok.value in KEYWORDS and \
            "NAME" in (getattr(exc, "expected", None) or ()):
        return MgSyntaxError(f"`{tok.value}` is a keyword and cannot be used as a name here",
                             span, hint=f"rename it, for example `{tok.value}_`", code="E103")
    expected = getattr(exc, "expected", None) or ()
    if tok is not None and tok.type == "COMPARE" and "AND" in expected:
        label = _CHAINED  # after a whole comparison, where any state may stand
    if label is not None:
        message, hint, _ = SYNTAX_ERRORS[label]
        return MgSyntaxError(f"{message} (found {found})", span, hint=hint,
                             notes=[_expected(exc)] if _expected(exc) else [], code="E102")
    return MgSyntaxError(f"unexpected {found}", span, hint=_expected(exc) or None, code="E100")


# ------------------------------------------------------------------------------- parsing


# the rules that only group statements; every other rule is a level of an expression
_STATEMENT_RULES = frozenset({
    "start", "use", "block_def", "network_def", "params", "param", "body", "assign",
    "slice_assign", "target", "repeat", "section", "input_decl", "pyramid_input", "grid_size",
    "output_decl",
    "return_stmt", "default_stmt", "if_stmt",
})


def _limit_error(what: str, src: SourceFile, line: int, col: int, end_line: int,
                 end_col: int) -> MgLimitError:
    limit = LIMITS.max_nesting
    return MgLimitError(f"{what} nested more than {limit} levels deep",
                        Span(src.path, line, col, end_line, end_col, src),
                        hint="split it with intermediate variables or blocks, or raise "
                             "mgdsl.limits.LIMITS.max_nesting", code="E501")


def _check_brackets(src: SourceFile) -> None:
    """Reject `(` and `[` nested deeper than the limit; `((x))` leaves no trace in the tree.

    Bodies (`{ ... }`) are counted by `_check_depth`, which names them.
    """
    limit, depth, line, col = LIMITS.max_nesting, 0, 1, 0
    in_string = in_comment = False
    for ch in src.text:
        col += 1
        if ch == "\n":
            line, col, in_string, in_comment = line + 1, 0, False, False
        elif in_comment:
            continue
        elif ch == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif ch == "#":
            in_comment = True
        elif ch in "([":
            depth += 1
            if depth > limit:
                raise _limit_error("brackets", src, line, col, line, col + 1)
        elif ch in ")]":
            depth = max(0, depth - 1)


def _check_depth(tree: Tree, src: SourceFile) -> None:
    """Reject absurdly nested expressions and bodies before any recursive pass runs.

    Expressions and statement bodies (`repeat`, `section`) are counted separately, so the
    error says which of the two is too deep.
    """
    limit = LIMITS.max_nesting
    stack = [(tree, 0, 0)]
    while stack:
        node, exprs, bodies = stack.pop()
        if node.data == "body":
            bodies += 1
        elif node.data not in _STATEMENT_RULES:
            exprs += 1
        if exprs > limit or bodies > limit:
            meta = node.meta
            what = "expressions" if exprs > limit else "`repeat` and `section` bodies"
            raise _limit_error(what, src, getattr(meta, "line", 1), getattr(meta, "column", 1),
                               getattr(meta, "end_line", 1), getattr(meta, "end_column", 2))
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, exprs, bodies))


_LONE_CR = re.compile(r"\r(?!\n)")


def parse_text(text: str, file: str = "<string>") -> ast.Module:
    """Parse `.mg` source text into an `ast.Module`; raises `MgSyntaxError` on bad input.

    A leading UTF-8 byte-order mark is dropped, and a lone carriage return (the line
    ending of classic Mac OS files) ends a line as a line feed does (CR LF already reads
    as one ending); every span of the result holds the `SourceFile` of this text, so
    lines count alike.

    >>> m = parse_text('network N() { input x: 1 x 8 x 8  output y = relu(x) }')
    >>> m.items[0].name
    'N'
    """
    text = _LONE_CR.sub("\n", text.removeprefix("\ufeff"))
    src = SourceFile(file, text)
    if len(text) > LIMITS.max_file_chars:
        raise MgLimitError(f"file is {len(text):,} characters long (limit "
                           f"{LIMITS.max_file_chars:,})", Span.point(file),
                           hint="raise mgdsl.limits.LIMITS.max_file_chars", code="E502")
    _check_brackets(src)
    _COMMENTS.items = tokens = []
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        raise _translate(exc, src) from None
    finally:
        _COMMENTS.items = None
    comments = [ast.Comment(tok.line, tok.column, str(tok)) for tok in tokens]
    _check_depth(tree, src)
    items = _ToAst(src).transform(tree)  # may raise MgLimitError (huge number literals)
    return ast.Module(file, items, tuple(comments), text, src)


_KINDS = [(stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket")]


def _read_bytes(path: str | Path, span: Span | None) -> bytes:
    """The bytes of the regular file `path`, never more than the size limit allows.

    Opened non-blocking (a FIFO cannot hang the open), checked with `fstat` to be a regular
    file before anything is read, and read to at most one byte past the limit.
    """
    limit = LIMITS.max_file_chars * 4  # a character takes at most 4 bytes of UTF-8
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        # `span` is set for a `use`, whose path is relative to the file that uses it
        hint = ("check the path; `use` paths are relative to the including file" if span
                else f"check the path (relative to {Path.cwd()})")
        raise MgFileError(f"no such file: `{path}`", span, code="E601", hint=hint) from None
    except IsADirectoryError:
        raise MgFileError(f"`{path}` is a directory, not a .mg file", span, code="E621") from None
    except PermissionError:
        raise MgFileError(f"cannot read `{path}`: permission denied", span, code="E603",
                          hint="check the file's permissions (chmod a+r)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise symlink_loop(path, span) from None
        raise MgFileError(f"cannot read `{path}`: {exc.strerror or exc}", span, code="E603") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise MgFileError(f"`{path}` is {kind}, not a .mg file", span, code="E621",
                              hint="only regular files are read as .mg sources")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise MgFileError(f"cannot read `{path}`: {exc.strerror or exc}", span, code="E603") from None
    finally:
        os.close(fd)
    if size > limit:
        raise MgLimitError(f"`{path}` is more than {limit:,} bytes (limit "
                           f"{LIMITS.max_file_chars:,} characters)", Span.point(str(path)),
                           code="E502", hint="raise mgdsl.limits.LIMITS.max_file_chars",
                           notes=[f"used at {span}"] if span else ())
    return b"".join(chunks)


def symlink_loop(path: str | Path, span: Span | None) -> MgFileError:
    """E620: `path` is a symbolic link that leads back to itself (directly or through
    others), so there is no file to read."""
    return MgFileError(f"`{path}` is a symbolic link that loops back on itself: there is no "
                       "file to read", span, code="E620",
                       hint=f"point the link at a real file (`ls -l {path}` shows its target)")


def _bad_byte(path: str, data: bytes, pos: int, message: str, span: Span | None,
              hint: str) -> MgFileError:
    """An E604 pointing at the line and column of byte `pos` of `data`."""
    line = data.count(b"\n", 0, pos) + 1
    start = data.rfind(b"\n", 0, pos) + 1
    col = len(data[start:pos].decode("utf-8", "replace")) + 1
    shown = SourceFile(path, data.decode("utf-8", "replace").replace("\x00", "\ufffd"))
    return MgFileError(message, Span.point(path, line, col, shown), code="E604", hint=hint,
                       notes=[f"used at {span}"] if span else ())


def read_source(path: str | Path, *, span: Span | None = None) -> str:
    """Read a `.mg` file as UTF-8 text, turning every OS/decoding problem into `MgFileError`.

    Only regular files are read (E621 for a directory, device, FIFO or socket), never more
    than the size limit (E502). A NUL byte or invalid UTF-8 is an E604 at its line and
    column; a UTF-8 byte-order mark is dropped. `span` is the `use` that asked for the file.
    """
    data = _read_bytes(path, span).removeprefix(codecs.BOM_UTF8)
    nul = data.find(b"\x00")
    try:
        text = data.decode("utf-8")
        bad = -1
    except UnicodeDecodeError as exc:
        text, bad = "", exc.start
    if nul >= 0 and (bad < 0 or nul < bad):
        raise _bad_byte(str(path), data, nul, f"`{path}` holds a NUL byte: it is a binary "
                        "file, not .mg text", span, "a .mg file is UTF-8 text")
    if bad >= 0:
        raise _bad_byte(str(path), data, bad, f"byte 0x{data[bad]:02x} of `{path}` is not "
                        "valid UTF-8", span, "save the file as UTF-8")
    return text


def parse_file(path: str | Path, *, span: Span | None = None) -> ast.Module:
    """Read and parse the `.mg` file at `path`."""
    return parse_text(read_source(path, span=span), str(path))
