"""Figure 3-style diagrams of a network: DOT text, and SVG, PNG or PDF through Graphviz.

`render(ir)` returns the DOT source; `render(ir, "net.svg")` also writes the drawing.
Boxes are pinned (`layout=neato`, `pos="x,y!"`): columns are layers, rows are pyramid
levels, finest at the bottom. DOT output needs no Graphviz program; the other formats
run Graphviz's `dot` and fail with `MgRenderError` (E961) when it is not installed.

>>> import mgdsl
>>> ir = mgdsl.build_graph('network N() { input x: 1 x 8 x 8  output y = relu(x) }')
>>> render(ir).splitlines()[0]
'digraph N {'
"""

from __future__ import annotations

import networkx as nx

from mgdsl.atomic import write_atomic
from mgdsl.diagrams.collapse import collapse as collapse_view
from mgdsl.diagrams.emit import to_dot
from mgdsl.diagrams.errors import GRAPHVIZ_HINT, MgRenderError
from mgdsl.diagrams.layers import build_view

__all__ = ["render", "dot_source", "draw", "FORMATS"]

FORMATS = ("dot", "svg", "png", "pdf")


def dot_source(ir: nx.DiGraph | None = None, *, collapse: bool = False,
               block: str | None = None, expand: bool = False) -> str:
    """The DOT text of the diagram of `ir`, or of standard block `block` drawn expanded."""
    if block is not None:
        from mgdsl.diagrams.block import block_graph

        ir, expand = block_graph(block), True
    if ir is None:
        raise MgRenderError("nothing to draw: give a network or a block name", code="E960",
                            hint="for example `mgdsl render PMG-11-seg -o net.svg` or "
                                 "`mgdsl render --block mgconv -o block.svg`")
    view = build_view(ir, expand=expand)
    if collapse:
        view = collapse_view(view)
    params = ir.graph.get("params") or {}
    return to_dot(view, params=params)


def draw(source: str, fmt: str) -> bytes:
    """Run Graphviz on DOT `source` and return the drawing in `fmt` (svg, png or pdf)."""
    import graphviz

    try:
        return graphviz.Source(source, engine="dot").pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound:
        raise MgRenderError(f"drawing {fmt.upper()} needs Graphviz's `dot` program, which is "
                            f"not installed: {GRAPHVIZ_HINT}", code="E961") from None
    except graphviz.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise MgRenderError(f"Graphviz failed to draw the {fmt.upper()}: "
                            f"{detail[-1] if detail else exc.returncode}", code="E964") from None


def _format(path: str | None, fmt: str | None) -> str:
    if fmt is None:
        suffix = str(path).rsplit(".", 1)[-1].lower() if path and "." in str(path) else "dot"
        fmt = "dot" if suffix == "gv" else suffix
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise MgRenderError(f"cannot draw `.{fmt}` files", code="E962",
                            hint="use one of " + ", ".join(f".{f}" for f in FORMATS))
    return fmt


def render(ir: nx.DiGraph | None, path: str | None = None, *, fmt: str | None = None,
           collapse: bool = False, block: str | None = None, expand: bool = False) -> str:
    """Draw `ir` like the paper's Figure 3 and return the DOT source.

    With `path`, also write the drawing there, in `fmt` or the format its suffix names
    (`.dot`, `.svg`, `.png`, `.pdf`), through a temporary file and a rename so that a
    failure never leaves a half-written file. `collapse` folds runs of identical layers
    into one column marked `×N`; `block` draws a standard-library block expanded instead
    of `ir`; `expand` draws every IR node of `ir` as its own box.
    """
    kind = _format(path, fmt) if path is not None or fmt is not None else "dot"
    source = dot_source(ir, collapse=collapse, block=block, expand=expand)
    if path is None:
        return source
    write_atomic(path, source if kind == "dot" else draw(source, kind))
    return source
