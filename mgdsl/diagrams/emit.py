"""A view and its layout -> a `Scene` (boxes, arrows, markers and legend at pinned
positions) -> DOT text (through the graphviz package, which needs no binary) or TikZ.

Node ids are `n<IR node id>` for boxes; markers (`×N`, dropped grids, section names) and
the legend have ids derived from column indexes, so the text is identical on every run.
"""

from __future__ import annotations

from typing import Any

from mgdsl.diagrams.layout import GAP_X, GAP_Y, WRAP, Layout, layout, run_levels
from mgdsl.diagrams.scene import Scene, scene_to_dot
from mgdsl.diagrams.style import ARROWS, BOX_KINDS, NEUTRAL, op_colour, section_colours
from mgdsl.diagrams.view import Arrow, Box, View
from mgdsl.syntax.literal import mg_arguments

__all__ = ["to_dot", "build_scene", "box_label", "box_tooltip"]

FONT = "Helvetica"
LONG = 3  # columns: an arrow between two levels this long runs along a gap
PLAIN = {"shape": "plaintext", "fontname": FONT}


def _f(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".")


def _pos(x: float, y: float) -> str:
    return f"{_f(x)},{_f(y)}!"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape)


def box_label(box: Box, expanded: bool) -> str:
    """The text inside a box: the channel count (with the op name when expanded, and the
    grid's size when it lies on no pyramid level)."""
    if box.kind == "output":
        return box.name.rsplit(".", 1)[-1]
    if box.kind == "add" and not expanded:
        return "+"
    channels = str(box.shape[0]) if box.shape else ""
    if box.off_level:
        channels += "\\n" + _shape_text(box.shape[1:])
    return f"{box.op}\\n{channels}" if expanded else channels


def box_tooltip(box: Box) -> str:
    """The SVG tooltip of a box: name, op, full shape and the ops folded into it."""
    text = f"{box.name}: {box.op} {_shape_text(box.shape)}"
    if box.folded:
        text += " + " + ", ".join(box.folded)
    if box.section:
        text += f" [{box.section}]"
    if box.dropped:
        text += " (dropped: nothing later reads it)"
    if box.shared:
        text += " (weights shared with other boxes)"
    return text


def _title(view: View, params: dict[str, Any]) -> str:
    if not params:
        return view.name
    return f"{view.name} ({mg_arguments(params)})"


def _box_attrs(box: Box, view: View, colours: dict[str, str], lay: Layout,
               label: str) -> dict[str, str]:
    attrs = dict(BOX_KINDS.get(box.kind, BOX_KINDS["op"])[0])
    if view.expanded and box.kind not in ("input", "output"):
        attrs["fillcolor"] = op_colour(box.op)
    elif "fillcolor" not in attrs:
        attrs["fillcolor"] = colours.get(box.section or "", NEUTRAL)
    if box.dropped:
        attrs["color"] = "#b02020"
    if box.off_level:
        attrs["style"] = ",".join(s for s in attrs["style"].split(",") if s != "dashed") \
            + ",dotted"
    if box.shared:
        attrs["peripheries"] = "2"
    w, h = lay.size[box.id]
    attrs.update({
        "label": label, "tooltip": box_tooltip(box), "width": _f(w), "height": _f(h),
        "fixedsize": "true", "fontname": FONT, "fontsize": "10",
        "pos": _pos(*lay.pos(box.column, box.row, box.lane)),
    })
    return attrs


def _section_spans(view: View) -> list[tuple[str, int, int]]:
    """(label, first column, last column) for the input, each section, the stem (before
    the first section), the head (after the last) and the output."""
    spans: list[tuple[str, int, int]] = []
    in_sections = [c.index for c in view.columns if c.section]
    for col in view.columns:
        if col.kind == "input":
            name = "input"
        elif col.kind == "output":
            name = "output"
        elif col.section:
            name = col.section
        elif not in_sections:
            name = ""
        elif col.index < in_sections[0]:
            name = "stem"
        elif col.index > in_sections[-1]:
            name = "head"
        else:
            name = ""
        if spans and spans[-1][0] == name:
            spans[-1] = (name, spans[-1][1], col.index)
        else:
            spans.append((name, col.index, col.index))
    return [span for span in spans if span[0]]


