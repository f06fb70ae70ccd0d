"""The receptive field that `stats` reports, checked against the network itself for every
op in the op table (`mgdsl.ops.OPS`, so ops added later are covered without touching this
file): each op's example runs on a grid that a pooling and a conv already made coarse
(jump 2, so an op that resamples shows its rule); input pixels are perturbed one at a
time along the middle row and column (a perturbation, not a gradient, so that a max
pooling's unused inputs count), and the side of the window of input pixels that move a
central output pixel must be the receptive field `receptive_fields` computes."""

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
    "maxpool(x, 3, 2, 1)", "avgpool(x, output = 4)", "window_attention(x, heads = 2, window = 4)",
]

# where the recurrence `r_out = r_in + (extent - 1) * j_in` alone is not exact: after an
# upsampling, neighbouring pixels' windows do not move by the (fractional) jump each but
# by 0 or a whole coarse pixel, so what reads several of them sees a window the rule
# misses (two bilinear upsamplings) or one it overcounts (nearest, then an aligned
# pooling); `stats` follows each output pixel's window back instead (`OpSpec.reads`)
PHASED = ['upsample(upsample(x, mode = "bilinear"), mode = "bilinear")',
          "x + avgpool(upsample(x))", 'upsample(upsample(x, scale = 3), mode = "bilinear")',
          "maxpool(upsample(x, scale = 4), 3, 2, 1)", "conv(upsample(x, scale = 3), 4, 2)",
          'avgpool(upsample(x, scale = 4, mode = "bilinear"), 2, 2)',
          "deconv(upsample(x), 4, 3, stride = 2, pad = 1, output_padding = 1)"]

CASES = [(op, OPS[op].example) for op in sorted(OPS) if op not in ("input", "output")] + [
    ("variant", v) for v in VARIANTS + PHASED]


def _ir(expr: str):
    return mgdsl.build_graph(f"network T() {{\n    input image: 2 x {SIDE} x {SIDE}\n"
                             f"    {PREFIX}\n    output y = {expr}\n}}\n")


def measured_window(ir, draws: int = 3) -> tuple[int, bool]:
    """The side of the window of input pixels whose change moves a central output pixel
    (any output value when the output is a vector), over `draws` random images: each
    pixel of the input's middle row and middle column is perturbed in turn (by +-50, so a
    max pooling moves too) and the pixels that move the output are read off. Also says
    whether the widest window reaches the border of the image (so may be cut)."""
    torch.manual_seed(0)
    gm = mgdsl.to_fx(ir, init="torch").eval()
    mid = SIDE // 2
    widest, cut = 0, False
    for _ in range(draws):
        base = torch.randn(1, 2, SIDE, SIDE)
        batch = base.repeat(4 * SIDE, 1, 1, 1)
        for k in range(SIDE):
            for j, delta in enumerate((50.0, -50.0)):
                batch[(2 * j) * SIDE + k, :, k, mid] += delta  # along the middle column
                batch[(2 * j + 1) * SIDE + k, :, mid, k] += delta  # along the middle row
        with torch.no_grad():
            y0, y = gm(base), gm(batch)
        if y.dim() == 4:
            h, w = y.shape[-2:]
            rows = slice(max(h // 2 - 2, 0), h // 2 + 2)
            cols = slice(max(w // 2 - 2, 0), w // 2 + 2)
            moved = (y - y0)[:, :, rows, cols].abs().amax(1) > 1e-5  # (batch, rows, cols)
        else:
            moved = ((y - y0).abs().amax(1) > 1e-5)[:, None, None]
        moved = moved.reshape(2, 2, SIDE, *moved.shape[1:]).any(0)  # (axis, k, rows, cols)
        for axis in range(2):
            for cell in moved[axis].reshape(SIDE, -1).T:
                hit = cell.nonzero()
                if len(hit) and int(hit.max() - hit.min()) + 1 >= widest:
                    side = int(hit.max() - hit.min()) + 1
                    border = int(hit.min()) == 0 or int(hit.max()) == SIDE - 1
                    cut = border if side > widest else cut and border
                    widest = side
    return widest, cut


def _id(case) -> str:
    op, expr = case.values if hasattr(case, "values") else case
    return f"{op}:{expr}"


@pytest.mark.parametrize("op,expr", CASES, ids=[_id(c) for c in CASES])
def test_receptive_field_matches_the_network(op, expr) -> None:
    ir = _ir(expr)
    if op != "variant":
        assert any(ir.nodes[n].op == op for n in ir.nodes), f"the example does not use {op}"
    (reach,) = receptive_fields(ir)
    got, cut = measured_window(ir)
    if reach.receptive_field == FULL:
        assert got == SIDE, f"`stats` says global, the network moved a {got} px window"
    elif cut:  # the window reaches past the image (adaptive pooling to 2 bins)
        assert got <= reach.receptive_field, \
            f"`stats` says {reach.receptive_field:g} px, the network moved {got} px"
    else:
        assert reach.receptive_field < SIDE - 8, "the test's input is too small to see it"
        assert got == reach.receptive_field, \
            f"`stats` says {reach.receptive_field:g} px, the network moved {got} px"
