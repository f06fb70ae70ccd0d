"""Pinned positions for a view: one x per column, one y per row (pyramid level).

Depth runs left to right and levels stack from the finest (row 0, bottom) to the
coarsest (top). Each row is as tall as its tallest box and each column as wide as its
widest, so every grid of one level shares a row and every grid of one layer a column.
Positions are in inches, rounded, so the DOT text is identical on every run.
"""

from __future__ import annotations

from dataclasses import dataclass

from mgdsl.diagrams.style import box_size
from mgdsl.diagrams.view import View

__all__ = ["Layout", "layout", "GAP_X", "GAP_Y"]

GAP_X = 0.42  # between columns
GAP_Y = 0.35  # between rows
SECTION_GAP = 0.15  # extra space where the section changes
SUM_GAP = 0.28  # beside a column of sums only (small ⊕ nodes)


@dataclass
class Layout:
    """Box sizes and centres, and the extent of the drawing."""

    size: dict[str, tuple[float, float]]
    x: dict[int, float]  # column -> centre
    width: dict[int, float]  # column -> width
    y: dict[int, float]  # row -> centre
    height: dict[int, float]  # row -> height
    left: float
    right: float
    top: float

    def pos(self, column: int, row: int) -> tuple[float, float]:
        """The centre of the cell of `column` and `row`."""
        return self.x[column], self.y[row]


def _label_width(text: str) -> float:
    return 0.16 + 0.075 * len(text)


def layout(view: View, labels: dict[str, str]) -> Layout:
    """Place every column and row of `view`; `labels` gives each box's text (for widths)."""
    size: dict[str, tuple[float, float]] = {}
    for box_id, box in view.boxes.items():
        w, h = (0.3, 0.3) if box.kind == "add" and not view.expanded else box_size(box.shape)
        size[box_id] = (round(max(w, _label_width(labels.get(box_id, ""))), 3), h)
    rows = [b.row for b in view.boxes.values()] or [0]
    height = {r: 0.32 for r in range(min(rows), max(rows) + 1)}
    for box_id, box in view.boxes.items():
        height[box.row] = max(height[box.row], size[box_id][1])
    y: dict[int, float] = {}
    cursor = 0.0
    for r in sorted(height):
        y[r] = round(cursor + height[r] / 2, 3)
        cursor += height[r] + GAP_Y
    top = cursor - GAP_Y
    x: dict[int, float] = {}
    width: dict[int, float] = {}
    cursor = 0.0
    previous = None
    gap = 0.0
    for col in view.columns:
        w = max([size[b][0] for b in col.boxes] or [0.55])
        if col.kind == "add":
            gap = min(gap, SUM_GAP)
        cursor += gap
        if previous is not None and col.section != previous and col.kind == "layer":
            cursor += SECTION_GAP
        x[col.index] = round(cursor + w / 2, 3)
        width[col.index] = w
        cursor += w
        gap = SUM_GAP if col.kind == "add" else GAP_X
        if col.kind == "layer":
            previous = col.section
    return Layout(size, x, width, y, height, 0.0, max(cursor, 0.0), top)