def _row_tooltip(view: View, row: float) -> str:
    """What a row holds: a pyramid level, or grids on none (with their sizes)."""
    if row == int(row):
        return f"pyramid level {int(row)} (0 = the input's resolution)"
    sizes = sorted({_shape_text(b.shape[1:]) for b in view.boxes.values() if b.row == row})
    return f"grids on no pyramid level: {', '.join(sizes)}"


def _section_parts(view: View, lay: Layout) -> list[tuple[str, int, int]]:
    """The section spans, cut where a strip ends."""
    out = []
    for name, first, last in _section_spans(view):
        for lo, hi in lay.strips:
            if first <= hi and last >= lo:
                out.append((name, max(first, lo), min(last, hi)))
    return out


def _markers(g: Scene, view: View, lay: Layout) -> float:
    """Section names below each strip, level names at its left, `×N` over folded runs, ✕
    after dropped grids. Returns the y under which the legend may start."""
    if not view.expanded:
        for i, (name, first, last) in enumerate(_section_parts(view, lay)):
            x = (lay.x[first] + lay.x[last]) / 2
            g.node(f"section{i}", name, **PLAIN, fontsize="11", fontcolor="#555555",
                   pos=_pos(x, lay.bottom(lay.strip_of(first)) - 0.3))
    k = 0
    for strip in range(len(lay.strips)):
        rows = lay.rows(strip)
        if view.expanded or len(rows) < 2:
            continue
        for row in rows:
            text = f"level {row}" if row == int(row) else "no level"
            g.node(f"row{k}", text, **PLAIN, fontsize="8", fontcolor="#888888",
                   width="0.45", height="0.2", tooltip=_row_tooltip(view, row),
                   pos=_pos(lay.left - 0.42, lay.y[(strip, row)]))
            k += 1
    for k, (first, last, reps, level) in enumerate(run_levels(view)):
        parts = [(max(first, lo), min(last, hi)) for lo, hi in lay.strips
                 if first <= hi and last >= lo]  # a run too wide for one strip is cut
        for j, (lo, hi) in enumerate(parts):
            left = lay.x[lo] - lay.width[lo] / 2
            right = lay.x[hi] + lay.width[hi] / 2
            y = lay.strip_top(lay.strip_of(lo)) + 0.25 + 0.45 * (level - 1)
            name = f"repeat{k}" if j == 0 else f"repeat{k}p{j}"
            text = f"×{reps}" if j == 0 else f"×{reps} (continued)"
            g.node(name, text, **PLAIN, fontsize="13",
                   tooltip=f"{reps} identical repetitions folded", width="0.4" if j == 0
                   else "1.2", height="0.25", pos=_pos((left + right) / 2, y + 0.2))
            g.node(f"{name}a", "", shape="point", width="0.02", pos=_pos(left, y))
            g.node(f"{name}b", "", shape="point", width="0.02", pos=_pos(right, y))
            g.edge(f"{name}a", f"{name}b", dir="none", color="#555555", penwidth="1.2")
    for box in view.boxes.values():
        if box.dropped and not view.expanded:
            x, y = lay.pos(box.column, box.row, box.lane)
            g.node(f"{box.id}x", "✕", **PLAIN, fontsize="12", fontcolor="#b02020",
                   width="0.2", height="0.2", tooltip="grid dropped here",
                   pos=_pos(x + lay.size[box.id][0] / 2 + 0.16, y))
    return lay.bottom(len(lay.strips) - 1) - 0.75


