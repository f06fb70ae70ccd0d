"""Wrapping a wide drawing into strips (`mgdsl.diagrams.layout`): strips no wider than
asked where the folded runs allow, breaks where sections end, connectors for every arrow
between strips, and no wrapping at all with `wrap=0`."""

from __future__ import annotations

import shutil
import struct

import pytest
from paths import ROOT
from render_checks import check_positions

import mgdsl
from mgdsl.diagrams.collapse import collapse
from mgdsl.diagrams.diagram import draw, scene_of
from mgdsl.diagrams.emit import box_label, build_scene
from mgdsl.diagrams.layers import build_view
from mgdsl.diagrams.layout import WRAP, layout
from mgdsl.diagrams.scene import scene_to_dot

HAS_DOT = shutil.which("dot") is not None


def _long(sections: int, layers: int) -> str:
    """A chain of 3x3 convs, each wider than the one before (so nothing folds), in
    `sections` sections of `layers` layers, with a residual sum across every section."""
    lines = ["network Long() {", "    input x: 3 x 32 x 32", "    y = conv(x, 4, 3)"]
    width = 4
    for s in range(sections):
        lines.append(f"    section s{s} {{")
        lines.append("        start = y")
        for _ in range(layers):
            width += 1
            lines.append(f"        y = relu(conv(y, {width}, 3))")
        lines.append(f"        y = y + conv(start, {width}, 1)")
        lines.append("    }")
    lines += ["    output z = y", "}"]
    return "\n".join(lines)


def _extent(scene, view, strip: tuple[int, int]) -> float:
    """How wide the boxes of one strip are drawn, in inches."""
    nodes = {name: attrs for name, _, attrs in scene.nodes}
    left, right = [], []
    for c in range(strip[0], strip[1] + 1):
        for b in view.columns[c].boxes:
            x = float(nodes[b]["pos"].split(",")[0])
            w = float(nodes[b]["width"])
            left.append(x - w / 2)
            right.append(x + w / 2)
    return max(right) - min(left)


def test_a_long_network_wraps_into_strips_at_section_ends() -> None:
    ir = mgdsl.build_graph(_long(4, 8))
    view = build_view(ir)
    scene = build_scene(view, wrap=12)
    assert len(scene.strips) >= 3
    for strip in scene.strips:
        assert _extent(scene, view, strip) <= 12
    for first, _ in scene.strips[1:]:  # each break where a section begins
        assert view.columns[first].section != view.columns[first - 1].section
    pos = {name: tuple(float(v) for v in attrs["pos"].rstrip("!").split(","))
           for name, _, attrs in scene.nodes if "pos" in attrs}
    check_positions(view, pos, scene.strips)


def test_no_wrap_when_asked_or_when_it_fits() -> None:
    view = build_view(mgdsl.build_graph(_long(4, 8)))
    assert len(build_scene(view, wrap=0).strips) == 1
    assert len(build_scene(view, wrap=1000).strips) == 1
    assert not any(name.startswith("wrap") for name, _, _ in build_scene(view, wrap=0).nodes)
    small = build_view(mgdsl.load("PMG-11-seg"))
    assert build_scene(small).strips == [(0, len(small.columns) - 1)]


def test_every_arrow_between_strips_has_a_lettered_connector_at_each_end() -> None:
    view = build_view(mgdsl.build_graph(_long(4, 8)))
    scene = build_scene(view, wrap=12)
    strip_of = {c: k for k, (a, b) in enumerate(scene.strips) for c in range(a, b + 1)}
    nodes = {name: (label, attrs) for name, label, attrs in scene.nodes}
    edges = [(t, h) for t, h, _ in scene.edges]
    crossing = [a for a in view.arrows
                if strip_of[view.boxes[a.src].column] != strip_of[view.boxes[a.dst].column]]
    assert crossing, "the residual sums across sections cross a break"
    for a in crossing:
        # one connector per source, strip and arrow kind; one per arrow at its end
        outs = {h for t, h in edges if t == a.src and h.startswith("wrap")}
        ins = [t for t, h in edges if h == a.dst and t.startswith("wrap")]
        assert len(ins) == 1
        joined = [o for o in outs if (o, ins[0]) in edges]
        assert len(joined) == 1, "the two connectors are joined"
        assert nodes[joined[0]][0] == nodes[ins[0]][0], "one letter at both ends"
        x_in = float(nodes[ins[0]][1]["pos"].split(",")[0])
        x_dst = float(nodes[a.dst][1]["pos"].split(",")[0])
        assert x_in < x_dst, "the connector stands left of the grid it leads into"


def test_a_folded_run_stays_in_one_strip_unless_too_wide_for_any() -> None:
    folded = collapse(build_view(mgdsl.load(ROOT / "examples" / "octresnet.mg")))
    labels = {b.id: box_label(b, False) for b in folded.boxes.values()}
    lay = layout(folded, labels, 12)
    assert len(lay.strips) > 1
    for c in folded.columns:
        for _, span in c.runs:
            assert lay.strip_of(c.index) == lay.strip_of(c.index + span - 1)
    bifpn = collapse(build_view(mgdsl.load(ROOT / "examples" / "bifpn.mg")))
    scene = build_scene(bifpn, wrap=12)
    texts = [label for _, label, _ in scene.nodes]
    assert "×2 (continued)" in texts, "a run wider than a strip is cut, and says so"


def test_the_default_wrap_is_used_by_render_and_the_cli(tmp_path) -> None:
    ir = mgdsl.load(ROOT / "examples" / "octresnet.mg")
    assert len(scene_of(ir, collapse=True).strips) > 1
    assert len(scene_of(ir, collapse=True, wrap=0).strips) == 1
    assert "wrapA" in mgdsl.render(ir, collapse=True)
    assert "wrapA" not in mgdsl.render(ir, collapse=True, wrap=0)
    assert WRAP == 25.0


WIDE = ["octresnet.mg", "bifpn.mg", "mobilenetv2.mg", "res2net50.mg", "swin_t.mg",
        "convnext_t.mg"]


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz `dot` is not installed")
@pytest.mark.parametrize("name", WIDE)
def test_wide_networks_collapsed_fit_2500_px(name: str) -> None:
    png = draw(scene_to_dot(scene_of(mgdsl.load(ROOT / "examples" / name), collapse=True)),
               "png")
    width, _ = struct.unpack(">II", png[16:24])
    assert width <= 2500, width
