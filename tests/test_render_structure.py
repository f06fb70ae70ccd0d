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
from paths import ROOT
from render_checks import (
    check_drawing,
    check_no_chains,
    dot_drawing,
    layer_count,
    tikz_drawing,
)

import mgdsl
from mgdsl.diagrams.collapse import collapse, unfolded_columns
from mgdsl.diagrams.diagram import draw, scene_of
from mgdsl.diagrams.emit import build_scene
from mgdsl.diagrams.layers import build_view
from mgdsl.diagrams.scene import scene_to_dot
from mgdsl.diagrams.tikz import to_tikz
from mgdsl.elab.program import load_program

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
    count, _ = layer_count(ir, view)
    # parallel layers on one grid (OctConv, ASPP) share a column, in lanes
    assert len(view.columns) == count, "a column per layer, none wasted"
    scene = build_scene(view, params=ir.graph["params"])
    check_drawing(ir, view, *dot_drawing(scene_to_dot(scene)), collapsed=False,
                  strips=scene.strips)
    check_drawing(ir, view, *tikz_drawing(to_tikz(scene)), collapsed=False,
                  strips=scene.strips)
    check_no_chains(view, scene)


def test_collapsed_drawing_keeps_the_structure(network) -> None:
    ir = network
    view = build_view(ir)
    folded = collapse(view)
    assert unfolded_columns(folded) == len(view.columns)
    scene = build_scene(folded, params=ir.graph["params"])
    check_drawing(ir, folded, *dot_drawing(scene_to_dot(scene)), collapsed=True,
                  strips=scene.strips)
    check_drawing(ir, folded, *tikz_drawing(to_tikz(scene)), collapsed=True,
                  strips=scene.strips)
    check_no_chains(folded, scene)


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


def test_octconv_frequencies_stay_in_step_and_every_stage_folds() -> None:
    """An OctConv's cross-frequency convs are arrows; they count as two columns (they
    stand for a layer), so the low-frequency path does not run a column ahead of the
    high one after a strided unit, and each stage's identity units fold into one `×N`."""
    view = build_view(mgdsl.load(ROOT / "examples" / "octresnet.mg"))
    folded = collapse(view)
    reps = sorted(r for c in folded.columns for r, span in c.runs if span == 6)
    assert reps == [2, 3, 5], "layer1 to layer3: every identity unit folded"
    for col in folded.columns:  # inside a unit, a column is the convs or the sums
        for _, span in col.runs:
            for c in folded.columns[col.index:col.index + span]:
                assert len({folded.boxes[b].kind for b in c.boxes}) == 1, c


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


# -- folding only what is identical ---------------------------------------------------

def _chain_view(extra: list[tuple[int, int]], *, shapes=None):
    """Input box b0, then layer boxes b1..b4 in columns 1..4 with arrows b(i-1) -> b(i)
    unless `extra` rewires them, every layer alike (1x1 convs of 8 channels)."""
    from mgdsl.diagrams.view import Arrow, Box, Column, View

    shapes = shapes or {}
    boxes = {}
    for i in range(5):
        kind = "input" if i == 0 else "layer"
        boxes[f"b{i}"] = Box(f"b{i}", i, kind, "input" if i == 0 else "conv", 0,
                             shapes.get(i, (8, 8, 8)), None, f"b{i}", (i,), column=i)
    links = extra if extra else [(i - 1, i) for i in range(1, 5)]
    arrows = [Arrow(f"b{s}", f"b{d}", "same") for s, d in links]
    columns = [Column(i, boxes[f"b{i}"].kind, [f"b{i}"], None) for i in range(5)]
    return View("N", boxes, columns, arrows, [])


def _runs(view) -> list[tuple[int, int, int]]:
    return [(c.index, *run) for c in collapse(view).columns for run in c.runs]


def test_a_chain_of_identical_layers_folds() -> None:
    assert _runs(_chain_view([])) == [(1, 4, 1)]


def test_near_identical_runs_do_not_fold() -> None:
    # the first layer reads 3 channels, the others 8: 3 -> 8 is not 8 -> 8
    assert _runs(_chain_view([], shapes={0: (3, 8, 8)})) == [(2, 3, 1)]
    # the third layer also reads the input (wiring from outside the run)
    wired = [(0, 1), (1, 2), (2, 3), (0, 3), (3, 4)]
    assert all(reps * span < 4 or first > 1 for first, reps, span in _runs(_chain_view(wired)))
    assert (1, 4, 1) not in _runs(_chain_view(wired))
    # parallel copies of one layer, placed one after the other, are not a chain
    parallel = [(0, 1), (0, 2), (0, 3), (0, 4)]
    assert _runs(_chain_view(parallel)) == []
    # a layer that reads the one two back (skipping the one before it) breaks the run
    skipping = [(0, 1), (1, 2), (1, 3), (3, 4)]
    assert not {(1, 4, 1), (1, 3, 1)} & set(_runs(_chain_view(skipping)))


