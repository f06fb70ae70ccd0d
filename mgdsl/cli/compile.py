"""`mgdsl compile FILE|NAME [-o model.py]`: write a network as standalone PyTorch source.

The file depends on torch alone; its class's `state_dict` keys equal those of
`mgdsl.to_fx` of the same network, so weights move between them. Without `-o` the
source goes to stdout.
"""

from __future__ import annotations

import argparse
import sys

from mgdsl.cli.common import add_target_args, load_ir, write_output

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `compile` verb to the top-level parser."""
    p = subparsers.add_parser(
        "compile", help="write a network as standalone PyTorch source",
        description="Compile a network to one standalone PyTorch file (an nn.Module class).",
    )
    add_target_args(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--class-name", metavar="NAME",
                   help="the class name (default: the network's name, sanitised)")
    p.add_argument("--fold-bn", action="store_true",
                   help="fold batch norms into the preceding convs (inference only)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run `mgdsl compile`; returns the exit code (errors are raised as MgError)."""
    from mgdsl.codegen.source import emit_source

    ir = load_ir(args)
    text = emit_source(ir, class_name=args.class_name, fold_bn=args.fold_bn)
    if args.output:
        write_output(args.output, text, what="the PyTorch source")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
