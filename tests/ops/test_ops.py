"""The op table (`mgdsl.ops.OPS`), op by op: every op's definition is complete, its
example builds, lowers to fx and to source that agree, counts parameters and MACs as
torch does, initialises every weight, and is drawn as its `draw` says."""

from __future__ import annotations

import re

import pytest
import torch
from helpers import import_source
from paths import ROOT
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import mgdsl
from mgdsl.codegen.fx import call_target, module_class, to_fx
from mgdsl.codegen.plan import plan
from mgdsl.codegen.source import emit_source
from mgdsl.codegen.support import init_paper
from mgdsl.diagrams.layers import build_view
from mgdsl.ops import DRAW_KINDS, MODULE_OPS, OPS, Call, Module

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("one_torch_thread")]

ALL = sorted(OPS)


def expr_ir(expr: str, size: str = "4 x 8 x 8"):
    """The checked IR of a network computing `expr` of an input grid `x`."""
    return mgdsl.build_graph(f"network T() {{\n    input x: {size}\n    output y = {expr}\n}}\n")


def example_ir(op: str):
    """The checked IR of a network computing op `op`'s example on a 4 x 8 x 8 grid."""
    return expr_ir(OPS[op].example)


# argument variants beyond the examples: each is built, run and counted like them
VARIANTS = [
    "conv(x, 8, 3, groups = 2)", "conv(x, 4, 3, groups = 4)", "conv(x, 6, 3, dilation = 2)",
    "conv(x, 8, 3, stride = 2, groups = 4, dilation = 3, bias = false)",
    "deconv(x, 3, 3, stride = 2, pad = 1, output_padding = 1)",
    "upsample(x, scale = 3)", 'upsample(x, mode = "bilinear")',
    'upsample(x, mode = "bilinear", align_corners = true)',
    'upsample(maxpool(x, 3), like = x, mode = "bilinear")', "upsample(maxpool(x, 3), like = x)",
    "x * 0.5", "2 - x", "x - 2", "1.5 + x", "x * gap(x)", "x - conv(x, 1, 1)",
    "gap(x) * x + x", "leaky_relu(x)", "groupnorm(x, 4, eps = 1e-3)", "softmax(flatten(x))",
    # issue 23's ops
    "layernorm(x, eps = 1e-3)", 'sum(x, over = "space")', 'max(x, over = "channels")',
    'mean(x, over = "space") * x', "x / conv(x, 1, 1)", "x / gap(x)", "3 / (relu(x) + 1)",
    "x / 4 - 1", "x * param(4, init = 1e-6)", "(param(2)[0] * x + param(2)[1] * x) / "
    "(sum(relu(param(2))) + 1e-4)", "x + param(1)", "param(4)[1:3] * split(x, 2)[0]",
    "concat(split(x, [1, 2, 1])[2], split(x, 3)[1])", "avgpool(x, output = [3, 5])",
    'upsample(maxpool(x, output = 3), like = x, mode = "bilinear")',
    "x * avgpool(x, output = 1)", "depth_to_space(space_to_depth(x, 4), 2)",
    "conv(x, 6, 4, stride = 4)", "conv(x, 6, 2, stride = 2)",
]


def nodes_of(ir, op: str) -> list[int]:
    return [n for n in ir.nodes if ir.nodes[n].op == op]


@pytest.mark.parametrize("op", ALL)
def test_definition_is_complete(op):
    spec = OPS[op]
    assert spec.name == op and spec.summary and spec.doc and spec.example
    assert spec.draw in DRAW_KINDS
    assert re.fullmatch(r"#[0-9a-f]{6}", spec.colour)
    assert spec.source, f"`{op}` has no source snippet"
    if spec.module:
        assert spec.source_module and spec.init, f"module op `{op}` lacks a constructor or init"
        assert spec.draw in ("layer", "fold", "box", "weight")
    assert spec.weight_layer == (spec.draw == "layer")


@pytest.mark.parametrize("op", ALL)
def test_example_lowers_to_fx_and_source(op):
    ir = example_ir(op)
    found = nodes_of(ir, op)
    assert found, f"the example of `{op}` does not use it"
    for n in found:
        d = ir.nodes[n]
        low = OPS[op].lower(d.args, [ir.nodes[u].shape for u in d.inputs])
        if op in ("input", "output"):
            assert low is None
        elif op in MODULE_OPS:
            assert isinstance(low, Module) and issubclass(module_class(low), nn.Module)
        else:
            assert isinstance(low, Call) and callable(call_target(low))


def check_against_torch(ir, tmp_path, x):
    """fx and emitted source agree on `x`, the output shape is the IR's, and parameters
    and MACs are torch's (FlopCounterMode counts 2 FLOPs per MAC)."""
    gm = to_fx(ir, seed=0).eval()
    cls = import_source(emit_source(ir), tmp_path / "net.py", "mg_ops").T
    src = cls(init="torch").eval()
    src.load_state_dict(gm.state_dict())
    with FlopCounterMode(display=False) as counter:
        out = gm(x)
    assert torch.equal(out, src(x))
    out_node = ir.graph["outputs"]["y"]
    assert tuple(out.shape[1:]) == ir.nodes[out_node].shape
    stats = mgdsl.stats(ir)
    assert stats.params == sum(p.numel() for p in gm.parameters())
    assert counter.get_total_flops() == 2 * stats.macs * x.shape[0]  # MACs are per sample
    return gm


