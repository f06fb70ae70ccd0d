"""MG-(5n+1) for CIFAR-100 (the paper's Table 1, Figure 3), written as a plain eager module.

Three grids (32/16/8 px) in S1; five sections separated by mg-pools; the two coarsest grids
merge after S4 and after S5; head Linear(896 → classes) on the 1×1 finest grid, log-softmax.
`mg_cifar(n=3)` is MG-16 (32,577,732 params, 672,270,848 MACs); `width=0.625` gives MG-sm.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmarks.reference.common import InputPyramid, MGConv, pool_pyramid, torch7_init

EPS = 1e-3  # nmg.lua
FULL_WIDTHS = {
    "s1": (64, 32, 16),
    "s2": (128, 64, 32),
    "s3": (256, 128, 64),
    "s4": (512, 256, 128),
}


class MGCifar(nn.Module):
    """MG-(5n+1): input pyramid, S1 (n−1 mg-convs), S2–S5 (n mg-convs each), linear head."""

    def __init__(self, num_classes: int = 100, n: int = 3, width: float = 1.0):
        super().__init__()
        if n < 1:
            raise ValueError("n must be >= 1")
        w = {k: tuple(int(round(c * width)) for c in v) for k, v in FULL_WIDTHS.items()}
        s1, s2, s3, s4 = w["s1"], w["s2"], w["s3"], w["s4"]
        s5 = (s4[0], s4[1] + s4[2])  # after merging g1 (pooled) with g2
        head = s5[0] + s5[1]
        self.pyramid = InputPyramid(3, s1, eps=EPS)

        def section(c_in, c_out, kernels, count):
            layers = []
            for _ in range(count):
                layers.append(MGConv(c_in, c_out, kernels, eps=EPS))
                c_in = c_out
            return nn.ModuleList(layers)

        self.s1 = section(s1, s1, 3, n - 1)
        self.s2 = section(s1, s2, 3, n)
        self.s3 = section(s2, s3, 3, n)
        self.s4 = section(s3, s4, (3, 3, 1), n)
        self.s5 = section(s5, s5, (3, 1), n)
        self.fc = nn.Linear(head, num_classes)
        torch7_init(self, residual=False)

    def forward(self, x: Tensor) -> Tensor:
        """Return log-probabilities of shape (batch, num_classes)."""
        xs = self.pyramid(x)
        for layer in self.s1:
            xs = layer(xs)
        xs = pool_pyramid(xs)
        for layer in self.s2:
            xs = layer(xs)
        xs = pool_pyramid(xs)
        for layer in self.s3:
            xs = layer(xs)
        xs = pool_pyramid(xs)
        for layer in self.s4:
            xs = layer(xs)
        xs = pool_pyramid(xs, merge=True)
        for layer in self.s5:
            xs = layer(xs)
        (x,) = pool_pyramid(xs, merge=True)
        return F.log_softmax(self.fc(torch.flatten(x, 1)), dim=1)


def mg_cifar(num_classes: int = 100, n: int = 3, width: float = 1.0) -> MGCifar:
    """Build MG-(5n+1) (default MG-16); `width=0.625` gives the MG-sm variant."""
    return MGCifar(num_classes=num_classes, n=n, width=width)
