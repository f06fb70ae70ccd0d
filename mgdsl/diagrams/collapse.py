"""Folding runs of identical layers into one column marked `×N` (`mgdsl render --collapse`).

Two columns are identical when their boxes have the same kinds, ops, rows, shapes and
section, and their incoming arrows the same kinds from the same rows at the same relative
column offsets. A run is a sequence of columns repeated back to back with a period of one
column (plain layers) up to `MAX_PERIOD` columns (residual units are two). The first
repetition is kept and marked with the count; arrows leaving the run are re-attached to
the kept boxes and arrows between repetitions are dropped.
"""

from __future__ import annotations

from dataclasses import replace

from mgdsl.diagrams.layers import Arrow, Column, View

__all__ = ["collapse", "column_signatures", "MAX_PERIOD"]

MAX_PERIOD = 4


def column_signatures(view: View) -> list[tuple]:
    """A translation-invariant description of every column, for finding repeats."""
    incoming: dict[str, list[tuple]] = {}
    for a in view.arrows:
        src, dst = view.boxes[a.src], view.boxes[a.dst]
        incoming.setdefault(a.dst, []).append(
            (dst.column - src.column, src.row, a.kind))
    out = []
    for col in view.columns:
        boxes = []
        for box_id in col.boxes:
            b = view.boxes[box_id]
            boxes.append((b.kind, b.op, b.row, b.shape, b.section, tuple(b.folded), b.dropped,
                          tuple(sorted(incoming.get(box_id, [])))))
        out.append((col.kind, tuple(boxes)))
    return out


def _find_run(sigs: list[tuple], i: int) -> tuple[int, int]:
    """The (period, repetitions) of the longest run starting at column `i`."""
    best_period, best_reps = 1, 1
    for period in range(1, MAX_PERIOD + 1):
        reps = 1
        while i + (reps + 1) * period <= len(sigs) and all(
                sigs[i + k] == sigs[i + reps * period + k] for k in range(period)):
            reps += 1
        if reps >= 2 and period * reps > best_period * best_reps:
            best_period, best_reps = period, reps
    return best_period, best_reps


def collapse(view: View) -> View:
    """A new view (the given one is left as it was) with every run of identical columns folded into its first repetition."""
    sigs = column_signatures(view)
    keep: list[tuple[Column, int, int]] = []  # (column, repeat, span)
    alias: dict[str, str] = {}
    i = 0
    while i < len(view.columns):
        period, reps = _find_run(sigs, i)
        for k in range(period):
            kept = view.columns[i + k]
            keep.append((kept, reps if k == 0 else 1, period if k == 0 else 1))
            for r in range(1, reps):
                dropped = view.columns[i + r * period + k]
                for a, b in zip(kept.boxes, dropped.boxes, strict=True):
                    alias[b] = a
        i += period * reps
    boxes = {}
    columns = []
    for index, (col, repeat, span) in enumerate(keep):
        for box_id in col.boxes:
            boxes[box_id] = replace(view.boxes[box_id], column=index)
        columns.append(Column(index, col.kind, list(col.boxes), col.section, repeat, span))
    arrows: list[Arrow] = []
    seen: set[tuple[str, str, str]] = set()
    for a in view.arrows:
        src, dst = alias.get(a.src, a.src), alias.get(a.dst, a.dst)
        if a.dst in alias or boxes[src].column >= boxes[dst].column:
            continue  # inside a folded run
        key = (src, dst, a.kind)
        if key not in seen:
            seen.add(key)
            arrows.append(Arrow(src, dst, a.kind, a.via))
    return View(view.name, boxes, columns, arrows, view.sections, view.expanded)
