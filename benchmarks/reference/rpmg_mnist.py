"""R-PMG-20 for the 64×64 MNIST tasks (the paper's Tables 2-3), written as a plain eager module.

The PMG-11 skeleton with every non-stem layer a residual unit of two mg-convs (BN eps 1e-5):
mg-conv + BN + ReLU, mg-conv + BN, add the identity shortcut, ReLU. In the grid-dropping units
only the first mg-conv drops the coarsest grid. The output unit is 1×1 64→C + BN + ReLU,
1×1 C→C + BN, plus a 1×1 conv + BN projection shortcut 64→C, with no final ReLU, then sigmoid.
Params 1,199,886 (10 classes) / 1,198,554 (1 class).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmarks.reference.common import ConvUnit, InputPyramid, MGConv, torch7_init

EPS = 1e-5  # prnmg.mnist.lua (Torch default)
WIDTHS = (64, 32, 16, 8)


class ResMGUnit(nn.Module):
    """Post-activation residual multigrid unit with identity shortcuts on the surviving grids."""

    def __init__(self, widths: Sequence[int], drop: bool = False):
        super().__init__()
        out = tuple(widths[:-1]) if drop else tuple(widths)
        self.conv1 = MGConv(widths, out, 3, eps=EPS, relu=True, drop=drop)
        self.conv2 = MGConv(out, out, 3, eps=EPS, relu=False)

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        """Map a pyramid to a pyramid (one grid fewer if this unit drops the coarsest)."""
        ys = self.conv2(self.conv1(xs))
        return [F.relu(y + x) for y, x in zip(ys, xs, strict=False)]


class OutputUnit(nn.Module):
    """B7: drop g1; 1×1 conv units 64→C (ReLU) and C→C (no ReLU) + 1×1 conv-BN projection."""

    def __init__(self, c_in: int, num_classes: int):
        super().__init__()
        self.conv1 = ConvUnit(c_in, num_classes, 1, eps=EPS, relu=True)
        self.conv2 = ConvUnit(num_classes, num_classes, 1, eps=EPS, relu=False)
        self.shortcut = ConvUnit(c_in, num_classes, 1, eps=EPS, relu=False)

    def forward(self, x: Tensor) -> Tensor:
        """Return pre-sigmoid maps (no final ReLU)."""
        return self.conv2(self.conv1(x)) + self.shortcut(x)


class RPMGMnist(nn.Module):
    """R-PMG-20: input pyramid, progressive residual B1, B2–B4, dropping B5/B6, output unit."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        w = WIDTHS
        self.pyramid = InputPyramid(1, w, eps=EPS)
        # B1: on g3 alone this is a basic res-unit; then g2–g3, g1–g3, all four grids.
        self.progressive = nn.ModuleList(ResMGUnit(w[-k:]) for k in range(1, 5))
        self.middle = nn.ModuleList(ResMGUnit(w) for _ in range(3))  # B2–B4
        self.b5 = ResMGUnit(w, drop=True)
        self.b6 = ResMGUnit(w[:3], drop=True)
        self.b7 = OutputUnit(w[0], num_classes)
        torch7_init(self, residual=True)

    def forward(self, x: Tensor) -> Tensor:
        """Return sigmoid maps of shape (batch, num_classes, 64, 64)."""
        xs = self.pyramid(x)
        for unit in self.progressive:
            k = len(unit.conv1.units)
            xs = xs[:-k] + unit(xs[-k:])  # finer grids pass through unchanged
        for unit in [*self.middle, self.b5, self.b6]:
            xs = unit(xs)
        return torch.sigmoid(self.b7(xs[0]))


def rpmg_mnist(num_classes: int = 10) -> RPMGMnist:
    """Build R-PMG-20; `num_classes` 10 for segmentation, 1 for spatial transformation."""
    return RPMGMnist(num_classes=num_classes)
