"""The abstract syntax tree of a `.mg` file: plain frozen dataclasses with spans.

The tree is structural only: it records what was written, not what it means. Meaning is
given by `mgdsl.elab.elaborate`, formatting by `mgdsl.syntax.fmt`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mgdsl.errors import SourceFile, Span


@dataclass(frozen=True)
class Node:
    """Base of every AST node; `span` points at the source text."""

    span: Span = field(compare=False, repr=False)


# ----------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Num(Node):
    """An integer or float literal; `text` keeps the spelling for the formatter."""

    value: int | float
    text: str


@dataclass(frozen=True)
class Str(Node):
    """A string literal (used by `use` and string-valued options)."""

    value: str


@dataclass(frozen=True)
class Name(Node):
    """A reference to a variable, parameter or constant."""

    id: str


@dataclass(frozen=True)
class ListExpr(Node):
    """`[a, b, c]`: per-grid values (channels, kernel sizes)."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class BinOp(Node):
    """`left op right`: arithmetic (`+ - * / // **`), a comparison (`== != < <= > >=`) or
    a boolean connective (`and`, `or`; the right side is evaluated only when needed)."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Neg(Node):
    """`-operand`."""

    operand: Expr


@dataclass(frozen=True)
class Not(Node):
    """`not operand`."""

    operand: Expr


@dataclass(frozen=True)
class Keyword(Node):
    """`name = value` inside a call's argument list."""

    name: str
    value: Expr


@dataclass(frozen=True)
class Call(Node):
    """`func(args..., key = value...)`: a primitive op, a block or a builtin function."""

    func: str
    func_span: Span = field(compare=False, repr=False)
    args: tuple[Expr, ...] = ()
    kwargs: tuple[Keyword, ...] = ()


@dataclass(frozen=True)
class Slice(Node):
    """`lo:hi` inside brackets; either bound may be None."""

    lo: Expr | None
    hi: Expr | None


@dataclass(frozen=True)
class Index(Node):
    """`value[i]` or `value[lo:hi]`."""

    value: Expr
    index: Expr | Slice


Expr = Num | Str | Name | ListExpr | BinOp | Neg | Not | Call | Index

# ------------------------------------------------------------------------------ statements


@dataclass(frozen=True)
class Assign(Node):
    """`name = value`."""

    target: str
    value: Expr


@dataclass(frozen=True)
class SliceAssign(Node):
    """`name[lo:hi] = value` (or `name[i] = value`): replace some grids of a pyramid."""

    target: str
    index: Expr | Slice
    value: Expr


@dataclass(frozen=True)
class Repeat(Node):
    """`repeat count [as var] { body }`."""

    count: Expr
    var: str | None
    body: tuple[Stmt, ...]
    end: Span = field(compare=False, repr=False)


@dataclass(frozen=True)
class If(Node):
    """`if cond { body } else { orelse }`; `chained` when the else branch was written
    `else if ...` (then `orelse` is that one `If`). `end` is the `}` closing the body
    and `else_end` the `}` closing the else branch (None without one)."""

    cond: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    chained: bool
    end: Span = field(compare=False, repr=False)
    else_end: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Section(Node):
    """`section name { body }`: names a stage (Figure 3's coloured blocks); shares variables."""

    name: str
    body: tuple[Stmt, ...]
    end: Span = field(compare=False, repr=False)


@dataclass(frozen=True)
class InputDecl(Node):
    """`input name: C x H x W`, or `input name: pyramid [C x H x W, ...]` (`pyramid` holds
    every grid's dims, finest first, and `dims` the first's; empty for a single grid)."""

    name: str
    dims: tuple[Expr, Expr, Expr]
    pyramid: tuple[tuple[Expr, Expr, Expr], ...] = ()


@dataclass(frozen=True)
class OutputDecl(Node):
    """`output name = value`."""

    name: str
    value: Expr


@dataclass(frozen=True)
class Return(Node):
    """`return value` (blocks only)."""

    value: Expr


@dataclass(frozen=True)
class Default(Node):
    """`default op.arg = value`: the default of a primitive's keyword argument in this scope."""

    op: str
    arg: str
    value: Expr


Stmt = Assign | SliceAssign | Repeat | If | Section | InputDecl | OutputDecl | Return | Default

# ----------------------------------------------------------------------------- definitions


@dataclass(frozen=True)
class Param(Node):
    """A parameter of a block or network, with an optional default expression."""

    name: str
    default: Expr | None


@dataclass(frozen=True)
class Use(Node):
    """`use "path.mg"`: include the blocks of another file."""

    path: str


@dataclass(frozen=True)
class BlockDef(Node):
    """`block name(params) { body }`: a function over pyramids."""

    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    end: Span = field(compare=False, repr=False)


@dataclass(frozen=True)
class NetworkDef(Node):
    """`network name(params) { body }`: a whole network; params are overridable."""

    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    end: Span = field(compare=False, repr=False)


@dataclass(frozen=True)
class Comment:
    """A `# ...` comment; kept aside from the tree for the formatter."""

    line: int
    col: int
    text: str


@dataclass(frozen=True)
class Module:
    """One parsed file: its items in order, and its comments."""

    file: str
    items: tuple[Use | BlockDef | NetworkDef, ...]
    comments: tuple[Comment, ...] = ()
    text: str = field(default="", compare=False, repr=False)
    source: SourceFile | None = field(default=None, compare=False, repr=False)
