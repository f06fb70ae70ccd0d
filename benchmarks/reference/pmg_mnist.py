"""PMG-11 for the 64×64 MNIST tasks (the paper's Tables 2-3), written as a plain eager module.

Four grids at 64/32/16/8 px with widths 64/32/16/8, no pooling between blocks: a progressive
block B1 (g3 alone, then g2–g3, g1–g3, all), B2–B4 on all grids, then B5/B6/B7 each drop the
coarsest grid; B7 is a 3×3 conv + BN (no ReLU) to `num_classes` maps, followed by a sigmoid.
`num_classes` = 10 for segmentation (605,718 params), 1 for spatial transformation (600,507).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from benchmarks.reference.common import InputPyramid, MGConv, torch7_init

EPS = 1e-3  # pnmg.mnist.lua
WIDTHS = (64, 32, 16, 8)


class PMGMnist(nn.Module):
    """PMG-11: input pyramid, progressive B1, B2–B4, grid-dropping B5–B7, sigmoid output."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        w = WIDTHS
        self.pyramid = InputPyramid(1, w, eps=EPS)
        # B1, progressive: one layer on the k coarsest grids, k = 1..4
        self.progressive = nn.ModuleList(MGConv(w[-k:], w[-k:], 3, eps=EPS) for k in range(1, 5))
        self.middle = nn.ModuleList(MGConv(w, w, 3, eps=EPS) for _ in range(3))  # B2–B4
        self.b5 = MGConv(w, w[:3], 3, eps=EPS, drop=True)
        self.b6 = MGConv(w[:3], w[:2], 3, eps=EPS, drop=True)
        self.b7 = MGConv(w[:2], (num_classes,), 3, eps=EPS, relu=False, drop=True)
        torch7_init(self, residual=False)

    def forward(self, x: Tensor) -> Tensor:
        """Return sigmoid maps of shape (batch, num_classes, 64, 64)."""
        xs = self.pyramid(x)
        for layer in self.progressive:
            k = len(layer.units)
            xs = xs[:-k] + layer(xs[-k:])  # finer grids pass through unchanged
        for layer in [*self.middle, self.b5, self.b6]:
            xs = layer(xs)
        (out,) = self.b7(xs)
        return torch.sigmoid(out)


def pmg_mnist(num_classes: int = 10) -> PMGMnist:
    """Build PMG-11; `num_classes` 10 for segmentation, 1 for spatial transformation."""
    return PMGMnist(num_classes=num_classes)
