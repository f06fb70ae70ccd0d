"""Folding repeated structure into one copy marked `×N` (`mgdsl render --collapse`), at
every level of repetition.

A run is a sequence of columns repeated back to back with a period of one column (plain
layers) up to `MAX_PERIOD` columns, every repetition identical to the first: its boxes
have the same kinds, ops, arguments, rows, output shapes and section, and carry
the same folded runs, and every box has the same incoming arrows. An arrow from within
the repetition matches by kind and column offset; one from the repetition before
(for the first repetition: from before the run) by kind, ops on the way and the row and
shape of its source, so each repetition has the same input shapes (`cbr(cbr(x, 8), 8)` on
a 3-channel `x` does not fold: 3 -> 8 is not 8 -> 8); and an arrow into a later
repetition from outside the run, or from two repetitions back, matches nothing, so what
is folded has the same wiring from outside the run as the copy that is kept. Parallel
copies (which read the same grid) are therefore never folded into a chain; `columns`
puts them in one column anyway.

Each pass folds, left to right, the run of the shortest period at each column; passes
repeat until nothing changes, so HRNet's four basic blocks per branch fold first (`×4`
over two columns) and the modules made of those folded blocks fold next. The first
repetition is kept; arrows leaving the run are re-attached to the kept boxes and arrows
between repetitions are dropped.

>>> import mgdsl
>>> folded = collapse(__import__("mgdsl.diagrams.layers").diagrams.layers.build_view(
...     mgdsl.load("R-PMG-44")))
>>> sorted({run for c in folded.columns for run in c.runs})  # a stage's first unit widens
[(2, 2), (3, 2)]
"""

from __future__ import annotations

from dataclasses import replace

from mgdsl.diagrams.lanes import assign_lanes
from mgdsl.diagrams.view import Arrow, Column, View

__all__ = ["collapse", "collapse_once", "column_signatures", "unfolded_columns", "MAX_PERIOD"]

MAX_PERIOD = 48


def column_signatures(view: View) -> list[tuple]:
    """What every column shows, without its arrows: its kind and folded runs, and for each
    box its kind, op, arguments, row, shape, section, folded ops and whether it is
    dropped (not its lane: lanes are laid out again after folding)."""
    column_of = {b.node: b.column for b in view.boxes.values()}
    out = []
    for col in view.columns:
        boxes = []
        for box_id in col.boxes:
            b = view.boxes[box_id]
            boxes.append((b.kind, b.op, _relative(b.args, col.index, column_of), b.row,
                          b.shape, b.section, tuple(b.folded), b.dropped, b.off_level,
                          b.shared))
        out.append((col.kind, tuple(col.runs), tuple(boxes)))
    return out


def _relative(args: tuple, column: int, column_of: dict[int, int]) -> tuple:
    """A box's arguments, with the layer whose weights it shares (`shares`, an IR node)
    written as "in this column" when it is: FCOS's tower layers each share weights
    across the levels of their own column, and are alike although the nodes differ."""
    out = []
    for key, value in args:
        if key == "shares" and str(value).isdigit() and column_of.get(int(value)) == column:
            value = "this column"
        out.append((key, value))
    return tuple(out)


class _Signatures:
    """Columns as seen from a repetition of a candidate run (see the module docstring)."""

    def __init__(self, view: View) -> None:
        self.view = view
        self.plain = column_signatures(view)
        self.incoming: dict[str, list[Arrow]] = {}
        for a in view.arrows:
            self.incoming.setdefault(a.dst, []).append(a)
        self.cache: dict[tuple[int, int, int, int], tuple] = {}

    def __len__(self) -> int:
        return len(self.plain)

    def at(self, column: int, start: int, period: int, rep: int) -> tuple:
        """Column `column`, in repetition `rep` of a run of `period` columns from `start`."""
        key = (column, start, period, rep)
        if key not in self.cache:
            self.cache[key] = self._at(column, start, period, rep)
        return self.cache[key]

    def _at(self, column: int, start: int, period: int, rep: int) -> tuple:
        first = start + rep * period
        boxes = self.view.boxes
        arrows = []
        for box_id in self.view.columns[column].boxes:
            seen = []
            for a in self.incoming.get(box_id, []):
                src = boxes[a.src]
                c = src.column
                if c >= first:
                    seen.append(("in", c - first, src.row, a.kind, a.via, a.tap))
                elif (rep == 0 and c < start) or (rep > 0 and c >= first - period):
                    seen.append(("prev", src.row, src.shape, a.kind, a.via, a.tap))
                else:  # from outside the run into a later repetition, or skipping one
                    seen.append(("out", a.src, c - first, a.kind, a.via, a.tap))
            arrows.append(tuple(sorted(seen, key=repr)))
        return self.plain[column], tuple(arrows)


def _spans(view: View) -> list[tuple[int, int]]:
    """(first, last) column of every folded run already in the view."""
    return [(c.index, c.index + span - 1) for c in view.columns for _, span in c.runs]


def _nests(spans: list[tuple[int, int]], i: int, period: int, reps: int) -> bool:
    """Whether every existing run lies inside one repetition or outside them all."""
    for first, last in spans:
        for r in range(reps):
            lo, hi = i + r * period, i + (r + 1) * period - 1
            if first <= hi and last >= lo and not (lo <= first and last <= hi):
                return False
    return True


