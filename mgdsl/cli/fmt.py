"""`mgdsl fmt FILE...`: rewrite files in canonical form (or `--check` them)."""

from __future__ import annotations

import argparse
import sys

from mgdsl.cli.common import write_output
from mgdsl.cli.output import print_error
from mgdsl.errors import MgError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `fmt` verb."""
    p = sub.add_parser("fmt", help="format .mg files canonically (keeps comments)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 if a file is not formatted")
    p.add_argument("--stdout", action="store_true", help="print instead of rewriting")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Format each file; 1 if any failed to parse or (with --check) needs formatting."""
    from mgdsl.syntax.fmt import format_source, read_source

    status = 0
    for path in args.files:
        try:
            text = read_source(path)
            out = format_source(text, path)
        except MgError as exc:
            print_error(exc)
            status = 1
            continue
        if args.stdout:
            sys.stdout.write(out)
        elif args.check:
            if out != text:
                print(f"would reformat {path}", file=sys.stderr)
                status = 1
        elif out != text:
            try:
                write_output(path, out, what="the formatted file")
            except MgError as exc:  # the file is unchanged; go on with the others
                print_error(exc, command_line=getattr(args, "command_line", None))
                status = 1
                continue
            print(f"reformatted {path}", file=sys.stderr)
    return status
