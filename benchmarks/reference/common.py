"""Building blocks shared by the reference networks (the paper's Figure 2 and Section 3).

* `ConvUnit`: k×k conv (bias, padding 0 for 1×1 else 1) → BatchNorm → optional ReLU.
* `MGConv`: one multigrid convolution layer over a pyramid (Figure 2 left), optionally dropping the
  coarsest grid.
* `InputPyramid`: average-pooled image pyramid with one independent 3×3 stem per grid.
* `pool_pyramid`: max-pool every grid, optionally merging the two coarsest.
* `torch7_init`: the initialisation of the authors' Torch7 code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ConvUnit(nn.Module):
    """Conv k×k (stride 1, with bias) → BatchNorm2d(eps) → ReLU (unless `relu=False`)."""

    def __init__(self, c_in: int, c_out: int, k: int = 3, eps: float = 1e-3, relu: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, stride=1, padding=0 if k == 1 else 1, bias=True)
        self.bn = nn.BatchNorm2d(c_out, eps=eps)
        self.relu = relu

    def forward(self, x: Tensor) -> Tensor:
        """Apply conv, BN and (optionally) ReLU."""
        x = self.bn(self.conv(x))
        return F.relu(x) if self.relu else x


def pool2(x: Tensor) -> Tensor:
    """2×2 stride-2 max-pool in ceil mode (the grid-to-coarser-grid resampling)."""
    return F.max_pool2d(x, kernel_size=2, stride=2, ceil_mode=True)


def upsample_to(x: Tensor, like: Tensor) -> Tensor:
    """Nearest-neighbour upsampling of `x` to the spatial size of `like`."""
    return F.interpolate(x, size=like.shape[-2:], mode="nearest")


class MGConv(nn.Module):
    """One multigrid convolution over a pyramid (finest grid first).

    Output grid i convolves concat[pool(x[i-1]), x[i], upsample(x[i+1])] (terms for missing
    neighbours drop out) with its own `ConvUnit`. With `drop=True` the coarsest input grid is
    neither convolved nor fed upward, so there is one output grid fewer than input grids.
    """

    def __init__(
        self,
        c_in: Sequence[int],
        c_out: Sequence[int],
        kernels: int | Sequence[int] = 3,
        eps: float = 1e-3,
        relu: bool = True,
        drop: bool = False,
    ):
        super().__init__()
        n_out = len(c_in) - 1 if drop else len(c_in)
        if len(c_out) != n_out:
            raise ValueError(f"expected {n_out} output widths, got {len(c_out)}")
        if isinstance(kernels, int):
            kernels = [kernels] * n_out
        units = []
        for i in range(n_out):
            seen = c_in[i] + (c_in[i - 1] if i > 0 else 0) + (c_in[i + 1] if i + 1 < n_out else 0)
            units.append(ConvUnit(seen, c_out[i], kernels[i], eps=eps, relu=relu))
        self.units = nn.ModuleList(units)

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        """Map an input pyramid to the output pyramid."""
        n_out = len(self.units)
        out = []
        for i, unit in enumerate(self.units):
            parts = []
            if i > 0:
                parts.append(pool2(xs[i - 1]))
            parts.append(xs[i])
            if i + 1 < n_out:
                parts.append(upsample_to(xs[i + 1], xs[i]))
            out.append(unit(torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]))
        return out


class InputPyramid(nn.Module):
    """Grid i gets the image average-pooled by 2**i, then its own 3×3 conv-unit stem."""

    def __init__(self, c_img: int, widths: Sequence[int], eps: float = 1e-3):
        super().__init__()
        self.stems = nn.ModuleList(ConvUnit(c_img, c, 3, eps=eps) for c in widths)

    def forward(self, x: Tensor) -> list[Tensor]:
        """Return the stem outputs, finest grid first."""
        out = []
        for i, stem in enumerate(self.stems):
            xi = x if i == 0 else F.avg_pool2d(x, kernel_size=2**i, stride=2**i)
            out.append(stem(xi))
        return out


def pool_pyramid(xs: list[Tensor], merge: bool = False) -> list[Tensor]:
    """Max-pool every grid; with `merge`, concat pooled second-coarsest with unpooled coarsest."""
    if not merge:
        return [pool2(x) for x in xs]
    pooled = [pool2(x) for x in xs[:-1]]
    return pooled[:-1] + [torch.cat([pooled[-1], xs[-1]], dim=1)]


def torch7_init(model: nn.Module, residual: bool) -> nn.Module:
    """Initialise `model` as the authors' Torch7 code does; returns `model`.

    Conv weights N(0, sqrt(2 / (k·k·c_out))) and zero bias; transposed convs
    U(±1/sqrt(c_in·k·k)); BN γ = 1 (residual family) or U(0, 1) (others), β = 0; linear keeps
    PyTorch's default U(±1/sqrt(fan_in)) (same as Torch7), with zero bias in the residual family.
    """
    for m in model.modules():
        if isinstance(m, nn.ConvTranspose2d):
            bound = 1.0 / math.sqrt(m.in_channels * m.kernel_size[0] * m.kernel_size[1])
            nn.init.uniform_(m.weight, -bound, bound)
            if m.bias is not None:
                nn.init.uniform_(m.bias, -bound, bound)
        elif isinstance(m, nn.Conv2d):
            n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
            nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / n))
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            if residual:
                nn.init.ones_(m.weight)
            else:
                nn.init.uniform_(m.weight, 0.0, 1.0)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and residual and m.bias is not None:
            nn.init.zeros_(m.bias)
    return model