def test_layers_sharing_weights_in_their_column_fold_and_runs_start_at_a_unit() -> None:
    """FCOS's four tower layers each share their weights across the levels of their own
    column (the shared node differs from layer to layer): alike, so they fold. CBAM's
    stage: the first unit (with its projection) stays; the other two fold from the first
    conv of the second unit, not from the middle of the first, where the kept copy's sum
    would show the projection as the shortcut of every repetition."""
    fcos = collapse(build_view(mgdsl.load(ROOT / "tests" / "data" / "unseen" / "fcos_head.mg")))
    assert [(c.index, c.runs) for c in fcos.columns if c.runs] == [(1, [(4, 1)])]
    view = build_view(mgdsl.load(ROOT / "examples" / "cbam_resnet_stage.mg"))
    folded = collapse(view)
    runs = [(c.index, c.runs) for c in folded.columns if c.runs]
    assert len(runs) == 1 and runs[0][1] == [(2, 10)]
    start = runs[0][0]
    before = folded.columns[start - 1].boxes
    assert [folded.boxes[b].kind for b in before] == ["add"], "the run starts after a sum"
    first = folded.columns[start].boxes
    assert all(a.src in before for a in folded.arrows if a.dst in first)


PARALLEL = '''use "std.mg"
network Fork() {
    input image: 3 x 32 x 32
    a = conv(image, 4, 1)
    b = conv(image, 4, 1)
    c = conv(image, 4, 1)
    d = conv(image, 4, 1)
    output y = concat(a, conv(b + a, 4), conv(c, 4), d)
}
network Twice() {
    input image: 3 x 32 x 32
    output y = cbr(cbr(image, 8), 8)
}
'''


def test_parallel_convs_are_lanes_of_one_column_and_do_not_fold() -> None:
    ir = mgdsl.build_graph(PARALLEL, "Fork")
    view = build_view(ir)
    convs = [b for b in view.boxes.values() if b.kind == "layer" and b.shape == (4, 32, 32)
             and any(a.src == "n0" and a.dst == b.id for a in view.arrows)]
    assert len(convs) == 4
    assert len({b.column for b in convs}) == 1 and len({b.lane for b in convs}) == 4
    assert not any(c.runs for c in collapse(view).columns)
    twice = collapse(build_view(mgdsl.build_graph(PARALLEL, "Twice")))
    assert not any(c.runs for c in twice.columns), "3 -> 8 and 8 -> 8 are not identical"


def test_grids_on_no_pyramid_level_get_rows_of_their_own() -> None:
    """PSP's bins: the 2 x 2 and 1 x 1 bins (strides 12 and 24 on a 24 x 24 grid) lie on
    no level and are drawn as such, not on the level of the grid they pool."""
    view = build_view(mgdsl.load(NETS / "parallel.mg", "PSP"))
    bins = {b.shape[1]: b for b in view.boxes.values()
            if b.kind == "layer" and b.shape[0] == 4}
    assert sorted(bins) == [1, 2, 3, 6]
    assert bins[6].row == 4 and bins[3].row == 5, "96 / 6 = 2^4, 96 / 3 = 2^5: on levels"
    assert not bins[6].off_level and not bins[3].off_level
    for side in (1, 2):
        assert bins[side].off_level and bins[side].row != int(bins[side].row)
        assert bins[side].row == pytest.approx(__import__("math").log2(96 / side), abs=0.01)
    scene = build_scene(view)
    labels = {name: label for name, label, _ in scene.nodes}
    assert labels[bins[2].id] == "4\\n2×2"
    assert "no level" in labels.values()
    assert any("dotted" in attrs.get("style", "") for _, _, attrs in scene.nodes)


def test_input_pyramid_arrows_go_around_the_boxes_in_tikz() -> None:
    """PMG-11's input pyramid pools every level from the image: the arrows to the coarser
    grids run along the column's left side, not through the grids between."""
    ir = mgdsl.load("PMG-11-seg")
    view = build_view(ir)
    scene = build_scene(view)
    pos, arrows = tikz_drawing(to_tikz(scene))
    inputs = [b for b in view.boxes.values() if b.kind == "input"]
    assert len(inputs) == 4  # the image and three pooled levels
    nodes = {name: attrs for name, _, attrs in scene.nodes}
    x = pos[inputs[0].id][0]
    half = float(nodes[inputs[0].id]["width"]) / 2
    for tail, head, _ in arrows:
        if tail in view.boxes and view.boxes[tail].kind == "input" and (
                head not in view.boxes or view.boxes[head].kind == "input"):
            # straight segments of the pyramid stay left of the boxes or join neighbours
            if head in view.boxes:
                assert abs(view.boxes[head].row - view.boxes[tail].row) == 1
            else:
                assert pos[head][0] < x - half