def _legend(g: Scene, view: View, colours: dict[str, str], left: float,
            right: float, y: float) -> None:
    """Sample boxes and arrows with their meaning, flowed left to right under the drawing."""
    items: list[tuple[str, dict[str, str], str]] = []  # (kind, attrs, text)
    if view.expanded:
        for op in sorted({b.op for b in view.boxes.values()
                          if b.kind not in ("input", "output")}):
            items.append(("box", {"fillcolor": op_colour(op), "style": "filled"}, op))
    else:
        for section in view.sections:
            items.append(("box", {"fillcolor": colours[section], "style": "filled"}, section))
    kinds = {b.kind for b in view.boxes.values()}
    for kind in ("input", "pool", "output") if view.expanded else \
            ("input", "pool", "op", "add", "output"):
        if kind in kinds:
            attrs = dict(BOX_KINDS[kind][0])
            attrs.setdefault("fillcolor", NEUTRAL)
            items.append(("box", attrs, BOX_KINDS[kind][1]))
    arrow_kinds = {a.kind for a in view.arrows}
    for kind in ARROWS:
        if kind in arrow_kinds:
            items.append(("arrow", ARROWS[kind][0], ARROWS[kind][1]))
    if any(b.off_level for b in view.boxes.values()):
        items.append(("box", {"fillcolor": NEUTRAL, "style": "filled,dotted"},
                      "grid on no pyramid level (size shown)"))
    if any(b.shared for b in view.boxes.values()):
        items.append(("box", {"fillcolor": NEUTRAL, "style": "filled", "peripheries": "2"},
                      "layer with shared weights"))
    if any(b.dropped for b in view.boxes.values()) and not view.expanded:
        items.append(("mark", {"fontcolor": "#b02020"}, "✕ grid dropped"))
    if any(c.runs for c in view.columns):
        items.append(("mark", {}, "×N  N identical repetitions"))
    width = max(right - left, 7.0)
    x, row = left, 0
    for i, (kind, attrs, text) in enumerate(items):
        text_w = 0.16 + 0.068 * len(text)
        sample_w = 0.0 if kind == "mark" else 0.55
        if x > left and x + sample_w + text_w > left + width:
            x, row = left, row + 1
        cy = y - 0.4 * row
        if kind == "box":
            size = "0.25" if attrs.get("shape") == "circle" else "0.4"
            g.node(f"legend{i}", "", **{**attrs, "shape": attrs.get("shape", "box")},
                   width=size, height="0.25", fixedsize="true",
                   pos=_pos(x + 0.2, cy), tooltip=text)
        elif kind == "arrow":
            g.node(f"legend{i}a", "", shape="point", width="0.03", pos=_pos(x, cy))
            g.node(f"legend{i}b", "", shape="point", width="0.03", pos=_pos(x + 0.45, cy))
            attrs = {k: v for k, v in attrs.items() if not k.endswith("port")}
            g.edge(f"legend{i}a", f"legend{i}b", **attrs, tooltip=text)
        g.node(f"legend{i}t", text, **PLAIN, **attrs if kind == "mark" else {},
               fontsize="10", width=_f(text_w), height="0.25", fixedsize="true",
               pos=_pos(x + sample_w + text_w / 2, cy), tooltip=text)
        x += sample_w + text_w + GAP_X / 2


def _boxes_by_column(view: View, lay: Layout) -> dict[int, list[tuple[float, float, Box]]]:
    """Each column's boxes as (bottom, top, box)."""
    out: dict[int, list[tuple[float, float, Box]]] = {}
    for b in view.boxes.values():
        y = lay.pos(b.column, b.row, b.lane)[1]
        h = lay.size[b.id][1] / 2
        out.setdefault(b.column, []).append((y - h, y + h, b))
    return out


def _blocked(column: list[tuple[float, float, Box]], ends: tuple[Box, Box], low: float,
             high: float) -> bool:
    """Whether a box of `column` other than `ends` lies between heights `low` and `high`."""
    return any(bot < high and top > low and b not in ends for bot, top, b in column)


