"""Diagram outputs beyond DOT: TikZ compiled by a real LaTeX, PDF through Graphviz, and
the Jupyter display of diagrams, IRs and cost tables (through IPython's formatter)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from paths import ROOT
from render_checks import tikz_drawing

import mgdsl
from mgdsl.cli.main import main
from mgdsl.diagrams.diagram import Diagram, tikz_source
from mgdsl.diagrams.errors import MgRenderError

NETS = ROOT / "tests" / "data" / "nets"
HAS_DOT = shutil.which("dot") is not None
HAS_LATEX = shutil.which("pdflatex") is not None
needs_latex = pytest.mark.skipif(not HAS_LATEX, reason="pdflatex is not installed "
                                 "(scripts/setup.sh installs texlive-latex-base)")


def _pdflatex(tex: Path) -> Path:
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           tex.name], cwd=tex.parent, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return tex.with_suffix(".pdf")


@needs_latex
def test_tikz_document_compiles_to_one_page_of_the_picture(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    tex = tmp_path / "hrnet.tex"
    assert main(["render", str(NETS / "hrnet.mg"), "--collapse", "-o", str(tex)]) == 0
    source = tex.read_text(encoding="utf-8")
    assert source.startswith("% HRNetW18") and r"\begin{tikzpicture}" in source
    pdf = pypdf.PdfReader(_pdflatex(tex))
    assert len(pdf.pages) == 1
    page = pdf.pages[0]
    pos, _ = tikz_drawing(source)
    xs = [x for x, _ in pos.values()]
    width_in = float(page.mediabox.width) / 72
    assert max(xs) - min(xs) < width_in < max(xs) - min(xs) + 3, "the page is the picture"
    text = page.extract_text()
    for word in ("HRNetW18", "stage3", "144", "cross-scale conv", "residual shortcut",
                 "identical repetitions"):
        assert word in text, word  # vector text, not pixels


@needs_latex
def test_tikz_body_can_be_input_into_a_paper(tmp_path: Path) -> None:
    body = tmp_path / "fig.tex"
    assert main(["render", str(NETS / "exchange.mg"), "--tikz-body", "-o", str(body)]) == 0
    text = body.read_text(encoding="utf-8")
    assert text.startswith(r"\begin{tikzpicture}") and r"\documentclass" not in text
    paper = tmp_path / "paper.tex"
    paper.write_text("\\documentclass{article}\n\\usepackage{tikz}\n"
                     "\\usetikzlibrary{arrows.meta,shapes.symbols}\n"
                     "\\begin{document}\nFigure:\n\n\\resizebox{\\linewidth}{!}{\\input{fig}}\n"
                     "\\end{document}\n", encoding="utf-8")
    assert _pdflatex(paper).read_bytes().startswith(b"%PDF")


def test_tikz_escapes_latex_and_matches_the_dot_layout() -> None:
    ir = mgdsl.load(NETS / "fpn.mg")
    diagram = mgdsl.render(ir)
    assert isinstance(diagram, Diagram) and diagram.startswith("digraph FPN")
    tikz = diagram.tikz()
    assert tikz == tikz_source(ir) and r"\useasboundingbox" in tikz
    pos, arrows = tikz_drawing(tikz)
    dot_pos = {}
    for name, _, attrs in diagram.scene.nodes:
        x, y = attrs["pos"].rstrip("!").split(",")
        dot_pos[name] = (float(x), float(y))
    assert all(abs(pos[k][0] - v[0]) < 1e-3 and abs(pos[k][1] - v[1]) < 1e-3
               for k, v in dot_pos.items())
    from mgdsl.diagrams.tikz import latex_text

    assert latex_text("a_b & 50% ×2") == r"a\_b \& 50\% $\times$2"


def test_tikz_body_needs_tex_output(tmp_path: Path) -> None:
    with pytest.raises(MgRenderError) as exc:
        mgdsl.render(mgdsl.load(NETS / "exchange.mg"), tmp_path / "x.svg", tikz_body=True)
    assert exc.value.code == "E900"
    assert not (tmp_path / "x.svg").exists()


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz `dot` is not installed")
def test_pdf_still_goes_through_graphviz(tmp_path: Path) -> None:
    out = tmp_path / "fig.pdf"
    assert main(["render", str(NETS / "octconv.mg"), "-o", str(out)]) == 0
    pypdf = pytest.importorskip("pypdf")
    assert out.read_bytes().startswith(b"%PDF")
    pdf = pypdf.PdfReader(out)
    assert "cairo" in pdf.metadata["/Producer"]  # Graphviz's renderer, not LaTeX
    assert "OctNet" in pdf.pages[0].extract_text()


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz `dot` is not installed")
def test_notebook_display_of_diagram_and_ir() -> None:
    formatters = pytest.importorskip("IPython.core.formatters")
    fmt = formatters.DisplayFormatter()
    ir = mgdsl.load(NETS / "exchange.mg")
    data, _ = fmt.format(mgdsl.render(ir))
    assert data["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
    data, _ = fmt.format(ir)
    assert "<svg" in data["image/svg+xml"]
    assert data["text/html"].startswith('<div class="mgdsl-network">')
    assert "T(): 22 IR nodes, 4,976 parameters" in data["text/html"]
    assert data["text/plain"] == "<network T: 22 IR nodes, 23 edges>"


def test_notebook_without_graphviz_falls_back_to_text(monkeypatch, tmp_path: Path) -> None:
    formatters = pytest.importorskip("IPython.core.formatters")
    monkeypatch.setenv("PATH", str(tmp_path))
    data, _ = formatters.DisplayFormatter().format(mgdsl.load(NETS / "exchange.mg"))
    assert set(data) == {"text/plain"}


def test_stats_print_and_display_as_tables() -> None:
    formatters = pytest.importorskip("IPython.core.formatters")
    cost = mgdsl.stats(mgdsl.load("SG-11-seg"))
    text = str(cost)
    assert "defaultdict" not in text and "defaultdict" not in repr(cost)
    assert text.splitlines()[0] == "parameters  228,894"
    assert "by section:" in text and "  body     222,336  905,969,664" in text
    assert repr(cost).startswith("Cost(params=228894, macs=931921920")
    data, _ = formatters.DisplayFormatter().format(cost)
    html = data["text/html"]
    assert html.startswith('<table class="mgdsl-cost">') and "<td" in html
    assert "228,894" in html and "by op" in html
