"""Issue 23's ops against PyTorch's own layers: layer norm, reductions, division, learned
tensors, split, adaptive pooling, space_to_depth / depth_to_space, the even-kernel conv
default; each at two input sizes where the op follows the size, through fx, the emitted
source and ONNX. (`tests/ops/test_ops.py` also runs every op's example and variants through
fx, source, parameter and `FlopCounterMode` checks.)"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from helpers import import_source
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import mgdsl
from mgdsl.codegen.fx import to_fx
from mgdsl.codegen.source import emit_source
from mgdsl.ir.dump import dump

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("one_torch_thread")]


def net(body: str, size: str = "4 x 8 x 8", header: str = "network T()") -> str:
    lines = "\n    ".join(body.strip().splitlines())
    return f"{header} {{\n    input x: {size}\n    {lines}\n}}\n"


def compiled(text: str, tmp_path, **params):
    """The IR, its fx module and the emitted module with the fx weights."""
    ir = mgdsl.build_graph(text, **params)
    gm = to_fx(ir, seed=0).eval()
    src = import_source(emit_source(ir), tmp_path / "net.py", "mg_issue23").T(init="torch").eval()
    src.load_state_dict(gm.state_dict())
    return ir, gm, src


def run_both(gm, src, x):
    out = gm(x)
    torch.testing.assert_close(out, src(x), rtol=0, atol=0)
    return out


def test_layernorm_is_torchvisions_layernorm2d(tmp_path):
    ir, gm, src = compiled(net("output y = layernorm(x)"), tmp_path)
    assert mgdsl.stats(ir).params == 8 == sum(p.numel() for p in nn.LayerNorm(4).parameters())
    with torch.no_grad():
        gm.layernorm0.g0.weight.uniform_()
        gm.layernorm0.g0.bias.uniform_()
    src.load_state_dict(gm.state_dict())
    x = torch.randn(2, 4, 8, 8)
    ref = F.layer_norm(x.permute(0, 2, 3, 1), (4,), gm.layernorm0.g0.weight,
                       gm.layernorm0.g0.bias, 1e-6).permute(0, 3, 1, 2)
    torch.testing.assert_close(run_both(gm, src, x), ref)
    # unlike groupnorm(x, 1) (same parameter count): positions are not mixed
    other = mgdsl.build_graph(net("output y = groupnorm(x, 1)"))
    assert mgdsl.stats(other).params == mgdsl.stats(ir).params
    assert not torch.allclose(to_fx(other)(x), to_fx(ir)(x), atol=1e-3)


@pytest.mark.parametrize("fn", ["mean", "sum", "max"])
@pytest.mark.parametrize("over", ["channels", "space"])
def test_reductions_keep_a_grid(fn, over, tmp_path):
    ir, gm, src = compiled(net(f'output y = {fn}(x, over = "{over}")'), tmp_path)
    x = torch.randn(2, 4, 8, 8)
    dims = 1 if over == "channels" else (2, 3)
    ref = {"mean": torch.mean, "sum": torch.sum, "max": torch.amax}[fn](x, dim=dims, keepdim=True)
    out = run_both(gm, src, x)
    torch.testing.assert_close(out, ref)
    assert tuple(out.shape[1:]) == ir.nodes[ir.graph["outputs"]["y"]].shape
    assert tuple(out.shape[1:]) == ((1, 8, 8) if over == "channels" else (4, 1, 1))


def test_min_and_max_of_numbers_are_unchanged():
    ir = mgdsl.build_graph(net("output y = conv(x, max(2, min([5, 3])) + sum([1, 2]), 1)"))
    assert ir.nodes[ir.graph["outputs"]["y"]].shape == (6, 8, 8)


@pytest.mark.parametrize("expr, ref", [
    ("x / conv(x, 1, 1)", lambda x, gm: x / gm.conv0.g0(x)),
    ("x / 4", lambda x, gm: x / 4),
    ("2 / (x * x + 1)", lambda x, gm: 2 / (x * x + 1)),
    ("x / gap(x)", lambda x, gm: x / x.mean((2, 3), keepdim=True)),
])
def test_division_broadcasts_like_multiplication(expr, ref, tmp_path):
    ir, gm, src = compiled(net(f"output y = {expr}"), tmp_path)
    x = torch.randn(2, 4, 8, 8)
    torch.testing.assert_close(run_both(gm, src, x), ref(x, gm))


def test_learned_tensors_count_initialise_and_dump(tmp_path):
    text = net("""
        w = relu(param(2))
        f = (w[0] * x + w[1] * relu(x)) / (sum(w) + 1e-4)
        output y = f * param(channels(x)[0], init = 1e-6)
    """)
    ir, gm, src = compiled(text, tmp_path)
    assert mgdsl.stats(ir).params == 2 + 4
    for init in ("paper", "torch"):
        module = to_fx(ir, init=init)
        values = {tuple(p.shape): p for p in module.parameters()}
        assert torch.equal(values[(2,)], torch.ones(2))
        assert torch.equal(values[(4,)], torch.full((4,), 1e-6))
    fresh = import_source(emit_source(ir), tmp_path / "fresh.py", "mg_fresh").T()
    assert sorted(p.sum().item() for p in fresh.parameters()) == pytest.approx([4e-6, 2.0],
                                                                                abs=1e-12)
    with torch.no_grad():
        gm.param0.weight.copy_(torch.tensor([0.3, -0.2]))
        gm.param1.weight.copy_(torch.tensor([0.5, 1.0, 2.0, 3.0]))
    src.load_state_dict(gm.state_dict())
    x = torch.randn(2, 4, 8, 8)
    w = torch.tensor([0.3, 0.0])
    ref = (w[0] * x + w[1] * x.relu()) / (w.sum() + 1e-4) * torch.tensor(
        [0.5, 1.0, 2.0, 3.0]).view(1, 4, 1, 1)
    torch.testing.assert_close(run_both(gm, src, x), ref)
    text_dump = dump(ir)
    assert "= learned()  init=1.0 n=2  -> 2x1x1 @-  param0" in text_dump
    assert "= learned()  init=1e-06 n=4  -> 4x1x1 @-  param1" in text_dump


def test_load_module_initialises_learned_tensors(tmp_path):
    path = tmp_path / "ls.mg"
    path.write_text(net("output y = x * param(4, init = 0.25)"))
    for init in ("paper", "torch"):
        module = mgdsl.load_module(path, init=init)
        assert [p.tolist() for p in module.parameters()] == [[0.25] * 4]


def test_split_parts_are_ordinary_grids(tmp_path):
    text = net("""
        s = split(x, [1, 3])
        t = split(x, 3)
        output y = concat(s[1], conv(s[0], 2, 1), t[len(t) - 1])
    """)
    ir, gm, src = compiled(text, tmp_path)
    x = torch.randn(2, 4, 8, 8)
    a, b = torch.split(x, [1, 3], dim=1)
    ref = torch.cat([b, gm.conv0.g0(a), torch.split(x, 3, dim=1)[-1]], 1)
    torch.testing.assert_close(run_both(gm, src, x), ref)


@pytest.mark.parametrize("op", ["avgpool", "maxpool"])
@pytest.mark.parametrize("output", ["6", "[2, 3]", "1"])
def test_adaptive_pooling_is_right_at_every_size(op, output, tmp_path):
    text = net(f'output y = upsample({op}(x, output = {output}), like = x, mode = "bilinear")',
               size="4 x 24 x 24")
    ir, gm, src = compiled(text, tmp_path)
    pooled = next(n for n in ir.nodes if ir.nodes[n].op == f"adaptive_{op}")
    assert ir.nodes[pooled].level is None
    assert ir.nodes[ir.graph["outputs"]["y"]].level == 0
    size = eval(output) if output.startswith("[") else int(output)  # noqa: S307
    fn = F.adaptive_avg_pool2d if op == "avgpool" else F.adaptive_max_pool2d
    for h, w in ((24, 24), (37, 29), (60, 44)):
        x = torch.randn(2, 4, h, w)
        ref = F.interpolate(fn(x, size), size=(h, w), mode="bilinear", align_corners=False)
        torch.testing.assert_close(run_both(gm, src, x), ref)


def test_pyramid_pooling_checks_at_another_size():
    text = net("""
        b = upsample(avgpool(x, output = [1, 2, 3, 6]), like = x)
        output y = concat(x, b)
    """, size="4 x 24 x 24")
    with pytest.raises(mgdsl.MgError):  # one size per grid of x, and x has one grid
        mgdsl.build_graph(text)
    text = net("""
        b = [upsample(conv(avgpool(x, output = s), 1, 1), like = x, mode = "bilinear")]
        output y = x
    """, size="4 x 24 x 24")
    with pytest.raises(mgdsl.MgError):  # lists hold numbers
        mgdsl.build_graph(text)
    ok = net("""
        b1 = upsample(conv(avgpool(x, output = 1), 1, 1), like = x, mode = "bilinear")
        b6 = upsample(conv(avgpool(x, output = 6), 1, 1), like = x, mode = "bilinear")
        output y = concat(x, b1, b6)
    """, size="4 x 24 x 24")
    ir = mgdsl.build_graph(ok, inputs={"x": (4, 37, 29)})
    assert ir.nodes[ir.graph["outputs"]["y"]].shape == (6, 37, 29)


def test_space_to_depth_is_pixel_unshuffle(tmp_path):
    ir, gm, src = compiled(net("output y = depth_to_space(conv(space_to_depth(x, 2), 32, 1), 4)"),
                           tmp_path)
    x = torch.randn(2, 4, 8, 8)
    ref = F.pixel_shuffle(gm.conv0.g1(F.pixel_unshuffle(x, 2)), 4)
    torch.testing.assert_close(run_both(gm, src, x), ref)
    levels = {ir.nodes[n].op: ir.nodes[n].level for n in ir.nodes}
    assert levels["space_to_depth"] == 1 and levels["depth_to_space"] == -1


def test_even_kernel_patchify_conv_is_exact():
    """ConvNeXt's 4x4 stride-4 stem maps 224 to 56 (k // 2 padding would give 57), its
    2x2 stride-2 downsampling halves; odd kernels keep their `k // 2` padding."""
    ir = mgdsl.build_graph(net("output y = conv(conv(x, 96, 4, stride = 4), 192, 2, stride = 2)",
                               size="3 x 224 x 224"))
    stem = nn.Conv2d(3, 96, 4, stride=4)
    down = nn.Conv2d(96, 192, 2, stride=2)
    x = torch.randn(1, 3, 224, 224)
    with FlopCounterMode(display=False) as counter:
        out = down(stem(x))
    assert tuple(out.shape[1:]) == ir.nodes[ir.graph["outputs"]["y"]].shape == (192, 28, 28)
    cost = mgdsl.stats(ir)
    assert cost.params == sum(p.numel() for m in (stem, down) for p in m.parameters())
    assert 2 * cost.macs == counter.get_total_flops()
    odd = mgdsl.build_graph(net("output y = conv(x, 8, 5)"))
    assert odd.nodes[odd.graph["outputs"]["y"]].shape == (8, 8, 8)


def test_python_list_parameters_act_like_tuples():
    text = ("network N(ch = [4, 8]) {\n    input x: 3 x 8 x 8\n"
            "    output y = conv(x, max(ch) * len(ch) + ch[0], 1)\n}\n")
    for ch in ([2, 6], (2, 6)):
        ir = mgdsl.build_graph(text, ch=ch)
        assert ir.nodes[ir.graph["outputs"]["y"]].shape == (14, 8, 8)


@pytest.mark.parametrize(("text", "hint"), [
    ("output y = ln(x)", "layernorm(x, eps = 1e-6"),
    ("output y = pixel_shuffle(x, 2)", "depth_to_space(x, factor = 2)"),
    ("output y = x[0:4]", "`split(x, [c1, c2, ...])` picks channels"),
    ("output y = conv(x, 1 / 3)", "`1.0 / 3` for the fraction 0.333333"),
])
def test_messages_name_what_to_write(text, hint):
    with pytest.raises(mgdsl.MgError) as info:
        mgdsl.build_graph(net(text))
    assert hint in str(info.value)


def test_all_new_ops_export_to_onnx_at_two_sizes(tmp_path):
    pytest.importorskip("onnxruntime")
    from mgdsl.codegen.onnx_export import export_onnx, verify

    text = net("""
        w = relu(param(2, init = 0.5))
        s = split(layernorm(x), [1, 3])
        a = (w[0] * x + w[1] * concat(s[1], s[0])) / (sum(w) + 1e-4)
        b = upsample(avgpool(a, output = 3), like = x, mode = "bilinear")
        c = upsample(maxpool(a, output = [2, 3]), like = x)
        d = depth_to_space(space_to_depth(a, 2), 2) * param(4, init = 1e-6)
        e = a * sigmoid(mean(a, over = "channels")) + max(a, over = "space")
        output y = concat(a + b, c - 1, d, e, 1 / (x * x + 1))
    """, size="4 x 12 x 12")
    ir = mgdsl.build_graph(text)
    result = export_onnx(ir, tmp_path / "net.onnx", dynamic=True, source=text)
    assert verify(result.path, ir, result.module).within(1e-4)
    assert verify(result.path, ir, result.module, sizes={"x": (4, 22, 18)}, batch=1).within(1e-4)


def test_off_level_grids_join_grids_through_upsample():
    with pytest.raises(mgdsl.MgError) as info:
        mgdsl.build_graph(net("output y = concat(x, avgpool(x, output = 8))"))
    assert info.value.code == "E304" and "upsample(y, like = x)" in str(info.value)
    ir = mgdsl.build_graph(net("output y = concat(x, upsample(avgpool(x, output = 2), like = x))"))
    assert ir.nodes[ir.graph["outputs"]["y"]].shape == (8, 8, 8)


def test_learned_tensors_count_flops_without_autograd():
    """FlopCounterMode's module hooks accept a learned tensor's output under no_grad (a
    view of a parameter would claim a gradient it has no function for)."""
    ir = mgdsl.build_graph(net("output y = conv(x * param(4, init = 0.5), 2, 1)"))
    gm = to_fx(ir)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        gm(torch.randn(1, 4, 8, 8))
    assert counter.get_total_flops() == 2 * mgdsl.stats(ir).macs
    out = gm(torch.randn(1, 4, 8, 8)).sum()
    out.backward()
    assert gm.param0.weight.grad is not None and gm.param0.weight.grad.abs().sum() > 0
