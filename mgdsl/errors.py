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
import re
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
    "MgWarning",
    "SourceFile",
    "did_you_mean",
    "format_diagnostic",
    "shorten",
]


@dataclass(frozen=True, eq=False)
class SourceFile:
    """The text of one source file and the path it was read from; spans point into it.

    Each parse makes its own `SourceFile`, so a diagnostic quotes the text it was made
    from however many other texts were parsed since (no global registry of sources).
    """

    path: str
    text: str = field(repr=False)

    def line(self, number: int) -> str | None:
        """The 1-based line `number` of the text, or None past its end."""
        lines = self.text.split("\n")  # spans count "\n" only, like the parser
        if 1 <= number <= len(lines):
            return lines[number - 1].rstrip("\r")
        return None


@dataclass(frozen=True)
class Span:
    """A region of a source file: 1-based line and column, end exclusive.

    `source` is the `SourceFile` the span points into (None when the text is not at hand,
    for example a file that could not be read); it is left out of equality and hashing.
    """

    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    source: SourceFile | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @classmethod
    def point(cls, file: str, line: int = 1, col: int = 1,
              source: SourceFile | None = None) -> Span:
        """A one-character span at `line:col`."""
        return cls(file, line, col, line, col + 1, source)


class MgError(Exception):
    """Base of every user-facing mgdsl error.

    Attributes: `code` (stable, like ``E302``), `message` (one line), `span` (may be
    None for errors with no source position), `hint`, `notes` (extra lines, for
    example the chain of block calls that led here) and `subject`: when the mistake is in
    a value the caller passed rather than in a file, which one, as ``("network", NAME)``
    or ``("param", NAME)`` (the CLI then points at its own command line).
    """

    code = ""  # every raise names its code (or a subclass fixes one); see mgdsl.catalogue
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
        message = shorten(message)
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = shorten(hint) if hint is not None else None
        self.notes = [shorten(note) for note in notes]
        self.subject = subject
        if code is not None:
            self.code = code
        if not self.code:
            raise TypeError(f"{type(self).__name__} needs a code from mgdsl.catalogue")

    def __str__(self) -> str:
        return format_diagnostic(self)


class MgSyntaxError(MgError):
    """The text does not follow the grammar (E1xx)."""


class MgNameError(MgError):
    """An unknown or duplicated name: variable, block, op, parameter (E2xx)."""


class MgShapeError(MgError):
    """Channels or resolutions do not line up (E3xx)."""


class MgTypeError(MgError):
    """A value of the wrong kind, a bad argument, non-integer arithmetic (E4xx)."""


class MgLimitError(MgError):
    """A configured resource limit would be exceeded (E5xx)."""


class MgFileError(MgError):
    """A file that cannot be found, read or decoded, or a `use` cycle (E6xx)."""


class MgWarning(MgError):
    """A valid but suspicious program (W1xx): rendered like an error, never raised by a
    pass; `mgdsl.ir.lint` collects them into ``ir.graph["warnings"]``."""

    kind = "warning"


@dataclass
class MgErrors(MgError):
    """Several diagnostics collected by one pass, raised together at its end."""

    errors: list[MgError] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.errors:
            raise ValueError("MgErrors collects at least one error")
        first = self.errors[0]
        MgError.__init__(self, first.message, first.span, code=first.code)

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


#: the longest run of characters without a space that a message quotes whole (a value, a
#: name, a path); a longer one keeps its start and end around a count of what is left out
MAX_QUOTE = 240
#: the most characters of a source line a diagnostic shows (a window around the span)
MAX_LINE = 160
_LONG_RUN = re.compile(rf"\S{{{MAX_QUOTE + 1},}}")


def shorten(text: str) -> str:
    """`text` with every run of more than `MAX_QUOTE` non-space characters cut in the
    middle, so that a message quoting a huge value (a 150,000-character string literal)
    stays a few hundred characters long.

    >>> text = shorten("got `" + "a" * 1000 + "`")
    >>> len(text), text[160:186]
    (242, 'aaaa…[782 characters]…aaaa')
    """
    def cut(m: re.Match[str]) -> str:
        run = m.group()
        head, tail = run[:160], run[-60:]
        return f"{head}…[{len(run) - len(head) - len(tail):,} characters]…{tail}"
    return _LONG_RUN.sub(cut, text)


def _window(text: str, col: int, length: int) -> tuple[str, int, int]:
    """At most `MAX_LINE` characters of the source line `text` around the span starting at
    1-based `col` (`length` characters), with `…` where it was cut; the span's column and
    length within what is shown."""
    if len(text) <= MAX_LINE:
        return text, col, length
    start = max(0, min(col - 1 - MAX_LINE // 4, len(text) - MAX_LINE))
    end = start + MAX_LINE
    shown = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    new_col = col - start + (1 if start else 0)
    return shown, new_col, max(1, min(length, end - (col - 1)))


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean `x`?' hint for `name`, or None when nothing is close."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not matches:
        return None
    if len(matches) == 1:
        return f"did you mean `{matches[0]}`?"
    return "did you mean " + ", ".join(f"`{m}`" for m in matches[:-1]) + f" or `{matches[-1]}`?"


def format_diagnostic(error: MgError) -> str:
    """Render `error` as ``file:line:col: error[CODE]: message``, the line, a caret and a hint.

    The quoted line comes from the span's own `SourceFile`.
    """
    span = error.span
    where = f"{span}: " if span else ""
    out = [f"{where}{error.kind}[{error.code}]: {error.message}"]
    if span:
        text = span.source.line(span.line) if span.source is not None else None
        if text is not None:
            text = text.expandtabs(4) if "\t" not in text else text.replace("\t", " ")
            width = len(str(span.line))
            end = span.end_col if span.end_line == span.line else len(text) + 1
            length = max(1, min(end, len(text) + 1) - span.col)
            text, col, length = _window(text, span.col, length)
            out.append(f"{' ' * width} |")
            out.append(f"{span.line} | {text}")
            out.append(f"{' ' * width} | {' ' * (col - 1)}{'^' * length}")
    for note in error.notes:
        out.append(f"note: {note}")
    if error.hint:
        out.append(f"hint: {error.hint}")
    return "\n".join(out)
