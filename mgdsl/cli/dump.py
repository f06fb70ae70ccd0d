"""`mgdsl dump FILE|NAME`: print the IR as stable text, one node per line."""

from __future__ import annotations

import argparse

from mgdsl.cli.common import add_target_args, load_ir


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `dump` verb."""
    p = sub.add_parser("dump", help="print the graph IR, one node per line")
    add_target_args(p)
    p.add_argument("--no-spans", action="store_true", help="leave out file:line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the IR of the named network."""
    from mgdsl.ir.dump import dump

    print(dump(load_ir(args), spans=not args.no_spans), end="")
    return 0
