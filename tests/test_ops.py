"""The op table (`mgdsl.ops.OPS`), op by op: every op's definition is complete, its
example builds, lowers to fx and to source that agree, counts parameters and MACs as
torch does, initialises every weight, and is drawn as its `draw` says."""

from __future__ import annotations

import re

import pytest
import torch
from helpers import import_source
from torch.utils.flop_counter import FlopCounterMode

import mgdsl
from mgdsl.codegen.fx import to_fx
from mgdsl.codegen.plan import plan
from mgdsl.codegen.source import emit_source
from mgdsl.codegen.support import init_paper
from mgdsl.diagrams.layers import build_view
from mgdsl.ops import DRAW_KINDS, MODULE_OPS, OPS, Call, Module

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ALL = sorted(OPS)


def example_ir(op: str):
    """The checked IR of a network computing op `op`'s example on a 4 x 8 x 8 grid."""
    text = f"network T() {{\n    input x: 4 x 8 x 8\n    output y = {OPS[op].example}\n}}\n"
    return mgdsl.build_graph(text)


def nodes_of(ir, op: str) -> list[int]:
    return [n for n in ir.nodes if ir.nodes[n]["op"] == op]


@pytest.mark.parametrize("op", ALL)
def test_definition_is_complete(op):
    spec = OPS[op]
    assert spec.name == op and spec.summary and spec.doc and spec.example
    assert spec.draw in DRAW_KINDS
    assert re.fullmatch(r"#[0-9a-f]{6}", spec.colour)
    assert spec.source, f"`{op}` has no source snippet"
    if spec.module:
        assert spec.source_module and spec.init, f"module op `{op}` lacks a constructor or init"
        assert spec.draw in ("layer", "fold", "box")
    assert spec.weight_layer == (spec.draw == "layer")


@pytest.mark.parametrize("op", ALL)
def test_example_lowers_to_fx_and_source(op):
    ir = example_ir(op)
    found = nodes_of(ir, op)
    assert found, f"the example of `{op}` does not use it"
    for n in found:
        d = ir.nodes[n]
        low = OPS[op].lower(d["args"], [ir.nodes[u]["shape"] for u in d["inputs"]])
        if op in ("input", "output"):
            assert low is None
        elif op in MODULE_OPS:
            assert isinstance(low, Module) and isinstance(low.cls, type)
        else:
            assert isinstance(low, Call) and callable(low.target)


@pytest.mark.parametrize("op", ALL)
def test_fx_and_source_agree_and_count_as_torch(op, tmp_path):
    ir = example_ir(op)
    gm = to_fx(ir, seed=0).eval()
    cls = import_source(emit_source(ir), tmp_path / f"{op}.py", "mg_ops").T
    src = cls(init="torch").eval()
    src.load_state_dict(gm.state_dict())
    x = torch.randn(2, 4, 8, 8)
    with FlopCounterMode(display=False) as counter:
        out = gm(x)
    assert torch.equal(out, src(x))
    out_node = ir.graph["outputs"]["y"]
    assert tuple(out.shape[1:]) == ir.nodes[out_node]["shape"]
    stats = mgdsl.stats(ir)
    assert stats.params == sum(p.numel() for p in gm.parameters())
    assert counter.get_total_flops() == 2 * stats.macs * x.shape[0]  # MACs are per sample
    if op in MODULE_OPS:
        paths = plan(ir).paths
        for n in nodes_of(ir, op):
            mod = gm.get_submodule(".".join(paths[n]))
            assert ir.nodes[n]["meta"]["params"] == sum(p.numel() for p in mod.parameters())


@pytest.mark.parametrize("op", sorted(MODULE_OPS))
def test_paper_init_writes_every_weight(op):
    gm = to_fx(example_ir(op), init="none")
    for p in gm.parameters():
        p.data.fill_(float("nan"))
    init_paper(gm, seed=0)
    for name, p in gm.named_parameters():
        assert torch.isfinite(p).all(), f"init_paper leaves `{name}` of `{op}` unset"


@pytest.mark.parametrize("op", ALL)
def test_drawn_as_its_draw_kind(op):
    ir = example_ir(op)
    spec = OPS[op]
    view = build_view(ir)
    boxes = list(view.boxes.values())
    mine = [b for b in boxes if b.op == op]
    if spec.draw == "layer":
        assert mine and all(b.kind == "layer" for b in mine)
    elif spec.draw == "fold":
        assert any(op in b.folded for b in boxes) or op == "pad"
    elif spec.draw in ("move", "pool"):
        assert not mine and any(op in a.via for a in view.arrows)
    elif spec.draw == "box":
        assert mine
    expanded = build_view(ir, expand=True)
    ex_boxes = expanded.boxes.values()
    assert any(b.op == op for b in ex_boxes)
