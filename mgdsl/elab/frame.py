"""The elaborator's scopes (`Frame`) and the signals its statements raise.

A `Frame` is one dynamic scope: the network, a section or a block call. Variables are
lexical (a section shares its network's variables); IR names follow the dynamic scopes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mgdsl.errors import Span

__all__ = ["Frame"]


class _Skip(Exception):
    """A poisoned value was read: skip the statement without a new diagnostic."""


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


@dataclass
class Frame:
    """One dynamic scope: a network, a section or a block call."""

    vars: dict[str, Any]
    path: tuple[str, ...]
    section: str | None
    parent: Frame | None
    in_std: bool = False
    call_span: Span | None = None
    block: str | None = None
    counters: dict[str, int] = field(default_factory=dict)
    defaults: dict[tuple[str, str], Any] = field(default_factory=dict)
    default_spans: dict[tuple[str, str], Span] = field(default_factory=dict)
    sections: set[str] = field(default_factory=set)

    def next_segment(self, name: str) -> str:
        """`name0`, `name1`, ... for successive uses of `name` in this scope."""
        k = self.counters.get(name, 0)
        self.counters[name] = k + 1
        return f"{name}{k}"

    def default(self, op: str, arg: str) -> Any:
        """The innermost `default op.arg = v` in force, or `_MISSING`."""
        return self._innermost("defaults", (op, arg))

    def default_span(self, op: str, arg: str) -> Span | None:
        """The span of the `default op.arg = v` statement in force, if any."""
        span = self._innermost("default_spans", (op, arg))
        return None if span is _MISSING else span

    def _innermost(self, table: str, key: tuple[str, str]) -> Any:
        frame: Frame | None = self
        while frame is not None:
            values = getattr(frame, table)
            if key in values:
                return values[key]
            frame = frame.parent
        return _MISSING


_MISSING = object()
