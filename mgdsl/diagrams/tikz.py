"""A `Scene` -> a TikZ picture (`mgdsl render NET -o fig.tex`): the same pinned layout,
colours and legend as the Graphviz drawing, with text as text, for camera-ready papers.

`to_tikz(scene)` is a standalone LaTeX document (article, a page the size of the
picture, Latin Modern Sans, TikZ) that `pdflatex` compiles as it is; with `body=True`
it is only the `tikzpicture`, to `\\input` into a paper that loads TikZ with the
`arrows.meta` and `shapes.symbols` libraries. Coordinates are inches (`x=1in, y=1in`),
colours are defined once each (`mgcolourN`), and each arrow kind is a style
(`mg same`, `mg pool`, ...) so a paper can restyle them. The text is identical on every run.

>>> from mgdsl.diagrams.scene import Scene
>>> s = Scene("N", graph={"label": "N"})
>>> s.node("n0", "8", shape="box", style="filled", fillcolor="#9fc0ef", width="0.46",
...        height="0.5", pos="0,0!")
>>> s.node("n1", "8", shape="box", style="filled", fillcolor="#9fc0ef", width="0.46",
...        height="0.5", pos="1,0!")
>>> s.edge("n0", "n1", color="#404040", penwidth="1.2", **{"class": "arrow same"})
>>> print(to_tikz(s, body=True).splitlines()[-2])
\\draw[mg same] (n0) -- (n1);
"""

from __future__ import annotations

import re

from mgdsl.diagrams.scene import Scene
from mgdsl.diagrams.style import ARROWS

__all__ = ["to_tikz", "latex_text", "TIKZ_LIBRARIES"]

TIKZ_LIBRARIES = ("arrows.meta", "shapes.symbols")
PAD = 0.3  # inches around the picture, as Graphviz's `pad`

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
            "#": r"\#", "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}",
            "×": r"$\times$", "✕": r"$\times$", "⊕": r"$\oplus$", "<": r"\textless{}",
            ">": r"\textgreater{}"}

_TIPS = {"normal": "Stealth[length=5pt,width=4pt]", "vee": "Stealth[length=5pt,width=4pt]",
         "onormal": "Triangle[open,length=5pt,width=5pt]",
         "diamond": "Diamond[length=6pt,width=5pt]", "dot": "Circle[length=4pt]"}


def latex_text(text: str) -> str:
    """`text` with LaTeX's special characters escaped; Graphviz's `\\n` breaks lines."""
    lines = text.split("\\n")
    return r"\\".join("".join(_SPECIAL.get(c, c) for c in line) for line in lines)


