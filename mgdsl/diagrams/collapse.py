"""Folding repeated structure into one copy marked `×N` (`mgdsl render --collapse`), at
every level of repetition.

Two columns are identical when their boxes have the same kinds, ops, rows, shapes and
section, their incoming arrows the same kinds from the same rows at the same relative
column offsets, and they carry the same folded runs. A run is a sequence of columns
repeated back to back with a period of one column (plain layers) up to `MAX_PERIOD`
columns. Each pass folds, left to right, the run of the shortest period at each column;
passes repeat until nothing changes, so HRNet's four basic blocks per branch fold first
(`×4` over two columns) and the modules made of those folded blocks fold next. The first
repetition is kept; arrows leaving the run are re-attached to the kept boxes and arrows
between repetitions are dropped.

>>> import mgdsl
>>> folded = collapse(__import__("mgdsl.diagrams.layers").diagrams.layers.build_view(
...     mgdsl.load("R-PMG-44")))
>>> sorted({run for c in folded.columns for run in c.runs})
[(3, 2)]
"""

from __future__ import annotations

from dataclasses import replace

from mgdsl.diagrams.view import Arrow, Column, View

__all__ = ["collapse", "collapse_once", "column_signatures", "unfolded_columns", "MAX_PERIOD"]

MAX_PERIOD = 12


def column_signatures(view: View) -> list[tuple]:
    """A translation-invariant description of every column, for finding repeats: its
    boxes, and for each box its incoming arrows as (column offset, source row, kind)."""
    incoming: dict[str, list[tuple]] = {}
    for a in view.arrows:
        src, dst = view.boxes[a.src], view.boxes[a.dst]
        incoming.setdefault(a.dst, []).append(
            (dst.column - src.column, src.row, a.kind, a.via))
    out = []
    for col in view.columns:
        boxes = []
        for box_id in col.boxes:
            b = view.boxes[box_id]
            boxes.append((b.kind, b.op, b.args, b.row, b.shape, b.section, tuple(b.folded),
                          b.dropped, tuple(sorted(incoming.get(box_id, [])))))
        out.append((col.kind, tuple(col.runs), tuple(boxes)))
    return out


def _at(sig: tuple, offset: int) -> tuple:
    """`sig` seen from column `offset` of a repetition: arrows from before the repetition
    keep their source row and kind but not their distance (the first repetition may be
    fed from further back than the next ones, which its predecessor feeds)."""
    kind, runs, boxes = sig
    return kind, runs, tuple(
        box[:-1] + (tuple(sorted((d if d <= offset else -1, *rest) for d, *rest in box[-1])),)
        for box in boxes)


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


def _find_run(sigs: list[tuple], spans: list[tuple[int, int]], i: int,
              max_period: int) -> tuple[int, int]:
    """The (period, repetitions) of the shortest-period run starting at column `i`."""
    for period in range(1, max_period + 1):
        if i + 2 * period > len(sigs):
            break
        first = [_at(sigs[i + k], k) for k in range(period)]
        reps = 1
        while i + (reps + 1) * period <= len(sigs) and all(
                first[k] == _at(sigs[i + reps * period + k], k) for k in range(period)):
            reps += 1
        while reps >= 2 and not _nests(spans, i, period, reps):
            reps -= 1
        if reps >= 2:
            return period, reps
    return 1, 1


def collapse_once(view: View, max_period: int = MAX_PERIOD) -> View:
    """One pass: every run of identical columns, of at most `max_period` columns a
    repetition, folded into its first repetition."""
    sigs = column_signatures(view)
    spans = _spans(view)
    keep: list[tuple[Column, tuple[int, int] | None]] = []
    alias: dict[str, str] = {}
    i = 0
    while i < len(view.columns):
        period, reps = _find_run(sigs, spans, i, max_period)
        for k in range(period):
            kept = view.columns[i + k]
            keep.append((kept, (reps, period) if k == 0 and reps > 1 else None))
            for r in range(1, reps):
                dropped = view.columns[i + r * period + k]
                for a, b in zip(kept.boxes, dropped.boxes, strict=True):
                    alias[b] = a
        i += period * reps
    boxes = {}
    columns = []
    for index, (col, run) in enumerate(keep):
        for box_id in col.boxes:
            boxes[box_id] = replace(view.boxes[box_id], column=index)
        runs = list(col.runs) + ([run] if run else [])
        columns.append(Column(index, col.kind, list(col.boxes), col.section, runs))
    arrows: list[Arrow] = []
    seen: set[tuple[str, str, str]] = set()
    for a in view.arrows:
        src, dst = alias.get(a.src, a.src), alias.get(a.dst, a.dst)
        if a.dst in alias or boxes[src].column >= boxes[dst].column:
            continue  # inside a folded run
        key = (src, dst, a.kind)
        if key not in seen:
            seen.add(key)
            arrows.append(Arrow(src, dst, a.kind, a.via, a.nodes))
    return View(view.name, boxes, columns, arrows, view.sections, view.expanded)


def collapse(view: View) -> View:
    """A new view (the given one is left as it was) with repeated structure folded at
    every level, innermost first: runs of period 1 until none is left, then period 2, and
    so on, starting again from period 1 after every fold."""
    view = collapse_once(view, 0)  # a copy
    period = 1
    while period <= MAX_PERIOD:
        folded = collapse_once(view, period)
        if len(folded.columns) < len(view.columns):
            view, period = folded, 1
        else:
            period += 1
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
