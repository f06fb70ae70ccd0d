"""U-NET-11 for the 64×64 MNIST tasks (the paper's Tables 2-3), written as a plain eager module.

One 3×3 conv unit per level (64/128/256/512 channels at 64/32/16/8 px, BN eps 1e-3), 2×2/2
max-pool down, 2×2 stride-2 transposed conv + BN + ReLU up, skip concat [skip, up] then a conv
unit, and a final 1×1 conv + BN (no ReLU) to `num_classes` maps followed by a sigmoid.
Params 3,791,518 (10 classes) / 3,790,915 (1 class).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmarks.reference.common import ConvUnit, torch7_init

EPS = 1e-3  # unet.lua


class UpUnit(nn.Module):
    """2×2 stride-2 transposed conv (with bias) → BN → ReLU."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.deconv = nn.ConvTranspose2d(c_in, c_out, kernel_size=2, stride=2, bias=True)
        self.bn = nn.BatchNorm2d(c_out, eps=EPS)

    def forward(self, x: Tensor) -> Tensor:
        """Double the resolution."""
        return F.relu(self.bn(self.deconv(x)))


class UNet11(nn.Module):
    """U-NET-11: four down levels, three transposed-conv up levels with skips, 1×1 output."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.d1 = ConvUnit(1, 64, eps=EPS)
        self.d2 = ConvUnit(64, 128, eps=EPS)
        self.d3 = ConvUnit(128, 256, eps=EPS)
        self.d4 = ConvUnit(256, 512, eps=EPS)
        self.up3 = UpUnit(512, 256)
        self.u3 = ConvUnit(512, 256, eps=EPS)
        self.up2 = UpUnit(256, 128)
        self.u2 = ConvUnit(256, 128, eps=EPS)
        self.up1 = UpUnit(128, 64)
        self.u1 = ConvUnit(128, 64, eps=EPS)
        self.out = ConvUnit(64, num_classes, k=1, eps=EPS, relu=False)
        torch7_init(self, residual=False)

    def forward(self, x: Tensor) -> Tensor:
        """Return sigmoid maps of shape (batch, num_classes, H, W)."""
        x1 = self.d1(x)
        x2 = self.d2(F.max_pool2d(x1, 2, 2))
        x3 = self.d3(F.max_pool2d(x2, 2, 2))
        x4 = self.d4(F.max_pool2d(x3, 2, 2))
        y = self.u3(torch.cat([x3, self.up3(x4)], dim=1))
        y = self.u2(torch.cat([x2, self.up2(y)], dim=1))
        y = self.u1(torch.cat([x1, self.up1(y)], dim=1))
        return torch.sigmoid(self.out(y))


def unet(num_classes: int = 10) -> UNet11:
    """Build U-NET-11; `num_classes` 10 for segmentation, 1 for spatial transformation."""
    return UNet11(num_classes=num_classes)
