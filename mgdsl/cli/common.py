"""Arguments and loading shared by the verbs that take a network (FILE or zoo NAME)."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

import networkx as nx

from mgdsl.elaborate import parse_override
from mgdsl.errors import MgError, MgTypeError


def add_target_args(parser: argparse.ArgumentParser, *, many: bool = False) -> None:
    """Add the positional FILE|NAME (one, or several with `many`), `--set` and `--network`."""
    if many:
        parser.add_argument("targets", nargs="+", metavar="FILE|NAME",
                            help=".mg files or zoo names (see `mgdsl zoo`)")
    else:
        parser.add_argument("target", metavar="FILE|NAME",
                            help="a .mg file or a zoo name such as MG-16 or PMG-11-seg")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="K=V", help="override a network parameter (repeatable)")
    parser.add_argument("--network", default=None,
                        help="which network of the file (when it defines several)")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The `--set k=v` pairs as a dict of parsed values."""
    out: dict[str, Any] = {}
    for item in args.overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise MgTypeError(f"--set expects K=V, got `{item}`", code="E411",
                              hint="for example --set n=2")
        out[key.strip()] = parse_override(value)
    return out


def load_ir(args: argparse.Namespace, target: str | None = None) -> nx.DiGraph:
    """The checked IR named by the parsed arguments."""
    from mgdsl.api import load

    return load(target or args.target, args.network, **overrides(args))


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename: never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
    try:
        with os.fdopen(fd, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


__all__ = ["add_target_args", "overrides", "load_ir", "write_atomic", "MgError"]
