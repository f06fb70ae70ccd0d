"""`mgdsl check FILE...`: parse, elaborate and validate; report every problem in every file.

Warnings (W codes) are printed too but leave the exit status 0.
"""

from __future__ import annotations

import argparse
import sys

from mgdsl.cli.common import add_target_args, input_sizes
from mgdsl.cli.output import print_error
from mgdsl.cli.sets import parse_sets
from mgdsl.errors import MgError, MgErrors
from mgdsl.ir.sizes import size_text


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `check` verb."""
    p = sub.add_parser("check", help="parse and validate .mg files (exit 1 on any error)",
                       description="Parse, elaborate and validate every network of every "
                                   "file, reporting all problems at once.")
    add_target_args(p, many=True)
    p.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    p.add_argument("--input", dest="inputs", action="append", default=[], metavar="NAME=CxHxW",
                   help="check at another input size (repeatable), e.g. image=3x96x128; "
                        "stats count at the declared size")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the files; exit 0 when all are clean, 1 otherwise."""
    from mgdsl.api import check_files

    try:
        inputs = input_sizes(args.inputs)
    except MgError as exc:
        print_error(exc, command_line=args.command_line)
        return 1
    graphs, errors = check_files(args.targets, args.network, inputs=inputs, **parse_sets(args.sets))
    warnings = [w for ir in graphs for w in ir.graph["warnings"]]
    for w in warnings:
        print_error(w)
    if errors:
        count = print_error(MgErrors(errors), command_line=args.command_line)
        print(f"{count} error{'s' * (count != 1)} in {len(args.targets)} "
              f"file{'s' * (len(args.targets) != 1)}", file=sys.stderr)
        return 1
    if not args.quiet:
        for ir in graphs:
            n_out = len(ir.graph["outputs"])
            n_warn = len(ir.graph["warnings"])
            at = ", ".join(f"{k} = {size_text(ir.nodes[n].shape)}"
                           for k, n in ir.graph["inputs"].items())
            print(f"ok  {ir.graph['file']}: network {ir.graph['name']} "
                  f"({len(ir)} nodes, {n_out} output{'s' * (n_out != 1)}"
                  f"{', at ' + at if inputs else ''}"
                  f"{f', {n_warn} warning' + 's' * (n_warn != 1) if n_warn else ''})")
    return 0
