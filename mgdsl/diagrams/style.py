"""How diagrams look: section colours, box sizes, arrow styles and their legend words.

Colours follow Figure 1 of the paper: sections run along a ramp from blue (the first) to
red (the last). Box heights grow with the grid's resolution (one step per halving), so a
pyramid reads as a stack of shrinking grids.

>>> section_colours(["s1", "s2", "s3"])["s1"], section_colours(["s1", "s2", "s3"])["s3"]
('#9fc0ef', '#efa39f')
>>> box_size((64, 32, 32)) > box_size((64, 16, 16))
True
"""

from __future__ import annotations

import colorsys
import math

from mgdsl.ops import OPS

__all__ = ["section_colours", "box_size", "ARROWS", "BOX_KINDS", "NEUTRAL", "op_colour"]

NEUTRAL = "#e8e8e8"

# arrow kind -> (graphviz edge attributes, legend text); the kinds of `layers.ARROW_KINDS`
ARROWS: dict[str, tuple[dict[str, str], str]] = {
    "same": ({"color": "#404040", "penwidth": "1.2"}, "same level"),
    "pool": ({"color": "#2c6fbb", "penwidth": "1.2"}, "pool to a coarser level"),
    "upsample": ({"color": "#d0542a", "penwidth": "1.2"}, "upsample to a finer level"),
    "reshape": ({"color": "#8c6d1f", "penwidth": "1.4", "style": "dotted"},
                "space <-> channels to another level (no resampling)"),
    "xconv": ({"color": "#7b3294", "penwidth": "1.8"},
              "cross-scale conv or read (strided, resampled, across levels)"),
    "broadcast": ({"color": "#6a6a6a", "penwidth": "1.2", "style": "dotted",
                   "arrowhead": "dot"}, "broadcast over the grid (gate / scale)"),
    "residual": ({"color": "#2e8b57", "penwidth": "1.6", "style": "dashed",
                  "arrowhead": "onormal"}, "residual shortcut (identity / projection)"),
    "skipcat": ({"color": "#c51b7d", "penwidth": "1.6", "style": "dashed",
                 "arrowhead": "diamond"}, "skip concatenation"),
}

# box kind -> (graphviz node attributes, legend text)
BOX_KINDS: dict[str, tuple[dict[str, str], str]] = {
    "input": ({"shape": "box", "style": "filled,bold", "fillcolor": "#ffffff"},
              "input pyramid"),
    "layer": ({"shape": "box", "style": "filled"}, "grid of a layer (channels)"),
    "pool": ({"shape": "box", "style": "filled,dashed"}, "pooled / merged grids"),
    "op": ({"shape": "box", "style": "filled,rounded"}, "other op"),
    "add": ({"shape": "circle", "style": "filled", "fillcolor": "#ffffff"},
            "sum of its inputs (add)"),
    "output": ({"shape": "cds", "style": "filled", "fillcolor": "#fff3b0"}, "output head"),
}

def op_colour(op: str) -> str:
    """The fill colour of an op in expanded (block) diagrams (its spec's `colour`); grey
    when unknown."""
    spec = OPS.get(op)
    return spec.colour if spec is not None else NEUTRAL


def _ramp(t: float) -> str:
    """A light colour between blue (t = 0) and red (t = 1)."""
    hue = (215.0 - 212.0 * t) / 360.0
    r, g, b = colorsys.hls_to_rgb(hue % 1.0, 0.78, 0.72)
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in (r, g, b)))


def section_colours(sections: list[str]) -> dict[str, str]:
    """Each section's fill colour, from blue for the first to red for the last."""
    n = len(sections)
    return {s: _ramp(i / (n - 1) if n > 1 else 0.0) for i, s in enumerate(sections)}


def box_size(shape: tuple[int, ...]) -> tuple[float, float]:
    """(width, height) in inches of the box drawing a grid (or vector) of `shape`."""
    if len(shape) == 3:
        side = max(shape[1], shape[2], 1)
        height = 0.32 + 0.2 * math.log2(side)
        return 0.46, round(height, 3)
    return 0.46, 0.32