class _Colours:
    """Every colour of the picture, named in order of first use."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        value = value.lower()
        if not re.fullmatch(r"#[0-9a-f]{6}", value):
            return {"white": "white", "black": "black"}.get(value, "black")
        if value not in self.names:
            self.names[value] = f"mgcolour{len(self.names)}"
        return self.names[value]

    def definitions(self) -> list[str]:
        return [rf"\definecolor{{{name}}}{{HTML}}{{{value[1:].upper()}}}"
                for value, name in self.names.items()]


def _f(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") or "0"


def _pos(attrs: dict[str, str]) -> tuple[float, float]:
    x, y = attrs["pos"].rstrip("!").split(",")
    return float(x), float(y)


def _font(size: str | None) -> str:
    pt = float(size or 10)
    return rf"\sffamily\fontsize{{{_f(pt)}}}{{{_f(pt * 1.2)}}}\selectfont"


def _node(name: str, label: str, attrs: dict[str, str], colour: _Colours) -> str:
    x, y = _pos(attrs)
    shape = attrs.get("shape", "box")
    style = set(attrs.get("style", "").split(","))
    if "invis" in style:
        return rf"\coordinate ({name}) at ({_f(x)},{_f(y)});"
    opts: list[str] = []
    width, height = attrs.get("width"), attrs.get("height")
    if shape == "point":
        size = float(width or 0.05)
        opts += ["circle", "fill=black", "inner sep=0pt", f"minimum size={_f(size)}in"]
        return rf"\node[{', '.join(opts)}] ({name}) at ({_f(x)},{_f(y)}) {{}};"
    if shape == "plaintext":
        opts += ["inner sep=1pt"]
    else:
        opts += {"circle": ["circle"], "cds": ["signal", "signal to=east",
                                                       "signal pointer angle=140"]}.get(
            shape, ["rectangle"])
        opts += [f"draw={colour(attrs.get('color', 'black'))}", "inner sep=1pt",
                 f"minimum width={_f(float(width))}in" if width else "",
                 f"minimum height={_f(float(height))}in" if height else ""]
        if "filled" in style:
            opts.append(f"fill={colour(attrs.get('fillcolor', '#d3d3d3'))}")
        if "bold" in style:
            opts.append("line width=1.6pt")
        if "dashed" in style:
            opts.append("dashed")
        if "dotted" in style:
            opts.append("dotted")
        if "rounded" in style:
            opts.append("rounded corners=3pt")
        if attrs.get("peripheries") == "2":  # shared weights: a double outline
            opts.append("double")
    if "fontcolor" in attrs:
        opts.append(f"text={colour(attrs['fontcolor'])}")
    opts += ["align=center", f"font={_font(attrs.get('fontsize'))}"]
    opts = [o for o in opts if o]
    return rf"\node[{', '.join(opts)}] ({name}) at ({_f(x)},{_f(y)}) {{{latex_text(label)}}};"


_ANCHORS = {"n": "north", "s": "south", "e": "east", "w": "west"}


def _end(name: str, port: str | None, points: set[str]) -> str:
    if port in _ANCHORS and name not in points:
        return f"({name}.{_ANCHORS[port]})"
    return f"({name})"


def _edge_options(attrs: dict[str, str], colour: _Colours) -> list[str]:
    opts = [f"draw={colour(attrs.get('color', 'black'))}",
            f"line width={_f(0.8 * float(attrs.get('penwidth', 1)))}pt"]
    style = attrs.get("style", "")
    if "dashed" in style:
        opts.append("dashed")
    if "dotted" in style:
        opts.append("dotted")
    return opts


def _tip(attrs: dict[str, str]) -> str:
    if attrs.get("dir") == "none" or attrs.get("arrowhead") == "none":
        return "-"
    return "-{" + _TIPS.get(attrs.get("arrowhead", "normal"), _TIPS["normal"]) + "}"


def _extent(scene: Scene) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []
    for _, label, attrs in scene.nodes:
        x, y = _pos(attrs)
        w = float(attrs.get("width", 0.062 * len(label) + 0.1))
        h = float(attrs.get("height", 0.25))
        xs += [x - w / 2, x + w / 2]
        ys += [y - h / 2, y + h / 2]
    return min(xs), min(ys), max(xs), max(ys)


def _picture(scene: Scene) -> list[str]:
    colour = _Colours()
    styles = []
    for kind, (attrs, _) in ARROWS.items():
        styles.append(f"mg {kind}/.style={{{', '.join(_edge_options(attrs, colour))}, "
                      f"{_tip(attrs)}}}")
    left, bottom, right, top = _extent(scene)
    body = []
    title = scene.graph.get("label")
    if title:
        top += 0.35
        body.append(rf"\node[font={_font(scene.graph.get('fontsize', '14'))}] (title) at "
                    rf"({_f((left + right) / 2)},{_f(top - 0.12)}) {{{latex_text(title)}}};")
    points = {name for name, _, attrs in scene.nodes
              if attrs.get("shape") == "point" or "invis" in attrs.get("style", "")}
    for name, label, attrs in scene.nodes:
        body.append(_node(name, label, attrs, colour))
    for tail, head, attrs in scene.edges:
        kind = attrs.get("class", "").split()[-1] if attrs.get("class") else None
        ends = (f"{_end(tail, attrs.get('tailport'), points)} -- "
                f"{_end(head, attrs.get('headport'), points)}")
        if kind in ARROWS:
            extra = "" if _tip(attrs) == _tip(ARROWS[kind][0]) else f", {_tip(attrs)}"
            if "invis" in attrs.get("style", ""):
                extra += ", draw=none"  # joins a wrapped arrow's connectors, unseen
            body.append(rf"\draw[mg {kind}{extra}] {ends};")
        else:
            body.append(rf"\draw[{', '.join(_edge_options(attrs, colour))}, {_tip(attrs)}] "
                        f"{ends};")
    box = (rf"\useasboundingbox ({_f(left - PAD)},{_f(bottom - PAD)}) rectangle "
           rf"({_f(right + PAD)},{_f(top + PAD)});")
    return ([r"\begin{tikzpicture}[x=1in, y=1in, font=\sffamily]"] + colour.definitions()
            + [r"\tikzset{" + ",\n  ".join(styles) + "}", box] + body + [r"\end{tikzpicture}"])


def to_tikz(scene: Scene, *, body: bool = False) -> str:
    """The TikZ text of `scene`: a standalone document, or only the `tikzpicture`."""
    picture = _picture(scene)
    if body:
        return "\n".join(picture) + "\n"
    head = [
        f"% {scene.name}: drawn by mgdsl; compile with pdflatex",
        r"\documentclass{article}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage{lmodern}",
        r"\usepackage{tikz}",
        rf"\usetikzlibrary{{{','.join(TIKZ_LIBRARIES)}}}",
        r"\renewcommand{\familydefault}{\sfdefault}",
        r"\newsavebox{\mgpicture}",
        r"\begin{document}",
        r"\savebox{\mgpicture}{%",
    ]
    # a page exactly the size of the picture (what the `standalone` class does)
    tail = [
        r"}%",
        r"\pdfpagewidth=\wd\mgpicture",
        r"\pdfpageheight=\dimexpr\ht\mgpicture+\dp\mgpicture\relax",
        r"\pdfhorigin=0pt",
        r"\pdfvorigin=0pt",
        r"\shipout\hbox{\usebox{\mgpicture}}",
        r"\end{document}",
    ]
    picture[-1] += "%"
    return "\n".join(head + picture + tail) + "\n"
