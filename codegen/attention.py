"""Attention layers, shared verbatim by fx modules and emitted source (as `support` is).

`attention` is the lowering of the `attention` op: multi-head scaled dot-product attention
of every position of one grid over every position of one or several key/value grids.
`WindowAttention` is the lowering of `window_attention`: Swin's (shifted) window
multi-head self-attention, computed as torchvision's `ShiftedWindowAttention` computes it
(same parameters, same state_dict keys, same padding and mask) on a (B, C, H, W) grid.
Both are written with plain matmuls, so `FlopCounterMode` counts their multiply-adds on
every device and the TorchScript ONNX exporter keeps the spatial sizes symbolic.
Keep it self-contained: `torch`, `F` and `nn` only.
"""

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["attention", "WindowAttention", "window_mask"]

# --- emitted below this line ---


def attention(q, *kv, heads):
    """Every position of grid `q` (B, C, H, W) attends to every position of the key grids
    `kv[:n]` and value grids `kv[n:]` (n = len(kv) // 2, any sizes, C channels), with
    `heads` heads of C // heads consecutive channels each; the result has q's shape."""
    b, c, h, w = q.shape
    n = len(kv) // 2
    d = c // heads
    k = torch.cat([t.flatten(2) for t in kv[:n]], 2).reshape(b, heads, d, -1)
    v = torch.cat([t.flatten(2) for t in kv[n:]], 2).reshape(b, heads, d, -1)
    q = q.flatten(2).reshape(b, heads, d, -1).transpose(2, 3) * d**-0.5
    a = torch.softmax(q.matmul(k), -1)  # (B, heads, HW, N)
    return a.matmul(v.transpose(2, 3)).transpose(2, 3).reshape(b, c, h, w)


def window_mask(ph, pw, window, sh, sw, like):
    """The shifted-window mask of torchvision's `shifted_window_attention` for a padded
    ph x pw grid: (windows, N, N) in the dtype and device of `like`, -100 between positions of different regions, else 0."""
    rows = torch.arange(ph, device=like.device)
    cols = torch.arange(pw, device=like.device)
    rh = (rows >= ph - window).long() + (rows >= ph - sh).long()
    rw = (cols >= pw - window).long() + (cols >= pw - sw).long()
    region = (rh[:, None] * 3 + rw[None, :]).view(ph // window, window, pw // window, window)
    region = region.permute(0, 2, 1, 3).reshape(-1, window * window)
    diff = region.unsqueeze(1) - region.unsqueeze(2)
    return (diff != 0).to(like.dtype) * -100.0


class WindowAttention(nn.Module):
    """Swin's window multi-head self-attention on a (B, C, H, W) grid, as torchvision's
    `ShiftedWindowAttention` (qkv and output projections with biases, a relative position
    bias table): the grid is padded at the bottom and right to whole windows, shifted by
    `shift` (no shift along a side of one window), attended window by window with the
    shifted-window mask, shifted back and cropped."""

    def __init__(self, dim, heads, window=7, shift=0):
        super().__init__()
        self.heads, self.window, self.shift = heads, window, shift
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.empty((2 * window - 1) ** 2, heads))
        coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window),
                                            indexing="ij")).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window - 1)
        index = (rel[..., 0] * (2 * window - 1) + rel[..., 1]).flatten()
        self.register_buffer("relative_position_index", index)
        self.reset_parameters()

    def reset_parameters(self):
        """The relative position bias table ~ truncated N(0, 0.02), as torchvision's."""
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x):
        b, c, h, w = x.shape
        win, heads, n = self.window, self.heads, self.window * self.window
        x = F.pad(x.permute(0, 2, 3, 1), (0, 0, 0, (win - w % win) % win, 0, (win - h % win) % win))
        ph, pw = x.shape[1], x.shape[2]
        if self.shift:
            # no shift along a side of one window; written as index arithmetic rather than
            # a branch, so that an ONNX export keeps the rule at every input size
            sh, sw = self.shift * (ph > win), self.shift * (pw > win)
            rows = torch.arange(ph, device=x.device)
            cols = torch.arange(pw, device=x.device)
            x = x.index_select(1, (rows + sh) % ph).index_select(2, (cols + sw) % pw)
        x = x.reshape(b, ph // win, win, pw // win, win, c).permute(0, 1, 3, 2, 4, 5)
        x = x.reshape(-1, n, c)
        qkv = self.qkv(x).reshape(x.size(0), n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * (c // heads) ** -0.5, qkv[1], qkv[2]
        bias = self.relative_position_bias_table[self.relative_position_index]
        attn = q.matmul(k.transpose(-2, -1)) + bias.view(n, n, -1).permute(2, 0, 1).unsqueeze(0)
        if self.shift:
            mask = window_mask(ph, pw, win, sh, sw, attn)
            attn = attn.view(b, -1, heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, heads, n, n)
        x = self.proj(F.softmax(attn, dim=-1).matmul(v).transpose(1, 2).reshape(-1, n, c))
        x = x.view(b, ph // win, pw // win, win, win, c).permute(0, 1, 3, 2, 4, 5)
        x = x.reshape(b, ph, pw, c)
        if self.shift:
            x = x.index_select(1, (rows - sh) % ph).index_select(2, (cols - sw) % pw)
        return x[:, :h, :w, :].permute(0, 3, 1, 2)
