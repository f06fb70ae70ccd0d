"""Arguments and loading shared by the verbs that take a network (FILE or zoo NAME)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import networkx as nx

from mgdsl.atomic import write_atomic
from mgdsl.cli.sets import add_set_argument, parse_sets
from mgdsl.errors import MgError
from mgdsl.oserrors import os_errors


def add_target_args(parser: argparse.ArgumentParser, *, many: bool = False) -> None:
    """Add the positional FILE|NAME (one, or several with `many`), `--set` and `--network`."""
    if many:
        parser.add_argument("targets", nargs="+", metavar="FILE|NAME",
                            help=".mg files or zoo names (see `mgdsl zoo`)")
    else:
        parser.add_argument("target", metavar="FILE|NAME",
                            help="a .mg file or a zoo name such as MG-16 or PMG-11-seg")
    add_set_argument(parser)
    parser.add_argument("--network", default=None,
                        help="which network of the file (when it defines several)")


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def input_sizes(items: list[str]) -> dict[str, tuple[int, ...]]:
    """The `--input NAME=CxHxW` options as a dict (E325 for a malformed one)."""
    from mgdsl.ir.sizes import parse_size

    out = {}
    for item in items:
        name, eq, size = item.partition("=")
        if not eq or not name.strip():
            raise MgError(f"--input expects NAME=CxHxW, got `{item}`", code="E325",
                          hint="for example --input image=3x96x128")
        out[name.strip()] = parse_size(size)
    return out


def add_input_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """Add `--input NAME=CxHxW` (repeatable): build the network at another input size."""
    parser.add_argument("--input", dest="inputs", action="append", default=[],
                        metavar="NAME=CxHxW",
                        help=f"{what} at another input size (repeatable), e.g. "
                             f"image=3x96x128")


def load_ir(args: argparse.Namespace, target: str | None = None) -> nx.DiGraph:
    """The checked IR named by the parsed arguments (at the `--input` sizes if given)."""
    from mgdsl.api import load

    inputs = input_sizes(getattr(args, "inputs", None) or [])
    return load(target or args.target, args.network, inputs=inputs or None,
                **parse_sets(args.sets))


def write_output(path: str | os.PathLike[str],
                 data: str | bytes | Callable[[BinaryIO], None], *, what: str) -> Path:
    """Write a file the user named (`-o`, a file to reformat) atomically; an `OSError` (a
    file or folder in the way, a read-only or full disk, no permission) becomes the coded
    error of `mgdsl.oserrors` naming `what` and the path, the old file left whole."""
    with os_errors(path, action="write", what=what, given=str(path)):
        return write_atomic(path, data)


__all__ = ["add_target_args", "add_input_argument", "input_sizes", "load_ir",
           "positive_int", "non_negative_int", "write_atomic", "write_output", "MgError"]
