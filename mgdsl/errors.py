"""Diagnostics: source spans, the `MgError` family and their compiler-style rendering.

Every mistake a user can make raises (or is collected as) an `MgError` subclass that
carries a stable code, a one-line message, a source span, optional notes and a hint.
`format_diagnostic` renders one like a compiler does::

    net.mg:14:9: error[E302]: grid 1 is 16x16 but grid 0 pooled is 15x15
       |
    14 |     p = mgconv(p, [32, 32])
       |         ^^^^^^^^^^^^^^^^^^^
    hint: make the input size divisible by 2^(levels-1)

Colour is never part of the exception text; the CLI adds it on a terminal only.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "Span",
    "MgError",
    "MgSyntaxError",
    "MgNameError",
    "MgTypeError",
    "MgShapeError",
    "MgLimitError",
    "MgFileError",
    "MgErrors",
    "SourceRegistry",
    "SOURCES",
    "did_you_mean",
    "format_diagnostic",
]


@dataclass(frozen=True)
class Span:
    """A region of a source file: 1-based line and column, end exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @classmethod
    def point(cls, file: str, line: int = 1, col: int = 1) -> Span:
        """A one-character span at `line:col`."""
        return cls(file, line, col, line, col + 1)


class SourceRegistry:
    """Remembers the text of every file parsed, so diagnostics can quote the line."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def add(self, name: str, text: str) -> None:
        """Record `text` as the contents of source `name`."""
        self._texts[name] = text

    def line(self, name: str, line: int) -> str | None:
        """The 1-based `line` of source `name`, or None when unknown."""
        text = self._texts.get(name)
        if text is None:
            return None
        lines = text.split("\n")  # spans count "\n" only, like the parser
        if 1 <= line <= len(lines):
            return lines[line - 1].rstrip("\r")
        return None


SOURCES = SourceRegistry()


class MgError(Exception):
    """Base of every user-facing mgdsl error.

    Attributes: `code` (stable, like ``E302``), `message` (one line), `span` (may be
    None for errors with no source position), `hint`, `notes` (extra lines, for
    example the chain of block calls that led here) and `subject`: when the mistake is in
    a value the caller passed rather than in a file, which one, as ``("network", NAME)``
    or ``("param", NAME)`` (the CLI then points at its own command line).
    """

    code = "E000"
    kind = "error"

    def __init__(
        self,
        message: str,
        span: Span | None = None,
        *,
        hint: str | None = None,
        notes: Iterable[str] = (),
        code: str | None = None,
        subject: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.notes = list(notes)
        self.subject = subject
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return format_diagnostic(self)


class MgSyntaxError(MgError):
    """The text does not follow the grammar (E1xx)."""

    code = "E100"


class MgNameError(MgError):
    """An unknown or duplicated name: variable, block, op, parameter (E2xx)."""

    code = "E200"


class MgShapeError(MgError):
    """Channels or resolutions do not line up (E3xx)."""

    code = "E300"


class MgTypeError(MgError):
    """A value of the wrong kind, a bad argument, non-integer arithmetic (E4xx)."""

    code = "E400"


class MgLimitError(MgError):
    """A configured resource limit would be exceeded (E5xx)."""

    code = "E500"


class MgFileError(MgError):
    """A file that cannot be found, read or decoded, or a `use` cycle (E6xx)."""

    code = "E600"


@dataclass
class MgErrors(MgError):
    """Several diagnostics collected by one pass, raised together at its end."""

    errors: list[MgError] = field(default_factory=list)

    def __post_init__(self) -> None:
        first = self.errors[0] if self.errors else None
        MgError.__init__(
            self,
            first.message if first else "no errors",
            first.span if first else None,
            code=first.code if first else "E000",
        )

    def __str__(self) -> str:
        return "\n".join(format_diagnostic(e) for e in self.errors)


def flatten_errors(error: MgError) -> list[MgError]:
    """The individual diagnostics inside `error` (itself, or those it collects)."""
    if isinstance(error, MgErrors):
        out: list[MgError] = []
        for e in error.errors:
            out.extend(flatten_errors(e))
        return out
    return [error]


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean `x`?' hint for `name`, or None when nothing is close."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not matches:
        return None
    if len(matches) == 1:
        return f"did you mean `{matches[0]}`?"
    return "did you mean " + ", ".join(f"`{m}`" for m in matches[:-1]) + f" or `{matches[-1]}`?"


def format_diagnostic(error: MgError, sources: SourceRegistry = SOURCES) -> str:
    """Render `error` as ``file:line:col: error[CODE]: message``, the line, a caret and a hint."""
    span = error.span
    where = f"{span}: " if span else ""
    out = [f"{where}{error.kind}[{error.code}]: {error.message}"]
    if span:
        text = sources.line(span.file, span.line)
        if text is not None:
            text = text.expandtabs(4) if "\t" not in text else text.replace("\t", " ")
            width = len(str(span.line))
            end = span.end_col if span.end_line == span.line else len(text) + 1
            length = max(1, min(end, len(text) + 1) - span.col)
            out.append(f"{' ' * width} |")
            out.append(f"{span.line} | {text}")
            out.append(f"{' ' * width} | {' ' * (span.col - 1)}{'^' * length}")
    for note in error.notes:
        out.append(f"note: {note}")
    if error.hint:
        out.append(f"hint: {error.hint}")
    return "\n".join(out)
