"""What a new user met while writing the networks of tests/data/unseen/ (issue 23/24 trial):
messages and diagram arrows. No torch."""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import TESTS

import mgdsl
from mgdsl.diagrams.layers import build_view

HEAD = """
network Head() {
    input p: pyramid [4 x 32 x 32, 4 x 16 x 16, 4 x 8 x 8]
    output y = conv(p[2], 2, 1)
}
"""


def test_input_size_for_a_pyramid_input_names_its_grids():
    """`--input p=...` for `input p: pyramid [...]` said "network has no input `p`", which
    the file plainly declares; it now says that `p` is a pyramid input and how to size it."""
    with pytest.raises(mgdsl.MgError) as info:
        mgdsl.build_graph(HEAD, inputs={"p": (4, 40, 48)})
    err = info.value
    assert err.code == "E324"
    assert "pyramid input" in err.message and "p_0, p_1, p_2" in err.message
    assert "--input p_0=CxHxW --input p_1=CxHxW --input p_2=CxHxW" in (err.hint or "")
    with pytest.raises(mgdsl.MgError) as info:
        mgdsl.build_graph(HEAD, inputs={"q": (4, 40, 48)})
    assert info.value.message == "network `Head` has no input `q`"


def arrow_kinds(source: str) -> list[tuple[str, tuple[str, ...]]]:
    """The kind of every arrow of the folded layer view, with the ops it passes through."""
    return [(a.kind, a.via) for a in build_view(mgdsl.build_graph(source)).arrows]


# Attention U-Net's gate: theta, a 2x2 stride-2 conv of the skip x, added to phi(g)
GATE = """
network Gate() {
    input x: 4 x 16 x 16
    e = relu(conv(x, 4, 3))
    g = relu(conv(maxpool(e), 8, 3))
    output y = relu(conv(e, 2, 2, stride = 2, bias = false) + conv(g, 2, 1))
}
"""


def test_a_strided_conv_into_a_gate_is_drawn_as_a_cross_scale_conv():
    kinds = arrow_kinds(GATE)
    assert ("residual", ("conv",)) not in kinds
    assert any(kind == "xconv" for kind, _ in kinds)


# PVT's spatial-reduction attention: k and v from a grid 4 times coarser than q
SRA = """
network SRA() {
    input x: 4 x 16 x 16
    q = conv(x, 4, 1)
    r = conv(x, 4, 4, stride = 4)
    output y = conv(attention(q, conv(r, 4, 1), conv(r, 4, 1)), 4, 1)
}
"""


def test_attention_keys_from_a_coarser_grid_are_not_drawn_as_upsampling():
    kinds = arrow_kinds(SRA)
    assert not any(kind == "upsample" for kind, _ in kinds)
    # k and v read another level as it is: two cross-scale arrows into the attention
    assert [kind for kind, via in kinds if kind == "xconv" and not via] == ["xconv"] * 3


# a learned per-channel scale (layer scale, FCOS's per-level Scale)
SCALE = """
network Scale() {
    input x: 4 x 16 x 16
    y = conv(x, 4, 3)
    output y = conv(y * param(4), 4, 1)
}
"""


def test_a_learned_scale_is_not_drawn_as_upsampling():
    kinds = arrow_kinds(SCALE)
    assert not any(kind == "upsample" for kind, _ in kinds)
    # the folded view writes the scale inside the box that reads it; the expanded view
    # draws its arrow as what `*` does with it: a broadcast over the grid
    view = build_view(mgdsl.build_graph(SCALE), expand=True)
    assert [a.kind for a in view.arrows if view.boxes[a.src].op == "learned"] == ["broadcast"]


# a squeeze-and-excitation gate (C x 1 x 1 after global pooling), space <-> depth moves
GATES = """
network Gates() {
    input x: 4 x 16 x 16
    y = conv(x, 4, 3)
    s = sigmoid(conv(relu(conv(gap(y), 2, 1)), 4, 1))
    z = conv(y * s, 16, 1)
    t = split(space_to_depth(z, 2), 32)
    output y = conv(depth_to_space(conv(t[0], 4, 1) + conv(t[1], 4, 1), 2), 4, 1)
}
"""


def test_a_gate_is_a_broadcast_and_space_to_depth_a_reshape():
    """What the reading op does with the operand, not the direction between levels: the
    gate is broadcast by `*`, `space_to_depth` and `depth_to_space` move values between
    space and channels (no pooling, no upsampling)."""
    kinds = arrow_kinds(GATES)
    assert ("broadcast", ()) in kinds
    assert [kind for kind, via in kinds if "depth_to_space" in via] == ["reshape"]
    assert ("reshape", ()) in kinds  # into the space_to_depth grid that split reads
    assert not {"upsample"} & {kind for kind, _ in kinds}
    assert [kind for kind, via in kinds if via == ("gap",)] == ["pool"]


UNSEEN = sorted((TESTS / "data" / "unseen").glob("*.mg"))


@pytest.mark.parametrize("path", UNSEEN, ids=[p.stem for p in UNSEEN])
def test_unseen_networks_keep_the_drawing_rules(path: Path) -> None:
    """The render-structure rules (parallel branches in lanes, arrows of the IR's kinds,
    folding only identical runs) hold for the networks a new user wrote."""
    from tests.test_render_structure import (
        test_collapsed_drawing_keeps_the_structure,
        test_columns_are_layers_and_arrows_have_the_ir_kinds,
    )

    ir = mgdsl.load(str(path))
    test_columns_are_layers_and_arrows_have_the_ir_kinds(ir)
    test_collapsed_drawing_keeps_the_structure(ir)


def test_the_legend_names_a_new_arrow_kind_only_where_it_is_drawn():
    """`broadcast` and `reshape` arrows get their own style and legend line, and a
    picture without them does not list them."""
    from mgdsl.diagrams.style import ARROWS

    gates = mgdsl.render(mgdsl.build_graph(GATES))
    for kind in ("broadcast", "reshape"):
        assert ARROWS[kind][1] in gates and f'class="arrow {kind}"' in gates
    sra = mgdsl.render(mgdsl.build_graph(SRA))
    assert ARROWS["broadcast"][1] not in sra and ARROWS["reshape"][1] not in sra
