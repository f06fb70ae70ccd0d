"""Figure 3-style diagrams of a network: DOT text, TikZ, and SVG, PNG or PDF through Graphviz.

`render(ir)` returns a `Diagram` (the DOT text, a `str`, that shows itself as SVG in
Jupyter); `render(ir, "net.svg")` also writes the drawing. Boxes are pinned
(`layout=neato`, `pos="x,y!"`): columns are layers, rows are pyramid levels, finest at the
bottom. DOT and TikZ (`.tex`) need no Graphviz program; the other formats run Graphviz's
`dot` and fail with `MgRenderError` (E961) when it is not installed.

>>> import mgdsl
>>> ir = mgdsl.build_graph('network N() { input x: 1 x 8 x 8  output y = relu(x) }')
>>> render(ir).splitlines()[0]
'digraph N {'
"""

from __future__ import annotations

import networkx as nx

from mgdsl.atomic import write_atomic
from mgdsl.diagrams.collapse import collapse as collapse_view
from mgdsl.diagrams.draw import draw
from mgdsl.diagrams.emit import build_scene
from mgdsl.diagrams.errors import MgRenderError
from mgdsl.diagrams.layers import build_view
from mgdsl.diagrams.layout import WRAP
from mgdsl.diagrams.scene import Scene, scene_to_dot
from mgdsl.diagrams.tikz import to_tikz

__all__ = ["render", "dot_source", "tikz_source", "scene_of", "draw", "Diagram", "FORMATS"]

FORMATS = ("dot", "svg", "png", "pdf", "tex")


class Diagram(str):
    """The DOT text of a diagram, with its TikZ twin; Jupyter shows it as SVG.

    A `str`, so existing code that reads DOT keeps working; `svg()` runs Graphviz,
    `tikz()` gives the LaTeX picture.
    """

    scene: Scene

    def __new__(cls, scene: Scene) -> Diagram:
        obj = super().__new__(cls, scene_to_dot(scene))
        obj.scene = scene
        return obj

    def svg(self) -> str:
        """The SVG drawing (needs Graphviz's `dot`)."""
        return draw(str(self), "svg").decode("utf-8")

    def tikz(self, *, body: bool = False) -> str:
        """The TikZ picture: a standalone document, or only the `tikzpicture`."""
        return to_tikz(self.scene, body=body)

    def _repr_svg_(self) -> str | None:
        try:
            return self.svg()
        except MgRenderError:
            return None  # no Graphviz: the notebook shows the text instead


def scene_of(ir: nx.DiGraph | None = None, *, collapse: bool = False,
             block: str | None = None, expand: bool = False, wrap: float = WRAP) -> Scene:
    """Everything drawn for `ir` (or standard block `block`, expanded), pinned; wrapped
    into strips where wider than `wrap` inches (0: never)."""
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
    return build_scene(view, params=ir.graph.get("params") or {}, wrap=wrap)


def dot_source(ir: nx.DiGraph | None = None, *, collapse: bool = False,
               block: str | None = None, expand: bool = False, wrap: float = WRAP) -> str:
    """The DOT text of the diagram of `ir`, or of standard block `block` drawn expanded."""
    return scene_to_dot(scene_of(ir, collapse=collapse, block=block, expand=expand,
                                 wrap=wrap))


def tikz_source(ir: nx.DiGraph | None = None, *, collapse: bool = False,
                block: str | None = None, expand: bool = False, body: bool = False,
                wrap: float = WRAP) -> str:
    """The TikZ text of the diagram: a standalone document, or (`body`) the picture."""
    return to_tikz(scene_of(ir, collapse=collapse, block=block, expand=expand, wrap=wrap),
                   body=body)


def output_format(path: str | None, fmt: str | None) -> str:
    """The format `fmt` names, or the suffix of `path` (DOT when neither says)."""
    if fmt is None:
        suffix = str(path).rsplit(".", 1)[-1].lower() if path and "." in str(path) else "dot"
        fmt = "dot" if suffix == "gv" else suffix
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise MgRenderError(f"cannot draw `.{fmt}` files", code="E962",
                            hint="use one of " + ", ".join(f".{f}" for f in FORMATS))
    return fmt


def render(ir: nx.DiGraph | None, path: str | None = None, *, fmt: str | None = None,
           collapse: bool = False, block: str | None = None, expand: bool = False,
           tikz_body: bool = False, wrap: float = WRAP) -> Diagram:
    """Draw `ir` like the paper's Figure 3 and return the `Diagram` (its DOT text).

    With `path`, also write the drawing there, in `fmt` or the format its suffix names
    (`.dot`, `.svg`, `.png`, `.pdf`, `.tex`), through a temporary file and a rename so
    that a failure never leaves a half-written file. `.tex` is a standalone TikZ document,
    or with `tikz_body` only the `tikzpicture`. `collapse` folds repeated structure into
    one copy marked `×N`; `block` draws a standard-library block expanded instead of
    `ir`; `expand` draws every IR node of `ir` as its own box. A drawing wider than `wrap`
    inches (25, about 2,500 px) is wrapped into strips stacked top to bottom, like lines
    of text, an arrow between strips drawn with a lettered connector at each end; `wrap=0`
    never wraps.
    """
    kind = output_format(path, fmt) if path is not None or fmt is not None else "dot"
    if tikz_body and kind != "tex":
        raise MgRenderError(f"only a TikZ picture body was asked for (`--tikz-body`), but "
                            f"the output is `.{kind}`", code="E900",
                            hint="write to a `.tex` file, or leave out --tikz-body")
    diagram = Diagram(scene_of(ir, collapse=collapse, block=block, expand=expand, wrap=wrap))
    if path is None:
        return diagram
    if kind == "tex":
        write_atomic(path, diagram.tikz(body=tikz_body))
    else:
        write_atomic(path, str(diagram) if kind == "dot" else draw(str(diagram), kind))
    return diagram
