"""Pinned positions for a view: one x per column, one band per row (pyramid level), and
one y per lane within a band.

Depth runs left to right and levels stack from the finest (row 0, bottom) to the
coarsest (top); a grid on no pyramid level has a row between two levels (a fraction)
and a band of its own. A band holds its row's lanes (`lanes`) bottom to top, each as tall
as its tallest box; each column is as wide as its widest box, so every grid of one
level lies in one band and every grid of one layer in one column. Positions are in
inches, rounded, so the DOT text is identical on every run.

A drawing wider than `wrap` inches is wrapped like text into *strips* stacked top to
bottom, each with the bands of just the levels it uses. Strips break between columns,
never inside a folded run that fits in one strip, preferably where a section ends and
where few grids are read across the break, and are about equally wide; `emit` draws an
arrow that crosses a break as two ends joined by a lettered connector.
"""

from __future__ import annotations

from dataclasses import dataclass

from mgdsl.diagrams.style import box_size
from mgdsl.diagrams.view import View

__all__ = ["Layout", "layout", "run_levels", "GAP_X", "GAP_Y", "WRAP"]

WRAP = 25.0  # inches: a wider drawing is wrapped into strips (25 in is about 2,500 px)
GAP_X = 0.40  # between columns
GAP_Y = 0.35  # between rows
LANE_GAP = 0.16  # between the lanes of one row
SECTION_GAP = 0.15  # extra space where the section changes
SUM_GAP = 0.2  # beside a column of sums only (small ⊕ nodes)
STRIP_GAP = 0.9  # between strips, besides the room for section names and ×N brackets
RUN_ROOM = 0.45  # over a strip, per level of nested ×N brackets
CONNECTOR_ROOM = 0.3  # before a strip's first column, for the connectors into it


@dataclass
class Layout:
    """Box sizes and centres, and the extent of the drawing."""

    size: dict[str, tuple[float, float]]
    x: dict[int, float]  # column -> centre
    width: dict[int, float]  # column -> width
    y: dict[tuple[int, float], float]  # (strip, row) -> centre of its band
    height: dict[tuple[int, float], float]  # (strip, row) -> height of its band
    left: float
    right: float
    top: float
    lane_y: dict[tuple[int, float, int], float]  # (strip, row, lane) -> centre
    strips: list[tuple[int, int]]  # (first, last) column of every strip, top to bottom

    def strip_of(self, column: int) -> int:
        """The strip that holds `column`."""
        for k, (first, last) in enumerate(self.strips):
            if first <= column <= last:
                return k
        raise KeyError(column)

    def pos(self, column: int, row: float, lane: int = 0) -> tuple[float, float]:
        """The centre of the cell of `column`, `row` and `lane`."""
        k = self.strip_of(column)
        return self.x[column], self.lane_y.get((k, row, lane), self.y[(k, row)])

    def band(self, row: float, strip: int = 0) -> tuple[float, float]:
        """The bottom and top of the band of `row` in `strip`."""
        y, h = self.y[(strip, row)], self.height[(strip, row)]
        return y - h / 2, y + h / 2

    def rows(self, strip: int) -> list[float]:
        """The rows of `strip`, bottom to top."""
        return sorted(r for k, r in self.y if k == strip)

    def bottom(self, strip: int) -> float:
        """The lowest point of `strip`'s bands."""
        return self.band(self.rows(strip)[0], strip)[0]

    def strip_top(self, strip: int) -> float:
        """The highest point of `strip`'s bands."""
        return self.band(self.rows(strip)[-1], strip)[1]


def _label_width(text: str) -> float:
    return 0.16 + 0.075 * max(len(line) for line in text.split("\\n"))


def _box_sizes(view: View, labels: dict[str, str]) -> dict[str, tuple[float, float]]:
    size: dict[str, tuple[float, float]] = {}
    for box_id, box in view.boxes.items():
        w, h = (0.3, 0.3) if box.kind == "add" and not view.expanded else box_size(box.shape)
        text = labels.get(box_id, "")
        h = max(h, 0.14 + 0.15 * (text.count("\\n") + 1))  # room for every line
        size[box_id] = (round(max(w, _label_width(text)), 3), h)
    return size


def _columns_x(view: View, size: dict[str, tuple[float, float]],
               breaks: set[int]) -> tuple[dict[int, float], dict[int, float]]:
    """Centre and width of every column; x starts again at 0 after every break."""
    x: dict[int, float] = {}
    width: dict[int, float] = {}
    cursor = 0.0
    previous = None
    gap = 0.0
    for col in view.columns:
        if col.index in breaks:
            cursor, gap = CONNECTOR_ROOM, 0.0
        w = max([size[b][0] for b in col.boxes] or [0.55])
        if col.kind == "add":
            gap = min(gap, SUM_GAP)
        cursor += gap
        if previous is not None and col.section != previous and col.kind == "layer" \
                and col.index not in breaks:
            cursor += SECTION_GAP
        x[col.index] = round(cursor + w / 2, 3)
        width[col.index] = w
        cursor += w
        gap = SUM_GAP if col.kind == "add" else GAP_X
        if col.kind == "layer":
            previous = col.section
    return x, width


def _run_spans(view: View) -> list[tuple[int, int]]:
    return [(c.index, c.index + span - 1) for c in view.columns for _, span in c.runs]


