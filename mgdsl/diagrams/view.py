"""What a diagram shows, before layout: boxes (grids), arrows between them, and the
columns they stand in. `layers` builds a `View` from the IR, `columns` places its boxes,
`collapse` folds it, `emit` draws it. No graphviz in here."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Box", "Arrow", "Column", "View"]


@dataclass
class Box:
    """One drawn grid: `node` is the IR node that made it, `folded` the ops drawn in it."""

    id: str
    node: int
    kind: str  # input | layer | pool | op | add | output
    op: str
    row: float  # the pyramid level; between two levels for a grid on none
    shape: tuple[int, ...]
    section: str | None
    name: str
    group: tuple
    folded: list[str] = field(default_factory=list)
    args: tuple = ()  # the IR node's arguments, sorted: what makes two layers alike
    column: int = -1
    dropped: bool = False
    lane: int = 0  # which track of its row's band (`lanes`), 0 at the bottom
    off_level: bool = False  # a grid on no pyramid level (its row is a fraction)
    shared: bool = False  # its layer's weights are shared with other boxes (`shared = ...`)


@dataclass
class Arrow:
    """A data dependency between two boxes, through the IR ops in `via`."""

    src: str
    dst: str
    kind: str  # one of ARROW_KINDS ("" until classified)
    via: tuple[str, ...] = ()
    nodes: tuple[int, ...] = ()  # the IR nodes of `via`
    tap: bool = False  # leaves a folded run from a repetition other than the last
    reader: int = -1  # the IR node that reads the arrow's data (its kind depends on it)


@dataclass
class Column:
    """A column of boxes: one layer (or the input pyramid, a pooling step, the outputs).

    `runs` lists the folded repetitions that start at this column, innermost first, as
    (repetitions, columns kept) pairs (`collapse`)."""

    index: int
    kind: str
    boxes: list[str]
    section: str | None
    runs: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class View:
    """Everything a diagram needs, in drawing order; no graphviz in here."""

    name: str
    boxes: dict[str, Box]
    columns: list[Column]
    arrows: list[Arrow]
    sections: list[str]
    expanded: bool = False

    def column_of(self, box_id: str) -> int:
        """The column index of a box."""
        return self.boxes[box_id].column
