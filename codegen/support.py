"""Layers and the paper's initialisation, shared verbatim by fx modules and emitted source.

The fx backend imports this module; the source emitter copies the code below the marker
line into every file it writes, so a standalone model initialises exactly as an fx one
(same seed, same weights). Keep it self-contained: `math`, `torch` and `nn` only.
"""

import math

import torch
from torch import nn

__all__ = ["BatchNorm", "Linear", "LayerNorm2d", "Learned", "init_paper"]

# --- emitted below this line ---


class BatchNorm(nn.BatchNorm2d):
    """nn.BatchNorm2d that remembers how the paper initialises its gamma ("one" or "uniform")."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, gamma_init="one", **kwargs):
        super().__init__(num_features, eps=eps, momentum=momentum, **kwargs)
        self.gamma_init = gamma_init


class Linear(nn.Linear):
    """nn.Linear that remembers how the paper initialises its bias ("uniform" or "zero")."""

    def __init__(self, in_features, out_features, bias=True, bias_init="uniform", **kwargs):
        super().__init__(in_features, out_features, bias=bias, **kwargs)
        self.bias_init = bias_init


class LayerNorm2d(nn.LayerNorm):
    """nn.LayerNorm over the channels at every position of a (B, C, H, W) tensor
    (ConvNeXt's LayerNorm2d; Swin's and SegFormer's per-token LayerNorm)."""

    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class Learned(nn.Module):
    """`n` learned scalars, all starting at `init`, given as a (1, n, 1, 1) tensor."""

    def __init__(self, n, init=1.0):
        super().__init__()
        self.init = init
        self.weight = nn.Parameter(torch.empty(n))
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self):
        self.weight.fill_(self.init)

    def forward(self):
        # without autograd, a view of the parameter would claim to need gradients and have
        # no function to compute them (which hooks such as FlopCounterMode's reject)
        weight = self.weight if torch.is_grad_enabled() else self.weight.detach()
        return weight.view(1, -1, 1, 1)


@torch.no_grad()
def init_paper(model, seed=None):
    """Initialise `model` as the paper's Torch code does, in module order.

    Conv: weight N(0, sqrt(2 / (k*k*c_out))), bias 0. Transposed conv: weight and bias
    U(+-1/sqrt(c_in*k*k)). BatchNorm: beta 0, gamma 1 or U(0, 1), running statistics reset.
    GroupNorm and LayerNorm: gamma 1, beta 0. Learned scalars: their `init`.
    WindowAttention's position bias table: truncated N(0, 0.02) (its projections are Linear
    layers). Linear: weight U(+-1/sqrt(fan_in)), bias 0 or U(+-1/sqrt(fan_in)). `seed` makes it
    reproducible without touching the global random state.
    """
    gen = None
    if seed is not None:
        gen = torch.Generator(device="cpu")
        gen.manual_seed(seed)

    def fill(t, kind, a=0.0, b=1.0):
        # sampled on the CPU, so a seed gives the same weights on every device
        sample = t if t.device.type == "cpu" else torch.empty(t.shape, dtype=t.dtype)
        if kind == "normal":
            sample.normal_(a, b, generator=gen)
        else:
            sample.uniform_(a, b, generator=gen)
        if sample is not t:
            t.copy_(sample)

    for m in model.modules():
        if isinstance(m, nn.ConvTranspose2d):
            bound = 1 / math.sqrt(m.in_channels * m.kernel_size[0] * m.kernel_size[1])
            fill(m.weight, "uniform", -bound, bound)
            if m.bias is not None:
                fill(m.bias, "uniform", -bound, bound)
        elif isinstance(m, nn.Conv2d):
            fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
            fill(m.weight, "normal", 0.0, math.sqrt(2 / fan_out))
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            if getattr(m, "gamma_init", "one") == "uniform":
                fill(m.weight, "uniform", 0.0, 1.0)
            else:
                m.weight.fill_(1.0)
            m.bias.zero_()
        elif hasattr(m, "relative_position_bias_table"):  # WindowAttention (attention.py)
            table = m.relative_position_bias_table
            sample = torch.empty(table.shape, dtype=table.dtype)
            nn.init.trunc_normal_(sample, std=0.02, generator=gen)
            table.copy_(sample)
        elif isinstance(m, (nn.GroupNorm, nn.LayerNorm)):
            m.weight.fill_(1.0)
            m.bias.zero_()
        elif isinstance(m, Learned):
            m.reset_parameters()
        elif isinstance(m, nn.Linear):
            bound = 1 / math.sqrt(m.in_features)
            fill(m.weight, "uniform", -bound, bound)
            if m.bias is not None:
                if getattr(m, "bias_init", "uniform") == "zero":
                    m.bias.zero_()
                else:
                    fill(m.bias, "uniform", -bound, bound)
