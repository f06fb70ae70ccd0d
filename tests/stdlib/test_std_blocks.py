"""The standard blocks of issue 23 written in `.mg` (`se`, `mix_ffn`) equal plain-PyTorch
references written from their papers (float64, weights copied, two input sizes)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import mgdsl

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("one_torch_thread")]


def compiled(expr: str, c: int):
    ir = mgdsl.build_graph(f'use "std.mg"\nnetwork N() {{\n    input x: {c} x 8 x 8\n'
                           f"    output y = {expr}\n}}\n")
    return ir, mgdsl.to_fx(ir, seed=0).double()


def test_squeeze_and_excitation():
    """Hu et al. 2018, Figure 3: global average pooling, FC to C/r, ReLU, FC to C, sigmoid,
    channel-wise rescaling."""
    ir, gm = compiled("se(x, r = 4)", 32)
    fc1, fc2 = nn.Linear(32, 8).double(), nn.Linear(8, 32).double()
    assert mgdsl.stats(ir).params == sum(p.numel() for m in (fc1, fc2) for p in m.parameters())
    convs = [m for m in gm.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        for conv, fc in zip(convs, (fc1, fc2), strict=True):
            conv.weight.copy_(fc.weight[:, :, None, None])
            conv.bias.copy_(fc.bias)
    for h, w in ((8, 8), (5, 11)):
        x = torch.randn(2, 32, h, w, dtype=torch.float64)
        scale = torch.sigmoid(fc2(F.relu(fc1(x.mean((2, 3))))))
        torch.testing.assert_close(gm(x), x * scale[:, :, None, None], atol=1e-12, rtol=0)


def test_mix_ffn():
    """Xie et al. 2021, eq. (3): x_out = MLP(GELU(Conv3x3(MLP(x_in)))), the 3x3 conv
    depthwise (as the authors' code), the MLPs per position (Linear C -> 4C, 4C -> C)."""
    ir, gm = compiled("mix_ffn(x)", 16)
    fc1, fc2 = nn.Linear(16, 64).double(), nn.Linear(64, 16).double()
    dw = nn.Conv2d(64, 64, 3, padding=1, groups=64).double()
    params = sum(p.numel() for m in (fc1, dw, fc2) for p in m.parameters())
    assert mgdsl.stats(ir).params == params
    convs = [m for m in gm.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        convs[0].weight.copy_(fc1.weight[:, :, None, None])
        convs[0].bias.copy_(fc1.bias)
        convs[1].load_state_dict(dw.state_dict())
        convs[2].weight.copy_(fc2.weight[:, :, None, None])
        convs[2].bias.copy_(fc2.bias)
    for h, w in ((8, 8), (7, 12)):
        x = torch.randn(2, 16, h, w, dtype=torch.float64)
        tokens = fc1(x.flatten(2).transpose(1, 2))                       # (B, N, 4C)
        grid = tokens.transpose(1, 2).reshape(2, 64, h, w)
        tokens = fc2(F.gelu(dw(grid)).flatten(2).transpose(1, 2))
        want = tokens.transpose(1, 2).reshape(2, 16, h, w)
        torch.testing.assert_close(gm(x), want, atol=1e-12, rtol=0)