def _break_costs(view: View) -> list[float]:
    """How bad a break before each column is: the grids read across it (each needs a
    connector), plus one unless a section ends there. One pass over the arrows: a grid is
    read across every break from just after its column to its furthest reader."""
    n = len(view.columns)
    furthest: dict[str, int] = {}
    for a in view.arrows:
        furthest[a.src] = max(furthest.get(a.src, -1), view.boxes[a.dst].column)
    delta = [0] * (n + 1)
    for src, last in furthest.items():
        first = view.boxes[src].column + 1
        if first <= last:
            delta[first] += 1
            delta[last + 1] -= 1
    costs, crossing = [0.0] * n, 0
    for c in range(n):
        crossing += delta[c]
        same_section = c > 0 and view.columns[c - 1].section == view.columns[c].section
        costs[c] = crossing + (1.0 if same_section else 0.0)
    return costs


def _choose_breaks(view: View, x: dict[int, float], width: dict[int, float],
                   wrap: float) -> set[int]:
    """The columns that start a new strip: strips about equally wide and at most `wrap`
    inches where the folded runs allow, each break as cheap as the width allows."""
    n = len(view.columns)
    right = {c: x[c] + width[c] / 2 for c in x}
    total = right[n - 1] if n else 0.0
    if wrap <= 0 or total <= wrap or n < 4:
        return set()
    # a folded run is kept in one strip, unless it is too wide for any
    inside = {c for first, last in _run_spans(view)
              if right[last] - x[first] + width[first] / 2 <= wrap
              for c in range(first + 1, last + 1)}
    allowed = [c for c in range(2, n - 1) if c not in inside]
    costs = _break_costs(view)
    breaks: set[int] = set()
    start, left = 0, 0.0
    while True:
        remaining = total - left
        if remaining <= wrap:
            break
        strips_left = -(-remaining // wrap)
        target = remaining / strips_left
        best, best_score = None, None
        for c in allowed:
            if c <= start:
                continue
            span = right[c - 1] - left
            if span > wrap and best is not None:
                break
            if span < 0.5 * target:
                continue
            score = costs[c] + 4.0 * abs(span - target) / target \
                + (50.0 if span > wrap else 0.0)
            if best_score is None or score < best_score:
                best, best_score = c, score
        if best is None:
            break  # nothing left to break at: the last strip stays wide
        breaks.add(best)
        start, left = best, x[best] - width[best] / 2
    return breaks


def layout(view: View, labels: dict[str, str], wrap: float = WRAP) -> Layout:
    """Place every column and row of `view`; `labels` gives each box's text (for widths).
    A drawing wider than `wrap` inches is wrapped into strips (never, when `wrap` is 0)."""
    size = _box_sizes(view, labels)
    x, width = _columns_x(view, size, set())
    breaks = _choose_breaks(view, x, width, wrap)
    if breaks:
        x, width = _columns_x(view, size, breaks)
    starts = [0] + sorted(breaks)
    strips = [(first, nxt - 1) for first, nxt in zip(starts, starts[1:] + [len(view.columns)],
                                                       strict=True)]
    strips = [s for s in strips if s[0] <= s[1]] or [(0, -1)]
    column_strip = {c: k for k, (first, last) in enumerate(strips)
                    for c in range(first, last + 1)}
    levels_of = {k: max((lv for first, last, _, lv in run_levels(view)
                         if first <= strips[k][1] and last >= strips[k][0]), default=0)
                 for k in range(len(strips))}
    y: dict[tuple[int, float], float] = {}
    height: dict[tuple[int, float], float] = {}
    lane_y: dict[tuple[int, float, int], float] = {}
    cursor = 0.0
    for k in reversed(range(len(strips))):  # the last strip at the bottom
        if k < len(strips) - 1:
            cursor += STRIP_GAP + RUN_ROOM * levels_of[k + 1]
        members = [b for b in view.boxes.values() if column_strip.get(b.column, 0) == k]
        rows = [b.row for b in members] or [0]
        whole = [r for r in rows if r == int(r)] or [0]
        levels = range(int(min(whole)), int(max(whole)) + 1)  # empty levels show gaps
        lane_h: dict[tuple[float, int], float] = {(r, 0): 0.32 for r in levels}
        for box in members:
            key = (box.row, box.lane)
            lane_h[key] = max(lane_h.get(key, 0.32), size[box.id][1])
        for r in sorted({r for r, _ in lane_h}):
            start = cursor
            for lane in sorted(n for rr, n in lane_h if rr == r):
                lane_y[(k, r, lane)] = round(cursor + lane_h[(r, lane)] / 2, 3)
                cursor += lane_h[(r, lane)] + LANE_GAP
            cursor -= LANE_GAP
            height[(k, r)] = round(cursor - start, 3)
            y[(k, r)] = round(start + height[(k, r)] / 2, 3)
            cursor += GAP_Y
        cursor -= GAP_Y
    right = max((x[c] + width[c] / 2 for c in x), default=0.0)
    return Layout(size, x, width, y, height, 0.0, max(right, 0.0), cursor, lane_y, strips)


def run_levels(view: View) -> list[tuple[int, int, int, int]]:
    """(first column, last column, repetitions, nesting height) of every folded run; a
    run sits one step above the highest run inside it."""
    out: list[tuple[int, int, int, int]] = []
    height_at: dict[int, int] = {}
    for col in view.columns:
        for reps, span in col.runs:  # innermost first
            last = col.index + span - 1
            level = 1 + max((height_at.get(c, 0) for c in range(col.index, last + 1)),
                            default=0)
            for c in range(col.index, last + 1):
                height_at[c] = level
            out.append((col.index, last, reps, level))
    return out
