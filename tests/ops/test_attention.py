"""`attention` and `window_attention` against references written here from their papers:
outputs in float64, shapes, parameters (torchvision's `ShiftedWindowAttention` counts)
and MACs (`FlopCounterMode`), fx = emitted source = ONNX (dynamic sizes)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from helpers import import_source
from torch.utils.flop_counter import FlopCounterMode

import mgdsl
from mgdsl.codegen.attention import WindowAttention
from mgdsl.codegen.fx import to_fx
from mgdsl.codegen.source import emit_source

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("one_torch_thread")]


def net(body: str, size: str = "8 x 12 x 10") -> str:
    return f"network T() {{\n    input x: {size}\n{body}\n}}\n"


def reference_attention(q, ks, vs, heads):
    """Vaswani et al.'s multi-head attention without projections: head i reads channels
    [i d, (i + 1) d); keys and values of every grid are one sequence."""
    b, c, h, w = q.shape
    d = c // heads
    seq_q = q.flatten(2).transpose(1, 2)                                   # (B, HW, C)
    seq_k = torch.cat([k.flatten(2) for k in ks], 2).transpose(1, 2)       # (B, N, C)
    seq_v = torch.cat([v.flatten(2) for v in vs], 2).transpose(1, 2)
    outs = []
    for i in range(heads):
        part = slice(i * d, (i + 1) * d)
        weights = torch.softmax(seq_q[..., part] @ seq_k[..., part].transpose(1, 2)
                                / math.sqrt(d), -1)
        outs.append(weights @ seq_v[..., part])
    return torch.cat(outs, -1).transpose(1, 2).reshape(b, c, h, w)


def run_both(ir, tmp_path, *xs):
    """fx and emitted source on `xs` (float64); they must agree exactly."""
    gm = to_fx(ir, seed=0).double().eval()
    src = import_source(emit_source(ir), tmp_path / "net.py", "mg_att").T(init="torch")
    src.load_state_dict(gm.state_dict())
    src = src.double().eval()
    out = gm(*xs)
    assert torch.equal(out, src(*xs))
    return gm, out


@pytest.mark.parametrize(("kv", "heads"), [("x", 1), ("x", 4), ("avgpool(x, 2)", 2),
                                           ("pyramid(x, 3)", 2), ("conv(pyramid(x, 2), 8, 1)", 8)])
def test_attention_equals_the_reference_and_counts_as_torch(kv, heads, tmp_path):
    ir = mgdsl.build_graph(net(f"    k = {kv}\n    output y = attention(x, k, k, heads = {heads})"))
    x = torch.randn(2, 8, 12, 10, dtype=torch.float64)
    gm, out = run_both(ir, tmp_path, x)
    node = next(n for n in ir.nodes if ir.nodes[n].op == "attention")
    kv_nodes = ir.nodes[node].inputs[1:]
    # the key grids, computed by the module itself (they may be pooled or convolved)
    interp = torch.fx.Interpreter(gm)
    values: dict = {}
    env_hook = interp.run_node

    def record(n):
        result = env_hook(n)
        values[n.meta.get("mg_node")] = result
        return result

    interp.run_node = record
    interp.run(x)
    keys = [values[k] for k in kv_nodes[: len(kv_nodes) // 2]]
    want = reference_attention(x, keys, keys, heads)
    assert out.shape == want.shape == (2, 8, 12, 10)
    assert torch.allclose(out, want, atol=1e-12)
    with FlopCounterMode(display=False) as counter:
        gm.float()(x.float())
    assert counter.get_total_flops() == 2 * mgdsl.stats(ir).macs * 2
    assert ir.nodes[node].meta.params == 0


def test_each_grid_of_a_query_pyramid_attends_to_the_whole_pyramid(tmp_path):
    ir = mgdsl.build_graph(net("    p = pyramid(x, 3)\n    a = attention(p, p, p, heads = 2)\n"
                               "    output y = a[0] + upsample(a[1], like = x)", "8 x 16 x 16"))
    assert [ir.nodes[n].level for n in ir.nodes if ir.nodes[n].op == "attention"] == [0, 1, 2]
    x = torch.randn(1, 8, 16, 16, dtype=torch.float64)
    run_both(ir, tmp_path, x)


def naive_window_attention(x, m: WindowAttention):
    """Swin (Liu et al. 2021, sec. 3.2) window by window with Python loops: pad the grid at
    the bottom/right to whole windows, roll it by -shift (no roll along a side of one
    window), attend inside each window with the relative position bias B[dy, dx] of every
    pair and -100 between pixels that came from different regions of the rolled grid,
    project, roll back, crop."""
    b, c, h, w = x.shape
    win, heads, shift = m.window, m.heads, m.shift
    d = c // heads
    ph, pw = -(-h // win) * win, -(-w // win) * win
    grid = torch.zeros(b, c, ph, pw, dtype=x.dtype)
    grid[:, :, :h, :w] = x
    sh, sw = (shift if win < ph else 0), (shift if win < pw else 0)

    def region(i, size, s):  # which of the three bands a row of the rolled grid came from
        return 0 if i < size - win else (1 if i < size - s else 2)

    grid = torch.roll(grid, (-sh, -sw), (2, 3))
    out = torch.zeros_like(grid)
    table = m.relative_position_bias_table
    for top in range(0, ph, win):
        for left in range(0, pw, win):
            cells = [(top + i, left + j) for i in range(win) for j in range(win)]
            tokens = torch.stack([grid[:, :, r, s] for r, s in cells], 1)   # (B, N, C)
            q, k, v = F.linear(tokens, m.qkv.weight, m.qkv.bias).split(c, -1)
            heads_out = []
            for hd in range(heads):
                part = slice(hd * d, (hd + 1) * d)
                logits = q[..., part] @ k[..., part].transpose(1, 2) / math.sqrt(d)
                bias = torch.empty(len(cells), len(cells), dtype=x.dtype)
                for a, (r1, s1) in enumerate(cells):
                    for z, (r2, s2) in enumerate(cells):
                        dy, dx = r1 - r2 + win - 1, s1 - s2 + win - 1
                        bias[a, z] = table[dy * (2 * win - 1) + dx, hd]
                        if sh + sw and (region(r1, ph, sh), region(s1, pw, sw)) != \
                                (region(r2, ph, sh), region(s2, pw, sw)):
                            bias[a, z] -= 100
                heads_out.append(torch.softmax(logits + bias, -1) @ v[..., part])
            y = F.linear(torch.cat(heads_out, -1), m.proj.weight, m.proj.bias)
            for a, (r, s) in enumerate(cells):
                out[:, :, r, s] = y[:, a]
    return torch.roll(out, (sh, sw), (2, 3))[:, :, :h, :w]


@pytest.mark.parametrize(("size", "window", "shift"), [
    ("8 x 6 x 6", 3, 0), ("8 x 6 x 6", 3, 1), ("8 x 7 x 5", 3, 1), ("8 x 4 x 9", 4, 2),
    ("8 x 3 x 3", 4, 2),
])
def test_window_attention_equals_swin_written_window_by_window(size, window, shift, tmp_path):
    ir = mgdsl.build_graph(net(f"    output y = window_attention(x, heads = 2, window = "
                               f"{window}, shift = {shift})", size))
    c, h, w = (int(s) for s in size.split(" x "))
    x = torch.randn(2, c, h, w, dtype=torch.float64)
    gm, out = run_both(ir, tmp_path, x)
    layer = next(m for m in gm.modules() if isinstance(m, WindowAttention))
    with torch.no_grad():  # a visible bias, so a wrong index or mask shows
        layer.relative_position_bias_table.normal_()
        out = gm(x)
        assert torch.allclose(out, naive_window_attention(x, layer), atol=1e-10)
    # torchvision's ShiftedWindowAttention(dim, [w, w], [s, s], heads) holds these
    params = 4 * c * c + 4 * c + (2 * window - 1) ** 2 * 2
    assert mgdsl.stats(ir).params == params == sum(p.numel() for p in gm.parameters())
    assert sorted(layer.state_dict()) == ["proj.bias", "proj.weight", "qkv.bias", "qkv.weight",
                                          "relative_position_bias_table",
                                          "relative_position_index"]
    with FlopCounterMode(display=False) as counter:
        gm.float()(x.float())
    assert counter.get_total_flops() == 2 * mgdsl.stats(ir).macs * 2


def test_window_attention_runs_at_other_sizes_with_padding_and_shift(tmp_path):
    ir = mgdsl.build_graph(net("    output y = window_attention(x, heads = 4, window = 4, "
                               "shift = 2)", "8 x 8 x 8"))
    gm = to_fx(ir, seed=1).double()
    layer = next(m for m in gm.modules() if isinstance(m, WindowAttention))
    for h, w in ((8, 8), (9, 13), (4, 4), (3, 12)):
        x = torch.randn(1, 8, h, w, dtype=torch.float64)
        assert torch.allclose(gm(x), naive_window_attention(x, layer), atol=1e-10)


@pytest.mark.parametrize("body", [
    "    p = pyramid(x, 3)\n    output y = attention(x, p, p, heads = 2) + x",
    "    y = window_attention(x, heads = 2, window = 4, shift = 2)\n"
    "    output y = window_attention(y, heads = 2, window = 4)",
])
def test_onnx_export_with_dynamic_sizes_matches(body, tmp_path):
    pytest.importorskip("onnxruntime")
    from mgdsl.codegen.onnx_export import another_size, export_onnx, verify

    text = net(body, "8 x 16 x 16")
    ir = mgdsl.build_graph(text)
    sizes = another_size(ir, text)
    assert sizes is not None
    result = export_onnx(ir, tmp_path / "a.onnx", dynamic=True, source=text)
    assert verify(result.path, ir, result.module).within(1e-4)
    assert verify(result.path, ir, result.module, sizes=sizes, batch=1).within(1e-4)


def test_onnx_window_attention_pads_and_shifts_at_every_size(tmp_path):
    """At 7 x 7 a window of 7 is not shifted and needs no padding; the exported file must
    still pad, and shift, at the sizes that need it (no branch is frozen by the export)."""
    pytest.importorskip("onnxruntime")
    from mgdsl.codegen.onnx_export import export_onnx, verify

    text = net("    y = window_attention(x, heads = 2, window = 7, shift = 3)\n"
               "    output z = window_attention(y, heads = 2, window = 4, shift = 2)", "8 x 7 x 7")
    ir = mgdsl.build_graph(text)
    result = export_onnx(ir, tmp_path / "w.onnx", dynamic=True, source=text)
    for size in ((8, 7, 7), (8, 8, 9), (8, 15, 22), (8, 4, 30)):
        assert verify(result.path, ir, result.module, sizes={"x": size}, batch=1).within(1e-5)


@pytest.mark.parametrize(("expr", "code"), [
    ("attention(x, conv(x, 4, 1), x)", "E350"), ("attention(x, x, conv(x, 4, 1))", "E350"),
    ("attention(x, x, x, heads = 3)", "E351"), ("attention(x, pyramid(x, 2), x)", "E352"),
    ("attention(x, x, avgpool(x, 2))", "E352"), ("window_attention(x, heads = 5)", "E351"),
    ("window_attention(x, window = 3, shift = 3)", "E353"),
    ("window_attention(x, window = 0)", "E403"), ("attention(flatten(x), x, x)", "E306"),
])
def test_wrong_attention_is_a_located_error(expr, code):
    with pytest.raises(mgdsl.MgError) as info:
        mgdsl.build_graph(net(f"    output y = {expr}"))
    assert info.value.code == code
    assert info.value.span is not None and info.value.span.line == 3