def _arrow(g: Scene, view: View, lay: Layout, i: int, a: Arrow,
           columns: dict[int, list[tuple[float, float, Box]]],
           connectors: dict[tuple[str, int, str], str]) -> None:
    """One arrow. One that passes boxes of its own row bridges just above them through
    two invisible waypoints, so that it never hides behind the boxes it skips; an end
    whose way up (or, for a direct arrow, towards the other end) is blocked by another
    box of its column leaves or enters through the side. One between two strips is drawn
    as two ends joined by a lettered connector (`connectors` holds those drawn so far)."""
    attrs = dict(ARROWS.get(a.kind, ARROWS["same"])[0])
    via = f" via {', '.join(a.via)}" if a.via else ""
    attrs.update({"tooltip": f"{a.kind}{via}", "class": f"arrow {a.kind}"})
    src, dst = view.boxes[a.src], view.boxes[a.dst]
    for port in ("tailport", "headport"):
        attrs.pop(port, None)
    if lay.strip_of(src.column) != lay.strip_of(dst.column):
        _wrapped(g, view, lay, i, a, attrs, connectors)
        return
    y0, y1 = lay.pos(src.column, src.row, src.lane)[1], lay.pos(dst.column, dst.row, dst.lane)[1]
    between = [top for c in range(src.column + 1, dst.column) for _, top, b in columns.get(c, [])
               if b.row == src.row]
    if src.column == dst.column and _blocked(columns[src.column], (src, dst),
                                             min(y0, y1), max(y0, y1)):
        _around(g, lay, i, a, attrs, src, (y0, y1))
        return
    if src.row != dst.row and dst.column - src.column >= LONG:
        _along(g, view, lay, i, a, attrs, (src, dst))
        return
    if src.row != dst.row or not between:
        low, high = min(y0, y1), max(y0, y1)
        ports = {}
        if _blocked(columns[src.column], (src, dst), low, high):
            ports["tailport"] = "e"
        if _blocked(columns[dst.column], (src, dst), low, high):
            ports["headport"] = "w"
        g.edge(a.src, a.dst, **attrs, **ports)
        return
    tops = [y0 + lay.size[src.id][1] / 2, y1 + lay.size[dst.id][1] / 2]
    y = max(between + tops) + GAP_Y / 2
    left = lay.x[src.column] + lay.width[src.column] / 2 + GAP_X / 2
    right = lay.x[dst.column] - lay.width[dst.column] / 2 - GAP_X / 2
    hops = [a.src, f"hop{i}a", f"hop{i}b", a.dst]
    for hop, x in ((hops[1], left), (hops[2], right)):
        g.node(hop, "", shape="point", width="0.01", style="invis", pos=_pos(x, y))
    line = {k: v for k, v in attrs.items() if k != "arrowhead"}
    up_src = _blocked(columns[src.column], (src, dst), y0, y)
    up_dst = _blocked(columns[dst.column], (src, dst), y1, y)
    g.edge(hops[0], hops[1], **line, tailport="e" if up_src else "n", arrowhead="none")
    g.edge(hops[1], hops[2], **line, arrowhead="none")
    g.edge(hops[2], hops[3], **attrs, headport="w" if up_dst else "n")


def _letters(k: int) -> str:
    """A, B, ..., Z, AA, AB, ...: the name of connector `k`."""
    name = ""
    k += 1
    while k:
        k, rest = divmod(k - 1, 26)
        name = chr(65 + rest) + name
    return name


def _wrapped(g: Scene, view: View, lay: Layout, i: int, a: Arrow, attrs: dict[str, str],
             connectors: dict[tuple[str, int, str], str]) -> None:
    """An arrow from one strip into a later one: a short end from its source into a
    lettered circle at the source's right (one per source, strip and kind),
    and the same letter just above the left side of its destination, with the end into
    it. An invisible edge joins the two circles, so the drawing still says which grid
    reads which."""
    src, dst = view.boxes[a.src], view.boxes[a.dst]
    key = (a.src, lay.strip_of(dst.column), a.kind)
    circle = {"shape": "circle", "width": "0.26", "height": "0.26", "fixedsize": "true",
              "fontname": FONT, "fontsize": "9", "color": attrs.get("color", "#333333"),
              "fontcolor": attrs.get("color", "#333333")}
    line = {k: v for k, v in attrs.items() if k not in ("arrowhead", "style")}
    if key not in connectors:
        letter = _letters(len(connectors))
        connectors[key] = f"wrap{letter}"
        x, y = lay.pos(src.column, src.row, src.lane)
        w, h = lay.size[src.id]
        out = len([k for k in connectors if k[0] == a.src]) - 1  # stacked when several
        # beside the box at the end of its strip; above its right side elsewhere, clear
        # of the arrow to the next box of its lane
        last = lay.strips[lay.strip_of(src.column)][1] == src.column
        y_at = y + 0.32 * out if last else y + h / 2 + 0.2 + 0.32 * out
        g.node(connectors[key], letter, **circle,
               tooltip=f"{src.name} continues in a row below, at {letter}",
               pos=_pos(x + w / 2 + 0.25, y_at))
        g.edge(a.src, connectors[key], **attrs, tailport="e")
    name = connectors[key]
    letter = name[len("wrap"):]
    x, y = lay.pos(dst.column, dst.row, dst.lane)
    w, h = lay.size[dst.id]
    g.node(f"{name}to{i}", letter, **circle,
           tooltip=f"from {src.name}, in a row above, at {letter}",
           pos=_pos(x - w / 2 - 0.2, y + h / 2 + 0.2))
    g.edge(name, f"{name}to{i}", **line, style="invis", arrowhead="none")
    g.edge(f"{name}to{i}", a.dst, **attrs, headport="w")


