"""A Pygments lexer for `.mg` files, registered as the `mg` lexer (`pygmentize -l mg`).

It follows the grammar (mgdsl/syntax/mg.lark): statement keywords are soft, so a word
is a keyword only where a statement can start with it (`input` before a name and `:`,
`repeat` not followed by `=` or `(`); the `x` of `input image: 3 x 32 x 32` is an
operator only in an `input` shape. Anything the language cannot contain is an `Error`
token, which the tests use to check the lexer against every `.mg` file in the repository.

>>> from pygments import lex
>>> [(str(t), v) for t, v in lex('input image: 3 x 8 x 8', MgLexer()) if v.strip()][:5]
[('Token.Keyword', 'input'), ('Token.Name.Variable', 'image'), ('Token.Punctuation', ':'), \
('Token.Literal.Number.Integer', '3'), ('Token.Operator.Word', 'x')]
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, include
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

__all__ = ["MgLexer"]

_NAME = r"(?!\d)\w+"
_NOT_NAME_USE = r"(?!\s*(?:=(?!=)|\())"  # a soft keyword followed by `=` or `(` is a name


class MgLexer(RegexLexer):
    """Lexer for mgdsl's `.mg` network descriptions."""

    name = "mgdsl"
    aliases = ["mg", "mgdsl"]
    filenames = ["*.mg"]
    mimetypes = ["text/x-mgdsl"]
    url = "https://github.com/mgdsl/mgdsl"

    tokens = {
        "root": [
            (r"(use)(\s+)(?=\")", bygroups(Keyword.Namespace, Whitespace)),
            (rf"(block)(\s+)({_NAME})", bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (rf"(network)(\s+)({_NAME})", bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (rf"(section)(\s+)({_NAME})(?=\s*\{{)",
             bygroups(Keyword, Whitespace, Name.Namespace)),
            (rf"(input)(\s+)({_NAME})(\s*)(:)",
             bygroups(Keyword, Whitespace, Name.Variable, Whitespace, Punctuation), "shape"),
            (rf"(output)(\s+)({_NAME})(?=\s*=)", bygroups(Keyword, Whitespace, Name.Variable)),
            (rf"(default)(\s+)({_NAME})(\s*)(\.)(\s*)({_NAME})",
             bygroups(Keyword, Whitespace, Name.Function, Whitespace, Punctuation, Whitespace,
                      Name.Attribute)),
            (rf"(as)(\s+)({_NAME})", bygroups(Keyword, Whitespace, Name.Variable)),
            (rf"\b(repeat|return|if|else)\b{_NOT_NAME_USE}", Keyword),
            include("expression"),
        ],
        "shape": [
            (r"\n", Whitespace, "#pop"),
            (r"(?=[#}])", Whitespace, "#pop"),
            (r"\bpyramid\b(?=\s*\[)", Keyword),  # `input feats: pyramid [C x H x W, ...]`
            (r"\bx\b", Operator.Word),
            include("expression"),
        ],
        "expression": [
            (r"[ \t\f\r\n]+", Whitespace),
            (r"#.*?$", Comment.Single),
            (r'"[^"\\\n]*"', String.Double),
            (r"(\d+\.\d*|\.\d+)([eE][+-]?\d+)?|\d+[eE][+-]?\d+", Number.Float),
            (r"\d+", Number.Integer),
            (r"\b(and|or|not)\b", Operator.Word),
            (r"\b(true|false|none)\b", Keyword.Constant),
            (rf"{_NAME}(?=\s*\()", Name.Function),
            (_NAME, Name),
            (r"\*\*|//|==|!=|<=|>=|[-+*/<>=]", Operator),
            (r"[()\[\]{},.:]", Punctuation),
            (r".", Error),
        ],
    }
