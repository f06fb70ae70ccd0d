"""The `mgdsl` command: argument parsing and dispatch to one module per verb.

Each verb lives in `mgdsl/cli/<verb>.py` with `register(subparsers)` (adds its parser and
sets `func`) and returns an exit code: 0 ok, 1 user error, 2 usage error, 3 internal
error. Results go to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from mgdsl.cli.cmdline import CommandLine
from mgdsl.cli.stdout import guarded_stdout
from mgdsl.errors import MgError

# verb modules, in the order `mgdsl --help` lists them
VERBS = ["check", "stats", "dump", "fmt", "render", "compile", "zoo", "ops", "train", "eval",
         "export", "serve", "explain", "lsp"]


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every verb of `VERBS`."""
    parser = argparse.ArgumentParser(
        prog="mgdsl",
        description="Declarative compiler for multigrid neural networks (Ke, Maire, Yu, CVPR 2017).",
    )
    parser.add_argument("--version", action="version", version=f"mgdsl {_version()}")
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND")
    for verb in VERBS:  # `ops` registers `blocks` too
        importlib.import_module(f"mgdsl.cli.{verb}").register(sub)
    return parser


def _version() -> str:
    from mgdsl import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `mgdsl` command; returns the process exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    command_line = CommandLine(argv)
    args.command_line = command_line
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        with guarded_stdout():
            return int(args.func(args) or 0)
    except MgError as exc:
        from mgdsl.cli.output import print_error

        print_error(exc, command_line=command_line)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception:  # noqa: BLE001 - the last line of defence
        traceback.print_exc()
        print("mgdsl: internal error — please report it with the traceback above", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
