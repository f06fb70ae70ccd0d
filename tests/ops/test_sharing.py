"""Shared weights: `shared = true` (one layer for every grid of a call) and `shared = "name"`
(one layer for every call naming it in a scope): counted once, one module in fx, emitted
source and ONNX, outputs equal to torch applying one layer several times."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from helpers import import_source

import mgdsl
from mgdsl.codegen.fx import to_fx
from mgdsl.codegen.source import emit_source
from mgdsl.ops import OPS

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("one_torch_thread")]

HEAD = """\
network Head(c = 8, k = 6) {
    input p: pyramid [8 x 16 x 16, 8 x 8 x 8, 8 x 4 x 4]
    t = p
    repeat 2 { t = relu(groupnorm(conv(t, c, 3, shared = true), 2, shared = true)) }
    out = conv(t, k, 3, shared = true)
    output o3 = out[0]
    output o4 = out[1]
    output o5 = out[2]
}
"""


def compiled(text, tmp_path, **params):
    ir = mgdsl.build_graph(text, **params)
    gm = to_fx(ir, seed=0).double()
    name = ir.graph["name"]
    src = getattr(import_source(emit_source(ir), tmp_path / "m.py", "mg_share"), name)(init="torch")
    src.load_state_dict(gm.state_dict())
    return ir, gm, src.double()


def test_a_head_shared_across_the_pyramid_is_one_set_of_layers(tmp_path):
    ir, gm, src = compiled(HEAD, tmp_path)
    convs = [m for m in gm.modules() if isinstance(m, torch.nn.Conv2d)]
    norms = [m for m in gm.modules() if isinstance(m, torch.nn.GroupNorm)]
    assert len(convs) == 3 and len(norms) == 2
    params = 2 * (8 * 8 * 9 + 8 + 16) + 8 * 6 * 9 + 6
    assert mgdsl.stats(ir).params == params == sum(p.numel() for p in gm.parameters())
    assert sum(1 for n in ir.nodes if ir.nodes[n].op == "conv") == 9
    xs = [torch.randn(2, 8, 16 >> i, 16 >> i, dtype=torch.float64) for i in range(3)]
    out = gm(*xs)
    for i, x in enumerate(xs):  # RetinaNet's head: the same layers on every level
        t = x
        for conv, norm in zip(convs[:2], norms, strict=True):
            t = F.relu(norm(conv(t)))
        want = convs[2](t)
        assert torch.allclose(out[f"o{i + 3}"], want, atol=1e-12)
        assert torch.equal(out[f"o{i + 3}"], src(*xs)[f"o{i + 3}"])


def test_a_named_share_applies_one_mlp_at_two_call_sites(tmp_path):
    text = """\
