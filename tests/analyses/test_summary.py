"""`mgdsl stats`: the pyramid each section hands on, and the reach measures explained."""

from __future__ import annotations

import pytest

import mgdsl
from mgdsl.analyses.summary import summarize
from mgdsl.cli.main import main


def grids(name: str) -> dict[str, dict[str, str]]:
    return {r["section"]: r["levels"] for r in summarize(mgdsl.load(name))["grids"]}


def test_sections_show_the_pyramid_at_their_end():
    g = grids("MG-16")
    # s1 builds three grids (32, 16, 8) and max-pools them: it hands on 16, 8 and 4
    assert g["s1"] == {"1": "64x16x16", "2": "32x8x8", "3": "16x4x4"}
    assert g["s4"] == {"4": "512x2x2", "5": "384x1x1"}
    assert g["input"] == {"0": "3x32x32"}


def test_the_head_after_the_sections_is_not_an_input():
    g = grids("R-MG-34")
    assert g["input"] == {"0": "3x224x224"}  # the final global pooling is not listed here
    assert g["s4"] == {"5": "512x7x7"}


def test_skip_connections_are_handed_on_too():
    g = grids("U-NET-11-seg")
    assert g["down"] == {"0": "64x64x64", "1": "128x32x32", "2": "256x16x16", "3": "512x8x8"}
    assert g["head"] == {"0": "10x64x64"}


def test_a_network_without_sections():
    ir = mgdsl.build_graph('''use "std.mg"
network N() {
    input x: 1 x 8 x 8
    p = stems(x, [4, 4], levels = 2)
    output y = cb(p[0], 1)
}''')
    assert {r["section"]: r["levels"] for r in summarize(ir)["grids"]} == {
        "input": {"0": "1x8x8"}, "-": {"0": "1x8x8"}}  # the last grid before the output


def test_help_explains_routing_depth(capsys):
    with pytest.raises(SystemExit):
        main(["stats", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "routing depth: the fewest weight layers" in out
    assert "receptive field: the side, in input pixels" in out