@pytest.mark.parametrize("op", ALL)
def test_fx_and_source_agree_and_count_as_torch(op, tmp_path):
    ir = example_ir(op)
    gm = check_against_torch(ir, tmp_path, torch.randn(2, 4, 8, 8))
    if op in MODULE_OPS:
        paths = plan(ir).paths
        for n in nodes_of(ir, op):
            mod = gm.get_submodule(".".join(paths[n]))
            assert ir.nodes[n].meta.params == sum(p.numel() for p in mod.parameters())


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
        several = [n for n in nodes_of(ir, op) if len(set(ir.nodes[n].inputs)) > 1]
        if several:  # a sum is a merge node (or ends the residual unit it folds into);
            # other ops of several operands, gates included, get a box of their own
            assert all(any(b.node == n for b in mine) or any(op in b.folded for b in boxes)
                       for n in several)
        else:
            assert any(op in b.folded for b in boxes) or op == "pad"
    elif spec.draw in ("move", "pool"):
        assert not mine and any(op in a.via for a in view.arrows)
    elif spec.draw == "box":
        assert mine
    elif spec.draw == "weight":  # inside the box of the op that reads it
        assert not mine and any(op in b.folded for b in boxes)
    expanded = build_view(ir, expand=True)
    ex_boxes = expanded.boxes.values()
    assert any(b.op == op for b in ex_boxes)


@pytest.mark.parametrize("expr", VARIANTS)
def test_argument_variants_agree_with_torch(expr, tmp_path):
    check_against_torch(expr_ir(expr), tmp_path, torch.randn(2, 4, 8, 8))


def test_upsample_like_follows_the_runtime_size(tmp_path):
    ir = expr_ir('concat(x, upsample(maxpool(x), like = x, mode = "bilinear"))', "4 x 9 x 7")
    gm = to_fx(ir, seed=0)
    source = emit_source(ir)
    assert "size=x.shape[-2:]" in source and "(9, 7)" not in source.split("class T")[1]
    src = import_source(source, tmp_path / "up.py", "mg_up").T()
    for h, w in ((9, 7), (16, 10), (5, 13)):
        x = torch.randn(1, 4, h, w)
        assert gm(x).shape == (1, 8, h, w)
        assert torch.equal(gm(x), src(x))


def test_elementwise_names_spell_their_operator():
    ir = expr_ir("x * sigmoid(conv(x, 1, 1)) + x * 2 - x")
    names = sorted(d.name for _, d in ir.nodes(data=True) if d.op in ("add", "sub", "mul"))
    assert names == ["*.g0", "*1.g0", "+.g0", "-.g0"]
    source = emit_source(ir)
    for ident in ("mul_g0 =", "mul1_g0 =", "add_g0 =", "sub_g0 ="):
        assert ident in source


@pytest.mark.parametrize(("expr", "code"), [
    ("conv(x, 6, 3, groups = 4)", "E321"), ("conv(x, 8, 3, groups = 3)", "E321"),
    ("deconv(x, 4, output_padding = 2)", "E322"),
    ("upsample(x, align_corners = true)", "E323"), ('upsample(x, mode = "cubic")', "E401"),
    ("groupnorm(x, 3)", "E320"), ("dropout(x, 1)", "E403"), ("x * conv(x, 2, 1)", "E301"),
    ("x * avgpool(x, 2, 1)", "E301"), ("x * maxpool(x)", "E303"), ("x // 2", "E406"), ("x * [1, 2]", "E406"),
    ("x / 0", "E407"), ("split(x, [1, 2])", "E330"), ("mean(x)", "E331"),
    ('max(3, over = "space")', "E331"), ("avgpool(x, 3, output = 2)", "E332"),
    ("maxpool(x, output = [1, 2, 3])", "E332"), ("space_to_depth(x, 3)", "E333"),
    ("depth_to_space(x, 4)", "E333"), ("conv(param(4), 2)", "E334"),
    ("layernorm(x, eps = 2)", "E320"), ("x[0:4]", "E308"), ("param(3)[3]", "E308"),
    ('mean(x, over = "rows")', "E401"), ("split(pyramid(x, 2), 2)", "E307"),
])
def test_bad_arguments_are_errors(expr, code):
    with pytest.raises(mgdsl.MgError) as info:
        expr_ir(expr)
    assert info.value.code == code


def test_fuzzer_generates_every_op():
    """The random-program generator behind the property tests and the fuzzer reaches
    every op of the table, so a new op needs a generator rule too."""
    import random

    from mgdsl.testing.fuzz import ProgramGen, RandomChooser

    seen: set[str] = set()
    for seed in range(400):  # stops as soon as every op is seen (seed 231 today)
        ir = mgdsl.build_graph(ProgramGen(RandomChooser(random.Random(seed))).program().text)
        seen |= {d.op for _, d in ir.nodes(data=True)}
        if seen >= set(OPS):
            break
    assert sorted(set(OPS) - seen) == []


def test_docs_name_every_op():
    text = (ROOT / "docs" / "ops.md").read_text()
    assert [op for op in ALL if f"`{op}`" not in text] == []