block gate(x, r = 4) {
    c = channels(x)[0]
    a = conv(relu(conv(gap(x), c // r, 1, shared = "fc1")), c, 1, shared = "fc2")
    m = conv(relu(conv(gap(x * x), c // r, 1, shared = "fc1")), c, 1, shared = "fc2")
    return x * sigmoid(a + m)
}

network N() {
    input x: 16 x 8 x 8
    output y = gate(gate(x))
}
"""
    ir, gm, src = compiled(text, tmp_path)
    convs = [m for m in gm.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 4  # two per call of the block: one MLP for each gate
    per_gate = 16 * 4 + 4 + 4 * 16 + 16
    assert mgdsl.stats(ir).params == 2 * per_gate == sum(p.numel() for p in gm.parameters())
    x = torch.randn(2, 16, 8, 8, dtype=torch.float64)

    def gate(t, fc1, fc2):
        mlp = lambda v: fc2(F.relu(fc1(v)))  # noqa: E731
        return t * torch.sigmoid(mlp(t.mean((2, 3), keepdim=True))
                                 + mlp((t * t).mean((2, 3), keepdim=True)))

    want = gate(gate(x, *convs[:2]), *convs[2:])
    assert torch.allclose(gm(x), want, atol=1e-12)
    assert torch.equal(gm(x), src(x))


def test_a_named_share_ties_the_iterations_of_a_repeat_and_defaults_work(tmp_path):
    text = """\
network N() {
    input x: 4 x 8 x 8
    default conv.shared = "step"
    repeat 3 { x = relu(conv(x, 4, 3)) }
    output y = x
}
"""
    ir, gm, src = compiled(text, tmp_path)
    (conv,) = [m for m in gm.modules() if isinstance(m, torch.nn.Conv2d)]
    x = torch.randn(1, 4, 8, 8, dtype=torch.float64)
    assert torch.allclose(gm(x), F.relu(conv(F.relu(conv(F.relu(conv(x)))))), atol=1e-12)
    assert mgdsl.stats(ir).params == 4 * 4 * 9 + 4


def test_shared_convs_are_not_folded_into_and_onnx_shares_them(tmp_path):
    pytest.importorskip("onnxruntime")
    from mgdsl.codegen.onnx_export import another_size, export_onnx, verify

    text = HEAD.replace("groupnorm(conv(t, c, 3, shared = true), 2, shared = true)",
                        "bn(conv(t, c, 3, shared = true))")
    ir = mgdsl.build_graph(text)
    folded = to_fx(ir, seed=0, fold_bn=True)
    assert len([m for m in folded.modules() if isinstance(m, torch.nn.BatchNorm2d)]) == 6
    result = export_onnx(ir, tmp_path / "head.onnx", dynamic=True, source=text)
    assert verify(result.path, ir, result.module).within(1e-4)
    sizes = another_size(ir, text)
    assert verify(result.path, ir, result.module, sizes=sizes, batch=1).within(1e-4)


def test_every_op_with_parameters_takes_shared():
    takes = {name for name, spec in OPS.items()
             if spec.builtin and any(p.name == "shared" for p in spec.builtin)}
    assert takes >= {"conv", "deconv", "bn", "groupnorm", "linear", "window_attention"}
    assert not takes & {"relu", "attention", "maxpool", "dropout", "upsample"}
    for name in takes:
        assert "shared = false" in OPS[name].signature()


@pytest.mark.parametrize(("body", "code"), [
    ("    output y = conv(p, 4, 3, shared = true)[0]", "E355"),
    ('    a = bn(p[0], shared = "n")\n    output y = conv(p[1], 4, 1, shared = "n")', "E355"),
    ("    output y = conv(p, 4, [1, 3], shared = true)[0]", "E355"),
    ('    output y = conv(p, 4, 1, shared = "")[0]', "E401"),
])
def test_layers_that_cannot_share_are_located_errors(body, code):
    text = f"network N() {{\n    input p: pyramid [8 x 8 x 8, 16 x 4 x 4]\n{body}\n}}\n"
    if "[1, 3]" in body:
        text = text.replace("16 x 4 x 4", "8 x 4 x 4")
    with pytest.raises(mgdsl.MgError) as info:
        mgdsl.build_graph(text)
    assert info.value.code == code
    assert info.value.span.line == body.count("\n") + 3


def test_weights_shared_with_a_live_use_are_not_reported_dead():
    text = """\
network N() {
    input p: pyramid [8 x 8 x 8, 8 x 4 x 4]
    q = conv(p, 8, 3, shared = true)
    unused = conv(p[0], 8, 1)
    output y = q[1]
}
"""
    ir = mgdsl.build_graph(text)
    assert [(w.code, w.span.line) for w in ir.graph["warnings"]] == [("W103", 4)]


def test_diagrams_draw_shared_layers_with_a_double_outline(tmp_path):
    from mgdsl.diagrams.emit import box_tooltip
    from mgdsl.diagrams.layers import build_view

    ir = mgdsl.build_graph(HEAD)
    view = build_view(ir)
    shared = [b for b in view.boxes.values() if b.shared]
    assert {b.op for b in shared} == {"conv"} and len(shared) == 9
    assert all("weights shared" in box_tooltip(b) for b in shared)
    assert not [b for b in view.boxes.values() if b.kind == "input" and b.shared]
    dot = mgdsl.render(ir, tmp_path / "head.dot")
    text = (tmp_path / "head.dot").read_text() if dot is None else str(dot)
    assert "peripheries=2" in text.replace('"', "") and "layer with shared weights" in text