def _hops(g: Scene, i: int, a: Arrow, attrs: dict[str, str], points: list[tuple[float, float]],
          tailport: str, headport: str) -> None:
    """An arrow drawn through invisible waypoints at `points`."""
    names = [a.src] + [f"hop{i}{chr(97 + k)}" for k in range(len(points))] + [a.dst]
    for name, (x, y) in zip(names[1:-1], points, strict=True):
        g.node(name, "", shape="point", width="0.01", style="invis", pos=_pos(x, y))
    line = {k: v for k, v in attrs.items() if k != "arrowhead"}
    for k, (tail, head) in enumerate(zip(names, names[1:], strict=False)):
        ends = {"tailport": tailport} if k == 0 else {}
        if k == len(names) - 2:
            g.edge(tail, head, **attrs, **ends, headport=headport)
        else:
            g.edge(tail, head, **line, **ends, arrowhead="none")


def _around(g: Scene, lay: Layout, i: int, a: Arrow, attrs: dict[str, str], src: Box,
            ys: tuple[float, float]) -> None:
    """An arrow within one column (the input pyramid's) that would cross a box between
    its ends: drawn along the column's left side instead."""
    x = lay.x[src.column] - lay.width[src.column] / 2 - GAP_X / 3
    _hops(g, i, a, attrs, [(x, ys[0]), (x, ys[1])], "w", "w")


def _along(g: Scene, view: View, lay: Layout, i: int, a: Arrow, attrs: dict[str, str],
           ends: tuple[Box, Box]) -> None:
    """A long arrow between two levels (`LONG` columns or more): it changes level in the
    gaps beside its ends and runs along the gap under the coarser of the two levels in
    between (above the middle of the gap, where the bridges of the level below run), so
    it does not cut across the middle of the drawing."""
    src, dst = ends
    coarse = max(src.row, dst.row)
    y = lay.band(coarse, lay.strip_of(src.column))[0] - GAP_Y * (0.22 + 0.04 * (i % 3))
    left = lay.x[src.column] + lay.width[src.column] / 2 + GAP_X / 2
    right = lay.x[dst.column] - lay.width[dst.column] / 2 - GAP_X / 2
    down = src.row > dst.row
    _hops(g, i, a, attrs, [(left, y), (right, y)], "s" if down else "e", "w" if down else "s")


def to_dot(view: View, *, params: dict[str, Any] | None = None, wrap: float = WRAP) -> str:
    """The DOT text of `view`, laid out with pinned positions."""
    return scene_to_dot(build_scene(view, params=params, wrap=wrap))


def build_scene(view: View, *, params: dict[str, Any] | None = None,
                wrap: float = WRAP) -> Scene:
    """Everything drawn for `view`: boxes, arrows, markers and the legend, pinned; a
    drawing wider than `wrap` inches is wrapped into strips (never when `wrap` is 0)."""
    colours = section_colours(view.sections)
    labels = {b.id: box_label(b, view.expanded) for b in view.boxes.values()}
    lay = layout(view, labels, wrap)
    g = Scene(_safe_name(view.name), strips=list(lay.strips))
    g.attr(layout="neato", splines="true", esep="+5", outputorder="edgesfirst", pad="0.3",
           label=_title(view, params or {}), labelloc="t", fontname=FONT, fontsize="14",
           bgcolor="white")
    g.attr("edge", arrowsize="0.6")
    for col in view.columns:
        for box_id in col.boxes:
            box = view.boxes[box_id]
            g.node(box_id, **_box_attrs(box, view, colours, lay, labels[box_id]))
    columns = _boxes_by_column(view, lay)
    connectors: dict[tuple[str, int, str], str] = {}
    for i, a in enumerate(view.arrows):
        _arrow(g, view, lay, i, a, columns, connectors)
    legend_y = _markers(g, view, lay)
    _legend(g, view, colours, lay.left, lay.right, legend_y)
    # keep the title clear of what is drawn over the top row (bridges, ×N brackets)
    top = max(float(a["pos"].split(",")[1].rstrip("!")) + float(a.get("height", 0)) / 2
              for _, _, a in g.nodes)
    g.node("top", "", shape="point", style="invis", width="0.01",
           pos=_pos(lay.left, top + 0.25))
    return g


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"net_{cleaned}"
