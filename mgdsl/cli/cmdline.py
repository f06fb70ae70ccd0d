"""Errors about an argument the user typed point at the command line, not at a file.

An error whose `subject` names what the caller passed (``("network", NAME)``,
``("param", NAME)``, ``("set", ITEM)``, ``("path", PATH)``) is re-pointed at that argument, quoted as the
source ``<command line>``::

    <command line>:1:29: error[E211]: no network `MGG` in architectures/mg.mg
      |
    1 | mgdsl check architectures/mg.mg --network MGG
      |                                           ^^^
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from mgdsl.errors import MgError, SourceFile, Span

__all__ = ["COMMAND_LINE", "CommandLine"]

COMMAND_LINE = "<command line>"


class CommandLine:
    """The arguments of one `mgdsl` invocation, as one quoted line of text."""

    def __init__(self, argv: Sequence[str], prog: str = "mgdsl") -> None:
        self.argv = list(argv)
        words = [prog, *(shlex.quote(a) for a in self.argv)]
        self.text = " ".join(words)
        self._cols: list[int] = []  # 1-based column of each argument
        col = len(prog) + 2
        for word in words[1:]:
            self._cols.append(col)
            col += len(word) + 1

    def _span(self, index: int, skip: int = 0) -> Span:
        """The span of argument `index`, leaving out its first `skip` characters."""
        start = self._cols[index] + skip
        end = self._cols[index] + len(shlex.quote(self.argv[index]))
        return Span(COMMAND_LINE, 1, start, 1, max(end, start + 1),
                    SourceFile(COMMAND_LINE, self.text))

    def find(self, option: str, value: str) -> Span | None:
        """The span of `value` given to `option` (``--opt value`` or ``--opt=value``)."""
        for i, arg in enumerate(self.argv):
            if arg == option and i + 1 < len(self.argv) and self.argv[i + 1] == value:
                return self._span(i + 1)
            if arg == f"{option}={value}":
                return self._span(i, len(option) + 1)
        return None

    def find_value(self, value: str) -> Span | None:
        """The span of the last argument `value` (alone or as ``--opt=value``), or None."""
        found = None
        for i, arg in enumerate(self.argv):
            if arg == value:
                found = self._span(i)
            elif arg.startswith("--") and arg.partition("=")[2] == value:
                found = self._span(i, len(arg.partition("=")[0]) + 1)
        return found

    def find_set(self, key: str) -> tuple[str, Span] | None:
        """The last ``--set KEY=...`` item and its span, or None."""
        found = None
        for i, arg in enumerate(self.argv):
            if arg == "--set" and i + 1 < len(self.argv):
                item, span = self.argv[i + 1], self._span(i + 1)
            elif arg.startswith("--set="):
                item, span = arg[len("--set="):], self._span(i, len("--set="))
            else:
                continue
            if item.partition("=")[0].strip() == key:
                found = (item, span)
        return found

    def repoint(self, error: MgError) -> MgError:
        """`error` pointing at the argument its `subject` names (itself when none fits)."""
        if error.subject is None:
            return error
        what, name = error.subject
        message = error.message
        if what == "network":
            span = self.find("--network", name)
        elif what == "set":
            span = self.find("--set", name)
        elif what == "path":
            span = self.find_value(name)
        elif what == "param" and (found := self.find_set(name)):
            item, span = found
            message = f"`--set {item}`: {message}"
        else:
            span = None
        if span is None:
            return error
        moved = type(error).__new__(type(error))  # copy.copy would re-run __init__
        moved.__dict__.update(error.__dict__)
        moved.args = error.args
        moved.span, moved.message = span, message
        return moved
