"""Run-time values of the `.mg` language while a network is elaborated.

Scalars are Python ints, floats, bools and strings; per-grid values are tuples of
scalars; tensors are `Pyramid`s of `Grid`s (a single grid is a one-grid pyramid, a vector
after `flatten` is a one-grid pyramid whose level is None).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Grid:
    """One tensor of the IR: the node that produces it, its level and shape; `learned`:
    a learned tensor (`param(n)`, n x 1 x 1 on no level) or a value computed from
    learned tensors alone (`relu(w)`, `sum(w)`, `w[i]`)."""

    node: int
    level: int | None
    shape: tuple[int, ...]
    learned: bool = False

    @property
    def channels(self) -> int:
        """Channel count (or length, for a vector)."""
        return self.shape[0]

    def size_text(self) -> str:
        """`HxW` for a grid, `N` for a vector."""
        return "x".join(str(s) for s in self.shape[1:]) if len(self.shape) == 3 else "vector"


@dataclass(frozen=True)
class Pyramid:
    """Grids on consecutive levels, finest first; may be empty after slicing."""

    grids: tuple[Grid, ...]

    def __len__(self) -> int:
        return len(self.grids)

    @property
    def levels(self) -> tuple[int | None, ...]:
        """The level of each grid."""
        return tuple(g.level for g in self.grids)

    def describe(self) -> str:
        """A short human description, e.g. `pyramid of 3 grids (64x32x32, ...)`."""
        shapes = ", ".join("x".join(map(str, g.shape)) for g in self.grids)
        if len(self.grids) == 1:
            return f"grid {shapes}"
        return f"pyramid of {len(self.grids)} grids ({shapes})"


class Poison:
    """The value of a variable whose definition failed; using it silently skips a statement."""

    _instance: Poison | None = None

    def __new__(cls) -> Poison:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance


POISON = Poison()


def type_name(value: object) -> str:
    """The name a user would use for the kind of `value`."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, tuple):
        return "list"
    if isinstance(value, Pyramid):
        if len(value) == 1 and value.grids[0].learned:
            return "learned tensor"
        return "grid" if len(value) == 1 else "pyramid"
    return type(value).__name__


def a_type(value: object) -> str:
    """`type_name` with its article: `an integer`, `a grid`."""
    name = type_name(value)
    return ("an " if name[0] in "aeiou" else "a ") + name