def _find_run(sigs: _Signatures, spans: list[tuple[int, int]], i: int,
              periods: range) -> tuple[int, int]:
    """The (period, repetitions) of the shortest-period run starting at column `i`, among
    `periods`."""
    plain = sigs.plain
    for period in periods:
        if i + 2 * period > len(sigs):
            break
        if plain[i:i + period] != plain[i + period:i + 2 * period]:
            continue  # not even the boxes repeat: no need to look at the arrows
        first = [sigs.at(i + k, i, period, 0) for k in range(period)]
        reps = 1
        while i + (reps + 1) * period <= len(sigs) and all(
                first[k] == sigs.at(i + reps * period + k, i, period, reps)
                for k in range(period)):
            reps += 1
        while reps >= 2 and not _nests(spans, i, period, reps):
            reps -= 1
        if reps >= 2:
            return period, reps
    return 1, 1


def _detached(view: View, start: int, period: int) -> int:
    """How many arrows from the first repetition of a run from `start` into the second
    leave from another column than the first repetition's last: a run is best started
    where each repetition continues from the end of the one before (CBAM's units), not in
    the middle of a unit, where the second unit's sum would read the first unit's sum
    from inside the repetition while the kept copy shows the projection before it."""
    last, stop = start + period - 1, start + 2 * period
    return sum(1 for a in view.arrows
               if start <= view.boxes[a.src].column < last
               and last < view.boxes[a.dst].column < stop)


def _aligned_run(view: View, sigs: _Signatures, spans: list[tuple[int, int]], i: int,
                 periods: range) -> tuple[int, int, int]:
    """(start, period, repetitions) of the run found at column `i`, moved right by up to a
    period less one when a start there covers as many columns and is less detached."""
    period, reps = _find_run(sigs, spans, i, periods)
    if reps < 2 or period == 1:
        return i, period, reps
    best = (i, period, reps)
    for j in range(i + 1, i + period):
        p, r = _find_run(sigs, spans, j, range(period, period + 1))
        if r >= 2 and j + p * r >= i + period * reps and \
                _detached(view, j, p) < _detached(view, best[0], period):
            best = (j, p, r)
    return best


def collapse_once(view: View, max_period: int = MAX_PERIOD, min_period: int = 1) -> View:
    """One pass: every run of identical columns, of `min_period` to `max_period` columns a
    repetition, folded into its first repetition."""
    sigs = _Signatures(view)
    spans = _spans(view)
    keep: list[tuple[Column, tuple[int, int] | None]] = []
    alias: dict[str, str] = {}
    inner: set[str] = set()  # boxes of the repetitions before the last of a run
    i = 0
    while i < len(view.columns):
        start, period, reps = _aligned_run(view, sigs, spans, i,
                                           range(min_period, max_period + 1))
        for k in range(start - i):  # the columns before a run moved right stay as they are
            keep.append((view.columns[i + k], None))
        i = start
        for k in range(period):
            kept = view.columns[i + k]
            keep.append((kept, (reps, period) if k == 0 and reps > 1 else None))
            for r in range(1, reps):
                dropped = view.columns[i + r * period + k]
                for a, b in zip(kept.boxes, dropped.boxes, strict=True):
                    alias[b] = a
            for r in range(reps - 1):
                inner.update(view.columns[i + r * period + k].boxes)
        i += period * reps
    boxes = {}
    columns = []
    for index, (col, run) in enumerate(keep):
        for box_id in col.boxes:
            boxes[box_id] = replace(view.boxes[box_id], column=index)
        runs = list(col.runs) + ([run] if run else [])
        columns.append(Column(index, col.kind, list(col.boxes), col.section, runs))
    arrows: list[Arrow] = []
    seen: dict[tuple[str, str, str], Arrow] = {}
    for a in view.arrows:
        src, dst = alias.get(a.src, a.src), alias.get(a.dst, a.dst)
        if a.dst in alias or boxes[src].column >= boxes[dst].column:
            continue  # inside a folded run
        tap = a.tap or a.src in inner
        key = (src, dst, a.kind)
        if key in seen:
            seen[key].tap = seen[key].tap or tap
        else:
            seen[key] = Arrow(src, dst, a.kind, a.via, a.nodes, tap)
            arrows.append(seen[key])
    return View(view.name, boxes, columns, arrows, view.sections, view.expanded)


def collapse(view: View) -> View:
    """A new view (the given one is left as it was) with repeated structure folded at
    every level, innermost first: runs of period 1 until none is left, then period 2, and
    so on, starting again from period 1 after every fold."""
    view = collapse_once(view, 0)  # a copy
    period = 1
    while period <= MAX_PERIOD:
        # shorter periods were tried on this very view already (it has not changed since)
        folded = collapse_once(view, period, period)
        if len(folded.columns) < len(view.columns):
            view, period = folded, 1
        else:
            period += 1
    assign_lanes(view.boxes, view.arrows)  # folded copies may have left lanes empty
    return view


def unfolded_columns(view: View) -> int:
    """How many columns the view would have with every run written out again."""

    def width(start: int, stop: int, top: int | None) -> int:
        total, c = 0, start
        while c < stop:
            runs = view.columns[c].runs[:top] if c == start else view.columns[c].runs
            if runs:
                reps, span = runs[-1]
                total += reps * width(c, c + span, len(runs) - 1)
                c += span
            else:
                total, c = total + 1, c + 1
        return total

    return width(0, len(view.columns), None)
