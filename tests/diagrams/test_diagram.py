"""Figure 3-style diagrams: the layer view, collapsing, DOT structure and Graphviz output."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from paths import ROOT
from render_checks import check_positions, parse_dot

import mgdsl
from mgdsl.diagrams.block import block_graph, block_names
from mgdsl.diagrams.collapse import collapse, unfolded_columns
from mgdsl.diagrams.diagram import dot_source, draw, render, scene_of
from mgdsl.diagrams.errors import MgRenderError
from mgdsl.diagrams.layers import build_view
from mgdsl.diagrams.scene import scene_to_dot
from mgdsl.diagrams.style import ARROWS
from mgdsl.elab.program import load_program
from mgdsl.ops import OPS

ARCH = ROOT / "architectures"
HAS_DOT = shutil.which("dot") is not None


def _networks() -> list[tuple[str, str]]:
    out = []
    for path in sorted(ARCH.glob("*.mg")):
        for net in load_program(path).networks:
            out.append((path.name, net.name))
    return out


NETWORKS = _networks()


def _ir(file: str, network: str | None = None, **params):
    return mgdsl.build_graph(load_program(ARCH / file), network, **params)


def check_structure(view, scene) -> None:
    """Columns share an x, rows share a y (strip by strip), boxes and arrows match the
    view one to one."""
    source = scene_to_dot(scene)
    nodes, edges = parse_dot(source)
    boxes = {k: v for k, v in nodes.items() if k in view.boxes}
    assert len(boxes) == len(view.boxes)
    pos = {k: tuple(float(c) for c in v["pos"].rstrip("!").split(",")) for k, v in boxes.items()}
    check_positions(view, pos, scene.strips)
    drawn = Counter(re.sub(r"^arrow ", "", e[2]["class"]) for e in edges
                    if e[1] in view.boxes and "class" in e[2])
    assert drawn == Counter(a.kind for a in view.arrows)
    for _, _, attrs in edges:
        if "class" in attrs:
            kind = attrs["class"].split()[-1]
            assert attrs["color"] == ARROWS[kind][0]["color"]


@pytest.mark.parametrize("file,network", NETWORKS, ids=[f"{f}:{n}" for f, n in NETWORKS])
def test_every_network_renders(file: str, network: str) -> None:
    ir = _ir(file, network)
    view = build_view(ir)
    source = dot_source(ir)
    check_structure(view, scene_of(ir))
    weight_scopes = {ir.nodes[n].scope for n in ir if OPS[ir.nodes[n].op].weight_layer}
    layer_scopes = [{ir.nodes[view.boxes[b].node].scope for b in c.boxes}
                    for c in view.columns if c.kind == "layer"]
    assert all(len(s) == 1 for s in layer_scopes), "one op instance per layer column"
    on_arrows = {ir.nodes[m].scope for a in view.arrows for m in a.nodes
                 if OPS[ir.nodes[m].op].weight_layer}
    assert {s.pop() for s in layer_scopes} | on_arrows == weight_scopes, \
        "columns are the layers, except layers drawn as cross-scale or projection arrows"
    for box in view.boxes.values():
        level = ir.nodes[box.node].level
        if level is not None:
            assert box.row == level, "rows are pyramid levels"
    folded = collapse(view)
    check_structure(folded, scene_of(ir, collapse=True))
    assert unfolded_columns(folded) == len(view.columns)
    if HAS_DOT:
        svg = draw(source, "svg").decode()
        assert "<svg" in svg and "</svg>" in svg


def test_dot_is_byte_identical_across_runs(tmp_path: Path) -> None:
    code = ("import mgdsl, sys; sys.stdout.write(mgdsl.render(mgdsl.load("
            "'architectures/rpmg-mnist.mg'), collapse=True))")
    outs = []
    for seed in ("1", "2"):
        env = {"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}
        outs.append(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                                   capture_output=True, check=True).stdout)
    assert outs[0] == outs[1] and outs[0].startswith(b"digraph")
    assert dot_source(_ir("rpmg-mnist.mg")) == dot_source(_ir("rpmg-mnist.mg"))


def test_mg_layers_levels_and_pooling() -> None:
    view = build_view(_ir("mg.mg", n=1))
    kinds = [c.kind for c in view.columns]
    # input, stems, then s1..s5 with a pooling column after s1..s4, the head and output
    assert kinds == ["input", "layer", "pool", "layer", "pool", "layer", "pool", "layer",
                     "pool", "layer", "layer", "output"]
    assert [len(c.boxes) for c in view.columns] == [3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 1, 1]
    assert {a.kind for a in view.arrows} == {"same", "pool", "upsample"}
    first_pool = view.columns[2]
    assert [view.boxes[b].row for b in first_pool.boxes] == [1, 2, 3]


def test_residual_skip_and_progressive_kinds() -> None:
    rpmg = build_view(_ir("rpmg-mnist.mg"))
    kinds = Counter(a.kind for a in rpmg.arrows)
    assert kinds["residual"] > 0 and "skipcat" not in kinds
    assert sum(b.dropped for b in rpmg.boxes.values()) == 3  # B5, B6, B7 drop a grid each
    unet = build_view(_ir("unet.mg"))
    assert Counter(a.kind for a in unet.arrows)["skipcat"] == 3
    assert "residual" not in {a.kind for a in unet.arrows}
    mg = build_view(_ir("mg.mg"))
    assert not any(b.dropped for b in mg.boxes.values())


def test_collapse_folds_repeated_units() -> None:
    ir = mgdsl.load("R-PMG-44")
    view = build_view(ir)
    folded = collapse(view)
    assert len(folded.columns) < len(view.columns) * 2 // 3
    assert {run for c in folded.columns for run in c.runs} >= {(3, 2)}
    source = dot_source(ir, collapse=True)
    assert "×3" in source
    unet = build_view(_ir("unet.mg"))
    assert len(collapse(unet).columns) == len(unet.columns)


@pytest.mark.parametrize("name", block_names())
def test_every_std_block_renders_expanded(name: str) -> None:
    ir = block_graph(name)
    view = build_view(ir, expand=True)
    assert len(view.boxes) == len(ir)  # every IR node is drawn
    source = render(None, block=name)
    check_structure(view, scene_of(None, block=name))
    nodes, _ = parse_dot(source)
    assert {f"n{n}" for n in ir} <= set(nodes)


def test_unknown_block_suggests_a_name() -> None:
    with pytest.raises(MgRenderError) as exc:
        render(None, block="mgcnov")
    assert exc.value.code == "E963" and "mgconv" in (exc.value.hint or "")


def test_unknown_ops_still_render() -> None:
    ir = _ir("unet.mg")
    for n in ir:
        if ir.nodes[n].op == "relu":
            ir.nodes[n].op = "frobnicate"
    for u, v in list(ir.edges)[:3]:
        ir.edges[u, v]["kind"] = "wormhole"
    view = build_view(ir)
    assert any(b.kind == "op" and b.op == "frobnicate" for b in view.boxes.values())
    assert render(ir).startswith("digraph")


def test_unknown_format_and_atomic_write(tmp_path: Path, monkeypatch) -> None:
    ir = _ir("sg.mg")
    with pytest.raises(MgRenderError) as exc:
        render(ir, tmp_path / "x.jpg")
    assert exc.value.code == "E962"
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(MgRenderError) as exc:
        render(ir, tmp_path / "x.svg")
    assert exc.value.code == "E961" and "apt-get install graphviz" in exc.value.message
    assert "\n" not in exc.value.message
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    source = render(ir, tmp_path / "x.dot")  # DOT needs no Graphviz
    assert (tmp_path / "x.dot").read_text(encoding="utf-8") == source


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz `dot` is not installed")
@pytest.mark.parametrize("fmt,magic", [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_binary_formats(tmp_path: Path, fmt: str, magic: bytes) -> None:
    out = tmp_path / f"net.{fmt}"
    render(_ir("unet.mg"), out)
    assert out.read_bytes().startswith(magic)


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz `dot` is not installed")
def test_svg_tooltips_give_full_shapes() -> None:
    svg = draw(dot_source(_ir("unet.mg")), "svg").decode()
    assert "conv 64×64×64" in svg
