"""The one `--set NAME=VALUE` parser of every command that takes a network.

A value is written as in a `.mg` file: an integer, a number, `true` / `false`, a list in
brackets (``[3, 4, 6, 3]``) or a string in double quotes; a bare word (``--set mode=B``) is
a string too, since shells strip quotes. Anything else (``[2, 2``, ``a-b``) is an error
that names the `--set` argument.

>>> parse_sets(["units=[2, 2, 2, 2]", "w=0.5", "bias=true", "mode=B", "x=-1e-3"])
{'units': (2, 2, 2, 2), 'w': 0.5, 'bias': True, 'mode': 'B', 'x': -0.001}
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterable
from typing import Any

from mgdsl.errors import MgTypeError

__all__ = ["add_set_argument", "parse_set_value", "parse_sets"]

_CONSTANTS = {"true": True, "false": False}


def add_set_argument(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    """Add the repeatable ``--set K=V`` option (parsed later by `parse_sets`) to `parser`."""
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="K=V",
                        help=help or "override a network parameter (repeatable), e.g. "
                        "--set n=2 or --set units=[2,2,2,2]")


def parse_set_value(text: str) -> Any:
    """The value of one ``--set``: int, float, bool, tuple (for a list) or str.

    Raises ValueError for text that is neither a value nor a bare word.
    """
    text = text.strip()
    if text.isidentifier():
        return _CONSTANTS.get(text, text)
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise ValueError(text) from exc
    return _literal(tree, text)


def _literal(node: ast.expr, text: str) -> Any:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        return tuple(_literal(item, text) for item in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, text)
        if type(value) in (int, float):
            return -value if isinstance(node.op, ast.USub) else value
    raise ValueError(text)


def parse_sets(items: Iterable[str]) -> dict[str, Any]:
    """Parse ``NAME=VALUE`` strings into network parameters.

    A malformed item raises `MgTypeError` E411 naming the ``--set`` argument (its `subject`
    lets the CLI point at it on the command line).
    """
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise MgTypeError(f"`--set {item}` is not of the form NAME=VALUE", code="E411",
                              hint="for example --set n=2", subject=("set", item))
        try:
            params[key] = parse_set_value(value)
        except ValueError:
            what = f"`{value.strip()}` is not a value" if value.strip() else "no value after `=`"
            raise MgTypeError(
                f"`--set {item}`: {what}", code="E411",
                hint="write a number, true/false, a list such as [2, 2] or a quoted string",
                subject=("set", item)) from None
    return params
