"""Diagram structure, checked on the DOT and TikZ text of every network we have: every
file in architectures/ and examples/, the test networks in tests/data/nets (the exchange
unit of issue 16, HRNet-W18, FPN, OctConv, ResNet-18), folded and unfolded."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import mgdsl
from mgdsl.diagrams.collapse import collapse, unfolded_columns
from mgdsl.diagrams.diagram import draw, scene_of
from mgdsl.diagrams.emit import build_scene
from mgdsl.diagrams.layers import build_view
from mgdsl.diagrams.scene import scene_to_dot
from mgdsl.diagrams.tikz import to_tikz
from mgdsl.elab.program import load_program
from tests.render_checks import check_drawing, dot_drawing, layer_count, tikz_drawing

ROOT = Path(__file__).resolve().parent.parent
NETS = ROOT / "tests" / "data" / "nets"
HAS_DOT = shutil.which("dot") is not None


def _networks() -> list[tuple[Path, str]]:
    out = []
    files = sorted((ROOT / "architectures").glob("*.mg")) + sorted(
        (ROOT / "examples").glob("**/*.mg")) + sorted(NETS.glob("*.mg"))
    for path in files:
        for net in load_program(path).networks:
            out.append((path, net.name))
    return out


NETWORKS = _networks()
IDS = [f"{p.parent.name}/{p.name}:{n}" for p, n in NETWORKS]


@pytest.fixture(scope="module", params=NETWORKS, ids=IDS)
def network(request):
    path, name = request.param
    return mgdsl.build_graph(load_program(path), name)


def test_columns_are_layers_and_arrows_have_the_ir_kinds(network) -> None:
    ir = network
    view = build_view(ir)
    count, parallel = layer_count(ir, view)
    if parallel:  # two layers on one grid side by side (OctConv): one column each
        assert count < len(view.columns) < 2 * count
    else:
        assert len(view.columns) == count, "a column per layer, none wasted"
    scene = build_scene(view, params=ir.graph["params"])
    check_drawing(ir, view, *dot_drawing(scene_to_dot(scene)), collapsed=False)
    check_drawing(ir, view, *tikz_drawing(to_tikz(scene)), collapsed=False)


def test_collapsed_drawing_keeps_the_structure(network) -> None:
    ir = network
    view = build_view(ir)
    folded = collapse(view)
    assert unfolded_columns(folded) == len(view.columns)
    scene = build_scene(folded, params=ir.graph["params"])
    check_drawing(ir, folded, *dot_drawing(scene_to_dot(scene)), collapsed=True)
    check_drawing(ir, folded, *tikz_drawing(to_tikz(scene)), collapsed=True)


def _ir(name: str):
    return mgdsl.load(NETS / name)


def test_exchange_unit_is_two_merges_fed_across_scales() -> None:
    view = build_view(_ir("exchange.mg"))
    assert [c.kind for c in view.columns] == ["input", "layer", "add", "layer", "output"]
    adds = view.columns[2].boxes
    assert sorted(view.boxes[b].row for b in adds) == [0, 1]
    into = {b: sorted(a.kind for a in view.arrows if a.dst == b) for b in adds}
    assert all(kinds == ["same", "xconv"] for kinds in into.values())
    ups = [a for a in view.arrows if a.kind == "xconv" and view.boxes[a.dst].row == 0]
    assert ups and ups[0].via == ("conv", "upsample")


def test_projection_shortcut_is_the_arc_and_the_main_path_straight() -> None:
    view = build_view(_ir("resnet18.mg"))
    residual = [a for a in view.arrows if a.kind == "residual"]
    projections = [a for a in residual if "conv" in a.via]
    assert len(projections) == 3 and len(residual) == 8
    for a in projections:
        assert view.boxes[a.dst].kind == "layer" and "add" in view.boxes[a.dst].folded
        assert view.boxes[a.src].row + 1 == view.boxes[a.dst].row  # strided: down a level
    strided = [a for a in view.arrows if a.kind == "xconv"]
    assert len(strided) >= 3 and not any(a.kind == "pool" and "conv" in a.via
                                         for a in view.arrows)


def test_fpn_and_octconv_sums_are_merges_not_residuals() -> None:
    fpn = build_view(_ir("fpn.mg"))
    merges = [b for b in fpn.boxes.values() if b.kind == "add"]
    assert len(merges) == 3
    assert all(any(a.kind == "upsample" and a.dst == m.id for a in fpn.arrows) for m in merges)
    assert "residual" not in {a.kind for a in fpn.arrows}
    oct_ = build_view(_ir("octconv.mg"))
    assert "residual" not in {a.kind for a in oct_.arrows}
    assert {a.kind for a in oct_.arrows} >= {"xconv", "same"}


def test_statements_before_the_first_section_are_the_stem() -> None:
    dot = mgdsl.render(_ir("hrnet.mg"))
    assert "stem" in dot and '"head"' not in dot.split("stage1")[0]


HRNETS = [p for p in (NETS / "hrnet.mg", ROOT / "examples" / "hrnet.mg") if p.exists()]


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz `dot` is not installed")
@pytest.mark.parametrize("path", HRNETS, ids=[p.parent.name for p in HRNETS])
def test_hrnet_collapsed_fits_2500_px(path: Path) -> None:
    ir = mgdsl.load(path)
    png = draw(scene_to_dot(scene_of(ir, collapse=True)), "png")
    width, height = struct.unpack(">II", png[16:24])
    assert width <= 2500, width
    folded = collapse(build_view(ir))
    runs = sorted({run for c in folded.columns for run in c.runs})
    assert (4, 2) in runs, "four basic blocks per branch fold"
    assert any(reps in (3, 4) and span > 2 for reps, span in runs), "modules fold"


def test_hrnet_w18_counts() -> None:
    assert mgdsl.stats(_ir("hrnet.mg")).params == 21_320_772  # HRNet-W18-C: 21.3 M


def test_output_is_byte_identical_across_processes() -> None:
    code = ("import sys, mgdsl; from mgdsl.diagrams.diagram import tikz_source; "
            "ir = mgdsl.load(sys.argv[1]); "
            "sys.stdout.write(mgdsl.render(ir, collapse=True) + tikz_source(ir, collapse=True))")
    for name in ("hrnet.mg", "exchange.mg"):
        outs = []
        for seed in ("1", "2"):
            env = {"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}
            outs.append(subprocess.run([sys.executable, "-c", code, str(NETS / name)],
                                       cwd=ROOT, env=env, capture_output=True,
                                       check=True).stdout)
        assert outs[0] == outs[1] and outs[0].startswith(b"digraph")
