"""Pinned positions for a view: one x per column, one band per row (pyramid level), and
one y per lane within a band.

Depth runs left to right and levels stack from the finest (row 0, bottom) to the
coarsest (top); a grid on no pyramid level has a row between two levels (a fraction)
and a band of its own. A band holds its row's lanes (`lanes`) bottom to top, each as tall
as its tallest box; each column is as wide as its widest box, so every grid of one
level lies in one band and every grid of one layer in one column. Positions are in
inches, rounded, so the DOT text is identical on every run.
"""

from __future__ import annotations

from dataclasses import dataclass

from mgdsl.diagrams.style import box_size
from mgdsl.diagrams.view import View

__all__ = ["Layout", "layout", "GAP_X", "GAP_Y"]

GAP_X = 0.40  # between columns
GAP_Y = 0.35  # between rows
LANE_GAP = 0.16  # between the lanes of one row
SECTION_GAP = 0.15  # extra space where the section changes
SUM_GAP = 0.2  # beside a column of sums only (small ⊕ nodes)


@dataclass
class Layout:
    """Box sizes and centres, and the extent of the drawing."""

    size: dict[str, tuple[float, float]]
    x: dict[int, float]  # column -> centre
    width: dict[int, float]  # column -> width
    y: dict[float, float]  # row -> centre of its band
    height: dict[float, float]  # row -> height of its band
    left: float
    right: float
    top: float
    lane_y: dict[tuple[float, int], float]  # (row, lane) -> centre

    def pos(self, column: int, row: float, lane: int = 0) -> tuple[float, float]:
        """The centre of the cell of `column`, `row` and `lane`."""
        return self.x[column], self.lane_y.get((row, lane), self.y[row])

    def band(self, row: float) -> tuple[float, float]:
        """The bottom and top of the band of `row`."""
        return self.y[row] - self.height[row] / 2, self.y[row] + self.height[row] / 2


def _label_width(text: str) -> float:
    return 0.16 + 0.075 * max(len(line) for line in text.split("\\n"))


def layout(view: View, labels: dict[str, str]) -> Layout:
    """Place every column and row of `view`; `labels` gives each box's text (for widths)."""
    size: dict[str, tuple[float, float]] = {}
    for box_id, box in view.boxes.items():
        w, h = (0.3, 0.3) if box.kind == "add" and not view.expanded else box_size(box.shape)
        text = labels.get(box_id, "")
        h = max(h, 0.14 + 0.15 * (text.count("\\n") + 1))  # room for every line
        size[box_id] = (round(max(w, _label_width(text)), 3), h)
    rows = [b.row for b in view.boxes.values()] or [0]
    whole = [r for r in rows if r == int(r)] or [0]
    levels = range(int(min(whole)), int(max(whole)) + 1)  # empty levels between show gaps
    lane_h: dict[tuple[float, int], float] = {(r, 0): 0.32 for r in levels}
    for box_id, box in view.boxes.items():
        key = (box.row, box.lane)
        lane_h[key] = max(lane_h.get(key, 0.32), size[box_id][1])
    lane_y: dict[tuple[float, int], float] = {}
    y: dict[float, float] = {}
    height: dict[float, float] = {}
    cursor = 0.0
    for r in sorted({r for r, _ in lane_h}):
        start = cursor
        for lane in sorted(k for rr, k in lane_h if rr == r):
            lane_y[(r, lane)] = round(cursor + lane_h[(r, lane)] / 2, 3)
            cursor += lane_h[(r, lane)] + LANE_GAP
        cursor -= LANE_GAP
        height[r] = round(cursor - start, 3)
        y[r] = round(start + height[r] / 2, 3)
        cursor += GAP_Y
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
    return Layout(size, x, width, y, height, 0.0, max(cursor, 0.0), top, lane_y)
