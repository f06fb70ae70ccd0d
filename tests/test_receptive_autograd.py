"""The receptive field that `stats` reports, checked against autograd for every op in the
op table (`mgdsl.ops.OPS`, so ops added later are covered without touching this file):
each op's example runs on a grid that a pooling and a conv already made coarse (jump 2,
so an op that resamples shows its rule), one output pixel's gradient is taken with
respect to the input image for several random images, and the side of the window of
input pixels that moved must be the receptive field `receptive_fields` computes."""

from __future__ import annotations

import pytest
import torch

import mgdsl
from mgdsl.analyses.receptive import FULL, receptive_fields
from mgdsl.ops import OPS

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("one_torch_thread")]

SIDE = 64
PREFIX = "x = conv(avgpool(image), 4, 3)"  # a 4-channel grid, receptive field 6, jump 2

# what the examples leave out: resampling rules with other arguments
VARIANTS = [
    'upsample(x, mode = "bilinear")', 'upsample(x, scale = 4, mode = "bilinear")',
    'upsample(x, mode = "bilinear", align_corners = true)', "upsample(x, scale = 3)",
    'upsample(avgpool(x), like = x, mode = "bilinear")', "upsample(maxpool(x, 3), like = x)",
    "conv(x, 6, 3, dilation = 2)", "conv(x, 4, 5, stride = 3)", "avgpool(x, 3, 3)",
    "deconv(x, 3, 3, stride = 2, pad = 1, output_padding = 1)", "deconv(x, 4, 4, stride = 2)",
    "maxpool(x, 3, 2, 1)",
]

# where the recurrence `r_out = r_in + (extent - 1) * j_in` is not exact: after an
# upsampling, neighbouring pixels' windows do not move by the (fractional) jump each but
# by 0 or a whole coarse pixel, so what reads several of them sees a window the rule
# misses (two bilinear upsamplings) or one it overcounts (nearest, then an aligned pooling)
INEXACT = ['upsample(upsample(x, mode = "bilinear"), mode = "bilinear")',
           "x + avgpool(upsample(x))"]

CASES = [(op, OPS[op].example) for op in sorted(OPS) if op not in ("input", "output")] + [
    ("variant", v) for v in VARIANTS] + [
    pytest.param("variant", v, marks=pytest.mark.xfail(strict=True, reason="see INEXACT"))
    for v in INEXACT]


def _ir(expr: str):
    return mgdsl.build_graph(f"network T() {{\n    input image: 2 x {SIDE} x {SIDE}\n"
                             f"    {PREFIX}\n    output y = {expr}\n}}\n")


def measured_window(ir, draws: int = 6) -> int:
    """The side of the window of input pixels that move a central output pixel (any
    pixel when the output is a vector), over `draws` random images and weights."""
    torch.manual_seed(0)
    widest = 0
    for _ in range(draws):
        gm = mgdsl.to_fx(ir, init="torch").eval()
        image = torch.randn(1, 2, SIDE, SIDE, requires_grad=True)
        y = gm(image)
        if y.dim() == 4:
            h, w = y.shape[-2:]
            # a block of central pixels, so that every phase of a stride is seen
            block = y[0, :, max(h // 2 - 2, 0):h // 2 + 2, max(w // 2 - 2, 0):w // 2 + 2]
            cells = [block[:, i, j].sum() for i in range(block.shape[1])
                     for j in range(block.shape[2])]
        else:
            cells = [y.sum()]
        for cell in cells:
            (grad,) = torch.autograd.grad(cell, image, retain_graph=True)
            hit = grad[0].abs().sum(0) > 0
            rows, cols = hit.any(1).nonzero(), hit.any(0).nonzero()
            if len(rows):
                widest = max(widest, int(rows.max() - rows.min()) + 1,
                             int(cols.max() - cols.min()) + 1)
    return widest


def _id(case) -> str:
    op, expr = case.values if hasattr(case, "values") else case
    return f"{op}:{expr}"


@pytest.mark.parametrize("op,expr", CASES, ids=[_id(c) for c in CASES])
def test_receptive_field_matches_autograd(op, expr) -> None:
    ir = _ir(expr)
    if op != "variant":
        assert any(ir.nodes[n].op == op for n in ir.nodes), f"the example does not use {op}"
    (reach,) = receptive_fields(ir)
    got = measured_window(ir)
    if reach.receptive_field == FULL:
        assert got == SIDE, f"`stats` says global, autograd moved a {got} px window"
    else:
        assert reach.receptive_field < SIDE - 8, "the test's input is too small to see it"
        assert got == reach.receptive_field, \
            f"`stats` says {reach.receptive_field:g} px, autograd moved {got} px"
