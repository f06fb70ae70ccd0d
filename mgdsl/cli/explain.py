"""`mgdsl explain [CODE] [--markdown]`: the catalogue of diagnostic codes, like `rustc --explain`."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `explain` verb."""
    p = sub.add_parser("explain", help="explain an error or warning code (or list them all)",
                       description="Print the catalogue entry of a diagnostic code: what it "
                                   "means, a wrong example and its fix. Without a code, list "
                                   "every code with its title.")
    p.add_argument("code", nargs="?", metavar="CODE", help="a code such as E302 or W101")
    p.add_argument("--markdown", action="store_true",
                   help="print the whole catalogue as Markdown (the source of docs/errors.md)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print one entry, the list of codes, or the Markdown page."""
    from mgdsl import catalogue

    if args.markdown:
        sys.stdout.write(catalogue.markdown())
    elif args.code:
        sys.stdout.write(catalogue.explain(args.code))
    else:
        sys.stdout.write(catalogue.listing())
    return 0
