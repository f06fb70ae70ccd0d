"""Printing diagnostics and results: colour on a terminal only, never inside exception text."""

from __future__ import annotations

import os
import sys

from mgdsl.cli.cmdline import CommandLine
from mgdsl.errors import MgError, flatten_errors, format_diagnostic

_RED, _BOLD, _RESET = "\033[31m", "\033[1m", "\033[0m"


def use_colour(stream=None) -> bool:
    """True when `stream` (stderr by default) is a terminal and NO_COLOR is unset."""
    stream = stream or sys.stderr
    return hasattr(stream, "isatty") and stream.isatty() and "NO_COLOR" not in os.environ


def print_error(error: MgError, stream=None, command_line: CommandLine | None = None) -> int:
    """Print every diagnostic in `error` to stderr; returns how many were printed.

    With `command_line`, errors about an argument point at it there (`CommandLine.repoint`),
    and one such error found in several files is printed once.
    """
    stream = stream or sys.stderr
    errors = flatten_errors(error)
    if command_line is not None:
        errors = list({_identity(e): e for e in map(command_line.repoint, errors)}.values())
    colour = use_colour(stream)
    for e in errors:
        text = format_diagnostic(e)
        if colour:
            head, _, rest = text.partition("\n")
            text = head.replace(f"{e.kind}[", f"{_BOLD}{_RED}{e.kind}[", 1).replace(
                "]:", f"]{_RESET}{_BOLD}:", 1
            ) + _RESET + ("\n" + rest if rest else "")
        print(text, file=stream)
    return len(errors)


def _identity(error: MgError) -> tuple:
    """What makes two diagnostics the same for a reader: code, place and message."""
    return (error.code, str(error.span), error.message)
